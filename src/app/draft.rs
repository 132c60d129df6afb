//! The reply editor: a multi-line text area (cursor movement, word jumps, undo/redo, paste, soft
//! wrap) over a mention, with a live character count against the target's limit, saved replies
//! with variables, and the operator's signature.

use crate::model::Mention;
use ratatui_textarea::{TextArea, WrapMode};
use std::time::Instant;

/// Bundled saved replies (`assets/templates/`), before any from the config.
const BUNDLED: &[(&str, &str)] = &[
    ("thanks", include_str!("../../assets/templates/thanks.txt")),
    ("sorry", include_str!("../../assets/templates/sorry.txt")),
    ("dm-us", include_str!("../../assets/templates/dm-us.txt")),
    ("fixed", include_str!("../../assets/templates/fixed.txt")),
];

/// A saved reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub body: String,
}

/// The bundled templates, then the config's (a config template of the same name replaces one).
pub fn templates(from_config: &[Template]) -> Vec<Template> {
    let mut all: Vec<Template> = BUNDLED
        .iter()
        .map(|(n, b)| Template {
            name: n.to_string(),
            body: b.trim_end().to_string(),
        })
        .collect();
    for t in from_config {
        all.retain(|x| x.name != t.name);
        all.push(t.clone());
    }
    all
}

/// Fill in `{author}`, `{operator}`, `{feed}`, `{link}` and `{date}`.
pub fn expand(body: &str, mention: &Mention, operator: &str, today: &str) -> String {
    body.replace("{author}", mention.author.as_deref().unwrap_or("there"))
        .replace("{operator}", operator)
        .replace("{feed}", &mention.feed)
        .replace("{link}", mention.url.as_deref().unwrap_or(""))
        .replace("{date}", today)
}

/// The saved replies whose names match `query` fuzzily (nucleo, as in helix), best first; all of
/// them, in order, for an empty query.
pub fn matching<'a>(all: &'a [Template], query: &str) -> Vec<&'a Template> {
    use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
    if query.trim().is_empty() {
        return all.iter().collect();
    }
    let mut matcher = nucleo_matcher::Matcher::new(nucleo_matcher::Config::DEFAULT);
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let names: Vec<(usize, &str)> = all.iter().map(|t| t.name.as_str()).enumerate().collect();
    let mut scored: Vec<(usize, u32)> = names
        .iter()
        .filter_map(|(i, name)| {
            let mut buf = Vec::new();
            pattern
                .score(nucleo_matcher::Utf32Str::new(name, &mut buf), &mut matcher)
                .map(|score| (*i, score))
        })
        .collect();
    scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.into_iter().map(|(i, _)| &all[i]).collect()
}

/// An open draft.
#[derive(Debug, Clone)]
pub struct DraftEditor {
    pub mention: Mention,
    pub area: TextArea<'static>,
    /// The service's length limit, when it has one.
    pub limit: Option<usize>,
    /// The text as last saved.
    pub saved: String,
    /// When the text last changed without being saved.
    pub dirty_since: Option<Instant>,
    /// Teammates drafting an answer to the same mention now (their claims).
    pub claimed_by: Vec<String>,
    /// The newest action on the mention when this draft was opened: a teammate's answer after it
    /// stops the send (the send guard).
    pub seen_action: Option<i64>,
    /// Whose reply this is, when an approver reviews a teammate's (`None`: this operator's own).
    pub writer: Option<String>,
}

impl DraftEditor {
    pub fn new(mention: Mention, body: &str, claimed_by: Vec<String>, seen_action: Option<i64>) -> DraftEditor {
        let lines: Vec<String> = if body.is_empty() {
            vec![String::new()]
        } else {
            body.lines().map(String::from).collect()
        };
        let mut area = TextArea::new(lines);
        area.set_wrap_mode(WrapMode::WordOrGlyph);
        area.set_placeholder_text("Write the reply… (ctrl-t a saved reply, ctrl-o your $EDITOR)");
        area.move_cursor(ratatui_textarea::CursorMove::Bottom);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        let limit = crate::outbox::limit(mention.kind);
        DraftEditor {
            mention,
            area,
            limit,
            saved: body.to_string(),
            dirty_since: None,
            claimed_by,
            seen_action,
            writer: None,
        }
    }

    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// Characters, as the services count them (Unicode scalar values).
    pub fn count(&self) -> usize {
        self.text().chars().count()
    }

    pub fn over_limit(&self) -> bool {
        self.limit.is_some_and(|l| self.count() > l)
    }

    /// Replace everything (after `$EDITOR`), at `now`.
    pub fn set_text(&mut self, text: &str, now: Instant) {
        let keep = (self.mention.clone(), self.claimed_by.clone(), self.seen_action);
        let writer = self.writer.take();
        *self = DraftEditor {
            saved: self.saved.clone(),
            writer,
            ..DraftEditor::new(keep.0, text, keep.1, keep.2)
        };
        self.touch(now);
    }

    /// Insert text at the cursor, at `now`.
    pub fn insert(&mut self, text: &str, now: Instant) {
        self.area.insert_str(text);
        self.touch(now);
    }

    /// Note an edit made at `now`: the draft is dirty from then until it is saved.
    pub fn touch(&mut self, now: Instant) {
        if self.text() != self.saved {
            self.dirty_since.get_or_insert(now);
        } else {
            self.dirty_since = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mention() -> Mention {
        Mention {
            id: 1,
            feed: "hoot".into(),
            kind: crate::model::FeedKind::Mastodon,
            external_id: "9".into(),
            url: Some("https://m.example/@bob/9".into()),
            author: Some("bob".into()),
            author_reach: None,
            title: None,
            text: "help".into(),
            published_at: None,
            first_seen_at: chrono::Utc::now(),
            sort_at: chrono::Utc::now(),
            engagement: Default::default(),
            status: crate::model::Status::New,
            assignee: None,
            responded_at: None,
            responded_by: None,
            unread: false,
            response_text: None,
            response_url: None,
            lang: None,
            sentiment: None,
            intents: crate::score::Intents::default(),
            priority: 0.0,
            person_tags: vec![],
            noise: 0,
            group_id: 1,
            conversation_id: None,
            elsewhere: 0,
            elsewhere_feeds: Vec::new(),
            follow_up: false,
            order_key: 0,
        }
    }

    #[test]
    fn variables_expand() {
        let t = "Hi {author}, {operator} here from {feed}: {link} ({date})";
        assert_eq!(
            expand(t, &mention(), "alice", "2026-11-24"),
            "Hi bob, alice here from hoot: https://m.example/@bob/9 (2026-11-24)"
        );
    }

    #[test]
    fn templates_are_bundled_overridable_and_fuzzy_found() {
        let all = templates(&[
            Template {
                name: "thanks".into(),
                body: "Cheers {author}".into(),
            },
            Template {
                name: "refund".into(),
                body: "x".into(),
            },
        ]);
        assert_eq!(all.iter().filter(|t| t.name == "thanks").count(), 1);
        assert_eq!(all.iter().find(|t| t.name == "thanks").unwrap().body, "Cheers {author}");
        assert_eq!(matching(&all, "dm")[0].name, "dm-us");
        assert_eq!(matching(&all, "rfd")[0].name, "refund");
        assert!(matching(&all, "zzz").is_empty());
        assert_eq!(matching(&all, "").len(), all.len());
    }

    #[test]
    fn the_count_runs_against_the_limit_and_edits_mark_it_dirty() {
        let mut e = DraftEditor::new(mention(), "", Vec::new(), None);
        assert_eq!(e.limit, Some(500));
        assert!(e.dirty_since.is_none());
        e.insert(&"é".repeat(501), Instant::now());
        assert_eq!(e.count(), 501);
        assert!(e.over_limit());
        assert!(e.dirty_since.is_some());
        e.set_text("line one\nline two", Instant::now());
        assert_eq!(e.text(), "line one\nline two");
    }
}
