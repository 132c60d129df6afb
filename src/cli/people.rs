//! `overhear people` (authors ranked as in the People pane) and `overhear person` (one person:
//! show, tag, note, link handles).

use super::{Cli, StatsFormat, open_store, operator};
use crate::store::{PeopleOrder, PersonRow, Store};
use anyhow::{Result, bail};
use chrono::Utc;
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum PersonAction {
    /// Everything known of a person: handles, tags, notes, their mentions and our answers
    Show {
        /// `kind:handle` (bluesky:jane.example), a handle, or `#ID` from `overhear people`
        who: String,
        #[arg(long, value_enum, default_value = "table")]
        format: StatsFormat,
    },
    /// Tag a person (vip and detractor weigh in their mentions' priority)
    Tag {
        who: String,
        #[arg(required = true)]
        tags: Vec<String>,
    },
    /// Take tags off a person
    Untag {
        who: String,
        #[arg(required = true)]
        tags: Vec<String>,
    },
    /// Add a note, shown on every mention of theirs
    Note { who: String, text: String },
    /// Say that another handle is the same person (never done automatically)
    Link { who: String, other: String },
    /// Make a linked handle a person of its own again
    Unlink { handle: String },
}

/// One person, as `overhear people --format json` prints them.
#[derive(Serialize)]
struct PersonJson<'a> {
    id: i64,
    name: String,
    /// The first handle's service and handle.
    kind: &'a str,
    handle: &'a str,
    handles: Vec<HandleJson<'a>>,
    mentions: i64,
    reach: Option<i64>,
    engagement: i64,
    /// The mean sentiment of their mentions (VADER's compound score).
    sentiment: Option<f64>,
    /// The last 30 days' mean less the whole mean.
    sentiment_trend: Option<f64>,
    tags: &'a [String],
    notes: Vec<NoteJson<'a>>,
    first_seen: String,
    last_seen: String,
}

#[derive(Serialize)]
struct HandleJson<'a> {
    kind: &'a str,
    handle: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    site: &'a str,
    display_name: Option<&'a str>,
    reach: Option<i64>,
}

#[derive(Serialize)]
struct NoteJson<'a> {
    author: &'a str,
    body: &'a str,
    at: String,
}

fn json(p: &PersonRow) -> PersonJson<'_> {
    let first = p.handles.first();
    PersonJson {
        id: p.id,
        name: p.name(),
        kind: first.map_or("", |h| h.kind.as_str()),
        handle: first.map_or("", |h| h.handle.as_str()),
        handles: p
            .handles
            .iter()
            .map(|h| HandleJson {
                kind: h.kind.as_str(),
                handle: &h.handle,
                site: &h.scope,
                display_name: h.display_name.as_deref(),
                reach: h.reach,
            })
            .collect(),
        mentions: p.mentions,
        reach: p.reach,
        engagement: p.engagement,
        sentiment: p.sentiment.map(|s| (s * 1000.0).round() / 1000.0),
        sentiment_trend: p.trend.map(|s| (s * 1000.0).round() / 1000.0),
        tags: &p.tags,
        notes: p
            .notes
            .iter()
            .map(|n| NoteJson {
                author: &n.author,
                body: &n.body,
                at: n.at.to_rfc3339(),
            })
            .collect(),
        first_seen: p.first_seen.to_rfc3339(),
        last_seen: p.last_seen.to_rfc3339(),
    }
}

/// `overhear people`.
pub fn people(cli: &Cli, sort: PeopleOrder, limit: usize, format: StatsFormat) -> Result<ExitCode> {
    let store = open_store(cli)?;
    let rows = store.people(sort, limit)?;
    let mut out = std::io::stdout().lock();
    let clean = crate::text::sanitize_line;
    match format {
        StatsFormat::Json => writeln!(
            out,
            "{}",
            serde_json::to_string(&rows.iter().map(json).collect::<Vec<_>>())?
        )?,
        StatsFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "id",
                "name",
                "kind",
                "handle",
                "mentions",
                "reach",
                "engagement",
                "sentiment",
                "tags",
                "notes",
            ])?;
            for p in &rows {
                let j = json(p);
                w.write_record(crate::text::csv_record([
                    p.id.to_string(),
                    clean(&j.name),
                    j.kind.to_string(),
                    clean(j.handle),
                    p.mentions.to_string(),
                    p.reach.map(|r| r.to_string()).unwrap_or_default(),
                    p.engagement.to_string(),
                    j.sentiment.map(|s| s.to_string()).unwrap_or_default(),
                    p.tags.join(" "),
                    p.notes.iter().map(|n| clean(&n.body)).collect::<Vec<_>>().join(" | "),
                ]))?;
            }
            w.flush()?;
        }
        StatsFormat::Table => {
            if rows.is_empty() {
                writeln!(out, "nobody yet: people appear as mentions with an author arrive")?;
                return Ok(ExitCode::SUCCESS);
            }
            writeln!(
                out,
                "{:>6}  {:<24} {:<32} {:>8} {:>8} {:>8} {:>6}  tags",
                "id", "name", "handle", "mentions", "reach", "engaged", "mood"
            )?;
            for p in &rows {
                let j = json(p);
                let mut handle = p.handles.first().map(|h| h.label()).unwrap_or_default();
                if p.handles.len() > 1 {
                    handle.push_str(&format!(" +{}", p.handles.len() - 1));
                }
                writeln!(
                    out,
                    "{:>6}  {:<24} {:<32} {:>8} {:>8} {:>8} {:>6}  {}",
                    format!("#{}", p.id),
                    crate::text::truncate_to_width(&clean(&j.name), 24),
                    crate::text::truncate_to_width(&clean(&handle), 32),
                    p.mentions,
                    p.reach.map(|r| r.to_string()).unwrap_or_else(|| "—".into()),
                    p.engagement,
                    j.sentiment.map(|s| format!("{s:+.2}")).unwrap_or_else(|| "—".into()),
                    p.tags.join(" ")
                )?;
                for n in &p.notes {
                    writeln!(out, "{:>6}  ✎ {}: {}", "", clean(&n.author), clean(&n.body))?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The person a user names: `#ID`, `kind:handle` or a handle matching exactly one.
fn resolve(store: &Store, who: &str) -> Result<(i64, Option<i64>)> {
    if let Some(id) = who.strip_prefix('#').and_then(|n| n.parse::<i64>().ok()) {
        if store.person_row(id)?.is_none() {
            bail!("there is no person #{id} (see `overhear people`)");
        }
        return Ok((id, None));
    }
    let found = store.find_handles(who)?;
    match found.as_slice() {
        [] => bail!(
            "no handle {:?} is known: name it as kind:handle (bluesky:jane.example), or #ID from `overhear people`",
            crate::text::sanitize_line(who)
        ),
        [(h, person)] => Ok((*person, Some(h.id))),
        many => bail!(
            "{:?} is more than one handle: {}; name one as kind:handle",
            crate::text::sanitize_line(who),
            many.iter().map(|(h, _)| h.label()).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// `overhear person …`.
pub fn person(cli: &Cli, action: &PersonAction) -> Result<ExitCode> {
    let mut store = open_store(cli)?;
    // The config's priority weights for the mentions a tag or a link weighs again; the defaults
    // without a config.
    if let Ok(config) = super::load_config(cli) {
        store.set_weights(config.poller.scorer.weights.clone());
    }
    let clean = crate::text::sanitize_line;
    match action {
        PersonAction::Show { who, format } => {
            let (id, _) = resolve(&store, who)?;
            let Some(card) = store.person_card(id)? else {
                bail!("there is no person #{id}");
            };
            show(&card, *format)?;
        }
        PersonAction::Tag { who, tags } | PersonAction::Untag { who, tags } => {
            let (id, _) = resolve(&store, who)?;
            let adding = matches!(action, PersonAction::Tag { .. });
            for tag in tags {
                let changed = if adding {
                    store.tag_person(id, tag)?
                } else {
                    store.untag_person(id, tag)?
                };
                match (adding, changed) {
                    (true, true) => println!("#{id} tagged {}", clean(tag)),
                    (true, false) => println!("#{id} was tagged {} already", clean(tag)),
                    (false, true) => println!("#{id}: tag {} removed", clean(tag)),
                    (false, false) => println!("#{id} has no tag {}", clean(tag)),
                }
            }
        }
        PersonAction::Note { who, text } => {
            let (id, _) = resolve(&store, who)?;
            store.note_person(id, &operator(cli), text, Utc::now())?;
            println!("#{id} noted");
        }
        PersonAction::Link { who, other } => {
            let (into, _) = resolve(&store, who)?;
            let (from, handle) = resolve(&store, other)?;
            let Some(handle) = handle else {
                bail!("name the other one by its handle (kind:handle), not by #ID");
            };
            if from == into {
                println!("already one person: #{into}");
            } else {
                store.link_handle(into, handle)?;
                println!("#{into} and {} are one person now", clean(other));
            }
        }
        PersonAction::Unlink { handle } => {
            let (_, Some(author)) = resolve(&store, handle)? else {
                bail!("name the handle to unlink as kind:handle");
            };
            match store.unlink_handle(author)? {
                Some(id) => println!("{} is a person of its own again: #{id}", clean(handle)),
                None => println!("{} is linked to no other handle", clean(handle)),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show(card: &crate::store::PersonCard, format: StatsFormat) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let clean = crate::text::sanitize_line;
    if format == StatsFormat::Json {
        #[derive(Serialize)]
        struct Shown<'a> {
            #[serde(flatten)]
            person: PersonJson<'a>,
            answered: i64,
            median_response_secs: Option<i64>,
            mention_ids: Vec<i64>,
        }
        let shown = Shown {
            person: json(&card.person),
            answered: card.answered,
            median_response_secs: card.median_response_secs,
            mention_ids: card.mentions.iter().map(|m| m.id).collect(),
        };
        writeln!(out, "{}", serde_json::to_string(&shown)?)?;
        return Ok(());
    }
    let p = &card.person;
    writeln!(out, "#{} {}  {}", p.id, clean(&p.name()), p.tags.join(" "))?;
    for h in &p.handles {
        writeln!(
            out,
            "  {}{}",
            clean(&h.label()),
            h.reach.map(|r| format!(" (reach {r})")).unwrap_or_default()
        )?;
    }
    writeln!(
        out,
        "{} mentions, {} answered{}",
        p.mentions,
        card.answered,
        card.median_response_secs
            .map(|s| format!(
                ", median first response {}",
                crate::timefmt::wait(std::time::Duration::from_secs(s as u64))
            ))
            .unwrap_or_default()
    )?;
    for n in &p.notes {
        writeln!(
            out,
            "✎ {} ({}): {}",
            clean(&n.author),
            n.at.format("%Y-%m-%d"),
            clean(&n.body)
        )?;
    }
    for m in &card.mentions {
        let said = m.title.as_deref().filter(|t| !t.is_empty()).unwrap_or(&m.text);
        writeln!(
            out,
            "{:>8} {} {:<10} {:<9} {}",
            m.id,
            m.sort_at.format("%Y-%m-%d %H:%M"),
            clean(&m.feed),
            m.status.as_str(),
            crate::text::truncate_to_width(&clean(said), 80)
        )?;
        if let Some(a) = &m.response_text {
            writeln!(
                out,
                "{:>8} ↳ {}: {}",
                "",
                clean(m.responded_by.as_deref().unwrap_or("we")),
                crate::text::truncate_to_width(&clean(a), 80)
            )?;
        }
    }
    Ok(())
}
