//! The terminal: raw mode, the alternate screen, bracketed paste and (optionally) mouse capture
//! on entry; restored on drop, on error and on panic (the panic hook restores before printing).

use anyhow::Result;
use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture};
use crossterm::execute;
use ratatui::DefaultTerminal;

/// Holds the terminal; restores it when dropped, however the console ends.
pub struct Tui {
    pub terminal: DefaultTerminal,
    mouse: bool,
}

impl Tui {
    pub fn enter(mouse: bool) -> Result<Tui> {
        // `try_init` enables raw mode, enters the alternate screen and installs a panic hook that
        // restores the terminal before the panic message is printed.
        let terminal = ratatui::try_init()?;
        let mut out = std::io::stdout();
        execute!(out, EnableBracketedPaste)?;
        if mouse {
            execute!(out, EnableMouseCapture)?;
        }
        // ratatui's hook restores raw mode and the screen; mouse reporting and bracketed paste
        // must stop too, before the message is printed.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A parser's panic on a stranger's document is caught and logged, not the console's end.
            if crate::poller::isolate::active() {
                crate::poller::isolate::log_caught(info);
                return;
            }
            let _ = execute!(std::io::stdout(), DisableMouseCapture, DisableBracketedPaste);
            previous(info);
            // A panic on any thread (the reader, the writer, a poll task) leaves the console in a
            // state it cannot be trusted in, on a terminal already restored: stop here, as a panic
            // on the main thread would.
            std::process::exit(101);
        }));
        Ok(Tui { terminal, mouse })
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        // While unwinding, the panic hook has already restored the terminal and printed the
        // message; restoring twice would move the cursor back over that message.
        if !std::thread::panicking() {
            let mut out = std::io::stdout();
            if self.mouse {
                let _ = execute!(out, DisableMouseCapture);
            }
            let _ = execute!(out, DisableBracketedPaste);
            ratatui::restore();
        }
    }
}
