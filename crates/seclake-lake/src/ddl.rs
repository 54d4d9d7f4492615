//! The statements that register the lake's Delta tables in other engines.
//! Every engine reads the schema and files from the table's log, so a
//! statement only names the table and where it is.

use std::fmt::Write;

/// An engine to print statements for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Athena,
    Trino,
    Spark,
    DuckDb,
}

/// Where the tables go in the engine's catalog.
#[derive(Debug, Clone)]
pub struct Target {
    /// Athena/Spark database, Trino schema (DuckDB: none).
    pub database: String,
    /// Trino catalog of the Delta Lake connector.
    pub catalog: String,
}

impl Default for Target {
    fn default() -> Self {
        Target {
            database: "seclake".into(),
            catalog: "delta".into(),
        }
    }
}

/// `name` as an identifier of `engine`: as written when it is a plain
/// lower-case name, quoted otherwise (`_rejects` starts with `_`).
pub fn ident(engine: Engine, name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
    if plain {
        return name.to_string();
    }
    match engine {
        Engine::Athena | Engine::Spark => format!("`{}`", name.replace('`', "``")),
        Engine::Trino | Engine::DuckDb => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The statements for `tables` of the lake at `root` (`s3://bucket/prefix/`
/// or `file:///dir/`, ending in `/`).
pub fn statements(engine: Engine, root: &str, tables: &[String], target: &Target) -> String {
    let mut out = String::new();
    let db = |e| ident(e, &target.database);
    let location = |t: &str| format!("{root}{t}/");
    match engine {
        Engine::Athena => {
            let _ = writeln!(out, "CREATE DATABASE IF NOT EXISTS {};", db(engine));
            for t in tables {
                let _ = writeln!(
                    out,
                    "CREATE EXTERNAL TABLE IF NOT EXISTS {}.{}\nLOCATION {}\nTBLPROPERTIES ('table_type' = 'DELTA');",
                    db(engine),
                    ident(engine, t),
                    literal(&location(t))
                );
            }
        }
        Engine::Trino => {
            let _ = writeln!(
                out,
                "CREATE SCHEMA IF NOT EXISTS {}.{};",
                ident(engine, &target.catalog),
                db(engine)
            );
            for t in tables {
                let _ = writeln!(
                    out,
                    "CALL {}.system.register_table(schema_name => {}, table_name => {}, table_location => {});",
                    ident(engine, &target.catalog),
                    literal(&target.database),
                    literal(t),
                    literal(&location(t))
                );
            }
        }
        Engine::Spark => {
            let _ = writeln!(out, "CREATE DATABASE IF NOT EXISTS {};", db(engine));
            for t in tables {
                let _ = writeln!(
                    out,
                    "CREATE TABLE IF NOT EXISTS {}.{} USING delta LOCATION {};",
                    db(engine),
                    ident(engine, t),
                    literal(&location(t))
                );
            }
        }
        Engine::DuckDb => {
            let _ = writeln!(out, "INSTALL delta;\nLOAD delta;");
            for t in tables {
                let loc = location(t);
                let path = loc.strip_prefix("file://").unwrap_or(&loc);
                let _ = writeln!(
                    out,
                    "CREATE OR REPLACE VIEW {} AS SELECT * FROM delta_scan({});",
                    ident(engine, t),
                    literal(path.trim_end_matches('/'))
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Vec<String> {
        vec!["_rejects".into(), "aws_cloudtrail".into()]
    }

    #[test]
    fn each_engine_names_every_table_at_its_location() {
        let root = "s3://bucket/lake/";
        for engine in [Engine::Athena, Engine::Trino, Engine::Spark, Engine::DuckDb] {
            let sql = statements(engine, root, &tables(), &Target::default());
            for t in tables() {
                assert!(
                    sql.contains(&format!("s3://bucket/lake/{t}")),
                    "{engine:?}: {sql}"
                );
            }
        }
        let athena = statements(Engine::Athena, root, &tables(), &Target::default());
        assert!(athena.contains("seclake.`_rejects`"), "{athena}");
        assert!(athena.contains("'table_type' = 'DELTA'"), "{athena}");
        let trino = statements(Engine::Trino, root, &tables(), &Target::default());
        assert!(trino.contains("CALL delta.system.register_table(schema_name => 'seclake', table_name => 'aws_cloudtrail', table_location => 's3://bucket/lake/aws_cloudtrail/');"), "{trino}");
        let spark = statements(Engine::Spark, root, &tables(), &Target::default());
        assert!(
            spark.contains("seclake.aws_cloudtrail USING delta LOCATION"),
            "{spark}"
        );
        let duck = statements(
            Engine::DuckDb,
            "file:///data/lake/",
            &tables(),
            &Target::default(),
        );
        assert!(duck.contains("CREATE OR REPLACE VIEW \"_rejects\" AS SELECT * FROM delta_scan('/data/lake/_rejects');"), "{duck}");
    }

    #[test]
    fn identifiers_and_literals_are_quoted_when_needed() {
        assert_eq!(ident(Engine::Trino, "aws_alb"), "aws_alb");
        assert_eq!(ident(Engine::Trino, "Sec\"Lake"), "\"Sec\"\"Lake\"");
        assert_eq!(ident(Engine::Spark, "a`b"), "`a``b`");
        assert_eq!(literal("it's"), "'it''s'");
    }
}
