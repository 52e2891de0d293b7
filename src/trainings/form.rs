//! Staff create or change a session in their private chat, one value at a time, each
//! checked as it is typed with the rules of `eudesk sessions add`; a summary with
//! Create / Change a value / Cancel; and, when a change of time or place will message
//! registrants, an explicit confirmation first.

use crate::conversation::flow::{Flow, FormStep, SessionForm};
use crate::conversation::staff_reply;
use crate::conversation::{EngineError, Placement, Reply, Turn};
use crate::dialogue::render::escape_html;
use crate::lang::{Lang, Localized, pick as t};
use crate::message::Button;
use crate::message::{Callback, to};
use crate::storage::trainings;
use crate::trainings::card::session_card;
use crate::trainings::service::{self as training, Changed};
use crate::trainings::{CheckedDetails, SessionDetails, SessionId, SessionState, time};
use jiff::{SignedDuration, Timestamp};

// The form refuses a value at its step with the same limits as every other door.
use crate::trainings::session::{MAX_CAPACITY, MAX_PLACE, MAX_REMINDER_HOURS, MAX_TITLE};

fn flow_button(label: &str, value: &str) -> Button {
    to(label, Callback::Flow(value.to_owned()))
}

fn cancel_row(lang: Lang) -> Vec<Button> {
    vec![flow_button(t(lang, "✖️ Vazgeç", "✖️ Cancel"), "cancel")]
}

fn field_name(step: FormStep, lang: Lang) -> &'static str {
    match step {
        FormStep::TitleTr => t(lang, "Başlık (Türkçe)", "Title (Turkish)"),
        FormStep::TitleEn => t(lang, "Başlık (İngilizce)", "Title (English)"),
        FormStep::Starts => t(lang, "Başlangıç", "Start"),
        FormStep::Ends => t(lang, "Bitiş", "End"),
        FormStep::Place => t(lang, "Yer", "Place"),
        FormStep::Capacity => t(lang, "Kontenjan", "Capacity"),
        FormStep::Deadline => t(lang, "Son kayıt", "Booking closes"),
        FormStep::Reminder => t(lang, "İkinci hatırlatma", "Second reminder"),
        FormStep::Summary | FormStep::Edit | FormStep::Confirm => "",
    }
}

/// Why a typed value is refused, in the staff member's language, with what to write.
fn refusal(step: FormStep, lang: Lang, f: &SessionForm) -> String {
    let example = t(
        lang,
        "örneğin 10.12.2026 10:00 ya da 2026-12-10 10:00 (İstanbul saati)",
        "for example 10.12.2026 10:00 or 2026-12-10 10:00 (Istanbul time)",
    );
    match step {
        FormStep::TitleTr | FormStep::TitleEn => match lang {
            Lang::Tr => format!("Başlık boş olamaz ve en fazla {MAX_TITLE} karakter olmalı."),
            Lang::En => format!("The title cannot be empty and is at most {MAX_TITLE} characters."),
        },
        FormStep::Starts => match lang {
            Lang::Tr => format!("Bu bir tarih ve saat değil ya da geçmişte kalıyor; {example}."),
            Lang::En => format!("That is not a date and time, or it is in the past; {example}."),
        },
        FormStep::Ends => {
            let starts = f.starts.map(time::local).unwrap_or_default();
            match lang {
                Lang::Tr => format!("Bitiş, başlangıçtan ({starts}) sonra olmalı; {example}."),
                Lang::En => format!("The end must be after the start ({starts}); {example}."),
            }
        }
        FormStep::Place => match lang {
            Lang::Tr => format!("Yer (adres ya da çevrimiçi bağlantı) boş olamaz, en fazla {MAX_PLACE} karakter."),
            Lang::En => {
                format!("The place (an address or an online link) cannot be empty; at most {MAX_PLACE} characters.")
            }
        },
        FormStep::Capacity => match lang {
            Lang::Tr => format!("Kontenjan 1 ile {MAX_CAPACITY} arasında bir sayı olmalı."),
            Lang::En => format!("The capacity is a number from 1 to {MAX_CAPACITY}."),
        },
        FormStep::Deadline => {
            let starts = f.starts.map(time::local).unwrap_or_default();
            match lang {
                Lang::Tr => {
                    format!("Son kayıt, başlangıçtan ({starts}) sonra olamaz; {example}, ya da «Başlangıçta» düğmesi.")
                }
                Lang::En => {
                    format!("Booking cannot close after the start ({starts}); {example}, or the «At the start» button.")
                }
            }
        }
        FormStep::Reminder => match lang {
            Lang::Tr => format!(
                "Başlangıçtan kaç saat önce? 1 ile {MAX_REMINDER_HOURS} arasında bir sayı, ya da «İkinci hatırlatma yok»."
            ),
            Lang::En => format!(
                "How many hours before the start? A number from 1 to {MAX_REMINDER_HOURS}, or «No second reminder»."
            ),
        },
        FormStep::Summary | FormStep::Edit | FormStep::Confirm => t(
            lang,
            "Lütfen aşağıdaki düğmelerden birini seçin.",
            "Please choose one of the buttons below.",
        )
        .to_owned(),
    }
}

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

/// What the form asks now.
pub(crate) fn form_prompt(turn: &Turn<'_>) -> Reply {
    let lang = turn.lang;
    let Some(Flow::SessionForm(f)) = &turn.flow else {
        return staff_reply(t(lang, "Form kapandı.", "The form is closed."));
    };
    let step_of = |step: FormStep| match lang {
        Lang::Tr => format!("<b>{}</b> ({}/8)", field_name(step, lang), step.number()),
        Lang::En => format!("<b>{}</b> ({} of 8)", field_name(step, lang), step.number()),
    };
    let mut keyboard = Vec::new();
    let html = match f.step {
        FormStep::TitleTr => format!(
            "🆕 {}\n{}\n{}",
            t(lang, "Yeni PCM eğitim oturumu.", "A new PCM training session."),
            step_of(f.step),
            t(
                lang,
                "Eğitimin Türkçe başlığını yazın.",
                "Write the training's title in Turkish."
            )
        ),
        FormStep::TitleEn => format!(
            "{}\n{}",
            step_of(f.step),
            t(
                lang,
                "Eğitimin İngilizce başlığını yazın.",
                "Write the training's title in English."
            )
        ),
        FormStep::Starts => format!(
            "{}\n{}",
            step_of(f.step),
            t(
                lang,
                "Ne zaman başlıyor? Örneğin 10.12.2026 10:00 (İstanbul saati).",
                "When does it start? For example 10.12.2026 10:00 (Istanbul time).",
            )
        ),
        FormStep::Ends => format!(
            "{}\n{}",
            step_of(f.step),
            t(
                lang,
                "Ne zaman bitiyor? Örneğin 10.12.2026 17:00.",
                "When does it end? For example 10.12.2026 17:00.",
            )
        ),
        FormStep::Place => format!(
            "{}\n{}",
            step_of(f.step),
            t(
                lang,
                "Nerede? Adres ya da çevrimiçi bağlantı.",
                "Where? An address or an online link."
            )
        ),
        FormStep::Capacity => format!(
            "{}\n{}",
            step_of(f.step),
            t(
                lang,
                "Kaç kişilik? (Dolunca yedek listeye alınır.)",
                "How many seats? (Then people go on the waitlist.)"
            )
        ),
        FormStep::Deadline => {
            keyboard.push(vec![flow_button(t(lang, "Başlangıçta", "At the start"), "at_start")]);
            format!(
                "{}\n{}",
                step_of(f.step),
                t(
                    lang,
                    "Kayıt ne zaman kapanıyor? Bir tarih ve saat yazın ya da düğmeye basın.",
                    "When does booking close? Write a date and time, or press the button.",
                )
            )
        }
        FormStep::Reminder => {
            keyboard.push(vec![flow_button(
                t(lang, "İkinci hatırlatma yok", "No second reminder"),
                "no_reminder",
            )]);
            format!(
                "{}\n{}",
                step_of(f.step),
                t(
                    lang,
                    "Bir gün önceki hatırlatmaya ek olarak başlangıçtan kaç saat önce bir hatırlatma daha gitsin?",
                    "Besides the reminder a day before, how many hours before the start should a second one go?",
                )
            )
        }
        FormStep::Summary => {
            let action = if f.session.is_some() {
                t(lang, "💾 Kaydet", "💾 Save")
            } else {
                t(lang, "✅ Oluştur", "✅ Create")
            };
            keyboard.push(vec![flow_button(action, "save")]);
            keyboard.push(vec![flow_button(
                t(lang, "✏️ Bir değeri değiştir", "✏️ Change a value"),
                "edit",
            )]);
            format!(
                "{}\n\n{}",
                if f.session.is_some() {
                    t(lang, "Oturumun yeni hâli:", "The session as it will be:")
                } else {
                    t(lang, "Yeni oturum:", "The new session:")
                },
                summary(f, lang)
            )
        }
        FormStep::Edit => {
            for pair in FormStep::ORDER.chunks(2) {
                keyboard.push(
                    pair.iter()
                        .map(|s| flow_button(field_name(*s, lang), &format!("fe:{}", s.code())))
                        .collect(),
                );
            }
            t(lang, "Hangi değer değişsin?", "Which value should change?").to_owned()
        }
        FormStep::Confirm => {
            keyboard.push(vec![flow_button(
                t(lang, "✅ Kaydet ve haber ver", "✅ Save and tell them"),
                "confirm",
            )]);
            keyboard.push(vec![flow_button(
                t(lang, "« Özete dön", "« Back to the summary"),
                "back",
            )]);
            t(
                lang,
                "Zaman ya da yer değişiyor: kayıtlı herkese (kesin ve yedek) kendi dilinde haber verilecek ve takvimlerini güncelleyen dosya gönderilecek. Onaylıyor musunuz?",
                "The time or place changes: everyone registered (confirmed and waitlisted) will be told in their language and sent a file that updates their calendar. Go ahead?",
            )
            .to_owned()
        }
    };
    keyboard.push(cancel_row(lang));
    Reply::new(html, keyboard)
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
pub(crate) async fn form_press(turn: &mut Turn<'_>, value: &str) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let Some(Flow::SessionForm(mut f)) = turn.flow.clone() else {
        return Ok(Vec::new());
    };
    match value {
        "cancel" => {
            turn.flow = None;
            let said = crate::conversation::ui::session_form_cancelled(lang, f.session.is_some());
            Ok(vec![staff_reply(said).placed(Placement::Replace)])
        }
        "at_start" if f.step == FormStep::Deadline => {
            f.deadline = None;
            f.deadline_given = true;
            form_next(turn, f);
            Ok(vec![form_prompt(turn)])
        }
        "no_reminder" if f.step == FormStep::Reminder => {
            f.second_reminder_hours = Some(0);
            form_next(turn, f);
            Ok(vec![form_prompt(turn)])
        }
        "edit" if f.step == FormStep::Summary => {
            f.step = FormStep::Edit;
            turn.flow = Some(Flow::SessionForm(f));
            Ok(vec![form_prompt(turn)])
        }
        "back" => {
            f.step = FormStep::Summary;
            turn.flow = Some(Flow::SessionForm(f));
            Ok(vec![form_prompt(turn)])
        }
        v if v.starts_with("fe:") && f.step == FormStep::Edit => {
            match FormStep::parse(&v[3..]) {
                Some(step) => {
                    f.step = step;
                    f.editing = true;
                }
                None => f.step = FormStep::Summary,
            }
            turn.flow = Some(Flow::SessionForm(f));
            Ok(vec![form_prompt(turn)])
        }
        "save" if f.step == FormStep::Summary => form_save(turn, f, false).await,
        "confirm" if f.step == FormStep::Confirm => form_save(turn, f, true).await,
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

/// The form's values, one per line, escaped.
fn summary(f: &SessionForm, lang: Lang) -> String {
    let when = |v: Option<Timestamp>| v.map(time::local).unwrap_or_else(|| "—".to_owned());
    let text = |v: &Option<String>| v.as_deref().map(escape_html).unwrap_or_else(|| "—".to_owned());
    let rows = [
        (FormStep::TitleTr, text(&f.title_tr)),
        (FormStep::TitleEn, text(&f.title_en)),
        (FormStep::Starts, when(f.starts)),
        (FormStep::Ends, when(f.ends)),
        (FormStep::Place, text(&f.place)),
        (
            FormStep::Capacity,
            f.capacity.map_or_else(|| "—".to_owned(), |c| c.to_string()),
        ),
        (
            FormStep::Deadline,
            match f.deadline {
                Some(d) => time::local(d),
                None => t(lang, "başlangıçta", "at the start").to_owned(),
            },
        ),
        (
            FormStep::Reminder,
            match f.second_reminder_hours {
                Some(0) | None => t(lang, "yok", "none").to_owned(),
                Some(h) => match lang {
                    Lang::Tr => format!("{h} saat önce"),
                    Lang::En => format!("{h} hours before"),
                },
            },
        ),
    ];
    rows.iter()
        .map(|(step, value)| format!("{}: {value}", field_name(*step, lang)))
        .collect::<Vec<_>>()
        .join("\n")
}
