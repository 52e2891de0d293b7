//! Text as people type it, made comparable: Turkish-aware case folding, diacritics
//! removed, apostrophe suffixes cut. Shared by the dialogues (the office's vocabulary
//! is folded as it is read) and the matcher.

use unicode_normalization::UnicodeNormalization;

/// Folds one character to its comparable form: lowercase, Turkish letters and other
/// accented letters without their marks. Most people type on phones without Turkish
/// letters ("basvuru" for "başvuru"), so both must compare equal; and since `I`/`ı` and
/// `İ`/`i` are mixed freely in such text, all four fold to `i`.
fn fold_char(c: char, out: &mut String) {
    match c {
        'İ' | 'I' | 'ı' | 'i' | 'î' | 'Î' => out.push('i'),
        'Ş' | 'ş' => out.push('s'),
        'Ğ' | 'ğ' => out.push('g'),
        'Ç' | 'ç' => out.push('c'),
        'Ö' | 'ö' => out.push('o'),
        'Ü' | 'ü' | 'û' | 'Û' => out.push('u'),
        'â' | 'Â' => out.push('a'),
        c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
        c => {
            for lower in c.to_lowercase() {
                for d in lower.nfd() {
                    if !is_combining_mark(d) {
                        out.push(d);
                    }
                }
            }
        }
    }
}

fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | '`' | '´' | 'ʼ')
}

/// Folds a whole text (see `fold_char`), cutting Turkish suffixes written after an
/// apostrophe ("Erasmus+'a" → "erasmus+"), and turning punctuation into spaces.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skipping_suffix = false;
    for c in text.chars() {
        if is_apostrophe(c) {
            skipping_suffix = true;
            continue;
        }
        if skipping_suffix {
            if c.is_alphanumeric() {
                continue;
            }
            skipping_suffix = false;
        }
        if c.is_alphanumeric() {
            fold_char(c, &mut out);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim().to_owned()
}

/// At most `max` characters, with "…" when cut: a long question echoed back in full
/// would bury the buttons.
pub fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turkish_capitals_and_dotless_i_fold_to_plain_letters() {
        assert_eq!(fold("İZMİR Işık ılık"), "izmir isik ilik");
        assert_eq!(fold("Başvuru ĞÜŞÇÖ"), "basvuru gusco");
    }

    #[test]
    fn apostrophe_suffixes_are_cut() {
        assert_eq!(fold("Erasmus+'a nasıl"), "erasmus nasil");
        assert_eq!(fold("logframe’i"), "logframe");
    }

    #[test]
    fn other_accents_are_removed_and_punctuation_splits() {
        assert_eq!(fold("Café—résumé!?"), "cafe resume");
    }
}
