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
    },
    DiscardDraft {
        id: i64,
    },
    /// Answered by hand elsewhere: record the response with its text.
    Respond {
        id: i64,
        text: String,
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
}
