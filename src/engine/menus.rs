//! The menus and free-text questions: showing a node with its buttons, matching a
//! typed question, offering staff when there is no answer; `/privacy`.

use super::flow::LastQuestion;
use super::{Callback, EngineError, Placement, Reply, Turn, shorten, to, ui};
use crate::conversation::Desk;
use crate::conversation::{main_button, notice};
use crate::dialogue::render::escape_html;
use crate::dialogue::{Action, MAIN, Node};
use crate::lang::Lang;
use crate::matching::{Decision, MAX_SUGGESTIONS};
use crate::message::{Button, Target};
use crate::storage::questions;
use crate::trainings::book_prompt::flow_prompt;

/// The nodes the matcher thinks of for a question sent straight to staff (`/ask
/// text`), shown to staff to link; none when matching fails, which must not stop
/// the question.
pub(crate) async fn candidates(desk: &Desk, text: &str, lang: Lang) -> Vec<crate::tickets::Candidate> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    match desk.find(text, lang).await {
        Ok(outcome) => outcome.matches.iter().map(candidate).collect(),
        Err(err) => {
            tracing::warn!(%err, "no candidates for a question to staff");
            Vec::new()
        }
    }
}

pub(crate) async fn question(turn: &mut Turn<'_>, text: &str) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    // Only greetings, emoji or punctuation: nothing to look up.
    let words = crate::matching::normalize::words(text);
    if words.is_empty() {
        return Ok(vec![notice(lang, ui::nothing_to_read(lang))]);
    }
    let outcome = desk.find(text, lang).await?;
    let decision = serde_json::to_value(outcome.decision).ok();
    let top = outcome.matches.first().map(|m| (m.id.as_str(), m.score));
    let normalized = words.join(" ");
    turn.logged.push(questions::Logged {
        at: desk.clock.now(),
        user: turn.user.0,
        lang,
        text: text.to_owned(),
        normalized,
        decision: decision.as_ref().and_then(|d| d.as_str()).unwrap_or("").to_owned(),
        top: top.map(|(id, score)| (id.to_owned(), score)),
    });
    // Kept so "Ask staff" can pass the question on as typed.
    turn.last_question = match outcome.decision {
        Decision::Answer => None,
        Decision::Suggest | Decision::Escalate => Some(LastQuestion {
            text: shorten(text, crate::tickets::MAX_QUESTION_CHARS),
            matches: outcome.matches.iter().map(candidate).collect(),
        }),
    };
    let tree = desk.tree();
    let found = |i: usize| outcome.matches.get(i).and_then(|m| tree.get(m.id.as_str()));
    Ok(match outcome.decision {
        Decision::Answer => match found(0) {
            Some(node) => vec![show(turn, node, Placement::New)],
            None => vec![no_answer(lang, text)],
        },
        Decision::Suggest => {
            let mut keyboard: Vec<Vec<Button>> = (0..MAX_SUGGESTIONS)
                .filter_map(found)
                .map(|n| vec![to(n.label.get(lang), Callback::Node(n.id.clone()))])
                .collect();
            keyboard.extend(ask_staff_row(lang));
            keyboard.push(vec![main_button(lang)]);
            vec![Reply::new(ui::did_you_mean(lang), keyboard)]
        }
        Decision::Escalate => vec![no_answer(lang, text)],
    })
}

pub(crate) fn no_answer(lang: Lang, text: &str) -> Reply {
    let mut keyboard = ask_staff_row(lang);
    keyboard.push(vec![main_button(lang)]);
    let echoed = crate::dialogue::render::printable(&shorten(text, 200));
    Reply::new(ui::no_answer(lang, &escape_html(&echoed)), keyboard)
}

/// "Ask staff", passing on the question just asked.
pub(crate) fn ask_staff_row(lang: Lang) -> Vec<Vec<Button>> {
    vec![vec![to(ui::ask_staff(lang), Callback::AskStaff)]]
}

pub(crate) async fn resume(turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    if turn.flow.is_some() {
        return flow_prompt(turn).await;
    }
    let node = turn.node.clone();
    Ok(vec![match desk.tree().get(&node) {
        Some(node) => show(turn, node, Placement::New),
        None => show(turn, desk.tree().main(), Placement::New).with_notice(ui::node_gone(turn.lang)),
    }])
}

/// A node as a message: its text, its children, its action, its links, and the way
/// back.
pub(crate) fn show(turn: &mut Turn<'_>, node: &Node, placement: Placement) -> Reply {
    let desk = turn.desk;
    let lang = turn.lang;
    turn.node = node.id.to_string();
    let tree = desk.tree();
    let mut keyboard: Vec<Vec<Button>> = node
        .children
        .iter()
        .filter_map(|c| tree.get(c.as_str()))
        .map(|c| vec![to(c.label.get(lang), Callback::Node(c.id.clone()))])
        .collect();
    if let Some(action) = node.action {
        let label = match action {
            Action::RegisterTraining => ui::start_registration(lang),
            Action::AskStaff => ui::ask_staff(lang),
        };
        keyboard.push(vec![to(label, Callback::Action(node.id.clone()))]);
    }
    for link in &node.links {
        keyboard.push(vec![Button {
            label: format!("🔗 {}", link.label.get(lang)),
            target: Target::Url(link.url.clone()),
        }]);
    }
    if node.id.as_str() != MAIN {
        keyboard.push(nav_row(node, lang));
    }
    Reply::new(node.html.get(lang).clone(), keyboard).placed(placement)
}

/// "Back" to the menu that lists the node (when that is not the main menu), and
/// "Main menu".
pub(crate) fn nav_row(node: &Node, lang: Lang) -> Vec<Button> {
    let mut row = Vec::new();
    if let Some(parent) = node.parent.as_ref().filter(|p| p.as_str() != MAIN) {
        row.push(to(ui::back(lang), Callback::Node(parent.clone())));
    }
    row.push(main_button(lang));
    row
}

fn candidate(m: &crate::matching::Match) -> crate::tickets::Candidate {
    crate::tickets::Candidate {
        id: m.id.to_string(),
        score: m.score,
    }
}

/// `/privacy`: what the bot keeps and the person's rights, with the alert topics they
/// follow now.
pub(crate) async fn privacy_text(turn: &mut Turn<'_>) -> Result<String, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let topics = crate::storage::opportunities::topics_of_user(turn.work.read().await?, turn.user.0).await?;
    let mut html = ui::privacy(lang, desk.settings.retention_days);
    let subscribed = if topics.is_empty() {
        ui::pick(lang, "yok", "none").to_owned()
    } else {
        topics.iter().map(|t| t.label(lang)).collect::<Vec<_>>().join(", ")
    };
    html.push_str(&format!(
        "\n\n{}: {}",
        ui::pick(lang, "🔔 Duyuru abonelikleriniz", "🔔 Your alert subscriptions"),
        escape_html(&subscribed)
    ));
    Ok(html)
}
