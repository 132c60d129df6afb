//! `overhear reply` and `overhear mark`: answering and triage from scripts, through the same
//! outbox and store calls the console uses.

use super::{Cli, load_config, runtime};
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
/// Exit code of a reply refused because a teammate answered, ignored or is answering the mention.
const REFUSED: u8 = 3;

pub fn reply(cli: &Cli, id: i64, text_file: &Path, force: bool) -> Result<ExitCode> {
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
    let db = super::database(cli)?;
    let mut store = db.open_checked(super::CHECK_BUDGET)?;
    let mention = store
        .mention(&operator, id)?
        .with_context(|| format!("no mention with id {id}"))?;
    if !force && let Some(why) = refusal(&store, &mention, &operator)? {
        eprintln!("overhear: not sent: {why}. Nothing was changed; --force answers anyway.");
        return Ok(ExitCode::from(REFUSED));
    }
    // The send guard's baseline: a teammate's answer landing from now on stops the send.
    let seen_action = store.latest_action(id)?;
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
        _ if config.team.needs_approval(&operator) => {
            match store.submit_for_approval(id, &text, &operator, seen_action, Utc::now())? {
                crate::store::Begin::Started => {
                    println!(
                        "submitted for approval by {}: an approver sends it from the console's Drafts pane",
                        config.team.approvers.join(", ")
                    );
                    Ok(ExitCode::SUCCESS)
                }
                crate::store::Begin::InFlight => {
                    eprintln!("overhear: mention {id}: a reply to it is being sent already");
                    Ok(ExitCode::from(REFUSED))
                }
                crate::store::Begin::Overtaken(other) => {
                    eprintln!("overhear: {}", SendError::Overtaken(other));
                    Ok(ExitCode::from(REFUSED))
                }
            }
        }
        delivery => {
            let feed = feed.context("an API delivery has a feed")?;
            drop(store);
            let client = net::Client::new(&config.poller.net)?;
            let outbox = Outbox::new(client, &db);
            match runtime()?.block_on(outbox.send(feed, id, &delivery, &text, &operator, seen_action)) {
                Ok(sent) => {
                    println!(
                        "sent; mention {id} marked responded{}",
                        sent.url.map(|u| format!(": {u}")).unwrap_or_default()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e @ SendError::Overtaken(_)) => {
                    eprintln!("overhear: {e}");
                    Ok(ExitCode::from(REFUSED))
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

/// Why a reply to `mention` by `operator` should not go without `--force`: it is answered or
/// ignored already, or a teammate is drafting an answer to it now.
fn refusal(store: &Store, mention: &crate::model::Mention, operator: &str) -> Result<Option<String>> {
    let clean = crate::text::sanitize_line;
    let when = |t: Option<chrono::DateTime<Utc>>| {
        t.map(|t| format!(" at {}", t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M")))
            .unwrap_or_default()
    };
    let id = mention.id;
    match mention.status {
        Status::Responded => {
            let by = mention
                .responded_by
                .as_deref()
                .map(clean)
                .unwrap_or_else(|| "someone".into());
            let text = mention
                .response_text
                .as_deref()
                .map(|t| format!(": “{}”", clean(t)))
                .unwrap_or_default();
            return Ok(Some(format!(
                "mention {id} was already answered by {by}{}{text}",
                when(mention.responded_at)
            )));
        }
        Status::Ignored => return Ok(Some(format!("mention {id} was ignored"))),
        _ => {}
    }
    let claims = store.claims_on(id, operator, Utc::now())?;
    if !claims.is_empty() {
        return Ok(Some(format!(
            "{} {} drafting an answer to mention {id} in the console now",
            clean(&claims.join(", ")),
            if claims.len() == 1 { "is" } else { "are" }
        )));
    }
    Ok(None)
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

/// `overhear correct ID WORDS…`: an operator's correction of the model, as `c` in the console.
pub fn correct(cli: &Cli, id: i64, words: &[String]) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let mut store = super::open_store(cli)?;
    store.set_weights(config.poller.scorer.weights.clone());
    store
        .mention(&config.operator, id)?
        .with_context(|| format!("no mention with id {id}"))?;
    let j = crate::store::Judgement::parse(&words.join(" ")).map_err(anyhow::Error::msg)?;
    let applied = store.apply(&[id], &Change::Judge(j), &config.operator, Utc::now())?;
    if applied.changed == 0 {
        println!("mention {id} was judged so already");
    } else {
        println!("mention {id} corrected by {}: {}", config.operator, j.describe());
    }
    Ok(ExitCode::SUCCESS)
}
