//! `overhear export`: the stored mentions as JSON Lines or CSV, oldest first, streamed row by row.

use crate::model::Mention;
use crate::score::priority::Weights;
use crate::store::{ExportFilter, Store};
use chrono::SecondsFormat;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

#[derive(Serialize)]
struct Row<'a> {
    id: i64,
    feed: &'a str,
    kind: &'a str,
    external_id: &'a str,
    url: Option<&'a str>,
    author: Option<&'a str>,
    author_reach: Option<i64>,
    title: Option<&'a str>,
    text: &'a str,
    published_at: Option<String>,
    first_seen_at: String,
    engagement: &'a crate::model::Engagement,
    status: &'a str,
    assignee: Option<&'a str>,
    responded_at: Option<String>,
    responded_by: Option<&'a str>,
    response_text: Option<&'a str>,
    response_url: Option<&'a str>,
    lang: Option<&'a str>,
    sentiment: Option<Feeling>,
    intent: Vec<String>,
    /// The base priority, 0–100, before it decays with age.
    priority: f64,
    priority_reasons: Vec<String>,
    /// The tags operators gave its author (`vip`, `detractor`, …).
    person_tags: &'a [String],
    /// Signs of spam or a bot: `duplicate`, `burst`, `link-only`.
    noise: Vec<String>,
    /// Its story (the id of the story's first mention) and conversation (of its first message).
    group_id: i64,
    conversation_id: Option<i64>,
}

/// `{"label": "negative", "score": -0.62}`.
#[derive(Serialize)]
struct Feeling {
    label: String,
    score: f64,
}

fn feeling(score: Option<f64>) -> Option<Feeling> {
    score.map(|s| Feeling {
        label: crate::score::Label::of(s).to_string(),
        score: (s * 1000.0).round() / 1000.0,
    })
}

fn row<'a>(m: &'a Mention, weights: &Weights) -> Row<'a> {
    Row {
        id: m.id,
        feed: &m.feed,
        kind: m.kind.as_str(),
        external_id: &m.external_id,
        url: m.url.as_deref(),
        author: m.author.as_deref(),
        author_reach: m.author_reach,
        title: m.title.as_deref(),
        text: &m.text,
        published_at: m.published_at.map(rfc3339),
        first_seen_at: rfc3339(m.first_seen_at),
        engagement: &m.engagement,
        status: m.status.as_str(),
        assignee: m.assignee.as_deref(),
        responded_at: m.responded_at.map(rfc3339),
        responded_by: m.responded_by.as_deref(),
        response_text: m.response_text.as_deref(),
        response_url: m.response_url.as_deref(),
        lang: m.lang.as_deref(),
        sentiment: feeling(m.sentiment),
        intent: intents(m),
        priority: (m.priority * 10.0).round() / 10.0,
        priority_reasons: priority_reasons(m, weights),
        person_tags: &m.person_tags,
        noise: noise(m),
        group_id: m.group_id,
        conversation_id: m.conversation_id,
    }
}

/// What made a mention's priority, with the config's weights.
fn priority_reasons(m: &Mention, weights: &Weights) -> Vec<String> {
    weights
        .priority(crate::score::priority::Inputs {
            person: crate::score::priority::Marks::of(&m.person_tags),
            reach: m.author_reach,
            engagement: &m.engagement,
            sentiment: m.sentiment.unwrap_or(0.0),
            intents: m.intents,
        })
        .reasons
}

fn noise(m: &Mention) -> Vec<String> {
    crate::score::noise::Noise::list(m.noise)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn intents(m: &Mention) -> Vec<String> {
    m.intents.list().iter().map(ToString::to_string).collect()
}

const CSV_HEADER: [&str; 33] = [
    "id",
    "feed",
    "kind",
    "external_id",
    "url",
    "author",
    "author_reach",
    "title",
    "text",
    "published_at",
    "first_seen_at",
    "engagement_score",
    "engagement_likes",
    "engagement_reposts",
    "engagement_replies",
    "engagement_quotes",
    "engagement_views",
    "status",
    "assignee",
    "responded_at",
    "responded_by",
    "response_text",
    "response_url",
    "lang",
    "sentiment_label",
    "sentiment_score",
    "intent",
    "priority",
    "priority_reasons",
    "person_tags",
    "noise",
    "group_id",
    "conversation_id",
];

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn opt_num(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

/// Write every mention matching `filter` to `out`. Returns how many were written.
pub fn export(
    store: &Store,
    filter: &ExportFilter,
    format: Format,
    weights: &Weights,
    out: impl Write,
) -> anyhow::Result<u64> {
    let mut count = 0u64;
    match format {
        Format::Jsonl => {
            let mut out = std::io::BufWriter::new(out);
            store.for_each_mention(filter, |m: Mention| {
                let row = row(&m, weights);
                serde_json::to_writer(&mut out, &row)?;
                out.write_all(b"\n")?;
                count += 1;
                Ok(())
            })??;
            out.flush()?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(CSV_HEADER)?;
            store.for_each_mention(filter, |m: Mention| {
                let e = &m.engagement;
                let feeling = feeling(m.sentiment);
                let intent = intents(&m).join(",");
                let reasons = priority_reasons(&m, weights).join(", ");
                let person_tags = m.person_tags.join(" ");
                let signs = noise(&m).join(",");
                // A stranger's text never runs as a spreadsheet formula.
                w.write_record(crate::text::csv_record([
                    m.id.to_string(),
                    m.feed,
                    m.kind.to_string(),
                    m.external_id,
                    m.url.unwrap_or_default(),
                    m.author.unwrap_or_default(),
                    opt_num(m.author_reach),
                    m.title.unwrap_or_default(),
                    m.text,
                    m.published_at.map(rfc3339).unwrap_or_default(),
                    rfc3339(m.first_seen_at),
                    opt_num(e.score),
                    opt_num(e.likes),
                    opt_num(e.reposts),
                    opt_num(e.replies),
                    opt_num(e.quotes),
                    opt_num(e.views),
                    m.status.as_str().to_string(),
                    m.assignee.unwrap_or_default(),
                    m.responded_at.map(rfc3339).unwrap_or_default(),
                    m.responded_by.unwrap_or_default(),
                    m.response_text.unwrap_or_default(),
                    m.response_url.unwrap_or_default(),
                    m.lang.unwrap_or_default(),
                    feeling.as_ref().map(|f| f.label.clone()).unwrap_or_default(),
                    feeling.as_ref().map(|f| f.score.to_string()).unwrap_or_default(),
                    intent,
                    ((m.priority * 10.0).round() / 10.0).to_string(),
                    reasons,
                    person_tags,
                    signs,
                    m.group_id.to_string(),
                    opt_num(m.conversation_id),
                ]))
                .map_err(std::io::Error::other)?;
                count += 1;
                Ok(())
            })??;
            w.flush()?;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CSV carries every field JSON Lines does (engagement flattened into columns).
    #[test]
    fn csv_has_a_column_for_every_json_field() {
        let e = crate::model::Engagement {
            score: Some(1),
            likes: Some(2),
            reposts: Some(3),
            replies: Some(4),
            quotes: Some(5),
            views: Some(6),
        };
        let row = Row {
            id: 1,
            feed: "f",
            kind: "rss",
            external_id: "x",
            url: Some("u"),
            author: Some("a"),
            author_reach: Some(1),
            title: Some("t"),
            text: "t",
            published_at: Some("p".into()),
            first_seen_at: "f".into(),
            engagement: &e,
            status: "new",
            assignee: Some("a"),
            responded_at: Some("r".into()),
            responded_by: Some("b"),
            response_text: Some("t"),
            response_url: Some("u"),
            lang: Some("en"),
            sentiment: feeling(Some(-0.5)),
            intent: vec!["complaint".into()],
            priority: 40.0,
            priority_reasons: vec!["negative".into()],
            person_tags: &["vip".to_string()],
            noise: vec!["duplicate".into()],
            group_id: 1,
            conversation_id: Some(1),
        };
        let v = serde_json::to_value(&row).unwrap();
        for (k, val) in v.as_object().unwrap() {
            if k == "engagement" || k == "sentiment" {
                for ek in val.as_object().unwrap().keys() {
                    let col = format!("{k}_{ek}");
                    assert!(CSV_HEADER.contains(&col.as_str()), "CSV lacks {col}");
                }
            } else {
                assert!(CSV_HEADER.contains(&k.as_str()), "CSV lacks {k}");
            }
        }
    }
}
