//! Editing text, shared by the prompts and the reply editor: both are ratatui-textarea areas
//! (a prompt is a one-line one), and the editing commands of the keymap's `Edit` context apply
//! to either the same way.

use crate::keymap::Command;
use ratatui_textarea::{CursorMove, TextArea};

/// Apply an editing command of the `Edit` context to `area`. False when `cmd` is not one.
pub fn apply(area: &mut TextArea<'static>, cmd: Command) -> bool {
    match cmd {
        Command::EditLeft => area.move_cursor(CursorMove::Back),
        Command::EditRight => area.move_cursor(CursorMove::Forward),
        Command::EditWordLeft => area.move_cursor(CursorMove::WordBack),
        Command::EditWordRight => area.move_cursor(CursorMove::WordForward),
        Command::EditHome => area.move_cursor(CursorMove::Head),
        Command::EditEnd => area.move_cursor(CursorMove::End),
        Command::EditBackspace => {
            area.delete_char();
        }
        Command::EditDelete => {
            area.delete_next_char();
        }
        Command::EditDeleteWord => {
            area.delete_word();
        }
        Command::EditDeleteNextWord => {
            area.delete_next_word();
        }
        Command::EditKillToEnd => {
            area.delete_line_by_end();
        }
        _ => return false,
    }
    true
}

/// Whether a command moves the cursor without changing the text.
pub fn moves_only(cmd: Command) -> bool {
    matches!(
        cmd,
        Command::EditLeft
            | Command::EditRight
            | Command::EditWordLeft
            | Command::EditWordRight
            | Command::EditHome
            | Command::EditEnd
    )
}

/// A one-line input for prompts, with the word at the cursor for completion.
#[derive(Debug, Clone)]
pub struct LineInput {
    area: TextArea<'static>,
}

impl PartialEq for LineInput {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text() && self.cursor() == other.cursor()
    }
}

impl LineInput {
    pub fn new(text: &str) -> LineInput {
        let mut area = TextArea::default();
        area.insert_str(text.chars().filter(|c| !c.is_control()).collect::<String>());
        LineInput { area }
    }

    pub fn text(&self) -> String {
        self.area.lines().first().cloned().unwrap_or_default()
    }

    /// The cursor, as a count of characters before it.
    pub fn cursor(&self) -> usize {
        self.area.cursor().1
    }

    /// Type a character (control characters are dropped).
    pub fn insert(&mut self, c: char) {
        if !c.is_control() {
            self.area.insert_char(c);
        }
    }

    /// Insert pasted text as one line (line breaks become spaces, controls are dropped).
    pub fn paste(&mut self, s: &str) {
        self.area.insert_str(crate::text::sanitize_line(s));
    }

    /// Apply an editing command; false when it is not one.
    pub fn edit(&mut self, cmd: Command) -> bool {
        apply(&mut self.area, cmd)
    }

    /// Delete from the start of the line to the cursor.
    pub fn kill_to_start(&mut self) {
        self.area.delete_line_by_head();
    }

    /// The word being typed at the cursor (up to the cursor), and where it starts.
    pub fn current_word(&self) -> (usize, String) {
        let chars: Vec<char> = self.text().chars().collect();
        let end = self.cursor().min(chars.len());
        let mut start = end;
        while start > 0 && !chars[start - 1].is_whitespace() {
            start -= 1;
        }
        (start, chars[start..end].iter().collect())
    }

    /// Replace the word at the cursor with `word`.
    pub fn replace_word(&mut self, word: &str) {
        let (start, current) = self.current_word();
        for _ in 0..current.chars().count() {
            self.area.delete_char();
        }
        debug_assert_eq!(self.cursor(), start);
        self.area.insert_str(word);
    }
}

/// Candidates that complete `prefix` (case-insensitive), in their given order.
pub fn complete(prefix: &str, candidates: &[String]) -> Vec<String> {
    let p = prefix.to_lowercase();
    candidates
        .iter()
        .filter(|c| c.to_lowercase().starts_with(&p) && c.as_str() != prefix)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editing() {
        let mut e = LineInput::new("helo");
        e.edit(Command::EditLeft);
        e.insert('l');
        assert_eq!(e.text(), "hello");
        e.edit(Command::EditEnd);
        e.insert(' ');
        e.insert('w');
        e.edit(Command::EditDeleteWord);
        assert_eq!(e.text(), "hello ");
        e.edit(Command::EditBackspace);
        e.edit(Command::EditHome);
        e.edit(Command::EditDelete);
        assert_eq!(e.text(), "ello");
        e.edit(Command::EditEnd);
        e.kill_to_start();
        assert_eq!(e.text(), "");
        e.paste("a\nb\x1b[31m");
        assert_eq!(e.text(), "a b");
        e.insert('\x07');
        assert_eq!(e.text(), "a b");
        assert!(!e.edit(Command::Quit), "not an editing command");
    }

    #[test]
    fn words_complete() {
        assert_eq!(
            LineInput::new("status:open ").text(),
            "status:open ",
            "a trailing space stays"
        );
        let mut e = LineInput::new("assign al");
        assert_eq!(e.current_word(), (7, "al".to_string()));
        let c = complete("al", &["alice".into(), "Alfred".into(), "bob".into()]);
        assert_eq!(c, vec!["alice", "Alfred"]);
        e.replace_word("alice");
        assert_eq!(e.text(), "assign alice");
        assert_eq!(e.cursor(), 12);
        let mut e = LineInput::new("tag:x más");
        e.edit(Command::EditLeft);
        assert_eq!(e.current_word(), (6, "má".to_string()));
    }
}
