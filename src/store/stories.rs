//! One story seen in many places, grouped as mentions arrive (`score::story` says when two are
//! one story). A mention seen first is its story's lead (`story_id` NULL); one of the same story
//! seen later points at the lead (`story_id`). Leads are what the stream shows; the others are
//! counted beside them ("+3 elsewhere") and follow the lead's triage.

use crate::score::story::{self, StoryKeys};
use rusqlite::{OptionalExtension, Transaction, params};

/// A new mention's story keys, as the write knows them.
pub(super) struct Fresh {
    pub id: i64,
    pub sort_at: i64,
    pub keys: StoryKeys,
}

/// How many stored mentions sharing one key are looked at, newest first.
const PER_KEY: i64 = 8;

/// Group the mentions just written with the stories already stored (and with each other, in the
/// order they were written), then file their keys.
pub(super) fn group(tx: &Transaction<'_>, fresh: &[Fresh], similarity: f64) -> rusqlite::Result<usize> {
    let mut grouped = 0;
    let mut insert = tx.prepare_cached("INSERT OR IGNORE INTO story_keys (key, mention_id) VALUES (?1, ?2)")?;
    let mut set = tx.prepare_cached("UPDATE mentions SET story_id = ?2 WHERE id = ?1")?;
    for f in fresh {
        if let Some(lead) = lead_of(tx, f, similarity)? {
            set.execute(params![f.id, lead])?;
            grouped += 1;
        }
        for k in f.keys.all() {
            insert.execute(params![k, f.id])?;
        }
    }
    Ok(grouped)
}

/// The lead of the story a new mention belongs to, if one is stored: a mention leading to the
/// same page, else one whose title is near-identical, within [`story::WINDOW_SECS`].
fn lead_of(tx: &Transaction<'_>, f: &Fresh, similarity: f64) -> rusqlite::Result<Option<i64>> {
    let mut sharing = tx.prepare_cached(
        "SELECT m.id, coalesce(m.story_id, m.id), m.sort_at, m.title
         FROM story_keys k JOIN mentions m ON m.id = k.mention_id
         WHERE k.key = ?1 AND k.mention_id < ?2
         ORDER BY k.mention_id DESC LIMIT ?3",
    )?;
    let near = |at: i64| (at - f.sort_at).abs() <= story::WINDOW_SECS;
    if let Some(link) = f.keys.link {
        let mut rows = sharing.query(params![link, f.id, PER_KEY])?;
        while let Some(r) = rows.next()? {
            if near(r.get(2)?) {
                return r.get(1).map(Some);
            }
        }
    }
    let Some(bands) = f.keys.bands else { return Ok(None) };
    let mut mine: Option<Vec<u64>> = None;
    let mut seen = Vec::new();
    // The most alike, the earliest lead on a tie.
    let mut best: Option<(f64, i64)> = None;
    for band in bands {
        let mut rows = sharing.query(params![band, f.id, PER_KEY])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            if seen.contains(&id) || !near(r.get(2)?) {
                continue;
            }
            seen.push(id);
            let title: Option<String> = r.get(3)?;
            let mine = match &mine {
                Some(m) => m,
                None => mine.insert(own_pairs(tx, f.id)?),
            };
            let s = story::similarity(mine, &story::pairs(title.as_deref()));
            let lead: i64 = r.get(1)?;
            if s >= similarity && best.is_none_or(|(b, l)| s > b || (s == b && lead < l)) {
                best = Some((s, lead));
            }
        }
    }
    Ok(best.map(|(_, lead)| lead))
}

fn own_pairs(tx: &Transaction<'_>, id: i64) -> rusqlite::Result<Vec<u64>> {
    let title: Option<String> = tx
        .prepare_cached("SELECT title FROM mentions WHERE id = ?1")?
        .query_row([id], |r| r.get(0))?;
    Ok(story::pairs(title.as_deref()))
}

/// At the upgrade (migration 25): the stored mentions of the last [`story::WINDOW_SECS`] are
/// grouped as if they had just arrived, in the order they were stored (older ones stay alone:
/// their stories are over).
pub(super) fn fill(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let since = chrono::Utc::now().timestamp() - story::WINDOW_SECS;
    let fresh: Vec<Fresh> = tx
        .prepare("SELECT id, sort_at, kind, url, title, text FROM mentions WHERE sort_at >= ?1 ORDER BY id")?
        .query_map([since], |r| {
            let kind: String = r.get(2)?;
            let url: Option<String> = r.get(3)?;
            let title: Option<String> = r.get(4)?;
            let text: String = r.get(5)?;
            let m = crate::model::NewMention {
                url,
                title,
                text,
                ..Default::default()
            };
            let kind = kind.parse().unwrap_or(crate::model::FeedKind::Rss);
            Ok(Fresh {
                id: r.get(0)?,
                sort_at: r.get(1)?,
                keys: crate::query::facts::story_keys(kind, &m),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let n = group(tx, &fresh, story::DEFAULT_SIMILARITY)?;
    tracing::info!(
        mentions = fresh.len(),
        grouped = n,
        "recent mentions grouped into stories"
    );
    Ok(())
}

/// A story's other places, as the stream and the detail show them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Elsewhere {
    /// How many other mentions tell the same story.
    pub count: i64,
    /// Their kinds, each once, in the order they were first seen (`hn`, `reddit`, `rss`).
    pub kinds: Vec<String>,
}

impl super::Store {
    /// The other places the story led by `lead` is seen.
    pub fn elsewhere(&self, lead: i64) -> super::Result<Elsewhere> {
        use super::Doing;
        let mut st = self
            .conn()
            .prepare_cached("SELECT kind FROM mentions WHERE story_id = ?1 ORDER BY id")
            .doing("reading a story's other places")?;
        let kinds: Vec<String> = st
            .query_map([lead], |r| r.get(0))
            .and_then(Iterator::collect)
            .doing("reading a story's other places")?;
        let mut once: Vec<String> = Vec::new();
        for k in &kinds {
            if !once.contains(k) {
                once.push(k.clone());
            }
        }
        Ok(Elsewhere {
            count: kinds.len() as i64,
            kinds: once,
        })
    }

    /// The lead of the story a mention is part of (itself when it leads or is alone).
    pub fn story_lead(&self, id: i64) -> super::Result<Option<i64>> {
        use super::Doing;
        self.conn()
            .query_row("SELECT coalesce(story_id, id) FROM mentions WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .doing("reading a mention's story")
    }
}
