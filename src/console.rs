//! The terminal adapter: the same engine and database as Telegram, no account needed.
//! Buttons are numbered; typing a number presses one, anything else is a question or a
//! /command.

use crate::engine::{Engine, Event, Person, Reply, Target};
use std::io::{IsTerminal, Write};
use tokio::io::{AsyncBufReadExt, BufReader};

pub async fn run(engine: Engine, person: Person) -> anyhow::Result<()> {
    let interactive = std::io::stdin().is_terminal();
    let mut out = std::io::stdout().lock();
    if interactive {
        writeln!(
            out,
            "eudesk console — type a button's number, a question or a /command; Ctrl-D to leave.\n"
        )?;
    }
    let mut buttons = Vec::new();
    show(&mut out, engine.handle(person, Event::Resume).await?, &mut buttons)?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        if interactive {
            write!(out, "> ")?;
            out.flush()?;
        }
        let Some(line) = lines.next_line().await? else {
            break;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if matches!(line, "/quit" | "/exit") {
            break;
        }
        let event = match line
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| buttons.get(i))
        {
            Some(Target::Callback(pressed)) => Event::Press(Some(pressed.clone())),
            Some(Target::Url(url)) => {
                writeln!(out, "→ {url}\n")?;
                continue;
            }
            None => Event::Text(line.to_owned()),
        };
        show(&mut out, engine.handle(person, event).await?, &mut buttons)?;
    }
    Ok(())
}

/// Prints replies as plain text with numbered buttons; the last keyboard shown is the
/// one numbers refer to.
fn show(out: &mut impl Write, replies: Vec<Reply>, buttons: &mut Vec<Target>) -> std::io::Result<()> {
    for reply in replies {
        writeln!(out, "{}\n", plain(&reply.html))?;
        if let Some(document) = &reply.document {
            writeln!(out, "📎 {} ({} bytes)\n", document.name, document.bytes.len())?;
        }
        if reply.keyboard.is_empty() {
            continue;
        }
        buttons.clear();
        for row in &reply.keyboard {
            let cells: Vec<String> = row
                .iter()
                .map(|b| {
                    buttons.push(b.target.clone());
                    format!("[{}] {}", buttons.len(), b.label)
                })
                .collect();
            writeln!(out, "  {}", cells.join("   "))?;
        }
        writeln!(out)?;
    }
    out.flush()
}

/// Telegram HTML → terminal text. Every tag in a reply is the bot's own (user text is
/// escaped), so dropping tags and undoing the three escapes is exact.
pub fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_plain_text() {
        assert_eq!(plain("<b>KA1</b> &lt;x&gt; &amp;amp;"), "KA1 <x> &amp;");
    }
}
