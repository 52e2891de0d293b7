//! A person's own registrations in the conversation: the list, cancelling one (asked
//! first), and the upcoming sessions they hold a seat in.

use crate::conversation::{EngineError, Placement, Reply, Turn};
use crate::message::{Callback, to};
use crate::storage::trainings;
use crate::trainings::book::{button_label, my_registrations_button};
use crate::trainings::notices::{standing, title, when_and_where};
use crate::trainings::service::{self as training, Cancelled};
use crate::trainings::{Registration, RegistrationId, Session};

use crate::conversation::main_button;
use crate::conversation::ui::pick as t;

/// The person's upcoming registrations, each with a Cancel button.
pub(crate) async fn my_registrations(turn: &mut Turn<'_>, placement: Placement) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let mine = upcoming(turn).await?;
    let mut keyboard = Vec::new();
    let html = if mine.is_empty() {
        t(
            lang,
            "Yaklaşan bir eğitim kaydınız yok.",
            "You have no upcoming training registrations.",
        )
        .to_owned()
    } else {
        let mut lines = vec![t(lang, "<b>Eğitim kayıtlarınız</b>", "<b>Your training registrations</b>").to_owned()];
        for (r, s) in &mine {
            lines.push(format!(
                "\n<b>{}</b>\n{}\n{}",
                title(s, lang),
                when_and_where(s, lang),
                standing(r, s, lang)
            ));
            let label = button_label(format!("✖️ {} {}", t(lang, "İptal:", "Cancel:"), s.title(lang)));
            keyboard.push(vec![to(&label, Callback::CancelAsk(r.id))]);
        }
        lines.join("\n")
    };
    keyboard.push(vec![to(t(lang, "📝 Eğitimler", "📝 Trainings"), Callback::Trainings)]);
    keyboard.push(vec![main_button(lang)]);
    Ok(vec![Reply::new(html, keyboard).placed(placement)])
}

pub(crate) async fn cancel_ask(turn: &mut Turn<'_>, id: RegistrationId) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let mine = upcoming(turn).await?;
    let Some((_, session)) = mine.iter().find(|(r, _)| r.id == id) else {
        return not_yours(turn).await;
    };
    let html = format!(
        "{}\n\n<b>{}</b>\n{}",
        t(
            lang,
            "Bu kaydı iptal etmek istediğinize emin misiniz?",
            "Are you sure you want to cancel this registration?"
        ),
        title(session, lang),
        when_and_where(session, lang)
    );
    let keyboard = vec![
        vec![to(t(lang, "Evet, iptal et", "Yes, cancel it"), Callback::CancelDo(id))],
        vec![to(t(lang, "Hayır, kalsın", "No, keep it"), Callback::MyRegistrations)],
    ];
    Ok(vec![Reply::new(html, keyboard).placed(Placement::Replace)])
}

pub(crate) async fn cancel_do(turn: &mut Turn<'_>, id: RegistrationId) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let outcome = training::cancel_registration(turn.work.write().await?, id, turn.user, now).await?;
    match outcome {
        Cancelled::Done { session, .. } => {
            let html = format!(
                "{}\n\n<b>{}</b>",
                t(
                    lang,
                    "Kaydınız iptal edildi. Haber verdiğiniz için teşekkürler.",
                    "Your registration is cancelled. Thank you for letting us know."
                ),
                title(&session, lang)
            );
            let keyboard = vec![vec![my_registrations_button(lang)], vec![main_button(lang)]];
            Ok(vec![Reply::new(html, keyboard).placed(Placement::Replace)])
        }
        Cancelled::NotFound => not_yours(turn).await,
    }
}

/// A registration id that is not the person's, or no longer live: the list again.
pub(crate) async fn not_yours(turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let mut replies = my_registrations(turn, Placement::Replace).await?;
    replies[0] = replies[0].clone().with_notice(t(
        lang,
        "Bu kayıt bulunamadı ya da zaten iptal edilmiş.",
        "That registration cannot be found, or is already cancelled.",
    ));
    Ok(replies)
}

/// The person's live registrations for sessions that have not started, with their
/// sessions, soonest first.
pub(crate) async fn upcoming(turn: &mut Turn<'_>) -> Result<Vec<(Registration, Session)>, EngineError> {
    let desk = turn.desk;
    let now = desk.clock.now();
    let conn = turn.work.read().await?;
    let mut out = Vec::new();
    for r in trainings::upcoming_of(&mut *conn, turn.user.0, now).await? {
        if let Some(s) = trainings::session(&mut *conn, r.session).await? {
            out.push((r, s));
        }
    }
    Ok(out)
}
