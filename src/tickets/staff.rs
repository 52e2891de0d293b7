//! Staff's side of questions in Telegram: the ticket commands and buttons (list,
//! history, take, close, statistics, FAQ drafts), and what the outbox reports back
//! about ticket messages.

use crate::conversation::staff_reply;
use crate::conversation::{Desk, EngineError, Reply, Turn};
use crate::dialogue::render::escape_html;
use crate::ids::MessageRef;
use crate::lang::{Lang, pick as t};
use crate::message::TicketVerb;
use crate::message::{Purpose, Recipient};
use crate::storage::{Pending, tickets as q};
use crate::text::shorten;
use crate::tickets::answer::{answer_with, draft_press, start_answer};
use crate::tickets::ask::person_ticket_press;
use crate::tickets::service::{self as ticket_service, Closed, Closer};
use crate::tickets::{Actor, EventKind, TicketId, TicketStatus, messages as msg};
use crate::trainings::time::{local, office_tz};

fn ticket_id(arg: &str) -> Option<TicketId> {
    crate::conversation::id_arg(arg).map(TicketId)
}

/// "3 h 20 min" / "2 days": how long ago, roughly.
fn age(secs: i64, lang: Lang) -> String {
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    match lang {
        Lang::Tr if d > 0 => format!("{d} gün {h} sa"),
        Lang::Tr if h > 0 => format!("{h} sa {m} dk"),
        Lang::Tr => format!("{m} dk"),
        Lang::En if d > 0 => format!("{d} d {h} h"),
        Lang::En if h > 0 => format!("{h} h {m} min"),
        Lang::En => format!("{m} min"),
    }
}

/// The outbox delivered a message, in these Telegram messages (several when it was
/// cut into pieces): a ticket's messages are remembered (a reply to any of them
/// leads to the ticket), and an answer's delivery is recorded and told to staff.
pub async fn delivered(desk: &Desk, pending: &Pending, landed: &[MessageRef]) -> Result<(), EngineError> {
    let (now, staff) = (desk.clock.now(), desk.settings.staff_lang);
    let Some(ticket) = pending.message.purpose.map(Purpose::ticket) else {
        return Ok(());
    };
    let answer = matches!(pending.message.purpose, Some(Purpose::TicketAnswer { .. }));
    desk.store
        .write(async |c| {
            for &message in landed {
                ticket_service::link(c, message, ticket).await?;
            }
            if answer {
                ticket_service::answer_delivered(c, ticket, staff, now).await?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}

/// Telegram refused a message for good: an answer that cannot reach its person is
/// recorded on the ticket and shown to staff, never dropped silently.
pub async fn undeliverable(desk: &Desk, pending: &Pending, reason: &str) -> Result<(), EngineError> {
    let (now, staff) = (desk.clock.now(), desk.settings.staff_lang);
    if let Some(Purpose::TicketAnswer { ticket }) = pending.message.purpose {
        desk.store
            .write(async |c| ticket_service::answer_undeliverable(c, ticket, reason, staff, now).await)
            .await?;
    } else if pending.message.to == Recipient::Staff {
        tracing::error!(
            reason,
            "a message to the staff chat was refused for good; check STAFF_CHAT_ID and that the bot is in the group"
        );
    }
    Ok(())
}

/// A ticket button: the person's (solved, follow-up) or staff's (answer, take,
/// close, and those under an answer's preview).
pub(crate) async fn ticket_press(
    turn: &mut Turn<'_>,
    verb: TicketVerb,
    id: TicketId,
) -> Result<Vec<Reply>, EngineError> {
    match verb {
        TicketVerb::FollowUp | TicketVerb::Solved => person_ticket_press(turn, verb, id).await,
        TicketVerb::Answer => start_answer(turn, id).await,
        TicketVerb::Send | TicketVerb::SendAnyway | TicketVerb::Edit | TicketVerb::Discard => {
            draft_press(turn, verb, id).await
        }
        TicketVerb::Take => take(turn, id).await,
        TicketVerb::Close => close(turn, id, None).await,
    }
}

pub(crate) async fn take(turn: &mut Turn<'_>, id: TicketId) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let me = Actor {
        id: turn.user.0,
        name: turn.first_name.clone(),
    };
    let now = desk.clock.now();
    let taken = ticket_service::take(turn.work.write().await?, id, &me, desk.settings.staff_lang, now).await?;
    Ok(vec![match taken {
        Some(t) => {
            let html = match lang {
                Lang::Tr => format!("#{} sizde.", t.id),
                Lang::En => format!("#{} is yours.", t.id),
            };
            staff_reply(&html)
        }
        None => staff_reply(&msg::missing(id, lang)),
    }])
}

pub(crate) async fn close(turn: &mut Turn<'_>, id: TicketId, note: Option<&str>) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let me = Actor {
        id: turn.user.0,
        name: turn.first_name.clone(),
    };
    let now = desk.clock.now();
    let closed = ticket_service::close(
        turn.work.write().await?,
        id,
        Closer::Staff(&me, note),
        desk.settings.staff_lang,
        now,
    )
    .await?;
    Ok(vec![match closed {
        Closed::Now(t) => {
            let html = match lang {
                Lang::Tr => format!("#{} kapatıldı; kişiye bildirilecek.", t.id),
                Lang::En => format!("#{} is closed; the person will be told.", t.id),
            };
            staff_reply(&html)
        }
        Closed::Already(t) => {
            let html = match lang {
                Lang::Tr => format!("#{} zaten kapalıydı.", t.id),
                Lang::En => format!("#{} was already closed.", t.id),
            };
            staff_reply(&html)
        }
        Closed::NotFound => staff_reply(&msg::missing(id, lang)),
    }])
}

/// Staff commands about tickets. The caller has checked that the user is staff.
pub(crate) async fn ticket_command(
    turn: &mut Turn<'_>,
    command: &crate::conversation::Command,
) -> Result<Vec<Reply>, EngineError> {
    use crate::conversation::Command as C;
    let lang = turn.lang;
    let usage = |u: &str| vec![staff_reply(&format!("{}: {u}", t(lang, "Kullanım", "Usage")))];
    match command {
        C::Tickets => open_tickets(turn).await,
        C::Ticket(arg) => match ticket_id(arg) {
            Some(id) => ticket_history(turn, id).await,
            None => Ok(usage("/ticket N")),
        },
        C::Take(arg) => match ticket_id(arg) {
            Some(id) => take(turn, id).await,
            None => Ok(usage("/take N")),
        },
        C::Close(arg) => match ticket_id(arg) {
            Some(id) => {
                let note = arg
                    .split_once(char::is_whitespace)
                    .map(|(_, n)| n.trim())
                    .filter(|n| !n.is_empty());
                close(turn, id, note).await
            }
            None => Ok(usage("/close N [not]")),
        },
        C::Reply(arg) => match (
            ticket_id(arg),
            arg.split_once(char::is_whitespace).map(|(_, n)| n.trim()),
        ) {
            (Some(id), Some(text)) if !text.is_empty() => {
                answer_with(turn, id, crate::tickets::answer::Input::Text(text)).await
            }
            _ => Ok(usage("/reply N metin")),
        },
        C::Stats => stats(turn).await,
        C::Faq(arg) => match ticket_id(arg) {
            Some(id) => faq(turn, id).await,
            None => Ok(usage("/faq N")),
        },
        _ => Ok(Vec::new()),
    }
}

pub(crate) async fn open_tickets(turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let open = q::tickets(turn.work.read().await?, Some(TicketStatus::Open)).await?;
    if open.is_empty() {
        return Ok(vec![staff_reply(t(lang, "Açık talep yok. 🎉", "No open tickets. 🎉"))]);
    }
    let lines: Vec<String> = open
        .iter()
        .map(|ticket| {
            let taker = ticket
                .taken_by
                .as_ref()
                .map(|(_, n)| format!(" · 🙋 {}", escape_html(n)))
                .unwrap_or_default();
            format!(
                "<b>#{}</b> · {} · {}{taker}\n<i>{}</i>",
                ticket.id,
                escape_html(&ticket.first_name),
                age(now.duration_since(ticket.created_at).as_secs(), lang),
                escape_html(&shorten(&ticket.question, 120))
            )
        })
        .collect();
    Ok(vec![staff_reply(&lines.join("\n\n"))])
}

pub(crate) async fn ticket_history(turn: &mut Turn<'_>, id: TicketId) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let Some(ticket) = q::ticket(turn.work.read().await?, id).await? else {
        return Ok(vec![staff_reply(&msg::missing(id, lang))]);
    };
    let mut lines = vec![format!(
        "<b>#{}</b> · {} · {} · {}",
        ticket.id,
        escape_html(&ticket.first_name),
        ticket.lang.code(),
        ticket.status.label(lang)
    )];
    for event in q::events(turn.work.read().await?, id).await? {
        let who = event.author.as_ref().map(|(_, n)| escape_html(n)).unwrap_or_default();
        let text = event
            .text
            .as_deref()
            .map(|t| format!(": {}", escape_html(t)))
            .unwrap_or_default();
        lines.push(format!("{} · {} {who}{text}", local(event.at), event.kind.code()));
    }
    Ok(vec![staff_reply(&lines.join("\n"))])
}

/// `/stats`: the figures as text, and a chart of the last weeks beside them.
pub(crate) async fn stats(turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let staff: Vec<i64> = desk.staff.iter().copied().collect();
    let now = desk.clock.now();
    let mut s = crate::stats::gather(turn.work.read().await?, &staff, now).await?;
    s.trained_before = desk.settings.trained_before as u64;
    s.trained_total += s.trained_before;
    let chart = crate::render::chart::StatsChart {
        lang,
        weeks: s
            .questions_per_week
            .iter()
            .map(|(w, a, g, e)| (short_week(w), *a as u32, *g as u32, *e as u32))
            .collect(),
        answer_hours: s
            .answer_hours_per_week
            .iter()
            .map(|(w, h)| (short_week(w), *h))
            .collect(),
        fill: s
            .sessions
            .iter()
            .map(|f| (format!("#{}", f.id), f.confirmed as f64 / f.capacity.max(1) as f64))
            .collect(),
    };
    let png = tokio::task::spawn_blocking(move || crate::render::chart::stats_png(&chart))
        .await
        .map_err(|e| EngineError::Render(e.to_string()))?
        .map_err(crate::trainings::staff::render_error)?;
    let text = staff_reply(&escape_html(&stats_text(&s, lang)));
    let mut picture = Reply::new(
        t(
            lang,
            "📈 Son 12 hafta: sorular, ilk yanıt süresi, oturumların doluluğu",
            "📈 The last 12 weeks: questions, time to a first answer, sessions' fill",
        ),
        Vec::new(),
    );
    picture.document = Some(crate::message::Document {
        name: "eudesk-stats.png".to_owned(),
        bytes: png,
    });
    Ok(vec![text, picture])
}

pub(crate) async fn faq(turn: &mut Turn<'_>, id: TicketId) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let Some(ticket) = q::ticket(turn.work.read().await?, id).await? else {
        return Ok(vec![staff_reply(&msg::missing(id, lang))]);
    };
    let answer = q::events(turn.work.read().await?, id)
        .await?
        .into_iter()
        .find(|e| e.kind == EventKind::Answer)
        .and_then(|e| e.text);
    let Some(answer) = answer else {
        return Ok(vec![staff_reply(t(
            lang,
            "Bu talep henüz yanıtlanmadı.",
            "That ticket has no answer yet.",
        ))]);
    };
    let today = desk.clock.now().to_zoned(office_tz()).date();
    let snippet = msg::faq_snippet(&ticket, &answer, today);
    let html = format!(
        "{}\n<pre>{}</pre>",
        t(
            lang,
            "SSS taslağı (dialogues/ klasörüne yapıştırın, sonra eudesk check):",
            "Draft FAQ node (paste into dialogues/, then run eudesk check):"
        ),
        escape_html(&snippet)
    );
    Ok(vec![staff_reply(&html)])
}

/// The statistics as plain text, for /stats and `eudesk stats`.
/// "2026-W48" → "48/26": short enough under a bar.
fn short_week(week: &str) -> String {
    match week.split_once("-W") {
        Some((year, w)) => format!("{w}/{}", &year[year.len().saturating_sub(2)..]),
        None => week.to_owned(),
    }
}

/// The figures as plain text, in `lang` (the staff chat's, or the command line's).
pub fn stats_text(s: &crate::stats::Stats, lang: Lang) -> String {
    let duration = |secs: Option<i64>| secs.map_or_else(|| "—".to_owned(), |s| age(s, lang));
    let percent = |r: Option<f64>| r.map_or_else(|| "—".to_owned(), |r| format!("%{:.0}", r * 100.0));
    let percent = |r: Option<f64>| match lang {
        Lang::Tr => percent(r),
        Lang::En => r.map_or_else(|| "—".to_owned(), |r| format!("{:.0}%", r * 100.0)),
    };
    let mut lines = match lang {
        Lang::Tr => vec![
            format!("Hizmet verilen kişi: {}", s.people),
            format!(
                "Yazılı sorular: {} diyaloglardan yanıtlandı, {} öneriyle yanıtlandı, {} yanıtlanamadı",
                s.answered, s.suggested, s.escalated
            ),
            format!(
                "Talepler: {} açık, {} yanıtlandı, {} kapandı",
                s.tickets_open, s.tickets_answered, s.tickets_closed
            ),
            format!(
                "İlk yanıt süresi: ortanca {}, %90 {}",
                duration(s.median_first_answer_secs),
                duration(s.p90_first_answer_secs)
            ),
        ],
        Lang::En => vec![
            format!("People served: {}", s.people),
            format!(
                "Free-text questions: {} answered from the dialogues, {} answered with suggestions, {} not answered",
                s.answered, s.suggested, s.escalated
            ),
            format!(
                "Tickets: {} open, {} answered, {} closed",
                s.tickets_open, s.tickets_answered, s.tickets_closed
            ),
            format!(
                "Time to first answer: median {}, 90th percentile {}",
                duration(s.median_first_answer_secs),
                duration(s.p90_first_answer_secs)
            ),
        ],
    };
    let years: Vec<String> = s.trained_per_year.iter().map(|(y, n)| format!("{y}: {n}")).collect();
    lines.push(match lang {
        Lang::Tr => format!(
            "Eğitilen kişi: toplam {} (bottan önce {}{}{})",
            s.trained_total,
            s.trained_before,
            if years.is_empty() { "" } else { "; " },
            years.join(", ")
        ),
        Lang::En => format!(
            "People trained: {} in all ({} before the bot{}{})",
            s.trained_total,
            s.trained_before,
            if years.is_empty() { "" } else { "; " },
            years.join(", ")
        ),
    });
    lines.push(match lang {
        Lang::Tr => format!(
            "Geçmiş oturumlar: doluluk {}, gelmeyen {}",
            percent(s.fill_rate),
            percent(s.no_show_rate)
        ),
        Lang::En => format!(
            "Past sessions: fill rate {}, no-show rate {}",
            percent(s.fill_rate),
            percent(s.no_show_rate)
        ),
    });
    if !s.top_unanswered.is_empty() {
        lines.push(
            t(
                lang,
                "Botun yanıtlayamadığı en sık sorular:",
                "Most frequent questions the bot could not answer:",
            )
            .to_owned(),
        );
        for (normalized, count, example) in &s.top_unanswered {
            lines.push(match lang {
                Lang::Tr => format!("  {count} × {normalized}  (örnek: \"{example}\")"),
                Lang::En => format!("  {count} × {normalized}  (e.g. \"{example}\")"),
            });
        }
    }
    let subscribers: Vec<String> = s.subscribers.iter().map(|(t, n)| format!("{t} {n}")).collect();
    lines.push(match lang {
        Lang::Tr => format!(
            "Duyuru aboneleri: {}",
            if subscribers.is_empty() {
                "—".to_owned()
            } else {
                subscribers.join(", ")
            }
        ),
        Lang::En => format!(
            "Alert subscribers: {}",
            if subscribers.is_empty() {
                "—".to_owned()
            } else {
                subscribers.join(", ")
            }
        ),
    });
    lines.push(match lang {
        Lang::Tr => format!(
            "Duyurular: {} gönderim, {} iletildi, {} engellemiş, {} hata; «Hatırlat» {} kez",
            s.alerts_total, s.alerts_delivered, s.alerts_blocked, s.alerts_failed, s.remind_presses
        ),
        Lang::En => format!(
            "Alerts: {} to send, {} delivered, {} blocked, {} failed; «Remind me» pressed {} times",
            s.alerts_total, s.alerts_delivered, s.alerts_blocked, s.alerts_failed, s.remind_presses
        ),
    });
    lines.push(match lang {
        Lang::Tr => format!("Yanıtlayan düğüme bağlanan talepler: {}", s.tickets_linked),
        Lang::En => format!("Tickets linked to the node that answers them: {}", s.tickets_linked),
    });
    if !s.learned_by_node.is_empty() {
        let nodes: Vec<String> = s
            .learned_by_node
            .iter()
            .map(|(node, n)| format!("{node} +{n}"))
            .collect();
        lines.push(format!(
            "{}: {}",
            t(lang, "Söyleniş kazanan düğümler", "Nodes gaining phrasings"),
            nodes.join(", ")
        ));
    }
    lines.join("\n")
}
