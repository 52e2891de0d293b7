//! `eudesk sessions …` and `eudesk registrations export`: PCM trainings from the
//! command line, through the same training service as the bot.

use super::*;

/// The details of `args` over `base` (a session being edited), or from `args` alone.
fn details(args: &SessionArgs, base: Option<&SessionDetails>) -> anyhow::Result<CheckedDetails> {
    let need = |what: &str| anyhow::anyhow!("--{what} is required for a new session");
    let time = |s: &Option<String>| s.as_deref().map(time::parse_local).transpose();
    let starts = match (time(&args.starts)?, base) {
        (Some(t), _) => t,
        (None, Some(b)) => b.starts,
        (None, None) => return Err(need("starts")),
    };
    let ends = match (time(&args.ends)?, base) {
        (Some(t), _) => t,
        (None, Some(b)) => b.ends,
        (None, None) => return Err(need("ends")),
    };
    let deadline = match (time(&args.deadline)?, base) {
        (Some(t), _) => t,
        // A deadline that was the start moves with the start.
        (None, Some(b)) if b.deadline != b.starts => b.deadline,
        _ => starts,
    };
    let text = |v: &Option<String>, old: Option<&String>, what: &str| -> anyhow::Result<String> {
        v.clone().or_else(|| old.cloned()).ok_or_else(|| need(what))
    };
    let d = SessionDetails {
        title: Localized::new(
            text(&args.title_tr, base.map(|b| &b.title.tr), "title-tr")?,
            text(&args.title_en, base.map(|b| &b.title.en), "title-en")?,
        ),
        starts,
        ends,
        place: text(&args.place, base.map(|b| &b.place), "place")?,
        capacity: args
            .capacity
            .or(base.map(|b| b.capacity))
            .ok_or_else(|| need("capacity"))?,
        deadline,
        second_reminder: match args.remind_hours {
            Some(0) => None,
            Some(h) => Some(SignedDuration::from_hours(h as i64)),
            None => base.and_then(|b| b.second_reminder),
        },
    };
    Ok(d.check()?)
}

pub(super) async fn run(config: &Config, command: SessionsCommand) -> anyhow::Result<ExitCode> {
    let store = Store::open(&config.database_url).await?;
    let missing = |id: i64| anyhow::anyhow!("there is no session {id}; `eudesk sessions list` shows the ids");
    match command {
        SessionsCommand::Add(args) => {
            let details = details(&args, None)?;
            if details.starts <= Timestamp::now() {
                eprintln!(
                    "warning: the start {} is in the past: the session will not be offered for booking",
                    time::local(details.starts)
                );
            }
            let now = Timestamp::now();
            let id = store
                .write(async |c| training::create_session(c, &details, now).await)
                .await?;
            println!("{id}");
        }
        SessionsCommand::List { json } => {
            let sessions = store.sessions().await?;
            if json {
                let rows: Vec<serde_json::Value> = sessions
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "id": s.id,
                            "title_tr": s.details.title.tr,
                            "title_en": s.details.title.en,
                            "starts": time::local(s.details.starts),
                            "ends": time::local(s.details.ends),
                            "deadline": time::local(s.details.deadline),
                            "place": s.details.place,
                            "capacity": s.details.capacity,
                            "confirmed": s.confirmed,
                            "waitlisted": s.waitlisted,
                            "present": s.present,
                            "absent": s.absent,
                            "state": s.state,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            } else if sessions.is_empty() {
                println!("no sessions yet; add one with `eudesk sessions add`");
            } else {
                println!(
                    "{:>4}  {:<16}  {:>8}  {:>9}  {:>10}  {:<9}  title",
                    "id", "starts", "capacity", "confirmed", "waitlisted", "state"
                );
                for s in &sessions {
                    println!(
                        "{:>4}  {:<16}  {:>8}  {:>9}  {:>10}  {:<9}  {}",
                        s.id,
                        time::local(s.details.starts),
                        s.details.capacity,
                        s.confirmed,
                        s.waitlisted,
                        s.state.code(),
                        s.details.title.tr
                    );
                }
            }
        }
        SessionsCommand::Edit { id, changes } => {
            let session = store.session(SessionId(id)).await?.ok_or_else(|| missing(id))?;
            if session.state == SessionState::Cancelled {
                bail!("session {id} is cancelled and can no longer be changed; add a new one instead");
            }
            let details = details(&changes, Some(&session.details))?;
            let now = Timestamp::now();
            let changed = store
                .write(async |c| training::change_session(c, SessionId(id), &details, now).await)
                .await?;
            match changed {
                Changed::Done { promoted, told } => {
                    println!("session {id} updated");
                    if promoted > 0 {
                        println!("{promoted} person(s) moved up from the waitlist; the running bot tells them");
                    }
                    if told > 0 {
                        println!(
                            "{told} registrant(s) will be told of the new time or place, with an updated calendar file"
                        );
                    }
                }
                Changed::NotFound => return Err(missing(id)),
                Changed::Cancelled => bail!("session {id} was cancelled meanwhile; nothing changed"),
            }
        }
        SessionsCommand::Close { id } => {
            if !store
                .write(async |c| training::set_open(c, SessionId(id), false).await)
                .await?
            {
                bail!("session {id} does not exist or is cancelled");
            }
            println!("session {id} closed to new bookings");
        }
        SessionsCommand::Reopen { id } => {
            if !store
                .write(async |c| training::set_open(c, SessionId(id), true).await)
                .await?
            {
                bail!("session {id} does not exist or is cancelled");
            }
            println!("session {id} open for bookings");
        }
        SessionsCommand::Cancel { id } => {
            let now = Timestamp::now();
            match store
                .write(async |c| training::cancel_session(c, SessionId(id), now).await)
                .await?
            {
                Some(n) => println!("session {id} cancelled; {n} registrant(s) will be told by the running bot"),
                None => bail!("session {id} does not exist or is already cancelled"),
            }
        }
        SessionsCommand::Report { id, json, output } => {
            let session = store.session(SessionId(id)).await?.ok_or_else(|| missing(id))?;
            let answers = store
                .read(async |c| crate::storage::surveys::answers(c, SessionId(id)).await)
                .await?;
            let loaded = dialogue::load(&config.dialogues_dir).ok();
            let survey = loaded.as_ref().and_then(|l| l.tree.survey());
            let lang = config.staff_lang;
            let report = crate::trainings::survey::report(survey, &answers, lang);
            if let Some(path) = &output {
                let bytes = crate::trainings::survey::xlsx(&report, lang).context("could not write the workbook")?;
                write_private(path, &bytes)?;
            }
            if json {
                let object = serde_json::json!({
                    "session": id,
                    "confirmed": session.confirmed,
                    "present": session.present,
                    "absent": session.absent,
                    "survey": report,
                });
                println!("{object}");
            } else {
                println!("session {id}: {}", session.details.title.tr);
                println!(
                    "attendance: {} present, {} no-show, of {} confirmed",
                    session.present, session.absent, session.confirmed
                );
                println!("survey responses: {}", report.responses);
                for r in &report.ratings {
                    let average = r.average.map_or_else(|| "—".to_owned(), |a| format!("{a:.2}"));
                    println!(
                        "  {average}  {} ({} answers; 1–5: {})",
                        r.text,
                        r.answers,
                        r.marks.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
                    );
                }
                for (question, comment) in &report.comments {
                    println!("  — {comment}  [{question}]");
                }
            }
        }
        SessionsCommand::Link { id } => {
            store.session(SessionId(id)).await?.ok_or_else(|| missing(id))?;
            let username = crate::telegram::username(config).await?;
            println!("{}", crate::telegram::deep_link::session(&username, SessionId(id)));
        }
    }
    Ok(ExitCode::SUCCESS)
}
