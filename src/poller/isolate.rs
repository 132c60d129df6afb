//! Running a parser on a stranger's bytes so that a bug in it costs that one document, not the
//! process: the panic is caught and becomes an error, and the panic hook (installed once by
//! `install_hook`, and checked by the console's own hook) logs it instead of printing it over
//! the screen or ending the process.

use std::cell::Cell;

thread_local! {
    static ISOLATED: Cell<bool> = const { Cell::new(false) };
}

/// Whether the panic now being handled happened inside [`isolated`] on this thread.
pub fn active() -> bool {
    ISOLATED.with(Cell::get)
}

/// Run `f`; a panic inside becomes `Err` with its message (sanitised).
pub fn isolated<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let before = ISOLATED.with(|c| c.replace(true));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    ISOLATED.with(|c| c.set(before));
    out.map_err(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        crate::text::sanitize_line(&what)
    })
}

/// Install a panic hook that logs panics inside [`isolated`] (with where they happened) and
/// leaves every other panic to the hook installed before.
pub fn install_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if active() {
            log_caught(info);
        } else {
            previous(info);
        }
    }));
}

/// Log a panic that [`isolated`] catches, with where it happened (for every panic hook that
/// must let such a panic pass: the CLI's, the console's).
pub fn log_caught(info: &std::panic::PanicHookInfo<'_>) {
    let at = info
        .location()
        .map(|l| format!("{}:{}", l.file(), l.line()))
        .unwrap_or_default();
    tracing::error!(
        at,
        "a parser panicked (caught): {}",
        crate::text::sanitize_line(&info.to_string())
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_becomes_an_error() {
        install_hook();
        assert_eq!(isolated(|| 2 + 2), Ok(4));
        let e = isolated(|| -> i32 { panic!("bad \x1b[2J input") }).unwrap_err();
        assert_eq!(e, "bad input");
        assert!(!active(), "the flag is cleared after");
    }
}
