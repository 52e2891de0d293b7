//! The conversation core: "this person said or pressed this" → "say this, with these
//! buttons", plus the person's saved place. It knows nothing of Telegram or terminals;
//! the adapters translate.

mod callback;
mod command;
pub mod ui;

pub use callback::Callback;
pub use command::{COMMANDS, Command};

use crate::dialogue::{Action, MAIN, Node, NodeId, Tree, render::escape_html};
use crate::lang::Lang;
use crate::matching::{Decision, MAX_SUGGESTIONS, Matcher};
use crate::storage::{Conversation, Store, StoreError};
use std::sync::Arc;

/// Who is talking: their Telegram (or console) user id, and the language their client
/// reports, used until they choose one with /language.
#[derive(Clone, Copy, Debug)]
pub struct Person {
    pub user: i64,
    pub lang_hint: Lang,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Typed text, commands included.
    Text(String),
    /// An inline button's callback data.
    Press(String),
    /// A sticker, photo, voice message, file…: something the bot cannot read.
    Unsupported,
    /// An adapter (re)connects to a person: show where they were.
    Resume,
}

/// Where a reply goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A new message.
    New,
    /// In place of the message whose button was pressed, so menus do not flood the chat.
    Replace,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Callback(String),
    Url(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    pub label: String,
    pub target: Target,
}

impl Button {
    fn to(label: &str, callback: Callback) -> Button {
        Button {
            label: label.to_owned(),
            target: Target::Callback(callback.encode()),
        }
    }
}

/// One message to show: Telegram HTML (user text already escaped), rows of buttons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub html: String,
    pub keyboard: Vec<Vec<Button>>,
    pub placement: Placement,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The engine; cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct Engine {
    tree: Arc<Tree>,
    matcher: Arc<Matcher>,
    store: Store,
}

impl Engine {
    /// Builds the matching index once, here, not per question.
    pub fn new(tree: Tree, store: Store) -> Engine {
        let matcher = Matcher::new(&tree);
        Engine {
            tree: Arc::new(tree),
            matcher: Arc::new(matcher),
            store,
        }
    }

    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Handles one event and saves the person's new state before returning what to say.
    #[tracing::instrument(skip(self, event), fields(user = person.user))]
    pub async fn handle(&self, person: Person, event: Event) -> Result<Vec<Reply>, EngineError> {
        let saved = self.store.conversation(person.user).await?;
        let mut conv = saved.clone().unwrap_or_else(|| Conversation {
            user: person.user,
            lang: None,
            node: MAIN.to_owned(),
        });
        let lang = conv.lang.unwrap_or(person.lang_hint);
        let replies = match event {
            Event::Text(text) => match Command::parse(&text) {
                Some(command) => self.command(&mut conv, lang, command),
                None => self.question(&mut conv, lang, &text),
            },
            Event::Press(data) => self.press(&mut conv, lang, &data),
            Event::Unsupported => vec![self.notice(lang, ui::text_only(lang), Placement::New)],
            Event::Resume => self.resume(&mut conv, lang),
        };
        if saved.as_ref() != Some(&conv) {
            self.store.save_conversation(&conv).await?;
        }
        Ok(replies)
    }

    fn command(&self, conv: &mut Conversation, lang: Lang, command: Command) -> Vec<Reply> {
        match command {
            Command::Start(_) | Command::Menu => {
                vec![self.show(conv, self.tree.main(), lang, Placement::New)]
            }
            Command::Help => vec![self.notice(lang, &ui::help(lang), Placement::New)],
            Command::Language => {
                let keyboard = vec![vec![
                    Button::to("🇹🇷 Türkçe", Callback::Lang(Lang::Tr)),
                    Button::to("🇬🇧 English", Callback::Lang(Lang::En)),
                ]];
                vec![Reply {
                    html: ui::choose_language().to_owned(),
                    keyboard,
                    placement: Placement::New,
                }]
            }
            Command::Cancel => vec![self.notice(lang, ui::nothing_to_cancel(lang), Placement::New)],
            Command::Unknown(name) => {
                vec![self.notice(
                    lang,
                    &ui::unknown_command(lang, &escape_html(&name)),
                    Placement::New,
                )]
            }
        }
    }

    fn press(&self, conv: &mut Conversation, lang: Lang, data: &str) -> Vec<Reply> {
        match Callback::decode(data) {
            Some(Callback::Node(id)) => match self.tree.get(id.as_str()) {
                Some(node) => vec![self.show(conv, node, lang, Placement::Replace)],
                None => self.back_to_main(conv, lang, ui::node_gone(lang), Placement::Replace),
            },
            Some(Callback::Action(id)) => match self
                .tree
                .get(id.as_str())
                .and_then(|n| n.action.map(|a| (n, a)))
            {
                Some((node, action)) => self.action(conv, node, action, lang),
                None => self.back_to_main(conv, lang, ui::node_gone(lang), Placement::Replace),
            },
            Some(Callback::Lang(chosen)) => {
                conv.lang = Some(chosen);
                self.back_to_main(conv, chosen, ui::language_set(chosen), Placement::Replace)
            }
            None => self.back_to_main(conv, lang, ui::button_unknown(lang), Placement::Replace),
        }
    }

    /// The workflows of later releases hook in here; until they exist, the person is
    /// told plainly and pointed at the office's contact details.
    fn action(
        &self,
        conv: &mut Conversation,
        node: &Node,
        action: Action,
        lang: Lang,
    ) -> Vec<Reply> {
        conv.node = node.id.to_string();
        let text = match action {
            Action::RegisterTraining => ui::registration_not_open(lang),
            Action::AskStaff => ui::ask_staff_not_open(lang),
        };
        let mut keyboard = Vec::new();
        if let Some(contact) = self.tree.get("office.contact") {
            keyboard.push(vec![Button::to(
                ui::contact_button(lang),
                Callback::Node(contact.id.clone()),
            )]);
        }
        keyboard.push(self.nav_row(node, lang));
        vec![Reply {
            html: text.to_owned(),
            keyboard,
            placement: Placement::New,
        }]
    }

    fn question(&self, conv: &mut Conversation, lang: Lang, text: &str) -> Vec<Reply> {
        // Only greetings, emoji or punctuation: nothing to look up.
        if crate::matching::normalize::words(text).is_empty() {
            return vec![self.notice(lang, ui::nothing_to_read(lang), Placement::New)];
        }
        let outcome = self.matcher.find(text, lang);
        let found = |i: usize| {
            outcome
                .matches
                .get(i)
                .and_then(|m| self.tree.get(m.id.as_str()))
        };
        match outcome.decision {
            Decision::Answer => match found(0) {
                Some(node) => vec![self.show(conv, node, lang, Placement::New)],
                None => vec![self.no_answer(lang, text)],
            },
            Decision::Suggest => {
                let mut keyboard: Vec<Vec<Button>> = (0..MAX_SUGGESTIONS)
                    .filter_map(found)
                    .map(|n| vec![Button::to(n.label.get(lang), Callback::Node(n.id.clone()))])
                    .collect();
                keyboard.extend(self.ask_staff_row(lang));
                keyboard.push(vec![Button::to(
                    ui::main_menu(lang),
                    Callback::Node(self.tree.main().id.clone()),
                )]);
                vec![Reply {
                    html: ui::did_you_mean(lang).to_owned(),
                    keyboard,
                    placement: Placement::New,
                }]
            }
            Decision::Escalate => vec![self.no_answer(lang, text)],
        }
    }

    fn no_answer(&self, lang: Lang, text: &str) -> Reply {
        let mut keyboard = self.ask_staff_row(lang);
        keyboard.push(vec![Button::to(
            ui::main_menu(lang),
            Callback::Node(self.tree.main().id.clone()),
        )]);
        Reply {
            html: ui::no_answer(lang, &escape_html(&shorten(text, 200))),
            keyboard,
            placement: Placement::New,
        }
    }

    fn ask_staff_row(&self, lang: Lang) -> Vec<Vec<Button>> {
        self.tree
            .node_with_action(Action::AskStaff)
            .map(|n| {
                vec![vec![Button::to(
                    ui::ask_staff(lang),
                    Callback::Node(n.id.clone()),
                )]]
            })
            .unwrap_or_default()
    }

    fn resume(&self, conv: &mut Conversation, lang: Lang) -> Vec<Reply> {
        match self.tree.get(&conv.node) {
            Some(node) => vec![self.show(conv, node, lang, Placement::New)],
            None => self.back_to_main(conv, lang, ui::node_gone(lang), Placement::New),
        }
    }

    fn back_to_main(
        &self,
        conv: &mut Conversation,
        lang: Lang,
        notice: &str,
        placement: Placement,
    ) -> Vec<Reply> {
        let mut menu = self.show(conv, self.tree.main(), lang, placement);
        menu.html = format!("<i>{}</i>\n\n{}", escape_html(notice), menu.html);
        vec![menu]
    }

    /// A node as a message: its text, its children, its action, its links, and the way
    /// back.
    fn show(
        &self,
        conv: &mut Conversation,
        node: &Node,
        lang: Lang,
        placement: Placement,
    ) -> Reply {
        conv.node = node.id.to_string();
        let mut keyboard: Vec<Vec<Button>> = node
            .children
            .iter()
            .filter_map(|c| self.tree.get(c.as_str()))
            .map(|c| vec![Button::to(c.label.get(lang), Callback::Node(c.id.clone()))])
            .collect();
        if let Some(action) = node.action {
            let label = match action {
                Action::RegisterTraining => ui::start_registration(lang),
                Action::AskStaff => ui::ask_staff(lang),
            };
            keyboard.push(vec![Button::to(label, Callback::Action(node.id.clone()))]);
        }
        for link in &node.links {
            keyboard.push(vec![Button {
                label: format!("🔗 {}", link.label.get(lang)),
                target: Target::Url(link.url.clone()),
            }]);
        }
        if node.id.as_str() != MAIN {
            keyboard.push(self.nav_row(node, lang));
        }
        Reply {
            html: node.html.get(lang).clone(),
            keyboard,
            placement,
        }
    }

    /// "Back" to the menu that lists the node (when that is not the main menu), and
    /// "Main menu".
    fn nav_row(&self, node: &Node, lang: Lang) -> Vec<Button> {
        let main = NodeId::parse(MAIN).expect("main is a valid id");
        let mut row = Vec::new();
        if let Some(parent) = node.parent.as_ref().filter(|p| **p != main) {
            row.push(Button::to(ui::back(lang), Callback::Node(parent.clone())));
        }
        row.push(Button::to(ui::main_menu(lang), Callback::Node(main)));
        row
    }

    fn notice(&self, lang: Lang, html: &str, placement: Placement) -> Reply {
        Reply {
            html: html.to_owned(),
            keyboard: vec![vec![Button::to(
                ui::main_menu(lang),
                Callback::Node(self.tree.main().id.clone()),
            )]],
            placement,
        }
    }
}

/// At most `max` characters, with "…" when cut: a long question echoed back in full
/// would bury the buttons.
fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}
