//! Staff create or change a session in their private chat, one value at a time, each
//! checked as it is typed with the rules of `eudesk sessions add`; a summary with
//! Create / Change a value / Cancel; and, when a change of time or place will message
//! registrants, an explicit confirmation first.

use crate::conversation::flow::{Flow, FormStep, SessionForm};
use crate::conversation::staff_reply;
use crate::conversation::{EngineError, Placement, Reply, Turn};
use crate::dialogue::render::escape_html;
use crate::lang::{Lang, Localized, pick as t};
use crate::message::FormPress;
use crate::storage::trainings;
use crate::trainings::card::session_card;
use crate::trainings::form_prompt::{form_prompt, refusal};
use crate::trainings::service::{self as training, Changed};
use crate::trainings::{CheckedDetails, SessionDetails, SessionId, SessionState, time};
use jiff::SignedDuration;

// The form refuses a value at its step with the same limits as every other door.
use crate::trainings::session::{MAX_CAPACITY, MAX_PLACE, MAX_REMINDER_HOURS, MAX_TITLE};

/// The form's values as a session, when all are there and keep the rules.
fn details(f: &SessionForm) -> Option<CheckedDetails> {
    let starts = f.starts?;
    let d = SessionDetails {
        title: Localized::new(f.title_tr.clone()?, f.title_en.clone()?),
        starts,
        ends: f.ends?,
        place: f.place.clone()?,
        capacity: f.capacity?,
        deadline: f.deadline.unwrap_or(starts),
        second_reminder: f
            .second_reminder_hours
            .filter(|h| *h > 0)
            .map(|h| SignedDuration::from_hours(h as i64)),
    };
    d.check().ok()
}

/// Starts the form: empty for a new session, or with a session's values.
pub(crate) async fn start_form(turn: &mut Turn<'_>, id: Option<SessionId>) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let mut form = SessionForm::new();
    if let Some(id) = id {
        let Some(s) = trainings::session(turn.work.read().await?, id).await? else {
            return Ok(vec![staff_reply(&format!(
                "{} #{id}",
                t(lang, "Böyle bir oturum yok:", "No such session:")
            ))]);
        };
        if s.state == SessionState::Cancelled {
            return Ok(vec![staff_reply(t(
                lang,
                "İptal edilmiş bir oturum değiştirilemez; yeni bir oturum ekleyin.",
                "A cancelled session cannot be changed; add a new one.",
            ))]);
        }
        let d = s.details;
        form = SessionForm {
            session: Some(id),
            step: FormStep::Summary,
            editing: false,
            title_tr: Some(d.title.tr),
            title_en: Some(d.title.en),
            starts: Some(d.starts),
            ends: Some(d.ends),
            place: Some(d.place),
            capacity: Some(d.capacity),
            // A deadline that is the start stays "at the start" when the start moves.
            deadline: (d.deadline != d.starts).then_some(d.deadline),
            deadline_given: true,
            second_reminder_hours: Some(d.second_reminder.map_or(0, |r| (r.as_secs() / 3600) as u32)),
        };
    }
    turn.flow = Some(Flow::SessionForm(form));
    Ok(vec![form_prompt(turn)])
}

/// A value typed during the form.
pub(crate) async fn form_text(turn: &mut Turn<'_>, text: &str) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let Some(Flow::SessionForm(mut f)) = turn.flow.clone() else {
        return Ok(Vec::new());
    };
    let now = desk.clock.now();
    let text = text.trim();
    let one_line = |max: usize| {
        let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        (!line.is_empty() && line.chars().count() <= max).then_some(line)
    };
    let accepted = match f.step {
        FormStep::TitleTr => one_line(MAX_TITLE).map(|v| f.title_tr = Some(v)),
        FormStep::TitleEn => one_line(MAX_TITLE).map(|v| f.title_en = Some(v)),
        FormStep::Starts => time::parse_local(text)
            .ok()
            .filter(|t| f.session.is_some() || *t > now)
            .map(|v| {
                // A new start may leave the end or the deadline behind it: asked again.
                if f.ends.is_some_and(|e| e <= v) {
                    f.ends = None;
                }
                if f.deadline.is_some_and(|d| d > v) {
                    f.deadline = None;
                    f.deadline_given = false;
                }
                f.starts = Some(v);
            }),
        FormStep::Ends => time::parse_local(text)
            .ok()
            .filter(|e| f.starts.is_some_and(|s| *e > s))
            .map(|v| f.ends = Some(v)),
        FormStep::Place => one_line(MAX_PLACE).map(|v| f.place = Some(v)),
        FormStep::Capacity => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_CAPACITY).contains(n))
            .map(|v| f.capacity = Some(v)),
        FormStep::Deadline => time::parse_local(text)
            .ok()
            .filter(|d| f.starts.is_some_and(|s| *d <= s))
            .map(|v| {
                f.deadline = Some(v);
                f.deadline_given = true;
            }),
        FormStep::Reminder => text
            .trim_end_matches(['h', 's', 'H', 'S'])
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|h| (1..=MAX_REMINDER_HOURS).contains(&i64::from(*h)))
            .map(|v| f.second_reminder_hours = Some(v)),
        FormStep::Summary | FormStep::Edit | FormStep::Confirm => None,
    };
    if accepted.is_none() {
        let refused = Reply::new(escape_html(&refusal(f.step, lang, &f)), Vec::new());
        return Ok(vec![refused, form_prompt(turn)]);
    }
    form_next(turn, f);
    Ok(vec![form_prompt(turn)])
}

/// Moves on: the next step, or, when a value left another one out (a start moved
/// past the end), to that one.
pub(crate) fn form_next(turn: &mut Turn<'_>, mut f: SessionForm) {
    f.advance();
    if f.step == FormStep::Summary {
        let missing = FormStep::ORDER.into_iter().find(|s| match s {
            FormStep::TitleTr => f.title_tr.is_none(),
            FormStep::TitleEn => f.title_en.is_none(),
            FormStep::Starts => f.starts.is_none(),
            FormStep::Ends => f.ends.is_none(),
            FormStep::Place => f.place.is_none(),
            FormStep::Capacity => f.capacity.is_none(),
            FormStep::Deadline => !f.deadline_given,
            FormStep::Reminder => f.second_reminder_hours.is_none(),
            _ => false,
        });
        if let Some(step) = missing {
            f.step = step;
            f.editing = true;
        }
    }
    turn.flow = Some(Flow::SessionForm(f));
}

/// A button pressed during the form.
pub(crate) async fn form_press(turn: &mut Turn<'_>, value: FormPress) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let Some(Flow::SessionForm(mut f)) = turn.flow.clone() else {
        return Ok(Vec::new());
    };
    match value {
        FormPress::Cancel => {
            turn.flow = None;
            let said = crate::conversation::ui::session_form_cancelled(lang, f.session.is_some());
            Ok(vec![staff_reply(said).placed(Placement::Replace)])
        }
        FormPress::AtStart if f.step == FormStep::Deadline => {
            f.deadline = None;
            f.deadline_given = true;
            form_next(turn, f);
            Ok(vec![form_prompt(turn)])
        }
        FormPress::NoReminder if f.step == FormStep::Reminder => {
            f.second_reminder_hours = Some(0);
            form_next(turn, f);
            Ok(vec![form_prompt(turn)])
        }
        FormPress::Edit if f.step == FormStep::Summary => {
            f.step = FormStep::Edit;
            turn.flow = Some(Flow::SessionForm(f));
            Ok(vec![form_prompt(turn)])
        }
        FormPress::Back => {
            f.step = FormStep::Summary;
            turn.flow = Some(Flow::SessionForm(f));
            Ok(vec![form_prompt(turn)])
        }
        FormPress::Field(step) if f.step == FormStep::Edit => {
            f.step = step;
            f.editing = true;
            turn.flow = Some(Flow::SessionForm(f));
            Ok(vec![form_prompt(turn)])
        }
        FormPress::Save if f.step == FormStep::Summary => form_save(turn, f, false).await,
        FormPress::Confirm if f.step == FormStep::Confirm => form_save(turn, f, true).await,
        _ => Ok(vec![form_prompt(turn)]),
    }
}

/// Creates the session, or changes it (asking first when registrants will be told).
pub(crate) async fn form_save(
    turn: &mut Turn<'_>,
    mut f: SessionForm,
    confirmed: bool,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let Some(d) = details(&f) else {
        // A value went missing or breaks a rule (a reload of an older form): ask again.
        f.step = FormStep::Summary;
        form_next(turn, f);
        return Ok(vec![form_prompt(turn)]);
    };
    let now = desk.clock.now();
    let Some(id) = f.session else {
        let id = training::create_session(turn.work.write().await?, &d, now).await?;
        turn.flow = None;
        let done = staff_reply(&match lang {
            Lang::Tr => format!("✅ #{id} oturumu oluşturuldu; kayda açık."),
            Lang::En => format!("✅ Session #{id} is created and open for booking."),
        });
        let mut replies = vec![done.placed(Placement::Replace)];
        replies.extend(session_card(turn, id, Placement::New).await?);
        return Ok(replies);
    };
    let Some(before) = trainings::session(turn.work.read().await?, id).await? else {
        turn.flow = None;
        return Ok(vec![staff_reply(t(lang, "Oturum artık yok.", "The session is gone."))]);
    };
    let moved = before.details.starts != d.starts
        || before.details.ends != d.ends
        || before.details.place.trim() != d.place.trim();
    let registrants = before.confirmed + before.waitlisted;
    if moved && registrants > 0 && !before.over(now) && !confirmed {
        f.step = FormStep::Confirm;
        turn.flow = Some(Flow::SessionForm(f));
        return Ok(vec![form_prompt(turn)]);
    }
    let html = match training::change_session(turn.work.write().await?, id, &d, now).await? {
        Changed::Done { promoted, told } => {
            let mut html = match lang {
                Lang::Tr => format!("💾 #{id} oturumu güncellendi."),
                Lang::En => format!("💾 Session #{id} is updated."),
            };
            if told > 0 {
                html.push_str(&match lang {
                    Lang::Tr => format!(" {told} kişiye yeni zaman ya da yer, takvim dosyasıyla bildiriliyor."),
                    Lang::En => {
                        format!(" {told} people are being told the new time or place, with a calendar file.")
                    }
                });
            }
            if promoted > 0 {
                html.push_str(&match lang {
                    Lang::Tr => format!(" {promoted} kişi yedek listeden kesin kayda geçti."),
                    Lang::En => format!(" {promoted} moved up from the waitlist."),
                });
            }
            html
        }
        Changed::NotFound => t(lang, "Oturum artık yok.", "The session is gone.").to_owned(),
        Changed::Cancelled => t(
            lang,
            "Oturum bu arada iptal edilmiş; değişiklik kaydedilmedi.",
            "The session was cancelled meanwhile; nothing was changed.",
        )
        .to_owned(),
    };
    turn.flow = None;
    let mut replies = vec![staff_reply(&html).placed(Placement::Replace)];
    replies.extend(session_card(turn, id, Placement::New).await?);
    Ok(replies)
}
