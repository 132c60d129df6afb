//! The fixture server tested, answered by a plain std TCP client. If one of these fails, the
//! integration tests built on it cannot be trusted. (The PTY harness is tested in
//! `tests/console/harness_pty.rs`.)

use crate::common::server::{FixtureServer, Response};
use crate::common::{shared_fixture, timeout};
use flate2::read::GzDecoder;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client on a std TcpStream: write the request, read to EOF.

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(k, _)| k == name).count()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn connect(s: &FixtureServer) -> TcpStream {
    let c = TcpStream::connect(s.addr()).expect("connect to the fixture server");
    c.set_read_timeout(Some(timeout(10))).unwrap();
    c
}

/// Send raw request bytes and read the whole answer (the server closes after one).
fn exchange(s: &FixtureServer, request: &[u8]) -> Vec<u8> {
    let mut c = connect(s);
    c.write_all(request).unwrap();
    let mut out = Vec::new();
    c.read_to_end(&mut out).expect("read the answer to EOF");
    out
}

fn parse(raw: &[u8]) -> Reply {
    parse_as(raw, "GET")
}

/// Parse an answer to `method` (a HEAD answer has a content-length but no body).
fn parse_as(raw: &[u8], method: &str) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8(raw[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
    let status = status_line[9..12].parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.to_string(), v.trim().to_string())
        })
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v == "chunked") {
        body = dechunk(&body);
    } else if let Some((_, len)) = headers.iter().find(|(k, _)| k == "content-length" && method != "HEAD") {
        assert_eq!(body.len(), len.parse::<usize>().unwrap(), "content-length is right");
    }
    Reply { status, headers, body }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let nl = b.windows(2).position(|w| w == b"\r\n").expect("chunk size line");
        let size = usize::from_str_radix(std::str::from_utf8(&b[..nl]).unwrap(), 16).unwrap();
        b = &b[nl + 2..];
        if size == 0 {
            assert_eq!(b, b"\r\n", "last chunk then the end");
            return out;
        }
        out.extend_from_slice(&b[..size]);
        assert_eq!(&b[size..size + 2], b"\r\n");
        b = &b[size + 2..];
    }
}

fn request(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut r = format!("{method} {target} HTTP/1.1\r\nhost: 127.0.0.1\r\nuser-agent: selftest/1\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        r.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    r.push_str("\r\n");
    let mut r = r.into_bytes();
    r.extend_from_slice(body);
    r
}

fn get(s: &FixtureServer, target: &str, headers: &[(&str, &str)]) -> Reply {
    parse(&exchange(s, &request("GET", target, headers, b"")))
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(b).read_to_end(&mut out).expect("valid gzip");
    out
}

// ---------------------------------------------------------------------------------------------
// The server

#[test]
fn url_is_loopback_with_an_ephemeral_port() {
    let s = FixtureServer::start();
    assert_ne!(s.port(), 0);
    assert!(s.addr().ip().is_loopback());
    assert_eq!(s.url("/feed"), format!("http://127.0.0.1:{}/feed", s.port()));
    assert_eq!(s.url("feed"), format!("http://127.0.0.1:{}/feed", s.port()));
    assert_eq!(s.url(""), format!("http://127.0.0.1:{}", s.port()));
    let other = FixtureServer::start();
    assert_ne!(s.port(), other.port());
}

#[test]
fn routes_answer_by_path_and_every_request_is_recorded() {
    let s = FixtureServer::start();
    s.route("/feed", Response::ok("<rss/>").content_type("application/rss+xml"));
    let r = get(
        &s,
        "/feed?q=acme%20corp&tags=(story%2Ccomment)&x=1+2&q=second&empty=",
        &[("X-Test", "1")],
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "<rss/>");
    assert_eq!(r.header("content-type"), Some("application/rss+xml"));
    assert_eq!(r.header("content-length"), Some("6"));
    assert_eq!(r.header("connection"), Some("close"));

    let reqs = s.requests_to("/feed");
    assert_eq!(reqs.len(), 1);
    let q = &reqs[0];
    assert_eq!((q.method.as_str(), q.path.as_str()), ("GET", "/feed"));
    assert_eq!(q.query, "q=acme%20corp&tags=(story%2Ccomment)&x=1+2&q=second&empty=");
    assert_eq!(
        q.query_param("q").as_deref(),
        Some("acme corp"),
        "the first value, decoded"
    );
    assert_eq!(q.query_param("tags").as_deref(), Some("(story,comment)"));
    assert_eq!(q.query_param("x").as_deref(), Some("1 2"), "+ is a space");
    assert_eq!(q.query_param("empty").as_deref(), Some(""));
    assert_eq!(q.query_param("missing"), None);
    assert_eq!(q.query_params().len(), 5);
    assert_eq!(q.header("x-test"), Some("1"), "names are case-insensitive");
    assert_eq!(q.header("User-Agent"), Some("selftest/1"));
    assert_eq!(q.version, "HTTP/1.1");

    // No route: 404, still recorded.
    let r = get(&s, "/nothing", &[]);
    assert_eq!(r.status, 404);
    assert!(r.text().contains("/nothing"));
    assert_eq!(s.requests().len(), 2);
    assert_eq!(s.requests_to("/nothing").len(), 1);

    // A POST body is recorded; routes change while the server runs.
    s.route(
        "/feed",
        Response::ok("created").status(201).header("Location", "/feed/1"),
    );
    let r = parse(&exchange(
        &s,
        &request("POST", "/feed", &[("content-type", "application/json")], b"{\"a\":1}"),
    ));
    assert_eq!((r.status, r.text().as_str()), (201, "created"));
    assert_eq!(r.header("location"), Some("/feed/1"));
    let post = s.requests_to("/feed").pop().unwrap();
    assert_eq!(post.method, "POST");
    assert_eq!(post.body, b"{\"a\":1}");
    assert_eq!(post.body_text(), "{\"a\":1}");

    s.unroute("/feed");
    assert_eq!(get(&s, "/feed", &[]).status, 404);
    assert!(s.wait_for_requests("/feed", 3, timeout(1)));
    assert!(!s.wait_for_requests("/feed", 4, Duration::from_millis(50)));
    s.clear_requests();
    assert!(s.requests().is_empty());
}

#[test]
fn route_seq_answers_in_turn_then_repeats_the_last() {
    let s = FixtureServer::start();
    s.route_seq(
        "/seq",
        vec![
            Response::ok("one"),
            Response::ok("busy").status(429).header("retry-after", "1"),
            Response::ok("three"),
        ],
    );
    let got: Vec<(u16, String)> = (0..5)
        .map(|_| get(&s, "/seq?page=x", &[]))
        .map(|r| (r.status, r.text()))
        .collect();
    let want = [
        (200, "one"),
        (429, "busy"),
        (200, "three"),
        (200, "three"),
        (200, "three"),
    ];
    assert_eq!(got, want.map(|(c, t)| (c, t.to_string())));
    assert_eq!(s.requests_to("/seq").len(), 5);
}

#[test]
fn route_with_answers_from_the_request() {
    let s = FixtureServer::start();
    s.route_with("/echo", |req| {
        Response::ok(format!(
            "{} {}",
            req.method,
            req.query_param("since").unwrap_or_default()
        ))
    });
    assert_eq!(get(&s, "/echo?since=42", &[]).text(), "GET 42");
    assert_eq!(get(&s, "/echo", &[]).text(), "GET ");
}

#[test]
fn etag_and_last_modified_answer_304_without_a_body() {
    let s = FixtureServer::start();
    s.route(
        "/e",
        Response::with_etag("<feed/>", "\"v1\"").content_type("application/atom+xml"),
    );
    let first = get(&s, "/e", &[]);
    assert_eq!(first.status, 200);
    assert_eq!(first.header("etag"), Some("\"v1\""));
    assert_eq!(first.text(), "<feed/>");

    for inm in ["\"v1\"", "W/\"v1\"", "\"v0\", \"v1\"", "*"] {
        let again = get(&s, "/e", &[("If-None-Match", inm)]);
        assert_eq!(again.status, 304, "If-None-Match: {inm}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("content-length"), None);
        assert_eq!(again.header("etag"), Some("\"v1\""));
    }
    assert_eq!(get(&s, "/e", &[("If-None-Match", "\"v0\"")]).status, 200);
    assert_eq!(s.requests_to("/e")[1].header("if-none-match"), Some("\"v1\""));

    let lm = "Tue, 01 Dec 2026 10:00:00 GMT";
    s.route("/lm", Response::with_last_modified("x", lm));
    let first = get(&s, "/lm", &[]);
    assert_eq!((first.status, first.header("last-modified")), (200, Some(lm)));
    assert_eq!(get(&s, "/lm", &[("If-Modified-Since", lm)]).status, 304);
    let other = "Mon, 30 Nov 2026 10:00:00 GMT";
    assert_eq!(get(&s, "/lm", &[("If-Modified-Since", other)]).status, 200);
    // If-None-Match wins over If-Modified-Since.
    s.route("/both", Response::ok("b").etag("\"b\"").last_modified(lm));
    let r = get(&s, "/both", &[("If-None-Match", "\"zz\""), ("If-Modified-Since", lm)]);
    assert_eq!(r.status, 200);
}

#[test]
fn head_and_204_send_no_body() {
    let s = FixtureServer::start();
    s.route("/h", Response::ok("twelve bytes"));
    let r = parse_as(&exchange(&s, &request("HEAD", "/h", &[], b"")), "HEAD");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("12"), "the length of the GET body");
    assert!(r.body.is_empty());
    s.route("/n", Response::ok("").status(204));
    let r = parse(&exchange(&s, &request("GET", "/n", &[], b"")));
    assert_eq!((r.status, r.header("content-length")), (204, None));
}

#[test]
fn delay_holds_the_answer_and_counts_as_in_flight() {
    let s = FixtureServer::start();
    // Long enough for the three requests to be read before the first answer, even on a busy
    // machine.
    let d = timeout(1);
    s.route("/slow", Response::ok("late").delay(d));
    let started = Instant::now();
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let mut c = connect(&s);
            c.write_all(&request("GET", "/slow", &[], b"")).unwrap();
            c
        })
        .collect();
    for mut c in clients {
        let mut out = Vec::new();
        c.read_to_end(&mut out).unwrap();
        assert_eq!(parse(&out).text(), "late");
    }
    assert!(started.elapsed() >= d, "answered after the delay");
    assert_eq!(s.max_in_flight(), 3, "the three waited together");
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn never_answer_times_the_client_out_and_drop_does_not_hang() {
    let s = FixtureServer::start();
    s.route("/hang", Response::ok("").never_answer());
    s.route("/slow", Response::ok("x").delay(Duration::from_secs(3600)));
    s.route("/stall", Response::ok("0123456789").stall_after(4));

    let mut hung = connect(&s);
    hung.write_all(&request("GET", "/hang", &[], b"")).unwrap();
    let mut slow = connect(&s);
    slow.write_all(&request("GET", "/slow", &[], b"")).unwrap();
    let mut stalled = connect(&s);
    stalled.write_all(&request("GET", "/stall", &[], b"")).unwrap();
    let _idle = connect(&s); // connected, never sends a request
    assert!(s.wait_for_requests("/hang", 1, timeout(5)));
    assert!(s.wait_for_log(timeout(5), |log| log.len() == 3));
    assert!(crate::common::wait_until(timeout(5), || s.open_connections() == 4));

    hung.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut buf = [0u8; 64];
    let err = hung.read(&mut buf).expect_err("no answer");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err:?}"
    );

    // The stalled body: the head and 4 bytes arrive, then nothing.
    stalled.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut got = Vec::new();
    let end = loop {
        match stalled.read(&mut buf) {
            Ok(0) => panic!("closed, not stalled"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => break e,
        }
    };
    assert!(
        matches!(end.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{end:?}"
    );
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("content-length: 10\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\n0123"), "{text}");
    assert_eq!(s.in_flight(), 3, "held and delayed requests are in flight");

    let started = Instant::now();
    drop(s);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "drop took {:?}",
        started.elapsed()
    );
    // The held connections were closed: the clients see EOF (or a reset), not silence.
    for c in [&mut hung, &mut slow] {
        c.set_read_timeout(Some(timeout(5))).unwrap();
        let mut rest = Vec::new();
        match c.read_to_end(&mut rest) {
            Ok(_) => assert!(rest.is_empty(), "nothing was answered"),
            Err(e) => assert!(
                !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
                "{e:?}"
            ),
        }
    }
}

#[test]
fn cut_after_closes_mid_body() {
    let s = FixtureServer::start();
    s.route("/cut", Response::ok("0123456789").cut_after(3));
    let raw = exchange(&s, &request("GET", "/cut", &[], b""));
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("content-length: 10\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\n012"), "{text}");
}

#[test]
fn raw_answers_send_exact_bytes() {
    let s = FixtureServer::start();
    s.route("/garbage", Response::raw("SSH-2.0-not-http\r\n"));
    assert_eq!(
        exchange(&s, &request("GET", "/garbage", &[], b"")),
        b"SSH-2.0-not-http\r\n"
    );
}

#[test]
fn gzip_and_chunked_bodies() {
    let s = FixtureServer::start();
    let body: String = (0..2000).map(|i| format!("<item>{i}</item>\n")).collect();
    s.route(
        "/gz",
        Response::ok(body.clone()).content_type("application/json").gzip(),
    );
    let r = get(&s, "/gz", &[("accept-encoding", "gzip")]);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert!(r.body.len() < body.len() / 4, "compressed");
    assert_eq!(gunzip(&r.body), body.as_bytes());

    s.route("/ch", Response::ok(body.clone()).chunked());
    let r = get(&s, "/ch", &[]);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.text(), body, "several chunks, reassembled");

    s.route("/both", Response::ok(body.clone()).gzip().chunked());
    let r = get(&s, "/both", &[]);
    assert_eq!(gunzip(&r.body), body.as_bytes());
}

#[test]
fn gzip_bomb_is_small_on_the_wire_and_huge_inflated() {
    let s = FixtureServer::start();
    let size = 16 * 1024 * 1024;
    s.route("/bomb", Response::gzip_bomb(size));
    let r = get(&s, "/bomb", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("content-type"), Some("application/rss+xml"));
    assert!(r.body.len() < 64 * 1024, "{} bytes on the wire", r.body.len());
    let inflated = gunzip(&r.body);
    assert_eq!(inflated.len(), size);
    assert!(inflated.iter().all(|b| *b == 0));
}

#[test]
fn fixture_with_recorded_headers() {
    let body = shared_fixture("mastodon/timelines_tag_hoot.json");
    let headers = shared_fixture("mastodon/timelines_tag_hoot.headers.txt");
    let s = FixtureServer::start();
    s.route(
        "/api/v1/timelines/tag/hoot",
        Response::from_fixture(&body, Some(&headers)),
    );
    let r = get(&s, "/api/v1/timelines/tag/hoot?limit=40", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, std::fs::read(&body).unwrap());
    assert_eq!(r.count("content-length"), 1, "recomputed, not repeated");
    assert_eq!(r.header("content-length"), Some(r.body.len().to_string().as_str()));
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(r.header("etag"), Some("W/\"1959be2cab840530950fde53c158e465\""));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("299"));
    assert_eq!(r.header("x-ratelimit-reset"), Some("2026-08-01T14:00:00.070144Z"));
    let link = r.header("link").unwrap();
    assert!(
        link.starts_with("<http://localhost:3000/api/v1/timelines/tag/hoot?max_id="),
        "{link}"
    );
    assert!(link.ends_with("rel=\"prev\""), "values keep their colons: {link}");
    let recorded = std::fs::read_to_string(&headers).unwrap();
    // Every recorded header (content-length among them, recomputed) plus `connection: close`.
    assert_eq!(r.headers.len(), recorded.lines().count());
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert!(v.is_array());

    // Without a sidecar, the content-type comes from the extension.
    s.route("/plain", Response::from_fixture(&body, None));
    let r = get(&s, "/plain", &[]);
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[test]
fn fixture_status_line_may_be_http2_and_status_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (b, h) = (dir.path().join("b.json"), dir.path().join("b.headers.txt"));
    std::fs::write(&b, "{}").unwrap();
    std::fs::write(
        &h,
        "HTTP/2 429\ncontent-type: application/json\ncontent-length: 999\ncontent-encoding: gzip\n\
         transfer-encoding: chunked\nconnection: keep-alive\nretry-after: 7\n",
    )
    .unwrap();
    let s = FixtureServer::start();
    s.route("/b", Response::from_fixture(&b, Some(h.as_path())));
    let r = get(&s, "/b", &[]);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.header("content-length"), Some("2"));
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("transfer-encoding"), None);
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(r.text(), "{}");
}

#[test]
fn requests_are_parsed_robustly() {
    let s = FixtureServer::start();
    s.route("/p", Response::ok("ok"));
    // Chunked request body, Expect: 100-continue, sent in pieces.
    let mut c = connect(&s);
    c.write_all(b"POST /p?a=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    let mut cont = [0u8; 25];
    c.read_exact(&mut cont).unwrap();
    assert_eq!(&cont, b"HTTP/1.1 100 Continue\r\n\r\n");
    c.write_all(b"5\r\nhello\r\n").unwrap();
    c.write_all(b"6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n").unwrap();
    let mut out = Vec::new();
    c.read_to_end(&mut out).unwrap();
    assert_eq!(parse(&out).text(), "ok");
    let req = s.requests_to("/p").pop().unwrap();
    assert_eq!(req.body, b"hello world");
    assert_eq!(req.query, "a=1");

    // Bare LF line ends, absolute-form target, a header without a value, a non-UTF-8 value.
    let raw = b"GET http://127.0.0.1/p?b=2#frag HTTP/1.0\nX-Empty:\nX-Bin: caf\xe9\n\n".to_vec();
    let r = parse(&exchange(&s, &raw));
    assert_eq!(r.status, 200);
    let req = s.requests_to("/p").pop().unwrap();
    assert_eq!(
        (req.path.as_str(), req.query.as_str(), req.version.as_str()),
        ("/p", "b=2", "HTTP/1.0")
    );
    assert_eq!(req.header("x-empty"), Some(""));
    assert!(req.header("x-bin").unwrap().starts_with("caf"));

    // A request body split across writes, by content-length.
    let mut c = connect(&s);
    c.write_all(b"PUT /p HTTP/1.1\r\ncontent-length: 10\r\n\r\n01234")
        .unwrap();
    c.flush().unwrap();
    c.write_all(b"56789").unwrap();
    let mut out = Vec::new();
    c.read_to_end(&mut out).unwrap();
    assert_eq!(s.requests_to("/p").pop().unwrap().body, b"0123456789");

    // A client that closes without a request is not recorded.
    drop(connect(&s));
    assert_eq!(s.requests().len(), 3);
}

#[test]
fn many_concurrent_clients() {
    let s = FixtureServer::start();
    s.route("/c", Response::ok("c"));
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                for _ in 0..5 {
                    assert_eq!(get(&s, "/c", &[]).text(), "c");
                }
            });
        }
    });
    assert_eq!(s.requests_to("/c").len(), 80);
}

#[test]
fn timeouts_stretch_under_ci() {
    let factor = if crate::common::under_ci() { 3 } else { 1 };
    assert_eq!(timeout(2), Duration::from_secs(2 * factor));
}
