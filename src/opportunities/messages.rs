//! What an alert looks like: to a subscriber (in their language, with the official
//! page, "Remind me" and ways to stop), on the office's channel (both languages), as a
//! reminder, as a new training's announcement, and the progress post staff see.

use super::{FanoutState, Opportunity, Topic, TopicSet};
use crate::dialogue::render::{escape_html, html};
use crate::ids::{ChatId, FanoutId, OpportunityId, UserId};
use crate::lang::{Lang, pick as t};
use crate::message::{Button, OutMessage, Recipient, Target};
use crate::message::{Callback, to};
use crate::storage::opportunities::{Carrying, Fanout, Stored};
use crate::trainings::{Session, notices, time};
use jiff::Timestamp;

fn url_button(label: &str, url: &str) -> Button {
    Button {
        label: label.to_owned(),
        target: Target::Url(url.to_owned()),
    }
}

/// "1 Mart 2027, 23:59" / "1 March 2027, 23:59", office time.
pub fn deadline(at: Timestamp, lang: Lang) -> String {
    let clock = at.to_zoned(time::office_tz()).strftime("%H:%M").to_string();
    format!("{}, {clock}", time::date(at, lang))
}

/// Who it is for: the ages, when given.
fn who(o: &Opportunity, lang: Lang) -> Option<String> {
    o.ages.map(|(a, b)| match lang {
        Lang::Tr => format!("👤 {a}–{b} yaş"),
        Lang::En => format!("👤 Ages {a}–{b}"),
    })
}

/// The body of an opportunity in one language: title, text, who, deadline.
pub fn body(o: &Opportunity, lang: Lang) -> String {
    let mut lines = vec![
        format!("<b>{}</b>", escape_html(o.title.get(lang))),
        String::new(),
        // `{contact}` is no placeholder in an alert: it stays as written.
        html(o.text.get(lang), "{contact}"),
        String::new(),
    ];
    lines.extend(who(o, lang));
    lines.push(format!(
        "⏳ {}: {}",
        t(lang, "Son başvuru", "Deadline"),
        deadline(o.deadline, lang)
    ));
    let topics: Vec<&str> = o.topics.iter().map(|t| t.label(lang)).collect();
    lines.push(format!("🏷 {}", topics.join(" · ")));
    lines.join("\n")
}

/// The buttons under an alert or a listed opportunity.
pub fn buttons(stored: &Stored, lang: Lang, stop: bool) -> Vec<Vec<Button>> {
    let mut rows = vec![
        vec![url_button(
            t(lang, "🔗 Resmî sayfa", "🔗 Official page"),
            &stored.opportunity.url,
        )],
        vec![to(
            t(lang, "⏰ Son günden önce hatırlat", "⏰ Remind me before the deadline"),
            Callback::RemindMe(OpportunityId(stored.id)),
        )],
    ];
    if stop {
        rows.push(stop_row(TopicSet::of(&stored.opportunity.topics), lang));
    }
    rows
}

fn stop_row(topics: TopicSet, lang: Lang) -> Vec<Button> {
    vec![
        to(
            t(lang, "🔕 Bu konuyu durdur", "🔕 Stop this topic"),
            Callback::StopAlerts(topics),
        ),
        to(
            t(lang, "🔕 Tümünü durdur", "🔕 Stop all"),
            Callback::StopAlerts(TopicSet::ALL),
        ),
    ]
}

/// The alert a subscriber gets.
pub fn alert(stored: &Stored, user: UserId, lang: Lang) -> OutMessage {
    let html = format!(
        "📣 {}\n\n{}",
        t(lang, "Yeni fırsat", "A new opportunity"),
        body(&stored.opportunity, lang)
    );
    OutMessage::new(Recipient::Chat(ChatId(user.0)), html).with_keyboard(buttons(stored, lang, true))
}

/// A new training session, to the trainings topic's subscribers, with its booking.
pub fn session_announcement(session: &Session, user: UserId, lang: Lang) -> OutMessage {
    let html = format!(
        "📘 {}\n\n<b>{}</b>\n{}\n\n{}",
        t(
            lang,
            "Yeni PCM eğitimi kayda açıldı",
            "A new PCM training is open for booking"
        ),
        notices::title(session, lang),
        notices::when_and_where(session, lang),
        match lang {
            Lang::Tr => format!("Kontenjan: {} kişi", session.details.capacity),
            Lang::En => format!("Seats: {}", session.details.capacity),
        }
    );
    let keyboard = vec![
        vec![to(
            t(lang, "📝 Kaydol", "📝 Book a seat"),
            Callback::Session(session.id),
        )],
        stop_row(TopicSet::of(&[Topic::Trainings]), lang),
    ];
    OutMessage::new(Recipient::Chat(ChatId(user.0)), html).with_keyboard(keyboard)
}

/// "Remind me", a few days before the deadline.
pub fn reminder(stored: &Stored, user: UserId, lang: Lang) -> OutMessage {
    let html = format!(
        "⏰ {}\n\n{}",
        t(
            lang,
            "Hatırlatma: bu fırsatın son başvuru tarihi yaklaşıyor.",
            "Reminder: the deadline of this opportunity is coming up.",
        ),
        body(&stored.opportunity, lang)
    );
    let keyboard = vec![vec![url_button(
        t(lang, "🔗 Resmî sayfa", "🔗 Official page"),
        &stored.opportunity.url,
    )]];
    OutMessage::new(Recipient::Chat(ChatId(user.0)), html)
        .with_keyboard(keyboard)
        .not_after(stored.opportunity.deadline)
}

/// The post on the office's public channel: both languages, the official page.
pub fn channel_post(stored: &Stored, channel: ChatId) -> OutMessage {
    let html = format!(
        "📣 {}\n\n— — —\n\n{}",
        body(&stored.opportunity, Lang::Tr),
        body(&stored.opportunity, Lang::En)
    );
    let keyboard = vec![vec![url_button(
        "🔗 Resmî sayfa · Official page",
        &stored.opportunity.url,
    )]];
    // After the deadline a post about it would only mislead (Telegram down for days).
    OutMessage::new(Recipient::Chat(channel), html)
        .with_keyboard(keyboard)
        .not_after(stored.opportunity.deadline)
}

/// The staff chat's progress post of a fan-out, edited in place as it goes.
pub fn progress(fanout: &Fanout, title: &str, lang: Lang) -> (String, Vec<Vec<Button>>) {
    let done = fanout.sent + fanout.blocked + fanout.failed;
    let state = match fanout.state {
        FanoutState::Sending => t(lang, "gönderiliyor", "sending"),
        FanoutState::Stopped => t(lang, "durduruldu", "stopped"),
        FanoutState::Done => t(lang, "tamamlandı", "done"),
    };
    let html = match lang {
        Lang::Tr => format!(
            "📣 <b>{}</b> — duyuru {state}\n{done} / {} gönderildi · {} ulaştı, {} engellemiş, {} hata",
            escape_html(title),
            fanout.total,
            fanout.sent,
            fanout.blocked,
            fanout.failed
        ),
        Lang::En => format!(
            "📣 <b>{}</b> — alert {state}\n{done} / {} sent · {} delivered, {} blocked, {} failed",
            escape_html(title),
            fanout.total,
            fanout.sent,
            fanout.blocked,
            fanout.failed
        ),
    };
    let mut row = Vec::new();
    if fanout.state == FanoutState::Sending {
        row.push(to(
            t(lang, "⏹ Durdur", "⏹ Stop"),
            Callback::StopFanout(FanoutId(fanout.id)),
        ));
    }
    if let Carrying::Opportunity(id) = fanout.carrying {
        row.push(withdraw_button(OpportunityId(id), lang));
    }
    let keyboard = if row.is_empty() { Vec::new() } else { vec![row] };
    (html, keyboard)
}

/// Staff: take an opportunity off `/opportunities` (asks first).
pub fn withdraw_button(id: OpportunityId, lang: Lang) -> Button {
    to(
        &match lang {
            Lang::Tr => format!("🗑 #{id} yayından kaldır"),
            Lang::En => format!("🗑 Withdraw #{id}"),
        },
        Callback::Withdraw(id, false),
    )
}
