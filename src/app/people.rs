//! The People pane: authors ranked across every feed, and one person in full (their mentions,
//! our answers and how fast they came), where operators tag people, note them and link their
//! handles.

use super::*;
use crate::store::{PeopleOrder, PersonCard, PersonRow};

/// How many people the pane ranks.
pub const PEOPLE_SHOWN: usize = 200;

/// Whom a card is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonTarget {
    Person(i64),
    /// The author of this mention.
    AuthorOf(i64),
}

/// The People pane's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeopleState {
    pub order: PeopleOrder,
    pub rows: Vec<PersonRow>,
    pub selected: usize,
    /// One person in full, when open.
    pub card: Option<Box<PersonCard>>,
    /// The mention selected in the card.
    pub card_selected: usize,
    /// Whether the list has been read since the pane opened.
    pub loaded: bool,
}

impl PeopleState {
    /// The person the keys act on: the open card's, else the selected row's.
    pub fn current(&self) -> Option<i64> {
        match &self.card {
            Some(c) => Some(c.person.id),
            None => self.rows.get(self.selected).map(|p| p.id),
        }
    }
}

impl AppState {
    /// Open the People pane (reading the ranking).
    pub(super) fn open_people(&mut self) -> Vec<Effect> {
        self.pane = Pane::People;
        self.people.card = None;
        vec![Effect::LoadPeople(self.people.order)]
    }

    /// `A` on a mention: its author in full.
    pub(super) fn open_author(&mut self) -> Vec<Effect> {
        let Some(m) = self.selected() else {
            self.say("no mention selected");
            return vec![];
        };
        if m.author.is_none() {
            self.say("this mention has no author");
            return vec![];
        }
        let id = m.id;
        self.pane = Pane::People;
        vec![Effect::LoadPerson(PersonTarget::AuthorOf(id))]
    }

    /// What the People pane reads again when the store changes.
    pub(super) fn people_reload(&self) -> Vec<Effect> {
        if self.pane != Pane::People {
            return vec![];
        }
        let mut effects = vec![Effect::LoadPeople(self.people.order)];
        if let Some(c) = &self.people.card {
            effects.push(Effect::LoadPerson(PersonTarget::Person(c.person.id)));
        }
        effects
    }

    pub(super) fn on_people(&mut self, rows: Vec<PersonRow>) -> Vec<Effect> {
        // The selection stays on the same person when they are still listed.
        let keep = self.people.rows.get(self.people.selected).map(|p| p.id);
        self.people.rows = rows;
        self.people.loaded = true;
        self.people.selected = keep
            .and_then(|id| self.people.rows.iter().position(|p| p.id == id))
            .unwrap_or(self.people.selected)
            .min(self.people.rows.len().saturating_sub(1));
        vec![]
    }

    pub(super) fn on_person(&mut self, card: Option<Box<PersonCard>>) -> Vec<Effect> {
        match card {
            Some(c) => {
                let same = self.people.card.as_ref().is_some_and(|o| o.person.id == c.person.id);
                if !same {
                    self.people.card_selected = 0;
                }
                self.people.card_selected = self.people.card_selected.min(c.mentions.len().saturating_sub(1));
                self.people.card = Some(c);
            }
            None => self.say("nobody is known behind this mention"),
        }
        vec![]
    }

    /// A key of the People pane.
    pub(super) fn people_command(&mut self, cmd: Command) -> Vec<Effect> {
        let p = &mut self.people;
        match cmd {
            Command::PeopleDown | Command::PeopleUp => {
                let down = cmd == Command::PeopleDown;
                let (at, n) = match &p.card {
                    Some(c) => (&mut p.card_selected, c.mentions.len()),
                    None => (&mut p.selected, p.rows.len()),
                };
                *at = if down {
                    (*at + 1).min(n.saturating_sub(1))
                } else {
                    at.saturating_sub(1)
                };
                vec![]
            }
            Command::PeopleOpen => match &p.card {
                Some(c) => match c.mentions.get(p.card_selected) {
                    Some(m) => {
                        let (id, sort_at) = (m.id, m.sort_at.timestamp());
                        self.go_to_mention(id, sort_at)
                    }
                    None => vec![],
                },
                None => match p.rows.get(p.selected) {
                    Some(row) => vec![Effect::LoadPerson(PersonTarget::Person(row.id))],
                    None => vec![],
                },
            },
            Command::PeopleSort => {
                p.order = p.order.next();
                p.card = None;
                let order = p.order;
                self.say(format!("people by {order}"));
                vec![Effect::LoadPeople(order)]
            }
            Command::PeopleBack => {
                if p.card.take().is_none() {
                    self.pane = Pane::Stream;
                }
                vec![]
            }
            Command::PersonTag | Command::PersonUntag | Command::PersonNote | Command::PersonLink => {
                let Some(person) = p.current() else {
                    self.say("no person selected");
                    return vec![];
                };
                self.person_prompt = Some(person);
                let kind = match cmd {
                    Command::PersonTag => PromptKind::PersonTag,
                    Command::PersonUntag => PromptKind::PersonUntag,
                    Command::PersonNote => PromptKind::PersonNote,
                    _ => PromptKind::PersonLink,
                };
                self.prompt(kind, "");
                self.refresh_candidates();
                vec![]
            }
            _ => self.pane_command(cmd),
        }
    }

    /// A person prompt answered.
    pub(super) fn submit_person(&mut self, kind: PromptKind, text: &str) -> Vec<Effect> {
        let Some(person) = self.person_prompt.take() else {
            return vec![];
        };
        let text = text.trim();
        if text.is_empty() {
            return vec![];
        }
        let op = match kind {
            PromptKind::PersonTag => WriteOp::PersonTag {
                person,
                tag: text.to_lowercase(),
            },
            PromptKind::PersonUntag => WriteOp::PersonUntag {
                person,
                tag: text.to_lowercase(),
            },
            PromptKind::PersonNote => WriteOp::PersonNote {
                person,
                body: text.to_string(),
            },
            _ => WriteOp::PersonLink {
                person,
                handle: text.to_string(),
            },
        };
        vec![Effect::Write(WriteRequest { op })]
    }

    /// The whole stream, at a mention.
    pub(super) fn go_to_mention(&mut self, id: i64, sort_at: i64) -> Vec<Effect> {
        self.filter = StreamFilter::default();
        self.view = None;
        self.pane = Pane::Stream;
        self.touched = true;
        vec![self.request(
            Anchor::At {
                key: StreamKey { sort_at, id },
                offset: 0,
            },
            true,
        )]
    }
}
