//! Messages about trainings that reach people outside their own conversation (through
//! the outbox): moving up from the waitlist, reminders, a changed or cancelled session,
//! the invitation to the survey and the certificate afterwards. Plain
//! functions of the registration, so the command line can queue them without loading
//! the dialogues.

use super::Reminder;
use crate::dialogue::render::escape_html;
use crate::lang::{Lang, pick as t};
use crate::message::{Callback, to};
use crate::message::{Document, OutMessage, Recipient};
use crate::trainings::{Registration, Session, Status, ics};
use jiff::Timestamp;

/// "📅 when\n📍 place", escaped.
pub fn when_and_where(session: &Session, lang: Lang) -> String {
    format!(
        "📅 {}\n📍 {}",
        escape_html(&session.when(lang)),
        escape_html(&session.details.place)
    )
}

pub fn title(session: &Session, lang: Lang) -> String {
    escape_html(session.title(lang))
}

/// The line that says where a registration stands.
pub fn standing(r: &Registration, session: &Session, lang: Lang) -> String {
    match (r.status, lang) {
        (Status::Confirmed, Lang::Tr) => format!(
            "✅ Kaydınız kesin: koltuk {} / {}",
            r.position, session.details.capacity
        ),
        (Status::Confirmed, Lang::En) => format!(
            "✅ You are registered: seat {} of {}",
            r.position, session.details.capacity
        ),
        (Status::Waitlisted, Lang::Tr) => format!("⏳ Yedek listedesiniz: sıranız {}", r.position),
        (Status::Waitlisted, Lang::En) => {
            format!("⏳ You are on the waitlist: position {}", r.position)
        }
        (Status::Cancelled, Lang::Tr) => "İptal edildi".to_owned(),
        (Status::Cancelled, Lang::En) => "Cancelled".to_owned(),
    }
}

/// The "Add to calendar" file of a session.
pub fn calendar(session: &Session, lang: Lang, now: Timestamp) -> Document {
    Document {
        name: format!("pcm-training-{}.ics", session.id),
        bytes: ics::event(session, lang, now).into_bytes(),
    }
}

/// Told at once to the person who moves up from the waitlist, with the calendar file.
pub fn promoted(r: &Registration, s: &Session, now: Timestamp) -> OutMessage {
    let lang = r.lang;
    let html = format!(
        "{}\n\n<b>{}</b>\n{}\n\n{}",
        t(
            lang,
            "🎉 Yer açıldı! Yedek listeden kesin kayda geçtiniz.",
            "🎉 A seat opened! You have moved up from the waitlist and are now registered."
        ),
        title(s, lang),
        when_and_where(s, lang),
        standing(r, s, lang)
    );
    let button = to(
        t(lang, "📋 Kayıtlarım", "📋 My registrations"),
        Callback::MyRegistrations,
    );
    OutMessage::new(Recipient::Chat(r.user.chat()), html)
        .with_keyboard(vec![vec![button]])
        .with_document(calendar(s, lang, now))
}

/// A reminder before the training.
pub fn reminder(r: &Registration, s: &Session, kind: Reminder) -> OutMessage {
    let lang = r.lang;
    let head = match kind {
        Reminder::DayBefore => t(
            lang,
            "⏰ Hatırlatma: PCM eğitiminiz yarın.",
            "⏰ Reminder: your PCM training is tomorrow.",
        ),
        Reminder::Second => t(
            lang,
            "⏰ Hatırlatma: PCM eğitiminiz yaklaşıyor.",
            "⏰ Reminder: your PCM training is coming up.",
        ),
    };
    let html = format!(
        "{head}\n\n<b>{}</b>\n{}\n\n{}",
        title(s, lang),
        when_and_where(s, lang),
        t(
            lang,
            "Katılamayacaksanız lütfen /myregistrations ile kaydınızı iptal edin.",
            "If you cannot come, please cancel with /myregistrations."
        )
    );
    // "Your training is tomorrow" after it has begun would only mislead.
    OutMessage::new(Recipient::Chat(r.user.chat()), html).not_after(s.details.starts)
}

/// Told to every registrant when the time or place of their session changes, with the
/// calendar file that updates the entry they added (same UID, higher SEQUENCE).
pub fn session_changed(r: &Registration, before: &Session, s: &Session, now: Timestamp) -> OutMessage {
    let lang = r.lang;
    let html = format!(
        "{}

<b>{}</b>
{}

<s>{}</s>

{}
{}",
        t(
            lang,
            "🔔 Kayıtlı olduğunuz eğitimin zamanı ya da yeri değişti. Yeni bilgiler:",
            "🔔 The time or place of the training you registered for has changed. Now:"
        ),
        title(s, lang),
        when_and_where(s, lang),
        when_and_where(before, lang),
        standing(r, s, lang),
        t(
            lang,
            "Ekteki takvim dosyası takviminizdeki kaydı günceller. Katılamayacaksanız lütfen /myregistrations ile iptal edin.",
            "The attached calendar file updates the entry in your calendar. If you cannot come now, please cancel with /myregistrations."
        )
    );
    OutMessage::new(Recipient::Chat(r.user.chat()), html).with_document(calendar(s, lang, now))
}

/// The invitation after a session, to those who attended: the survey and the
/// certificate, one button each.
pub fn follow_up(r: &Registration, s: &Session) -> OutMessage {
    let lang = r.lang;
    let html = format!(
        "{}

<b>{}</b>
{}",
        t(
            lang,
            "🙏 Eğitimimize katıldığınız için teşekkür ederiz.",
            "🙏 Thank you for attending our training."
        ),
        title(s, lang),
        t(
            lang,
            "Görüşleriniz bir sonraki eğitimi daha iyi yapmamıza yardım eder (iki dakika, adınız saklanmaz). Katılım belgenizi de buradan alabilirsiniz.",
            "Your views help us make the next training better (two minutes; your name is not kept with them). You can also get your certificate of attendance here."
        )
    );
    let mut row = Vec::new();
    if !r.surveyed {
        row.push(to(
            t(lang, "📝 Değerlendirme anketi", "📝 Feedback survey"),
            Callback::Survey(r.id),
        ));
    }
    row.push(to(
        t(lang, "📄 Katılım belgesi", "📄 Certificate"),
        Callback::Certificate(r.id),
    ));
    OutMessage::new(Recipient::Chat(r.user.chat()), html).with_keyboard(vec![row])
}

/// Told to every registrant when staff cancel a session.
pub fn session_cancelled(r: &Registration, s: &Session, now: Timestamp) -> OutMessage {
    let lang = r.lang;
    let html = format!(
        "{}\n\n<b>{}</b>\n{}\n\n{}",
        t(
            lang,
            "❗ Kayıtlı olduğunuz eğitim iptal edildi; özür dileriz.",
            "❗ The training you registered for has been cancelled; we are sorry."
        ),
        title(s, lang),
        when_and_where(s, lang),
        t(
            lang,
            "Ekteki dosya eğitimi takviminizden kaldırır. Yeni tarihler için /trainings.",
            "The attached file removes it from your calendar. For new dates: /trainings."
        )
    );
    OutMessage::new(Recipient::Chat(r.user.chat()), html).with_document(Document {
        name: format!("pcm-training-{}-cancelled.ics", s.id),
        bytes: ics::cancellation(s, lang, now).into_bytes(),
    })
}

/// Staff's message to the confirmed attendees of a session (`/broadcast`), escaped.
pub fn broadcast(r: &Registration, session: &Session, text: &str) -> OutMessage {
    let html = format!(
        "{} <b>{}</b>:\n\n{}",
        t(
            r.lang,
            "📢 AB ve Dış İlişkiler Bürosu'ndan, eğitiminizle ilgili:",
            "📢 From the EU and Foreign Relations Office, about your training"
        ),
        escape_html(session.title(r.lang)),
        escape_html(text)
    );
    OutMessage::new(Recipient::Chat(r.user.chat()), html)
}
