//! A real HTTP/1.1 server on 127.0.0.1, with full control over misbehaviour: delays, servers that
//! never answer, bodies that stall or get cut, gzip bombs, recorded headers, conditional GET.
//! Every request is recorded for assertions.
//!
//! One thread per connection, one request per connection (`connection: close`). Routing is on the
//! path only; the query string is recorded but ignored for routing. A path without a route gets a
//! 404. Dropping the server stops it, releases every held connection and never waits long.

use flate2::Compression;
use flate2::write::GzEncoder;
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The most a request head (request line and headers) may take.
const MAX_HEAD: usize = 1 << 20;
/// How long a connection may sit without sending its request before the server gives up on it.
const IDLE_READ: Duration = Duration::from_secs(60);
/// How long `Drop` waits for connection threads to finish after closing their sockets.
const DROP_GRACE: Duration = Duration::from_secs(2);

/// A lock that survives a panic in another thread (a failed assertion must not cascade).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Send the whole response, then close.
    Normal,
    /// Read the request, then hold the socket open without writing, until the server drops.
    Never,
    /// Send the head and the first n body bytes, then hold the socket open until the server drops.
    StallAfter(usize),
    /// Send the head (with the full length) and the first n body bytes, then close.
    CutAfter(usize),
}

/// What the server answers on one route. Build with [`Response::ok`] and friends.
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Option<Duration>,
    mode: Mode,
    chunked: bool,
    etag: Option<String>,
    last_modified: Option<String>,
    raw: Option<Vec<u8>>,
}

impl Response {
    /// 200 with this body and no content-type.
    pub fn ok(body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
            delay: None,
            mode: Mode::Normal,
            chunked: false,
            etag: None,
            last_modified: None,
            raw: None,
        }
    }

    /// 200 with a JSON body and `content-type: application/json`.
    pub fn json(value: &serde_json::Value) -> Response {
        Response::ok(serde_json::to_vec(value).expect("serialise JSON")).content_type("application/json")
    }

    /// These exact bytes are written after the request is read, then the connection is closed:
    /// for malformed responses (a lying content-length, garbage instead of HTTP, …). Only
    /// [`Response::delay`] applies to it.
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Response {
        let mut r = Response::ok(Vec::new());
        r.raw = Some(bytes.into());
        r
    }

    /// A small gzip body that inflates to `uncompressed` zero bytes, with `content-encoding: gzip`
    /// and `content-type: application/rss+xml`.
    pub fn gzip_bomb(uncompressed: usize) -> Response {
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        let chunk = vec![0u8; 1 << 20];
        let mut left = uncompressed;
        while left > 0 {
            let n = left.min(chunk.len());
            enc.write_all(&chunk[..n]).expect("gzip in memory");
            left -= n;
        }
        Response::ok(enc.finish().expect("gzip in memory"))
            .content_type("application/rss+xml")
            .header("content-encoding", "gzip")
    }

    /// 200 with an `ETag`, or 304 without a body when the request's `If-None-Match` matches it
    /// (weak comparison, lists and `*` understood).
    pub fn with_etag(body: impl Into<Vec<u8>>, etag: &str) -> Response {
        Response::ok(body).etag(etag)
    }

    /// 200 with a `Last-Modified`, or 304 without a body when the request's `If-Modified-Since`
    /// equals it (string equality: clients echo the value they were given).
    pub fn with_last_modified(body: impl Into<Vec<u8>>, last_modified: &str) -> Response {
        Response::ok(body).last_modified(last_modified)
    }

    /// A recorded body, with its `.headers.txt` sidecar when given: the status line
    /// (`HTTP/1.1 200 OK` or `HTTP/2 200`), then `name: value` lines. Framing and hop-by-hop
    /// headers (`content-length`, `transfer-encoding`, `connection`, `content-encoding`, …) are
    /// dropped: the stored body is the decoded one and its length is recomputed. Without a sidecar
    /// the content-type is guessed from the extension (`.json`, `.xml`, `.txt`, `.html`).
    pub fn from_fixture(body: &Path, headers: Option<&Path>) -> Response {
        let bytes = std::fs::read(body).unwrap_or_else(|e| panic!("fixture {}: {e}", body.display()));
        let mut r = Response::ok(bytes);
        let Some(h) = headers else {
            let ct = match body.extension().and_then(|e| e.to_str()) {
                Some("json") => Some("application/json"),
                Some("xml") => Some("application/xml"),
                Some("txt") => Some("text/plain; charset=utf-8"),
                Some("html") => Some("text/html; charset=utf-8"),
                _ => None,
            };
            return match ct {
                Some(ct) => r.content_type(ct),
                None => r,
            };
        };
        let text = std::fs::read_to_string(h).unwrap_or_else(|e| panic!("fixture {}: {e}", h.display()));
        let mut lines = text.lines();
        let status_line = lines.next().unwrap_or_default();
        r.status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{}: no status in {status_line:?}", h.display()));
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let name = name.trim().to_ascii_lowercase();
            if matches!(
                name.as_str(),
                "content-length"
                    | "transfer-encoding"
                    | "connection"
                    | "content-encoding"
                    | "keep-alive"
                    | "proxy-connection"
                    | "upgrade"
                    | "trailer"
                    | "te"
            ) || name.is_empty()
            {
                continue;
            }
            r.headers.push((name, value.trim().to_string()));
        }
        r
    }

    pub fn status(mut self, status: u16) -> Response {
        self.status = status;
        self
    }

    /// Add a header (names are lower-cased; repeat a name to send it twice). Framing headers
    /// (`content-length`, `transfer-encoding`, `connection`) are the server's: use
    /// [`Response::raw`] to lie about them.
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    /// Set (replace) the content-type.
    pub fn content_type(mut self, ct: &str) -> Response {
        self.headers.retain(|(k, _)| k != "content-type");
        self.header("content-type", ct)
    }

    /// Send an `ETag` and answer a matching `If-None-Match` with 304.
    pub fn etag(mut self, etag: &str) -> Response {
        self.headers.retain(|(k, _)| k != "etag");
        self.etag = Some(etag.to_string());
        self.header("etag", etag)
    }

    /// Send a `Last-Modified` and answer an equal `If-Modified-Since` with 304.
    pub fn last_modified(mut self, value: &str) -> Response {
        self.headers.retain(|(k, _)| k != "last-modified");
        self.last_modified = Some(value.to_string());
        self.header("last-modified", value)
    }

    /// Wait this long after reading the request, before sending the status line. Cut short when
    /// the server drops.
    pub fn delay(mut self, d: Duration) -> Response {
        self.delay = Some(d);
        self
    }

    /// Read the request, then keep the connection open and never write a byte, until the server
    /// drops.
    pub fn never_answer(mut self) -> Response {
        self.mode = Mode::Never;
        self
    }

    /// Send the head and the first `n` bytes of the body, then keep the connection open without
    /// writing more, until the server drops (a body that stalls mid-way).
    pub fn stall_after(mut self, n: usize) -> Response {
        self.mode = Mode::StallAfter(n);
        self
    }

    /// Send the head, announcing the full length, and the first `n` bytes of the body, then close
    /// the connection (a body cut short).
    pub fn cut_after(mut self, n: usize) -> Response {
        self.mode = Mode::CutAfter(n);
        self
    }

    /// Gzip the body (as it is now) and send `content-encoding: gzip`.
    pub fn gzip(mut self) -> Response {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(&self.body).expect("gzip in memory");
        self.body = enc.finish().expect("gzip in memory");
        self.headers.retain(|(k, _)| k != "content-encoding");
        self.header("content-encoding", "gzip")
    }

    /// Send the body with `transfer-encoding: chunked` (in chunks of at most 4 KiB) instead of a
    /// content-length.
    pub fn chunked(mut self) -> Response {
        self.chunked = true;
        self
    }

    /// The body as it will be sent (after `gzip`, if any).
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path, without the query string, as sent (not percent-decoded).
    pub path: String,
    /// The raw query string, without the `?` (empty when there was none).
    pub query: String,
    /// `HTTP/1.1`, `HTTP/1.0`, …
    pub version: String,
    /// Header names lower-cased, values trimmed, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked when sent chunked).
    pub body: Vec<u8>,
    /// When the whole request had been read.
    pub at: Instant,
}

impl Request {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of a query parameter, percent-decoded (`+` is a space).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_params().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Every query parameter, percent-decoded, in order.
    pub fn query_params(&self) -> Vec<(String, String)> {
        self.query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    }

    /// The body as text (lossy UTF-8).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; a malformed escape
/// stays as it is.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
                match (hex(i + 1), hex(i + 2)) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

enum Route {
    One(Response),
    Seq { resps: Vec<Response>, next: usize },
    Func(Handler),
}

struct Inner {
    routes: Mutex<HashMap<String, Route>>,
    log: Mutex<Vec<Request>>,
    logged: Condvar,
    stopped: Mutex<bool>,
    stop_cv: Condvar,
    stop_flag: AtomicBool,
    /// Open connections (a clone of each socket, to shut it down on drop), by id.
    conns: Mutex<Conns>,
    conns_cv: Condvar,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: Mutex<(usize, usize)>,
}

#[derive(Default)]
struct Conns {
    next: u64,
    open: HashMap<u64, TcpStream>,
}

impl Inner {
    fn stopping(&self) -> bool {
        self.stop_flag.load(Ordering::SeqCst)
    }

    /// Wait `d`, or less if the server stops; true if it is still running.
    fn pause(&self, d: Duration) -> bool {
        let g = lock(&self.stopped);
        let (g, _) = self
            .stop_cv
            .wait_timeout_while(g, d, |stopped| !*stopped)
            .unwrap_or_else(|e| e.into_inner());
        !*g
    }

    /// Wait until the server stops.
    fn hold(&self) {
        let g = lock(&self.stopped);
        let _g = self
            .stop_cv
            .wait_while(g, |stopped| !*stopped)
            .unwrap_or_else(|e| e.into_inner());
    }
}

/// A real HTTP/1.1 server on `127.0.0.1:<ephemeral>`. Stops on drop.
pub struct FixtureServer {
    addr: SocketAddr,
    inner: Arc<Inner>,
    accept: Option<JoinHandle<()>>,
}

impl FixtureServer {
    pub fn start() -> FixtureServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let inner = Arc::new(Inner {
            routes: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            logged: Condvar::new(),
            stopped: Mutex::new(false),
            stop_cv: Condvar::new(),
            stop_flag: AtomicBool::new(false),
            conns: Mutex::new(Conns::default()),
            conns_cv: Condvar::new(),
            in_flight: Mutex::new((0, 0)),
        });
        let accept_inner = inner.clone();
        let accept = std::thread::Builder::new()
            .name(format!("fixture-accept-{}", addr.port()))
            .spawn(move || accept_loop(listener, accept_inner))
            .expect("spawn the accept thread");
        FixtureServer {
            addr,
            inner,
            accept: Some(accept),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/path`; `url("")` is the bare origin, without a trailing slash.
    pub fn url(&self, path: &str) -> String {
        let sep = if path.is_empty() || path.starts_with('/') {
            ""
        } else {
            "/"
        };
        format!("http://127.0.0.1:{}{sep}{path}", self.addr.port())
    }

    /// Answer every request to `path` with `resp` (replacing any route).
    pub fn route(&self, path: &str, resp: Response) {
        lock(&self.inner.routes).insert(path.to_string(), Route::One(resp));
    }

    /// Successive requests to `path` get successive responses; the last one repeats.
    pub fn route_seq(&self, path: &str, resps: Vec<Response>) {
        assert!(!resps.is_empty(), "route_seq({path}) needs at least one response");
        lock(&self.inner.routes).insert(path.to_string(), Route::Seq { resps, next: 0 });
    }

    /// Compute the answer from the request (query, headers, body) each time.
    pub fn route_with(&self, path: &str, f: impl Fn(&Request) -> Response + Send + Sync + 'static) {
        lock(&self.inner.routes).insert(path.to_string(), Route::Func(Arc::new(f)));
    }

    /// Remove the route: `path` gets 404 again.
    pub fn unroute(&self, path: &str) {
        lock(&self.inner.routes).remove(path);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.inner.log).clone()
    }

    /// Every request to `path` so far (path without query), in arrival order.
    pub fn requests_to(&self, path: &str) -> Vec<Request> {
        lock(&self.inner.log)
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Forget the requests recorded so far.
    pub fn clear_requests(&self) {
        lock(&self.inner.log).clear();
    }

    /// Wait until `path` has received at least `n` requests; false if `limit` passed first.
    pub fn wait_for_requests(&self, path: &str, n: usize, limit: Duration) -> bool {
        self.wait_for_log(limit, |log| log.iter().filter(|r| r.path == path).count() >= n)
    }

    /// Wait until the request log satisfies `cond`; false if `limit` passed first.
    pub fn wait_for_log(&self, limit: Duration, cond: impl Fn(&[Request]) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        let mut log = lock(&self.inner.log);
        loop {
            if cond(&log) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            log = self
                .inner
                .logged
                .wait_timeout(log, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The most requests that were being answered at the same moment (delays and held
    /// connections count as being answered).
    pub fn max_in_flight(&self) -> usize {
        lock(&self.inner.in_flight).1
    }

    /// Requests being answered right now.
    pub fn in_flight(&self) -> usize {
        lock(&self.inner.in_flight).0
    }

    /// Connections open right now (including ones that have not sent a request yet).
    pub fn open_connections(&self) -> usize {
        lock(&self.inner.conns).open.len()
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        let inner = &self.inner;
        inner.stop_flag.store(true, Ordering::SeqCst);
        *lock(&inner.stopped) = true;
        inner.stop_cv.notify_all();
        // Wake the accept loop with a connection of our own; join it only if that worked.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)).is_ok();
        if let Some(h) = self.accept.take().filter(|_| woke) {
            let _ = h.join();
        }
        // Unblock every connection thread (reads, writes), then give them a moment to finish.
        let conns = lock(&inner.conns);
        for s in conns.open.values() {
            let _ = s.shutdown(Shutdown::Both);
        }
        let _ = inner
            .conns_cv
            .wait_timeout_while(conns, DROP_GRACE, |c| !c.open.is_empty());
    }
}

fn accept_loop(listener: TcpListener, inner: Arc<Inner>) {
    for stream in listener.incoming() {
        if inner.stopping() {
            break;
        }
        let Ok(stream) = stream else { continue };
        let Ok(clone) = stream.try_clone() else { continue };
        let id = {
            let mut c = lock(&inner.conns);
            c.next += 1;
            let id = c.next;
            c.open.insert(id, clone);
            id
        };
        let conn_inner = inner.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("fixture-conn-{id}"))
            .spawn(move || {
                let _ = serve(&conn_inner, stream);
                lock(&conn_inner.conns).open.remove(&id);
                conn_inner.conns_cv.notify_all();
            });
        if spawned.is_err() {
            lock(&inner.conns).open.remove(&id);
        }
    }
}

fn serve(inner: &Inner, mut stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(IDLE_READ))?;
    let _ = stream.set_nodelay(true);
    let Some(req) = read_request(&mut stream)? else {
        return Ok(());
    };
    if inner.stopping() {
        return Ok(());
    }
    let in_flight = InFlight::enter(inner);
    lock(&inner.log).push(req.clone());
    inner.logged.notify_all();
    answer(inner, &mut stream, &req, in_flight)
}

/// Counts a request as being answered from when it has been read until its answer starts to be
/// written (so a client that sends its next request the moment it has the answer is not counted
/// twice), or for as long as it is held.
struct InFlight<'a>(&'a Inner);

impl<'a> InFlight<'a> {
    fn enter(inner: &'a Inner) -> InFlight<'a> {
        let mut f = lock(&inner.in_flight);
        f.0 += 1;
        f.1 = f.1.max(f.0);
        InFlight(inner)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        lock(&self.0.in_flight).0 -= 1;
    }
}

/// Read one request: the head up to CRLFCRLF (bare LFLF tolerated), then a body by
/// content-length or chunked transfer coding. `None` when the client closed before a request.
fn read_request(stream: &mut TcpStream) -> io::Result<Option<Request>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = find_head_end(&buf) {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "request head too large"));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let (head, rest) = (&buf[..head_end.0], &buf[head_end.1..]);
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    // Tolerate stray empty lines before the request line (RFC 9112 §2.2).
    let request_line = lines.by_ref().find(|l| !l.is_empty()).unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let version = parts.next().unwrap_or("HTTP/1.0").to_string();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            // Obsolete line folding: continue the previous value.
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let get = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    // Absolute-form targets (as sent to a proxy): keep the path part.
    let origin_form = match target.split_once("://") {
        Some((_, after)) => match after.find('/') {
            Some(i) => after[i..].to_string(),
            None => "/".to_string(),
        },
        None => target,
    };
    let origin_form = origin_form.split('#').next().unwrap_or_default().to_string();
    let (path, query) = match origin_form.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (origin_form, String::new()),
    };

    let chunked_body = get("transfer-encoding").is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let length: usize = get("content-length").and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    let expects_continue = get("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
    if expects_continue && (chunked_body || rest.len() < length) {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let mut body_src = BufReader::new(io::Cursor::new(rest.to_vec()).chain(&*stream));
    let body = if chunked_body {
        read_chunked(&mut body_src)?
    } else {
        let mut body = vec![0; length];
        body_src.read_exact(&mut body)?;
        body
    };
    Ok(Some(Request {
        method,
        path,
        query,
        version,
        headers,
        body,
        at: Instant::now(),
    }))
}

/// (end of the head, start of what follows it)
fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, i + 4));
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn read_chunked(r: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let size_hex = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("bad chunk size {line:?}")))?;
        if size == 0 {
            // Trailers, up to an empty line.
            loop {
                let mut t = String::new();
                if r.read_line(&mut t)? == 0 || t.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])?;
        let mut crlf = String::new();
        r.read_line(&mut crlf)?;
    }
}

fn pick(inner: &Inner, req: &Request) -> Response {
    let handler = {
        let mut routes = lock(&inner.routes);
        match routes.get_mut(&req.path) {
            Some(Route::One(r)) => return r.clone(),
            Some(Route::Seq { resps, next }) => {
                let r = resps[(*next).min(resps.len() - 1)].clone();
                *next += 1;
                return r;
            }
            Some(Route::Func(f)) => f.clone(),
            None => {
                return Response::ok(format!("no route for {}\n", req.path))
                    .status(404)
                    .content_type("text/plain; charset=utf-8");
            }
        }
    };
    // Outside the routes lock, so a handler may change routes.
    handler(req)
}

fn not_modified(resp: &Response, req: &Request) -> bool {
    if !(req.method == "GET" || req.method == "HEAD") || !(200..300).contains(&resp.status) {
        return false;
    }
    let weak = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if let Some(inm) = req.header("if-none-match") {
        // If-None-Match takes precedence over If-Modified-Since (RFC 9110 §13.2.2).
        return resp
            .etag
            .as_deref()
            .is_some_and(|tag| inm.split(',').any(|c| c.trim() == "*" || weak(c) == weak(tag)));
    }
    match (&resp.last_modified, req.header("if-modified-since")) {
        (Some(lm), Some(ims)) => ims.trim() == lm.trim(),
        _ => false,
    }
}

fn answer(inner: &Inner, stream: &mut TcpStream, req: &Request, in_flight: InFlight) -> io::Result<()> {
    let resp = pick(inner, req);
    if let Some(d) = resp.delay {
        if !inner.pause(d) {
            return Ok(());
        }
    }
    if resp.mode == Mode::Never {
        inner.hold();
        return Ok(());
    }
    if !matches!(resp.mode, Mode::StallAfter(_)) {
        drop(in_flight);
    }
    if let Some(raw) = &resp.raw {
        stream.write_all(raw)?;
        return finish(stream);
    }
    let status = if not_modified(&resp, req) { 304 } else { resp.status };
    // No body for 1xx, 204 and 304, nor for HEAD (whose headers still describe the GET body).
    let bodiless_status = status < 200 || status == 204 || status == 304;
    let send_body = !bodiless_status && req.method != "HEAD";
    let chunked = resp.chunked && send_body;

    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in &resp.headers {
        if matches!(k.as_str(), "content-length" | "transfer-encoding" | "connection") {
            continue;
        }
        if status == 304 && k == "content-encoding" {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if chunked {
        head.push_str("transfer-encoding: chunked\r\n");
    } else if !bodiless_status {
        head.push_str(&format!("content-length: {}\r\n", resp.body.len()));
    }
    head.push_str("connection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    if !send_body {
        return finish(stream);
    }
    let (to_send, then) = match resp.mode {
        Mode::StallAfter(n) => (&resp.body[..n.min(resp.body.len())], Mode::Never),
        Mode::CutAfter(n) => (&resp.body[..n.min(resp.body.len())], Mode::CutAfter(n)),
        _ => (&resp.body[..], Mode::Normal),
    };
    if chunked {
        for piece in to_send.chunks(4096) {
            stream.write_all(format!("{:x}\r\n", piece.len()).as_bytes())?;
            stream.write_all(piece)?;
            stream.write_all(b"\r\n")?;
        }
        if then == Mode::Normal {
            stream.write_all(b"0\r\n\r\n")?;
        }
    } else {
        stream.write_all(to_send)?;
    }
    stream.flush()?;
    match then {
        Mode::Never => {
            inner.hold();
            Ok(())
        }
        Mode::CutAfter(_) => {
            let _ = stream.shutdown(Shutdown::Both);
            Ok(())
        }
        _ => finish(stream),
    }
}

/// Close our side, then let the client read everything and close its side, so that closing never
/// turns into a reset that could lose the end of the response.
fn finish(stream: &mut TcpStream) -> io::Result<()> {
    stream.flush()?;
    stream.shutdown(Shutdown::Write)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        410 => "Gone",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}
