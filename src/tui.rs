//! The terminal: raw mode and the alternate screen on entry, restored on drop, on error and on
//! panic (the panic hook restores before printing).

use anyhow::Result;
use ratatui::DefaultTerminal;

/// Holds the terminal; restores it when dropped, however the console ends.
pub struct Tui {
    pub terminal: DefaultTerminal,
}

impl Tui {
    pub fn enter() -> Result<Tui> {
        // `try_init` enables raw mode, enters the alternate screen and installs a panic hook that
        // restores the terminal before the panic message is printed.
        let terminal = ratatui::try_init()?;
        Ok(Tui { terminal })
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        // While unwinding, the panic hook has already restored the terminal and printed the
        // message; restoring twice would move the cursor back over that message.
        if !std::thread::panicking() {
            ratatui::restore();
        }
    }
}
