//! `overhear reply` and `overhear mark`: answering and triage from scripts, through the same
//! outbox and store calls the console uses.

use super::{Cli, db_path, load_config, runtime};
use crate::model::Status;
use crate::net;
use crate::outbox::{self, Delivery, Outbox, SendError};
use crate::store::{Change, Sent, Store};
use anyhow::{Context, Result};
use chrono::Utc;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

/// Answer mention `id` with the text in `text_file` (`-` for standard input).
pub fn reply(cli: &Cli, id: i64, text_file: &Path) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let operator = config.operator.clone();
    let mut text = String::new();
    if text_file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the reply from standard input")?;
    } else {
        text = std::fs::read_to_string(text_file).with_context(|| format!("cannot read {}", text_file.display()))?;
    }
    let text = crate::text::sanitize(&text).trim().to_string();
    let db = db_path(cli)?;
    let mut store = Store::open_checked(&db, super::CHECK_BUDGET)?;
    let mention = store
        .mention(&operator, id)?
        .with_context(|| format!("no mention with id {id}"))?;
    let feed = config.feeds.iter().find(|f| f.name == mention.feed);
    match outbox::prepare(feed, &mention, &text)? {
        Delivery::HandOff(why) => {
            store.record_response(id, &text, &Sent::default(), &operator, Utc::now())?;
            println!(
                "recorded as answered by hand ({why}); mention {id} marked responded{}",
                mention.url.map(|u| format!(". Its link: {u}")).unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        delivery => {
            let feed = feed.context("an API delivery has a feed")?;
            drop(store);
            let client = net::Client::new(&config.poller.net)?;
            let outbox = Outbox::new(client, &db);
            match runtime()?.block_on(outbox.send(feed, id, &delivery, &text, &operator)) {
                Ok(sent) => {
                    println!(
                        "sent; mention {id} marked responded{}",
                        sent.url.map(|u| format!(": {u}")).unwrap_or_default()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e @ (SendError::InFlight | SendError::NotRecorded(_) | SendError::Store(_))) => {
                    Err(anyhow::Error::new(e).context(format!("mention {id}")))
                }
                Err(e) => {
                    eprintln!("overhear: not sent: {e}. The draft is kept.");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

/// Set mention `id`'s status as the configured operator.
pub fn mark(cli: &Cli, id: i64, status: &str) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let mut store = super::open_store(cli)?;
    store
        .mention(&config.operator, id)?
        .with_context(|| format!("no mention with id {id}"))?;
    let status: Status = status.parse().map_err(anyhow::Error::msg)?;
    let applied = store.apply(&[id], &Change::Status(status), &config.operator, Utc::now())?;
    if applied.changed == 0 {
        println!("mention {id} was already {status}");
    } else {
        println!("mention {id} marked {status} by {}", config.operator);
    }
    Ok(ExitCode::SUCCESS)
}
