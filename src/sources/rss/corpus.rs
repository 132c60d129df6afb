//! The feed corpus (`tests/corpus/`, see its README): every document parsed the way a poll parses
//! it (`sources::parse`, with the HTTP headers the case says), its items compared field by field
//! with the expectation. The test prints the agreement, fails below the floor recorded here, and
//! lists every disagreement.

use crate::model::{FeedConfig, FeedKind, NewMention};
use crate::sources::{self, Ctx, Reply, Request};
use chrono::DateTime;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use url::Url;

/// Items (and error and notice cases) that must agree with the corpus, out of 100. Raised as the
/// parser gets better; never lowered without saying why.
const FLOOR_PERCENT: f64 = 99.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    #[allow(dead_code)]
    origin: String,
    what: String,
    adapter: Option<String>,
    content_type: Option<String>,
    content_location: Option<String>,
    feed_url: Option<String>,
    items: usize,
    error: Option<String>,
    repaired: Option<bool>,
    notice: Option<String>,
    #[serde(default)]
    item: Vec<Expected>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    title: Option<String>,
    link: Option<String>,
    author: Option<String>,
    published: Option<String>,
    text: Option<String>,
    text_contains: Option<Vec<String>>,
    id: Option<String>,
}

/// What one document gave.
struct Outcome {
    result: Result<sources::Page, sources::SourceError>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Every case: (name, document path, expectation).
fn cases() -> Vec<(String, PathBuf, Case)> {
    let mut out = Vec::new();
    let mut dirs = vec![corpus_dir()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "LICENSES") {
                    dirs.push(p);
                }
                continue;
            }
            if p.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let stem = p.with_extension("");
            let doc = ["xml", "json", "bin"]
                .iter()
                .map(|e| stem.with_extension(e))
                .find(|d| d.exists())
                .unwrap_or_else(|| panic!("{} has no document", p.display()));
            let text = std::fs::read_to_string(&p).unwrap();
            let case: Case = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let name = stem.strip_prefix(corpus_dir()).unwrap().display().to_string();
            out.push((name, doc, case));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn parse(doc: &Path, case: &Case) -> Outcome {
    let body = std::fs::read(doc).unwrap();
    let url = Url::parse(case.feed_url.as_deref().unwrap_or("http://example.com/feed.xml")).unwrap();
    let kind = match case.adapter.as_deref() {
        Some("hackernews") => FeedKind::Hackernews,
        Some(other) => panic!("unknown adapter {other}"),
        None => FeedKind::Rss,
    };
    let feed = FeedConfig {
        name: "corpus".into(),
        kind,
        query: Some("sqlite".into()),
        url: Some(url.clone()),
        every: kind.default_every(),
        rules: Default::default(),
        token_env: None,
        tag: None,
        identifier: None,
        site: None,
        subreddit: None,
        map: None,
        channels: Vec::new(),
        videos: Vec::new(),
        photos: Vec::new(),
        app: None,
        country: None,
        key_file: None,
        reply_token_env: None,
    };
    let mut headers = Vec::new();
    if let Some(ct) = &case.content_type {
        headers.push(("content-type".to_string(), ct.clone()));
    }
    if let Some(cl) = &case.content_location {
        headers.push(("content-location".to_string(), cl.clone()));
    }
    let ctx = Ctx {
        feed: &feed,
        cursor: None,
        token: None,
        now: "2026-11-30T12:00:00Z".parse().unwrap(),
    };
    let req = Request {
        url,
        headers: Vec::new(),
        body: None,
    };
    let reply = Reply {
        status: 200,
        headers: &headers,
        body: &body,
    };
    let result = std::panic::catch_unwind(|| sources::parse(&ctx, &req, &reply))
        .unwrap_or_else(|_| Err(sources::SourceError::Malformed("the parser panicked".into())));
    Outcome { result }
}

fn collapse(s: &str) -> String {
    crate::text::collapse_whitespace(s)
}

/// The differences between an item and its expectation, in words.
fn compare(got: &NewMention, want: &Expected) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut field = |name: &str, got: Option<&str>, want: Option<&str>| {
        let Some(want) = want else { return };
        let want = (want != "none").then_some(want);
        if got != want {
            diffs.push(format!("{name}: got {got:?}, want {want:?}"));
        }
    };
    field("title", got.title.as_deref(), want.title.as_deref());
    field("link", got.url.as_deref(), want.link.as_deref());
    field("author", got.author.as_deref(), want.author.as_deref());
    if let Some(id) = &want.id {
        let expected = NewMention {
            external_id: Some(id.clone()),
            ..Default::default()
        };
        let mut expected_finished = expected.clone();
        sources::finish(&mut expected_finished);
        if got.external_id != expected_finished.external_id {
            let shown = |s: &Option<String>| s.as_deref().map(|s| s.chars().take(60).collect::<String>());
            diffs.push(format!(
                "id: got {:?}, want {:?}",
                shown(&got.external_id),
                shown(&expected_finished.external_id)
            ));
        }
    }
    if let Some(p) = &want.published {
        let want_at = (p != "none").then(|| {
            DateTime::parse_from_rfc3339(p)
                .unwrap_or_else(|e| panic!("bad expected date {p}: {e}"))
                .to_utc()
        });
        if got.published_at != want_at {
            diffs.push(format!("published: got {:?}, want {want_at:?}", got.published_at));
        }
    }
    if let Some(t) = &want.text
        && collapse(&got.text) != collapse(t)
    {
        diffs.push(format!("text: got {:?}, want {:?}", collapse(&got.text), collapse(t)));
    }
    for sub in want.text_contains.iter().flatten() {
        if !collapse(&got.text).contains(&collapse(sub)) {
            diffs.push(format!("text lacks {sub:?}: {:?}", collapse(&got.text)));
        }
    }
    diffs
}

/// Check one case: (checks that agreed, checks made, what disagreed).
fn check(case: &Case, out: &Outcome) -> (usize, usize, Vec<String>) {
    let mut problems = Vec::new();
    let (mut agreed, mut total) = (0, 0);
    match (&out.result, &case.error) {
        (Err(e), Some(want)) => {
            total += 1;
            if e.to_string().to_lowercase().contains(&want.to_lowercase()) {
                agreed += 1;
            } else {
                problems.push(format!("error {e:?} lacks {want:?}"));
            }
        }
        (Ok(page), Some(want)) => {
            total += 1;
            problems.push(format!(
                "parsed {} items where an error with {want:?} was expected",
                page.mentions.len()
            ));
        }
        (Err(e), None) => {
            total += case.item.len().max(1);
            problems.push(format!("error: {e}"));
        }
        (Ok(page), None) => {
            if page.mentions.len() != case.items {
                problems.push(format!("{} items, want {}", page.mentions.len(), case.items));
            }
            if case.item.is_empty() || case.items == 0 {
                total += 1;
                agreed += usize::from(page.mentions.len() == case.items);
            }
            for (i, want) in case.item.iter().enumerate() {
                total += 1;
                match page.mentions.get(i) {
                    Some(got) => {
                        let d = compare(got, want);
                        if d.is_empty() {
                            agreed += 1;
                        }
                        problems.extend(d.into_iter().map(|d| format!("item {}: {d}", i + 1)));
                    }
                    None => problems.push(format!("item {} missing", i + 1)),
                }
            }
            let notes = page.notes.join("; ").to_lowercase();
            if let Some(n) = &case.notice {
                total += 1;
                if notes.contains(&n.to_lowercase()) {
                    agreed += 1;
                } else {
                    problems.push(format!("notes {notes:?} lack {n:?}"));
                }
            }
            if case.repaired == Some(true) {
                total += 1;
                if page.notes.is_empty() {
                    problems.push("nothing said about the repair".into());
                } else {
                    agreed += 1;
                }
            }
        }
    }
    (agreed, total, problems)
}

#[test]
fn the_corpus_agrees() {
    let cases = cases();
    assert!(cases.len() >= 150, "the corpus holds {} cases", cases.len());
    let (mut agreed, mut total, mut failing) = (0, 0, Vec::new());
    for (name, doc, case) in &cases {
        let out = parse(doc, case);
        let (a, t, problems) = check(case, &out);
        agreed += a;
        total += t;
        if !problems.is_empty() {
            failing.push(format!("{name} ({}):\n    {}", case.what, problems.join("\n    ")));
        }
    }
    let percent = 100.0 * agreed as f64 / total.max(1) as f64;
    println!(
        "corpus: {agreed} of {total} checks agree ({percent:.1}%), {} of {} documents fully",
        cases.len() - failing.len(),
        cases.len()
    );
    for f in &failing {
        println!("{f}");
    }
    assert!(
        percent >= FLOOR_PERCENT,
        "agreement {percent:.1}% fell below the recorded floor {FLOOR_PERCENT}%"
    );
}
