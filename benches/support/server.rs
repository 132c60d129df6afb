//! A feed server that is never the bottleneck: hyper on its own thread, keep-alive, a backlog of
//! 1,024, every body generated before the clock starts and served from memory, `ETag` and
//! `If-None-Match` answered with `304`. (`python3 -m http.server` queues five connections and
//! stalls a client that opens eight at once.)

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response, StatusCode};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

#[derive(Clone, Default)]
pub struct Bodies(Arc<RwLock<HashMap<String, (String, Bytes)>>>);

impl Bodies {
    /// Serve `body` at `path` with this `etag`, replacing what was there.
    pub fn set(&self, path: &str, etag: &str, body: Vec<u8>) {
        self.0
            .write()
            .unwrap()
            .insert(path.to_string(), (format!("\"{etag}\""), Bytes::from(body)));
    }

    fn get(&self, path: &str) -> Option<(String, Bytes)> {
        self.0.read().unwrap().get(path).cloned()
    }
}

/// Start serving `bodies` on 127.0.0.1; the address.
pub fn start(bodies: Bodies) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let bodies = bodies.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let found = bodies.get(req.uri().path());
                        let inm = req
                            .headers()
                            .get("if-none-match")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string);
                        async move {
                            let resp = match found {
                                None => Response::builder()
                                    .status(StatusCode::NOT_FOUND)
                                    .body(Full::new(Bytes::new())),
                                Some((etag, _)) if inm.as_deref() == Some(etag.as_str()) => Response::builder()
                                    .status(StatusCode::NOT_MODIFIED)
                                    .header("etag", etag)
                                    .body(Full::new(Bytes::new())),
                                Some((etag, body)) => Response::builder()
                                    .header("content-type", "application/rss+xml; charset=utf-8")
                                    .header("etag", etag)
                                    .body(Full::new(body)),
                            };
                            Ok::<_, Infallible>(resp.unwrap())
                        }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(io, svc)
                        .await;
                });
            }
        });
    });
    addr
}
