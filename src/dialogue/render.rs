//! Turning a text as an author wrote it into what Telegram and a terminal show.
//!
//! Authors write plain text with one piece of markup, `**bold**`, and one placeholder,
//! `{contact}`. Everything else is shown literally, so a `<` in a text can never break
//! Telegram's HTML parsing.

/// The placeholders a text may contain.
pub const PLACEHOLDERS: &[&str] = &["contact"];

/// Escapes text for Telegram's HTML parse mode, which needs exactly these three.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// What is wrong with a text's markup, as sentences for the author.
pub fn markup_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if text.matches("**").count() % 2 == 1 {
        problems
            .push("a '**' has no partner: bold text is written **like this**, with two stars on each side".to_owned());
    }
    for name in placeholders(text) {
        if !PLACEHOLDERS.contains(&name) {
            problems.push(format!("unknown placeholder {{{name}}}; the only one is {{contact}}"));
        }
    }
    problems
}

/// `{name}` runs where `name` is a plain word: braces around anything else are text.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{').skip(1).filter_map(|rest| {
        let end = rest.find('}')?;
        let name = &rest[..end];
        (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(name)
    })
}

/// The text with `{contact}` filled in and the bold markers removed: for terminals,
/// for matching, and for measuring against Telegram's length limit.
pub fn plain(text: &str, contact: &str) -> String {
    text.replace("{contact}", contact).replace("**", "")
}

/// The text as Telegram HTML: escaped, `{contact}` filled in, `**x**` as `<b>x</b>`.
pub fn html(text: &str, contact: &str) -> String {
    let escaped = escape_html(&text.replace("{contact}", contact));
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, part) in escaped.split("**").enumerate() {
        if i > 0 {
            out.push_str(if i % 2 == 1 { "<b>" } else { "</b>" });
        }
        out.push_str(part);
    }
    out
}

/// Text as it may be echoed or stored for others to read: control characters (other
/// than line breaks) and the invisible characters that reverse the direction of text
/// (which can make a message read differently from what it says) removed.
pub fn printable(input: &str) -> String {
    input
        .chars()
        .filter(|c| (!c.is_control() || *c == '\n') && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect()
}

/// Telegram counts message length in UTF-16 code units.
pub fn telegram_len(s: &str) -> usize {
    s.encode_utf16().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_markers_become_html_and_the_rest_is_escaped() {
        assert_eq!(
            html("**KA1** <b> & {contact}", "Tel: 1"),
            "<b>KA1</b> &lt;b&gt; &amp; Tel: 1"
        );
    }

    #[test]
    fn plain_text_drops_markers_and_fills_the_contact_block() {
        assert_eq!(plain("**A** {contact}", "x"), "A x");
    }

    #[test]
    fn unbalanced_bold_and_unknown_placeholders_are_reported() {
        assert_eq!(markup_problems("**a** b **").len(), 1);
        assert!(markup_problems("{phone}")[0].contains("{phone}"));
        assert!(markup_problems("a {contact} {not a placeholder} {}").is_empty());
    }

    #[test]
    fn length_counts_utf16_units_like_telegram() {
        assert_eq!(telegram_len("ş"), 1);
        assert_eq!(telegram_len("😀"), 2);
    }
}
