//! A person's side of a training day and after: checking in with the QR code shown in
//! the room, the feedback survey (defined in `dialogues/`), the certificate of
//! attendance as a PDF.

use crate::conversation::flow::{Flow, SurveyProgress};
use crate::conversation::{EngineError, Placement, Reply, Turn};
use crate::conversation::{cancel_row, flow_button};
use crate::conversation::{main_button, notice};
use crate::dialogue::render::escape_html;
use crate::dialogue::{Survey, SurveyKind};
use crate::lang::{Lang, pick as t};
use crate::message::Document;
use crate::message::FormPress;
use crate::message::{Callback, to};
use crate::storage::surveys::{self, Answer};
use crate::storage::trainings;
use crate::trainings::attendance::{self, CheckIn};
use crate::trainings::certificate::{self, Issue};
use crate::trainings::notices::{title, when_and_where};
use crate::trainings::{Attendance, RegistrationId, SessionId, Status, time};

/// The check-in link opened (by scanning the QR code in the room).
pub(crate) async fn check_in(turn: &mut Turn<'_>, session: SessionId, key: &str) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let outcome = attendance::check_in(turn.work.write().await?, session, key, turn.user, now).await?;
    let html = match outcome {
        CheckIn::Done(s) => format!(
            "{}\n\n<b>{}</b>\n{}",
            t(
                lang,
                "✅ Hoş geldiniz! Katılımınız kaydedildi.",
                "✅ Welcome! Your attendance is recorded."
            ),
            title(&s, lang),
            when_and_where(&s, lang)
        ),
        CheckIn::Already(s) => format!(
            "{}\n\n<b>{}</b>",
            t(
                lang,
                "✅ Katılımınız zaten kayıtlı.",
                "✅ Your attendance is already recorded."
            ),
            title(&s, lang)
        ),
        CheckIn::NotRegistered(s) => format!(
            "{}\n\n<b>{}</b>",
            t(
                lang,
                "Bu eğitimde kesin kaydınız görünmüyor. Yedek listedeyseniz ya da başka bir hesapla kaydolduysanız lütfen görevliye söyleyin; sizi listeden işaretleyebilir.",
                "You are not a confirmed registrant of this training. If you are on the waitlist or registered with another account, please tell the staff in the room; they can tick you on their list.",
            ),
            title(&s, lang)
        ),
        CheckIn::TooEarly(s) => format!(
            "{}\n\n<b>{}</b>\n{}",
            t(
                lang,
                "Yoklama eğitimden bir saat önce açılır; lütfen o zaman yeniden okutun.",
                "Check-in opens an hour before the training; please scan again then.",
            ),
            title(&s, lang),
            when_and_where(&s, lang)
        ),
        CheckIn::TooLate(s) => format!(
            "{}\n\n<b>{}</b>",
            t(
                lang,
                "Bu eğitimin yoklaması kapandı. Katıldıysanız lütfen büroya yazın (/ask); personel sizi işaretleyebilir.",
                "Check-in for this training has closed. If you attended, please write to the office (/ask); staff can tick you.",
            ),
            title(&s, lang)
        ),
        CheckIn::Invalid => t(
            lang,
            "Bu yoklama bağlantısı geçerli değil (eski, hatalı ya da iptal edilmiş bir eğitime ait).",
            "This check-in link is not valid (old, mistyped, or for a cancelled training).",
        )
        .to_owned(),
    };
    Ok(vec![Reply::new(html, vec![vec![main_button(lang)]])])
}

/// "Feedback survey" under the message after a training.
pub(crate) async fn start_survey(turn: &mut Turn<'_>, id: RegistrationId) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let tree = desk.tree();
    let Some(survey) = tree.survey() else {
        return Ok(vec![notice(
            lang,
            t(
                lang,
                "Şu anda bir anket yok; teşekkür ederiz.",
                "There is no survey at the moment; thank you.",
            ),
        )]);
    };
    let r = trainings::registration(turn.work.read().await?, id).await?;
    let Some(r) = r.filter(|r| r.user == turn.user) else {
        return Ok(vec![notice(lang, crate::conversation::ui::button_unknown(lang))]);
    };
    if r.surveyed {
        return Ok(vec![notice(
            lang,
            t(
                lang,
                "Bu eğitim için anketi zaten yanıtladınız; teşekkürler!",
                "You have already answered the survey for this training; thank you!",
            ),
        )]);
    }
    if r.status != Status::Confirmed || r.attendance != Some(Attendance::Present) {
        return Ok(vec![notice(
            lang,
            t(
                lang,
                "Anket eğitime katılanlar içindir.",
                "The survey is for those who attended the training.",
            ),
        )]);
    }
    turn.abandon_flow();
    turn.flow = Some(Flow::Survey(SurveyProgress {
        registration: id,
        version: survey.version.clone(),
        answers: Vec::new(),
    }));
    let intro = Reply::new(escape_html(survey.intro.get(lang)), Vec::new());
    Ok(vec![intro, survey_prompt(turn, survey)])
}

/// The next question of the survey.
pub(crate) fn survey_prompt(turn: &Turn<'_>, survey: &Survey) -> Reply {
    let lang = turn.lang;
    let Some(Flow::Survey(p)) = &turn.flow else {
        return notice(lang, "");
    };
    let i = p.answers.len();
    let Some(q) = survey.questions.get(i) else {
        return notice(lang, "");
    };
    let head = format!(
        "({}/{}) {}",
        i + 1,
        survey.questions.len(),
        escape_html(q.text.get(lang))
    );
    let cancel = cancel_row(lang);
    match q.kind {
        SurveyKind::Rating => {
            let marks = (1..=5)
                .map(|n| flow_button(&n.to_string(), FormPress::Rate(n)))
                .collect();
            Reply::new(
                format!(
                    "{head}\n<i>{}</i>",
                    t(lang, "1 = çok kötü, 5 = çok iyi", "1 = very poor, 5 = very good")
                ),
                vec![marks, cancel],
            )
        }
        SurveyKind::Text { max_chars } => Reply::new(
            format!(
                "{head}\n<i>{}</i>",
                match lang {
                    Lang::Tr => format!("Yazın (en fazla {max_chars} karakter) ya da atlayın."),
                    Lang::En => format!("Write (up to {max_chars} characters) or skip."),
                }
            ),
            vec![vec![flow_button(t(lang, "Atla »", "Skip »"), FormPress::Skip)], cancel],
        ),
    }
}

/// A button during the survey: a mark, skip, cancel.
pub(crate) async fn survey_press(turn: &mut Turn<'_>, value: FormPress) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    if value == FormPress::Cancel {
        turn.flow = None;
        return Ok(vec![
            notice(lang, crate::conversation::ui::survey_cancelled(lang)).placed(Placement::Replace),
        ]);
    }
    let answer = match value {
        FormPress::Rate(n) if (1..=5).contains(&n) => Some(Answer::Rating(n)),
        FormPress::Skip => None,
        _ => return survey_again(turn, None),
    };
    survey_answer(turn, answer, true).await
}

/// Text during the survey: the answer to a text question.
pub(crate) async fn survey_text(turn: &mut Turn<'_>, text: &str) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let tree = desk.tree();
    let question = match (&turn.flow, tree.survey()) {
        (Some(Flow::Survey(p)), Some(s)) => s.questions.get(p.answers.len()).cloned(),
        _ => None,
    };
    match question.map(|q| q.kind) {
        Some(SurveyKind::Text { max_chars }) => {
            let text = text.trim();
            if text.chars().count() > max_chars {
                let said = match lang {
                    Lang::Tr => format!(
                        "Yanıtınız {} karakter; en fazla {max_chars} olabilir. Lütfen kısaltıp yeniden gönderin.",
                        text.chars().count()
                    ),
                    Lang::En => format!(
                        "Your answer is {} characters; at most {max_chars} fit. Please shorten it and send it again.",
                        text.chars().count()
                    ),
                };
                return survey_again(turn, Some(said));
            }
            let answer = (!text.is_empty()).then(|| Answer::Text(text.to_owned()));
            survey_answer(turn, answer, false).await
        }
        _ => survey_again(
            turn,
            Some(
                t(
                    lang,
                    "Lütfen 1 ile 5 arasındaki düğmelerden birini seçin.",
                    "Please choose one of the buttons from 1 to 5.",
                )
                .to_owned(),
            ),
        ),
    }
}

/// The same question again, after a word on why.
pub(crate) fn survey_again(turn: &mut Turn<'_>, said: Option<String>) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let tree = desk.tree();
    let Some(survey) = tree.survey() else {
        turn.flow = None;
        return Ok(Vec::new());
    };
    let mut replies: Vec<Reply> = said
        .into_iter()
        .map(|s| Reply::new(escape_html(&s), Vec::new()))
        .collect();
    replies.push(survey_prompt(turn, survey));
    Ok(replies)
}

/// Records one answer (`None`: skipped) and asks the next question, or submits.
pub(crate) async fn survey_answer(
    turn: &mut Turn<'_>,
    answer: Option<Answer>,
    pressed: bool,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let tree = desk.tree();
    let (Some(Flow::Survey(mut p)), Some(survey)) = (turn.flow.clone(), tree.survey()) else {
        turn.flow = None;
        return Ok(Vec::new());
    };
    if p.version != survey.version {
        // The survey changed (a reload) while this person was answering: start over.
        turn.flow = None;
        let mut replies = vec![notice(
            lang,
            t(
                lang,
                "Anket bu arada güncellendi; baştan başlıyoruz.",
                "The survey was updated meanwhile; let us start again.",
            ),
        )];
        replies.extend(start_survey(turn, p.registration).await?);
        return Ok(replies);
    }
    let Some(q) = survey.questions.get(p.answers.len()) else {
        turn.flow = None;
        return Ok(Vec::new());
    };
    let fits = matches!(
        (&q.kind, &answer),
        (SurveyKind::Rating, Some(Answer::Rating(_))) | (SurveyKind::Text { .. }, _)
    );
    if !fits {
        return survey_again(turn, None);
    }
    // A skipped text question is stored as nothing at all.
    p.answers
        .push((q.id.clone(), answer.unwrap_or(Answer::Text(String::new()))));
    let placement = if pressed { Placement::Replace } else { Placement::New };
    if p.answers.len() < survey.questions.len() {
        turn.flow = Some(Flow::Survey(p));
        return Ok(vec![survey_prompt(turn, survey).placed(placement)]);
    }
    turn.flow = None;
    let Some(r) = trainings::registration(turn.work.read().await?, p.registration).await? else {
        return Ok(Vec::new());
    };
    let answers: Vec<(String, Answer)> = p
        .answers
        .into_iter()
        .filter(|(_, a)| !matches!(a, Answer::Text(t) if t.is_empty()))
        .collect();
    let now = desk.clock.now();
    let stored = surveys::submit(
        turn.work.write().await?,
        r.id,
        r.session,
        &survey.version,
        &answers,
        now,
    )
    .await?;
    let html = if stored {
        escape_html(survey.thanks.get(lang))
    } else {
        t(
            lang,
            "Bu eğitim için anketi zaten yanıtladınız; teşekkürler!",
            "You have already answered the survey for this training; thank you!",
        )
        .to_owned()
    };
    let keyboard = vec![
        vec![to(
            t(lang, "📄 Katılım belgesi", "📄 Certificate"),
            Callback::Certificate(r.id),
        )],
        vec![main_button(lang)],
    ];
    Ok(vec![Reply::new(html, keyboard).placed(placement)])
}

/// "Certificate": the PDF, issued now if it was not before.
pub(crate) async fn certificate(turn: &mut Turn<'_>, id: RegistrationId) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let (issued, r, s) = match certificate::issue(turn.work.write().await?, id, turn.user, now).await? {
        Issue::Ready {
            issued,
            registration,
            session,
        } => (issued, registration, session),
        Issue::NotYours => return Ok(vec![notice(lang, crate::conversation::ui::button_unknown(lang))]),
        Issue::NotAttended => {
            return Ok(vec![notice(
                lang,
                t(
                    lang,
                    "Katılım belgesi eğitime katılanlara verilir; yoklamada adınız görünmüyor. Katıldıysanız lütfen büroya yazın (/ask).",
                    "Certificates are for those who attended; the check-in does not show you. If you attended, please write to the office (/ask).",
                ),
            )]);
        }
    };
    let code = certificate::display(&issued.code);
    let pdf = crate::render::pdf::Certificate {
        lang,
        name: issued
            .name
            .clone()
            .unwrap_or_else(|| r.attendee.name.as_str().to_owned()),
        training: s.title(lang).to_owned(),
        when: s.when(lang),
        place: s.details.place.clone(),
        office: t(
            lang,
            "T.C. İzmir Valiliği AB ve Dış İlişkiler Bürosu",
            "Izmir Governorship, EU and Foreign Relations Office",
        )
        .to_owned(),
        code: code.clone(),
        verify: match lang {
            Lang::Tr => format!(
                "Bu belgenin doğruluğu, {code} koduyla AB ve Dış İlişkiler Bürosu'na sorularak teyit edilebilir."
            ),
            Lang::En => {
                format!("This certificate can be verified with the EU and Foreign Relations Office by its code {code}.")
            }
        },
        issued: time::date(issued.issued_at, lang),
    };
    let bytes = tokio::task::spawn_blocking(move || crate::render::pdf::certificate(&pdf))
        .await
        .map_err(|e| EngineError::Render(e.to_string()))?
        .map_err(crate::trainings::staff::render_error)?;
    let mut reply = Reply::new(
        format!(
            "📄 {} — <b>{}</b>\n{}: <code>{code}</code>",
            t(lang, "Katılım belgeniz", "Your certificate of attendance"),
            title(&s, lang),
            t(lang, "Doğrulama kodu", "Verification code"),
        ),
        Vec::new(),
    );
    reply.document = Some(Document {
        name: format!("{}-{}.pdf", t(lang, "katilim-belgesi", "certificate"), issued.code),
        bytes,
    });
    Ok(vec![reply])
}
