//! `eudesk tickets …`: questions for staff from the command line, through the same
//! ticket service as the staff chat.

use super::*;

/// The staff member at the command line, as tickets record them.
fn console_staff() -> Actor {
    // The staff chat reads this in its notes ("… komut satırı tarafından kapatıldı").
    Actor {
        id: 0,
        name: std::env::var("USER")
            .map(|u| format!("{u} (komut satırı)"))
            .unwrap_or_else(|_| "komut satırı".to_owned()),
    }
}

pub(super) async fn run(config: &Config, command: TicketsCommand) -> anyhow::Result<ExitCode> {
    let store = Store::open(&config.database_url).await?;
    let lang = config.staff_lang;
    let missing = |id: i64| anyhow::anyhow!("there is no ticket {id}; `eudesk tickets list` shows them");
    match command {
        TicketsCommand::List { status, json } => {
            let tickets = store.tickets(status).await?;
            if json {
                let rows: Vec<serde_json::Value> = tickets
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "id": t.id,
                            "status": t.status,
                            "user": t.user,
                            "first_name": t.first_name,
                            "lang": t.lang.code(),
                            "question": t.question,
                            "created": time::local(t.created_at),
                            "taken_by": t.taken_by.as_ref().map(|(_, n)| n.clone()),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            } else if tickets.is_empty() {
                println!("no tickets");
            } else {
                for t in &tickets {
                    let question: String = t.question.chars().take(70).collect();
                    println!(
                        "#{:<5} {:<9} {}  {:<16} {}",
                        t.id,
                        t.status.code(),
                        time::local(t.created_at),
                        t.first_name,
                        question.replace('\n', " ")
                    );
                }
            }
        }
        TicketsCommand::Show { id } => {
            let t = store.ticket(TicketId(id)).await?.ok_or_else(|| missing(id))?;
            println!(
                "#{} · {} · {} · {} · asked {}",
                t.id,
                t.status.code(),
                t.first_name,
                t.lang.code(),
                time::local(t.created_at)
            );
            if let Some(node) = &t.context_node {
                let tried: Vec<String> = t
                    .context_matches
                    .iter()
                    .map(|c| format!("{} {:.2}", c.id, c.score))
                    .collect();
                println!("context: {node}; matcher: {}", tried.join(", "));
            }
            for e in store.ticket_events(TicketId(id)).await? {
                let who = e.author.map(|(_, n)| n).unwrap_or_default();
                println!(
                    "{}  {:<13} {who}: {}",
                    time::local(e.at),
                    e.kind.code(),
                    e.text.unwrap_or_default()
                );
            }
        }
        TicketsCommand::Answer { id, text } => {
            // The same service as an answer from Telegram: the same history, the same
            // note to the staff chat when it is delivered.
            let answer = Answer::Text(text.join(" "));
            let staff = console_staff();
            let now = Timestamp::now();
            let answered = store
                .write(async |c| ticket_service::answer(c, TicketId(id), &staff, &answer, now).await)
                .await?;
            match answered {
                Answered::Queued(_) => {
                    println!("answer to #{id} queued; the running bot delivers it and tells the staff chat")
                }
                Answered::NoSuchTicket => return Err(missing(id)),
                Answered::Erased => {
                    bail!("the person of ticket #{id} asked for their data to be erased; nothing can be sent to them")
                }
            }
        }
        TicketsCommand::Close { id, note } => {
            let staff = console_staff();
            let now = Timestamp::now();
            let closed = store
                .write(async |c| {
                    ticket_service::close(c, TicketId(id), Closer::Staff(&staff, note.as_deref()), lang, now).await
                })
                .await?;
            match closed {
                Closed::Now(_) => println!("ticket #{id} closed; the person will be told"),
                Closed::Already(_) => println!("ticket #{id} was already closed; nothing was sent"),
                Closed::NotFound => return Err(missing(id)),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
