//! A session's card for staff: its details, counts and the buttons for what can be
//! done with it; shown from `/sessions`, after the session form saves, and after each
//! action on the card.

use crate::conversation::{DeepLink, EngineError, Place, Placement, Reply, Turn, staff_reply};
use crate::dialogue::render::escape_html;
use crate::lang::{Lang, pick as t};
use crate::message::{Button, Callback, SessionVerb, Target, to};
use crate::storage::trainings;
use crate::trainings::{Session, SessionId, SessionState, time};

pub(crate) fn session_id(arg: &str) -> Option<SessionId> {
    crate::conversation::id_arg(arg).map(SessionId)
}

pub(crate) fn url_button(label: &str, url: String) -> Button {
    Button {
        label: label.to_owned(),
        target: Target::Url(url),
    }
}

pub(crate) fn no_such_session(lang: Lang, id: SessionId) -> String {
    format!("{} #{id}", t(lang, "Böyle bir oturum yok:", "No such session:"))
}

pub(crate) fn state_word(state: SessionState, lang: Lang) -> &'static str {
    match state {
        SessionState::Open => t(lang, "kayıt açık", "open for booking"),
        SessionState::Closed => t(lang, "kayıt kapalı", "booking closed"),
        SessionState::Cancelled => t(lang, "iptal edildi", "cancelled"),
    }
}

/// A short label of a session for a button: "#3 · 10.12 · Title".
pub(crate) fn session_label(s: &Session, lang: Lang) -> String {
    let day = s
        .details
        .starts
        .to_zoned(time::office_tz())
        .strftime("%d.%m")
        .to_string();
    let label = format!("#{} · {day} · {}", s.id, s.title(lang));
    label.chars().take(60).collect()
}

/// "New session": the form in a private chat; from the group, a link to it.
pub(crate) fn new_session_button(turn: &Turn<'_>) -> Button {
    let desk = turn.desk;
    let label = t(turn.lang, "➕ Yeni oturum", "➕ New session");
    match (turn.place, desk.link(&DeepLink::NewSession)) {
        (Place::StaffChat(_), Some(url)) => url_button(label, url),
        _ => to(label, Callback::NewSession),
    }
}

/// A session's card: what it is, how full, who came, and what staff can do.
pub(crate) async fn session_card(
    turn: &mut Turn<'_>,
    id: SessionId,
    placement: Placement,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let Some(s) = trainings::session(turn.work.read().await?, id).await? else {
        return Ok(vec![staff_reply(&no_such_session(lang, id))]);
    };
    let now = desk.clock.now();
    let mut lines = vec![
        format!("#{} <b>{}</b>", s.id, escape_html(s.title(lang))),
        crate::trainings::notices::when_and_where(&s, lang),
        format!(
            "{}: {} · {}: {}",
            t(lang, "Durum", "State"),
            state_word(s.state, lang),
            t(lang, "son kayıt", "booking closes"),
            time::local(s.details.deadline)
        ),
        format!(
            "{}: {}/{} {} · {} {}",
            t(lang, "Koltuk", "Seats"),
            s.confirmed,
            s.details.capacity,
            t(lang, "kesin", "confirmed"),
            s.waitlisted,
            t(lang, "yedek", "waitlisted")
        ),
    ];
    if s.present + s.absent > 0 || s.check_in_open(now) {
        lines.push(format!(
            "{}: {} {} · {} {}",
            t(lang, "Katılım", "Attendance"),
            s.present,
            t(lang, "geldi", "present"),
            s.absent,
            t(lang, "gelmedi", "no-show")
        ));
    }
    let act = |label: &str, verb: SessionVerb| to(label, Callback::SessionAct(verb, s.id));
    let mut keyboard = Vec::new();
    if s.state != SessionState::Cancelled {
        let open_close = if s.state == SessionState::Open {
            act(t(lang, "🔒 Kaydı kapat", "🔒 Close booking"), SessionVerb::Close)
        } else {
            act(t(lang, "🔓 Kaydı aç", "🔓 Reopen booking"), SessionVerb::Reopen)
        };
        keyboard.push(vec![edit_button(turn, s.id), open_close]);
        keyboard.push(vec![
            act(t(lang, "🔗 Bağlantı ve QR", "🔗 Link and QR"), SessionVerb::Links),
            act(t(lang, "✅ Yoklama", "✅ Check-in list"), SessionVerb::CheckIn),
        ]);
    }
    keyboard.push(vec![
        act(t(lang, "👥 Liste (Excel)", "👥 List (Excel)"), SessionVerb::Attendees),
        act(t(lang, "📊 Anket sonuçları", "📊 Survey results"), SessionVerb::Report),
    ]);
    if s.state != SessionState::Cancelled {
        keyboard.push(vec![act(
            t(lang, "❌ Oturumu iptal et", "❌ Cancel the session"),
            SessionVerb::Cancel,
        )]);
    }
    Ok(vec![Reply::new(lines.join("\n"), keyboard).placed(placement)])
}

/// "Change": the form in the private chat; from the group, a link to it.
pub(crate) fn edit_button(turn: &Turn<'_>, id: SessionId) -> Button {
    let desk = turn.desk;
    let label = t(turn.lang, "✏️ Değiştir", "✏️ Change");
    match (turn.place, desk.link(&DeepLink::EditSession(id))) {
        (Place::StaffChat(_), Some(url)) => url_button(label, url),
        _ => to(label, Callback::SessionAct(SessionVerb::Edit, id)),
    }
}
