//! The one-line prompts (`/` search, `:` commands, quick filters, assign, tag, note) and their
//! completion.

use super::*;

/// What a prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Search,
    Command,
    Assign,
    Tag,
    Untag,
    Note,
    /// An approver's note sending a waiting reply back (`AppState::returning` says which).
    ReturnNote,
    Filter(FilterField),
    /// An operator's correction of the model: `negative +complaint -praise`.
    Correct,
    /// The People pane's prompts, about `AppState::person_prompt`.
    PersonTag,
    PersonUntag,
    PersonNote,
    /// A handle to link to the person: `kind:handle` or `handle`.
    PersonLink,
}

impl PromptKind {
    pub fn label(self) -> String {
        match self {
            PromptKind::Search => "/".into(),
            PromptKind::Command => ":".into(),
            PromptKind::Assign => "assign to: ".into(),
            PromptKind::Tag => "tag: ".into(),
            PromptKind::Untag => "remove tag: ".into(),
            PromptKind::Note => "note: ".into(),
            PromptKind::ReturnNote => "send back, with a note: ".into(),
            PromptKind::Filter(f) => format!("{}: ", f.key()),
            PromptKind::Correct => "correct (negative neutral positive, +intent -intent): ".into(),
            PromptKind::PersonTag => "tag this person: ".into(),
            PromptKind::PersonUntag => "remove the person's tag: ".into(),
            PromptKind::PersonNote => "note on this person: ".into(),
            PromptKind::PersonLink => "the same person as (kind:handle): ".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterField {
    Status,
    Feed,
    Tag,
    Assignee,
    Since,
}

impl FilterField {
    fn key(self) -> &'static str {
        match self {
            FilterField::Status => "status",
            FilterField::Feed => "feed",
            FilterField::Tag => "tag",
            FilterField::Assignee => "assignee",
            FilterField::Since => "since",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: LineInput,
    /// Candidates for the word at the cursor, shown above the prompt; Tab cycles them.
    pub candidates: Vec<String>,
    pub chosen: Option<usize>,
    /// The word the candidates complete.
    typed: String,
}

/// What a correction says: a sentiment, an intent added or taken away.
fn judgement_words() -> Vec<String> {
    let mut words: Vec<String> = ["negative", "neutral", "positive"].map(String::from).to_vec();
    for i in crate::score::Intent::ALL {
        words.push(format!("+{i}"));
        words.push(format!("-{i}"));
    }
    words
}

impl AppState {
    pub(super) fn prompt(&mut self, kind: PromptKind, text: &str) {
        self.mode = Mode::Prompt(Box::new(Prompt {
            kind,
            input: LineInput::new(text),
            candidates: vec![],
            chosen: None,
            typed: String::new(),
        }));
    }

    /// Candidates for the word at the prompt's cursor.
    pub(super) fn candidates_for(&self, kind: PromptKind, text: &str, word: &str) -> Vec<String> {
        let statuses = || Status::ALL.iter().map(|s| s.as_str().to_string()).collect::<Vec<_>>();
        let mut operators = self.overview.operators.clone();
        if !operators.contains(&self.settings.operator) {
            operators.push(self.settings.operator.clone());
        }
        match kind {
            PromptKind::Assign => operators,
            PromptKind::Tag | PromptKind::Untag => self.overview.tags.clone(),
            PromptKind::Note | PromptKind::ReturnNote | PromptKind::PersonNote | PromptKind::PersonLink => vec![],
            PromptKind::PersonTag => crate::store::KNOWN_TAGS.iter().map(|t| t.to_string()).collect(),
            PromptKind::Correct => judgement_words(),
            PromptKind::PersonUntag => self
                .people
                .card
                .as_ref()
                .map(|c| c.person.tags.clone())
                .or_else(|| self.people.rows.get(self.people.selected).map(|p| p.tags.clone()))
                .unwrap_or_default(),
            PromptKind::Filter(FilterField::Status) => statuses(),
            PromptKind::Filter(FilterField::Feed) => self.settings.feed_names.clone(),
            PromptKind::Filter(FilterField::Tag) => self.overview.tags.clone(),
            PromptKind::Filter(FilterField::Assignee) => {
                let mut v = operators;
                v.push("none".into());
                v
            }
            PromptKind::Filter(FilterField::Since) => ["today", "yesterday", "24h", "7d", "30d", "90d"]
                .map(String::from)
                .to_vec(),
            PromptKind::Search => {
                if let Some((key, _)) = word.split_once(':') {
                    let values = match key {
                        "status" | "is" => statuses(),
                        "feed" => self.settings.feed_names.clone(),
                        "tag" => self.overview.tags.clone(),
                        "assignee" => operators,
                        "person" => crate::store::KNOWN_TAGS.iter().map(|t| t.to_string()).collect(),
                        "since" | "until" => ["today", "yesterday", "7d", "30d"].map(String::from).to_vec(),
                        _ => vec![],
                    };
                    values.into_iter().map(|v| format!("{key}:{v}")).collect()
                } else {
                    [
                        "status:",
                        "feed:",
                        "tag:",
                        "assignee:",
                        "since:",
                        "until:",
                        "unread",
                        "person:",
                        "vip",
                    ]
                    .map(String::from)
                    .to_vec()
                }
            }
            PromptKind::Command => {
                let first_word = !text.trim_start().contains(' ');
                if first_word {
                    let mut names: Vec<String> = COMMANDS
                        .iter()
                        .filter(|c| c.context == Context::Stream)
                        .map(|c| c.name.to_string())
                        .collect();
                    names.extend(["view", "filter"].map(String::from));
                    names
                } else {
                    match text.split_whitespace().next().unwrap_or("") {
                        "assign" => operators,
                        "tag" | "untag" => self.overview.tags.clone(),
                        "view" => self.settings.views.iter().map(|v| v.name.clone()).collect(),
                        "filter" | "search" => self.candidates_for(PromptKind::Search, text, word),
                        _ => vec![],
                    }
                }
            }
        }
    }

    pub(super) fn refresh_candidates(&mut self) {
        let Mode::Prompt(p) = &self.mode else { return };
        let (_, word) = p.input.current_word();
        let all = self.candidates_for(p.kind, &p.input.text(), &word);
        let candidates = edit::complete(&word, &all);
        if let Mode::Prompt(p) = &mut self.mode {
            p.candidates = candidates;
            p.chosen = None;
            p.typed = word;
        }
    }

    /// A command at a prompt, or an editing command.
    pub(super) fn prompt_command(&mut self, cmd: Command) -> Vec<Effect> {
        let Mode::Prompt(mut p) = self.mode.clone() else {
            return vec![];
        };
        match cmd {
            Command::PromptCancel => {
                self.mode = Mode::Normal;
                return vec![];
            }
            Command::PromptSubmit => {
                self.mode = Mode::Normal;
                return self.submit(p.kind, p.input.text().trim());
            }
            Command::PromptComplete | Command::PromptCompleteBack => {
                if p.candidates.is_empty() || p.chosen.is_none() && p.typed != p.input.current_word().1 {
                    self.mode = Mode::Prompt(p);
                    self.refresh_candidates();
                    let Mode::Prompt(q) = &self.mode else { unreachable!() };
                    p = q.clone();
                }
                if !p.candidates.is_empty() {
                    let n = p.candidates.len();
                    let back = cmd == Command::PromptCompleteBack;
                    let next = match (p.chosen, back) {
                        (None, true) => n - 1,
                        (None, false) => 0,
                        (Some(i), true) => (i + n - 1) % n,
                        (Some(i), false) => (i + 1) % n,
                    };
                    p.chosen = Some(next);
                    p.input.replace_word(&p.candidates[next].clone());
                }
                self.mode = Mode::Prompt(p);
                return vec![];
            }
            Command::EditBackspace if p.input.text().is_empty() => {
                self.mode = Mode::Normal;
                return vec![];
            }
            Command::PromptKillToStart => p.input.kill_to_start(),
            other => {
                if !p.input.edit(other) {
                    return vec![];
                }
            }
        }
        p.candidates.clear();
        p.chosen = None;
        self.mode = Mode::Prompt(p);
        if !edit::moves_only(cmd) {
            self.refresh_candidates();
        }
        vec![]
    }

    /// A character typed at the prompt.
    pub(super) fn prompt_type(&mut self, c: char) -> Vec<Effect> {
        if let Mode::Prompt(p) = &mut self.mode {
            p.input.insert(c);
            p.candidates.clear();
            p.chosen = None;
        }
        self.refresh_candidates();
        vec![]
    }

    /// A tag, an untag or a note typed for the selected or marked mentions.
    fn submit_triage(&mut self, kind: PromptKind, text: &str) -> Vec<Effect> {
        let change = if kind == PromptKind::Note {
            let body = crate::text::sanitize(text).trim().to_string();
            Change::Note(body)
        } else {
            let tag = crate::text::sanitize_line(text).to_lowercase();
            if kind == PromptKind::Tag {
                Change::Tag(tag)
            } else {
                Change::Untag(tag)
            }
        };
        match &change {
            Change::Note(s) | Change::Tag(s) | Change::Untag(s) if s.is_empty() => vec![],
            _ => self.change(change),
        }
    }

    pub(super) fn submit(&mut self, kind: PromptKind, text: &str) -> Vec<Effect> {
        match kind {
            PromptKind::Search => match StreamFilter::parse(text, self.clock.wall) {
                Ok(f) => {
                    // The mistake it replaces is gone with it.
                    if self.message.as_ref().is_some_and(|m| m.1 == Level::Error) {
                        self.message = None;
                    }
                    self.set_filter(f, None)
                }
                Err(e) => {
                    self.warn(e);
                    self.prompt(PromptKind::Search, text);
                    vec![]
                }
            },
            PromptKind::Filter(field) => {
                if text.is_empty() {
                    return vec![];
                }
                let value = if field == FilterField::Status {
                    text.replace(' ', ",")
                } else {
                    text.replace(' ', "")
                };
                match StreamFilter::parse(&format!("{}:{value}", field.key()), self.clock.wall) {
                    Ok(add) => {
                        let f = self.filter.and(&add);
                        let view = self.view.clone();
                        self.set_filter(f, view)
                    }
                    Err(e) => {
                        self.warn(e);
                        vec![]
                    }
                }
            }
            PromptKind::Assign => {
                let who = text.trim();
                let to = if who.is_empty() || who == "none" || who == "-" {
                    None
                } else {
                    Some(crate::text::sanitize_line(who))
                };
                self.change(Change::Assign(to))
            }
            PromptKind::Tag | PromptKind::Untag | PromptKind::Note => self.submit_triage(kind, text),
            PromptKind::Correct if text.is_empty() => vec![],
            PromptKind::Correct => match crate::store::Judgement::parse(text) {
                Ok(j) => self.change(Change::Judge(j)),
                Err(e) => {
                    self.warn(e);
                    self.prompt(PromptKind::Correct, text);
                    vec![]
                }
            },
            PromptKind::ReturnNote => {
                let note = crate::text::sanitize(text).trim().to_string();
                match self.returning.take() {
                    Some((id, writer)) if !note.is_empty() => {
                        self.say(format!("sent back to {writer}"));
                        vec![Effect::Write(WriteRequest {
                            op: WriteOp::ReturnDraft { id, writer, note },
                        })]
                    }
                    _ => {
                        self.say("not sent back: a note says what to change");
                        vec![]
                    }
                }
            }
            PromptKind::Command => self.command_line(text),
            PromptKind::PersonTag | PromptKind::PersonUntag | PromptKind::PersonNote | PromptKind::PersonLink => {
                self.submit_person(kind, text)
            }
        }
    }
}
