//! What the session form says: each step's question with its buttons, the refusal of a
//! value a step does not take, and the summary before saving.

use crate::conversation::flow::{Flow, FormStep, SessionForm};
use crate::conversation::staff_reply;
use crate::conversation::{Reply, Turn};
use crate::conversation::{cancel_row, flow_button};
use crate::dialogue::render::escape_html;
use crate::lang::{Lang, pick as t};
use crate::message::FormPress;
use crate::trainings::time;
use jiff::Timestamp;

use crate::trainings::session::{MAX_CAPACITY, MAX_PLACE, MAX_REMINDER_HOURS, MAX_TITLE};

pub(crate) fn field_name(step: FormStep, lang: Lang) -> &'static str {
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
pub(crate) fn refusal(step: FormStep, lang: Lang, f: &SessionForm) -> String {
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

/// The form's values, one per line, escaped.
pub(crate) fn summary(f: &SessionForm, lang: Lang) -> String {
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
            keyboard.push(vec![flow_button(
                t(lang, "Başlangıçta", "At the start"),
                FormPress::AtStart,
            )]);
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
                FormPress::NoReminder,
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
            keyboard.push(vec![flow_button(action, FormPress::Save)]);
            keyboard.push(vec![flow_button(
                t(lang, "✏️ Bir değeri değiştir", "✏️ Change a value"),
                FormPress::Edit,
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
                        .map(|s| flow_button(field_name(*s, lang), FormPress::Field(*s)))
                        .collect(),
                );
            }
            t(lang, "Hangi değer değişsin?", "Which value should change?").to_owned()
        }
        FormStep::Confirm => {
            keyboard.push(vec![flow_button(
                t(lang, "✅ Kaydet ve haber ver", "✅ Save and tell them"),
                FormPress::Confirm,
            )]);
            keyboard.push(vec![flow_button(
                t(lang, "« Özete dön", "« Back to the summary"),
                FormPress::Back,
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
