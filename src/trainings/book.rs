//! PCM training booking in the conversation: the list of sessions and the step-by-step
//! registration (its questions are in `book_prompt`, a person's own registrations in
//! `mine`).

use crate::conversation::flow::{Booking, Flow, Step};
use crate::conversation::{EngineError, Placement, Reply, Turn};
use crate::lang::Lang;
use crate::message::Button;
use crate::message::FormPress;
use crate::message::{Callback, to};
use crate::storage::trainings;
use crate::trainings::book_prompt::flow_prompt;
use crate::trainings::notices::{calendar, standing, title, when_and_where};
use crate::trainings::service::{self as training, Booked};
use crate::trainings::{
    Attendee, Email, FieldError, OrgType, Organisation, PersonName, Phone, Session, SessionId, Status,
};

use crate::conversation::ui::pick as t;
use crate::conversation::{main_button, notice};

pub(crate) fn my_registrations_button(lang: Lang) -> Button {
    to(
        t(lang, "📋 Kayıtlarım", "📋 My registrations"),
        Callback::MyRegistrations,
    )
}

/// Session titles make long button labels: Telegram shows about a phone's width.
pub(crate) fn button_label(label: String) -> String {
    label.chars().take(60).collect()
}

/// The message that carries the calendar file.
fn calendar_reply(session: &Session, lang: Lang, now: jiff::Timestamp) -> Reply {
    let mut reply = Reply::new(t(lang, "📅 Takviminize ekleyin", "📅 Add to calendar"), Vec::new());
    reply.document = Some(calendar(session, lang, now));
    reply
}

/// The sessions open for booking, each a button.
pub(crate) async fn trainings(turn: &mut Turn<'_>, placement: Placement) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let open: Vec<Session> = trainings::sessions(turn.work.read().await?)
        .await?
        .into_iter()
        .filter(|s| s.bookable(now))
        .collect();
    let mut keyboard: Vec<Vec<Button>> = Vec::new();
    let html = if open.is_empty() {
        t(
            lang,
            "Şu anda kayda açık bir PCM eğitimi yok. Yeni tarihler açıldığında burada görünecek; daha sonra tekrar bakın.",
            "No PCM training is open for booking right now. New dates will appear here; please check again later.",
        )
        .to_owned()
    } else {
        let mut lines = vec![
            t(
                lang,
                "<b>Kayda açık PCM eğitimleri</b>\nKaydolmak istediğinizi seçin:",
                "<b>PCM trainings open for booking</b>\nChoose one to book:",
            )
            .to_owned(),
        ];
        for s in &open {
            let seats = if s.free_seats() > 0 {
                match lang {
                    Lang::Tr => format!("{} boş yer", s.free_seats()),
                    Lang::En => format!("{} seats free", s.free_seats()),
                }
            } else {
                t(lang, "dolu, yedek liste", "full, waitlist").to_owned()
            };
            lines.push(format!(
                "\n<b>{}</b>\n{}\n👥 {seats}",
                title(s, lang),
                when_and_where(s, lang)
            ));
            let date = crate::trainings::time::local(s.details.starts);
            let label = button_label(format!("📝 {} · {}", s.title(lang), &date[..10]));
            keyboard.push(vec![to(&label, Callback::Session(s.id))]);
        }
        lines.join("\n")
    };
    keyboard.push(vec![my_registrations_button(lang)]);
    keyboard.push(vec![main_button(lang)]);
    Ok(vec![Reply::new(html, keyboard).placed(placement)])
}

/// Starts booking a session, or shows the person's registration if they have one.
pub(crate) async fn start_booking(
    turn: &mut Turn<'_>,
    id: SessionId,
    placement: Placement,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let session = trainings::session(turn.work.read().await?, id).await?;
    let Some(session) = session.filter(|s| s.bookable(now)) else {
        let mut replies = trainings(turn, placement).await?;
        replies[0] = replies[0].clone().with_notice(t(
            lang,
            "Bu eğitim kayda açık değil (kapanmış, iptal edilmiş ya da geçmiş olabilir).",
            "That training is not open for booking (it may be closed, cancelled or past).",
        ));
        return Ok(replies);
    };
    if let Some(r) = trainings::live_registration(turn.work.read().await?, id, turn.user.0).await? {
        let html = format!(
            "{}\n\n<b>{}</b>\n{}\n\n{}",
            t(
                lang,
                "Bu eğitime zaten kaydınız var:",
                "You are already registered for this training:"
            ),
            title(&session, lang),
            when_and_where(&session, lang),
            standing(&r, &session, lang)
        );
        let keyboard = vec![
            vec![to(
                t(lang, "✖️ Kaydımı iptal et", "✖️ Cancel my registration"),
                Callback::CancelAsk(r.id),
            )],
            vec![main_button(lang)],
        ];
        return Ok(vec![Reply::new(html, keyboard).placed(placement)]);
    }
    turn.flow = Some(Flow::Booking(Booking::new(id)));
    let full = if session.free_seats() == 0 {
        t(
            lang,
            "\n\n⏳ Bu eğitim dolu; kaydolursanız yedek listeye alınırsınız ve yer açılınca hemen haber veririm.",
            "\n\n⏳ This training is full; if you book, you join the waitlist and I will tell you at once when a seat opens.",
        )
    } else {
        ""
    };
    let intro = format!(
        "<b>{}</b>\n{}{full}\n\n{}",
        title(&session, lang),
        when_and_where(&session, lang),
        t(
            lang,
            "Kayıt birkaç kısa sorudan oluşur; istediğiniz an /cancel ile vazgeçebilirsiniz.",
            "Booking takes a few short questions; you can stop at any time with /cancel."
        )
    );
    let mut replies = vec![Reply::new(intro, Vec::new()).placed(placement)];
    replies.extend(flow_prompt(turn).await?);
    Ok(replies)
}

/// Typed text during a booking: the answer to the current step.
pub(crate) async fn flow_text(turn: &mut Turn<'_>, text: &str) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let Some(Flow::Booking(mut b)) = turn.flow.clone() else {
        return Ok(Vec::new());
    };
    let parsed: Result<(), FieldError> = match b.step {
        Step::Name => PersonName::parse(text).map(|v| b.name = Some(v)),
        Step::Organisation => Organisation::parse(text).map(|v| b.organisation = Some(v)),
        Step::Email => Email::parse(text).map(|v| b.email = Some(v)),
        Step::Phone => Phone::parse(text).map(|v| {
            b.phone = Some(v);
            b.phone_skipped = false;
        }),
        Step::OrgType | Step::Consent | Step::Summary | Step::Edit => {
            let mut replies = vec![Reply::new(
                t(
                    lang,
                    "Lütfen aşağıdaki düğmelerden birini seçin.",
                    "Please choose one of the buttons below.",
                ),
                Vec::new(),
            )];
            replies.extend(flow_prompt(turn).await?);
            return Ok(replies);
        }
    };
    match parsed {
        Ok(()) => {
            b.advance();
            turn.flow = Some(Flow::Booking(b));
            flow_prompt(turn).await
        }
        Err(e) => {
            let mut replies = vec![Reply::new(e.explain(lang), Vec::new())];
            replies.extend(flow_prompt(turn).await?);
            Ok(replies)
        }
    }
}

/// A button pressed during a booking.
pub(crate) async fn flow_press(turn: &mut Turn<'_>, value: FormPress) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let Some(Flow::Booking(mut b)) = turn.flow.clone() else {
        // A button of a booking that has ended (or never began here).
        let mut replies = trainings(turn, Placement::Replace).await?;
        replies[0] = replies[0].clone().with_notice(t(
            lang,
            "O kayıt işlemi artık sürmüyor.",
            "That booking is no longer in progress.",
        ));
        return Ok(replies);
    };
    match (b.step, value) {
        (_, FormPress::Cancel) => {
            turn.flow = None;
            return Ok(vec![
                notice(lang, crate::conversation::ui::booking_cancelled(lang)).placed(Placement::Replace),
            ]);
        }
        (Step::OrgType, FormPress::Org(o)) => {
            b.org_type = Some(o);
            if o == OrgType::Individual {
                b.organisation = Organisation::parse(o.label(lang)).ok();
            } else if b
                .organisation
                .as_ref()
                .is_some_and(|x| Some(x.as_str()) == Some(OrgType::Individual.label(lang)))
            {
                b.organisation = None;
            }
            b.advance();
            // Changing the type to one with a name, while editing, asks the name.
            if b.step == Step::Summary && b.organisation.is_none() {
                b.step = Step::Organisation;
                b.editing = true;
            }
        }
        (Step::Phone, FormPress::Skip) => {
            b.phone = None;
            b.phone_skipped = true;
            b.advance();
        }
        (Step::Consent, FormPress::Yes) => {
            b.consented = true;
            b.advance();
        }
        (Step::Consent, FormPress::No) => {
            turn.flow = None;
            let html = t(
                lang,
                "Kişisel verilerinizin işlenmesine onay vermeden kaydınızı alamıyoruz. Hiçbir bilginiz saklanmadı. Fikrinizi değiştirirseniz /trainings ile yeniden başlayabilirsiniz.",
                "Without your consent to the processing of your personal data we cannot register you. Nothing you typed was stored. If you change your mind, start again with /trainings.",
            );
            return Ok(vec![notice(lang, html)]);
        }
        (Step::Summary, FormPress::Confirm) => return confirm(turn, b).await,
        (Step::Summary, FormPress::Edit) => b.step = Step::Edit,
        (Step::Edit, FormPress::Summary) => b.step = Step::Summary,
        (Step::Edit, FormPress::Answer(step)) if Step::EDITABLE.contains(&step) => {
            b.editing = true;
            b.step = step;
        }
        // A button from an earlier step, pressed again: ask the current one.
        _ => return flow_prompt(turn).await,
    }
    turn.flow = Some(Flow::Booking(b));
    flow_prompt(turn).await
}

pub(crate) async fn confirm(turn: &mut Turn<'_>, b: Booking) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let (Some(name), Some(org_type), Some(organisation), Some(email), true) = (
        b.name.clone(),
        b.org_type,
        b.organisation.clone(),
        b.email.clone(),
        b.consented,
    ) else {
        // Cannot happen through the buttons; a hand-made press lands back on a step.
        let mut b = b;
        b.step = Step::Name;
        turn.flow = Some(Flow::Booking(b));
        return flow_prompt(turn).await;
    };
    let tree = desk.tree();
    let Some(consent) = tree.consent() else {
        turn.flow = None;
        return Ok(vec![notice(
            lang,
            crate::conversation::ui::registration_unavailable(lang),
        )]);
    };
    let attendee = Attendee {
        name,
        organisation,
        org_type,
        email,
        phone: b.phone.clone(),
    };
    let now = desk.clock.now();
    let session_id = b.session;
    let booked = training::book(
        turn.work.write().await?,
        session_id,
        turn.user,
        lang,
        &attendee,
        &consent.version,
        now,
    )
    .await?;
    turn.flow = None;
    let session = trainings::session(turn.work.read().await?, session_id).await?;
    Ok(match (booked, session) {
        (Booked::New(r), Some(session)) => {
            let head = match r.status {
                Status::Confirmed => t(lang, "🎉 Kaydınız tamamlandı!", "🎉 You are booked!"),
                _ => t(lang, "Kaydınızı aldım.", "I have your booking."),
            };
            let tail = match r.status {
                Status::Waitlisted => t(
                    lang,
                    "Bir yer açılırsa sizi hemen otomatik olarak kesin kayda alır ve haber veririm.",
                    "If a seat opens you move up automatically, and I will tell you at once.",
                ),
                _ => t(
                    lang,
                    "Katılamayacak olursanız lütfen /myregistrations ile iptal edin; yeriniz yedek listedeki kişiye geçer.",
                    "If you cannot come, please cancel with /myregistrations so that your seat goes to the next person on the waitlist.",
                ),
            };
            let html = format!(
                "{head}\n\n<b>{}</b>\n{}\n\n{}\n\n{tail}",
                title(&session, lang),
                when_and_where(&session, lang),
                standing(&r, &session, lang)
            );
            let keyboard = vec![vec![my_registrations_button(lang)], vec![main_button(lang)]];
            let mut replies = vec![Reply::new(html, keyboard).placed(Placement::Replace)];
            if r.status == Status::Confirmed {
                replies.push(calendar_reply(&session, lang, now));
            }
            replies
        }
        (Booked::Already(r), Some(session)) => vec![Reply::new(
            format!(
                "{}\n\n<b>{}</b>\n{}",
                t(
                    lang,
                    "Bu eğitime zaten kaydınız var.",
                    "You are already registered for this training."
                ),
                title(&session, lang),
                standing(&r, &session, lang)
            ),
            vec![vec![main_button(lang)]],
        )],
        _ => {
            let mut replies = trainings(turn, Placement::New).await?;
            replies[0] = replies[0].clone().with_notice(t(
                lang,
                "Üzgünüm, bu eğitimin kaydı siz bilgileri girerken kapandı. Bilgileriniz saklanmadı.",
                "Sorry, booking for this training closed while you were filling in the form. Nothing was stored.",
            ));
            replies
        }
    })
}
