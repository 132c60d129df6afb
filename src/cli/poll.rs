//! `overhear poll` (once, or on schedule until a signal) and `overhear feed test`.

use super::{Cli, load_config, runtime};
use crate::config::Config;
use crate::net::Client;
use crate::poller::{Check, FeedReport, Leased, Poller, PollerConfig};
use crate::store::SessionKind;
use crate::store::Store;
use crate::team::Team;
use crate::timefmt;
use anyhow::{Context, Result, bail};
use chrono::Utc;
use std::io::Write;
use std::process::ExitCode;

/// Poll every feed once (printing a line per feed), or on their schedules until a signal.
pub fn poll(cli: &Cli, once: bool, force: bool) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let config = load_config(cli)?;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "config loaded");
    if config.feeds.is_empty() && config.poller.accounts.is_empty() {
        bail!(
            "no feeds are configured in {}; add a [[feed]] table (or an [[account]] of ours)",
            config.path.display()
        );
    }
    let Some((store, check, team, client)) = start(cli, &config, once)? else {
        return Ok(ExitCode::SUCCESS);
    };
    let poller = Poller::with_client(&config.poller, client, store, check, Some(Leased::of(&team)))?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "database and HTTP client ready"
    );
    let width = config
        .feeds
        .iter()
        .map(|f| &f.name)
        .chain(config.poller.accounts.iter().map(|a| &a.name))
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(4);
    let rt = runtime()?;
    if once {
        let reports = rt.block_on(poller.poll_all_once(&config.feeds, force));
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "feeds polled");
        let damage = poller.damage();
        poller.close();
        team.leave();
        if let Some(detail) = damage {
            return Err(crate::store::StoreError::Damaged {
                path: super::database(cli)?.to_string().into(),
                detail,
            }
            .into());
        }
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "database closed");
        let mut out = std::io::stdout().lock();
        for r in &reports {
            writeln!(out, "{}", r.line(width))?;
        }
        Ok(if reports.iter().any(FeedReport::failed) {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    } else {
        let result = rt.block_on(poll_until_signal(poller, config, width));
        // The lease goes at once: another process takes over without waiting for it to expire.
        team.leave();
        result?;
        Ok(ExitCode::SUCCESS)
    }
}

/// What a poll starts with: the poller's connection, the check running beside it, this process in
/// the team, the HTTP client.
type Started = (Store, Option<Check>, Team, Client);

/// Open the database, join the team and build the HTTP client, side by side: the system's TLS
/// roots load while the database opens, and (with `once`) the database is checked while the feeds
/// are fetched (nothing is written before the check ends). `None` when `once` finds another
/// process holding the poller lease (said on stderr: not an error, the feeds are being polled).
fn start(cli: &Cli, config: &Config, once: bool) -> Result<Option<Started>> {
    let (store, client) = std::thread::scope(|s| {
        let store = s.spawn(|| -> Result<_> {
            let at = super::database(cli)?;
            let store = at.open()?;
            // A file is checked beside the poll; a server keeps its own.
            let check = match at.file() {
                Some(path) => Some(
                    Store::check_in_background(path, super::CHECK_BUDGET)
                        .context("cannot start the check of the database")?,
                ),
                None => None,
            };
            // Every process that polls competes for the team's poller lease: one poller per
            // database.
            let me = crate::team::identity(&config.operator, SessionKind::Poll);
            let team = Team::join(&at, me, true)?;
            Ok((store, check, team))
        });
        let client = Client::new(&config.poller.net);
        (store.join(), client)
    });
    let (store, check, team) = store.map_err(|_| anyhow::anyhow!("opening the database panicked"))??;
    let holder = team.lease().borrow().holder.clone();
    if let Some(h) = &holder {
        let since = h.acquired_at.with_timezone(&chrono::Local).format("%H:%M:%S");
        let who = crate::text::sanitize_line(&h.describe());
        if once {
            eprintln!("overhear: not polling: {who} polls this database (since {since}), on the feeds' schedules");
            team.leave();
            return Ok(None);
        }
        eprintln!("overhear: {who} polls this database (since {since}); this process takes over when it stops");
    }
    let client = client.context("cannot start the HTTP client")?;
    let check = match check {
        Some(check) if once => Some(check),
        Some(check) => {
            // A service runs for days: it checks first and refuses to start on a damaged database.
            let found = check
                .join()
                .map_err(|_| anyhow::anyhow!("the check of the database panicked"))?;
            if let Some(detail) = found? {
                return Err(crate::store::StoreError::Damaged {
                    path: super::database(cli)?.to_string().into(),
                    detail,
                }
                .into());
            }
            None
        }
        None => None,
    };
    Ok(Some((store, check, team, client)))
}

async fn poll_until_signal(poller: Poller, config: Config, width: usize) -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let feeds = config.feeds.clone();
    let task = tokio::spawn(async move {
        poller.poll_on_schedule(feeds, stop_rx, tx).await;
        poller
    });
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    // A closed SSH session (SIGHUP) stops the poller the same clean way.
    let mut hup = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
    eprintln!(
        "overhear: polling {} feeds; stop with Ctrl-C or SIGTERM",
        config.feeds.len()
    );
    loop {
        tokio::select! {
            Some(report) = rx.recv() => {
                println!("{}", report.line(width));
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => break,
        }
    }
    tracing::info!("stopping: finishing writes in flight");
    let _ = stop_tx.send(true);
    // Drain what the poller finishes while stopping.
    let drain = async {
        while let Some(report) = rx.recv().await {
            println!("{}", report.line(width));
        }
    };
    let (poller, ()) = tokio::join!(task, drain);
    if let Ok(poller) = poller {
        let _ = tokio::task::spawn_blocking(move || poller.close()).await;
    }
    eprintln!("overhear: stopped");
    Ok(())
}

pub fn feed_test(cli: &Cli, name: Option<&str>, inline: Option<&str>) -> Result<ExitCode> {
    let (feed, poller_config) = match (name, inline) {
        (_, Some(toml)) => {
            let text = format!("feed = [ {toml} ]\n");
            let config = Config::parse(std::path::Path::new("--feed"), &text)?;
            let feed = config.feeds.into_iter().next().context("--feed holds no feed")?;
            (feed, PollerConfig::default())
        }
        (Some(name), None) => {
            let config = load_config(cli)?;
            let names: Vec<String> = config.feeds.iter().map(|f| f.name.clone()).collect();
            let feed = config.feeds.iter().find(|f| f.name == name).cloned().with_context(|| {
                format!(
                    "no feed named {name:?} in {} (feeds: {})",
                    config.path.display(),
                    names.join(", ")
                )
            })?;
            (feed, config.poller.clone())
        }
        (None, None) => bail!(
            "name a feed of the config, or give one with --feed '{{ name = \"t\", kind = \"rss\", url = \"…\" }}'"
        ),
    };
    let poller = Poller::new(&poller_config, Store::in_memory()?)?;
    let rt = runtime()?;
    let mut out = std::io::stdout().lock();
    match rt.block_on(poller.dry_run(&feed)) {
        Ok(run) => {
            let total = run.kept.len() + run.dropped.len();
            writeln!(
                out,
                "{} ({}): {total} item{} fetched; {} would be stored, {} dropped by include/exclude. Nothing was stored.",
                feed.name,
                feed.kind,
                if total == 1 { "" } else { "s" },
                run.kept.len(),
                run.dropped.len()
            )?;
            let now = Utc::now();
            let line = |m: &crate::model::NewMention, mark: &str| {
                let when = m
                    .published_at
                    .map(|t| timefmt::age(now, t))
                    .unwrap_or_else(|| "?".into());
                let what = match (&m.title, m.text.is_empty()) {
                    (Some(t), false) => format!("{t} — {}", m.text),
                    (Some(t), true) => t.clone(),
                    (None, _) => m.text.clone(),
                };
                format!(
                    "{mark} {when:>6}  {:<16}  {}",
                    crate::text::truncate_to_width(&crate::text::sanitize_line(m.author.as_deref().unwrap_or("—")), 16),
                    crate::text::truncate_to_width(&crate::text::sanitize_line(&what), 90)
                )
            };
            for m in &run.kept {
                writeln!(out, "{}", line(m, "+"))?;
            }
            for m in &run.dropped {
                writeln!(out, "{}", line(m, "-"))?;
            }
            for note in &run.notes {
                writeln!(out, "Repaired or noticed: {}", crate::text::sanitize_line(note))?;
            }
            if let Some(w) = run.wait {
                writeln!(
                    out,
                    "The service asks to wait {} before the next request.",
                    humantime::format_duration(w)
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            writeln!(out, "{} ({}): error: {e}", feed.name, feed.kind)?;
            Ok(ExitCode::FAILURE)
        }
    }
}
