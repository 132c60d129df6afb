//! The hostile corpus (`tests/hostile/`, issue 12): every case is served by a real HTTP server
//! and read by the real binary — `poll --once`, `feeds`, `feed test`, `export` (JSON Lines and
//! CSV) and the console in a pseudo-terminal — and every byte those write (stdout, stderr, the log,
//! every text value in the database, the terminal) is checked raw: no ESC, no BEL, no other C0
//! control but tab and line breaks, no C1 control, no bidi override or isolate, no zero-width
//! character, nothing that is not UTF-8. Each case's own expectations (its poll line's outcome and
//! words, how many mentions it leaves, strings that must be stored nowhere, requests that must
//! never be made) are checked too, and no process may hang or panic.
//!
//! All cases run as feeds of one config (one poll for all of them), so the corpus costs a few
//! processes, not hundreds. A case marked `known_failure` runs in an environment of its own and is
//! not asserted: what it breaks is printed in the summary. See `tests/hostile/README.md`.

use crate::common::env::Env;
use crate::common::server::{FixtureServer, Request, Response};
use crate::common::{scaled, timeout};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The poller's limits for the corpus: a slow or dead server costs three seconds, not thirty.
const POLLER: &str = "[poller]\nconcurrency = 32\nconnect_timeout = \"2s\"\ntimeout = \"3s\"\nmax_body = \"8MiB\"\n\n";
/// 1990-01-01: an earlier publication date is no date (README, "dates before 1990 are no dates").
const EARLIEST_DATE: i64 = 631_152_000;

/// One case's `.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    what: String,
    class: String,
    #[serde(default = "rss")]
    kind: String,
    path: Option<String>,
    status: Option<u16>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default = "normal")]
    behaviour: String,
    #[serde(default)]
    chunked: bool,
    time_format: Option<String>,
    /// `ok`, `error` or `any` (either, as long as nothing breaks).
    outcome: String,
    stored_min: Option<i64>,
    stored_max: Option<i64>,
    /// Words the poll line holds (case-insensitive); `a|b` for either.
    error_contains: Option<String>,
    /// Strings (case-insensitive) no stored mention and no exported line of this feed may hold.
    #[serde(default)]
    forbid_stored: Vec<String>,
    /// A path on the test server that must never be asked for (an external entity, a DTD).
    no_request: Option<String>,
    known_failure: Option<String>,
}

fn rss() -> String {
    "rss".into()
}

fn normal() -> String {
    "normal".into()
}

struct Case {
    name: String,
    spec: Spec,
    body: Vec<u8>,
}

impl Case {
    /// Where the server answers this case: its own prefix, then what the kind asks for.
    fn served_path(&self) -> String {
        let tail = match self.spec.kind.as_str() {
            "hackernews" => "/api/v1/search_by_date",
            "stackexchange" => "/2.3/search/advanced",
            "mastodon" => "/api/v1/timelines/tag/x",
            "json" => "/api",
            "lemmy" => "/api/v3/search",
            "youtube" => "/youtube/v3/search",
            "flickr" => "/services/rest/",
            "appstore" => "/us/rss/customerreviews/page=1/id=1/sortby=mostrecent/json",
            _ => "/feed",
        };
        format!("/{}{}", self.name, self.spec.path.as_deref().unwrap_or(tail))
    }

    /// The `[[feed]]` table that fetches it.
    fn feed_toml(&self, s: &FixtureServer) -> String {
        let name = &self.name;
        let kind = &self.spec.kind;
        let base = s.url(&format!("/{name}"));
        let mut t = format!("[[feed]]\nname = \"{name}\"\nkind = \"{kind}\"\nevery = \"1h\"\n");
        match kind.as_str() {
            "rss" => t.push_str(&format!("url = \"{}\"\n", s.url(&self.served_path()))),
            "hackernews" | "stackexchange" | "lemmy" => t.push_str(&format!("query = \"acme\"\nurl = \"{base}\"\n")),
            "mastodon" => t.push_str(&format!("tag = \"x\"\nurl = \"{base}\"\n")),
            // The key from a variable every run sets (`HOSTILE_KEY`).
            "youtube" | "flickr" => t.push_str(&format!(
                "query = \"acme\"\nurl = \"{base}\"\ntoken_env = \"HOSTILE_KEY\"\n"
            )),
            "appstore" => t.push_str(&format!("app = \"1\"\nurl = \"{base}\"\n")),
            "json" => {
                t.push_str(&format!(
                    "query = \"acme\"\nurl = \"{}?q={{query}}\"\n\n[feed.map]\nitems = \"/items\"\nid = \"/id\"\n\
                     url = \"/url\"\nauthor = \"/author\"\ntitle = \"/title\"\ntext = \"/text\"\ntime = \"/time\"\n",
                    s.url(&self.served_path())
                ));
                if let Some(f) = &self.spec.time_format {
                    t.push_str(&format!("time_format = \"{f}\"\n"));
                }
            }
            other => panic!("{name}: kind {other:?} is not one the corpus knows"),
        }
        t.push('\n');
        t
    }

    /// Polled twice when its body changes on every fetch.
    fn volatile(&self) -> bool {
        contains(&self.body, b"{{NONCE}}")
    }
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

fn load_corpus() -> Vec<Case> {
    let dir = corpus_dir();
    let mut cases: Vec<Case> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let name = p
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("a UTF-8 name")
                .to_string();
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}: case names are lower-case letters, digits and _"
            );
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let spec: Spec = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            assert!(
                matches!(spec.outcome.as_str(), "ok" | "error" | "any"),
                "{name}: outcome is ok, error or any"
            );
            let body = std::fs::read(p.with_extension("body")).unwrap_or_default();
            Case { name, spec, body }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    // `HOSTILE_CASES=date_,res_gzip` runs only the cases whose names contain one of these.
    if let Ok(only) = std::env::var("HOSTILE_CASES") {
        let only: Vec<&str> = only.split(',').filter(|s| !s.is_empty()).collect();
        cases.retain(|c| only.iter().any(|o| c.name.contains(o)));
    }
    cases
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The body with its placeholders expanded: `{{BASE}}` the server's origin, `{{NONCE}}` a number
/// new on every fetch, `{{REPEAT:N:text}}` the text N times (`{i}` in it counting from 0).
fn expand(body: &[u8], base: &str, nonce: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.windows(2).position(|w| w == b"{{") {
        out.extend_from_slice(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after
            .windows(2)
            .position(|w| w == b"}}")
            .expect("an unclosed {{ placeholder");
        let inner = std::str::from_utf8(&after[..end]).expect("a UTF-8 placeholder");
        if inner == "BASE" {
            out.extend_from_slice(base.as_bytes());
        } else if inner == "NONCE" {
            out.extend_from_slice(nonce.to_string().as_bytes());
        } else if let Some(spec) = inner.strip_prefix("REPEAT:") {
            let (n, text) = spec.split_once(':').expect("{{REPEAT:N:text}}");
            let n: usize = n.parse().expect("{{REPEAT:N:text}} with a number");
            if text.contains("{i}") {
                for i in 0..n {
                    out.extend_from_slice(text.replace("{i}", &i.to_string()).as_bytes());
                }
            } else {
                out.extend_from_slice(&text.as_bytes().repeat(n));
            }
        } else {
            panic!("unknown placeholder {{{{{inner}}}}}");
        }
        rest = &after[end + 2..];
    }
    out.extend_from_slice(rest);
    out
}

/// The behaviour's number: `stall_after:100` → 100.
fn arg(behaviour: &str) -> usize {
    behaviour
        .split_once(':')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or_else(|| panic!("{behaviour}: a number after the colon"))
}

/// What a case sets on every answer: status, headers, framing.
#[derive(Clone)]
struct Dress {
    status: Option<u16>,
    headers: Vec<(String, String)>,
    chunked: bool,
}

impl Dress {
    fn of(case: &Case) -> Dress {
        Dress {
            status: case.spec.status,
            headers: case.spec.headers.clone().into_iter().collect(),
            chunked: case.spec.chunked,
        }
    }

    fn on(&self, mut r: Response) -> Response {
        if let Some(status) = self.status {
            r = r.status(status);
        }
        for (k, v) in &self.headers {
            r = r.header(k, v);
        }
        if self.chunked {
            r = r.chunked();
        }
        r
    }
}

/// Serve the case on `s`.
fn serve(s: &FixtureServer, case: &Case) {
    let path = case.served_path();
    let base = s.url("");
    let behaviour = case.spec.behaviour.as_str();
    let body = expand(&case.body, &base, 0);
    let word = behaviour.split(':').next().unwrap_or_default();
    let dress = Dress::of(case);
    match word {
        "normal" if case.volatile() => {
            let raw = case.body.clone();
            let fetches = Arc::new(AtomicUsize::new(0));
            s.route_with(&path, move |_: &Request| {
                let n = fetches.fetch_add(1, Ordering::SeqCst);
                dress.on(Response::ok(expand(&raw, &base, n)))
            });
        }
        "normal" => s.route(&path, dress.on(Response::ok(body))),
        "raw" => s.route(&path, Response::raw(body)),
        "never_answer" => s.route(&path, dress.on(Response::ok(body)).never_answer()),
        "stall_after" => s.route(&path, dress.on(Response::ok(body)).stall_after(arg(behaviour))),
        "cut_after" => s.route(&path, dress.on(Response::ok(body)).cut_after(arg(behaviour))),
        "delay" => s.route(
            &path,
            dress.on(Response::ok(body)).delay(Duration::from_millis(
                u64::try_from(arg(behaviour)).expect("a delay in ms"),
            )),
        ),
        "gzip_bomb" => s.route(&path, dress.on(Response::gzip_bomb(arg(behaviour)))),
        "huge" => {
            let n = arg(behaviour);
            s.route_with(&path, move |_: &Request| {
                let mut b = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>".to_vec();
                b.resize(n, b'A');
                dress.on(Response::ok(b).content_type("application/rss+xml"))
            });
        }
        other => panic!("{}: unknown behaviour {other:?}", case.name),
    }
}

// ---------------------------------------------------------------------------------------------
// Running the binary with a deadline.

struct Run {
    out: Output,
    took: Duration,
    hung: bool,
}

/// Run `cmd` to the end, or kill it at `limit`.
fn run_limited(mut cmd: Command, limit: Duration) -> Run {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let so = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let se = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let mut hung = false;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for the binary") {
            break st;
        }
        if started.elapsed() > limit {
            hung = true;
            let _ = child.kill();
            break child.wait().expect("wait for the killed binary");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = started.elapsed();
    Run {
        out: Output {
            status,
            stdout: so.join().unwrap_or_default(),
            stderr: se.join().unwrap_or_default(),
        },
        took,
        hung,
    }
}

// ---------------------------------------------------------------------------------------------
// What may never be written.

/// The first thing in `s` a terminal would obey or that hides text, described; `None` when clean.
fn forbidden_char(s: &str) -> Option<String> {
    s.chars().find_map(|c| {
        let bad = match c {
            '\t' | '\n' | '\r' => false,
            '\u{0}'..='\u{1f}' | '\u{7f}' | '\u{80}'..='\u{9f}' => true,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
            '\u{200b}' | '\u{200c}' | '\u{200e}' | '\u{200f}' | '\u{2060}' | '\u{feff}' => true,
            _ => false,
        };
        bad.then(|| format!("U+{:04X}", c as u32))
    })
}

/// [`forbidden_char`] for bytes, which must be UTF-8 too (a lone 0x9B is CSI to an 8-bit terminal).
fn forbidden_bytes(b: &[u8]) -> Option<String> {
    match std::str::from_utf8(b) {
        Ok(s) => forbidden_char(s),
        Err(e) => Some(format!("bytes that are not UTF-8 at {}", e.valid_up_to())),
    }
}

/// Findings, by case (`None`: not attributable to one).
#[derive(Default)]
struct Findings(BTreeMap<Option<String>, Vec<String>>);

impl Findings {
    fn add(&mut self, case: Option<&str>, what: String) {
        let list = self.0.entry(case.map(str::to_string)).or_default();
        if list.len() < 12 && !list.contains(&what) {
            list.push(what);
        }
    }

    fn of(&self, case: &str) -> &[String] {
        self.0
            .get(&Some(case.to_string()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

/// The case a line speaks of: its first word if that is a case, else the first case it names.
fn case_of<'a>(line: &str, names: &'a BTreeSet<String>) -> Option<&'a str> {
    let first = line.split_whitespace().next().unwrap_or_default();
    if let Some(n) = names.get(first) {
        return Some(n);
    }
    // The longest name first, so `date_1900` is not taken for a prefix of another case.
    let mut hits: Vec<&String> = names.iter().filter(|n| line.contains(n.as_str())).collect();
    hits.sort_by_key(|n| std::cmp::Reverse(n.len()));
    hits.first().map(|n| n.as_str())
}

fn short(s: &str) -> String {
    let s: String = s.chars().take(160).collect();
    format!("{s:?}")
}

/// Check every line of an output; a finding names the output and the line.
fn check_output(f: &mut Findings, names: &BTreeSet<String>, what: &str, bytes: &[u8], known: Option<&str>) {
    for line in bytes.split(|b| *b == b'\n') {
        if let Some(bad) = forbidden_bytes(line) {
            let text = String::from_utf8_lossy(line);
            let case = known.or_else(|| case_of(&text, names));
            f.add(case, format!("{what}: {bad} in {}", short(&text)));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One batch: every case a feed of one config.

struct Batch {
    findings: Findings,
    poll_took: Duration,
    lines: BTreeMap<String, String>,
}

fn log_of(env: &Env) -> Vec<u8> {
    std::fs::read(env.home().join(".local/state/overhear/overhear.log")).unwrap_or_default()
}

#[expect(clippy::too_many_lines, reason = "one pass over every output path, in order")]
fn run_batch(cases: &[Case], thorough: bool) -> Batch {
    // Known failures may hang: a short deadline, and no feed test or console for them.
    let limit = if thorough { timeout(60) } else { timeout(10) };
    let mut f = Findings::default();
    let names: BTreeSet<String> = cases.iter().map(|c| c.name.clone()).collect();
    let s = FixtureServer::start();
    for c in cases {
        serve(&s, c);
    }
    let env = Env::new().var("HOSTILE_KEY", "hostile-key");
    let config: String = std::iter::once(POLLER.to_string())
        .chain(cases.iter().map(|c| c.feed_toml(&s)))
        .collect();
    env.config(&config);

    // 1. poll --once: one line per feed, exit 0 or 1, in time.
    let poll = run_limited(env.command(&["poll", "--once"]), limit);
    let poll_took = poll.took;
    if poll.hung {
        f.add(None, format!("poll --once hung: killed after {:?}", poll.took));
    }
    if !matches!(poll.out.status.code(), Some(0 | 1)) {
        f.add(
            None,
            format!(
                "poll --once exited with {:?}: {}",
                poll.out.status,
                short(&String::from_utf8_lossy(&poll.out.stderr))
            ),
        );
    }
    check_output(&mut f, &names, "poll's stdout", &poll.out.stdout, None);
    check_output(&mut f, &names, "poll's stderr", &poll.out.stderr, None);
    let stdout = String::from_utf8_lossy(&poll.out.stdout).into_owned();
    let mut lines = BTreeMap::new();
    for l in stdout.lines() {
        if let Some(n) = l.split_whitespace().next().filter(|n| names.contains(*n)) {
            lines.insert(n.to_string(), l.to_string());
        }
    }
    for c in cases {
        let Some(line) = lines.get(&c.name) else {
            f.add(Some(&c.name), "no line in poll's stdout".into());
            continue;
        };
        let word = line.split_whitespace().nth(1).unwrap_or_default();
        let expected = match c.spec.outcome.as_str() {
            "any" => matches!(word, "ok" | "error"),
            o => word == o,
        };
        if !expected {
            f.add(
                Some(&c.name),
                format!("outcome {word:?}, expected {:?}: {line}", c.spec.outcome),
            );
        }
        if let Some(w) = &c.spec.error_contains {
            let lower = line.to_lowercase();
            if !w.split('|').any(|alt| lower.contains(&alt.to_lowercase())) {
                f.add(Some(&c.name), format!("{w:?} not in its poll line: {line}"));
            }
        }
        if line.contains("panicked") {
            f.add(Some(&c.name), format!("a caught panic: {line}"));
        }
    }

    // 2. Cases whose body changes with every fetch are polled once more, alone.
    let volatile: Vec<&Case> = cases.iter().filter(|c| c.volatile()).collect();
    if !volatile.is_empty() {
        let again: String = std::iter::once(POLLER.to_string())
            .chain(volatile.iter().map(|c| c.feed_toml(&s)))
            .collect();
        env.config(&again);
        let out = run_limited(env.command(&["poll", "--once", "--force"]), limit);
        if out.hung || !matches!(out.out.status.code(), Some(0 | 1)) {
            f.add(
                None,
                format!("the second poll: {:?}, hung {}", out.out.status, out.hung),
            );
        }
        check_output(&mut f, &names, "the second poll's stdout", &out.out.stdout, None);
        check_output(&mut f, &names, "the second poll's stderr", &out.out.stderr, None);
        env.config(&config);
    }

    // 3. feeds, export (JSON Lines and CSV).
    for args in [
        &["feeds"][..],
        &["export", "--format", "jsonl"],
        &["export", "--format", "csv"],
    ] {
        let out = run_limited(env.command(args), timeout(60));
        let what = args.join(" ");
        if out.hung || out.out.status.code() != Some(0) {
            f.add(
                None,
                format!(
                    "{what}: {:?}, hung {}: {}",
                    out.out.status,
                    out.hung,
                    short(&String::from_utf8_lossy(&out.out.stderr))
                ),
            );
        }
        check_output(&mut f, &names, &format!("{what}'s stdout"), &out.out.stdout, None);
        check_output(&mut f, &names, &format!("{what}'s stderr"), &out.out.stderr, None);
        if args[0] == "export" && args[2] == "jsonl" {
            check_jsonl(&mut f, cases, &out.out.stdout);
        }
        if args[0] == "export" && args[2] == "csv" {
            check_csv(&mut f, &out.out.stdout);
        }
    }

    // 4. feed test NAME, a few at a time.
    for group in cases.chunks(12).filter(|_| thorough) {
        let runs: Vec<(String, std::thread::JoinHandle<Run>)> = group
            .iter()
            .map(|c| {
                let cmd = env.command(&["feed", "test", &c.name]);
                (
                    c.name.clone(),
                    std::thread::spawn(move || run_limited(cmd, timeout(60))),
                )
            })
            .collect();
        for (name, h) in runs {
            let r = h.join().expect("a feed test thread");
            if r.took > Duration::from_secs(4) {
                println!("  slow: feed test {name} took {:?}", r.took);
            }
            if r.hung || !matches!(r.out.status.code(), Some(0 | 1)) {
                f.add(
                    Some(&name),
                    format!(
                        "feed test: {:?}, hung {}: {}",
                        r.out.status,
                        r.hung,
                        short(&String::from_utf8_lossy(&r.out.stderr))
                    ),
                );
            }
            check_output(&mut f, &names, "feed test's stdout", &r.out.stdout, Some(&name));
            check_output(&mut f, &names, "feed test's stderr", &r.out.stderr, Some(&name));
        }
    }

    // 5. The database: every text value of every table, and each case's mentions.
    check_database(&mut f, &env, cases);

    // 6. Requests that must never have been made.
    for c in cases {
        if let Some(p) = &c.spec.no_request {
            let n = s.requests_to(p).len();
            if n > 0 {
                f.add(Some(&c.name), format!("{n} request(s) to {p}"));
            }
        }
    }

    // 7. The console, walked row by row.
    if thorough {
        check_console(&mut f, &env, &names);
    }

    // 8. The log, last: the console writes to it too.
    let log = log_of(&env);
    check_output(&mut f, &names, "the log", &log, None);
    for line in String::from_utf8_lossy(&log).lines() {
        if line.contains("panicked") {
            let case = case_of(line, &names);
            f.add(case, format!("a caught panic in the log: {}", short(line)));
        }
    }

    Batch {
        findings: f,
        poll_took,
        lines,
    }
}

/// Every exported mention: its decoded strings clean, no forbidden string for its feed.
/// No cell of the CSV export runs as a spreadsheet formula: none starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return unless it is a plain number.
fn check_csv(f: &mut Findings, bytes: &[u8]) {
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    for rec in r.records() {
        let Ok(rec) = rec else {
            f.add(None, "export csv: a record that is not CSV".to_string());
            continue;
        };
        let feed = rec.get(1).unwrap_or_default().to_string();
        for cell in rec.iter() {
            let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err();
            if formula {
                f.add(Some(&feed), format!("export csv: a formula cell {}", short(cell)));
            }
        }
    }
}

fn check_jsonl(f: &mut Findings, cases: &[Case], bytes: &[u8]) {
    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
                out.push(k.clone());
                strings(x, out);
            }),
            _ => {}
        }
    }
    for line in String::from_utf8_lossy(bytes).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            f.add(None, format!("export jsonl: a line that is not JSON: {}", short(line)));
            continue;
        };
        let feed = v["feed"].as_str().unwrap_or_default().to_string();
        let case = cases.iter().find(|c| c.name == feed);
        let mut all = Vec::new();
        strings(&v, &mut all);
        for s in &all {
            if let Some(bad) = forbidden_char(s) {
                f.add(Some(&feed), format!("export jsonl (decoded): {bad} in {}", short(s)));
            }
            for w in case.map(|c| c.spec.forbid_stored.as_slice()).unwrap_or_default() {
                if s.to_lowercase().contains(&w.to_lowercase()) {
                    f.add(Some(&feed), format!("export jsonl carries {w:?}: {}", short(s)));
                }
            }
        }
    }
}

#[expect(clippy::too_many_lines, reason = "every table, then each case's mentions")]
fn check_database(f: &mut Findings, env: &Env, cases: &[Case]) {
    let db = env.open_db();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    if integrity != "ok" {
        f.add(None, format!("the database: {integrity}"));
    }
    let tables: Vec<String> = env
        .rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT LIKE 'mentions_fts%'",
        )
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let feed_names: BTreeMap<String, String> = env
        .rows("SELECT id, name FROM feeds")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    for table in tables {
        let cols: Vec<String> = env
            .rows(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
        let mut stmt = db
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .expect("select a table");
        let mut rows = stmt.query([]).expect("query a table");
        while let Some(row) = rows.next().expect("a row") {
            let mut case = None;
            let mut bad = Vec::new();
            for (i, col) in cols.iter().enumerate() {
                let v = row.get_ref(i).expect("a value");
                if let rusqlite::types::ValueRef::Text(t) = v {
                    if table == "feeds" && col == "name" {
                        case = Some(String::from_utf8_lossy(t).into_owned());
                    }
                    if let Some(b) = forbidden_bytes(t) {
                        bad.push(format!("{table}.{col}: {b} in {}", short(&String::from_utf8_lossy(t))));
                    }
                } else if let rusqlite::types::ValueRef::Integer(n) = v {
                    if table == "mentions" && col == "feed_id" {
                        case = feed_names.get(&n.to_string()).cloned();
                    }
                }
            }
            for b in bad {
                f.add(case.as_deref(), b);
            }
        }
    }
    for c in cases {
        let q = format!(
            "SELECT m.external_id, coalesce(m.url, ''), coalesce(m.author, ''), coalesce(m.title, ''), m.text, \
             coalesce(m.published_at, '') FROM mentions m JOIN feeds f ON f.id = m.feed_id WHERE f.name = '{}'",
            c.name
        );
        let rows = env.rows(&q);
        let n = i64::try_from(rows.len()).expect("a count");
        if c.spec.stored_min.is_some_and(|m| n < m) || c.spec.stored_max.is_some_and(|m| n > m) {
            f.add(
                Some(&c.name),
                format!(
                    "{n} mentions stored, expected {:?}..={:?}",
                    c.spec.stored_min, c.spec.stored_max
                ),
            );
        }
        for r in &rows {
            if let Ok(t) = r[5].parse::<i64>() {
                if t < EARLIEST_DATE {
                    f.add(
                        Some(&c.name),
                        format!("published_at {t}, before 1990, for {}", short(&r[0])),
                    );
                }
            }
            for w in &c.spec.forbid_stored {
                if r.iter().any(|v| v.to_lowercase().contains(&w.to_lowercase())) {
                    f.add(Some(&c.name), format!("stored {w:?}: {}", short(&r.join(" | "))));
                }
            }
        }
    }
}

/// The console over the batch's database: the stream drawn, every row walked with `j`, and the
/// raw bytes on the terminal checked. The console's own writes are CSI sequences (cursor moves,
/// colours, modes), `ESC 7`/`ESC 8`, text and line breaks; nothing here asks it to copy (OSC 52)
/// or show a link (OSC 8). So any other escape, any control string, BEL, C1, bidi, or a CSI with
/// the corpus's marker parameter 1337 came from a feed.
fn check_console(f: &mut Findings, env: &Env, names: &BTreeSet<String>) {
    let term = env.console(120, 40);
    if let Err(e) = term.wait_for("Stream", timeout(20)) {
        f.add(None, format!("the console: no stream drawn: {e}"));
        return;
    }
    let _ = term.wait_settled(timeout(5));
    for _ in 0..names.len() + 20 {
        term.send_key("j");
        let _ = term.wait_settled(scaled(Duration::from_millis(500)));
    }
    let _ = term.wait_settled(timeout(5));
    let raw = term.raw();
    let alive = !term.output_ended();
    check_terminal_bytes(f, &raw);
    if !alive {
        f.add(None, "the console ended while walking the rows".into());
        return;
    }
    term.send_key("q");
    if let Err(e) = term.wait_until(|_| term.output_ended(), timeout(10), "the console to quit") {
        f.add(None, format!("the console did not quit: {e}"));
    }
}

fn check_terminal_bytes(f: &mut Findings, raw: &[u8]) {
    let mut text = Vec::with_capacity(raw.len());
    let mut i = 0;
    let around = |at: usize| {
        short(&String::from_utf8_lossy(
            &raw[at.saturating_sub(40)..(at + 40).min(raw.len())],
        ))
    };
    while i < raw.len() {
        let b = raw[i];
        if b != 0x1b {
            if b < 0x20 && !matches!(b, b'\r' | b'\n' | b'\x08') || b == 0x7f {
                f.add(
                    None,
                    format!("the console wrote control byte {b:#04x} near {}", around(i)),
                );
            }
            text.push(b);
            i += 1;
            continue;
        }
        match raw.get(i + 1) {
            Some(b'[') => {
                let start = i + 2;
                let mut j = start;
                while j < raw.len() && (0x20..=0x3f).contains(&raw[j]) {
                    j += 1;
                }
                let params = String::from_utf8_lossy(&raw[start..j.min(raw.len())]).into_owned();
                let fin = raw.get(j).copied().unwrap_or(0);
                if !(0x40..=0x7e).contains(&fin) {
                    f.add(None, format!("the console wrote a broken CSI near {}", around(i)));
                }
                if params.contains("1337") || (fin == b'n' && params == "6") {
                    f.add(None, format!("a feed's CSI reached the terminal near {}", around(i)));
                }
                i = j + 1;
            }
            Some(b'7' | b'8' | b'=' | b'>') => i += 2,
            Some(b'(') => i += 3,
            other => {
                f.add(
                    None,
                    format!(
                        "an escape the console never writes (ESC {:?}) reached the terminal near {}",
                        other.map(|b| *b as char),
                        around(i)
                    ),
                );
                i += 2;
            }
        }
    }
    match std::str::from_utf8(&text) {
        Ok(t) => {
            if let Some(bad) = forbidden_char(&t.replace('\x08', "")) {
                f.add(None, format!("the console drew {bad}"));
            }
        }
        Err(e) => f.add(
            None,
            format!(
                "the console wrote bytes that are not UTF-8 near {}",
                around(e.valid_up_to())
            ),
        ),
    }
}

// ---------------------------------------------------------------------------------------------

#[test]
fn the_hostile_corpus_never_drives_a_terminal_and_every_case_behaves() {
    let started = Instant::now();
    let cases = load_corpus();
    if std::env::var_os("HOSTILE_CASES").is_none() {
        assert!(
            cases.len() >= 60,
            "issue 12 asks for at least 60 cases; {} found",
            cases.len()
        );
    }
    let (known, asserted): (Vec<Case>, Vec<Case>) = cases.into_iter().partition(|c| c.spec.known_failure.is_some());

    let main = run_batch(&asserted, true);
    let side = (!known.is_empty()).then(|| run_batch(&known, false));

    // The summary: cases per class, time, known failures and what they still break.
    let mut per_class: BTreeMap<&str, usize> = BTreeMap::new();
    for c in asserted.iter().chain(&known) {
        *per_class.entry(c.spec.class.as_str()).or_default() += 1;
    }
    println!(
        "hostile corpus: {} cases ({}), poll of {} feeds in {:?}, all in {:?}",
        asserted.len() + known.len(),
        per_class
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        asserted.len(),
        main.poll_took,
        started.elapsed()
    );
    for c in &known {
        let side = side.as_ref().expect("known failures ran");
        let found = side.findings.of(&c.name);
        println!(
            "  KNOWN FAILURE {}: {} ({})",
            c.name,
            c.spec.known_failure.as_deref().unwrap_or_default(),
            c.spec.what
        );
        if let Some(l) = side.lines.get(&c.name) {
            println!("      poll: {l}");
        }
        if found.is_empty() {
            println!("      it no longer fails: remove known_failure from {}.toml", c.name);
        }
        for x in found {
            println!("      {x}");
        }
    }
    if let Some(side) = &side {
        for x in side.findings.0.get(&None).map(Vec::as_slice).unwrap_or_default() {
            println!("  (known failures' environment, no one case) {x}");
        }
    }

    let mut failures = Vec::new();
    for (case, list) in &main.findings.0 {
        let who = case.as_deref().unwrap_or("(no one case)");
        let what = case
            .as_deref()
            .and_then(|n| asserted.iter().find(|c| c.name == n))
            .map(|c| c.spec.what.as_str())
            .unwrap_or_default();
        failures.push(format!("{who} [{what}]\n    {}", list.join("\n    ")));
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The corpus is a directory of pairs: every body has its `.toml`.
#[test]
fn every_corpus_body_has_its_case() {
    let dir = corpus_dir();
    for e in std::fs::read_dir(&dir).expect("the corpus") {
        let p = e.expect("an entry").path();
        if p.extension().is_some_and(|e| e == "body") {
            assert!(
                Path::new(&p.with_extension("toml")).exists(),
                "{} has no .toml",
                p.display()
            );
        }
    }
}

/// The checks themselves catch what they look for (a check that sees nothing proves nothing).
#[test]
fn the_checks_catch_what_they_look_for() {
    for bad in ["a\u{1b}[2J", "b\u{7}", "c\u{9b}1m", "\u{202e}d", "e\u{200b}", "f\u{0}"] {
        assert!(forbidden_char(bad).is_some(), "{bad:?}");
    }
    assert!(forbidden_bytes(b"lone \x9b byte").is_some());
    assert!(forbidden_char("plain text, tab\tand\r\nline breaks; emoji \u{1F469}\u{200D}\u{1F52C}").is_none());
    for raw in [
        &b"\x1b[1;1Hok\x1b]0;pwned\x07"[..],
        b"\x1b[1337;31mred",
        b"\x1bP+q\x1b\\",
        b"\x1b_Ga\x1b\\",
        b"x\x07",
        "\u{9b}31m".as_bytes(),
    ] {
        let mut f = Findings::default();
        check_terminal_bytes(&mut f, raw);
        assert!(!f.0.is_empty(), "{raw:?}");
    }
    let mut f = Findings::default();
    check_terminal_bytes(
        &mut f,
        b"\x1b[?1049h\x1b[1;1H\x1b[38;5;12mtext\x1b[0m\r\n\x1b7\x1b8\x1b[?25l",
    );
    assert!(f.0.is_empty(), "the console's own sequences pass: {:?}", f.0);
    let mut f = Findings::default();
    check_csv(&mut f, b"id,feed,text\n1,a,\"=HYPERLINK(\"\"x\"\")\"\n2,b,@SUM(1)\n");
    assert_eq!(f.0.len(), 2, "{:?}", f.0);
    let mut f = Findings::default();
    check_csv(&mut f, b"id,feed,text\n1,a,'=1\n2,b,-3\n3,c,a = b\n");
    assert!(f.0.is_empty(), "{:?}", f.0);
}
