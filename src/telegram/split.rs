//! Cutting a message that is too long for Telegram (4,096 UTF-16 code units) into pieces
//! that each fit, with their HTML tags kept valid.

/// Telegram's limit on a message's text, in UTF-16 code units.
pub const TELEGRAM_LIMIT: usize = 4096;

/// Splits Telegram HTML into pieces that each fit one message: at paragraph, then line,
/// then character boundaries, closing the tags a piece leaves open and opening them
/// again in the next, so that every piece is valid HTML on its own. Texts within the
/// limit come back whole.
pub fn split_html(html: &str, limit: usize) -> Vec<String> {
    let len = |s: &str| s.encode_utf16().count();
    if len(html) <= limit {
        return vec![html.to_owned()];
    }
    // Room for the tags a piece may have to close and reopen.
    let budget = limit.saturating_sub(64).max(64);
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut open: Vec<String> = Vec::new();
    let flush = |current: &mut String, open: &[String], pieces: &mut Vec<String>| {
        let mut piece = std::mem::take(current);
        for tag in open.iter().rev() {
            piece.push_str(&format!("</{}>", tag_name(tag)));
        }
        pieces.push(piece);
        for tag in open {
            current.push_str(tag);
        }
    };
    for token in tokens(html) {
        if len(&current) + len(token) > budget && !current.is_empty() {
            flush(&mut current, &open, &mut pieces);
        }
        if token.starts_with("</") {
            open.pop();
        } else if token.starts_with('<') && token.ends_with('>') {
            open.push(token.to_owned());
        }
        current.push_str(token);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

fn tag_name(tag: &str) -> &str {
    tag.trim_start_matches('<')
        .trim_end_matches('>')
        .split_whitespace()
        .next()
        .unwrap_or("")
}

/// Tags, and text cut into pieces no longer than a line (or 500 characters, for
/// very long lines), keeping entities such as `&amp;` whole.
fn tokens(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        if rest.starts_with('<')
            && let Some(end) = rest.find('>')
        {
            out.push(&rest[..=end]);
            rest = &rest[end + 1..];
            continue;
        }
        let stop = rest
            .find(['<', '\n'])
            .map_or(rest.len(), |i| if i == 0 { 1 } else { i });
        let mut end = stop;
        if rest[..end].chars().count() > 500 {
            end = rest.char_indices().nth(500).map_or(end, |(i, _)| i);
            // Do not cut an entity in two.
            if let Some(amp) = rest[..end].rfind('&')
                && !rest[amp..end].contains(';')
            {
                end = amp.max(1);
            }
        }
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_stay_whole() {
        assert_eq!(split_html("<b>a</b>", 4096), ["<b>a</b>"]);
    }

    #[test]
    fn long_texts_split_with_their_tags_closed_and_reopened() {
        let html = format!("<b>Title</b>\n<blockquote>{}</blockquote>", "word &amp; ".repeat(1000));
        let pieces = split_html(&html, 4096);
        assert!(pieces.len() > 1);
        for p in &pieces {
            assert!(p.encode_utf16().count() <= 4096, "{}", p.len());
            assert_eq!(
                p.matches("<blockquote>").count(),
                p.matches("</blockquote>").count(),
                "{p}"
            );
            assert!(!p.contains("&am\n") && !p.ends_with("&am"));
        }
        let joined: String = pieces.concat().replace("</blockquote><blockquote>", "");
        assert_eq!(joined, html);
    }
}
