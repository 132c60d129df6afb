//! Commands: what each keymap command does (from a key, the `:` prompt or the config), the
//! quick-filter and views menus, and the `:` command line.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    Filter,
    Views,
}

impl AppState {
    /// Run a command: from a key, or by name from the `:` prompt.
    pub fn execute(&mut self, cmd: Command) -> Vec<Effect> {
        match cmd.context() {
            Context::Stream => self.pane_command(cmd),
            Context::Help => self.help_command(cmd),
            Context::FilterMenu | Context::ViewsMenu => self.menu_command(cmd),
            Context::Prompt => self.prompt_command(cmd),
            Context::Edit if matches!(self.mode, Mode::Prompt(_)) => self.prompt_command(cmd),
            Context::Draft | Context::Edit => self.draft_command(cmd),
            Context::Templates => self.pick_command(cmd),
            Context::Confirm => self.confirm_command(cmd),
            Context::Alerts => self.alert_command(cmd),
            Context::People => self.people_command(cmd),
        }
    }

    /// The alert list: move, go to a mention, say you saw it, close.
    fn alert_command(&mut self, cmd: Command) -> Vec<Effect> {
        let Mode::Alerts { selected } = self.mode else {
            return vec![];
        };
        let n = self.alert_list.len();
        let ack = |s: &mut Self, i: usize| -> Vec<Effect> {
            let me = s.settings.operator.clone();
            match s.alert_list.get_mut(i) {
                Some(a) if a.acknowledged_by.is_none() => {
                    a.acknowledged_by = Some(me);
                    vec![Effect::Write(WriteRequest {
                        op: WriteOp::AckAlert { id: a.id },
                    })]
                }
                _ => vec![],
            }
        };
        match cmd {
            Command::AlertNext => {
                self.mode = Mode::Alerts {
                    selected: (selected + 1).min(n.saturating_sub(1)),
                };
                vec![]
            }
            Command::AlertPrev => {
                self.mode = Mode::Alerts {
                    selected: selected.saturating_sub(1),
                };
                vec![]
            }
            Command::AlertAck => ack(self, selected),
            Command::AlertOpen => {
                let mut effects = ack(self, selected);
                let target = self
                    .alert_list
                    .get(selected)
                    .and_then(|a| Some((a.mention_id?, a.mention_sort_at?)));
                self.mode = Mode::Normal;
                match target {
                    Some((id, sort_at)) => effects.extend(self.go_to_mention(id, sort_at)),
                    None => self.say("a spike has no one mention: its words are in `overhear alerts`"),
                }
                effects
            }
            _ => {
                self.mode = Mode::Normal;
                vec![]
            }
        }
    }

    /// Scroll or close the help.
    fn help_command(&mut self, cmd: Command) -> Vec<Effect> {
        let Mode::Help { scroll, from } = self.mode else {
            return vec![];
        };
        let scroll = match cmd {
            Command::HelpDown => scroll.saturating_add(1),
            Command::HelpUp => scroll.saturating_sub(1),
            Command::HelpPageDown => scroll.saturating_add(10),
            Command::HelpPageUp => scroll.saturating_sub(10),
            _ => return self.close_help(),
        };
        self.mode = Mode::Help { scroll, from };
        vec![]
    }

    /// Close the help, back where it was opened.
    pub(super) fn close_help(&mut self) -> Vec<Effect> {
        self.mode = match self.mode {
            Mode::Help {
                from: Context::Draft, ..
            } if self.editor.is_some() => Mode::Draft,
            _ => Mode::Normal,
        };
        vec![]
    }

    /// A command of the panes.
    #[expect(
        clippy::too_many_lines,
        reason = "one short arm per command of the panes: a dispatch table"
    )]
    pub(super) fn pane_command(&mut self, cmd: Command) -> Vec<Effect> {
        if self.pane == Pane::Drafts {
            let n = self.overview.drafts.len();
            match cmd {
                Command::Down => {
                    self.drafts_selected = (self.drafts_selected + 1).min(n.saturating_sub(1));
                    return vec![];
                }
                Command::Up => {
                    self.drafts_selected = self.drafts_selected.saturating_sub(1);
                    return vec![];
                }
                Command::FocusDetail | Command::Reply => {
                    return match self.overview.drafts.get(self.drafts_selected.min(n.saturating_sub(1))) {
                        // An approver opens a teammate's waiting reply itself; anyone else, their
                        // own draft of an answer to that mention.
                        Some(d) => vec![Effect::OpenDraft {
                            id: d.mention_id,
                            writer: (d.awaiting && self.is_approver() && d.writer != self.settings.operator)
                                .then(|| d.writer.clone()),
                        }],
                        None => vec![],
                    };
                }
                Command::ReturnDraft => {
                    let Some(d) = self.overview.drafts.get(self.drafts_selected.min(n.saturating_sub(1))) else {
                        return vec![];
                    };
                    if !d.awaiting {
                        self.say("only a reply awaiting approval can be sent back");
                    } else if !self.is_approver() {
                        self.say("only an approver ([team] approvers) sends replies back");
                    } else {
                        self.returning = Some((d.mention_id, d.writer.clone()));
                        self.prompt(PromptKind::ReturnNote, "");
                    }
                    return vec![];
                }
                _ => {}
            }
        }
        match cmd {
            Command::Down
            | Command::Up
            | Command::HalfDown
            | Command::HalfUp
            | Command::PageDown
            | Command::PageUp
            | Command::Top
            | Command::Bottom => self.move_command(cmd),
            Command::MarkOpen
            | Command::MarkResponded
            | Command::MarkIgnored
            | Command::MarkEscalated
            | Command::MarkNew
            | Command::Undo
            | Command::ToggleMark
            | Command::MarkAll
            | Command::MarkConversation
            | Command::ClearMarks
            | Command::Assign
            | Command::Tag
            | Command::Untag
            | Command::Note
            | Command::Correct => self.triage_command(cmd),
            Command::FocusDetail
            | Command::PaneDetail
            | Command::Back
            | Command::NextPane
            | Command::PrevPane
            | Command::PaneStream
            | Command::PaneDrafts
            | Command::PaneStats
            | Command::PaneOurs
            | Command::StatsRange => self.switch_command(cmd),
            Command::PanePeople => self.open_people(),
            Command::OpenPerson => self.open_author(),
            Command::Quit => vec![Effect::Quit],
            Command::Reply => match self.selected() {
                Some(m) => vec![Effect::OpenDraft { id: m.id, writer: None }],
                None => {
                    self.say("nothing selected");
                    vec![]
                }
            },
            Command::Search => {
                let text = self.filter.describe();
                self.prompt(
                    PromptKind::Search,
                    &if text.is_empty() { text } else { format!("{text} ") },
                );
                vec![]
            }
            Command::FilterMenu => {
                self.mode = Mode::Menu(Menu::Filter);
                vec![]
            }
            Command::AlertList => {
                self.mode = Mode::Alerts { selected: 0 };
                vec![Effect::LoadAlerts]
            }
            Command::Views => {
                if self.settings.views.is_empty() {
                    self.say("no saved views: add a [[view]] with a name and a filter to the config");
                } else {
                    self.mode = Mode::Menu(Menu::Views);
                }
                vec![]
            }
            Command::ClearFilter => self.set_filter(StreamFilter::default(), None),
            Command::SortOrder => {
                let mut f = self.filter.clone();
                f.order = match f.order {
                    crate::query::Order::Time => crate::query::Order::Priority,
                    crate::query::Order::Priority => crate::query::Order::Time,
                };
                self.say(match f.order {
                    crate::query::Order::Priority => "by priority now: the mention to answer first is on top",
                    crate::query::Order::Time => "by time: newest first",
                });
                let view = self.view.clone();
                self.set_filter(f, view)
            }
            Command::CommandPrompt => {
                self.prompt(PromptKind::Command, "");
                vec![]
            }
            Command::OpenLink => match self.selected().and_then(|m| m.url.clone()) {
                Some(url) => match safe_link(&url) {
                    Some(url) => {
                        self.link = Some((url.clone(), self.clock.at + MESSAGE_FOR * 3));
                        self.say("link copied");
                        vec![Effect::Copy(url)]
                    }
                    None => {
                        // The previous mention's link must not stay on screen as if it were this one's.
                        self.link = None;
                        self.warn("this mention's link is not an http(s) address; not opened");
                        vec![]
                    }
                },
                None => {
                    self.link = None;
                    self.say("this mention has no link");
                    vec![]
                }
            },
            Command::CopyText => match self.selected() {
                Some(m) => {
                    let text = match &m.title {
                        Some(t) if !m.text.is_empty() => format!("{t}\n\n{}", m.text),
                        Some(t) => t.clone(),
                        None => m.text.clone(),
                    };
                    self.say("text copied");
                    vec![Effect::Copy(crate::text::sanitize(&text))]
                }
                None => vec![],
            },
            Command::Help => {
                self.mode = Mode::Help {
                    scroll: 0,
                    from: Context::Stream,
                };
                vec![]
            }
            Command::Redraw => vec![self.request(self.hold(), true)],
            // Commands of the other contexts never reach the panes.
            _ => vec![],
        }
    }

    /// Switch panes, or go back.
    /// The stream filtered to the places of the story the detail shows (`story:LEAD`).
    fn list_story_places(&mut self) -> Vec<Effect> {
        let Some((lead, n)) = self
            .window
            .detail
            .as_ref()
            .map(|d| (d.mention.group_id, d.places.len() + 1))
        else {
            return vec![];
        };
        self.pane = Pane::Stream;
        let back = self.settings.keymap.hint(Command::Back);
        self.say(format!("the story's {n} places · {back}: everything again"));
        self.set_filter(
            StreamFilter::from_expr(crate::query::Expr::Field(crate::query::Field::Story(lead))),
            None,
        )
    }

    pub(super) fn switch_command(&mut self, cmd: Command) -> Vec<Effect> {
        match cmd {
            // In the detail of a story seen in several places: the stream lists them all.
            Command::FocusDetail
                if self.pane == Pane::Detail && self.window.detail.as_ref().is_some_and(|d| !d.places.is_empty()) =>
            {
                self.list_story_places()
            }
            Command::FocusDetail | Command::PaneDetail => {
                self.pane = Pane::Detail;
                let mut effects: Vec<Effect> = self.ask_thread().into_iter().collect();
                if let Some(m) = self.selected().filter(|m| m.unread) {
                    let id = m.id;
                    self.read_due = None;
                    effects.push(Effect::Write(WriteRequest {
                        op: WriteOp::MarkRead { id },
                    }));
                }
                effects
            }
            Command::Back => {
                if self.pane != Pane::Stream {
                    self.pane = Pane::Stream;
                } else if !self.marks.is_empty() {
                    self.marks.clear();
                    self.say("marks cleared");
                } else if !self.filter.is_empty() {
                    self.say("filter cleared");
                    return self.set_filter(StreamFilter::default(), None);
                }
                vec![]
            }
            Command::NextPane | Command::PrevPane => {
                let i = Pane::ALL.iter().position(|p| *p == self.pane).unwrap_or(0);
                let n = Pane::ALL.len();
                self.pane = Pane::ALL[if cmd == Command::NextPane {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                }];
                if matches!(self.pane, Pane::Stats | Pane::Ours) {
                    return vec![self.stats_request()];
                }
                if self.pane == Pane::People {
                    return vec![Effect::LoadPeople(self.people.order)];
                }
                vec![]
            }
            Command::PaneStream => {
                self.pane = Pane::Stream;
                vec![]
            }
            Command::PaneDrafts => {
                self.pane = Pane::Drafts;
                vec![]
            }
            Command::PaneStats | Command::PaneOurs => {
                self.pane = if cmd == Command::PaneStats {
                    Pane::Stats
                } else {
                    Pane::Ours
                };
                vec![self.stats_request()]
            }
            Command::StatsRange => {
                self.stats_days = match self.stats_days {
                    7 => 14,
                    14 => 30,
                    30 => 90,
                    _ => 7,
                };
                self.pane = Pane::Stats;
                vec![self.stats_request()]
            }
            _ => vec![],
        }
    }

    /// A choice in the filter or views menu.
    fn menu_command(&mut self, cmd: Command) -> Vec<Effect> {
        self.mode = Mode::Normal;
        if let Some(i) = cmd.view_number() {
            if i == 0 {
                return self.set_filter(StreamFilter::default(), None);
            }
            return match self.settings.views.get(i - 1).cloned() {
                Some(v) => self.apply_view(&v),
                None => vec![],
            };
        }
        let field = match cmd {
            Command::FilterStatus => FilterField::Status,
            Command::FilterFeed => FilterField::Feed,
            Command::FilterTag => FilterField::Tag,
            Command::FilterAssignee => FilterField::Assignee,
            Command::FilterSince => FilterField::Since,
            Command::FilterUnread => {
                let mut f = self.filter.clone();
                f.unread = !f.unread;
                let view = self.view.clone();
                return self.set_filter(f, view);
            }
            Command::FilterClear => return self.set_filter(StreamFilter::default(), None),
            _ => return vec![],
        };
        self.prompt(PromptKind::Filter(field), "");
        self.refresh_candidates();
        vec![]
    }

    pub(super) fn apply_view(&mut self, v: &View) -> Vec<Effect> {
        match StreamFilter::parse(&v.filter, self.clock.wall) {
            Ok(f) => self.set_filter(f, Some(v.name.clone())),
            Err(e) => {
                self.warn(format!("view {:?}: {e}", v.name));
                vec![]
            }
        }
    }

    pub(super) fn set_filter(&mut self, filter: StreamFilter, view: Option<String>) -> Vec<Effect> {
        self.filter = filter;
        self.view = view;
        self.marks.clear();
        self.touched = false;
        let mut effects = vec![self.request(Anchor::Head, true)];
        if self.pane == Pane::Stats {
            effects.push(self.stats_request());
        }
        effects
    }

    /// A `:` command line: a command name, with an argument where it takes one.
    pub(super) fn command_line(&mut self, line: &str) -> Vec<Effect> {
        let (name, arg) = match line.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (line, ""),
        };
        if name.is_empty() {
            return vec![];
        }
        let with_arg = |s: &mut Self, kind: PromptKind| {
            if arg.is_empty() {
                s.run_prompt(kind)
            } else {
                s.submit(kind, arg)
            }
        };
        match name {
            "assign" => return with_arg(self, PromptKind::Assign),
            "tag" => return with_arg(self, PromptKind::Tag),
            "untag" => return with_arg(self, PromptKind::Untag),
            "note" => return with_arg(self, PromptKind::Note),
            "search" | "filter" => return self.submit(PromptKind::Search, arg),
            "view" => {
                return match self.settings.views.iter().find(|v| v.name == arg).cloned() {
                    Some(v) => self.apply_view(&v),
                    None if arg.is_empty() => self.execute(Command::Views),
                    None => {
                        self.warn(format!("no view named {arg:?}"));
                        vec![]
                    }
                };
            }
            "status" => {
                return match arg.parse::<Status>() {
                    Ok(s) => self.change(Change::Status(s)),
                    Err(e) => {
                        self.warn(e);
                        vec![]
                    }
                };
            }
            _ => {}
        }
        match Command::by_name(name).filter(|c| c.context() == Context::Stream) {
            Some(cmd) => self.execute(cmd),
            None => {
                self.warn(format!(
                    "unknown command {name:?}; {} completes command names, {} lists them",
                    self.settings.keymap.hint(Command::PromptComplete),
                    self.settings.keymap.hint(Command::Help)
                ));
                vec![]
            }
        }
    }

    pub(super) fn run_prompt(&mut self, kind: PromptKind) -> Vec<Effect> {
        self.prompt(kind, "");
        vec![]
    }

    pub(super) fn stats_request(&self) -> Effect {
        Effect::LoadStats(StatsRequest {
            days: self.stats_days,
            sla: self.settings.sla,
            business: self.settings.business.clone(),
            filter: self.filter.clone(),
        })
    }
}
