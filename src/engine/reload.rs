//! Reading the dialogues again while the bot runs (`/reload`, SIGHUP, `eudesk reload`):
//! a valid tree replaces the old one for the next message; an invalid one is refused
//! with the same list `eudesk check` prints, and the bot goes on with the old tree.

use super::{EngineError, Reply, Turn};
use crate::conversation::Desk;
use crate::conversation::staff_reply;
use crate::dialogue::render::escape_html;
use crate::dialogue::{self, LoadError};
use crate::lang::{Lang, pick as t};

/// The outcome of a reload.
#[derive(Debug)]
pub enum Reloaded {
    /// In use from the next message: how many nodes, and the warnings `check` gives.
    Done { nodes: usize, warnings: Vec<String> },
    /// Not valid (or not readable): the old tree stays. Each line as `check` says it.
    Refused(Vec<String>),
    /// This engine was not told where the dialogues are.
    NoFolder,
}

impl Desk {
    /// Reads the dialogues folder again and, when valid, uses it from the next message.
    pub async fn reload_dialogues(&self) -> Result<Reloaded, EngineError> {
        let Some(dir) = self.settings.dialogues_dir.clone() else {
            return Ok(Reloaded::NoFolder);
        };
        let loaded = tokio::task::spawn_blocking(move || dialogue::load(&dir))
            .await
            .map_err(|e| EngineError::Matching(format!("could not read the dialogues: {e}")))?;
        match loaded {
            Ok(loaded) => {
                let nodes = loaded.tree.len();
                let warnings = loaded.warnings.iter().map(ToString::to_string).collect();
                self.replace_tree(loaded.tree).await?;
                tracing::info!(nodes, "dialogues reloaded");
                Ok(Reloaded::Done { nodes, warnings })
            }
            Err(LoadError::Invalid(problems)) => {
                let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
                for line in &lines {
                    tracing::warn!(problem = %line, "dialogues not reloaded");
                }
                Ok(Reloaded::Refused(lines))
            }
            Err(err) => {
                tracing::warn!(%err, "dialogues not reloaded");
                Ok(Reloaded::Refused(vec![err.to_string()]))
            }
        }
    }
}

/// `/reload` from staff: the outcome, said to whoever asked.
pub(crate) async fn reload_command(turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let html = match desk.reload_dialogues().await? {
        Reloaded::Done { nodes, warnings } => {
            let mut html = match lang {
                Lang::Tr => {
                    format!("✅ Diyaloglar yeniden okundu: {nodes} düğüm, bir sonraki mesajdan itibaren kullanılıyor.")
                }
                Lang::En => {
                    format!("✅ The dialogues were read again: {nodes} nodes, in use from the next message.")
                }
            };
            if !warnings.is_empty() {
                html.push_str(&format!(
                    "\n\n{}\n{}",
                    t(lang, "Uyarılar:", "Warnings:"),
                    escape_html(&warnings.join("\n"))
                ));
            }
            html
        }
        Reloaded::Refused(problems) => {
            const SHOWN: usize = 20;
            let mut list: Vec<String> = problems
                .iter()
                .take(SHOWN)
                .map(|p| format!("• {}", escape_html(p)))
                .collect();
            if problems.len() > SHOWN {
                list.push(format!("… (+{})", problems.len() - SHOWN));
            }
            format!(
                "{}\n\n{}",
                match lang {
                    Lang::Tr => format!(
                        "❌ Diyaloglar yüklenmedi: {} sorun var. Bot eski hâliyle çalışmaya devam ediyor; dosyaları düzeltip yeniden /reload yazın (sunucuda: eudesk check).",
                        problems.len()
                    ),
                    Lang::En => format!(
                        "❌ The dialogues were not loaded: {} problem(s). The bot keeps running with the old ones; fix the files and send /reload again (on the server: eudesk check).",
                        problems.len()
                    ),
                },
                list.join("\n")
            )
        }
        Reloaded::NoFolder => t(
            lang,
            "Bu bot diyalogları yeniden okuyamıyor (klasörü bilinmiyor).",
            "This bot cannot read the dialogues again (it was not told their folder).",
        )
        .to_owned(),
    };
    Ok(vec![staff_reply(&html)])
}
