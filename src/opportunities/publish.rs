//! Staff publish an opportunity from Telegram (in their private chat): topics, titles
//! and texts in both languages, the official page, the deadline, ages; each value
//! checked as it is typed; a preview exactly as subscribers will see it, in each
//! language; Send / Change a value / Cancel. And "Stop" under a fan-out's progress.

use crate::conversation::flow::{Flow, PublishForm, PublishStep};
use crate::conversation::staff_reply;
use crate::conversation::{DeepLink, EngineError, Place, Placement, Reply, Turn};
use crate::conversation::{cancel_row, flow_button};
use crate::dialogue::render::escape_html;
use crate::ids::{ChatId, FanoutId, OpportunityId};
use crate::lang::{Lang, pick as t};
use crate::message::FormPress;
use crate::message::{Button, Target};
use crate::message::{Callback, to};
use crate::opportunities::FanoutState;
use crate::opportunities::opportunity as parse;
use crate::opportunities::service as alerts;
use crate::opportunities::{Topic, messages};
use crate::storage::opportunities as q;

fn field_name(step: PublishStep, lang: Lang) -> &'static str {
    match step {
        PublishStep::Topics => t(lang, "Konular", "Topics"),
        PublishStep::TitleTr => t(lang, "Başlık (Türkçe)", "Title (Turkish)"),
        PublishStep::TitleEn => t(lang, "Başlık (İngilizce)", "Title (English)"),
        PublishStep::TextTr => t(lang, "Metin (Türkçe)", "Text (Turkish)"),
        PublishStep::TextEn => t(lang, "Metin (İngilizce)", "Text (English)"),
        PublishStep::Url => t(lang, "Resmî sayfa", "Official page"),
        PublishStep::Deadline => t(lang, "Son başvuru", "Deadline"),
        PublishStep::Ages => t(lang, "Yaş aralığı", "Age range"),
        PublishStep::Preview | PublishStep::Edit => "",
    }
}

fn refusal(step: PublishStep, lang: Lang) -> String {
    match (step, lang) {
        (PublishStep::TitleTr | PublishStep::TitleEn, Lang::Tr) => {
            format!(
                "Başlık tek satır olmalı, boş olamaz, en fazla {} karakter.",
                parse::MAX_TITLE_CHARS
            )
        }
        (PublishStep::TitleTr | PublishStep::TitleEn, Lang::En) => {
            format!(
                "The title is one line, not empty, at most {} characters.",
                parse::MAX_TITLE_CHARS
            )
        }
        (PublishStep::TextTr | PublishStep::TextEn, Lang::Tr) => format!(
            "Metin boş olamaz ve en fazla {} karakter olmalı; kalın yazı için **böyle** (her iki yanda iki yıldız).",
            parse::MAX_TEXT_CHARS
        ),
        (PublishStep::TextTr | PublishStep::TextEn, Lang::En) => format!(
            "The text cannot be empty and is at most {} characters; for bold write **like this** (two stars on each side).",
            parse::MAX_TEXT_CHARS
        ),
        (PublishStep::Url, Lang::Tr) => "Resmî sayfanın https:// ile başlayan adresini yazın.".to_owned(),
        (PublishStep::Url, Lang::En) => "Write the official page's address, starting with https://.".to_owned(),
        (PublishStep::Deadline, Lang::Tr) => {
            "Gelecekte bir tarih (ve saat) yazın, örneğin 01.03.2027 ya da 01.03.2027 17:00 (İstanbul saati)."
                .to_owned()
        }
        (PublishStep::Deadline, Lang::En) => {
            "Write a date (and time) ahead, for example 01.03.2027 or 01.03.2027 17:00 (Istanbul time).".to_owned()
        }
        (PublishStep::Ages, Lang::Tr) => {
            "Yaş aralığını 18-30 gibi yazın (10 ile 99 arası), ya da «Yaş sınırı yok» düğmesine basın.".to_owned()
        }
        (PublishStep::Ages, Lang::En) => {
            "Write the age range like 18-30 (from 10 to 99), or press «No age limits».".to_owned()
        }
        (_, lang) => t(
            lang,
            "Lütfen aşağıdaki düğmelerden birini seçin.",
            "Please choose one of the buttons below.",
        )
        .to_owned(),
    }
}

/// `/publish`: the form in the private chat; from the staff group, a link to it.
pub(crate) async fn start_publish(turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    if let Place::StaffChat(_) = turn.place {
        let label = t(lang, "📣 Özel sohbette yaz", "📣 Write it in the private chat");
        let button = match desk.link(&DeepLink::Publish) {
            Some(url) => Button {
                label: label.to_owned(),
                target: Target::Url(url),
            },
            None => to(label, Callback::Publish),
        };
        return Ok(vec![Reply::new(
            t(
                lang,
                "Duyuru formu özel sohbette doldurulur (birkaç mesaj sürer, grup sessiz kalsın):",
                "The alert is written in a private chat (it takes a few messages; the group stays quiet):",
            ),
            vec![vec![button]],
        )]);
    }
    turn.abandon_flow();
    turn.flow = Some(Flow::Publish(PublishForm::new()));
    Ok(vec![publish_prompt(turn)])
}

pub(crate) fn publish_prompt(turn: &Turn<'_>) -> Reply {
    let lang = turn.lang;
    let Some(Flow::Publish(f)) = &turn.flow else {
        return staff_reply("");
    };
    let step_of = |step: PublishStep| match lang {
        Lang::Tr => format!("<b>{}</b> ({}/8)", field_name(step, lang), step.number()),
        Lang::En => format!("<b>{}</b> ({} of 8)", field_name(step, lang), step.number()),
    };
    let mut keyboard: Vec<Vec<Button>> = Vec::new();
    let html = match f.step {
        PublishStep::Topics => {
            for topic in Topic::ALL {
                let on = f.topics.contains(&topic);
                let label = format!("{} {}", if on { "✅" } else { "⬜" }, topic.label(lang));
                keyboard.push(vec![flow_button(&label, FormPress::Topic(topic))]);
            }
            keyboard.push(vec![flow_button(
                t(lang, "Devam »", "Continue »"),
                FormPress::TopicsDone,
            )]);
            format!(
                "📣 {}\n{}\n{}",
                t(lang, "Yeni duyuru.", "A new alert."),
                step_of(f.step),
                t(
                    lang,
                    "Hangi konuların abonelerine gitsin? Bir ya da daha fazlasını seçin.",
                    "The subscribers of which topics should get it? Choose one or more.",
                )
            )
        }
        PublishStep::TitleTr | PublishStep::TitleEn => format!(
            "{}\n{}",
            step_of(f.step),
            t(lang, "Kısa ve açık bir başlık yazın.", "Write a short, clear title.")
        ),
        PublishStep::TextTr | PublishStep::TextEn => format!(
            "{}\n{}",
            step_of(f.step),
            t(
                lang,
                "Birkaç satırda: ne, kimler için, nasıl başvurulur. **Kalın** yazı kullanılabilir.",
                "A few lines: what it is, for whom, how to apply. **Bold** may be used.",
            )
        ),
        PublishStep::Url => format!(
            "{}\n{}",
            step_of(f.step),
            t(
                lang,
                "Resmî sayfanın adresi (https://…).",
                "The official page's address (https://…)."
            )
        ),
        PublishStep::Deadline => format!(
            "{}\n{}",
            step_of(f.step),
            t(
                lang,
                "Son başvuru tarihi, örneğin 01.03.2027 ya da 01.03.2027 17:00 (İstanbul saati; saat yazılmazsa 23:59).",
                "The deadline, for example 01.03.2027 or 01.03.2027 17:00 (Istanbul time; 23:59 when no time is given).",
            )
        ),
        PublishStep::Ages => {
            keyboard.push(vec![flow_button(
                t(lang, "Yaş sınırı yok", "No age limits"),
                FormPress::NoAges,
            )]);
            format!(
                "{}\n{}",
                step_of(f.step),
                t(
                    lang,
                    "Kimler için? Yaş aralığı, örneğin 18-30.",
                    "For whom? An age range, for example 18-30."
                )
            )
        }
        PublishStep::Edit => {
            for pair in PublishStep::ORDER.chunks(2) {
                keyboard.push(
                    pair.iter()
                        .map(|s| flow_button(field_name(*s, lang), FormPress::PublishField(*s)))
                        .collect(),
                );
            }
            t(lang, "Hangi değer değişsin?", "Which value should change?").to_owned()
        }
        PublishStep::Preview => {
            keyboard.push(vec![flow_button(t(lang, "📣 Gönder", "📣 Send"), FormPress::Send)]);
            keyboard.push(vec![flow_button(
                t(lang, "✏️ Bir değeri değiştir", "✏️ Change a value"),
                FormPress::Edit,
            )]);
            t(
                lang,
                "Yukarıda, abonelerin göreceği hâli (Türkçe ve İngilizce). Gönderilsin mi?",
                "Above, as subscribers will see it (Turkish and English). Send it?",
            )
            .to_owned()
        }
    };
    keyboard.push(cancel_row(lang));
    Reply::new(html, keyboard)
}

/// The preview: the alert in each language as subscribers get it, and how many will.
pub(crate) async fn publish_preview(turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let Some(Flow::Publish(f)) = &turn.flow else {
        return Ok(Vec::new());
    };
    let Some(opportunity) = f.opportunity() else {
        return Ok(vec![publish_prompt(turn)]);
    };
    let stored = q::Stored {
        id: 0,
        opportunity,
        published_by: String::new(),
        published_at: desk.clock.now(),
        withdrawn: false,
    };
    let mut replies = vec![staff_reply(t(lang, "👀 <b>Önizleme</b>", "👀 <b>Preview</b>"))];
    for l in Lang::ALL {
        let mut m = messages::alert(&stored, crate::ids::UserId(0), l);
        // The same buttons, but pressing them here must not unsubscribe the staff
        // member or ask a reminder for an alert that does not exist yet.
        for button in m.keyboard.iter_mut().flatten() {
            if let crate::message::Target::Callback(_) = button.target {
                button.target = crate::message::Target::Callback(Callback::InPreview);
            }
        }
        replies.push(Reply::new(m.html, m.keyboard));
    }
    replies.push(publish_prompt(turn));
    Ok(replies)
}

/// A value typed during the form.
pub(crate) async fn publish_text(turn: &mut Turn<'_>, text: &str) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let Some(Flow::Publish(mut f)) = turn.flow.clone() else {
        return Ok(Vec::new());
    };
    let now = desk.clock.now();
    let accepted = match f.step {
        PublishStep::TitleTr => parse::parse_title(text).ok().map(|v| f.title_tr = Some(v)),
        PublishStep::TitleEn => parse::parse_title(text).ok().map(|v| f.title_en = Some(v)),
        PublishStep::TextTr => parse::parse_text(text).ok().map(|v| f.text_tr = Some(v)),
        PublishStep::TextEn => parse::parse_text(text).ok().map(|v| f.text_en = Some(v)),
        PublishStep::Url => parse::parse_url(text).ok().map(|v| f.url = Some(v)),
        PublishStep::Deadline => parse::parse_deadline(text, now).ok().map(|v| f.deadline = Some(v)),
        PublishStep::Ages => parse::parse_ages(text).ok().map(|v| {
            f.ages = v;
            f.ages_given = true;
        }),
        PublishStep::Topics | PublishStep::Preview | PublishStep::Edit => None,
    };
    if accepted.is_none() {
        let refused = Reply::new(escape_html(&refusal(f.step, lang)), Vec::new());
        return Ok(vec![refused, publish_prompt(turn)]);
    }
    publish_next(turn, f).await
}

pub(crate) async fn publish_next(turn: &mut Turn<'_>, mut f: PublishForm) -> Result<Vec<Reply>, EngineError> {
    f.advance();
    let preview = f.step == PublishStep::Preview;
    turn.flow = Some(Flow::Publish(f));
    if preview {
        publish_preview(turn).await
    } else {
        Ok(vec![publish_prompt(turn)])
    }
}

/// A button during the form.
pub(crate) async fn publish_press(turn: &mut Turn<'_>, value: FormPress) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let Some(Flow::Publish(mut f)) = turn.flow.clone() else {
        return Ok(Vec::new());
    };
    match value {
        FormPress::Cancel => {
            turn.flow = None;
            Ok(vec![
                staff_reply(t(
                    lang,
                    "Duyuru iptal edildi; hiçbir şey gönderilmedi.",
                    "The alert is cancelled; nothing was sent.",
                ))
                .placed(Placement::Replace),
            ])
        }
        FormPress::Topic(topic) if f.step == PublishStep::Topics => {
            match f.topics.iter().position(|t| *t == topic) {
                Some(i) => {
                    f.topics.remove(i);
                }
                None => {
                    f.topics.push(topic);
                    f.topics.sort();
                }
            }
            turn.flow = Some(Flow::Publish(f));
            Ok(vec![publish_prompt(turn).placed(Placement::Replace)])
        }
        FormPress::TopicsDone if f.step == PublishStep::Topics => {
            if f.topics.is_empty() {
                let said = Reply::new(
                    t(lang, "En az bir konu seçin.", "Choose at least one topic."),
                    Vec::new(),
                );
                return Ok(vec![said]);
            }
            publish_next(turn, f).await
        }
        FormPress::NoAges if f.step == PublishStep::Ages => {
            f.ages = None;
            f.ages_given = true;
            publish_next(turn, f).await
        }
        FormPress::Edit if f.step == PublishStep::Preview => {
            f.step = PublishStep::Edit;
            turn.flow = Some(Flow::Publish(f));
            Ok(vec![publish_prompt(turn)])
        }
        FormPress::PublishField(step) if f.step == PublishStep::Edit => {
            f.step = step;
            f.editing = true;
            turn.flow = Some(Flow::Publish(f));
            Ok(vec![publish_prompt(turn)])
        }
        FormPress::Send if f.step == PublishStep::Preview => publish_send(turn, f).await,
        _ => Ok(vec![publish_prompt(turn)]),
    }
}

pub(crate) async fn publish_send(turn: &mut Turn<'_>, f: PublishForm) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let Some(opportunity) = f.opportunity() else {
        return Ok(vec![publish_prompt(turn)]);
    };
    if opportunity.deadline <= now {
        let mut f = f;
        f.step = PublishStep::Deadline;
        f.editing = true;
        turn.flow = Some(Flow::Publish(f));
        return Ok(vec![
            Reply::new(escape_html(&refusal(PublishStep::Deadline, lang)), Vec::new()),
            publish_prompt(turn),
        ]);
    }
    let by = turn.first_name.clone();
    let channel = desk.settings.channel.map(ChatId);
    let published = alerts::publish(turn.work.write().await?, &opportunity, &by, channel, now).await?;
    turn.flow = None;
    let html = match lang {
        Lang::Tr => format!(
            "📣 Duyuru #{} yayımlandı: {} aboneye gönderiliyor; ilerleme personel grubunda. Şu an açık fırsatlar: /opportunities",
            published.id, published.recipients
        ),
        Lang::En => format!(
            "📣 Alert #{} is published: going out to {} subscriber(s); progress in the staff group. Open now: /opportunities",
            published.id, published.recipients
        ),
    };
    Ok(vec![staff_reply(&html).placed(Placement::Replace)])
}

/// "Withdraw" (under a progress post or a listed opportunity): asks, then takes the
/// opportunity off `/opportunities` and stops its alert if it is still going out.
pub(crate) async fn withdraw_press(
    turn: &mut Turn<'_>,
    id: OpportunityId,
    confirmed: bool,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let Some(stored) = q::get(turn.work.read().await?, id.0).await? else {
        return Ok(vec![staff_reply(t(
            lang,
            "Böyle bir duyuru yok.",
            "There is no such alert.",
        ))]);
    };
    let title = escape_html(stored.opportunity.title.get(lang));
    if stored.withdrawn {
        return Ok(vec![staff_reply(&match lang {
            Lang::Tr => format!("#{id} «{title}» zaten yayından kaldırılmış."),
            Lang::En => format!("#{id} “{title}” was withdrawn already."),
        })]);
    }
    if !confirmed {
        let html = match lang {
            Lang::Tr => format!(
                "🗑 #{id} «{title}» yayından kaldırılsın mı? /opportunities listesinden çıkar, gönderimi sürüyorsa durur, istenen hatırlatmalar gönderilmez. Gönderilmiş duyurular silinmez."
            ),
            Lang::En => format!(
                "🗑 Withdraw #{id} “{title}”? It leaves /opportunities, its alert stops if still going out, and reminders asked for it are not sent. Alerts already delivered stay where they are."
            ),
        };
        let yes = match lang {
            Lang::Tr => "🗑 Evet, kaldır",
            Lang::En => "🗑 Yes, withdraw",
        };
        return Ok(vec![Reply::new(
            html,
            vec![vec![to(yes, Callback::Withdraw(id, true))]],
        )]);
    }
    let now = desk.clock.now();
    let withdrawn = alerts::withdraw(turn.work.write().await?, id, now).await?;
    Ok(vec![
        staff_reply(&match (withdrawn, lang) {
            (true, Lang::Tr) => format!("🗑 #{id} «{title}» yayından kaldırıldı."),
            (true, Lang::En) => format!("🗑 #{id} “{title}” is withdrawn."),
            (false, Lang::Tr) => format!("#{id} «{title}» zaten yayından kaldırılmış."),
            (false, Lang::En) => format!("#{id} “{title}” was withdrawn already."),
        })
        .placed(Placement::Replace),
    ])
}

/// "Stop" under a fan-out's progress post.
pub(crate) async fn stop_fanout(turn: &mut Turn<'_>, id: FanoutId) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let stopped = alerts::end_fanout(turn.work.write().await?, id, FanoutState::Stopped, now).await?;
    Ok(vec![staff_reply(if stopped {
        t(
            lang,
            "⏹ Duyurunun gönderimi durduruldu.",
            "⏹ The alert stopped going out.",
        )
    } else {
        t(
            lang,
            "Bu duyurunun gönderimi zaten bitmiş.",
            "This alert has finished going out already.",
        )
    })])
}
