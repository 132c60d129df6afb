//! The console's two database threads, each with its own connection, so the UI never waits on
//! the disk: the reader loads windows of the stream and watches for other processes' commits
//! (`PRAGMA data_version`); the writer saves triage changes.

use crate::app::{
    ABOVE_CAP, Action, Anchor, FeedSummary, LoadRequest, Overview, StatsRequest, Window, WriteOp, WriteRequest,
};
use crate::model::Mention;
use crate::store::{ChangeWatch, Scope, Store, StreamKey};
use chrono::{DateTime, Utc};
use std::sync::mpsc as std_mpsc;
use tokio::sync::mpsc;

/// What the reader is asked to do.
#[derive(Debug)]
pub enum ReadRequest {
    Load(LoadRequest),
    /// The ids of every mention the filter shows, for a bulk mark.
    MatchingIds(crate::query::StreamFilter),
    /// A mention and a draft (this operator's, or `writer`'s for an approver), for the editor.
    OpenDraft {
        id: i64,
        writer: Option<String>,
    },
    /// The Stats pane's figures.
    Stats(StatsRequest),
    /// The alert list: the last month's alerts, newest first.
    Alerts,
    /// The People pane's ranking.
    People(crate::store::PeopleOrder),
    /// One person in full.
    Person(crate::app::PersonTarget),
}

pub fn reader(
    store: Store,
    operator: String,
    feed_names: Vec<String>,
    requests: std_mpsc::Receiver<ReadRequest>,
    actions: mpsc::UnboundedSender<Action>,
) {
    let mut watch = ChangeWatch::new(&store);
    let mut news = News::since_now(&store);
    // Requests taken from the channel and put back to be served first.
    let mut backlog = std::collections::VecDeque::new();
    loop {
        let next = match backlog.pop_front() {
            Some(r) => Ok(r),
            None => requests.recv_timeout(ChangeWatch::INTERVAL),
        };
        let action = match next {
            Ok(ReadRequest::Load(mut req)) => {
                // Only the newest window matters; other requests wait their turn.
                let mut later = Vec::new();
                while let Ok(next) = requests.try_recv() {
                    match next {
                        ReadRequest::Load(newer) => {
                            req = LoadRequest {
                                overview: req.overview || newer.overview,
                                ..newer
                            };
                        }
                        other => later.push(other),
                    }
                }
                let started = std::time::Instant::now();
                let loaded = load_window(&store, &operator, &req);
                tracing::debug!(ms = started.elapsed().as_secs_f64() * 1000.0, anchor = ?req.anchor, "window read");
                let first = match loaded {
                    Ok(w) => Action::Loaded(Box::new(w)),
                    Err(e) => failure("cannot read the database", &e),
                };
                if actions.send(first).is_err() {
                    return;
                }
                // The counts come after the window, and only when no newer window is asked for
                // meanwhile (that one carries the request for counts on).
                if req.overview {
                    match requests.try_recv() {
                        Ok(ReadRequest::Load(newer)) => {
                            backlog.push_front(ReadRequest::Load(LoadRequest {
                                overview: true,
                                ..newer
                            }));
                        }
                        Ok(other) => {
                            later.push(other);
                            send_overview(&store, &operator, &feed_names, &req.filter, &actions);
                        }
                        Err(_) => send_overview(&store, &operator, &feed_names, &req.filter, &actions),
                    }
                }
                for r in later {
                    let Some(action) = serve(&store, &operator, r) else {
                        continue;
                    };
                    if actions.send(action).is_err() {
                        return;
                    }
                }
                continue;
            }
            Ok(other) => match serve(&store, &operator, other) {
                Some(action) => action,
                None => continue,
            },
            Err(std_mpsc::RecvTimeoutError::Timeout) => {
                if !watch.changed(&store) {
                    continue;
                }
                if !news.tell(&store, &operator, &actions) {
                    return;
                }
                Action::StoreChanged
            }
            Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
        };
        if actions.send(action).is_err() {
            return;
        }
    }
}

/// What this console is told when it happens, not found later: assignments to its operator by
/// teammates, replies sent back, alerts raised.
struct News {
    seen_action: i64,
    seen_alert: i64,
}

impl News {
    fn since_now(store: &Store) -> News {
        News {
            seen_action: store.newest_action().unwrap_or(0),
            seen_alert: store.newest_alert().unwrap_or(0),
        }
    }

    /// Send what is new; false when nobody listens any more.
    fn tell(&mut self, store: &Store, operator: &str, actions: &mpsc::UnboundedSender<Action>) -> bool {
        if let Some(new) = new_assignments(store, operator, &mut self.seen_action)
            && actions.send(new).is_err()
        {
            return false;
        }
        match store.alerts(self.seen_alert, None, 50) {
            Ok(raised) if !raised.is_empty() => {
                self.seen_alert = raised.iter().map(|a| a.id).max().unwrap_or(self.seen_alert);
                actions.send(Action::Alerts(raised)).is_ok()
            }
            Ok(_) => true,
            Err(e) => {
                tracing::debug!("cannot read alerts: {e}");
                true
            }
        }
    }
}

/// Mentions teammates assigned to `operator` since action `seen`, as an action (and `seen` moved on).
fn new_assignments(store: &Store, operator: &str, seen: &mut i64) -> Option<Action> {
    match store.assigned_since(operator, *seen) {
        Ok(new) if !new.is_empty() => {
            *seen = new.iter().map(|a| a.action).max().unwrap_or(*seen);
            Some(Action::AssignedToMe(new))
        }
        Ok(_) => None,
        Err(e) => {
            tracing::debug!("cannot read new assignments: {e}");
            None
        }
    }
}

fn send_overview(
    store: &Store,
    operator: &str,
    feed_names: &[String],
    filter: &crate::query::StreamFilter,
    actions: &mpsc::UnboundedSender<Action>,
) {
    let started = std::time::Instant::now();
    let loaded = load_overview(store, operator, feed_names, filter);
    tracing::debug!(ms = started.elapsed().as_secs_f64() * 1000.0, "counts read");
    let action = match loaded {
        Ok(o) => Action::Counted {
            filter: filter.clone(),
            overview: Box::new(o),
        },
        Err(e) => failure("cannot count the mentions", &e),
    };
    let _ = actions.send(action);
}

fn alert_list(store: &Store) -> Action {
    let since = Utc::now() - chrono::Duration::days(30);
    match store.newest_alerts(since, 200) {
        Ok(rows) => Action::AlertList(rows),
        Err(e) => failure("cannot read the alerts", &e),
    }
}

/// A read other than a window (`None` for a window: the loop reads those itself).
fn serve(store: &Store, operator: &str, request: ReadRequest) -> Option<Action> {
    Some(match request {
        ReadRequest::MatchingIds(filter) => matching(store, operator, &filter),
        ReadRequest::OpenDraft { id, writer } => open_draft(store, operator, id, writer),
        ReadRequest::Stats(req) => stats(store, req),
        ReadRequest::Alerts => alert_list(store),
        ReadRequest::People(order) => people(store, order),
        ReadRequest::Person(target) => person(store, target),
        ReadRequest::Load(_) => return None,
    })
}

fn people(store: &Store, order: crate::store::PeopleOrder) -> Action {
    let started = std::time::Instant::now();
    let action = match store.people(order, crate::app::PEOPLE_SHOWN) {
        Ok(rows) => Action::PeopleLoaded(rows),
        Err(e) => failure("cannot read the people", &e),
    };
    tracing::debug!(ms = started.elapsed().as_secs_f64() * 1000.0, "people read");
    action
}

fn person(store: &Store, target: crate::app::PersonTarget) -> Action {
    let id = match target {
        crate::app::PersonTarget::Person(id) => Ok(Some(id)),
        crate::app::PersonTarget::AuthorOf(mention) => store.person_of_mention(mention),
    };
    match id.and_then(|id| match id {
        Some(id) => store.person_card(id),
        None => Ok(None),
    }) {
        Ok(card) => Action::PersonLoaded(card.map(Box::new)),
        Err(e) => failure("cannot read the person", &e),
    }
}

fn stats(store: &Store, req: StatsRequest) -> Action {
    let started = std::time::Instant::now();
    let action = stats_now(store, req);
    tracing::debug!(ms = started.elapsed().as_secs_f64() * 1000.0, "stats read");
    action
}

/// Our posts the Ours pane lists at most (the newest).
const OWN_POSTS_SHOWN: usize = 200;

fn stats_now(store: &Store, req: StatsRequest) -> Action {
    let tz = crate::stats::local_zone();
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let q = crate::stats::StatsQuery {
        from: today - chrono::Duration::days(i64::from(req.days) - 1),
        to: today,
        tz,
        by: None,
        sla: req.sla,
        business: req.business,
        filter: req.filter,
        now,
    };
    let since = now - chrono::Duration::days(i64::from(req.days));
    let read = store.stats(&q).and_then(|rows| {
        let mut profile = store.profile(&q)?;
        let own = store.own_posts(since, now, &[])?;
        profile.own = crate::report::own::accounts(&own);
        profile.own_posts = crate::report::own::posts(&own);
        profile.own_posts.reverse();
        profile.own_posts.truncate(OWN_POSTS_SHOWN);
        Ok((rows, profile))
    });
    match read {
        Ok((rows, profile)) => Action::StatsLoaded(rows, Box::new(profile)),
        Err(e) => failure("cannot compute the stats", &e),
    }
}

pub fn open_draft(store: &Store, operator: &str, id: i64, writer: Option<String>) -> Action {
    let owner = writer.as_deref().unwrap_or(operator);
    let loaded = store.mention(operator, id).and_then(|m| {
        Ok((
            m,
            store.draft(id, owner)?,
            store.latest_action(id)?,
            store.claims_on(id, operator, Utc::now())?,
        ))
    });
    match loaded {
        Ok((Some(mention), draft, seen_action, claimed_by)) => Action::DraftOpened {
            mention: Box::new(mention),
            body: draft.map(|d| d.body).unwrap_or_default(),
            seen_action,
            claimed_by,
            writer,
        },
        Ok((None, ..)) => Action::Error(format!("mention {id} is gone")),
        Err(e) => failure("cannot read the draft", &e),
    }
}

fn matching(store: &Store, operator: &str, filter: &crate::query::StreamFilter) -> Action {
    match store.matching_ids(Scope { operator, filter }) {
        Ok(ids) => Action::MarkedAll(ids),
        Err(e) => failure("cannot read the database", &e),
    }
}

/// Load the window a request asks for: at most `height` rows around the anchor, in scope.
pub fn load_window(store: &Store, operator: &str, req: &LoadRequest) -> crate::store::Result<Window> {
    let scope = Scope {
        operator,
        filter: &req.filter,
    };
    let height = req.height.max(1);
    let (key, offset) = match req.anchor {
        Anchor::Head => (None, 0),
        Anchor::Tail => {
            let oldest = store.stream_before(
                scope,
                StreamKey {
                    sort_at: i64::MIN,
                    id: i64::MIN,
                },
                1,
            )?;
            (oldest.first().map(Mention::stream_key), height - 1)
        }
        Anchor::At { key, offset } => (Some(key), offset),
        Anchor::Move { key, offset, delta } => {
            let moved = if delta > 0 {
                store.stream_after(scope, Some(key), delta as usize)?
            } else if delta < 0 {
                store
                    .stream_before(scope, key, delta.unsigned_abs() as usize)?
                    .into_iter()
                    .rev()
                    .collect()
            } else {
                vec![]
            };
            let steps = moved.len() as i64 * delta.signum();
            let new_key = moved.last().map_or(key, Mention::stream_key);
            let new_offset = (offset as i64 + steps).clamp(0, height as i64 - 1) as usize;
            (Some(new_key), new_offset)
        }
    };
    let rows = match key {
        None => store.stream_after(scope, None, height)?,
        Some(key) => {
            let offset = offset.min(height - 1);
            let above = store.stream_before(scope, key, offset)?;
            // Inclusive of the anchor itself: ids are integers, so (sort_at, id + 1) is just past it.
            let inclusive = StreamKey {
                sort_at: key.sort_at,
                id: key.id.saturating_add(1),
            };
            let below = store.stream_after(scope, Some(inclusive), height - above.len())?;
            // Never filled from above: what the user sees stays where it is, and newer arrivals
            // are counted in `above` instead.
            let mut rows = above;
            rows.extend(below);
            rows
        }
    };
    let selected = match key {
        None => 0,
        Some(k) => rows
            .iter()
            .position(|m| m.stream_key() <= k)
            .unwrap_or(rows.len().saturating_sub(1)),
    };
    let above = match rows.first() {
        Some(m) => store.count_newer(scope, m.stream_key(), ABOVE_CAP)?,
        None => 0,
    };
    let detail = match rows.get(selected) {
        Some(m) => store.detail(operator, m.id)?,
        None => None,
    };
    Ok(Window {
        seq: req.seq,
        selected,
        offset: selected,
        rows,
        above,
        detail,
    })
}

/// What the reader answers a load with, in order: the window, then (when asked) the counts. For
/// tests and benchmarks that play the reader's part.
pub fn answer_load(
    store: &Store,
    operator: &str,
    feed_names: &[String],
    req: &LoadRequest,
) -> crate::store::Result<Vec<Action>> {
    let mut out = vec![Action::Loaded(Box::new(load_window(store, operator, req)?))];
    if req.overview {
        out.push(Action::Counted {
            filter: req.filter.clone(),
            overview: Box::new(load_overview(store, operator, feed_names, &req.filter)?),
        });
    }
    Ok(out)
}

/// The counts, feed health and names the title, status bar and completion show: read after the
/// window, so a key press never waits on them. Every count is bounded: the stream's from counters
/// kept by the store, a filter's stopped at [`crate::store::MATCH_CAP`].
pub fn load_overview(
    store: &Store,
    operator: &str,
    feed_names: &[String],
    filter: &crate::query::StreamFilter,
) -> crate::store::Result<Overview> {
    let (total, new, open) = store.stream_counts()?;
    let (matching, matching_capped) = if filter.selects_all() {
        (total, false)
    } else {
        store.count_matching(Scope { operator, filter })?
    };
    Ok(Overview {
        total,
        new,
        open,
        matching,
        matching_capped,
        feeds: summarize(store, feed_names)?,
        operators: store.known_operators()?,
        tags: store.known_tags()?,
        drafts: store.drafts()?,
    })
}

fn summarize(store: &Store, feed_names: &[String]) -> crate::store::Result<FeedSummary> {
    let mut s = FeedSummary::default();
    for h in store
        .feed_health(false)?
        .into_iter()
        .filter(|h| feed_names.contains(&h.name))
    {
        if h.last_error.is_some() {
            s.failing += 1;
        } else if h.last_success_at.is_some() {
            s.ok += 1;
        }
        if let Some(n) = h.next_poll_at {
            s.next_poll = Some(s.next_poll.map_or(n, |m: DateTime<Utc>| m.min(n)));
        }
    }
    Ok(s)
}

/// Operators' words about a person: tags, notes, a linked handle.
fn about_person(store: &mut Store, operator: &str, op: WriteOp) -> Action {
    match op {
        WriteOp::PersonTag { person, tag } => match store.tag_person(person, &tag) {
            Ok(true) => said(format!("tagged the person {tag}")),
            Ok(false) => said(format!("the person was tagged {tag} already")),
            Err(e) => failure("not tagged", &e),
        },
        WriteOp::PersonUntag { person, tag } => match store.untag_person(person, &tag) {
            Ok(true) => said(format!("removed the person's tag {tag}")),
            Ok(false) => said(format!("the person has no tag {tag}")),
            Err(e) => failure("not untagged", &e),
        },
        WriteOp::PersonNote { person, body } => match store.note_person(person, operator, &body, Utc::now()) {
            Ok(()) => said("noted: it shows on every mention of theirs".into()),
            Err(e) => failure("not noted", &e),
        },
        WriteOp::PersonLink { person, handle } => link(store, person, &handle),
        _ => Action::Error("not a write about a person".into()),
    }
}

fn said(message: String) -> Action {
    Action::Written { batch: None, message }
}

/// Link the handle an operator typed to a person: exactly one handle must match.
fn link(store: &mut Store, person: i64, typed: &str) -> Action {
    match store.find_handles(typed) {
        Err(e) => failure("not linked", &e),
        Ok(found) => match found.as_slice() {
            [] => Action::Error(format!(
                "no handle {:?} is known: type it as kind:handle (bluesky:jane.example)",
                crate::text::screen_line(typed)
            )),
            [(h, owner)] if *owner == person => said(format!("{} is this person already", h.label())),
            [(h, _)] => match store.link_handle(person, h.id) {
                Ok(()) => said(format!("linked {}: one person now", h.label())),
                Err(e) => failure("not linked", &e),
            },
            many => Action::Error(format!(
                "{:?} is more than one handle ({}): type kind:handle",
                crate::text::screen_line(typed),
                many.iter().map(|(h, _)| h.label()).collect::<Vec<_>>().join(", ")
            )),
        },
    }
}

/// The writer: applies triage changes as the operator, one transaction each.
pub fn writer(
    mut store: Store,
    operator: String,
    requests: std_mpsc::Receiver<WriteRequest>,
    actions: mpsc::UnboundedSender<Action>,
) {
    while let Ok(req) = requests.recv() {
        let now = Utc::now();
        let action = match req.op {
            WriteOp::Apply { ids, change } => match store.apply(&ids, &change, &operator, now) {
                Ok(applied) => Action::Written {
                    batch: applied.batch,
                    message: written_message(&change, applied.changed, ids.len()),
                },
                Err(e) => failure("not saved", &e),
            },
            WriteOp::Undo { batch } => match store.undo(batch, &operator, now) {
                Ok(0) => Action::Written {
                    batch: None,
                    message: "nothing to undo: it was changed since".into(),
                },
                Ok(n) => Action::Written {
                    batch: None,
                    message: format!("undone ({n} change{})", if n == 1 { "" } else { "s" }),
                },
                Err(e) => failure("not undone", &e),
            },
            WriteOp::SaveDraft {
                id,
                body,
                seen_action,
                writer,
            } => match store.save_draft(id, writer.as_deref().unwrap_or(&operator), &body, seen_action, now) {
                Ok(()) => continue,
                Err(e) => failure("the draft could not be saved", &e),
            },
            WriteOp::Submit { id, text, seen_action } => {
                match store.submit_for_approval(id, &text, &operator, seen_action, now) {
                    Ok(crate::store::Begin::Started) => continue,
                    Ok(crate::store::Begin::InFlight) => Action::Error("this reply is being sent already".into()),
                    Ok(crate::store::Begin::Overtaken(other)) => {
                        Action::Error(crate::outbox::SendError::Overtaken(other).to_string())
                    }
                    Err(e) => failure("not submitted", &e),
                }
            }
            op @ (WriteOp::PersonTag { .. }
            | WriteOp::PersonUntag { .. }
            | WriteOp::PersonNote { .. }
            | WriteOp::PersonLink { .. }) => about_person(&mut store, &operator, op),
            WriteOp::AckAlert { id } => match store.acknowledge_alert(id, &operator, now) {
                Ok(_) => continue,
                Err(e) => failure("not saved", &e),
            },
            WriteOp::ReturnDraft { id, writer, note } => match store.return_draft(id, &writer, &note, &operator, now) {
                Ok(true) => continue,
                Ok(false) => Action::Error(format!("{writer}'s reply no longer waits for approval")),
                Err(e) => failure("not sent back", &e),
            },
            WriteOp::DiscardDraft { id } => match store.discard_draft(id, &operator) {
                Ok(_) => continue,
                Err(e) => failure("the draft could not be discarded", &e),
            },
            WriteOp::Respond { id, text } => {
                match store.record_response(id, &text, &crate::store::Sent::default(), &operator, now) {
                    Ok(()) => Action::Written {
                        batch: None,
                        message: "marked responded; the answer is in its history".into(),
                    },
                    Err(e) => failure("not recorded", &e),
                }
            }
            op @ (WriteOp::SaveThread { .. } | WriteOp::ThreadFailed { .. } | WriteOp::MarkRead { .. }) => {
                match quietly(&mut store, &operator, op, now) {
                    Some(a) => a,
                    None => continue,
                }
            }
        };
        if actions.send(action).is_err() {
            return;
        }
    }
}

/// The writes nobody is told of unless they fail: read marks and the threads fetched for the
/// detail (or why one was not). Both are niceties: where the database may only be read, they
/// are not kept.
fn quietly(store: &mut Store, operator: &str, op: WriteOp, now: chrono::DateTime<Utc>) -> Option<Action> {
    if store.read_only() {
        return None;
    }
    let (what, done) = match op {
        WriteOp::SaveThread { id, posts } => ("the thread could not be kept", store.save_thread(id, &posts, now)),
        WriteOp::ThreadFailed { id, error } => {
            ("the thread could not be kept", store.save_thread_error(id, &error, now))
        }
        WriteOp::MarkRead { id } => ("cannot mark read", store.mark_read(operator, id, now).map(drop)),
        _ => return None,
    };
    done.err().map(|e| failure(what, &e))
}

fn written_message(change: &crate::store::Change, changed: usize, asked: usize) -> String {
    let what = change.describe();
    match (asked, changed) {
        (1, 1) => what,
        (1, 0) => format!("already {what}"),
        (n, c) if c == n => format!("{c} mentions {what}"),
        (n, c) => format!("{c} of {n} mentions {what} (the rest already were)"),
    }
}

/// A failed read or write: logged, and shown to the user.
fn failure(what: &str, e: &dyn std::fmt::Display) -> Action {
    tracing::error!("{what}: {e}");
    Action::Error(format!("{what}: {e}"))
}
