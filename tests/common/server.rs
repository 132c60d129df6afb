//! A real HTTP/1.1 server on 127.0.0.1, with full control over misbehaviour: delays, servers that
//! never answer, gzip bombs, recorded headers. Every request is recorded for assertions.

use flate2::Compression;
use flate2::write::GzEncoder;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the server answers on one route.
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Option<Duration>,
    never: bool,
    etag: Option<String>,
}

impl Response {
    pub fn ok(body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
            delay: None,
            never: false,
            etag: None,
        }
    }

    pub fn status(mut self, status: u16) -> Response {
        self.status = status;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    pub fn content_type(self, ct: &str) -> Response {
        self.header("content-type", ct)
    }

    /// Wait this long before sending anything.
    pub fn delay(mut self, d: Duration) -> Response {
        self.delay = Some(d);
        self
    }

    /// Read the request, then keep the connection open and never write a byte.
    pub fn never_answer(mut self) -> Response {
        self.never = true;
        self
    }

    /// Send the body gzip-compressed with `content-encoding: gzip`.
    pub fn gzip(mut self) -> Response {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(&self.body).unwrap();
        self.body = enc.finish().unwrap();
        self.header("content-encoding", "gzip")
    }

    /// A small gzip body that inflates to `uncompressed` zero bytes.
    pub fn gzip_bomb(uncompressed: usize) -> Response {
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        let chunk = vec![0u8; 1 << 20];
        let mut left = uncompressed;
        while left > 0 {
            let n = left.min(chunk.len());
            enc.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
        Response::ok(enc.finish().unwrap())
            .content_type("application/rss+xml")
            .header("content-encoding", "gzip")
    }

    /// Answer 304 when the request's `If-None-Match` is `etag`, else 200 with an `ETag`.
    pub fn with_etag(body: impl Into<Vec<u8>>, etag: &str) -> Response {
        let mut r = Response::ok(body).header("etag", etag);
        r.etag = Some(etag.to_string());
        r
    }

    /// A recorded body, with its `.headers.txt` sidecar when given: the status line, then
    /// `name: value` lines. Length and transfer headers are recomputed.
    pub fn from_fixture(body: &Path, headers: Option<&Path>) -> Response {
        let mut r = Response::ok(std::fs::read(body).unwrap_or_else(|e| panic!("{}: {e}", body.display())));
        if let Some(h) = headers {
            let text = std::fs::read_to_string(h).unwrap_or_else(|e| panic!("{}: {e}", h.display()));
            let mut lines = text.lines();
            let status_line = lines.next().expect("a status line");
            r.status = status_line
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .expect("a status code");
            for line in lines {
                let Some((name, value)) = line.split_once(':') else {
                    continue;
                };
                let name = name.trim().to_ascii_lowercase();
                if matches!(
                    name.as_str(),
                    "content-length" | "transfer-encoding" | "connection" | "content-encoding"
                ) {
                    continue;
                }
                r.headers.push((name, value.trim().to_string()));
            }
        }
        r
    }
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

enum Route {
    One(Response),
    Seq(VecDeque<Response>),
}

#[derive(Default)]
struct Inner {
    routes: Mutex<HashMap<String, Route>>,
    requests: Mutex<Vec<Request>>,
    stop: AtomicBool,
    /// Connections held open by `never_answer`, closed when the server drops.
    held: Mutex<Vec<TcpStream>>,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: Mutex<(usize, usize)>,
}

pub struct FixtureServer {
    port: u16,
    inner: Arc<Inner>,
    accept: Option<JoinHandle<()>>,
}

impl FixtureServer {
    pub fn start() -> FixtureServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let inner = Arc::new(Inner::default());
        let accept_inner = inner.clone();
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_inner.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let inner = accept_inner.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &inner);
                });
            }
        });
        FixtureServer {
            port,
            inner,
            accept: Some(accept),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn route(&self, path: &str, resp: Response) {
        self.inner
            .routes
            .lock()
            .unwrap()
            .insert(path.to_string(), Route::One(resp));
    }

    /// Successive requests get successive responses; the last one repeats.
    pub fn route_seq(&self, path: &str, resps: Vec<Response>) {
        assert!(!resps.is_empty());
        self.inner
            .routes
            .lock()
            .unwrap()
            .insert(path.to_string(), Route::Seq(resps.into()));
    }

    pub fn requests(&self) -> Vec<Request> {
        self.inner.requests.lock().unwrap().clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<Request> {
        self.requests().into_iter().filter(|r| r.path == path).collect()
    }

    /// The most requests that were being answered at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.inner.in_flight.lock().unwrap().1
    }

    /// Wait until `path` has received at least `n` requests.
    pub fn wait_for_requests(&self, path: &str, n: usize, limit: Duration) -> bool {
        super::wait_until(limit, || self.requests_to(path).len() >= n)
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        for s in self.inner.held.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn serve(stream: TcpStream, inner: &Inner) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 || inner.stop.load(Ordering::SeqCst) {
        return Ok(());
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.clone(), String::new()),
    };
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let req = Request {
        method,
        path,
        query,
        headers,
        body,
    };
    inner.requests.lock().unwrap().push(req.clone());
    {
        let mut f = inner.in_flight.lock().unwrap();
        f.0 += 1;
        f.1 = f.1.max(f.0);
    }
    let result = answer(stream, inner, &req);
    inner.in_flight.lock().unwrap().0 -= 1;
    result
}

fn answer(stream: TcpStream, inner: &Inner, req: &Request) -> std::io::Result<()> {
    let (method, path) = (&req.method, &req.path);

    let resp = {
        let mut routes = inner.routes.lock().unwrap();
        match routes.get_mut(path) {
            Some(Route::One(r)) => Some(r.clone()),
            Some(Route::Seq(q)) => Some(if q.len() > 1 {
                q.pop_front().unwrap()
            } else {
                q[0].clone()
            }),
            None => None,
        }
    };
    let resp = resp.unwrap_or_else(|| {
        Response::ok(format!("no route for {path}"))
            .status(404)
            .content_type("text/plain")
    });
    let mut stream = stream;
    if resp.never {
        inner.held.lock().unwrap().push(stream);
        return Ok(());
    }
    if let Some(d) = resp.delay {
        std::thread::sleep(d);
    }
    let not_modified = resp
        .etag
        .as_deref()
        .is_some_and(|e| req.header("if-none-match") == Some(e));
    let status = if not_modified { 304 } else { resp.status };
    let no_body = status == 304 || method == "HEAD";
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in &resp.headers {
        if no_body && k == "content-encoding" {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !no_body {
        head.push_str(&format!("content-length: {}\r\n", resp.body.len()));
    }
    head.push_str("connection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    if !no_body {
        stream.write_all(&resp.body)?;
    }
    stream.flush()?;
    let _ = stream.shutdown(Shutdown::Write);
    Ok(())
}
