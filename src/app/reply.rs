//! Writing and sending a reply: the draft editor's keys, autosave, saved replies, the
//! confirmations, and the hand-off to the outbox.

use super::*;

/// A yes/no question in the status bar.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    Send {
        delivery: Delivery,
        text: String,
        service: String,
    },
    MarkResponded {
        text: String,
    },
    Discard,
}

impl AppState {
    /// Save the draft if it changed and has rested (or `now`).
    pub(super) fn autosave(&mut self, now: bool) -> Vec<Effect> {
        let Some(e) = self.editor.as_mut() else { return vec![] };
        let due = e.dirty_since.is_some_and(|d| now || d.elapsed() >= AUTOSAVE_AFTER);
        if !due {
            return vec![];
        }
        let body = e.text();
        e.saved = body.clone();
        e.dirty_since = None;
        vec![Effect::Write(WriteRequest {
            op: WriteOp::SaveDraft { id: e.mention.id, body },
        })]
    }

    /// Close the editor, saving what is unsaved.
    pub(super) fn close_editor(&mut self) -> Vec<Effect> {
        let effects = self.autosave(true);
        self.editor = None;
        self.mode = Mode::Normal;
        effects
    }

    pub(super) fn on_draft_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let Some(editor) = self.editor.as_mut() else {
            self.mode = Mode::Normal;
            return vec![];
        };
        match key.code {
            KeyCode::Esc => {
                let empty = editor.text().trim().is_empty();
                let effects = self.close_editor();
                self.say(if empty {
                    "draft closed"
                } else {
                    "draft saved · r reopens it · 3 lists drafts"
                });
                effects
            }
            KeyCode::Char('s') if ctrl => self.plan_send(),
            KeyCode::Char('o') if ctrl => {
                let (mention_id, text) = (editor.mention.id, editor.text());
                let mut effects = self.autosave(true);
                effects.push(Effect::ExternalEditor { mention_id, text });
                effects
            }
            KeyCode::Char('t') if ctrl => {
                self.mode = Mode::Templates {
                    query: String::new(),
                    selected: 0,
                };
                vec![]
            }
            KeyCode::Char('g') if ctrl => {
                self.mode = Mode::Confirm(Confirm::Discard);
                vec![]
            }
            _ => {
                editor.area.input(key);
                editor.touch();
                vec![]
            }
        }
    }

    pub(super) fn plan_send(&mut self) -> Vec<Effect> {
        let Some(editor) = self.editor.as_ref() else {
            return vec![];
        };
        let text = editor.text().trim().to_string();
        let mention = editor.mention.clone();
        let feed = self.feeds.iter().find(|f| f.name == mention.feed).cloned();
        let delivery = match outbox::prepare(feed.as_ref(), &mention, &text) {
            Ok(d) => d,
            Err(SendError::Empty) => {
                self.say("the reply is empty");
                return vec![];
            }
            Err(e @ SendError::TooLong { .. }) => {
                self.warn(e.to_string());
                return vec![];
            }
            Err(e) => {
                self.warn(format!("cannot send: {e}"));
                return vec![];
            }
        };
        let mut effects = self.autosave(true);
        match delivery {
            Delivery::HandOff(why) => {
                effects.push(Effect::Copy(text.clone()));
                if let Some(url) = mention.url.as_deref().and_then(safe_link) {
                    self.link = Some((url, Instant::now() + MESSAGE_FOR * 10));
                }
                self.say(format!("copied: paste it at the link ({why})"));
                self.mode = Mode::Confirm(Confirm::MarkResponded { text });
            }
            delivery => {
                self.mode = Mode::Confirm(Confirm::Send {
                    delivery,
                    text,
                    service: mention.kind.clone(),
                });
            }
        }
        effects
    }

    pub(super) fn on_confirm_key(&mut self, confirm: Confirm, key: KeyEvent) -> Vec<Effect> {
        let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
        let no = matches!(key.code, KeyCode::Char('n' | 'N') | KeyCode::Esc);
        if !yes && !no {
            return vec![];
        }
        let Some(editor) = self.editor.as_ref() else {
            self.mode = Mode::Normal;
            return vec![];
        };
        let id = editor.mention.id;
        match (confirm, yes) {
            (Confirm::Send { delivery, text, .. }, true) => {
                let mention = Box::new(editor.mention.clone());
                self.editor = None;
                self.mode = Mode::Normal;
                self.say("sending…");
                vec![Effect::Send {
                    mention,
                    delivery,
                    text,
                }]
            }
            (Confirm::MarkResponded { text }, true) => {
                self.editor = None;
                self.mode = Mode::Normal;
                self.link = None;
                self.say("marked responded");
                vec![Effect::Write(WriteRequest {
                    op: WriteOp::Respond { id, text },
                })]
            }
            (Confirm::MarkResponded { .. }, false) => {
                self.mode = Mode::Draft;
                self.say("not marked: the draft stays saved");
                vec![]
            }
            (Confirm::Discard, true) => {
                self.editor = None;
                self.mode = Mode::Normal;
                self.say("draft discarded");
                vec![Effect::Write(WriteRequest {
                    op: WriteOp::DiscardDraft { id },
                })]
            }
            (_, false) => {
                self.mode = Mode::Draft;
                vec![]
            }
        }
    }

    pub(super) fn on_templates_key(&mut self, mut query: String, mut selected: usize, key: KeyEvent) -> Vec<Effect> {
        let found: Vec<Template> = draft::matching(&self.templates, &query).into_iter().cloned().collect();
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Draft;
                return vec![];
            }
            KeyCode::Enter => {
                self.mode = Mode::Draft;
                if let (Some(t), Some(editor)) = (found.get(selected), self.editor.as_mut()) {
                    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
                    let mut text = draft::expand(&t.body, &editor.mention, &self.operator, &today);
                    if let Some(sig) = &self.signature {
                        text.push_str(&format!(
                            "\n\n{}",
                            draft::expand(sig, &editor.mention, &self.operator, &today)
                        ));
                    }
                    editor.insert(&text);
                }
                return vec![];
            }
            KeyCode::Down => selected = (selected + 1).min(found.len().saturating_sub(1)),
            KeyCode::Up => selected = selected.saturating_sub(1),
            KeyCode::Char('n') if ctrl => selected = (selected + 1).min(found.len().saturating_sub(1)),
            KeyCode::Char('p') if ctrl => selected = selected.saturating_sub(1),
            KeyCode::Backspace => {
                query.pop();
                selected = 0;
            }
            KeyCode::Char(c) if !ctrl => {
                query.push(c);
                selected = 0;
            }
            _ => {}
        }
        self.mode = Mode::Templates { query, selected };
        vec![]
    }
}
