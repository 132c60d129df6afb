//! The event loop: terminal events, store changes and poll reports in; effects out; one draw
//! after each batch of events, none while idle.

use super::worker::{ReadRequest, reader, writer};
use super::{Action, AppState, Effect};
use crate::config::Config;
use crate::poller::Poller;
use crate::store::Store;
use crate::tui::Tui;
use crate::ui;
use anyhow::{Context, Result};
use base64::Engine;
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use std::io::Write;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How often ages on screen are refreshed.
const CLOCK_TICK: Duration = Duration::from_secs(30);

/// Run the console until the user quits: a poller in the background, the screen in front.
pub fn run_console(config: Config, store: Store) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let db_path = store.path().to_path_buf();
    let poll_store = Store::open(&db_path)?;
    let write_store = Store::open(&db_path)?;
    rt.block_on(async move {
        let (actions_tx, actions_rx) = mpsc::unbounded_channel();
        let (read_tx, read_rx) = std_mpsc::channel();
        let (write_tx, write_rx) = std_mpsc::channel();
        let names: Vec<String> = config.feeds.iter().map(|f| f.name.clone()).collect();
        let operator = config.console.operator.clone();
        let reader_actions = actions_tx.clone();
        let op = operator.clone();
        std::thread::Builder::new()
            .name("overhear-reader".into())
            .spawn(move || reader(store, op, names, read_rx, reader_actions))
            .context("cannot start the reader thread")?;
        let writer_actions = actions_tx.clone();
        std::thread::Builder::new()
            .name("overhear-writer".into())
            .spawn(move || writer(write_store, operator, write_rx, writer_actions))
            .context("cannot start the writer thread")?;

        let (stop_tx, stop_rx) = watch::channel(false);
        let poller = Poller::new(&config.poller, poll_store)?;
        let (report_tx, mut report_rx) = mpsc::unbounded_channel();
        let feeds = config.feeds.clone();
        let poll_task = tokio::spawn(async move { poller.run(feeds, stop_rx, report_tx).await });
        let forward = actions_tx.clone();
        tokio::spawn(async move {
            while let Some(r) = report_rx.recv().await {
                if forward.send(Action::Report(r)).is_err() {
                    break;
                }
            }
        });

        let result = event_loop(&config, actions_rx, read_tx, write_tx).await;
        let _ = stop_tx.send(true);
        // Let a write in flight finish, but do not keep the user waiting on the network.
        let _ = tokio::time::timeout(Duration::from_secs(3), poll_task).await;
        result
    })
}

async fn event_loop(
    config: &Config,
    mut actions: mpsc::UnboundedReceiver<Action>,
    reads: std_mpsc::Sender<ReadRequest>,
    writes: std_mpsc::Sender<super::WriteRequest>,
) -> Result<()> {
    let mut tui = Tui::enter(config.console.mouse)?;
    let size = tui.terminal.size()?;
    let mut state = AppState::new(config, (size.width, size.height));
    let mut events = EventStream::new();
    let mut clock = tokio::time::interval(CLOCK_TICK);
    clock.reset();
    let mut pending = state.start();
    let mut dirty = true;
    loop {
        for effect in pending.drain(..) {
            match effect {
                Effect::Load(req) => reads
                    .send(ReadRequest::Load(req))
                    .context("the database reader stopped")?,
                Effect::MatchingIds(f) => reads
                    .send(ReadRequest::MatchingIds(f))
                    .context("the database reader stopped")?,
                Effect::Write(w) => writes.send(w).context("the database writer stopped")?,
                Effect::Copy(text) => copy(&text)?,
                Effect::Quit => return Ok(()),
            }
        }
        if dirty {
            tui.terminal.draw(|f| ui::draw(f, &state))?;
            if let Some((url, _)) = &state.link {
                hyperlink(&state, url)?;
            }
            dirty = false;
            // Debug builds only: lets the tests prove the terminal is restored after a panic.
            #[cfg(debug_assertions)]
            if state.loaded && std::env::var_os("OVERHEAR_TEST_PANIC").is_some() {
                panic!("panic requested by OVERHEAR_TEST_PANIC");
            }
        }
        let deadline = state.next_deadline().map(tokio::time::Instant::from_std);
        let action = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) => Action::Key(k),
                Some(Ok(Event::Resize(w, h))) => Action::Resize(w, h),
                Some(Ok(Event::Paste(p))) => Action::Paste(p),
                Some(Ok(Event::Mouse(m))) => Action::Mouse(m),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e).context("cannot read the terminal"),
                None => return Ok(()),
            },
            Some(a) = actions.recv() => a,
            _ = clock.tick() => Action::Tick,
            _ = sleep_until_opt(deadline) => Action::Tick,
        };
        pending = state.update(action);
        // Everything else already queued is handled before the next draw.
        while let Ok(a) = actions.try_recv() {
            pending.extend(state.update(a));
        }
        dirty = true;
    }
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
