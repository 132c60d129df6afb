//! The console's shell: it wires the state machine (`app`), the screen (`ui`) and the engine
//! together. The event loop takes terminal events, store changes and poll reports in, runs
//! effects off the UI task (the reader and writer threads in `workers`, the outbox, the
//! terminal's clipboard and hyperlinks), and draws once after each batch of events, never while
//! idle. `terminal` owns raw mode and the alternate screen, restored on exit and on panic.

mod terminal;
pub mod workers;

use crate::app::{Action, AppState, Clock, EditorError, Effect, TeamView, WriteRequest};
use crate::config::Config;
use crate::model::Mention;
use crate::outbox::{Delivery, Outbox, SendError};
use crate::poller::{Leased, Poller};
use crate::store::SessionKind;
use crate::store::Store;
use crate::team::{Team, TeamHandle};
use crate::ui;
use anyhow::{Context, Result};
use base64::Engine;
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use std::io::Write;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;
use terminal::Tui;
use tokio::sync::{mpsc, watch};
use workers::{ReadRequest, reader, writer};

/// How often ages on screen are refreshed.
const CLOCK_TICK: Duration = Duration::from_secs(30);

/// Run the console until the user quits: a poller in the background, the screen in front.
pub fn open(config: Config, store: Store) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let db = store.location();
    let read_only = store.read_only();
    let poll_store = db.open()?;
    let mut write_store = db.open()?;
    write_store.set_weights(config.poller.scorer.weights.clone());
    // Outside the runtime: a PostgreSQL connection blocks on a runtime of its own while it opens.
    let joined = join_team(&config, &db, read_only);
    rt.block_on(async move {
        let (actions_tx, actions_rx) = mpsc::unbounded_channel();
        let (read_tx, read_rx) = std_mpsc::channel();
        let (write_tx, write_rx) = std_mpsc::channel();
        let names: Vec<String> = config.feeds.iter().map(|f| f.name.clone()).collect();
        let operator = config.operator.clone();
        let reader_actions = actions_tx.clone();
        let op = operator.clone();
        std::thread::Builder::new()
            .name("overhear-reader".into())
            .spawn(move || reader(store, op, names, read_rx, reader_actions))
            .context("cannot start the reader thread")?;
        let writer_actions = actions_tx.clone();
        let writer_thread = std::thread::Builder::new()
            .name("overhear-writer".into())
            .spawn(move || writer(write_store, operator, write_rx, writer_actions))
            .context("cannot start the writer thread")?;

        if let Some(path) = db.file() {
            check_in_background(path.to_path_buf(), actions_tx.clone());
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let team = heard_from(joined, &actions_tx);
        let client = crate::net::Client::new(&config.poller.net).context("cannot start the HTTP client")?;
        let poller = Poller::with_client(&config.poller, client, poll_store, None, team.as_ref().map(Leased::of))?;
        let outbox = Outbox::new(poller.client().clone(), &db);
        let thread_client = poller.client().clone();
        let (report_tx, mut report_rx) = mpsc::unbounded_channel();
        // A teammate who may only read the database reads it; polling is for those who can write.
        let feeds = if read_only || team.is_none() {
            tracing::info!("the database is read-only here: not polling");
            let _ = actions_tx.send(Action::Written {
                batch: None,
                message: "the database is read-only for you: reading only, not polling".into(),
            });
            Vec::new()
        } else {
            config.feeds.clone()
        };
        let poll_task = tokio::spawn(async move {
            poller.poll_on_schedule(feeds, stop_rx, report_tx).await;
            poller
        });
        let forward = actions_tx.clone();
        tokio::spawn(async move {
            while let Some(r) = report_rx.recv().await {
                if forward.send(Action::Report(r)).is_err() {
                    break;
                }
            }
        });

        let services = Services {
            outbox,
            client: thread_client,
            actions: actions_tx.clone(),
            team: team.as_ref().and_then(Team::handle),
        };
        let result = event_loop(&config, actions_rx, read_tx, write_tx, services).await;
        // The loop dropped its sender: the writer finishes what is queued (a draft's last words)
        // and stops. Wait for it before the process can end.
        let _ = tokio::task::spawn_blocking(move || writer_thread.join()).await;
        let _ = stop_tx.send(true);
        // Let a write in flight finish, but do not keep the user waiting on the network.
        if let Ok(Ok(poller)) = tokio::time::timeout(Duration::from_secs(3), poll_task).await {
            // Writes done, the poller's connection closed: the next start has nothing to recover.
            let _ = tokio::time::timeout(
                Duration::from_secs(3),
                tokio::task::spawn_blocking(move || poller.close()),
            )
            .await;
        }
        // Gone from the team at once: the lease is free for another console, the claims lapse.
        if let Some(t) = team {
            let _ = tokio::task::spawn_blocking(move || t.leave()).await;
        }
        result
    })
}

/// The team this console joined, its presence and lease forwarded to the screen; or why it could
/// not join, said there.
fn heard_from(joined: Result<Option<Team>, String>, actions: &mpsc::UnboundedSender<Action>) -> Option<Team> {
    match joined {
        Ok(team) => {
            if let Some(t) = &team {
                forward_team(t, actions.clone());
            }
            team
        }
        Err(e) => {
            let _ = actions.send(Action::Error(e));
            None
        }
    }
}

/// This console in the team: its presence, and a claim on the poller lease. A teammate who may only
/// read is not seen by the others (and polls nothing).
/// Why it could not join is said in the status line.
fn join_team(config: &Config, db: &crate::store::Location, read_only: bool) -> Result<Option<Team>, String> {
    if read_only {
        return Ok(None);
    }
    let me = crate::team::identity(&config.operator, SessionKind::Console);
    match Team::join(db, me, true) {
        Ok(t) => Ok(Some(t)),
        Err(e) => {
            tracing::warn!("cannot join the team on this database: {e}");
            Err(format!("not polling: cannot join the team: {e}"))
        }
    }
}

/// The check at open is bounded; the whole file is checked here, beside the screen, and damage
/// is said in the status line with what to do.
fn check_in_background(path: std::path::PathBuf, actions: mpsc::UnboundedSender<Action>) {
    let _ = std::thread::Builder::new()
        .name("overhear-check".into())
        .spawn(move || {
            // After the first frames, at the lowest priority: the screen and the keys come first.
            std::thread::sleep(Duration::from_secs(5));
            // SAFETY: setpriority on the calling thread (who = 0 is this thread on Linux); it only
            // lowers this thread's own priority.
            unsafe {
                libc::setpriority(libc::PRIO_PROCESS, 0, 19);
            }
            let damage = Store::open(&path).and_then(|mut s| s.quick_check(Duration::from_secs(3600)));
            if let Ok(Some(detail)) = damage {
                let e = crate::store::StoreError::Damaged { path, detail };
                tracing::error!("{e}");
                let _ = actions.send(Action::Error(e.to_string()));
            }
        });
}

/// What the loop needs besides the threads: the outbox for replies, a way to report back, and
/// the team to tell what this console reads and drafts.
struct Services {
    outbox: Outbox,
    /// The poller's HTTP client, for the threads the detail asks for.
    client: crate::net::Client,
    actions: mpsc::UnboundedSender<Action>,
    team: Option<TeamHandle>,
}

/// Tell the screen when the team changes: who else is here, what they read and draft, who polls.
fn forward_team(team: &Team, actions: mpsc::UnboundedSender<Action>) {
    let mut presence = team.presence();
    let mut lease = team.lease();
    let me = team.identity().session.clone();
    tokio::spawn(async move {
        loop {
            let view = {
                let others = presence
                    .borrow_and_update()
                    .iter()
                    .filter(|p| p.session != me)
                    .cloned()
                    .collect();
                let l = lease.borrow_and_update();
                let poller = if l.held_until.is_some() {
                    Some(crate::app::Poller::Me)
                } else {
                    l.holder.as_ref().map(|h| {
                        let what = match h.kind {
                            SessionKind::Console => "console",
                            _ => "`overhear poll`",
                        };
                        crate::app::Poller::Other(format!("{}'s {what}", h.operator))
                    })
                };
                TeamView { others, poller }
            };
            if actions.send(Action::Team(view)).is_err() {
                return;
            }
            tokio::select! {
                r = presence.changed() => if r.is_err() { return },
                r = lease.changed() => if r.is_err() { return },
            }
        }
    });
}

/// The loop's own state: the terminal, its event stream, the screen's state and where effects go.
struct Loop<'a> {
    config: &'a Config,
    tui: Option<Tui>,
    events: Option<EventStream>,
    state: AppState,
    reads: std_mpsc::Sender<ReadRequest>,
    writes: std_mpsc::Sender<WriteRequest>,
    services: Services,
    /// Actions produced by effects run on this task (the external editor), handled next.
    pending_actions: Vec<Action>,
    /// What the team was last told this console reads and drafts.
    told: (Option<i64>, Option<i64>),
}

async fn event_loop(
    config: &Config,
    mut actions: mpsc::UnboundedReceiver<Action>,
    reads: std_mpsc::Sender<ReadRequest>,
    writes: std_mpsc::Sender<WriteRequest>,
    services: Services,
) -> Result<()> {
    let tui = Tui::enter(config.console.mouse)?;
    let size = tui.terminal.size()?;
    let state = AppState::new(config, ui::layout((size.width, size.height)));
    use tokio::signal::unix::{SignalKind, signal};
    // A dropped SSH connection (SIGHUP) or a stop (SIGTERM) saves the draft, then quits.
    let mut hangup = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut clock = tokio::time::interval(CLOCK_TICK);
    clock.reset();
    let mut lp = Loop {
        config,
        tui: Some(tui),
        events: Some(EventStream::new()),
        state,
        reads,
        writes,
        services,
        pending_actions: Vec::new(),
        told: (None, None),
    };
    let mut pending = lp.state.start();
    let mut dirty = true;
    loop {
        if lp.run_effects(&mut pending)? {
            return Ok(());
        }
        for a in std::mem::take(&mut lp.pending_actions) {
            pending.extend(lp.state.update(a, Clock::now()));
            dirty |= lp.state.screen_changed();
        }
        if !pending.is_empty() {
            continue;
        }
        if dirty {
            lp.draw()?;
            dirty = false;
            lp.tell_team();
        }
        let deadline = lp.state.next_deadline().map(tokio::time::Instant::from_std);
        let events = lp.events.as_mut().expect("events are back after the editor");
        let action = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) => Action::Key(k),
                Some(Ok(Event::Resize(w, h))) => Action::Resize(ui::layout((w, h))),
                Some(Ok(Event::Paste(p))) => Action::Paste(p),
                Some(Ok(Event::Mouse(m))) => Action::Mouse(m),
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    // The terminal is gone: keep the draft, then say why we stopped.
                    for effect in lp.state.update(Action::Hangup, Clock::now()) {
                        if let Effect::Write(w) = effect {
                            let _ = lp.writes.send(w);
                        }
                    }
                    return Err(e).context("cannot read the terminal");
                }
                None => return Ok(()),
            },
            Some(a) = actions.recv() => a,
            _ = clock.tick() => Action::Tick,
            _ = sleep_until_opt(deadline) => Action::Tick,
            _ = hangup.recv() => Action::Hangup,
            _ = terminate.recv() => Action::Hangup,
        };
        pending = lp.state.update(action, Clock::now());
        dirty |= lp.state.screen_changed();
        // Everything else already queued is handled before the next draw.
        while let Ok(a) = actions.try_recv() {
            pending.extend(lp.state.update(a, Clock::now()));
            dirty |= lp.state.screen_changed();
        }
    }
}

impl Loop<'_> {
    /// Run the effects; true when one of them quits.
    fn run_effects(&mut self, effects: &mut Vec<Effect>) -> Result<bool> {
        let reader_gone = "the database reader stopped";
        for effect in effects.drain(..) {
            match effect {
                Effect::Load(req) => self.reads.send(ReadRequest::Load(req)).context(reader_gone)?,
                Effect::MatchingIds(f) => self.reads.send(ReadRequest::MatchingIds(f)).context(reader_gone)?,
                Effect::Write(w) => self.writes.send(w).context("the database writer stopped")?,
                Effect::Copy(text) => copy(&text)?,
                Effect::LoadAlerts => self.reads.send(ReadRequest::Alerts).context(reader_gone)?,
                Effect::LoadPeople(order) => self.reads.send(ReadRequest::People(order)).context(reader_gone)?,
                Effect::LoadPerson(target) => self.reads.send(ReadRequest::Person(target)).context(reader_gone)?,
                Effect::Bell => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(b"\x07")?;
                    out.flush()?;
                }
                Effect::Notify(text) => notify(&text)?,
                Effect::OpenDraft { id, writer } => {
                    self.reads
                        .send(ReadRequest::OpenDraft { id, writer })
                        .context(reader_gone)?;
                }
                Effect::LoadStats(req) => self.reads.send(ReadRequest::Stats(req)).context(reader_gone)?,
                Effect::ExternalEditor { mention_id, text } => {
                    let result = self.suspended(|| external_editor(&text))?;
                    self.pending_actions.push(Action::EditorDone { mention_id, result });
                }
                Effect::Send {
                    mention,
                    delivery,
                    text,
                    seen_action,
                    writer,
                } => send(
                    &self.services,
                    self.config,
                    *mention,
                    delivery,
                    Answer {
                        text,
                        seen_action,
                        writer,
                    },
                ),
                Effect::FetchThread { id, of } => fetch_thread(&self.services, self.config, id, *of),
                Effect::Quit => return Ok(true),
            }
        }
        Ok(false)
    }

    /// Tell the team what this console shows in its detail and drafts an answer to, when it changed.
    fn tell_team(&mut self) {
        let now = self.state.presence();
        if now != self.told {
            self.told = now;
            if let Some(t) = &self.services.team {
                t.presence(now.0, now.1);
            }
        }
    }

    /// Give the terminal and the keyboard to `f` (the external editor), then take them back.
    fn suspended<T>(&mut self, f: impl FnOnce() -> T) -> Result<T> {
        self.events = None;
        self.tui = None;
        let out = f();
        self.tui = Some(Tui::enter(self.config.console.mouse)?);
        // A fresh terminal draws everything on its first frame; wipe what the editor left.
        // (`Terminal::clear` would ask the terminal for the cursor position: not needed here.)
        crossterm::execute!(
            std::io::stdout(),
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
        )?;
        self.events = Some(EventStream::new());
        Ok(out)
    }

    /// Draw one frame, as one synchronized update (no tearing over a slow link), then the
    /// status bar's link as an OSC 8 hyperlink.
    fn draw(&mut self) -> Result<()> {
        let tui = self.tui.as_mut().expect("the terminal is back after the editor");
        crossterm::queue!(std::io::stdout(), crossterm::terminal::BeginSynchronizedUpdate)?;
        tui.terminal.draw(|f| ui::draw(f, &self.state))?;
        if let Some((url, _)) = &self.state.link {
            hyperlink(&self.state, url)?;
        }
        crossterm::execute!(std::io::stdout(), crossterm::terminal::EndSynchronizedUpdate)?;
        // Debug builds only: lets the tests prove the terminal is restored after a panic.
        #[cfg(debug_assertions)]
        if self.state.loaded && std::env::var_os("OVERHEAR_TEST_PANIC").is_some() {
            panic!("panic requested by OVERHEAR_TEST_PANIC");
        }
        Ok(())
    }
}

/// OSC 9 (iTerm2, WezTerm, kitty, foot, Windows Terminal) and OSC 777 (rxvt, VTE): a desktop
/// notification through the terminal, over SSH too. The text is a sanitised line, without the
/// bytes that would end the sequence.
fn notify(text: &str) -> Result<()> {
    let clean: String = crate::text::sanitize_line(text)
        .chars()
        .filter(|c| !matches!(c, '\x07' | '\x1b' | ';'))
        .collect();
    let mut out = std::io::stdout().lock();
    write!(out, "\x1b]9;{clean}\x07\x1b]777;notify;overhear;{clean}\x07")?;
    out.flush()?;
    Ok(())
}

/// OSC 52: set the clipboard through the terminal, which works over SSH.
fn copy(text: &str) -> Result<()> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = std::io::stdout().lock();
    write!(out, "\x1b]52;c;{encoded}\x07")?;
    out.flush()?;
    Ok(())
}

/// OSC 8: turn the link drawn in the status bar into a hyperlink. The URL has passed
/// `safe_link`: http(s) and printable ASCII only.
fn hyperlink(state: &AppState, url: &str) -> Result<()> {
    use crossterm::{cursor, queue, style::Print};
    let Some((x, y, shown)) = ui::link_position(state) else {
        return Ok(());
    };
    let mut out = std::io::stdout().lock();
    queue!(
        out,
        cursor::SavePosition,
        cursor::MoveTo(x, y),
        Print(format!("\x1b]8;;{url}\x1b\\{shown}\x1b]8;;\x1b\\")),
        cursor::RestorePosition
    )?;
    out.flush()?;
    Ok(())
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Run `$VISUAL` or `$EDITOR` (else `vi`) on the text; the edited text, or why it could not run.
fn external_editor(text: &str) -> Result<String, EditorError> {
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .or_else(|| std::env::var("EDITOR").ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_string());
    let file = tempfile::Builder::new()
        .prefix("overhear-reply-")
        .suffix(".txt")
        .tempfile()
        .map_err(EditorError::Write)?;
    std::fs::write(file.path(), text).map_err(EditorError::Write)?;
    // Through the shell, so EDITOR may carry arguments ("code --wait").
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("overhear-editor")
        .arg(file.path())
        .status()
        .map_err(|source| EditorError::Run {
            editor: editor.clone(),
            source,
        })?;
    if !status.success() {
        return Err(EditorError::Failed { editor, status });
    }
    std::fs::read_to_string(file.path()).map_err(EditorError::Read)
}

/// Post a reply once through the outbox (claim the draft, deliver, record or reopen); the
/// result comes back as an action.
/// A reply on its way out: its text, the send guard's baseline, and whose it is when an approver
/// sends a teammate's.
struct Answer {
    text: String,
    seen_action: Option<i64>,
    writer: Option<String>,
}

fn send(services: &Services, config: &Config, mention: Mention, delivery: Delivery, answer: Answer) {
    let feed = config.feeds.iter().find(|f| f.name == mention.feed).cloned();
    let outbox = services.outbox.clone();
    let tx = services.actions.clone();
    let operator = config.operator.clone();
    tokio::spawn(async move {
        let result = match feed {
            Some(feed) => {
                let writer = answer.writer.as_deref().unwrap_or(&operator);
                outbox
                    .send_as(
                        &feed,
                        mention.id,
                        &delivery,
                        &answer.text,
                        writer,
                        Some(&operator),
                        answer.seen_action,
                    )
                    .await
            }
            None => Err(SendError::HandOff("its feed is no longer in the config".to_string())),
        };
        let _ = tx.send(Action::Sent {
            mention_id: mention.id,
            result,
        });
    });
}

/// Fetch the thread around a mention on the async side; it comes back as an action (the screen
/// never waits for it).
fn fetch_thread(services: &Services, config: &Config, id: i64, of: crate::model::ThreadOf) {
    let feed = config.feeds.iter().find(|f| f.name == of.feed).cloned();
    let client = services.client.clone();
    let tx = services.actions.clone();
    tokio::spawn(async move {
        let result = match feed {
            Some(feed) => crate::poller::thread::fetch_thread(&client, &feed, &of)
                .await
                .map_err(|e| e.to_string()),
            None => Err("its feed is no longer in the config".to_string()),
        };
        if let Err(e) = &result {
            tracing::warn!(feed = %of.feed, "thread not fetched: {e}");
        }
        let _ = tx.send(Action::ThreadFetched { id, result });
    });
}
