//! What the bot says, independent of how it is delivered: text in Telegram's HTML
//! subset, rows of buttons, an optional file. The engine produces these; the adapters
//! and the outbox deliver them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Callback(String),
    Url(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    pub target: Target,
}

impl Button {
    pub fn callback(label: impl Into<String>, data: impl Into<String>) -> Button {
        Button {
            label: label.into(),
            target: Target::Callback(data.into()),
        }
    }
}

/// A file sent with a message (an `.ics` invitation, a CSV list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Who an outbox message is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// A person's private chat (its id is the person's user id).
    Chat(i64),
    /// The staff chat, whatever its id is when the message is sent.
    Staff,
}

/// What to record once Telegram has accepted or refused a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Purpose {
    /// A ticket's post in the staff chat: staff replies to it answer the ticket.
    TicketPost { ticket: i64 },
    /// Staff's answer to the person: staff are told whether it arrived, and the
    /// person's reply to it is a follow-up.
    TicketAnswer { ticket: i64 },
    /// A leading piece of a ticket's post or answer that was too long for one message:
    /// a reply to it leads to the ticket like a reply to the last piece, and nothing
    /// else is recorded for it.
    TicketPiece { ticket: i64 },
}

impl Purpose {
    pub fn ticket(self) -> i64 {
        match self {
            Purpose::TicketPost { ticket } | Purpose::TicketAnswer { ticket } | Purpose::TicketPiece { ticket } => {
                ticket
            }
        }
    }
}

/// A message a person or staff sent (a file), relayed as it is with Telegram's
/// `copyMessage` rather than downloaded and sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyOf {
    pub chat: i64,
    pub message: i64,
}

/// A message owed to someone outside the current conversation turn: to a promoted
/// person, a reminder, a ticket's post or answer. Stored in the outbox before it is
/// sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutMessage {
    pub to: Recipient,
    pub html: String,
    pub keyboard: Vec<Vec<Button>>,
    pub document: Option<Document>,
    /// Sent as a reply to this ticket's first post in the staff chat.
    pub reply_to_ticket: Option<i64>,
    pub purpose: Option<Purpose>,
    /// The ticket this message is about, whatever it is: an erasure removes every
    /// message about the person's tickets, and a split post keeps leading to its ticket.
    pub ticket: Option<i64>,
    /// Relay this message (a file, with `html` as its new caption) instead of sending
    /// text.
    pub copy: Option<CopyOf>,
}

impl OutMessage {
    pub fn new(to: Recipient, html: impl Into<String>) -> OutMessage {
        OutMessage {
            to,
            html: html.into(),
            keyboard: Vec::new(),
            document: None,
            reply_to_ticket: None,
            purpose: None,
            ticket: None,
            copy: None,
        }
    }

    /// Marks the message as being about this ticket.
    pub fn about_ticket(mut self, ticket: i64) -> OutMessage {
        self.ticket = Some(ticket);
        self
    }

    /// Relays the message `of` with this caption.
    pub fn copying(mut self, of: CopyOf) -> OutMessage {
        self.copy = Some(of);
        self
    }

    pub fn with_keyboard(mut self, keyboard: Vec<Vec<Button>>) -> OutMessage {
        self.keyboard = keyboard;
        self
    }

    pub fn with_document(mut self, document: Document) -> OutMessage {
        self.document = Some(document);
        self
    }

    pub fn replying_to_ticket(mut self, ticket: i64) -> OutMessage {
        self.reply_to_ticket = Some(ticket);
        self.ticket = Some(ticket);
        self
    }

    pub fn with_purpose(mut self, purpose: Purpose) -> OutMessage {
        self.purpose = Some(purpose);
        self.ticket = Some(purpose.ticket());
        self
    }
}

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
