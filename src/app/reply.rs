//! Writing and sending a reply: the draft editor's keys, autosave, saved replies, the
//! confirmations, and the hand-off to the outbox.

use super::*;
use crate::model::FeedKind;
use ratatui_textarea::{CursorMove, Scrolling};

/// Why `$EDITOR` could not edit the draft (the draft is unchanged).
#[derive(Debug, thiserror::Error)]
pub enum EditorError {
    #[error("cannot write the draft for the editor: {0}")]
    Write(std::io::Error),
    #[error("cannot run {editor}: {source}")]
    Run { editor: String, source: std::io::Error },
    #[error("{editor} exited with {status}; the draft is unchanged")]
    Failed {
        editor: String,
        status: std::process::ExitStatus,
    },
    #[error("cannot read the edited draft: {0}")]
    Read(std::io::Error),
}

/// A yes/no question in the status bar.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    Send {
        delivery: Delivery,
        text: String,
        service: FeedKind,
        /// Send it, submit it for approval, or (an approver) approve a teammate's and send it.
        how: How,
    },
    MarkResponded {
        text: String,
    },
    Discard,
    /// Teammates are drafting an answer to this mention: write a second one?
    SecondAnswer {
        claimed_by: Vec<String>,
    },
}

/// How a confirmed reply goes out (`[team] approval`).
#[derive(Debug, Clone, PartialEq)]
pub enum How {
    /// Sent now, as this operator's.
    Send,
    /// Waits for an approver.
    Submit,
    /// An approver approves `writer`'s reply, which is sent now.
    Approve { writer: String },
}

impl AppState {
    /// Save the draft if it changed and has rested (or `now`).
    pub(super) fn autosave(&mut self, now: bool) -> Vec<Effect> {
        let Some(e) = self.editor.as_mut() else { return vec![] };
        let at = self.clock.at;
        let due = e
            .dirty_since
            .is_some_and(|d| now || at.saturating_duration_since(d) >= AUTOSAVE_AFTER);
        if !due {
            return vec![];
        }
        let body = e.text();
        e.saved = body.clone();
        e.dirty_since = None;
        vec![Effect::Write(WriteRequest {
            op: WriteOp::SaveDraft {
                id: e.mention.id,
                body,
                seen_action: e.seen_action,
                writer: e.writer.clone(),
            },
        })]
    }

    /// Close the editor, saving what is unsaved.
    pub(super) fn close_editor(&mut self) -> Vec<Effect> {
        let effects = self.autosave(true);
        self.editor = None;
        self.mode = Mode::Normal;
        effects
    }

    /// A command of the reply editor, or an editing command while the editor is open.
    pub(super) fn draft_command(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(editor) = self.editor.as_mut() else {
            self.mode = Mode::Normal;
            return vec![];
        };
        let area = &mut editor.area;
        match cmd {
            Command::DraftClose => {
                let empty = editor.text().trim().is_empty();
                let effects = self.close_editor();
                let hint = format!(
                    "draft saved · {} reopens it · {} lists drafts",
                    self.settings.keymap.hint(Command::Reply),
                    self.settings.keymap.hint(Command::PaneDrafts)
                );
                if empty {
                    self.say("draft closed");
                } else {
                    self.say(hint);
                }
                return effects;
            }
            Command::DraftSend => return self.plan_send(),
            Command::DraftEditor => {
                let (mention_id, text) = (editor.mention.id, editor.text());
                let mut effects = self.autosave(true);
                effects.push(Effect::ExternalEditor { mention_id, text });
                return effects;
            }
            Command::DraftTemplates => {
                self.mode = Mode::Templates {
                    query: String::new(),
                    selected: 0,
                };
                return vec![];
            }
            Command::DraftDiscard => {
                self.mode = Mode::Confirm(Confirm::Discard);
                return vec![];
            }
            Command::DraftHelp => {
                self.mode = Mode::Help {
                    scroll: 0,
                    from: Context::Draft,
                };
                return vec![];
            }
            Command::DraftUndo => {
                area.undo();
            }
            Command::DraftRedo => {
                area.redo();
            }
            Command::DraftNewline => area.insert_newline(),
            Command::DraftIndent => {
                area.insert_tab();
            }
            Command::DraftUp => area.move_cursor(CursorMove::Up),
            Command::DraftDown => area.move_cursor(CursorMove::Down),
            Command::DraftTop => area.move_cursor(CursorMove::Top),
            Command::DraftBottom => area.move_cursor(CursorMove::Bottom),
            Command::DraftPageDown => area.scroll(Scrolling::PageDown),
            Command::DraftPageUp => area.scroll(Scrolling::PageUp),
            Command::DraftPaste => {
                area.paste();
            }
            other => {
                if !edit::apply(area, other) {
                    return vec![];
                }
            }
        }
        editor.touch(self.clock.at);
        vec![]
    }

    /// A character typed into the reply.
    pub(super) fn draft_type(&mut self, c: char) -> Vec<Effect> {
        if let Some(editor) = self.editor.as_mut() {
            editor.area.insert_char(c);
            editor.touch(self.clock.at);
        }
        vec![]
    }

    pub(super) fn plan_send(&mut self) -> Vec<Effect> {
        let Some(editor) = self.editor.as_ref() else {
            return vec![];
        };
        let text = editor.text().trim().to_string();
        let mention = editor.mention.clone();
        let writer = editor.writer.clone();
        let feed = self.settings.feeds.iter().find(|f| f.name == mention.feed).cloned();
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
                    self.link = Some((url, self.clock.at + MESSAGE_FOR * 10));
                }
                self.say(format!("copied: paste it at the link ({why})"));
                self.mode = Mode::Confirm(Confirm::MarkResponded { text });
            }
            delivery => {
                let how = match writer {
                    Some(w) => How::Approve { writer: w },
                    None if self.settings.team.needs_approval(&self.settings.operator) => How::Submit,
                    None => How::Send,
                };
                self.mode = Mode::Confirm(Confirm::Send {
                    delivery,
                    text,
                    service: mention.kind,
                    how,
                });
            }
        }
        effects
    }

    /// An answer to the question in the status bar.
    /// The reply is confirmed: sent, submitted for approval, or approved and sent.
    fn confirmed_send(&mut self, delivery: Delivery, text: String, how: How) -> Vec<Effect> {
        let Some(editor) = self.editor.take() else {
            return vec![];
        };
        self.mode = Mode::Normal;
        let (id, seen_action) = (editor.mention.id, editor.seen_action);
        if how == How::Submit {
            self.say(format!(
                "submitted for approval by {}",
                self.settings.team.approvers.join(", ")
            ));
            return vec![Effect::Write(WriteRequest {
                op: WriteOp::Submit { id, text, seen_action },
            })];
        }
        self.say("sending…");
        vec![Effect::Send {
            mention: Box::new(editor.mention),
            delivery,
            text,
            seen_action,
            writer: match how {
                How::Approve { writer } => Some(writer),
                _ => None,
            },
        }]
    }

    pub(super) fn confirm_command(&mut self, cmd: Command) -> Vec<Effect> {
        let Mode::Confirm(confirm) = self.mode.clone() else {
            return vec![];
        };
        let yes = match cmd {
            Command::ConfirmYes => true,
            Command::ConfirmNo => false,
            _ => return vec![],
        };
        let Some(editor) = self.editor.as_ref() else {
            self.mode = Mode::Normal;
            return vec![];
        };
        let id = editor.mention.id;
        match (confirm, yes) {
            (Confirm::SecondAnswer { .. }, true) => {
                self.mode = Mode::Draft;
                vec![]
            }
            (Confirm::SecondAnswer { claimed_by }, false) => {
                self.editor = None;
                self.mode = Mode::Normal;
                self.say(format!("left to {}", claimed_by.join(", ")));
                vec![]
            }
            (
                Confirm::Send {
                    delivery, text, how, ..
                },
                true,
            ) => self.confirmed_send(delivery, text, how),
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
            (Confirm::Discard, true) if editor.writer.is_some() => {
                self.mode = Mode::Draft;
                self.say("a teammate's reply is theirs to discard: esc leaves it waiting");
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

    /// A command of the saved-reply picker.
    pub(super) fn pick_command(&mut self, cmd: Command) -> Vec<Effect> {
        let Mode::Templates {
            mut query,
            mut selected,
        } = self.mode.clone()
        else {
            return vec![];
        };
        let found: Vec<Template> = draft::matching(&self.settings.templates, &query)
            .into_iter()
            .cloned()
            .collect();
        match cmd {
            Command::PickCancel => {
                self.mode = Mode::Draft;
                return vec![];
            }
            Command::PickChoose => {
                self.mode = Mode::Draft;
                let today = self
                    .clock
                    .wall
                    .with_timezone(&chrono::Local)
                    .format("%Y-%m-%d")
                    .to_string();
                if let (Some(t), Some(editor)) = (found.get(selected), self.editor.as_mut()) {
                    let mut text = draft::expand(&t.body, &editor.mention, &self.settings.operator, &today);
                    if let Some(sig) = &self.settings.signature {
                        text.push_str(&format!(
                            "\n\n{}",
                            draft::expand(sig, &editor.mention, &self.settings.operator, &today)
                        ));
                    }
                    editor.insert(&text, self.clock.at);
                }
                return vec![];
            }
            Command::PickDown => selected = (selected + 1).min(found.len().saturating_sub(1)),
            Command::PickUp => selected = selected.saturating_sub(1),
            Command::PickBackspace => {
                query.pop();
                selected = 0;
            }
            _ => {}
        }
        self.mode = Mode::Templates { query, selected };
        vec![]
    }

    /// A character typed into the picker's filter.
    pub(super) fn pick_type(&mut self, c: char) -> Vec<Effect> {
        if let Mode::Templates { query, selected } = &mut self.mode {
            query.push(c);
            *selected = 0;
        }
        vec![]
    }

    /// The mention and its draft arrived: open the editor.
    pub(super) fn on_draft_opened(
        &mut self,
        mention: Mention,
        body: &str,
        seen_action: Option<i64>,
        claimed_by: Vec<String>,
        writer: Option<String>,
    ) -> Vec<Effect> {
        // Teammates answering it now: ask before a second answer is started (not when resuming
        // one's own draft, nor when an approver reviews a teammate's).
        let ask = !claimed_by.is_empty() && body.is_empty() && writer.is_none();
        if let Some(w) = &writer {
            self.say(format!(
                "reviewing {w}'s reply: send approves it, esc leaves it waiting"
            ));
        }
        let mut editor = DraftEditor::new(mention, body, claimed_by.clone(), seen_action);
        editor.writer = writer;
        editor.area.set_placeholder_text(format!(
            "Write the reply… ({} a saved reply, {} your $EDITOR)",
            self.settings.keymap.hint(Command::DraftTemplates),
            self.settings.keymap.hint(Command::DraftEditor)
        ));
        self.editor = Some(editor);
        self.mode = if ask {
            Mode::Confirm(Confirm::SecondAnswer { claimed_by })
        } else {
            Mode::Draft
        };
        vec![]
    }

    /// `$EDITOR` exited: take its text (and save it), or say why not.
    pub(super) fn on_editor_done(&mut self, mention_id: i64, result: Result<String, EditorError>) -> Vec<Effect> {
        match (result, self.editor.as_mut()) {
            (Ok(text), Some(e)) if e.mention.id == mention_id => {
                e.set_text(text.trim_end_matches('\n'), self.clock.at);
                self.mode = Mode::Draft;
                return self.autosave(true);
            }
            (Err(err), _) => self.warn(err.to_string()),
            _ => {}
        }
        self.mode = if self.editor.is_some() {
            Mode::Draft
        } else {
            Mode::Normal
        };
        vec![]
    }

    /// The outbox answered.
    pub(super) fn on_sent(&mut self, result: Result<Sent, SendError>) -> Vec<Effect> {
        match result {
            Ok(sent) => self.say(format!(
                "reply sent and mention marked responded{}",
                sent.url.map(|u| format!(": {u}")).unwrap_or_default()
            )),
            Err(e @ SendError::Overtaken(_)) => {
                let hint = self.settings.keymap.hint(Command::Reply);
                self.warn(format!("{e} ({hint} reopens it)"))
            }
            Err(e) => {
                let hint = self.settings.keymap.hint(Command::Reply);
                self.warn(format!("not sent: {e}. The draft is kept: {hint} reopens it"))
            }
        }
        vec![]
    }
}
