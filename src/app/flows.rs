//! The reply, prompt and confirmation flows driven headless: keys in, state and effects out,
//! with the real store answering the reads (as the reader thread would) and a clock the test
//! moves. The same flows run in a real terminal in `tests/`.

use super::*;
use crate::model::{FeedKind, NewMention};
use crate::store::{PollWrite, Store};
use std::path::Path;

struct Flow {
    _dir: tempfile::TempDir,
    store: Store,
    state: AppState,
    clock: Clock,
    /// Effects other than loads, in order, for the test to inspect.
    out: Vec<Effect>,
}

impl Flow {
    /// Three mentions on an RSS feed (no reply API: replies are handed off) and `config`.
    fn new(config: &str) -> Flow {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db")).unwrap();
        let feed = store.ensure_feed("blogs", FeedKind::Rss).unwrap();
        let base = Utc::now() - chrono::Duration::hours(1);
        let mentions = (0..3)
            .map(|i| NewMention {
                external_id: Some(format!("id{i}")),
                author: Some(format!("author{i}")),
                text: format!("text {i}"),
                url: Some(format!("https://example.com/{i}")),
                published_at: Some(base + chrono::Duration::minutes(i)),
                ..Default::default()
            })
            .collect();
        let poll = PollWrite {
            mentions,
            status: 200,
            next_poll_at: Utc::now(),
            ..Default::default()
        };
        store.write_poll(feed, FeedKind::Rss, &poll, Utc::now()).unwrap();
        let text = format!(
            "[console]\noperator = \"alice\"\n\n[[feed]]\nname = \"blogs\"\nkind = \"rss\"\nurl = \"https://example.com/feed\"\n\n{config}"
        );
        let config = Config::parse(Path::new("c.toml"), &text).unwrap();
        let state = AppState::new(&config, crate::ui::layout((100, 30)));
        let mut f = Flow {
            _dir: dir,
            store,
            state,
            clock: Clock::now(),
            out: Vec::new(),
        };
        let start = f.state.start();
        f.run(start);
        f
    }

    /// Run effects as the console would: loads and draft reads against the store; the rest kept.
    fn run(&mut self, effects: Vec<Effect>) {
        let mut queue = effects;
        while !queue.is_empty() {
            let effect = queue.remove(0);
            let next = match effect {
                Effect::Load(req) => {
                    let mut next = Vec::new();
                    for a in crate::console::workers::answer_load(&self.store, "alice", &["blogs".to_string()], &req)
                        .unwrap()
                    {
                        next.extend(self.state.update(a, self.clock));
                    }
                    next
                }
                Effect::OpenDraft { id, writer } => {
                    let opened = crate::console::workers::open_draft(&self.store, "alice", id, writer);
                    self.state.update(opened, self.clock)
                }
                other => {
                    self.out.push(other);
                    vec![]
                }
            };
            queue.extend(next);
        }
    }

    fn act(&mut self, action: Action) {
        let effects = self.state.update(action, self.clock);
        self.run(effects);
    }

    /// Press a key, written as in the config ("ctrl-s", "esc", "y").
    fn press(&mut self, key: &str) {
        let k = crate::keymap::Key::parse(key).unwrap();
        let mods = if matches!(k.code, KeyCode::Char(c) if c.is_uppercase()) {
            k.mods | KeyModifiers::SHIFT
        } else {
            k.mods
        };
        self.act(Action::Key(KeyEvent::new(k.code, mods)));
    }

    fn typing(&mut self, text: &str) {
        for c in text.chars() {
            self.act(Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
        }
    }

    fn later(&mut self, by: Duration) {
        self.clock = Clock {
            at: self.clock.at + by,
            wall: self.clock.wall + chrono::Duration::from_std(by).unwrap(),
        };
        self.act(Action::Tick);
    }

    fn message(&self) -> String {
        self.state.message.as_ref().map(|m| m.0.clone()).unwrap_or_default()
    }

    fn draft(&self) -> String {
        self.state.editor.as_ref().map(DraftEditor::text).unwrap_or_default()
    }

    fn took(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.out)
    }
}

#[test]
fn a_draft_is_written_saved_after_a_pause_undone_and_closed() {
    let mut f = Flow::new("");
    f.press("r");
    assert_eq!(f.state.mode, Mode::Draft);
    assert_eq!(f.state.editor.as_ref().unwrap().mention.text, "text 2");
    f.typing("Hi there");
    assert_eq!(f.draft(), "Hi there");
    f.later(Duration::from_millis(100));
    assert!(f.took().is_empty(), "not saved while typing");
    f.later(AUTOSAVE_AFTER);
    let saved = f.took();
    assert!(
        matches!(&saved[..], [Effect::Write(WriteRequest { op: WriteOp::SaveDraft { body, .. } })] if body == "Hi there"),
        "{saved:?}"
    );
    f.press("ctrl-w");
    assert_eq!(f.draft(), "Hi ");
    f.press("ctrl-u");
    assert_eq!(f.draft(), "Hi there", "undo brings the word back");
    f.press("enter");
    f.typing("x");
    assert_eq!(f.draft(), "Hi there\nx");
    f.press("esc");
    assert_eq!(f.state.mode, Mode::Normal);
    assert!(f.state.editor.is_none());
    assert_eq!(f.message(), "draft saved · r reopens it · 3 lists drafts");
    assert!(
        matches!(&f.took()[..], [Effect::Write(WriteRequest { op: WriteOp::SaveDraft { body, .. } })] if body == "Hi there\nx")
    );
}

#[test]
fn a_handed_off_reply_asks_before_marking_and_no_keeps_the_draft() {
    let mut f = Flow::new("");
    f.press("r");
    f.typing("Thanks!");
    f.press("ctrl-s");
    let out = f.took();
    assert!(
        out.iter().any(|e| matches!(e, Effect::Copy(t) if t == "Thanks!")),
        "{out:?}"
    );
    assert!(matches!(f.state.mode, Mode::Confirm(Confirm::MarkResponded { .. })));
    assert_eq!(f.state.link.as_ref().unwrap().0, "https://example.com/2");
    f.press("n");
    assert_eq!(f.state.mode, Mode::Draft);
    assert_eq!(f.message(), "not marked: the draft stays saved");
    f.press("ctrl-s");
    f.took();
    f.press("y");
    assert_eq!(f.state.mode, Mode::Normal);
    let out = f.took();
    assert!(
        matches!(&out[..], [Effect::Write(WriteRequest { op: WriteOp::Respond { text, .. } })] if text == "Thanks!"),
        "{out:?}"
    );
}

#[test]
fn an_empty_reply_is_not_sent() {
    let mut f = Flow::new("");
    f.press("r");
    f.press("ctrl-s");
    assert_eq!(f.state.mode, Mode::Draft);
    assert_eq!(f.message(), "the reply is empty");
}

#[test]
fn rebound_keys_work_in_every_context_and_the_hints_follow() {
    let mut f = Flow::new(
        "[keys]\nreply = \"R\"\ndraft-discard = \"ctrl-x\"\nconfirm-yes = \"j\"\nundo = \"z\"\ndraft-close = \"ctrl-q\"\n",
    );
    f.press("r");
    assert_eq!(f.state.mode, Mode::Normal, "r no longer replies");
    f.press("R");
    assert_eq!(f.state.mode, Mode::Draft);
    f.typing("draft");
    f.press("esc");
    assert_eq!(f.state.mode, Mode::Draft, "esc no longer closes the editor");
    f.press("ctrl-x");
    assert_eq!(f.state.mode, Mode::Confirm(Confirm::Discard));
    f.press("y");
    assert_eq!(f.state.mode, Mode::Confirm(Confirm::Discard), "y is no longer yes");
    f.press("j");
    assert_eq!(f.state.mode, Mode::Normal);
    assert!(matches!(
        &f.took()[..],
        [
            ..,
            Effect::Write(WriteRequest {
                op: WriteOp::DiscardDraft { .. }
            })
        ]
    ));
    f.press("R");
    f.typing("again");
    f.press("ctrl-q");
    assert_eq!(f.message(), "draft saved · R reopens it · 3 lists drafts");
    f.act(Action::Written {
        batch: Some(7),
        message: "marked responded".into(),
    });
    assert_eq!(f.message(), "marked responded · z undoes");
}

#[test]
fn a_saved_reply_is_picked_by_typing_and_filled_in() {
    let mut f = Flow::new("");
    f.press("r");
    f.press("ctrl-t");
    assert!(matches!(f.state.mode, Mode::Templates { .. }));
    f.typing("than");
    f.press("enter");
    assert_eq!(f.state.mode, Mode::Draft);
    assert!(f.draft().starts_with("Hi author2, thank you"), "{}", f.draft());
    f.press("ctrl-t");
    f.press("esc");
    assert_eq!(f.state.mode, Mode::Draft, "esc goes back to the draft");
}

#[test]
fn help_opened_in_the_editor_returns_to_it() {
    let mut f = Flow::new("");
    f.press("r");
    f.press("f1");
    assert_eq!(
        f.state.mode,
        Mode::Help {
            scroll: 0,
            from: Context::Draft
        }
    );
    f.press("j");
    assert!(matches!(f.state.mode, Mode::Help { scroll: 1, .. }));
    f.press("esc");
    assert_eq!(f.state.mode, Mode::Draft);
}

#[test]
fn the_search_prompt_completes_submits_and_closes_when_emptied() {
    let mut f = Flow::new("");
    f.press("/");
    assert!(matches!(&f.state.mode, Mode::Prompt(p) if p.kind == PromptKind::Search));
    f.typing("status:op");
    f.press("tab");
    let Mode::Prompt(p) = &f.state.mode else { panic!() };
    assert_eq!(p.input.text(), "status:open");
    f.press("enter");
    assert_eq!(f.state.mode, Mode::Normal);
    assert_eq!(f.state.filter.describe(), "status:open");
    f.press("/");
    f.press("ctrl-u");
    let Mode::Prompt(p) = &f.state.mode else { panic!() };
    assert_eq!(p.input.text(), "", "ctrl-u deletes to the start at a prompt");
    f.press("backspace");
    assert_eq!(f.state.mode, Mode::Normal, "backspace on an empty prompt closes it");
}

#[test]
fn a_command_line_tags_the_selection() {
    let mut f = Flow::new("");
    f.press(":");
    f.typing("tag praise");
    f.press("enter");
    let out = f.took();
    assert!(
        matches!(&out[..], [Effect::Write(WriteRequest { op: WriteOp::Apply { change: Change::Tag(t), .. } })] if t == "praise"),
        "{out:?}"
    );
    f.press(":");
    f.typing("draft-send");
    f.press("enter");
    assert!(f.message().contains("unknown command"), "{}", f.message());
}

#[test]
fn messages_expire_by_the_clock_passed_in() {
    let mut f = Flow::new("");
    f.press("x");
    assert_eq!(f.message(), "x does nothing here · ? lists the keys");
    f.later(MESSAGE_FOR - Duration::from_millis(1));
    assert!(!f.message().is_empty());
    f.later(Duration::from_millis(2));
    assert!(f.message().is_empty());
}

#[test]
fn a_refused_link_clears_the_one_on_screen() {
    let mut f = Flow::new("");
    f.press("o");
    assert_eq!(f.state.link.as_ref().unwrap().0, "https://example.com/2");
    let selected = f.state.window.selected;
    f.state.window.rows[selected].url = Some("javascript:alert(1)".into());
    f.press("o");
    assert!(f.state.link.is_none(), "the previous mention's link is gone");
    assert!(f.message().contains("not an http(s) address"), "{}", f.message());
}

#[test]
fn c_marks_the_whole_conversation_and_the_next_triage_key_acts_on_all_of_it() {
    let mut f = Flow::new("");
    let hn = f.store.ensure_feed("hn", FeedKind::Hackernews).unwrap();
    let now = Utc::now();
    let post = |id: &str, parent: Option<&str>, mins: i64| NewMention {
        external_id: Some(id.into()),
        author: Some(format!("a{id}")),
        title: parent.is_none().then(|| "Acme sync, a story".to_string()),
        text: format!("message {id}"),
        published_at: Some(now - chrono::Duration::minutes(mins)),
        place: crate::model::Place {
            parent: parent.map(String::from),
            root: parent.map(|_| "100".to_string()),
            ..Default::default()
        },
        ..Default::default()
    };
    let poll = PollWrite {
        mentions: vec![
            post("100", None, 10),
            post("101", Some("100"), 5),
            post("102", Some("101"), 1),
        ],
        status: 200,
        next_poll_at: now,
        ..Default::default()
    };
    f.store.write_poll(hn, FeedKind::Hackernews, &poll, now).unwrap();
    f.act(Action::StoreChanged);
    // The newest (the last reply) is selected: C marks the three messages of its conversation.
    assert_eq!(f.state.selected().unwrap().text, "message 102");
    f.press("C");
    assert_eq!(f.state.marks.len(), 3, "{}", f.message());
    assert!(f.message().contains("3 marked"), "{}", f.message());
    f.took();
    f.press("i");
    let out = f.took();
    assert!(
        matches!(&out[..], [Effect::Write(WriteRequest { op: WriteOp::Apply { ids, change: Change::Status(crate::model::Status::Ignored) } })] if ids.len() == 3),
        "{out:?}"
    );
    // A mention alone is said to have no conversation.
    f.state.marks.clear();
    f.press("G");
    f.press("C");
    assert!(f.state.marks.is_empty());
    assert!(f.message().contains("not part of a conversation"), "{}", f.message());
}

#[test]
fn enter_in_a_storys_detail_lists_its_places_and_esc_shows_everything_again() {
    let mut f = Flow::new("");
    let now = Utc::now();
    // One article told by a blog and by Hacker News (the same link), one other mention besides.
    let hn = f.store.ensure_feed("hn", FeedKind::Hackernews).unwrap();
    let blog = f.store.ensure_feed("blogs", FeedKind::Rss).unwrap();
    let at = |mins: i64| Some(now - chrono::Duration::minutes(mins));
    let article = NewMention {
        external_id: Some("article".into()),
        title: Some("Acme moves its support to the forum".into()),
        url: Some("https://acme.example/blog/forum".into()),
        text: "We are moving.".into(),
        published_at: at(20),
        ..Default::default()
    };
    let write = |f: &mut Flow, feed, kind, m: NewMention| {
        let poll = PollWrite {
            mentions: vec![m],
            status: 200,
            next_poll_at: now,
            ..Default::default()
        };
        f.store.write_poll(feed, kind, &poll, now).unwrap();
    };
    write(&mut f, blog, FeedKind::Rss, article);
    let story = NewMention {
        external_id: Some("4242".into()),
        title: Some("Acme moves its support to the forum".into()),
        url: Some("https://news.ycombinator.com/item?id=4242".into()),
        text: String::new(),
        published_at: at(10),
        place: crate::model::Place {
            links_to: Some("https://acme.example/blog/forum?utm_source=hn".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    write(&mut f, hn, FeedKind::Hackernews, story);
    f.act(Action::StoreChanged);
    let listed = |f: &Flow| f.state.window.rows.len();
    // The stream lists the story once: its lead (the blog's article) beside the three others.
    assert_eq!(listed(&f), 4);
    while f.state.selected().unwrap().title.as_deref() != Some("Acme moves its support to the forum") {
        f.press("j");
    }
    f.press("Enter");
    assert_eq!(f.state.pane, Pane::Detail);
    assert_eq!(f.state.window.detail.as_ref().unwrap().places.len(), 1);
    f.press("Enter");
    assert_eq!(f.state.pane, Pane::Stream);
    assert_eq!(listed(&f), 2, "the lead and its other place");
    assert!(f.message().contains("the story's 2 places"), "{}", f.message());
    assert!(
        f.state.filter.describe().starts_with("story:"),
        "{}",
        f.state.filter.describe()
    );
    f.press("Esc");
    assert_eq!(listed(&f), 4);
}
