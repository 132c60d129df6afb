//! Triage: the writes a status, assignment, tag or note becomes, on the marked mentions or the
//! selected one.

use super::*;

/// A triage write for the writer thread.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteRequest {
    pub op: WriteOp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    Apply {
        ids: Vec<i64>,
        change: Change,
    },
    Undo {
        batch: i64,
    },
    MarkRead {
        id: i64,
    },
    SaveDraft {
        id: i64,
        body: String,
        seen_action: Option<i64>,
        /// Whose draft (an approver editing a teammate's waiting reply); `None`: one's own.
        writer: Option<String>,
    },
    /// Submit this operator's reply for approval (`[team] approval`).
    Submit {
        id: i64,
        text: String,
        seen_action: Option<i64>,
    },
    /// This operator saw an alert.
    AckAlert {
        id: i64,
    },
    /// Operators' words about a person (the People pane).
    PersonTag {
        person: i64,
        tag: String,
    },
    PersonUntag {
        person: i64,
        tag: String,
    },
    PersonNote {
        person: i64,
        body: String,
    },
    /// Link the handle typed (`kind:handle` or `handle`) to the person.
    PersonLink {
        person: i64,
        handle: String,
    },
    /// An approver sends `writer`'s waiting reply back with a note.
    ReturnDraft {
        id: i64,
        writer: String,
        note: String,
    },
    DiscardDraft {
        id: i64,
    },
    /// Answered by hand elsewhere: record the response with its text.
    Respond {
        id: i64,
        text: String,
    },
    /// Keep the thread fetched around a mention.
    SaveThread {
        id: i64,
        posts: Vec<crate::model::ThreadPost>,
    },
    /// Keep why a mention's thread could not be fetched.
    ThreadFailed {
        id: i64,
        error: String,
    },
}

impl AppState {
    /// The mentions a triage command acts on: the marked ones, else the selected one.
    pub(super) fn targets(&self) -> Vec<i64> {
        if self.marks.is_empty() {
            self.selected().map(|m| vec![m.id]).unwrap_or_default()
        } else {
            self.marks.iter().copied().collect()
        }
    }

    pub(super) fn change(&mut self, change: Change) -> Vec<Effect> {
        let ids = self.targets();
        if ids.is_empty() {
            self.say("nothing selected");
            return vec![];
        }
        self.marks.clear();
        vec![Effect::Write(WriteRequest {
            op: WriteOp::Apply { ids, change },
        })]
    }

    /// Everything the filter shows is marked.
    pub(super) fn on_marked_all(&mut self, ids: Vec<i64>) -> Vec<Effect> {
        let n = ids.len();
        self.marks = ids.into_iter().collect();
        let hint = self.settings.keymap.hint(Command::Back);
        self.say(format!(
            "{n} marked: the next triage key acts on all of them ({hint} clears)"
        ));
        vec![]
    }

    /// A triage write landed; a batch can be undone.
    pub(super) fn on_written(&mut self, batch: Option<i64>, message: String) -> Vec<Effect> {
        if let Some(b) = batch {
            self.undo.push(b);
            let hint = self.settings.keymap.hint(Command::Undo);
            self.say(format!("{message} · {hint} undoes"));
        } else {
            self.say(message);
        }
        vec![]
    }

    /// Triage the marked mentions, or the selected one.
    pub(super) fn triage_command(&mut self, cmd: Command) -> Vec<Effect> {
        match cmd {
            Command::MarkOpen => self.change(Change::Status(Status::Open)),
            Command::MarkResponded => self.change(Change::Status(Status::Responded)),
            Command::MarkIgnored => self.change(Change::Status(Status::Ignored)),
            Command::MarkEscalated => self.change(Change::Status(Status::Escalated)),
            Command::MarkNew => self.change(Change::Status(Status::New)),
            Command::Undo => match self.undo.pop() {
                Some(batch) => vec![Effect::Write(WriteRequest {
                    op: WriteOp::Undo { batch },
                })],
                None => {
                    self.say("nothing to undo");
                    vec![]
                }
            },
            Command::ToggleMark => {
                if let Some(id) = self.selected().map(|m| m.id) {
                    if !self.marks.remove(&id) {
                        self.marks.insert(id);
                    }
                }
                self.step(1)
            }
            Command::MarkAll => vec![Effect::MatchingIds(self.filter.clone())],
            Command::MarkConversation => {
                // The conversation as the detail holds it (the newest messages of a long one).
                let ids: Vec<i64> = self
                    .window
                    .detail
                    .as_ref()
                    .filter(|d| Some(d.mention.id) == self.selected().map(|m| m.id))
                    .map(|d| d.conversation.iter().map(|m| m.id).collect())
                    .unwrap_or_default();
                if ids.len() < 2 {
                    self.say("this mention is not part of a conversation");
                    return vec![];
                }
                self.on_marked_all(ids)
            }
            Command::ClearMarks => {
                self.marks.clear();
                vec![]
            }
            Command::Assign => {
                self.prompt(PromptKind::Assign, "");
                vec![]
            }
            Command::Tag => {
                self.prompt(PromptKind::Tag, "");
                vec![]
            }
            Command::Untag => {
                self.prompt(PromptKind::Untag, "");
                vec![]
            }
            Command::Note => {
                self.prompt(PromptKind::Note, "");
                vec![]
            }
            Command::Correct => {
                self.prompt(PromptKind::Correct, "");
                self.refresh_candidates();
                vec![]
            }
            _ => vec![],
        }
    }
}
