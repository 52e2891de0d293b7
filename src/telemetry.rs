//! Logging: tracing to stderr, teloxide's `log` records bridged in, and the bot token
//! removed from every line. Telegram's API puts the token in every URL, and network
//! errors print their URL, so without this a failed request would write the token to
//! the logs.

use std::io::{self, Write};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// What the token is replaced with.
pub const REDACTED: &str = "<token>";

/// Replaces every occurrence of `secret` (when there is one) in `text`.
pub fn redact(text: &str, secret: Option<&str>) -> String {
    match secret.filter(|s| s.len() >= 8) {
        Some(secret) => text.replace(secret, REDACTED),
        None => text.to_owned(),
    }
}

/// Writes to stderr with the secret removed.
#[derive(Clone)]
pub struct RedactingStderr {
    secret: Option<String>,
}

impl RedactingStderr {
    pub fn new(secret: Option<String>) -> RedactingStderr {
        RedactingStderr { secret }
    }
}

pub struct RedactingWriter {
    secret: Option<String>,
}

impl Write for RedactingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The formatter writes one whole event per call, so a token is never split
        // across two writes.
        let text = String::from_utf8_lossy(buf);
        io::stderr().write_all(redact(&text, self.secret.as_deref()).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingWriter;

    fn make_writer(&'a self) -> RedactingWriter {
        RedactingWriter {
            secret: self.secret.clone(),
        }
    }
}

/// Logs go to stderr, filtered by RUST_LOG (default `info`; `warn` in the console, where
/// they would mix with the conversation). `init` also bridges teloxide's `log` records.
pub fn init(default_filter: &str, secret: Option<String>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(io::stderr().is_terminal())
        .with_writer(RedactingStderr::new(secret))
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_replaced_wherever_it_appears() {
        let line = "error sending request for url (https://api.telegram.org/bot123456:ABCdef/getUpdates)";
        assert_eq!(
            redact(line, Some("123456:ABCdef")),
            "error sending request for url (https://api.telegram.org/bot<token>/getUpdates)"
        );
        assert_eq!(redact(line, None), line);
    }
}
