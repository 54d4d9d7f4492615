//! `seclake log-types`

use std::process::ExitCode;

use anyhow::Result;
use seclake_core::json_out::write_str;

use super::Format;

#[derive(clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let types = seclake_registry::all();
    match args.format {
        Format::Json => {
            let mut out = Vec::new();
            out.push(b'[');
            for (i, t) in types.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"name\":");
                write_str(&mut out, t.name());
                out.extend_from_slice(b",\"table\":");
                write_str(&mut out, &t.table);
                out.extend_from_slice(b",\"description\":");
                write_str(&mut out, t.def.description);
                out.push(b'}');
            }
            out.extend_from_slice(b"]\n");
            print!("{}", String::from_utf8_lossy(&out));
        }
        Format::Markdown => print!("{}", seclake_registry::docs::markdown_index(types)),
        Format::Text => {
            let w = types.iter().map(|t| t.name().len()).max().unwrap_or(4);
            let wt = types.iter().map(|t| t.table.len()).max().unwrap_or(5);
            println!("{:w$}  {:wt$}  DESCRIPTION", "NAME", "TABLE");
            for t in types {
                println!("{:w$}  {:wt$}  {}", t.name(), t.table, t.def.description);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
