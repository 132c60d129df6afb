//! `overhear report`: the span's report, written as one HTML file (or Markdown) for people who
//! never open a terminal. The file is written whole or not at all (a temporary file renamed over
//! it), so a full disk never leaves half a report where the last one was.

use super::{Cli, ReportFormat, Verb, filter_arg, load_config, open_store};
use crate::report::{self, ReportQuery, Span};
use anyhow::{Context, Result, bail};
use chrono::Utc;
use std::io::Write;
use std::process::ExitCode;

pub fn report(cli: &Cli, verb: &Verb) -> Result<ExitCode> {
    let Verb::Report {
        week: _,
        month,
        since,
        by,
        out,
        format,
        title,
        tz,
        sla,
        filter,
    } = verb
    else {
        unreachable!("called for `overhear report`")
    };
    let to_stdout = out.as_deref().is_none_or(|p| p.as_os_str() == "-");
    if to_stdout && *format == ReportFormat::Html && out.is_none() {
        bail!("say where to write the report: --out report.html (or --out - for standard output)");
    }
    let filter = filter_arg(filter.as_deref())?;
    let config = load_config(cli)?;
    let zone: chrono_tz::Tz = match tz {
        Some(z) => z
            .parse()
            .map_err(|_| anyhow::anyhow!("unknown time zone {z:?}: write an IANA name like Europe/Berlin"))?,
        None => crate::stats::local_zone(),
    };
    let sla = match sla {
        Some(s) => Some(crate::config::parse_duration(s).map_err(anyhow::Error::msg)?),
        None => config.sla,
    };
    let span = match (since, month) {
        (Some(d), _) => Span::Since(*d),
        (None, true) => Span::Month,
        (None, false) => Span::Week,
    };
    let store = open_store(cli)?;
    let q = ReportQuery {
        span,
        by: *by,
        tz: zone,
        sla,
        business: config.business.clone(),
        filter,
        now: Utc::now(),
        team: title.clone(),
        value: config.value.clone(),
    };
    let r = report::gather(&store, &q)?;
    let text = match format {
        ReportFormat::Html => report::html::render(&r),
        ReportFormat::Md => report::markdown::render(&r),
        ReportFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
    };
    match out.as_deref().filter(|_| !to_stdout) {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
        Some(path) => {
            write_whole(path, text.as_bytes()).with_context(|| format!("writing the report to {}", path.display()))?;
            eprintln!(
                "report of {} to {} written to {} ({} mentions, {} answered)",
                r.from,
                r.to,
                path.display(),
                r.totals.mentions,
                r.totals.responded
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `overhear demo --report FILE`: the demo's week (polled from the built-in server, the team's
/// answers recorded) as a report, without opening the console.
pub fn demo(out: &std::path::Path) -> Result<ExitCode> {
    let dir = tempfile::Builder::new()
        .prefix("overhear-demo-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let (_config, store) = crate::demo::prepare(dir.path())?;
    let q = ReportQuery {
        span: Span::Week,
        by: Some(crate::stats::GroupBy::Operator),
        tz: crate::stats::local_zone(),
        sla: Some(std::time::Duration::from_secs(3600)),
        business: None,
        filter: crate::query::StreamFilter::default(),
        now: Utc::now(),
        team: Some(crate::demo::TEAM.to_string()),
        value: Some(crate::report::Value {
            currency: "€".into(),
            per_intent: vec![
                (crate::score::Intent::Complaint, 40.0),
                (crate::score::Intent::Purchase, 120.0),
                (crate::score::Intent::Cancel, 200.0),
            ],
        }),
    };
    let r = report::gather(&store, &q)?;
    let markdown = out.extension().is_some_and(|e| e.eq_ignore_ascii_case("md"));
    let text = if markdown {
        report::markdown::render(&r)
    } else {
        report::html::render(&r)
    };
    write_whole(out, text.as_bytes()).with_context(|| format!("writing the report to {}", out.display()))?;
    eprintln!(
        "the demo week's report written to {} ({} mentions, {} answered)",
        out.display(),
        r.totals.mentions,
        r.totals.responded
    );
    Ok(ExitCode::SUCCESS)
}

/// Write `bytes` to `path` through a temporary file beside it, renamed over it once complete.
fn write_whole(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
