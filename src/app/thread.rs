//! The thread around the mention the detail shows: asked of its source when the user opens the
//! mention (and the kept one is missing or older than `store::THREAD_FRESH_SECS`), shown from the
//! store meanwhile, kept in the store when it comes.

use super::{AppState, Effect, Pane, WriteOp, WriteRequest};
use crate::model::ThreadPost;
use std::time::Duration;

/// The same mention's thread is not asked for again sooner than this, whatever came back.
const ASK_AGAIN: Duration = Duration::from_secs(crate::store::THREAD_FRESH_SECS as u64);

impl AppState {
    /// Ask for the thread around the mention the detail shows, when the detail is open, the
    /// mention's source shows threads and what is kept is missing or stale.
    pub(super) fn ask_thread(&mut self) -> Option<Effect> {
        if self.pane != Pane::Detail {
            return None;
        }
        let detail = self.window.detail.as_ref()?;
        let of = detail.thread_of.clone()?;
        let id = detail.mention.id;
        let fresh = detail
            .thread
            .as_ref()
            .is_some_and(|t| (self.clock.wall - t.fetched_at).num_seconds() < crate::store::THREAD_FRESH_SECS);
        let asked = self
            .thread_asked
            .get(&id)
            .is_some_and(|at| self.clock.at.duration_since(*at) < ASK_AGAIN);
        if fresh || asked {
            return None;
        }
        self.thread_asked.insert(id, self.clock.at);
        self.thread_loading = Some(id);
        Some(Effect::FetchThread { id, of: Box::new(of) })
    }

    /// The thread came back (or why not): shown at once when the detail still shows its
    /// mention, and kept.
    pub(super) fn on_thread(&mut self, id: i64, result: Result<Option<Vec<ThreadPost>>, String>) -> Vec<Effect> {
        if self.thread_loading == Some(id) {
            self.thread_loading = None;
        }
        let now = self.clock.wall;
        let shown = self.window.detail.as_mut().filter(|d| d.mention.id == id);
        match result {
            Ok(None) => vec![],
            Ok(Some(posts)) => {
                if let Some(d) = shown {
                    d.thread = Some(crate::model::Thread {
                        fetched_at: now,
                        posts: posts.clone(),
                        error: None,
                    });
                }
                vec![Effect::Write(WriteRequest {
                    op: WriteOp::SaveThread { id, posts },
                })]
            }
            Err(error) => {
                if let Some(d) = shown {
                    let posts = d.thread.take().map(|t| t.posts).unwrap_or_default();
                    d.thread = Some(crate::model::Thread {
                        fetched_at: now,
                        posts,
                        error: Some(error.clone()),
                    });
                }
                vec![Effect::Write(WriteRequest {
                    op: WriteOp::ThreadFailed { id, error },
                })]
            }
        }
    }
}
