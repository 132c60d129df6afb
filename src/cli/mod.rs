//! Command-line entry: the subcommands (clap), loading the config and the database, and
//! dispatch. No logic beyond wiring; each group of commands has its file:
//! `poll.rs` (poll, feed test), `answer.rs` (reply, mark), `print.rs` (tables for people).

mod answer;
mod doctor;
mod migrate;
mod people;
mod poll;
mod print;
mod report;
mod thread;

use crate::config::{self, Config};
use crate::export::{self, Format};
use crate::store::{ExportFilter, Store};
use crate::{console, demo, logging, paths};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "overhear", version, about = "Hear every public mention of your brand, triage it, answer it.", long_about = None)]
pub struct Cli {
    /// Config file [default: ~/.config/overhear/config.toml]
    #[arg(long, global = true, env = "OVERHEAR_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Database: a SQLite file, or a PostgreSQL server's postgres://user@host/dbname [default:
    /// `database` in the config, else ~/.local/share/overhear/overhear.db]
    #[arg(long, global = true, env = "OVERHEAR_DB", value_name = "PATH|URL")]
    pub db: Option<PathBuf>,
    /// The environment variable holding the PostgreSQL password [default: `password_env` in the
    /// config; else the URL's, PGPASSWORD or ~/.pgpass]
    #[arg(long, global = true, value_name = "VAR")]
    pub password_env: Option<String>,
    /// The name your actions are recorded under [default: `operator` in the config, else your
    /// Unix user]
    #[arg(long, global = true, env = "OVERHEAR_OPERATOR", value_name = "NAME")]
    pub operator: Option<String>,
    #[command(subcommand)]
    pub command: Option<Verb>,
}

#[derive(Subcommand, Debug)]
pub enum Verb {
    /// Open the console on a throwaway database with a built-in feed server: no config, no network.
    /// The database holds a team's week of mentions, some answered
    Demo {
        /// Instead of opening the console, write the demo week's report to this file (HTML, or
        /// Markdown when it ends in .md) and exit
        #[arg(long, value_name = "FILE")]
        report: Option<std::path::PathBuf>,
    },
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
        /// Only the mentions a query matches, in the console's query language
        /// (e.g. 'acme -is:question reach>1000')
        #[arg(long, value_name = "QUERY", allow_hyphen_values = true)]
        filter: Option<String>,
    },
    /// List the feeds with their health
    Feeds,
    /// Answer a mention: post the reply where the source takes replies and a token is set,
    /// otherwise record it as answered elsewhere; either way it is marked responded
    ///
    /// Refused (exit 3) when the mention is already answered or ignored, or a teammate is drafting
    /// an answer to it in the console now.
    Reply {
        /// The mention's id (the `id` field of `overhear export`)
        id: i64,
        /// The reply's text, from a file or `-` for standard input
        #[arg(long, value_name = "FILE")]
        text_file: PathBuf,
        /// Answer even when the mention is answered, ignored or claimed by a teammate's draft
        #[arg(long)]
        force: bool,
    },
    /// Set a mention's status as the configured operator
    Mark {
        id: i64,
        #[arg(value_parser = ["new", "open", "responded", "ignored", "escalated"])]
        status: String,
    },
    /// Correct the sentiment or intents the model gave a mention, as the configured operator:
    /// `overhear correct 42 positive +praise -complaint`
    Correct {
        id: i64,
        /// negative, neutral or positive; +intent or -intent (complaint, question, praise,
        /// purchase, cancel)
        #[arg(required = true, allow_hyphen_values = true)]
        words: Vec<String>,
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
        /// Only mentions matching this query (the search language): `-is:noise` leaves out likely
        /// spam and bots, `sentiment:negative` counts the unhappy ones
        #[arg(long, value_name = "QUERY", allow_hyphen_values = true)]
        filter: Option<String>,
        /// Instead: how often the sentiment and intent model agreed with the operators who
        /// corrected it (all corrections, or those since --since)
        #[arg(long, conflicts_with_all = ["by", "days", "tz", "sla"])]
        accuracy: bool,
        /// Instead: what our own posts earned ([[account]] in the config): replies, reposts and
        /// likes per post (Kaushik's conversation, amplification and applause rates), per post and
        /// per account, also per 1,000 followers
        #[arg(long, conflicts_with_all = ["by", "sla", "accuracy", "filter"])]
        own: bool,
    },
    /// Check the set-up and say what to do about any problem: the files and who may use them, the
    /// database's version and integrity, who polls, who is here, the feeds. Exit 1 on a problem
    Doctor,
    /// Copy a database between SQLite and PostgreSQL (either way), every table, then check each
    /// table's rows and checksum on both sides; an interrupted copy goes on where it stopped when
    /// run again. Exit 1 when a table does not agree
    Migrate {
        /// The database to copy: a SQLite file or a postgres:// URL
        #[arg(long, value_name = "PATH|URL")]
        from: String,
        /// Where to copy it: a new SQLite file or an empty PostgreSQL database (postgres://…)
        #[arg(long, value_name = "PATH|URL")]
        to: String,
        /// Rows per transaction
        #[arg(long, default_value_t = crate::store::copy::BATCH, hide = true)]
        batch: usize,
    },
    /// Print a shell's completions for overhear (bash, zsh, fish, elvish, powershell) to stdout
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print overhear's man page (roff) to stdout: `overhear man > /usr/local/share/man/man1/overhear.1`
    Man,
    /// List the alerts raised ([[alert]] in the config), oldest first
    Alerts {
        /// Only alerts from this day on (YYYY-MM-DD)
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
        since: Option<DateTime<Utc>>,
        #[arg(long, value_enum, default_value = "table")]
        format: StatsFormat,
        /// Say you have seen these alerts (their ids), instead of listing
        #[arg(long, value_name = "ID", num_args = 1..)]
        ack: Vec<i64>,
    },
    /// Work on the rules that act on arriving mentions ([[rule]] in the config)
    Rule {
        #[command(subcommand)]
        action: RuleAction,
    },
    /// Work on one feed
    Feed {
        #[command(subcommand)]
        action: FeedAction,
    },
    /// The people behind the mentions, across every feed, ranked as in the People pane
    People {
        /// How to rank them
        #[arg(long, value_enum, default_value = "mentions")]
        sort: PeopleSort,
        /// How many to list
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, value_enum, default_value = "table")]
        format: StatsFormat,
    },
    /// One person: show them; tag, note, link their handles
    Person {
        #[command(subcommand)]
        action: people::PersonAction,
    },
    /// Write the report for people who never open a terminal: one self-contained HTML file (or
    /// Markdown for chat and mail) with the span's figures against the span before, day by day,
    /// the sentiment and intents, when mentions come and when we are quick, the busiest people and
    /// stories, and the mentions to know about
    Report {
        /// The last 7 days, today included (the default)
        #[arg(long, conflicts_with_all = ["month", "since"])]
        week: bool,
        /// The last 30 days
        #[arg(long, conflicts_with = "since")]
        month: bool,
        /// From this day to today
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        since: Option<NaiveDate>,
        /// Also split the figures by feed, operator or tag
        #[arg(long, value_enum)]
        by: Option<crate::stats::GroupBy>,
        /// Where to write it (`-`: standard output) [default: standard output for md and json; html needs a file]
        #[arg(long, short, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
        #[arg(long, value_enum, default_value = "html")]
        format: ReportFormat,
        /// The team's name, in the title ("Acme support")
        #[arg(long, value_name = "NAME")]
        title: Option<String>,
        /// The time zone days are counted in (e.g. Europe/Berlin) [default: the system's]
        #[arg(long, value_name = "ZONE")]
        tz: Option<String>,
        /// The first-response target (e.g. 1h) [default: [stats] sla in the config]
        #[arg(long, value_name = "DURATION")]
        sla: Option<String>,
        /// Only mentions matching this query (the search language), e.g. `-is:noise`
        #[arg(long, value_name = "QUERY", allow_hyphen_values = true)]
        filter: Option<String>,
    },
    /// The thread around a mention (what it answers, and the replies under it), asked of its
    /// source (Mastodon, Bluesky, Hacker News, Reddit, Discourse, GitHub) and kept for the console
    Thread {
        /// The mention's id (the `id` field of `overhear export`)
        id: i64,
        /// Print the thread as last fetched, without asking the source
        #[arg(long)]
        cached: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// One self-contained page: inline CSS and SVG charts, no script
    Html,
    /// Markdown, for chat and mail
    Md,
    /// The report's figures as JSON, for other tools
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PeopleSort {
    /// Most mentions first
    Mentions,
    /// Largest reach first
    Reach,
    /// Most engagement first
    Engagement,
    /// Most negative on average first (two mentions at least)
    Negative,
    /// Whose recent mood fell furthest below their usual one first (three mentions at least)
    Souring,
}

impl From<PeopleSort> for crate::store::PeopleOrder {
    fn from(s: PeopleSort) -> Self {
        match s {
            PeopleSort::Mentions => crate::store::PeopleOrder::Mentions,
            PeopleSort::Reach => crate::store::PeopleOrder::Reach,
            PeopleSort::Engagement => crate::store::PeopleOrder::Engagement,
            PeopleSort::Negative => crate::store::PeopleOrder::Negative,
            PeopleSort::Souring => crate::store::PeopleOrder::Souring,
        }
    }
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

#[derive(Subcommand, Debug)]
pub enum RuleAction {
    /// Run a rule's query over all stored history and say how many mentions it would have
    /// matched, by feed and by week, with the newest ten: try a rule before turning it on
    Test {
        /// A rule of the config, by name
        name: Option<String>,
        /// Or a query given here, in the search language
        #[arg(long, value_name = "QUERY", conflicts_with = "name", allow_hyphen_values = true)]
        when: Option<String>,
        /// Only mentions from this day on (YYYY-MM-DD)
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
        since: Option<DateTime<Utc>>,
        #[arg(long, value_enum, default_value = "table")]
        format: StatsFormat,
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
    paths::private_files();
    if let Ok(log) = paths::log_file() {
        logging::init(&log);
    }
    crate::poller::isolate::install_hook();
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            // An error may quote a server or a file: sanitised before it reaches the terminal.
            let shown = crate::text::sanitize(&format!("{e:#}"));
            tracing::error!("{shown}");
            eprintln!("overhear: {shown}");
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
    let mut config = Config::load(&path)?;
    if let Some(op) = &cli.operator {
        let op = op.trim();
        if op.is_empty() || op.chars().any(char::is_control) {
            bail!("--operator must be a name, not {op:?}");
        }
        if config.team.unix_names_only && op != config.operator {
            bail!(
                "this team records actions under each person's Unix user ([team] operator_names = \"unix\" in {}): \
                 --operator {op} is not allowed; you are {}",
                config.path.display(),
                config.operator
            );
        }
        config.operator = op.to_string();
    }
    for w in &config.warnings {
        tracing::warn!("{w}");
        eprintln!("overhear: warning: {}", crate::text::sanitize_line(w));
    }
    Ok(config)
}

/// How long the check of the database at open may take: a small database is checked whole, a large
/// one in part (its header and schema always). The console checks the whole file in the background
/// after its first frame; `doctor` checks it whole. A command's cost must not grow with the history.
pub(crate) const CHECK_BUDGET: std::time::Duration = std::time::Duration::from_millis(20);

/// The database, opened and checked: damage is an error that says what to do.
pub(crate) fn open_store(cli: &Cli) -> Result<Store> {
    Ok(database(cli)?.open_checked(CHECK_BUDGET)?)
}

/// The database: `--db` (or `OVERHEAR_DB`), else `database` in the config, else the default file;
/// a `postgres://` URL names a server, its password from `--password-env` (or `password_env` in
/// the config), the URL, `PGPASSWORD` or `~/.pgpass`. A file in a setgid directory is a team's:
/// its files are created group-writable.
pub(crate) fn database(cli: &Cli) -> Result<crate::store::Location> {
    let at = crate::store::Location::of(&db_location(cli)?, password_env(cli)?.as_deref());
    if let Some(path) = at.file() {
        paths::team_files(path);
    }
    Ok(at)
}

/// `--password-env`, else `password_env` in the config.
fn password_env(cli: &Cli) -> Result<Option<String>> {
    if let Some(var) = &cli.password_env {
        return Ok(Some(var.clone()));
    }
    let path = match &cli.config {
        Some(p) => p.clone(),
        None => paths::default_config()?,
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    Ok(config::password_env_of(&path, &text)?)
}

/// Where the database is, a file or a `postgres://` URL: `--db` (or `OVERHEAR_DB`), else
/// `database` in the config, else the default file.
pub(crate) fn db_location(cli: &Cli) -> Result<PathBuf> {
    Ok(match &cli.db {
        Some(p) => p.clone(),
        None => match configured_database(cli)? {
            Some(p) => p,
            None => paths::default_db()?,
        },
    })
}

/// `database = "…"` in the config file, if it is set (read on its own, so a command that needs
/// nothing else from the config works while another part of it is being fixed).
fn configured_database(cli: &Cli) -> Result<Option<PathBuf>> {
    let path = match &cli.config {
        Some(p) => p.clone(),
        None => paths::default_config()?,
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    Ok(config::database_of(&path, &text)?)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Who a command acts as, for commands that work without the rest of the config: `--operator`,
/// else the config's operator when it loads, else the Unix user.
fn operator(cli: &Cli) -> String {
    match &cli.operator {
        Some(o) => o.clone(),
        None => load_config(cli).map_or_else(|_| crate::team::unix_user(), |c| c.operator),
    }
}

/// `overhear export`: every mention, or those since a day or matching a query, oldest first.
fn export(cli: &Cli, format: Format, since: Option<DateTime<Utc>>, filter: Option<&str>) -> Result<ExitCode> {
    let query = filter_arg(filter)?;
    // Whose `@me` and `unread`: the configured operator, when a query needs one.
    let operator = if query.is_empty() && cli.operator.is_none() {
        String::new()
    } else {
        operator(cli)
    };
    let store = open_store(cli)?;
    let filter = ExportFilter { since, query, operator };
    // The config's weights for the priority's reasons; the defaults without a config.
    let weights = load_config(cli)
        .map(|c| c.poller.scorer.weights.clone())
        .unwrap_or_default();
    let n = export::export(&store, &filter, format, &weights, std::io::stdout().lock())?;
    tracing::info!(rows = n, "exported");
    Ok(ExitCode::SUCCESS)
}

/// A `--filter` query, or everything.
fn filter_arg(filter: Option<&str>) -> Result<crate::query::StreamFilter> {
    match filter {
        Some(q) => crate::query::StreamFilter::parse(q, Utc::now()).map_err(|e| anyhow::anyhow!("--filter {q:?}: {e}")),
        None => Ok(Default::default()),
    }
}

/// `overhear stats`: the figures per day, or (`--accuracy`) the model's agreement with operators.
fn stats(cli: &Cli, verb: &Verb) -> Result<ExitCode> {
    let Verb::Stats {
        days,
        since,
        by,
        format,
        tz,
        sla,
        filter,
        accuracy,
        own,
    } = verb
    else {
        unreachable!("called for `overhear stats`")
    };
    if *accuracy {
        return print::accuracy(&open_store(cli)?, *since, *format);
    }
    if *own {
        let now = Utc::now();
        let from = match since {
            Some(d) => d.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
            None => now - chrono::Duration::days(i64::from((*days).max(1))),
        };
        return print::own(&open_store(cli)?, from, now, *format);
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
        Some(s) => Some(config::parse_duration(s).map_err(anyhow::Error::msg)?),
        None => config.sla,
    };
    let store = open_store(cli)?;
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
        filter,
        now,
    };
    let rows = store.stats(&q)?;
    print::stats(&rows, *format, sla)?;
    Ok(ExitCode::SUCCESS)
}

/// `overhear alerts --ack ID…`.
fn ack_alerts(cli: &Cli, ack: &[i64]) -> Result<ExitCode> {
    let operator = operator(cli);
    let mut store = open_store(cli)?;
    let mut code = ExitCode::SUCCESS;
    for id in ack {
        if store.acknowledge_alert(*id, &operator, Utc::now())? {
            println!("alert {id} seen by {operator}");
        } else {
            eprintln!("overhear: alert {id}: no such alert, or it was seen already");
            code = ExitCode::FAILURE;
        }
    }
    Ok(code)
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Some(Verb::Demo { report: None }) => {
            demo::open()?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Verb::Demo { report: Some(out) }) => report::demo(out),
        None => {
            let config = load_config(&cli)?;
            let store = open_store(&cli)?;
            console::open(config, store)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Verb::Poll { once, force }) => poll::poll(&cli, *once, *force),
        Some(Verb::Export { format, since, filter }) => export(&cli, *format, *since, filter.as_deref()),
        Some(Verb::Feed {
            action: FeedAction::Test { name, feed },
        }) => poll::feed_test(&cli, name.as_deref(), feed.as_deref()),
        Some(Verb::Reply { id, text_file, force }) => answer::reply(&cli, *id, text_file, *force),
        Some(Verb::Mark { id, status }) => answer::mark(&cli, *id, status),
        Some(Verb::Correct { id, words }) => answer::correct(&cli, *id, words),
        Some(v @ Verb::Stats { .. }) => stats(&cli, v),
        Some(Verb::Doctor) => doctor::doctor(&cli),
        Some(Verb::Migrate { from, to, batch }) => migrate::migrate(from, to, password_env(&cli)?.as_deref(), *batch),
        Some(Verb::Alerts { since, format, ack }) if ack.is_empty() => {
            let store = open_store(&cli)?;
            print::alerts(&store.alerts(0, *since, usize::MAX >> 1)?, *format)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Verb::Alerts { ack, .. }) => ack_alerts(&cli, ack),
        Some(Verb::Rule {
            action:
                RuleAction::Test {
                    name,
                    when,
                    since,
                    format,
                },
        }) => print::rule_test(&cli, name.as_deref(), when.as_deref(), *since, *format),
        Some(Verb::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "overhear", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Some(Verb::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Verb::People { sort, limit, format }) => people::people(&cli, (*sort).into(), *limit, *format),
        Some(Verb::Person { action }) => people::person(&cli, action),
        Some(Verb::Thread { id, cached }) => thread::thread(&cli, *id, *cached),
        Some(v @ Verb::Report { .. }) => report::report(&cli, v),
        Some(Verb::Feeds) => {
            let config = load_config(&cli)?;
            let store = open_store(&cli)?;
            print::feeds(&config, &store)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
