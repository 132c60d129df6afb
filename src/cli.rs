//! Command-line entry: subcommands and dispatch. No logic beyond wiring.

use crate::config::{self, Config};
use crate::export::{self, Format};
use crate::poller::{FeedReport, Poller};
use crate::store::{ExportFilter, Store};
use crate::{app, demo, logging, paths, timefmt};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "overhear", version, about = "Hear every public mention of your brand, triage it, answer it.", long_about = None)]
pub struct Cli {
    /// Config file [default: ~/.config/overhear/config.toml]
    #[arg(long, global = true, env = "OVERHEAR_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Database file [default: ~/.local/share/overhear/overhear.db]
    #[arg(long, global = true, env = "OVERHEAR_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Open the console on a throwaway database with a built-in feed server: no config, no network
    Demo,
    /// Poll the feeds: on their schedules until SIGINT/SIGTERM, or each once with --once
    Poll {
        /// Poll every feed once, print one line per feed, exit 1 if any failed
        #[arg(long)]
        once: bool,
        /// With --once: poll feeds even while a server's Retry-After asks to wait
        #[arg(long, requires = "once")]
        force: bool,
    },
    /// Write the stored mentions to stdout, oldest first
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: Format,
        /// Only mentions from this day on (YYYY-MM-DD, UTC)
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
        since: Option<DateTime<Utc>>,
    },
    /// List the feeds with their health
    Feeds,
    /// Answer a mention: post the reply where the source takes replies and a token is set,
    /// otherwise record it as answered elsewhere; either way it is marked responded
    Reply {
        /// The mention's id (the `id` field of `overhear export`)
        id: i64,
        /// The reply's text, from a file or `-` for standard input
        #[arg(long, value_name = "FILE")]
        text_file: PathBuf,
    },
    /// Set a mention's status as the configured operator
    Mark {
        id: i64,
        #[arg(value_parser = ["new", "open", "responded", "ignored", "escalated"])]
        status: String,
    },
    /// Response-time figures per day: volume, responses, first-response time, SLA breaches, backlog
    Stats {
        /// How many days, ending today
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// From this day on instead (YYYY-MM-DD), to today
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        since: Option<NaiveDate>,
        /// Split by feed, operator or tag
        #[arg(long, value_enum)]
        by: Option<crate::stats::GroupBy>,
        #[arg(long, value_enum, default_value = "table")]
        format: StatsFormat,
        /// The time zone days are counted in (e.g. Europe/Berlin) [default: the system's]
        #[arg(long, value_name = "ZONE")]
        tz: Option<String>,
        /// The first-response target for SLA breaches (e.g. 1h) [default: [stats] sla in the config]
        #[arg(long, value_name = "DURATION")]
        sla: Option<String>,
    },
    /// Work on one feed
    Feed {
        #[command(subcommand)]
        action: FeedAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum FeedAction {
    /// Fetch a feed once and print what would be stored, storing nothing: the quickest way to get
    /// a query right
    Test {
        /// A feed of the config, by name
        name: Option<String>,
        /// Or a feed given here, as a TOML inline table:
        /// '{ name = "t", kind = "hackernews", query = "acme" }'
        #[arg(long, value_name = "TOML")]
        feed: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    Table,
    Json,
    Csv,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{s:?} is not a date like 2026-11-24"))
}

fn parse_day(s: &str) -> Result<DateTime<Utc>, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
        .map_err(|_| format!("{s:?} is not a date like 2026-11-24"))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Ok(log) = paths::log_file() {
        logging::init(&log);
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            tracing::error!("{e:#}");
            eprintln!("overhear: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The config to use: the one named, or the default one, written from the example on first run.
fn load_config(cli: &Cli) -> Result<Config> {
    let path = match &cli.config {
        Some(p) => {
            if !p.exists() {
                bail!("the config file {} does not exist", p.display());
            }
            p.clone()
        }
        None => {
            let p = paths::default_config()?;
            if !p.exists() {
                if let Some(dir) = p.parent() {
                    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
                }
                std::fs::write(&p, config::EXAMPLE)
                    .with_context(|| format!("cannot write an example config to {}", p.display()))?;
                eprintln!(
                    "overhear: no config yet, so I wrote a commented example to {}; add your feeds there.",
                    p.display()
                );
            }
            p
        }
    };
    Ok(Config::load(&path)?)
}

fn db_path(cli: &Cli) -> Result<PathBuf> {
    match &cli.db {
        Some(p) => Ok(p.clone()),
        None => paths::default_db(),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Some(Command::Demo) => {
            demo::run()?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let config = load_config(&cli)?;
            let db = db_path(&cli)?;
            let store = Store::open(&db)?;
            app::run_console(config, store)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Poll { once, force }) => {
            let config = load_config(&cli)?;
            if config.feeds.is_empty() {
                bail!(
                    "no feeds are configured in {}; add a [[feed]] table",
                    config.path.display()
                );
            }
            let store = Store::open(&db_path(&cli)?)?;
            let poller = Poller::new(&config.poller, store)?;
            let width = config.feeds.iter().map(|f| f.name.chars().count()).max().unwrap_or(4);
            let rt = runtime()?;
            if *once {
                let reports = rt.block_on(poller.poll_all_once(&config.feeds, *force));
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
                rt.block_on(poll_until_signal(poller, config, width))?;
                Ok(ExitCode::SUCCESS)
            }
        }
        Some(Command::Export { format, since }) => {
            let store = Store::open(&db_path(&cli)?)?;
            let filter = ExportFilter { since: *since };
            let n = export::export(&store, &filter, *format, std::io::stdout().lock())?;
            tracing::info!(rows = n, "exported");
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Feed {
            action: FeedAction::Test { name, feed },
        }) => feed_test(&cli, name.as_deref(), feed.as_deref()),
        Some(Command::Reply { id, text_file }) => reply_cmd(&cli, *id, text_file),
        Some(Command::Mark { id, status }) => {
            let config = load_config(&cli)?;
            let mut store = Store::open(&db_path(&cli)?)?;
            store
                .mention(&config.console.operator, *id)?
                .with_context(|| format!("no mention with id {id}"))?;
            let status: crate::model::Status = status.parse().map_err(anyhow::Error::msg)?;
            let applied = store.apply(
                &[*id],
                &crate::store::Change::Status(status),
                &config.console.operator,
                Utc::now(),
            )?;
            if applied.changed == 0 {
                println!("mention {id} was already {status}");
            } else {
                println!("mention {id} marked {status} by {}", config.console.operator);
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Stats {
            days,
            since,
            by,
            format,
            tz,
            sla,
        }) => {
            let config = load_config(&cli)?;
            let zone: chrono_tz::Tz = match tz {
                Some(z) => z
                    .parse()
                    .map_err(|_| anyhow::anyhow!("unknown time zone {z:?}: write an IANA name like Europe/Berlin"))?,
                None => crate::stats::local_zone(),
            };
            let sla = match sla {
                Some(s) => Some(config::parse_duration(s).map_err(anyhow::Error::msg)?),
                None => config.sla,
            };
            let store = Store::open(&db_path(&cli)?)?;
            let now = Utc::now();
            let today = now.with_timezone(&zone).date_naive();
            let from = since.unwrap_or_else(|| today - chrono::Duration::days(i64::from((*days).max(1)) - 1));
            let q = crate::stats::StatsQuery {
                from,
                to: today,
                tz: zone,
                by: *by,
                sla,
                business: config.business.clone(),
                filter: Default::default(),
                now,
            };
            let rows = store.stats(&q)?;
            print_stats(&rows, *format, sla)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Feeds) => {
            let config = load_config(&cli)?;
            let store = Store::open(&db_path(&cli)?)?;
            print_feeds(&config, &store)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn poll_until_signal(poller: Poller, config: Config, width: usize) -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let feeds = config.feeds.clone();
    let task = tokio::spawn(async move { poller.run(feeds, stop_rx, tx).await });
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
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
    let _ = tokio::join!(task, drain);
    eprintln!("overhear: stopped");
    Ok(())
}

fn print_feeds(config: &Config, store: &Store) -> Result<()> {
    let health = store.feed_health(true)?;
    let now = Utc::now();
    let mut out = std::io::stdout().lock();
    if config.feeds.is_empty() {
        writeln!(out, "No feeds are configured in {}.", config.path.display())?;
    }
    let width = config
        .feeds
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let row = |out: &mut std::io::StdoutLock<'_>, cols: [&str; 8]| {
        writeln!(
            out,
            "{:<width$}  {:<13}  {:<7}  {:>7}  {:<12}  {:<12}  {:<24}  {}",
            cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7]
        )
    };
    row(
        &mut out,
        [
            "FEED",
            "KIND",
            "HEALTH",
            "ITEMS",
            "LAST OK",
            "NEXT POLL",
            "RATE LIMIT",
            "LAST ERROR",
        ],
    )?;
    for f in &config.feeds {
        let h = health.iter().find(|h| h.name == f.name);
        let state = match h {
            Some(h) if h.last_error.is_some() => "failing",
            Some(h) if h.last_success_at.is_some() => "ok",
            _ => "new",
        };
        let items = h.map_or(0, |h| h.items).to_string();
        let last_ok = h
            .and_then(|h| h.last_success_at)
            .map_or("never".into(), |t| timefmt::relative(now, t, true));
        let next = h
            .and_then(|h| h.next_poll_at)
            .map_or("now".into(), |t| timefmt::relative(now, t, true));
        let rate = h
            .and_then(|h| h.rate_limit.as_deref())
            .map(|r| describe_rate(r, now))
            .unwrap_or_default();
        let err = h
            .and_then(|h| {
                h.last_error.as_deref().map(|e| {
                    if h.consecutive_failures > 1 {
                        format!("{e} ({} times in a row)", h.consecutive_failures)
                    } else {
                        e.to_string()
                    }
                })
            })
            .unwrap_or_default();
        row(
            &mut out,
            [&f.name, f.kind.as_str(), state, &items, &last_ok, &next, &rate, &err],
        )?;
    }
    for h in health.iter().filter(|h| !config.feeds.iter().any(|f| f.name == h.name)) {
        row(
            &mut out,
            [
                &h.name,
                &h.kind,
                "-",
                &h.items.to_string(),
                "",
                "",
                "",
                "(no longer in the config)",
            ],
        )?;
    }
    Ok(())
}

/// "299/300 left, resets 14:00" from the stored rate-limit state.
fn describe_rate(json: &str, now: DateTime<Utc>) -> String {
    let Ok(r) = serde_json::from_str::<crate::sources::RateLimit>(json) else {
        return String::new();
    };
    if let Some(note) = r.note {
        return note;
    }
    let mut s = match (r.remaining, r.limit) {
        (Some(rem), Some(lim)) => format!("{rem}/{lim} left"),
        (Some(rem), None) => format!("{rem} left"),
        _ => String::new(),
    };
    if let Some(reset) = r.reset.filter(|t| *t > now) {
        s.push_str(&format!(", resets {}", timefmt::relative(now, reset, true)));
    }
    s
}

fn feed_test(cli: &Cli, name: Option<&str>, inline: Option<&str>) -> Result<ExitCode> {
    let (feed, poller_config) = match (name, inline) {
        (_, Some(toml)) => {
            let text = format!("feed = [ {toml} ]\n");
            let config = Config::parse(std::path::Path::new("--feed"), &text)?;
            let feed = config.feeds.into_iter().next().context("--feed holds no feed")?;
            (feed, crate::config::PollerConfig::default())
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

fn reply_cmd(cli: &Cli, id: i64, text_file: &std::path::Path) -> Result<ExitCode> {
    use std::io::Read;
    let config = load_config(cli)?;
    let operator = config.console.operator.clone();
    let mut text = String::new();
    if text_file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the reply from standard input")?;
    } else {
        text = std::fs::read_to_string(text_file).with_context(|| format!("cannot read {}", text_file.display()))?;
    }
    let text = crate::text::sanitize(&text).trim().to_string();
    if text.is_empty() {
        bail!("the reply is empty");
    }
    let mut store = Store::open(&db_path(cli)?)?;
    let mention = store
        .mention(&operator, id)?
        .with_context(|| format!("no mention with id {id}"))?;
    let feed = config.feeds.iter().find(|f| f.name == mention.feed);
    if let Some(limit) = crate::reply::limit(&mention.kind) {
        let n = text.chars().count();
        if n > limit {
            bail!("the reply is {n} characters; {} takes at most {limit}", mention.kind);
        }
    }
    let token = feed.and_then(crate::poller::token_of);
    match crate::reply::plan(feed, &mention, &text, token.as_deref())? {
        delivery @ (crate::reply::Delivery::Api(_) | crate::reply::Delivery::Bluesky { .. }) => {
            let feed = feed.expect("an API delivery has a feed");
            if !store.begin_send(id, &text, &operator, Utc::now())? {
                bail!("a reply to mention {id} is being sent already; not sending it twice");
            }
            let poller = Poller::new(&config.poller, Store::in_memory()?)?;
            match runtime()?.block_on(poller.deliver(feed, &delivery, &text)) {
                Ok(sent) => {
                    store.record_response(id, &text, &sent, &operator, Utc::now())?;
                    println!(
                        "sent; mention {id} marked responded{}",
                        sent.url.map(|u| format!(": {u}")).unwrap_or_default()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    store.fail_send(id)?;
                    eprintln!("overhear: not sent: {e}. The draft is kept.");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        crate::reply::Delivery::HandOff(why) => {
            store.record_response(id, &text, &crate::store::Sent::default(), &operator, Utc::now())?;
            println!(
                "recorded as answered by hand ({why}); mention {id} marked responded{}",
                mention.url.map(|u| format!(". Its link: {u}")).unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_stats(rows: &[crate::stats::DayStats], format: StatsFormat, sla: Option<std::time::Duration>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        StatsFormat::Json => {
            serde_json::to_writer_pretty(&mut out, rows)?;
            writeln!(out)?;
        }
        StatsFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            for r in rows {
                w.serialize(r)?;
            }
            w.flush()?;
        }
        StatsFormat::Table => {
            let dur = |s: Option<f64>| {
                s.map(|v| humantime::format_duration(std::time::Duration::from_secs(v.round() as u64)).to_string())
                    .unwrap_or_else(|| "-".into())
            };
            let grouped = rows.iter().any(|r| r.group.is_some());
            let gw = rows
                .iter()
                .filter_map(|r| r.group.as_ref())
                .map(|g| g.chars().count())
                .max()
                .unwrap_or(5)
                .max(5);
            if grouped {
                write!(out, "{:<gw$}  ", "GROUP")?;
            }
            writeln!(
                out,
                "{:<10}  {:>8}  {:>9}  {:>7}  {:>9}  {:>6}  {:>14}  {:>14}  {:>14}  {:>14}  {:>8}  {:>7}",
                "DATE",
                "MENTIONS",
                "RESPONDED",
                "IGNORED",
                "ESCALATED",
                "RATE",
                "MEDIAN (PUB)",
                "P90 (PUB)",
                "MEDIAN (SEEN)",
                "MAX (SEEN)",
                "SLA MISS",
                "BACKLOG"
            )?;
            for r in rows {
                if grouped {
                    write!(out, "{:<gw$}  ", r.group.as_deref().unwrap_or(""))?;
                }
                writeln!(
                    out,
                    "{:<10}  {:>8}  {:>9}  {:>7}  {:>9}  {:>5.0}%  {:>14}  {:>14}  {:>14}  {:>14}  {:>8}  {:>7}",
                    r.date,
                    r.mentions,
                    r.responded,
                    r.ignored,
                    r.escalated,
                    r.response_rate * 100.0,
                    dur(r.median_first_response_secs),
                    dur(r.p90_first_response_secs.map(|v| v as f64)),
                    dur(r.median_first_response_from_seen_secs),
                    dur(r.max_first_response_from_seen_secs.map(|v| v as f64)),
                    if sla.is_some() {
                        r.sla_breaches.to_string()
                    } else {
                        "-".into()
                    },
                    r.backlog
                )?;
            }
            writeln!(
                out,
                "PUB: from publication; SEEN: from when overhear first saw it.{}",
                sla.map(|s| format!(" SLA target {}.", humantime::format_duration(s)))
                    .unwrap_or_default()
            )?;
        }
    }
    Ok(())
}
