//! `ask` phrasings that pull another node's questions, for `eudesk check`.

use super::Matcher;
use crate::dialogue::{NodeId, Tree};
use crate::lang::Lang;

/// An `ask` phrasing that the matcher, with the phrasing in its own node, still takes
/// to another node: it pulls that node's questions (or its own node never wins it).
#[derive(Clone, Debug, PartialEq)]
pub struct Pull {
    pub node: NodeId,
    pub lang: Lang,
    pub phrasing: String,
    pub to: NodeId,
}

/// Every `ask` phrasing of the tree closer to another node than to its own.
pub fn pulls(tree: &Tree) -> Vec<Pull> {
    let matcher = Matcher::new(tree);
    let mut out = Vec::new();
    for node in tree.nodes().filter(|n| n.matchable) {
        for lang in Lang::ALL {
            for phrasing in node.ask.get(lang) {
                let outcome = matcher.find(phrasing, lang);
                if let Some(first) = outcome.matches.first()
                    && first.id != node.id
                {
                    out.push(Pull {
                        node: node.id.clone(),
                        lang,
                        phrasing: phrasing.clone(),
                        to: first.id.clone(),
                    });
                }
            }
        }
    }
    out
}
