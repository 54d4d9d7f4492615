//! Renders a log type's column table: for `seclake schema` and for the
//! generated pages in `docs/log-types/`.

use std::fmt::Write;

use seclake_core::{Column, LogType};

/// One page of `docs/log-types/`.
pub fn markdown_page(t: &LogType) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", t.name());
    let _ = writeln!(s, "{}\n", t.def.description);
    let _ = writeln!(s, "- Table: `{}`", t.table);
    let _ = writeln!(s, "- Reference: <{}>\n", t.def.reference);
    let _ = writeln!(s, "Generated from the registry by `SECLAKE_BLESS=1 cargo test -p seclake-registry`; do not edit.\n");
    s.push_str("| Column | Type | Required | Description |\n|---|---|---|---|\n");
    for c in t.schema.all_columns() {
        let _ = writeln!(
            s,
            "| `{}` | `{}` | {} | {} |",
            c.name,
            c.ty.to_string().replace('|', "\\|"),
            if c.required { "yes" } else { "no" },
            c.description.replace('|', "\\|")
        );
    }
    sigma_section(&mut s, t);
    if !t.def.examples.is_empty() {
        s.push_str("\n## Examples\n\n");
        for e in t.def.examples {
            let _ = writeln!(s, "```\n{e}\n```\n");
        }
    }
    s
}

/// What Sigma rules see of the type (its declaration), if any.
fn sigma_section(s: &mut String, t: &LogType) {
    let sigma = &t.def.sigma;
    if sigma.logsources.is_empty() {
        return;
    }
    s.push_str("\n## Sigma rules\n\nRules run on this table when their `logsource` is one of:\n\n");
    for ls in sigma.logsources {
        let keys: Vec<String> = [
            ("product", ls.product),
            ("service", ls.service),
            ("category", ls.category),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}: {v}")))
        .collect();
        let _ = writeln!(s, "- `{}`", keys.join(", "));
    }
    if !sigma.fields.is_empty() {
        s.push_str("\n| Sigma field | Column |\n|---|---|\n");
        for (name, column) in sigma.fields {
            let _ = writeln!(s, "| `{name}` | `{column}` |");
        }
    }
    s.push_str("\nOther field names are column paths (`a.b` for a struct member).");
    let list = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !sigma.json_columns.is_empty() {
        let _ = write!(
            s,
            " Members of the JSON text in {} are fields too (`{}.name`).",
            list(sigma.json_columns),
            sigma.json_columns[0]
        );
    }
    if !sigma.dns_names.is_empty() {
        let _ = write!(
            s,
            " Values of {} compare without their trailing dot.",
            list(sigma.dns_names)
        );
    }
    if sigma.keyword_fields.is_empty() {
        s.push_str(" Keyword searches are not available.\n");
    } else {
        let _ = writeln!(
            s,
            " Keyword searches look in {}.",
            list(sigma.keyword_fields)
        );
    }
}

/// The index page of `docs/log-types/`.
pub fn markdown_index(types: &[LogType]) -> String {
    let mut s = String::from("# Log types\n\nGenerated from the registry; do not edit.\n\n| Log type | Table | Description |\n|---|---|---|\n");
    for t in types {
        let _ = writeln!(
            s,
            "| [{0}]({0}.md) | `{1}` | {2} |",
            t.name(),
            t.table,
            t.def.description
        );
    }
    s
}

/// A plain-text table for a terminal: name, type, required, description.
pub fn text_table(t: &LogType) -> String {
    let cols: Vec<&Column> = t.schema.all_columns().collect();
    let types: Vec<String> = cols.iter().map(|c| c.ty.to_string()).collect();
    let w_name = cols.iter().map(|c| c.name.len()).max().unwrap_or(4).max(4);
    let w_type = types
        .iter()
        .map(|t| t.len().min(40))
        .max()
        .unwrap_or(4)
        .max(4);
    let mut s = format!("{}  ({}): {}\n\n", t.name(), t.table, t.def.description);
    let _ = writeln!(
        s,
        "{:w_name$}  {:w_type$}  {:8}  DESCRIPTION",
        "NAME", "TYPE", "REQUIRED"
    );
    for (c, ty) in cols.iter().zip(&types) {
        let _ = writeln!(
            s,
            "{:w_name$}  {:w_type$}  {:8}  {}",
            c.name,
            ty,
            if c.required { "yes" } else { "no" },
            c.description
        );
    }
    s
}

/// The schema as JSON: `{"name","table","description","columns":[{name,type,required,description}]}`.
pub fn json(t: &LogType) -> String {
    use seclake_core::json_out::write_str;
    let mut out = Vec::new();
    out.extend_from_slice(b"{\"name\":");
    write_str(&mut out, t.name());
    out.extend_from_slice(b",\"table\":");
    write_str(&mut out, &t.table);
    out.extend_from_slice(b",\"description\":");
    write_str(&mut out, t.def.description);
    out.extend_from_slice(b",\"reference\":");
    write_str(&mut out, t.def.reference);
    out.extend_from_slice(b",\"columns\":[");
    for (i, c) in t.schema.all_columns().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":");
        write_str(&mut out, c.name);
        out.extend_from_slice(b",\"type\":");
        write_str(&mut out, &c.ty.to_string());
        out.extend_from_slice(if c.required {
            b",\"required\":true"
        } else {
            b",\"required\":false"
        });
        out.extend_from_slice(b",\"description\":");
        write_str(&mut out, c.description);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    String::from_utf8(out).expect("utf-8")
}
