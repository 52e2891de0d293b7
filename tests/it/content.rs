//! The shipped `dialogues/`: they load, every node is reachable, and every FAQ id the
//! product promises (shared/faq-topics.md) exists in both languages.

use eudesk::dialogue::{self, Tree};
use eudesk::lang::Lang;
use std::path::Path;

/// The FAQ ids of shared/faq-topics.md: a contract (`eudesk match --json` reports them).
pub const FAQ_IDS: &[&str] = &[
    "office.about",
    "office.contact",
    "office.consulting",
    "office.eurodesk",
    "pcm.what",
    "pcm.logframe",
    "pcm.problem_tree",
    "pcm.stakeholders",
    "pcm.objectives",
    "pcm.indicators",
    "pcm.budget",
    "pcm.partners",
    "pcm.dissemination",
    "pcm.mistakes",
    "pcm.registration",
    "eu.erasmus",
    "eu.erasmus_ka1",
    "eu.erasmus_ka2",
    "eu.deadlines",
    "eu.national_agency",
    "eu.esc",
    "eu.horizon",
    "eu.ipa",
    "eu.find_calls",
    "youth.opportunities",
    "youth.exchanges",
    "youth.volunteering",
    "youth.discovereu",
    "youth.traineeships",
    "training.about",
    "training.register",
    "help.ask_staff",
];

pub fn shipped() -> Tree {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues");
    match dialogue::load(&dir) {
        Ok(loaded) => loaded.tree,
        Err(err) => panic!("the shipped dialogues must load: {err}"),
    }
}

#[test]
fn the_shipped_dialogues_load_and_every_node_is_reachable_from_main() {
    let tree = shipped();
    // `load` refuses unreachable nodes; walk the tree anyway, as a person would.
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![tree.main().id.clone()];
    while let Some(id) = stack.pop() {
        if seen.insert(id.clone()) {
            stack.extend(tree.get(id.as_str()).unwrap().children.iter().cloned());
        }
    }
    assert_eq!(seen.len(), tree.len());
}

#[test]
fn every_faq_topic_exists_in_turkish_and_english() {
    let tree = shipped();
    let missing: Vec<&str> = FAQ_IDS
        .iter()
        .copied()
        .filter(|id| tree.get(id).is_none())
        .collect();
    assert!(missing.is_empty(), "missing FAQ nodes: {missing:?}");
    for id in FAQ_IDS {
        let node = tree.get(id).unwrap();
        assert!(node.matchable, "{id} must be reachable by free text");
        for lang in Lang::ALL {
            assert!(!node.plain.get(lang).is_empty() && !node.label.get(lang).is_empty());
        }
    }
}

#[test]
fn the_workflow_nodes_carry_their_actions() {
    use eudesk::dialogue::Action;
    let tree = shipped();
    assert_eq!(
        tree.get("training.register").unwrap().action,
        Some(Action::RegisterTraining)
    );
    assert_eq!(
        tree.get("help.ask_staff").unwrap().action,
        Some(Action::AskStaff)
    );
}
