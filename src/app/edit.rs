//! A one-line editor for prompts, with completion.

/// Text and a cursor (a char index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEdit {
    chars: Vec<char>,
    cursor: usize,
}

impl LineEdit {
    pub fn new(text: &str) -> LineEdit {
        let chars: Vec<char> = text.chars().collect();
        let cursor = chars.len();
        LineEdit { chars, cursor }
    }

    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn insert(&mut self, c: char) {
        if c.is_control() {
            return;
        }
        self.chars.insert(self.cursor, c);
        self.cursor += 1;
    }

    /// Insert pasted text as one line (line breaks become spaces, controls are dropped).
    pub fn paste(&mut self, s: &str) {
        for c in crate::text::sanitize_line(s).chars() {
            self.insert(c);
        }
    }

    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            self.chars.remove(self.cursor);
        }
    }

    pub fn delete(&mut self) {
        if self.cursor < self.chars.len() {
            self.chars.remove(self.cursor);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.chars.len());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.chars.len();
    }

    /// Delete from the start of the line to the cursor (ctrl-u).
    pub fn kill_to_start(&mut self) {
        self.chars.drain(..self.cursor);
        self.cursor = 0;
    }

    /// Delete the word before the cursor (ctrl-w).
    pub fn kill_word(&mut self) {
        let mut start = self.cursor;
        while start > 0 && self.chars[start - 1].is_whitespace() {
            start -= 1;
        }
        while start > 0 && !self.chars[start - 1].is_whitespace() {
            start -= 1;
        }
        self.chars.drain(start..self.cursor);
        self.cursor = start;
    }

    /// The word being typed at the cursor, and where it starts.
    pub fn current_word(&self) -> (usize, String) {
        let mut start = self.cursor;
        while start > 0 && !self.chars[start - 1].is_whitespace() {
            start -= 1;
        }
        (start, self.chars[start..self.cursor].iter().collect())
    }

    /// Replace the word at the cursor with `word`.
    pub fn replace_word(&mut self, word: &str) {
        let (start, _) = self.current_word();
        self.chars.drain(start..self.cursor);
        for (i, c) in word.chars().enumerate() {
            self.chars.insert(start + i, c);
        }
        self.cursor = start + word.chars().count();
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
        let mut e = LineEdit::new("helo");
        e.left();
        e.insert('l');
        assert_eq!(e.text(), "hello");
        e.end();
        e.insert(' ');
        e.insert('w');
        e.kill_word();
        assert_eq!(e.text(), "hello ");
        e.backspace();
        e.home();
        e.delete();
        assert_eq!(e.text(), "ello");
        e.end();
        e.kill_to_start();
        assert_eq!(e.text(), "");
        e.paste("a\nb\x1b[31m");
        assert_eq!(e.text(), "a b");
        e.insert('\x07');
        assert_eq!(e.text(), "a b");
    }

    #[test]
    fn words_complete() {
        let mut e = LineEdit::new("assign al");
        assert_eq!(e.current_word(), (7, "al".to_string()));
        let c = complete("al", &["alice".into(), "Alfred".into(), "bob".into()]);
        assert_eq!(c, vec!["alice", "Alfred"]);
        e.replace_word("alice");
        assert_eq!(e.text(), "assign alice");
    }
}
