//! `eudesk opportunities …`: alerts from the command line, through the same service as
//! `/publish`; the running bot sends them.

use super::*;
use crate::opportunities::service as alerts;
use crate::storage::opportunities as q;

pub(super) async fn run(config: &Config, command: OpportunitiesCommand) -> anyhow::Result<ExitCode> {
    match command {
        OpportunitiesCommand::Add { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("could not read the opportunity file '{}'", file.display()))?;
            let now = Timestamp::now();
            let opportunity = match crate::opportunities::file::from_toml(&text, now) {
                Ok(o) => o,
                Err(problems) => {
                    for p in &problems {
                        println!("{}: {p}", file.display());
                    }
                    println!(
                        "{} problem(s) in {}; nothing was published",
                        problems.len(),
                        file.display()
                    );
                    return Ok(ExitCode::from(1));
                }
            };
            let store = Store::open(&config.database_url).await?;
            let by = std::env::var("USER")
                .map(|u| format!("{u} (komut satırı)"))
                .unwrap_or_else(|_| "komut satırı".to_owned());
            let channel = config.channel_id.map(crate::ids::ChatId);
            let published = store
                .write(async |c| alerts::publish(c, &opportunity, &by, channel, now).await)
                .await?;
            println!("{}", published.id);
            eprintln!(
                "opportunity {} published; the running bot sends it to {} subscriber(s)",
                published.id, published.recipients
            );
            Ok(ExitCode::SUCCESS)
        }
        OpportunitiesCommand::List { json } => {
            let store = Store::open(&config.database_url).await?;
            let all = store.read(async |c| q::all(c).await).await?;
            let now = Timestamp::now();
            let state = |s: &q::Stored| {
                if s.withdrawn {
                    "withdrawn"
                } else if s.opportunity.deadline <= now {
                    "closed"
                } else {
                    "open"
                }
            };
            if json {
                let rows: Vec<serde_json::Value> = all
                    .iter()
                    .map(|s| {
                        let o = &s.opportunity;
                        serde_json::json!({
                            "id": s.id,
                            "topics": o.topics.iter().map(|t| t.id()).collect::<Vec<_>>(),
                            "title_tr": o.title.tr,
                            "title_en": o.title.en,
                            "url": o.url,
                            "deadline": time::local(o.deadline),
                            "ages": o.ages.map(|(a, b)| [a, b]),
                            "state": state(s),
                            "published_at": time::local(s.published_at),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            } else if all.is_empty() {
                println!("no opportunities yet; publish one with /publish or `eudesk opportunities add FILE`");
            } else {
                for s in &all {
                    let topics: Vec<&str> = s.opportunity.topics.iter().map(|t| t.id()).collect();
                    println!(
                        "{:>4}  {}  {:<9}  {:<28}  {}",
                        s.id,
                        time::local(s.opportunity.deadline),
                        state(s),
                        topics.join(","),
                        s.opportunity.title.tr
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        OpportunitiesCommand::Withdraw { id } => {
            let store = Store::open(&config.database_url).await?;
            let now = Timestamp::now();
            if store
                .write(async |c| alerts::withdraw(c, crate::ids::OpportunityId(id), now).await)
                .await?
            {
                println!("opportunity {id} withdrawn");
                Ok(ExitCode::SUCCESS)
            } else {
                bail!(
                    "there is no opportunity {id}, or it was withdrawn already; `eudesk opportunities list` shows them"
                )
            }
        }
    }
}
