//! What an inline button carries back when pressed. Telegram allows 64 bytes; node ids
//! are at most 62 (checked at load), and every form here is a one-letter tag, a colon
//! and a node id or a language code.

use crate::dialogue::NodeId;
use crate::lang::Lang;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callback {
    /// Show a node.
    Node(NodeId),
    /// Start the action of a node.
    Action(NodeId),
    /// Choose the bot's language.
    Lang(Lang),
}

impl Callback {
    pub fn encode(&self) -> String {
        match self {
            Callback::Node(id) => format!("n:{id}"),
            Callback::Action(id) => format!("a:{id}"),
            Callback::Lang(lang) => format!("l:{lang}"),
        }
    }

    /// Anything can arrive here (old buttons, hand-made data): `None` for what is not
    /// one of ours.
    pub fn decode(data: &str) -> Option<Callback> {
        let (tag, rest) = data.split_once(':')?;
        match tag {
            "n" => NodeId::parse(rest).ok().map(Callback::Node),
            "a" => NodeId::parse(rest).ok().map(Callback::Action),
            "l" => Lang::parse(rest).map(Callback::Lang),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_round_trip() {
        for c in [
            Callback::Node(NodeId::parse("pcm.logframe").unwrap()),
            Callback::Action(NodeId::parse("training.register").unwrap()),
            Callback::Lang(Lang::En),
        ] {
            assert_eq!(Callback::decode(&c.encode()), Some(c));
        }
    }

    #[test]
    fn foreign_data_is_not_a_callback() {
        assert_eq!(Callback::decode("x:1"), None);
        assert_eq!(Callback::decode("n:DROP TABLE"), None);
        assert_eq!(Callback::decode(""), None);
    }

    #[test]
    fn the_longest_callback_fits_telegram() {
        let id = NodeId::parse(&"a".repeat(crate::dialogue::MAX_ID_BYTES)).unwrap();
        assert!(Callback::Action(id).encode().len() <= 64);
    }
}
