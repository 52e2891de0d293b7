//! A person's side of opportunities: what is open now by topic, subscribing to topics
//! after the alerts' consent, stopping them from any alert, "Remind me".

use crate::conversation::{EngineError, Flow, Placement, Reply, Turn};
use crate::conversation::{main_button, notice};
use crate::dialogue::render::escape_html;
use crate::ids::OpportunityId;
use crate::lang::{Lang, pick as t};
use crate::message::Button;
use crate::message::{Callback, to};
use crate::opportunities::service::{self as alerts, RemindMe};
use crate::opportunities::{Topic, TopicSet, messages};
use crate::storage::opportunities as q;

/// At most this many opportunities in one message (each with its page's button).
const PAGE: usize = 5;

/// `/opportunities`: what is open now, newest first, of one topic or all.
pub(crate) async fn opportunities(
    turn: &mut Turn<'_>,
    topic: Option<Topic>,
    placement: Placement,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let open: Vec<q::Stored> = q::open(turn.work.read().await?, now)
        .await?
        .into_iter()
        .filter(|s| topic.is_none_or(|t| s.opportunity.topics.contains(&t)))
        .collect();
    let heading = match topic {
        None => t(lang, "📣 Şu an açık fırsatlar", "📣 Opportunities open now").to_owned(),
        Some(topic) => format!("📣 {}", topic.label(lang)),
    };
    let mut keyboard: Vec<Vec<Button>> = Vec::new();
    let html = if open.is_empty() {
        format!(
            "{heading}\n\n{}",
            t(
                lang,
                "Şu an bu konuda açık bir fırsat yok. Yenileri duyurulduğunda haber almak için /subscribe.",
                "Nothing is open on this topic right now. To hear of new ones when they are announced: /subscribe.",
            )
        )
    } else {
        let mut parts = vec![heading];
        for (i, s) in open.iter().take(PAGE).enumerate() {
            parts.push(format!("{}. {}", i + 1, messages::body(&s.opportunity, lang)));
            let mut row = vec![Button {
                label: format!("🔗 {}. {}", i + 1, s.opportunity.title.get(lang))
                    .chars()
                    .take(60)
                    .collect(),
                target: crate::message::Target::Url(s.opportunity.url.clone()),
            }];
            // Staff can take a mistaken or cancelled one off from here.
            if desk.is_staff(turn.user) {
                row.push(messages::withdraw_button(OpportunityId(s.id), lang));
            }
            keyboard.push(row);
        }
        if open.len() > PAGE {
            parts.push(match lang {
                Lang::Tr => format!("… ve {} fırsat daha: bir konu seçin.", open.len() - PAGE),
                Lang::En => format!("… and {} more: choose a topic.", open.len() - PAGE),
            });
        }
        parts.join("\n\n")
    };
    for pair in Topic::ALL.chunks(2) {
        keyboard.push(
            pair.iter()
                .map(|t| to(t.label(lang), Callback::Opportunities(Some(*t))))
                .collect(),
        );
    }
    if topic.is_some() {
        keyboard.push(vec![to(
            t(lang, "📣 Tümü", "📣 All of them"),
            Callback::Opportunities(None),
        )]);
    }
    keyboard.push(vec![to(t(lang, "🔔 Haber al", "🔔 Get alerts"), Callback::Subscribe)]);
    Ok(vec![Reply::new(html, keyboard).placed(placement)])
}

/// `/subscribe`: the consent first (for someone with no topics yet, or whose topics
/// were chosen under an earlier version of it), then the topics.
pub(crate) async fn subscribe(turn: &mut Turn<'_>, placement: Placement) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let topics = q::topics_of_user(turn.work.read().await?, turn.user.0).await?;
    let tree = desk.tree();
    let current = match tree.alerts_consent() {
        Some(c) => q::consented_to(turn.work.read().await?, turn.user.0, &c.version).await?,
        None => false,
    };
    if !topics.is_empty() && current {
        return Ok(vec![topics_screen(turn, &topics).placed(placement)]);
    }
    let Some(consent) = tree.alerts_consent() else {
        return Ok(vec![notice(
            lang,
            t(
                lang,
                "Duyuru aboneliği şu anda yapılamıyor; lütfen büroyla iletişime geçin.",
                "Alerts are not available right now; please contact the office.",
            ),
        )]);
    };
    let html = format!(
        "🔔 {}\n\n{}",
        t(
            lang,
            "Seçtiğiniz konulardaki yeni fırsatlar (gönüllülük, gençlik değişimleri, stajlar, DiscoverEU, teklif çağrıları, eğitimlerimiz) açıldığında size yazalım. Önce lütfen okuyun:",
            "We will write to you when new opportunities open on the topics you choose (volunteering, youth exchanges, traineeships, DiscoverEU, calls, our trainings). Please read this first:",
        ),
        consent.html.get(lang)
    );
    let keyboard = vec![
        vec![to(
            t(
                lang,
                "✅ Kabul ediyorum, konuları seçeyim",
                "✅ I agree, let me choose topics",
            ),
            Callback::AlertsConsent,
        )],
        vec![main_button(lang)],
    ];
    Ok(vec![Reply::new(html, keyboard).placed(placement)])
}

/// The topics as toggles.
pub(crate) fn topics_screen(turn: &Turn<'_>, subscribed: &[Topic]) -> Reply {
    let lang = turn.lang;
    let mut keyboard: Vec<Vec<Button>> = Topic::ALL
        .iter()
        .map(|topic| {
            let on = subscribed.contains(topic);
            let label = format!("{} {}", if on { "✅" } else { "⬜" }, topic.label(lang));
            vec![to(&label, Callback::ToggleTopic(*topic))]
        })
        .collect();
    keyboard.push(vec![to(t(lang, "✔️ Tamam", "✔️ Done"), Callback::AlertsDone)]);
    let html = if subscribed.is_empty() {
        t(
            lang,
            "🔔 Hangi konularda haber almak istersiniz? Dokunarak seçin; istediğiniz zaman /unsubscribe ile ya da her duyurunun altındaki düğmeyle durdurabilirsiniz.",
            "🔔 Which topics would you like to hear about? Tap to choose; stop at any time with /unsubscribe or the button under every alert.",
        )
        .to_owned()
    } else {
        match lang {
            Lang::Tr => format!(
                "🔔 {} konuda haber alıyorsunuz. Eklemek ya da çıkarmak için dokunun.",
                subscribed.len()
            ),
            Lang::En => format!(
                "🔔 You get alerts on {} topic(s). Tap to add or remove.",
                subscribed.len()
            ),
        }
    };
    Reply::new(html, keyboard)
}

/// "I agree": the topics to choose.
pub(crate) async fn alerts_consent(turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let Some(version) = desk.tree().alerts_consent().map(|c| c.version.clone()) else {
        return Ok(vec![notice(
            turn.lang,
            crate::conversation::ui::button_unknown(turn.lang),
        )]);
    };
    turn.abandon_flow();
    q::reconsent(turn.work.write().await?, turn.user.0, &version).await?;
    turn.flow = Some(Flow::AlertTopics { consent: version });
    let topics = q::topics_of_user(turn.work.read().await?, turn.user.0).await?;
    Ok(vec![topics_screen(turn, &topics).placed(Placement::Replace)])
}

/// A tap on a topic: on or off.
pub(crate) async fn toggle_topic(turn: &mut Turn<'_>, topic: Topic) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let tree = desk.tree();
    let Some(consent) = tree.alerts_consent() else {
        return Ok(vec![notice(lang, crate::conversation::ui::button_unknown(lang))]);
    };
    let agreed = matches!(&turn.flow, Some(Flow::AlertTopics { consent: v }) if *v == consent.version);
    let user = turn.user;
    let conn = turn.work.write().await?;
    match alerts::toggle_topic(&mut *conn, user, topic, lang, &consent.version, agreed, now).await? {
        alerts::Toggled::NeedsConsent => subscribe(turn, Placement::Replace).await,
        alerts::Toggled::On | alerts::Toggled::Off => {
            let topics = q::topics_of_user(conn, user.0).await?;
            Ok(vec![topics_screen(turn, &topics).placed(Placement::Replace)])
        }
    }
}

/// "Done" on the topics screen.
pub(crate) async fn alerts_done(turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    if matches!(turn.flow, Some(Flow::AlertTopics { .. })) {
        turn.flow = None;
    }
    let topics = q::topics_of_user(turn.work.read().await?, turn.user.0).await?;
    let html = if topics.is_empty() {
        t(
            lang,
            "Hiçbir konuya abone değilsiniz; size duyuru gönderilmeyecek.",
            "You follow no topic; no alerts will be sent to you.",
        )
        .to_owned()
    } else {
        let names: Vec<&str> = topics.iter().map(|t| t.label(lang)).collect();
        format!(
            "{}\n{}\n\n{}",
            t(
                lang,
                "🔔 Şu konularda yeni fırsatları size yazacağız:",
                "🔔 We will write to you about new opportunities on:"
            ),
            names.join("\n"),
            t(
                lang,
                "Şu an açık olanlar: /opportunities",
                "What is open now: /opportunities"
            ),
        )
    };
    Ok(vec![
        Reply::new(html, vec![vec![main_button(lang)]]).placed(Placement::Replace),
    ])
}

/// `/unsubscribe`, or "Stop …" under an alert.
pub(crate) async fn stop_alerts(turn: &mut Turn<'_>, topics: Option<TopicSet>) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let only = topics.filter(|t| *t != TopicSet::ALL).map(TopicSet::topics);
    let gone = q::unsubscribe(turn.work.write().await?, turn.user.0, only.as_deref(), now).await?;
    let left = q::topics_of_user(turn.work.read().await?, turn.user.0).await?;
    let html = match (gone.is_empty(), left.is_empty()) {
        (true, true) => t(lang, "Hiçbir konuya abone değilsiniz.", "You follow no topic.").to_owned(),
        (_, true) => t(
            lang,
            "🔕 Tamam: artık size duyuru gönderilmeyecek. Yeniden abone olmak için /subscribe.",
            "🔕 Done: no more alerts will be sent to you. To subscribe again: /subscribe.",
        )
        .to_owned(),
        (_, false) => {
            let stopped: Vec<&str> = gone.iter().map(|t| t.label(lang)).collect();
            let kept: Vec<&str> = left.iter().map(|t| t.label(lang)).collect();
            match lang {
                Lang::Tr => format!(
                    "🔕 Durduruldu: {}\nDevam eden: {}\nDeğiştirmek için /subscribe.",
                    stopped.join(", "),
                    kept.join(", ")
                ),
                Lang::En => format!(
                    "🔕 Stopped: {}\nStill on: {}\nTo change: /subscribe.",
                    stopped.join(", "),
                    kept.join(", ")
                ),
            }
        }
    };
    Ok(vec![Reply::new(escape_html(&html), Vec::new())])
}

/// "Remind me" under an alert.
pub(crate) async fn remind_me(turn: &mut Turn<'_>, opportunity: OpportunityId) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let lead = desk.settings.remind_before;
    let outcome = alerts::remind_me(turn.work.write().await?, opportunity, turn.user, lang, lead, now).await?;
    let html = match outcome {
        RemindMe::Set(at) => match lang {
            Lang::Tr => format!(
                "⏰ Tamam: {} tarihinde size hatırlatacağım.",
                messages::deadline(at, lang)
            ),
            Lang::En => format!("⏰ All right: I will remind you on {}.", messages::deadline(at, lang)),
        },
        RemindMe::Already => t(
            lang,
            "⏰ Bu fırsat için hatırlatma zaten kurulu.",
            "⏰ A reminder for this one is already set.",
        )
        .to_owned(),
        RemindMe::Closed => t(
            lang,
            "Bu fırsatın son başvuru tarihi geçti.",
            "The deadline of this opportunity has passed.",
        )
        .to_owned(),
    };
    Ok(vec![Reply::new(html, Vec::new())])
}
