//! Telegram's `/command@botname`: in a group with several bots, clients name the bot a
//! command is for. Only a bare command or one naming this bot is ours, and the core
//! sees it without the name.

use std::borrow::Cow;

/// Who a command is addressed to: `None` for a bare command or for text that is not a
/// command.
pub fn addressee(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('/')?;
    let word = rest.split(char::is_whitespace).next().unwrap_or("");
    word.split_once('@').map(|(_, bot)| bot)
}

/// The text with the bot's name taken off its command: `/help@eudesk_bot x` → `/help x`.
pub fn unaddressed(text: &str) -> Cow<'_, str> {
    let Some(bot) = addressee(text) else {
        return Cow::Borrowed(text);
    };
    Cow::Owned(text.replacen(&format!("@{bot}"), "", 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_names_the_bot_it_is_for() {
        assert_eq!(addressee("/stats@other_bot"), Some("other_bot"));
        assert_eq!(addressee("/start@eudesk_bot training_3"), Some("eudesk_bot"));
        assert_eq!(addressee("/stats"), None);
        assert_eq!(addressee("write to a@b.org"), None);
    }

    #[test]
    fn the_core_sees_the_command_without_the_bots_name() {
        assert_eq!(unaddressed("/menu@eudesk_bot"), "/menu");
        assert_eq!(unaddressed("/start@eudesk_bot training_3"), "/start training_3");
        // Only the command's own name: an address in the text stays.
        assert_eq!(unaddressed("/ask@eudesk_bot mail a@b.org"), "/ask mail a@b.org");
        assert_eq!(unaddressed("write to a@b.org"), "write to a@b.org");
    }
}
