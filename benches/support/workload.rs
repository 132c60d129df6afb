//! Deterministic workloads: feeds of realistic items (a title, an HTML description of a few
//! sentences, a link, an author, a date), and a history of N mentions written straight into a
//! database with overhear's schema.

use std::fmt::Write;

const WORDS: &[&str] = &[
    "acme",
    "sync",
    "outage",
    "love",
    "billing",
    "refund",
    "slow",
    "support",
    "crash",
    "thanks",
    "router",
    "upgrade",
    "price",
    "account",
    "login",
    "password",
    "delivery",
    "broken",
    "great",
    "service",
    "help",
    "customer",
    "phone",
    "app",
    "update",
    "battery",
    "screen",
    "cancel",
    "switching",
    "recommend",
    "order",
    "shipping",
    "late",
    "again",
    "today",
    "week",
    "team",
    "fixed",
    "issue",
    "問題",
    "café",
    "naïve",
];

/// A reproducible stream of words.
pub struct Words(fastrand::Rng);

impl Words {
    pub fn new(seed: u64) -> Words {
        Words(fastrand::Rng::with_seed(seed))
    }

    pub fn sentence(&mut self, n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(WORDS[self.0.usize(..WORDS.len())]);
        }
        s
    }
}

/// RSS 2.0 for feed `feed` with items `ids` (globally unique numbers), newest first.
pub fn rss(feed: usize, ids: std::ops::Range<usize>) -> Vec<u8> {
    let mut w = Words::new((feed as u64) << 32 | ids.start as u64);
    let mut s = String::with_capacity(ids.len() * 700);
    write!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\
         <channel><title>Feed {feed}</title><link>https://blog{feed}.example.com/</link><description>mentions</description>"
    )
    .unwrap();
    let now = chrono::Utc::now();
    for id in ids.rev() {
        let date = now - chrono::Duration::seconds((id % 100_000) as i64 * 37);
        write!(
            s,
            "<item><title>{} #{id}</title><link>https://blog{feed}.example.com/posts/{id}</link>\
             <guid isPermaLink=\"false\">post-{id}</guid><dc:creator>author {}</dc:creator>\
             <pubDate>{}</pubDate><description><![CDATA[<p>{}.</p><p>{} <a href=\"https://example.com/{id}\">link</a>.</p>]]></description></item>",
            w.sentence(7),
            id % 977,
            date.to_rfc2822(),
            w.sentence(30),
            w.sentence(20),
        )
        .unwrap();
    }
    s.push_str("</channel></rss>");
    s.into_bytes()
}

/// RSS 2.0 for feed `feed` with items `ids`, as a quick comparison often writes them: a title
/// "Feed F item N", one plain sentence, a link, a date, no author.
pub fn rss_short(feed: usize, ids: std::ops::Range<usize>) -> Vec<u8> {
    let mut s = String::with_capacity(ids.len() * 330);
    write!(
        s,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed {feed}</title>\
         <link>http://example.com/{feed}</link><description>d</description>"
    )
    .unwrap();
    for (i, _) in ids.enumerate() {
        write!(
            s,
            "<item><title>Feed {feed} item {i}</title><link>http://example.com/{feed}/{i}</link>\
             <guid>http://example.com/{feed}/{i}</guid><pubDate>Mon, 30 Nov 2026 12:{:02}:00 GMT</pubDate>\
             <description>This is the description of item {i} in feed {feed}. Lorem ipsum dolor sit amet, \
             consectetur adipiscing elit.</description></item>",
            i % 60
        )
        .unwrap();
    }
    s.push_str("</channel></rss>");
    s.into_bytes()
}

/// A database at `path` holding `n` mentions spread over the last year across `feeds` feeds named
/// `f0`…, written straight through SQL (the schema made by overhear itself), its full-text index
/// built once.
pub fn history(path: &std::path::Path, n: usize, feeds: usize) {
    drop(overhear::store::Store::open(path).unwrap());
    let mut c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")
        .unwrap();
    let tx = c.transaction().unwrap();
    for f in 0..feeds {
        tx.execute(
            "INSERT OR IGNORE INTO feeds (name, kind) VALUES (?1, 'rss')",
            [format!("f{f}")],
        )
        .unwrap();
    }
    // Triggers that fill the index row by row would make this slow: filled once at the end.
    let triggers: Vec<(String, String)> = tx
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'mentions'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (name, _) in &triggers {
        tx.execute_batch(&format!("DROP TRIGGER {name}")).unwrap();
    }
    let now = chrono::Utc::now().timestamp();
    let mut w = Words::new(7);
    {
        let mut ins = tx
            .prepare(
                "INSERT INTO mentions (feed_id, kind, external_id, url, author, title, text, published_at,
                    first_seen_at, sort_at, status, status_at, first_response_at, responded_at, responded_by, updated_at)
                 VALUES ((SELECT id FROM feeds WHERE name = ?1), 'rss', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7, ?9, ?10, ?11, ?11, ?12, ?8)",
            )
            .unwrap();
        for i in 0..n {
            let feed = i % feeds;
            // Oldest first, so that row ids follow time as they would.
            let at = now - 365 * 86_400 + (i as i64 * 365 * 86_400) / n.max(1) as i64;
            let (status, answered) = match i % 10 {
                0..=3 => ("responded", Some(at + 600 + (i as i64 % 7_200))),
                4..=5 => ("ignored", None),
                6 => ("open", None),
                _ => ("new", None),
            };
            let status_at = (status != "new").then_some(at + 900);
            ins.execute(rusqlite::params![
                format!("f{feed}"),
                format!("feed:{}:hist-{i}", feed + 1),
                format!("https://blog{feed}.example.com/old/{i}"),
                format!("author {}", i % 977),
                format!("{} #{i}", w.sentence(7)),
                format!("{}. {}.", w.sentence(30), w.sentence(20)),
                at,
                at + 120,
                status,
                status_at,
                answered,
                answered.map(|_| "alice"),
            ])
            .unwrap();
        }
    }
    tx.execute_batch("INSERT INTO mentions_fts (mentions_fts) VALUES ('rebuild')")
        .unwrap();
    for (_, sql) in &triggers {
        tx.execute_batch(sql).unwrap();
    }
    tx.commit().unwrap();
    // No ANALYZE: overhear never runs it, so its users' databases have no statistics either.
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
}

/// A copy at `to` of a history of `n` mentions over `feeds` feeds, built once and kept in `cache`
/// (named by the schema version, so an older one is never reused), synced so the copy's dirty
/// pages are not written out by the first fsync a benchmark times.
pub fn history_copy(cache: &std::path::Path, n: usize, feeds: usize, to: &std::path::Path) {
    let version = {
        let dir = tempfile::tempdir().unwrap();
        overhear::store::Store::open(&dir.path().join("v.db"))
            .unwrap()
            .schema_version()
            .unwrap()
    };
    let kept = cache.join(format!("history-{n}-{feeds}-v{version}.db"));
    if !kept.exists() {
        let t = std::time::Instant::now();
        let tmp = cache.join(format!("history-{n}-{feeds}-v{version}.db.tmp"));
        let _ = std::fs::remove_file(&tmp);
        history(&tmp, n, feeds);
        std::fs::rename(&tmp, &kept).unwrap();
        eprintln!(
            "(built a history of {n} in {:.0} s, kept in {})",
            t.elapsed().as_secs_f64(),
            kept.display()
        );
    }
    std::fs::copy(&kept, to).unwrap();
    std::fs::File::open(to).unwrap().sync_all().unwrap();
}
