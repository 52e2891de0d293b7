//! The two languages the office works in, and text kept in both.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A language the bot speaks. Turkish comes first: it is the office's language and most
/// people write to it in Turkish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Tr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Tr, Lang::En];

    /// Parses the codes people and tools use: `tr`, `en` (any case).
    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "tr" => Some(Lang::Tr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Telegram's `language_code` (an IETF tag such as `tr`, `tr-TR`, `en-GB`, `de`):
    /// Turkish for Turkish, English for everything else, since English is the office's
    /// second language and the one a foreign visitor most likely reads.
    pub fn from_ietf(tag: Option<&str>) -> Lang {
        match tag {
            Some(tag) if tag.to_ascii_lowercase().starts_with("tr") => Lang::Tr,
            _ => Lang::En,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Tr => "tr",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Tr => Lang::En,
            Lang::En => Lang::Tr,
        }
    }

    /// The language's English name, as used in validation messages.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Tr => "Turkish",
            Lang::En => "English",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The sentence in the language given: the bot's own short texts are written as
/// `pick(lang, "Türkçe", "English")`.
pub fn pick(lang: Lang, tr: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Tr => tr,
        Lang::En => en,
    }
}

/// A value in both languages. Having both fields (not a map) makes a missing
/// translation impossible once content has been checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Localized<T> {
    pub tr: T,
    pub en: T,
}

impl<T> Localized<T> {
    pub fn new(tr: T, en: T) -> Self {
        Localized { tr, en }
    }

    pub fn get(&self, lang: Lang) -> &T {
        match lang {
            Lang::Tr => &self.tr,
            Lang::En => &self.en,
        }
    }

    pub fn map<U>(&self, mut f: impl FnMut(Lang, &T) -> U) -> Localized<U> {
        Localized {
            tr: f(Lang::Tr, &self.tr),
            en: f(Lang::En, &self.en),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_language_codes_map_turkish_to_turkish_and_the_rest_to_english() {
        assert_eq!(Lang::from_ietf(Some("tr")), Lang::Tr);
        assert_eq!(Lang::from_ietf(Some("tr-TR")), Lang::Tr);
        assert_eq!(Lang::from_ietf(Some("de")), Lang::En);
        assert_eq!(Lang::from_ietf(None), Lang::En);
    }

    #[test]
    fn language_codes_parse_in_any_case() {
        assert_eq!(Lang::parse("TR"), Some(Lang::Tr));
        assert_eq!(Lang::parse(" en "), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}
