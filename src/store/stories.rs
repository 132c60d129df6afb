//! One story seen in many places, grouped as mentions arrive (`score::story` says when two are
//! one story). A mention seen first is its story's lead (`story_id` NULL); one of the same story
//! seen later points at the lead (`story_id`). Leads are what the stream shows; the others are
//! counted beside them ("+3 elsewhere") and follow the lead's triage.

use super::db::{self, Db, params};
use crate::score::story::{self, Shingle, StoryKeys};
use rusqlite::Transaction;
use std::collections::HashMap;

/// A new mention's story keys, as the write knows them.
pub(super) struct Fresh {
    pub id: i64,
    pub sort_at: i64,
    pub keys: StoryKeys,
}

/// The newest stored mentions sharing a key (at most `LIMIT 8`, newest first), from the keys'
/// index alone. The key is bound through `CAST(?1 AS INTEGER)`: bound bare, SQLite prepared the
/// statement again for most values it was given (its planner weighs a bound integer against the
/// key's index), which cost more than everything else the grouping does.
const SHARING: &str =
    "SELECT mention_id FROM story_keys WHERE key = CAST(?1 AS INTEGER) ORDER BY mention_id DESC LIMIT 8";

/// Story keys filed by one statement, at most.
const KEYS_AT_ONCE: usize = 100;

/// The statement that files `n` story keys.
fn filing(n: usize) -> String {
    let values = vec!["(?, ?)"; n].join(", ");
    format!("INSERT OR IGNORE INTO story_keys (key, mention_id) VALUES {values}")
}

/// A stored mention's lead (itself when it leads), time and title: what the grouping compares.
const TITLED: &str = "SELECT coalesce(story_id, id), sort_at, title FROM mentions WHERE id = ?1";

/// A mention's keys in [`Lookup::sharers`]' slots: its link's, then its bands'.
fn slots(keys: &StoryKeys) -> [Option<i64>; 5] {
    let b = keys.bands.map(|b| b.map(Some)).unwrap_or_default();
    [keys.link, b[0], b[1], b[2], b[3]]
}

/// Stored titles' shingles, read by the grouping and kept across a poller's writes: a mention's
/// title never changes and no mention is deleted, so what was read of a row committed before a
/// write began stays true. A write's own new mentions are kept only once it commits
/// ([`Shingles::committed`]): until then it may be undone and its ids given again. Forgotten when
/// the count of deleted or retitled mentions moved (a hand-made change: `stream_counts.rewrites`,
/// kept by triggers); the newest ids kept when it grows past [`Shingles::MOST`].
#[derive(Default)]
pub(super) struct Shingles {
    map: HashMap<i64, Box<[Shingle]>>,
    version: Option<i64>,
    /// The new mentions' of the write under way, kept if it commits.
    pending: Vec<(i64, Vec<Shingle>)>,
}

impl Shingles {
    const MOST: usize = 32_768;

    /// Forget what was kept unless the count of rewrites is the one it was kept at (`None`:
    /// nothing is kept).
    pub(super) fn still(&mut self, version: Option<i64>) {
        if version.is_none() || version != self.version {
            if !self.map.is_empty() {
                tracing::debug!(
                    titles = self.map.len(),
                    "kept titles forgotten: a mention was deleted or retitled"
                );
            }
            self.map.clear();
        }
        self.version = version;
    }

    /// The write under way committed: its new mentions' shingles are kept with the others (the
    /// next writes compare their arrivals with them without reading their titles again).
    pub(super) fn committed(&mut self) {
        if self.version.is_none() {
            // A backend that keeps nothing across writes.
            self.pending.clear();
            return;
        }
        for (id, s) in std::mem::take(&mut self.pending) {
            self.keep(id, s);
        }
    }

    /// The write under way was undone: nothing of it is kept.
    pub(super) fn undone(&mut self) {
        self.pending.clear();
    }

    fn get(&self, id: i64) -> Option<&[Shingle]> {
        self.map.get(&id).map(|s| &**s)
    }

    fn keep(&mut self, id: i64, shingles: Vec<Shingle>) {
        if self.map.len() >= Self::MOST {
            // The newest half stays: a new mention's candidates are its keys' newest sharers.
            let mut ids: Vec<i64> = self.map.keys().copied().collect();
            let half = ids.len() / 2;
            let (_, &mut median, _) = ids.select_nth_unstable(half);
            self.map.retain(|&k, _| k >= median);
        }
        self.map.insert(id, shingles.into_boxed_slice());
    }
}

/// Group the mentions just written with the stories already stored (and with each other, in the
/// order they were written), then file their keys. Every id up to `before` was committed before
/// this write: what is read of those rows is kept in `kept` for the next writes.
pub(super) fn group(
    db: Db<'_>,
    fresh: &[Fresh],
    similarity: f64,
    before: i64,
    kept: &mut Shingles,
) -> db::Result<usize> {
    let mut grouped = 0;
    // Each title's shingles, worked out once per write: the new ones' came from the parsers.
    let mut known: HashMap<i64, Vec<Shingle>> = fresh.iter().map(|f| (f.id, f.keys.shingles.clone())).collect();
    let mut compared = 0;
    let mut look = Lookup::of(db, fresh, kept)?;
    let mut titles = Titles {
        write: &mut known,
        kept,
        before,
    };
    for f in fresh {
        let lead = lead_of(&mut look, f, similarity, &mut titles, &mut compared)?;
        if let Some(lead) = lead {
            db.execute("UPDATE mentions SET story_id = ?2 WHERE id = ?1", params![f.id, lead])?;
            grouped += 1;
        }
        // Filed as it is grouped: the next new mention may be its story's next place.
        look.file(f, lead);
    }
    look.write()?;
    // The write's own titles: kept by `kept` once it commits (those without bands are never a
    // candidate: nothing to keep).
    kept.pending = known.into_iter().filter(|(_, s)| !s.is_empty()).collect();
    if grouped > 0 {
        // The stream lists a story once: its other places leave its counts (they arrived new).
        db.execute(
            "UPDATE stream_counts SET total = total - ?1, new = new - ?1 WHERE id = 1",
            params![grouped],
        )?;
    }
    tracing::debug!(mentions = fresh.len(), compared, grouped, "stories grouped");
    Ok(grouped)
}

/// What the grouping reads of the stored stories, for one write. Every key's newest sharers are
/// read before the write is grouped, key by key in the index's order (at 200,000 mentions the
/// keys' index is far larger than the writer's page cache: read in the mentions' order, each
/// look-up fetched its pages again; in key order, a page is read once a write), and the write's
/// own keys are added as they are filed and inserted, in the same order, at its end. A server is
/// asked for all of it in one round trip, titles included. SQLite reads the titles the grouping
/// will compare and has not kept the same way, all of them before it begins, in the table's
/// order (in the mentions' order they were a page read each, across a history far larger than
/// the writer's page cache); a row needed besides is read when needed.
struct Lookup<'c> {
    db: Db<'c>,
    /// Each key's newest sharers (at most 8), newest first.
    sharers: HashMap<i64, Vec<i64>>,
    /// A mention's lead (itself when it leads) and its time, as read or filed by this write.
    rows: HashMap<i64, (i64, i64)>,
    /// Titles read with the sharers: every sharer's (a server's), or those the grouping will
    /// compare and has not kept (SQLite's).
    titles: HashMap<i64, Option<String>>,
    /// The keys filed by this write, to insert at its end.
    filed: Vec<(i64, i64)>,
}

/// Numbers as one parameter the server splits (`string_to_array(?, ',')`).
fn joined(numbers: impl Iterator<Item = i64>) -> String {
    numbers.map(|n| n.to_string()).collect::<Vec<_>>().join(",")
}

impl<'c> Lookup<'c> {
    fn of(db: Db<'c>, fresh: &[Fresh], kept: &Shingles) -> db::Result<Lookup<'c>> {
        let mut keys: Vec<i64> = fresh.iter().flat_map(|f| f.keys.all()).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut out = Lookup {
            db,
            sharers: HashMap::with_capacity(keys.len()),
            rows: HashMap::new(),
            titles: HashMap::new(),
            filed: Vec::new(),
        };
        if keys.is_empty() {
            return Ok(out);
        }
        match db.dialect() {
            db::Dialect::Sqlite => {
                let mut sharing = db.prepare(SHARING)?;
                for key in keys {
                    let ids: Vec<i64> = sharing.query_map(params![key], |r| r.get(0))?;
                    if !ids.is_empty() {
                        out.sharers.insert(key, ids);
                    }
                }
                out.read_titles(fresh, kept)?;
            }
            db::Dialect::Postgres => out.fetch(&keys)?,
        }
        Ok(out)
    }

    /// The titles of the bands' sharers not kept, in the table's order, and their rows.
    fn read_titles(&mut self, fresh: &[Fresh], kept: &Shingles) -> db::Result<()> {
        let mut ids: Vec<i64> = fresh
            .iter()
            .filter_map(|f| f.keys.bands)
            .flatten()
            .filter_map(|band| self.sharers.get(&band))
            .flatten()
            .copied()
            .filter(|id| kept.get(*id).is_none())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut read = self.db.prepare(TITLED)?;
        for id in ids {
            if let Some((lead, at, title)) = read.query_opt(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
                self.rows.insert(id, (lead, at));
                self.titles.insert(id, title);
            }
        }
        Ok(())
    }

    /// A server's answer for the whole write: the keys' sharers, and their rows and titles.
    fn fetch(&mut self, keys: &[i64]) -> db::Result<()> {
        let list = joined(keys.iter().copied());
        let pairs: Vec<(i64, i64)> = self.db.query_map(
            "SELECT k.key, s.mention_id
             FROM unnest(CAST(string_to_array(?1, ',') AS BIGINT[])) AS k(key),
                  LATERAL (SELECT mention_id FROM story_keys WHERE key = k.key ORDER BY mention_id DESC LIMIT 8) s
             ORDER BY k.key, s.mention_id DESC",
            params![list],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut ids: Vec<i64> = Vec::with_capacity(pairs.len());
        for (key, id) in pairs {
            self.sharers.entry(key).or_default().push(id);
            ids.push(id);
        }
        ids.sort_unstable();
        ids.dedup();
        if !ids.is_empty() {
            let list = joined(ids.iter().copied());
            let rows: Vec<(i64, i64, i64, Option<String>)> = self.db.query_map(
                "SELECT id, coalesce(story_id, id), sort_at, title FROM mentions
                 WHERE id = ANY(CAST(string_to_array(?1, ',') AS BIGINT[]))",
                params![list],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            for (id, lead, at, title) in rows {
                self.rows.insert(id, (lead, at));
                self.titles.insert(id, title);
            }
        }
        Ok(())
    }

    /// The keys filed by this write, in the index's order, each once.
    fn write(&mut self) -> db::Result<()> {
        if self.filed.is_empty() {
            return Ok(());
        }
        self.filed.sort_unstable();
        self.filed.dedup();
        match self.db.dialect() {
            db::Dialect::Sqlite => {
                // A hundred keys a statement: one statement a key cost a third of the grouping.
                let mut chunks = self.filed.chunks_exact(KEYS_AT_ONCE);
                let mut file = self.db.prepare(&filing(KEYS_AT_ONCE))?;
                for chunk in &mut chunks {
                    let values: Vec<&dyn db::Param> =
                        chunk.iter().flat_map(|(k, id)| [k as &dyn db::Param, id]).collect();
                    file.execute(&values)?;
                }
                // The rest one by one: a statement for each length would crowd the statement cache.
                let mut one = self.db.prepare(&filing(1))?;
                for (key, id) in chunks.remainder() {
                    one.execute(params![key, id])?;
                }
            }
            db::Dialect::Postgres => {
                let keys = joined(self.filed.iter().map(|(k, _)| *k));
                let ids = joined(self.filed.iter().map(|(_, id)| *id));
                self.db.execute(
                    "INSERT INTO story_keys (key, mention_id)
                     SELECT * FROM unnest(CAST(string_to_array(?1, ',') AS BIGINT[]), CAST(string_to_array(?2, ',') AS BIGINT[]))
                     ON CONFLICT DO NOTHING",
                    params![keys, ids],
                )?;
            }
        }
        Ok(())
    }

    /// The newest sharers of each of a mention's key slots ([`slots`]).
    fn sharers(&self, keys: &StoryKeys) -> [Vec<i64>; 5] {
        let mut out: [Vec<i64>; 5] = Default::default();
        for (v, key) in out.iter_mut().zip(slots(keys)) {
            if let Some(ids) = key.and_then(|k| self.sharers.get(&k)) {
                v.clone_from(ids);
            }
        }
        out
    }

    /// A mention's lead and time.
    fn row(&mut self, id: i64) -> db::Result<(i64, i64)> {
        if let Some(r) = self.rows.get(&id) {
            return Ok(*r);
        }
        if self.db.dialect() == db::Dialect::Postgres {
            // Fetched with the sharers: a sharer's row is always there.
            return Err(db::DbError::NoRow);
        }
        let r = self.db.query_row(
            "SELECT coalesce(story_id, id), sort_at FROM mentions WHERE id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        self.rows.insert(id, r);
        Ok(r)
    }

    /// A mention's title (its lead and time kept on the way).
    fn title(&mut self, id: i64) -> db::Result<Option<String>> {
        if let Some(title) = self.titles.get(&id) {
            return Ok(title.clone());
        }
        if self.db.dialect() == db::Dialect::Postgres {
            // Fetched with the sharers: a sharer's title is always there.
            return Ok(None);
        }
        let (lead, at, title) = self
            .db
            .query_row(TITLED, params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        self.rows.insert(id, (lead, at));
        Ok(title)
    }

    /// A new mention filed under its keys (its lead known), as the database would list it.
    fn file(&mut self, f: &Fresh, lead: Option<i64>) {
        for k in f.keys.all() {
            let list = self.sharers.entry(k).or_default();
            list.insert(0, f.id);
            list.truncate(8);
            self.filed.push((k, f.id));
        }
        self.rows.insert(f.id, (lead.unwrap_or(f.id), f.sort_at));
    }
}

/// The titles' shingles a grouping compares: the write's own (its new mentions', and what it read
/// of rows it may not keep), and those kept across writes.
struct Titles<'a> {
    write: &'a mut HashMap<i64, Vec<Shingle>>,
    kept: &'a mut Shingles,
    /// The newest id committed before this write.
    before: i64,
}

impl Titles<'_> {
    /// A mention's shingles, read from its title when neither the write nor the kept have them.
    fn of(&mut self, look: &mut Lookup<'_>, id: i64) -> db::Result<&[Shingle]> {
        if !self.write.contains_key(&id) && self.kept.get(id).is_none() {
            let s = story::shingles(look.title(id)?.as_deref());
            if id <= self.before {
                self.kept.keep(id, s);
            } else {
                self.write.insert(id, s);
            }
        }
        Ok(match self.write.get(&id) {
            Some(s) => s,
            None => self.kept.get(id).unwrap_or(&[]),
        })
    }
}

/// The lead of the story a new mention belongs to, if one is stored: a mention leading to the
/// same page, else one whose title is near-identical, within [`story::WINDOW_SECS`].
fn lead_of(
    look: &mut Lookup<'_>,
    f: &Fresh,
    similarity: f64,
    titles: &mut Titles<'_>,
    compared: &mut usize,
) -> db::Result<Option<i64>> {
    let near = |at: i64| (at - f.sort_at).abs() <= story::WINDOW_SECS;
    let [by_link, bands @ ..] = look.sharers(&f.keys);
    for id in by_link {
        let (lead, at) = look.row(id)?;
        if near(at) {
            return Ok(Some(lead));
        }
    }
    if f.keys.bands.is_none() {
        return Ok(None);
    }
    // Each band's newest sharers, from the keys' index alone.
    let mut ids: Vec<i64> = Vec::new();
    for id in bands.into_iter().flatten() {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    // The most alike, the earliest lead on a tie.
    let mut best: Option<(f64, i64)> = None;
    for id in ids {
        let theirs = titles.of(look, id)?;
        *compared += 1;
        let s = story::similarity(&f.keys.shingles, theirs);
        if s < similarity {
            continue;
        }
        let (lead, at) = look.row(id)?;
        if near(at) && best.is_none_or(|(b, l)| s > b || (s == b && lead < l)) {
            best = Some((s, lead));
        }
    }
    Ok(best.map(|(_, lead)| lead))
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
    let n = group(
        Db::Sqlite(tx),
        &fresh,
        story::DEFAULT_SIMILARITY,
        i64::MAX,
        &mut Shingles::default(),
    )?;
    tracing::info!(
        mentions = fresh.len(),
        grouped = n,
        "recent mentions grouped into stories"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn kept_titles_are_forgotten_when_a_mention_is_rewritten_and_the_newest_are_kept_when_full() {
        use super::Shingles;
        let mut k = Shingles::default();
        k.still(Some(0));
        k.keep(1, vec![1]);
        k.still(Some(0));
        assert!(k.get(1).is_some(), "nothing rewritten: kept");
        k.still(Some(1));
        assert!(k.get(1).is_none(), "a mention deleted or retitled: forgotten");
        k.keep(1, vec![1]);
        k.still(None);
        assert!(k.get(1).is_none(), "a backend that keeps nothing");
        for id in 0..Shingles::MOST as i64 {
            k.keep(id, vec![]);
        }
        k.keep(1_000_000, vec![]);
        assert!(k.map.len() <= Shingles::MOST / 2 + 2, "{}", k.map.len());
        assert!(k.get(1_000_000).is_some() && k.get(Shingles::MOST as i64 - 1).is_some());
        assert!(k.get(0).is_none(), "the oldest go first");
    }

    #[test]
    fn a_writes_own_titles_are_kept_once_it_commits_and_never_when_undone() {
        use super::Shingles;
        let mut k = Shingles::default();
        k.still(Some(0));
        k.pending = vec![(7, vec![1, 2])];
        k.undone();
        k.committed();
        assert!(k.get(7).is_none(), "an undone write's ids may be given again: not kept");
        k.pending = vec![(7, vec![1, 2])];
        k.committed();
        assert_eq!(k.get(7), Some(&[1, 2][..]), "committed: kept");
        assert!(k.pending.is_empty());
        k.still(None);
        k.pending = vec![(8, vec![3])];
        k.committed();
        assert!(k.get(8).is_none(), "a backend that keeps nothing keeps nothing");
    }

    #[test]
    fn a_poll_keeps_its_titles_for_the_next_and_groups_alike() {
        // Two polls, one write each: the second's arrival is grouped with the first's mention,
        // on SQLite from the title kept when the first committed.
        for (place, mut s) in crate::store::each_backend() {
            let sqlite = matches!(place, crate::store::TestPlace::Dir(_));
            let feed = s.ensure_feed("f", FeedKind::Rss).unwrap();
            let now = Utc::now();
            let first = m("a", "Acme raises forty million for its routers");
            s.write_poll(feed, FeedKind::Rss, &one(first, now), now).unwrap();
            if sqlite {
                assert_eq!(s.shingles.map.len(), 1, "the committed write's title is kept");
            }
            let second = m("b", "Acme raises forty million for its routers today");
            s.write_poll(feed, FeedKind::Rss, &one(second, now), now).unwrap();
            if sqlite {
                assert_eq!(s.shingles.map.len(), 2);
            }
            assert_eq!(grouped(&s), 1, "the second is the first's story");
        }
    }

    #[test]
    fn every_key_of_a_large_write_is_filed() {
        // 61 titled mentions with links: 305 keys, filed a hundred at a time and the rest one by
        // one; a later mention finds the first of them and the last.
        for (_, mut s) in crate::store::each_backend() {
            let feed = s.ensure_feed("f", FeedKind::Rss).unwrap();
            let now = Utc::now();
            let words = ["north", "south", "east", "west", "river", "hill", "lake", "town"];
            let title = |i: usize| {
                let w = |k: usize| words[(i / 8usize.pow(k as u32)) % 8];
                format!("Acme {} {} {} report {i}", w(0), w(1), w(2))
            };
            let mentions: Vec<NewMention> = (0..61)
                .map(|i| NewMention {
                    url: Some(format!("https://example.com/{i}")),
                    ..m(&format!("m{i}"), &title(i))
                })
                .collect();
            let keys: usize = mentions
                .iter()
                .map(|m| crate::query::facts::story_keys(FeedKind::Rss, m).all().len())
                .sum();
            assert_eq!(keys, 305, "five keys each");
            s.write_poll(feed, FeedKind::Rss, &polled(mentions, now), now).unwrap();
            assert_eq!(number(&s, "SELECT count(*) FROM story_keys"), 305);
            for i in [0, 60] {
                let again = NewMention {
                    url: Some(format!("https://example.com/{i}")),
                    ..m(&format!("again{i}"), "Elsewhere")
                };
                s.write_poll(feed, FeedKind::Rss, &one(again, now), now).unwrap();
            }
            assert_eq!(grouped(&s), 2, "each finds the mention its link leads to");
        }
    }

    #[test]
    fn a_new_process_reads_the_stored_titles_it_compares() {
        // What one process stored, another (nothing kept yet) reads back to compare: the title
        // read before grouping, in the table's order, groups as a title kept would.
        crate::store::each_backend_opened(&new_process_scenario);
    }

    fn new_process_scenario(open: &dyn Fn() -> Store) {
        let now = Utc::now();
        let mut first = open();
        let feed = first.ensure_feed("f", FeedKind::Rss).unwrap();
        for (id, title) in [
            ("a", "Acme raises forty million for its routers"),
            ("b", "Nimbus opens an office in Lisbon this spring"),
        ] {
            first
                .write_poll(feed, FeedKind::Rss, &one(m(id, title), now), now)
                .unwrap();
        }
        drop(first);
        let mut second = open();
        assert!(second.shingles.map.is_empty(), "a new process has kept nothing");
        let poll = polled(
            vec![
                m("c", "Acme raises forty million for its routers today"),
                m("d", "Nimbus opens an office in Lisbon this spring, hiring"),
                m("e", "Something else entirely happened to the weather"),
            ],
            now,
        );
        second.write_poll(feed, FeedKind::Rss, &poll, now).unwrap();
        let leads: Vec<(String, Option<String>)> = second
            .db()
            .query_map(
                "SELECT m.external_id, l.external_id FROM mentions m LEFT JOIN mentions l ON l.id = m.story_id
                 ORDER BY m.id",
                crate::store::db::params![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let short: Vec<(String, Option<String>)> = leads
            .into_iter()
            .map(|(m, l)| {
                let tail = |s: String| s.rsplit(':').next().unwrap_or_default().to_string();
                (tail(m), l.map(tail))
            })
            .collect();
        assert_eq!(
            short,
            [
                ("a".to_string(), None),
                ("b".to_string(), None),
                ("c".to_string(), Some("a".to_string())),
                ("d".to_string(), Some("b".to_string())),
                ("e".to_string(), None)
            ]
        );
    }

    #[test]
    fn deleting_or_retitling_a_mention_is_counted_on_both_backends() {
        for (_place, mut s) in crate::store::each_backend() {
            let feed = s.ensure_feed("f", FeedKind::Rss).unwrap();
            let now = Utc::now();
            let m = NewMention {
                external_id: Some("a".into()),
                title: Some("Acme raises money".into()),
                text: "words".into(),
                ..Default::default()
            };
            s.write_poll(feed, FeedKind::Rss, &one(m, now), now).unwrap();
            let count = |s: &Store| number(s, "SELECT rewrites FROM stream_counts WHERE id = 1");
            assert_eq!(count(&s), 0, "a poll's writes are not rewrites");
            s.write_db("test", |db| {
                db.execute(
                    "UPDATE mentions SET title = 'Something else' WHERE external_id LIKE '%a'",
                    crate::store::db::params![],
                )
            })
            .unwrap();
            assert_eq!(count(&s), 1);
            s.write_db("test", |db| {
                db.execute("UPDATE mentions SET status = 'open'", crate::store::db::params![])
            })
            .unwrap();
            assert_eq!(count(&s), 1, "triage is no rewrite");
            s.write_db("test", |db| {
                db.execute("DELETE FROM mentions", crate::store::db::params![])
            })
            .unwrap();
            assert_eq!(count(&s), 2);
        }
    }

    use crate::model::{FeedKind, NewMention, Place};
    use crate::store::{PollWrite, Store};
    use chrono::{Duration, Utc};
    use std::collections::HashMap;

    /// Store each mention in its own poll, in order, as its feed would bring it.
    fn store_all(s: &mut Store, rows: &[(String, FeedKind, NewMention)]) -> Vec<(i64, i64)> {
        let now = Utc::now();
        let mut ids = Vec::new();
        for (i, (_, kind, m)) in rows.iter().enumerate() {
            let feed = s.ensure_feed(kind.as_str(), *kind).unwrap();
            let mut m = m.clone();
            m.external_id = Some(format!("x{i}"));
            m.published_at = Some(now - Duration::minutes(100 - i as i64));
            s.write_poll(feed, *kind, &one(m, now), now).unwrap();
            let id: i64 = s
                .db()
                .query_row("SELECT max(id) FROM mentions", crate::store::db::params![], |r| {
                    r.get(0)
                })
                .unwrap();
            ids.push((id, s.mention("alice", id).unwrap().unwrap().group_id));
        }
        ids
    }

    /// A mention of `title`, known to its source as `id`.
    fn m(id: &str, title: &str) -> NewMention {
        NewMention {
            external_id: Some(id.into()),
            title: Some(title.into()),
            text: "words".into(),
            ..Default::default()
        }
    }

    /// The one number `sql` reads.
    fn number(s: &Store, sql: &str) -> i64 {
        s.db()
            .query_row(sql, crate::store::db::params![], |r| r.get(0))
            .unwrap()
    }

    /// How many stored mentions are another's story.
    fn grouped(s: &Store) -> i64 {
        number(s, "SELECT count(*) FROM mentions WHERE story_id IS NOT NULL")
    }

    /// One mention, as a poll brings it.
    fn one(m: NewMention, now: chrono::DateTime<Utc>) -> PollWrite {
        polled(vec![m], now)
    }

    /// Mentions, as a poll brings them.
    fn polled(mentions: Vec<NewMention>, now: chrono::DateTime<Utc>) -> PollWrite {
        PollWrite {
            mentions,
            status: 200,
            next_poll_at: now,
            ..Default::default()
        }
    }

    fn labelled() -> Vec<(String, FeedKind, NewMention)> {
        let set =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stories/set.tsv")).unwrap();
        set.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let m = NewMention {
                    title: Some(f[2].to_string()),
                    url: Some(f[3].to_string()),
                    text: "words".into(),
                    place: Place {
                        links_to: f.get(4).filter(|s| !s.is_empty()).map(|s| s.to_string()),
                        ..Default::default()
                    },
                    ..Default::default()
                };
                (f[0].to_string(), f[1].parse().unwrap(), m)
            })
            .collect()
    }

    #[test]
    fn grouping_on_the_labelled_set() {
        let dir = tempfile::tempdir().unwrap();
        let on_sqlite = grouping_scenario(&mut Store::open(&dir.path().join("s.db")).unwrap());
        if let Some(pg) = crate::store::postgres::testing::database() {
            assert_eq!(
                grouping_scenario(&mut pg.store()),
                on_sqlite,
                "the same stories on both backends"
            );
        }
    }

    /// The labelled set stored feed by feed, its grouping scored, the stream's view of it and a
    /// status set on a story; which mentions were grouped with which (by their place in the set).
    fn grouping_scenario(s: &mut Store) -> Vec<usize> {
        let rows = labelled();
        let stored = store_all(s, &rows);
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        for i in 0..rows.len() {
            for j in i + 1..rows.len() {
                let truth = rows[i].0 == rows[j].0;
                let said = stored[i].1 == stored[j].1;
                match (truth, said) {
                    (true, true) => tp += 1,
                    (false, true) => {
                        fp += 1;
                        eprintln!("wrongly one story: {:?} / {:?}", rows[i].2.title, rows[j].2.title);
                    }
                    (true, false) => {
                        fn_ += 1;
                        eprintln!("missed: {:?} / {:?}", rows[i].2.title, rows[j].2.title);
                    }
                    (false, false) => {}
                }
            }
        }
        let precision = tp as f64 / (tp + fp).max(1) as f64;
        let recall = tp as f64 / (tp + fn_).max(1) as f64;
        println!("story grouping: precision {precision:.3}, recall {recall:.3} ({tp} pairs right)");
        let floor: HashMap<String, f64> = toml::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/stories/floor.toml"
            ))
            .unwrap(),
        )
        .unwrap();
        assert!(precision >= floor["precision"], "precision {precision}");
        assert!(recall >= floor["recall"], "recall {recall}");
        // The stream shows each story once, with its other places counted beside it.
        let leads: std::collections::BTreeSet<i64> = stored.iter().map(|(_, l)| *l).collect();
        let raise = stored[0].0;
        let lead = s.mention("alice", raise).unwrap().unwrap();
        assert_eq!(lead.elsewhere, 3);
        assert_eq!(lead.elsewhere_feeds, ["hackernews", "reddit", "rss"]);
        assert_eq!(s.mention("alice", stored[2].0).unwrap().unwrap().group_id, raise);
        let shown: i64 = s
            .db()
            .query_row(
                "SELECT count(*) FROM mentions WHERE story_id IS NULL",
                crate::store::db::params![],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(shown as usize, leads.len());
        // The stream's counts count what it lists.
        assert_eq!(s.stream_counts().unwrap(), (shown, shown, 0));
        // A status set on the story is set on every place it is seen, each in its own history,
        // and one undo takes it all back.
        let applied = s
            .apply(
                &[raise],
                &crate::store::Change::Status(crate::model::Status::Ignored),
                "alice",
                Utc::now(),
            )
            .unwrap();
        assert_eq!(applied.changed, 4);
        for (id, _) in &stored[..4] {
            let d = s.detail("alice", *id).unwrap().unwrap();
            assert_eq!(d.mention.status, crate::model::Status::Ignored);
            assert!(d.history.iter().any(|h| h.actor == "alice"));
        }
        assert_eq!(
            s.stream_counts().unwrap(),
            (shown, shown - 1, 0),
            "the lead left new, its places uncounted"
        );
        assert_eq!(s.undo(applied.batch.unwrap(), "alice", Utc::now()).unwrap(), 4);
        assert_eq!(s.stream_counts().unwrap(), (shown, shown, 0));
        assert_eq!(
            s.detail("alice", stored[3].0).unwrap().unwrap().mention.status,
            crate::model::Status::New
        );
        // Each mention's story, as the place of its lead in the set.
        stored
            .iter()
            .map(|(_, lead)| stored.iter().position(|(id, _)| id == lead).unwrap_or(usize::MAX))
            .collect()
    }

    #[test]
    fn story_n_lists_every_place_of_the_story() {
        for (_d, mut s) in crate::store::each_backend() {
            let stored = store_all(&mut s, &labelled());
            let raise = stored[0].0;
            // `story:N` lists every place of the story, the lead and the others.
            let filter = crate::query::StreamFilter::parse(&format!("story:{raise}"), Utc::now()).unwrap();
            let mut places = s
                .matching_ids(crate::store::Scope {
                    operator: "alice",
                    filter: &filter,
                })
                .unwrap();
            places.sort_unstable();
            assert_eq!(places, stored[..4].iter().map(|(id, _)| *id).collect::<Vec<_>>());
            // The stream, asked for the story, lists them all too; else the story is its lead.
            let scope = |filter| crate::store::Scope {
                operator: "alice",
                filter,
            };
            assert_eq!(s.stream_after(scope(&filter), None, 10).unwrap().len(), 4);
            let all = crate::query::StreamFilter::default();
            let listed: Vec<i64> = s
                .stream_after(scope(&all), None, 100)
                .unwrap()
                .iter()
                .map(|m| m.id)
                .collect();
            assert!(listed.contains(&raise) && !listed.contains(&stored[2].0));
        }
    }

    #[test]
    fn far_apart_in_time_is_not_one_story() {
        for (_d, mut s) in crate::store::each_backend() {
            let feed = s.ensure_feed("blogs", FeedKind::Rss).unwrap();
            let now = Utc::now();
            for (i, ago) in [40, 0].into_iter().enumerate() {
                let m = NewMention {
                    external_id: Some(format!("y{i}")),
                    title: Some("Acme raises $50M to fix its billing system for good".into()),
                    url: Some(format!("https://news{i}.example/a")),
                    published_at: Some(now - Duration::days(ago)),
                    ..Default::default()
                };
                s.write_poll(feed, FeedKind::Rss, &one(m, now), now).unwrap();
            }
            assert_eq!(grouped(&s), 0, "forty days apart: the same words are another story");
        }
    }
}
