//! Any other JSON search API: `url` is the request (its query may hold `{query}`), and the
//! config's `[feed.map]` says where each field is, by JSON pointer. A new source is a config
//! stanza, not a release.

use super::{Ctx, Page, Reply, Request, SourceError, json_body};
use crate::model::JsonMap;
use crate::model::{Engagement, NewMention};
use crate::text;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

pub fn request(ctx: &Ctx<'_>) -> Result<Request, SourceError> {
    let feed = ctx.feed;
    let url = feed
        .url
        .as_ref()
        .ok_or_else(|| SourceError::Request("a json feed needs `url`".into()))?;
    let query: String = url::form_urlencoded::byte_serialize(feed.query.as_deref().unwrap_or("").as_bytes()).collect();
    let filled = url.as_str().replace("%7Bquery%7D", &query).replace("{query}", &query);
    let url = url::Url::parse(&filled).map_err(|e| SourceError::Request(e.to_string()))?;
    let req = Request::get(url).header("accept", "application/json");
    Ok(req.bearer_if(ctx.token))
}

fn at<'a>(item: &'a Value, pointer: &Option<String>) -> Option<&'a Value> {
    pointer.as_deref().and_then(|p| item.pointer(p))
}

fn string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(v: Option<&Value>) -> Option<i64> {
    let v = v?;
    // A fractional number is cut to its whole part (a string of one is no number).
    super::int_of(v).or_else(|| v.as_f64().map(|f| f as i64))
}

fn time(v: Option<&Value>, format: &str) -> Option<DateTime<Utc>> {
    let v = v?;
    match format {
        "unix" => number(Some(v)).and_then(|t| DateTime::from_timestamp(t, 0)),
        "unix_ms" => number(Some(v)).and_then(DateTime::from_timestamp_millis),
        "rfc2822" => DateTime::parse_from_rfc2822(v.as_str()?).ok().map(|d| d.to_utc()),
        "rfc3339" => super::rfc3339(v.as_str()),
        custom => NaiveDateTime::parse_from_str(v.as_str()?, custom)
            .ok()
            .map(|n| n.and_utc()),
    }
}

pub fn parse(ctx: &Ctx<'_>, reply: &Reply<'_>) -> Result<Page, SourceError> {
    let map: &JsonMap = ctx
        .feed
        .map
        .as_ref()
        .ok_or_else(|| SourceError::Request("a json feed needs `map`".into()))?;
    let doc: Value = json_body("the JSON API", reply.body)?;
    let items = doc
        .pointer(&map.items)
        .and_then(Value::as_array)
        .ok_or_else(|| SourceError::Unexpected {
            service: "the JSON API",
            detail: format!(
                "no array at `items` = {:?} (check the pointer, e.g. \"/data/items\")",
                map.items
            ),
        })?;
    let format = map.time_format.as_deref().unwrap_or("rfc3339");
    let mentions: Vec<NewMention> = items
        .iter()
        .map(|item| {
            let body = string(item.pointer(&map.text)).unwrap_or_default();
            let title = string(at(item, &map.title));
            NewMention {
                place: Default::default(),
                facts: None,
                lang: None,
                external_id: string(at(item, &map.id)),
                url: string(at(item, &map.url)),
                author: string(at(item, &map.author)),
                author_ref: None,
                author_name: None,
                author_reach: number(at(item, &map.reach)),
                title: title.map(|t| if map.html { text::strip_tags_inline(&t) } else { t }),
                text: if map.html { text::html_to_text(&body) } else { body },
                published_at: time(at(item, &map.time), format),
                engagement: Engagement {
                    score: number(at(item, &map.score)),
                    likes: number(at(item, &map.likes)),
                    reposts: number(at(item, &map.reposts)),
                    replies: number(at(item, &map.replies)),
                    ..Default::default()
                },
            }
        })
        // An item where the map finds nothing (another shape, a stranger's nonsense) is skipped.
        .filter(|m| m.title.is_some() || m.url.is_some() || !m.text.trim().is_empty())
        .collect();
    let skipped = items.len() - mentions.len();
    Ok(Page {
        mentions,
        skipped,
        notes: (skipped > 0)
            .then(|| super::skipped_note(skipped, ("item", "items"), "where the map found no text, title or link"))
            .into_iter()
            .collect(),
        ..Default::default()
    })
}
