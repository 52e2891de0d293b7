//! Staff running trainings from Telegram: the list of sessions, a session's card and
//! what can be done from it (change, close, reopen, cancel, the list as a spreadsheet,
//! the links and QR codes, the check-in list, the survey's results), `/attendees`,
//! `/broadcast`, `/report`, `/verify`. Only staff reach these (checked where they are
//! routed). Forms that take several messages (a new session, a change) run in the
//! staff member's private chat; in the staff group the card points there.

use crate::conversation::{DeepLink, EngineError, Place, Placement, Reply, Turn};
use crate::conversation::{notice, staff_reply};
use crate::dialogue::render::escape_html;
use crate::lang::{Lang, pick as t};
use crate::message::{Button, Document};
use crate::message::{Callback, SessionVerb, to};
use crate::storage::{surveys, trainings};
use crate::trainings::card::{
    new_session_button, no_such_session, session_card, session_id, session_label, state_word,
};
use crate::trainings::certificate::{self, Verified};
use crate::trainings::form::start_form;
use crate::trainings::{Attendance, Session, SessionId, Status, attendance, export, service as training, time};

/// `/sessions`: every session not long past, a button each, and a new one.
pub(crate) async fn staff_sessions(turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let recent = now
        .checked_sub(jiff::SignedDuration::from_hours(24 * 60))
        .unwrap_or(now);
    let sessions: Vec<Session> = trainings::sessions(turn.work.read().await?)
        .await?
        .into_iter()
        .filter(|s| s.details.ends >= recent)
        .collect();
    let html = if sessions.is_empty() {
        t(
            lang,
            "Son iki aydan bu yana oturum yok. Yeni bir oturum eklemek için aşağıdaki düğme.",
            "No sessions in the last two months or ahead. The button below adds one.",
        )
        .to_owned()
    } else {
        let lines: Vec<String> = sessions
            .iter()
            .map(|s| {
                format!(
                    "#{} <b>{}</b>\n{} · {} · {}/{} {} · {} {}",
                    s.id,
                    escape_html(s.title(lang)),
                    time::local(s.details.starts),
                    state_word(s.state, lang),
                    s.confirmed,
                    s.details.capacity,
                    t(lang, "kesin", "confirmed"),
                    s.waitlisted,
                    t(lang, "yedek", "waitlisted"),
                )
            })
            .collect();
        format!("<b>{}</b>\n\n{}", t(lang, "Oturumlar", "Sessions"), lines.join("\n\n"))
    };
    let mut keyboard: Vec<Vec<Button>> = sessions
        .iter()
        .map(|s| vec![to(&session_label(s, lang), Callback::StaffSession(s.id))])
        .collect();
    keyboard.push(vec![new_session_button(turn)]);
    Ok(vec![Reply::new(html, keyboard)])
}

/// `/newsession` in the staff group: the form runs in the private chat.
pub(crate) fn new_session_in_private(turn: &Turn<'_>) -> Reply {
    let html = t(
        turn.lang,
        "Yeni oturum formu özel sohbette doldurulur (birkaç mesaj sürer, grubu kalabalıklaştırmasın):",
        "The new-session form is filled in a private chat (it takes a few messages; the group stays quiet):",
    );
    Reply::new(html, vec![vec![new_session_button(turn)]])
}

/// A button on a session's card.
pub(crate) async fn session_act(
    turn: &mut Turn<'_>,
    verb: SessionVerb,
    id: SessionId,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    match verb {
        SessionVerb::Edit => match turn.place {
            Place::Private => {
                turn.abandon_flow();
                start_form(turn, Some(id)).await
            }
            Place::StaffChat(_) => Ok(vec![staff_reply(t(
                lang,
                "Oturum değişikliği özel sohbette yapılır: bana özelden yazıp /sessions ile oturumu açın.",
                "Sessions are changed in a private chat: write to me privately and open the session from /sessions.",
            ))]),
        },
        SessionVerb::Close | SessionVerb::Reopen => {
            let open = verb == SessionVerb::Reopen;
            if !training::set_open(turn.work.write().await?, id, open).await? {
                return Ok(vec![staff_reply(&no_such_session(lang, id))]);
            }
            session_card(turn, id, Placement::Replace).await
        }
        SessionVerb::Cancel => {
            let Some(s) = trainings::session(turn.work.read().await?, id).await? else {
                return Ok(vec![staff_reply(&no_such_session(lang, id))]);
            };
            let told = s.confirmed + s.waitlisted;
            let html = match lang {
                Lang::Tr => format!(
                    "❗ <b>{}</b> oturumu iptal edilsin mi? Kayıtlı {told} kişiye (kesin ve yedek) kendi dillerinde haber verilir ve takvimlerinden kaldıran dosya gönderilir. Bu geri alınamaz.",
                    escape_html(s.title(lang))
                ),
                Lang::En => format!(
                    "❗ Cancel <b>{}</b>? The {told} people registered (confirmed and waitlisted) are told in their language and sent a file that removes it from their calendar. This cannot be undone.",
                    escape_html(s.title(lang))
                ),
            };
            let keyboard = vec![
                vec![to(
                    t(lang, "❌ Evet, iptal et ve haber ver", "❌ Yes, cancel and tell them"),
                    Callback::SessionAct(SessionVerb::CancelDo, id),
                )],
                vec![to(t(lang, "« Vazgeç", "« Keep it"), Callback::StaffSession(id))],
            ];
            Ok(vec![Reply::new(html, keyboard).placed(Placement::Replace)])
        }
        SessionVerb::CancelDo => {
            let html = match training::cancel_session(turn.work.write().await?, id, now).await? {
                None => match lang {
                    Lang::Tr => format!("#{id} oturumu yok ya da zaten iptal edilmiş."),
                    Lang::En => format!("Session #{id} does not exist or was already cancelled."),
                },
                Some(n) => match lang {
                    Lang::Tr => format!("#{id} oturumu iptal edildi; {n} kişiye haber veriliyor."),
                    Lang::En => format!("Session #{id} is cancelled; {n} people are being told."),
                },
            };
            Ok(vec![Reply::new(html, Vec::new()).placed(Placement::Replace)])
        }
        SessionVerb::Attendees => attendees_workbook(turn, id).await,
        SessionVerb::Links => session_links(turn, id).await,
        SessionVerb::CheckIn => check_in_list(turn, id, Placement::New).await,
        SessionVerb::Report => survey_report(turn, id).await,
    }
}

/// The booking link and the check-in link of a session, each with its QR code.
pub(crate) async fn session_links(turn: &mut Turn<'_>, id: SessionId) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let Some(s) = trainings::session(turn.work.read().await?, id).await? else {
        return Ok(vec![staff_reply(&no_such_session(lang, id))]);
    };
    let key = attendance::checkin_key(turn.work.write().await?, id).await?;
    let (Some(booking), Some(check_in)) = (
        desk.link(&DeepLink::Booking(id)),
        desk.link(&DeepLink::CheckIn(id, key)),
    ) else {
        return Ok(vec![staff_reply(t(
            lang,
            "Bağlantılar yalnızca Telegram botu çalışırken üretilebilir.",
            "Links can only be made while the Telegram bot runs.",
        ))]);
    };
    let mut booking_reply = Reply::new(
        format!(
            "🔗 <b>{}</b> — {}\n{booking}\n\n{}",
            escape_html(s.title(lang)),
            t(lang, "kayıt bağlantısı", "booking link"),
            t(
                lang,
                "Afiş ve sunumlar için: bu QR kodu okutan kişi doğrudan kayıt ekranına gelir.",
                "For posters and slides: whoever scans this QR code lands on the booking.",
            )
        ),
        Vec::new(),
    );
    booking_reply.document = Some(Document {
        name: format!("qr-booking-session-{id}.png"),
        bytes: crate::render::qr::qr_png(&booking).map_err(render_error)?,
    });
    let mut check_in_reply = Reply::new(
        format!(
            "✅ <b>{}</b>\n{check_in}\n\n{}",
            t(lang, "Yoklama QR kodu", "Check-in QR code"),
            t(
                lang,
                "Eğitim günü salonda gösterin: kesin kayıtlı katılımcılar okutunca geldi olarak işaretlenir (oturumdan bir saat önce ile bir saat sonrası arasında). Bu kodu önceden paylaşmayın.",
                "Show it in the room on the day: confirmed registrants who scan it are marked present (from an hour before the session to an hour after). Do not share it in advance.",
            )
        ),
        Vec::new(),
    );
    check_in_reply.document = Some(Document {
        name: format!("qr-checkin-session-{id}.png"),
        bytes: crate::render::qr::qr_png(&check_in).map_err(render_error)?,
    });
    Ok(vec![booking_reply, check_in_reply])
}

/// The confirmed registrants, one button each to mark them present or not.
pub(crate) async fn check_in_list(
    turn: &mut Turn<'_>,
    id: SessionId,
    placement: Placement,
) -> Result<Vec<Reply>, EngineError> {
    /// Telegram shows up to 100 buttons under a message.
    const MAX: usize = 95;
    let lang = turn.lang;
    let Some(s) = trainings::session(turn.work.read().await?, id).await? else {
        return Ok(vec![staff_reply(&no_such_session(lang, id))]);
    };
    let confirmed: Vec<_> = trainings::registrations(turn.work.read().await?, id)
        .await?
        .into_iter()
        .filter(|r| r.status == Status::Confirmed)
        .collect();
    let mut html = format!(
        "✅ <b>{}</b> — {}\n{}: {} · {}: {} · {}: {}",
        escape_html(s.title(lang)),
        t(lang, "yoklama", "check-in"),
        t(lang, "geldi", "present"),
        s.present,
        t(lang, "gelmedi", "no-show"),
        s.absent,
        t(lang, "kesin kayıt", "confirmed"),
        s.confirmed
    );
    html.push_str(t(
        lang,
        "\n\nGelen kişinin adına dokunun; yanlışlıkla işaretlediyseniz yeniden dokunun.",
        "\n\nTap a name when the person is here; tap again to undo.",
    ));
    if confirmed.len() > MAX {
        html.push_str(&match lang {
            Lang::Tr => format!("\n\nİlk {MAX} kişi gösteriliyor; diğerleri QR kodla giriş yapabilir."),
            Lang::En => format!("\n\nThe first {MAX} are shown; the others can check in with the QR code."),
        });
    }
    let keyboard = confirmed
        .iter()
        .take(MAX)
        .map(|r| {
            let present = r.attendance == Some(Attendance::Present);
            let mark = match r.attendance {
                Some(Attendance::Present) => "✅",
                Some(Attendance::Absent) => "✖️",
                None => "⬜",
            };
            let label: String = format!("{mark} {}", r.attendee.name.as_str())
                .chars()
                .take(60)
                .collect();
            vec![to(&label, Callback::Tick(r.id, !present))]
        })
        .collect();
    Ok(vec![Reply::new(html, keyboard).placed(placement)])
}

/// A tap on the check-in list.
pub(crate) async fn tick(
    turn: &mut Turn<'_>,
    id: crate::trainings::RegistrationId,
    present: bool,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let now = desk.clock.now();
    let Some(r) = attendance::tick(turn.work.write().await?, id, present, now).await? else {
        return Ok(vec![staff_reply(t(
            turn.lang,
            "Bu kayıt artık kesin değil (iptal edilmiş olabilir).",
            "This registration is no longer a confirmed one (it may have been cancelled).",
        ))]);
    };
    check_in_list(turn, r.session, Placement::Replace).await
}

/// The registrations as an Excel workbook.
pub(crate) async fn attendees_workbook(turn: &mut Turn<'_>, id: SessionId) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let Some(s) = trainings::session(turn.work.read().await?, id).await? else {
        return Ok(vec![staff_reply(&no_such_session(lang, id))]);
    };
    let registrations = trainings::registrations(turn.work.read().await?, id).await?;
    let mut reply = Reply::new(
        format!(
            "<b>{}</b> — {} {} · {} {}",
            escape_html(s.title(lang)),
            s.confirmed,
            t(lang, "kesin", "confirmed"),
            s.waitlisted,
            t(lang, "yedek", "waitlisted")
        ),
        Vec::new(),
    );
    reply.document = Some(Document {
        name: format!("katilimcilar-oturum-{id}.xlsx"),
        bytes: export::xlsx(&registrations, lang).map_err(render_error)?,
    });
    Ok(vec![reply])
}

/// `/attendees N`.
pub(crate) async fn staff_attendees(turn: &mut Turn<'_>, arg: &str) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    match session_id(arg) {
        Some(id) => attendees_workbook(turn, id).await,
        None => Ok(vec![notice(
            lang,
            t(
                lang,
                "Kullanım: /attendees N (oturum numarası, /sessions listesinde)",
                "Usage: /attendees N (the session number, from /sessions)",
            ),
        )]),
    }
}

/// The survey's results for a session, as text and as a workbook.
pub(crate) async fn survey_report(turn: &mut Turn<'_>, id: SessionId) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let Some(s) = trainings::session(turn.work.read().await?, id).await? else {
        return Ok(vec![staff_reply(&no_such_session(lang, id))]);
    };
    let answers = surveys::answers(turn.work.read().await?, id).await?;
    let tree = desk.tree();
    let report = crate::trainings::survey::report(tree.survey(), &answers, lang);
    let mut lines = vec![format!(
        "📊 <b>{}</b> — {}: {} / {}",
        escape_html(s.title(lang)),
        t(lang, "anket yanıtı", "survey responses"),
        report.responses,
        s.present
    )];
    for r in &report.ratings {
        lines.push(format!(
            "• {}: <b>{}</b> ({} {})",
            escape_html(&r.text),
            r.average.map_or_else(|| "—".to_owned(), |a| format!("{a:.1}")),
            r.answers,
            t(lang, "yanıt", "answers")
        ));
    }
    if !report.comments.is_empty() {
        lines.push(String::new());
        lines.push(format!("<b>{}</b>", t(lang, "Yorumlar", "Comments")));
        for (_, comment) in report.comments.iter().take(10) {
            lines.push(format!("— {}", escape_html(&crate::text::shorten(comment, 300))));
        }
        if report.comments.len() > 10 {
            lines.push(t(lang, "(tümü ekteki dosyada)", "(all of them in the attached file)").to_owned());
        }
    }
    let mut reply = Reply::new(lines.join("\n"), Vec::new());
    if report.responses > 0 {
        reply.document = Some(Document {
            name: format!("anket-oturum-{id}.xlsx"),
            bytes: crate::trainings::survey::xlsx(&report, lang).map_err(render_error)?,
        });
    }
    Ok(vec![reply])
}

/// `/report N`.
pub(crate) async fn report_command(turn: &mut Turn<'_>, arg: &str) -> Result<Vec<Reply>, EngineError> {
    match session_id(arg) {
        Some(id) => survey_report(turn, id).await,
        None => Ok(vec![staff_reply(t(
            turn.lang,
            "Kullanım: /report N (oturum numarası)",
            "Usage: /report N (the session number)",
        ))]),
    }
}

/// `/verify CODE`: what a certificate's code certifies.
pub(crate) async fn verify_command(turn: &mut Turn<'_>, arg: &str) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    if arg.trim().is_empty() {
        return Ok(vec![staff_reply(t(
            lang,
            "Kullanım: /verify KOD (belgenin altındaki kod)",
            "Usage: /verify CODE (the code at the bottom of the certificate)",
        ))]);
    }
    let html = match certificate::verify(turn.work.read().await?, arg).await? {
        Verified::Unknown => match lang {
            Lang::Tr => format!(
                "❌ <code>{}</code> koduyla verilmiş bir belge yok.",
                escape_html(arg.trim())
            ),
            Lang::En => format!(
                "❌ No certificate was issued with the code <code>{}</code>.",
                escape_html(arg.trim())
            ),
        },
        Verified::Valid { issued, session } => verified_text(&issued, session.as_deref(), lang),
    };
    Ok(vec![staff_reply(&html)])
}

/// `/broadcast N text`: the text, escaped, to every confirmed attendee, through the
/// outbox so that nobody is skipped when Telegram hiccups.
pub(crate) async fn staff_broadcast(turn: &mut Turn<'_>, arg: &str) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let usage = t(
        lang,
        "Kullanım: /broadcast N mesaj (N: oturum numarası)",
        "Usage: /broadcast N message (N: the session number)",
    );
    let (Some(id), Some(text)) = (
        session_id(arg),
        arg.split_once(char::is_whitespace).map(|(_, t)| t.trim()),
    ) else {
        return Ok(vec![notice(lang, usage)]);
    };
    if text.is_empty() {
        return Ok(vec![notice(lang, usage)]);
    }
    let now = desk.clock.now();
    let html = match training::broadcast(turn.work.write().await?, id, text, now).await? {
        None => no_such_session(lang, id),
        Some(n) => match lang {
            Lang::Tr => format!("Mesaj {n} kesin katılımcıya gönderilmek üzere sıraya alındı."),
            Lang::En => format!("The message is queued for {n} confirmed attendee(s)."),
        },
    };
    Ok(vec![notice(lang, &html)])
}

/// What a valid certificate code confirms, for staff and for the command line.
pub fn verified_text(issued: &crate::storage::certificates::Issued, session: Option<&Session>, lang: Lang) -> String {
    let training = session.map_or_else(
        || format!("#{}", issued.session),
        |s| format!("{} ({})", escape_html(s.title(lang)), escape_html(&s.when(lang))),
    );
    let name = issued.name.as_deref().map_or_else(
        || {
            t(
                lang,
                "(ad artık saklanmıyor: kişinin isteğiyle ya da saklama süresi dolduğu için silindi)",
                "(the name is no longer kept: erased at the person's request or after the retention period)",
            )
            .to_owned()
        },
        |n| format!("<b>{}</b>", escape_html(n)),
    );
    match lang {
        Lang::Tr => format!(
            "✅ Geçerli belge <code>{}</code>\n{name}\n{training} eğitimine katıldı.\nVeriliş: {}",
            certificate::display(&issued.code),
            time::local(issued.issued_at)
        ),
        Lang::En => format!(
            "✅ Valid certificate <code>{}</code>\n{name}\nattended {training}.\nIssued: {}",
            certificate::display(&issued.code),
            time::local(issued.issued_at)
        ),
    }
}

pub(crate) fn render_error(err: crate::render::RenderError) -> EngineError {
    EngineError::Render(err.to_string())
}
