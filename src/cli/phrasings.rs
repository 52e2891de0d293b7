//! `eudesk phrasings …`: the ways of asking the bot learned from staff (`/link` and the
//! 🔗 buttons under a ticket), to review, remove, and move into `dialogues/`.

use super::*;
use crate::storage::phrasings::{self, Phrasing};

pub(super) async fn run(config: &Config, command: PhrasingsCommand) -> anyhow::Result<ExitCode> {
    let store = Store::open(&config.database_url).await?;
    match command {
        PhrasingsCommand::List { json } => {
            let all = store.read(async |c| phrasings::all(c).await).await?;
            if json {
                println!("{}", serde_json::to_string(&all)?);
            } else if all.is_empty() {
                println!("no learned phrasings (staff add them with /link N node.id or the 🔗 buttons under a ticket)");
            } else {
                for p in &all {
                    println!(
                        "{:>5}  {:<24} {}  {}  ({}, {}, {})",
                        p.id,
                        p.node,
                        p.lang.code(),
                        p.text,
                        p.ticket.map(|t| format!("#{t}")).unwrap_or_else(|| "—".to_owned()),
                        p.added_by,
                        time::local(p.added_at)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        PhrasingsCommand::Remove { ids, all } => {
            let ids = if all {
                store
                    .read(async |c| phrasings::all(c).await)
                    .await?
                    .iter()
                    .map(|p| p.id)
                    .collect()
            } else {
                ids
            };
            let mut missing = Vec::new();
            let mut removed = 0;
            for id in ids {
                if store.write(async |c| phrasings::remove(c, id).await).await? {
                    removed += 1;
                } else {
                    missing.push(id.to_string());
                }
            }
            println!("{removed} phrasing(s) removed");
            if missing.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "no phrasing with id {}; `eudesk phrasings list` shows the ids",
                    missing.join(", ")
                );
                Ok(ExitCode::from(1))
            }
        }
        PhrasingsCommand::Export => {
            let loaded = load(&config.dialogues_dir)?;
            let all = store.read(async |c| phrasings::all(c).await).await?;
            print!("{}", export(&loaded, &all));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The `ask` lines to add, grouped by file and node in the order of the files; a
/// phrasing the node already has is left out, and one whose node is gone is listed
/// apart.
fn export(loaded: &Loaded, all: &[Phrasing]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if all.is_empty() {
        out.push_str("# no learned phrasings\n");
        return out;
    }
    let mut gone = Vec::new();
    let mut by_node: Vec<(&crate::dialogue::Node, Lang, Vec<&str>)> = Vec::new();
    for p in all {
        let Some(node) = loaded.tree.get(&p.node) else {
            gone.push(p);
            continue;
        };
        if node.ask.get(p.lang).iter().any(|a| a.trim() == p.text.trim()) {
            continue;
        }
        match by_node.iter_mut().find(|(n, l, _)| n.id == node.id && *l == p.lang) {
            Some((_, _, texts)) => {
                if !texts.contains(&p.text.as_str()) {
                    texts.push(&p.text)
                }
            }
            None => by_node.push((node, p.lang, vec![&p.text])),
        }
    }
    by_node.sort_by(|a, b| (&a.0.file, a.0.id.as_str(), a.1.code()).cmp(&(&b.0.file, b.0.id.as_str(), b.1.code())));
    for (node, lang, texts) in &by_node {
        let _ = writeln!(
            out,
            "# {} — node \"{}\": add to ask.{}",
            node.file.display(),
            node.id.as_str(),
            lang.code()
        );
        for text in texts {
            let _ = writeln!(out, "  {},", toml::Value::String((*text).to_owned()));
        }
        out.push('\n');
    }
    if by_node.is_empty() {
        out.push_str("# every learned phrasing is in dialogues/ already\n");
    }
    for p in gone {
        let _ = writeln!(
            out,
            "# phrasing {} is for node \"{}\", which the dialogues no longer have: {}",
            p.id,
            p.node,
            toml::Value::String(p.text.clone())
        );
    }
    out.push_str("# Once pasted and checked (eudesk check), `eudesk phrasings remove --all` empties the list.\n");
    out
}
