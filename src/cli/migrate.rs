//! `overhear migrate --from A --to B`: a database copied between SQLite and PostgreSQL, each
//! table's progress said on stderr as it goes, then each table's rows and checksum side by side.

use crate::store::copy::{self, Endpoint};
use anyhow::Result;
use std::io::Write;
use std::process::ExitCode;

pub fn migrate(from: &str, to: &str, password_env: Option<&str>, batch: usize) -> Result<ExitCode> {
    let (from, to) = (Endpoint::parse(from, password_env), Endpoint::parse(to, password_env));
    let started = std::time::Instant::now();
    eprintln!("overhear: copying {} to {}", from.describe(), to.describe());
    let mut err = std::io::stderr().lock();
    let live = std::io::IsTerminal::is_terminal(&err);
    let reports = copy::migrate(&from, &to, batch, |table, rows, done| {
        // One line a table, rewritten in place while it is copied on a terminal.
        let _ = if done {
            writeln!(
                err,
                "{}  {table:<14} {rows:>10} rows copied",
                if live { "\r" } else { "" }
            )
        } else if live {
            write!(err, "\r  {table:<14} {rows:>10} rows…")
        } else {
            Ok(())
        };
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<14} {:>10} {:>10}  {:<16}  {:<16}",
        "table", "source", "target", "checksum", ""
    )?;
    let mut bad = Vec::new();
    for r in &reports {
        writeln!(
            out,
            "{:<14} {:>10} {:>10}  {:<16}  {}",
            r.table,
            r.rows_from,
            r.rows_to,
            r.sum_from,
            if r.agrees() {
                "agrees".to_string()
            } else {
                format!("DIFFERS: {}", r.sum_to)
            }
        )?;
        if !r.agrees() {
            bad.push(r.table.as_str());
        }
    }
    let rows: u64 = reports.iter().map(|r| r.rows_to).sum();
    if bad.is_empty() {
        writeln!(
            out,
            "Copied and checked: {rows} rows in {} tables agree ({:.1} s). The source is unchanged.",
            reports.len(),
            started.elapsed().as_secs_f64(),
        )?;
        Ok(ExitCode::SUCCESS)
    } else {
        writeln!(
            out,
            "{} table{} do not agree: {}. Nothing was removed from the source.",
            bad.len(),
            if bad.len() == 1 { "" } else { "s" },
            bad.join(", ")
        )?;
        Ok(ExitCode::FAILURE)
    }
}
