//! What the booking form says: each step's question with its buttons, and the summary
//! to confirm.

use crate::conversation::flow::{Booking, Flow, Step};
use crate::conversation::{EngineError, Reply, Turn};
use crate::conversation::{cancel_row, flow_button};
use crate::dialogue::render::escape_html;
use crate::lang::Lang;
use crate::message::Button;
use crate::message::FormPress;
use crate::storage::trainings;
use crate::trainings::OrgType;
use crate::trainings::notices::{title, when_and_where};

use crate::conversation::ui::pick as t;

/// The question of the current step, with its buttons.
pub(crate) async fn flow_prompt(turn: &mut Turn<'_>) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let Some(Flow::Booking(b)) = turn.flow.clone() else {
        return Ok(Vec::new());
    };
    let step = match lang {
        Lang::Tr => format!("Adım {}/6 — ", b.number()),
        Lang::En => format!("Step {} of 6 — ", b.number()),
    };
    let reply = match b.step {
        Step::Name => Reply::new(
            step + t(lang, "Adınız ve soyadınız nedir?", "What is your full name?"),
            vec![cancel_row(lang)],
        ),
        Step::OrgType => {
            let mut keyboard: Vec<Vec<Button>> = OrgType::ALL
                .chunks(2)
                .map(|pair| {
                    pair.iter()
                        .map(|o| flow_button(o.label(lang), FormPress::Org(*o)))
                        .collect()
                })
                .collect();
            keyboard.push(cancel_row(lang));
            Reply::new(
                step + t(
                    lang,
                    "Hangi tür bir kurumdan katılıyorsunuz?",
                    "What kind of organisation are you from?",
                ),
                keyboard,
            )
        }
        Step::Organisation => Reply::new(
            step + t(lang, "Kurumunuzun adı nedir?", "What is the name of your organisation?"),
            vec![cancel_row(lang)],
        ),
        Step::Email => Reply::new(
            step + t(
                lang,
                "E-posta adresiniz nedir? Eğitimle ilgili bilgiler bu adrese de gönderilebilir.",
                "What is your e-mail address? Information about the training may also be sent there.",
            ),
            vec![cancel_row(lang)],
        ),
        Step::Phone => Reply::new(
            step + t(
                lang,
                "Telefon numaranız (isteğe bağlı)? Yazın ya da «Atla»ya basın.",
                "Your phone number (optional)? Type it, or press «Skip».",
            ),
            vec![
                vec![flow_button(t(lang, "Atla »", "Skip »"), FormPress::Skip)],
                cancel_row(lang),
            ],
        ),
        Step::Consent => {
            let consent = desk
                .tree()
                .consent()
                .map(|c| c.html.get(lang).clone())
                .unwrap_or_default();
            Reply::new(
                format!(
                    "{step}{}\n\n{consent}",
                    t(
                        lang,
                        "Kişisel verilerin korunması (KVKK)",
                        "Personal data protection (KVKK)"
                    )
                ),
                vec![vec![
                    flow_button(t(lang, "✅ Onaylıyorum", "✅ I agree"), FormPress::Yes),
                    flow_button(t(lang, "Onaylamıyorum", "I do not agree"), FormPress::No),
                ]],
            )
        }
        Step::Summary => summary(turn, &b).await?,
        Step::Edit => {
            let fields: [(Step, &str, &str); 5] = [
                (Step::Name, "Ad soyad", "Full name"),
                (Step::OrgType, "Kurum türü", "Organisation type"),
                (Step::Organisation, "Kurum adı", "Organisation"),
                (Step::Email, "E-posta", "E-mail"),
                (Step::Phone, "Telefon", "Phone"),
            ];
            let mut keyboard: Vec<Vec<Button>> = fields
                .iter()
                .filter(|(step, _, _)| *step != Step::Organisation || b.org_type != Some(OrgType::Individual))
                .map(|(step, tr, en)| vec![flow_button(t(lang, tr, en), FormPress::Answer(*step))])
                .collect();
            keyboard.push(vec![flow_button(
                t(lang, "« Özete dön", "« Back to the summary"),
                FormPress::Summary,
            )]);
            Reply::new(
                t(
                    lang,
                    "Hangi bilgiyi düzeltmek istersiniz?",
                    "Which answer would you like to change?",
                ),
                keyboard,
            )
        }
    };
    Ok(vec![reply])
}

pub(crate) async fn summary(turn: &mut Turn<'_>, b: &Booking) -> Result<Reply, EngineError> {
    let lang = turn.lang;
    let session = trainings::session(turn.work.read().await?, b.session).await?;
    let dash = "—".to_owned();
    let field = |v: Option<&str>| v.map_or_else(|| dash.clone(), escape_html);
    let mut lines = vec![
        t(
            lang,
            "<b>Lütfen bilgilerinizi kontrol edin</b>",
            "<b>Please check your details</b>",
        )
        .to_owned(),
    ];
    if let Some(s) = &session {
        lines.push(format!("\n<b>{}</b>\n{}\n", title(s, lang), when_and_where(s, lang)));
    }
    let rows: [(&str, &str, String); 5] = [
        ("Ad soyad", "Full name", field(b.name.as_ref().map(|v| v.as_str()))),
        (
            "Kurum türü",
            "Organisation type",
            field(b.org_type.map(|o| o.label(lang))),
        ),
        (
            "Kurum",
            "Organisation",
            field(b.organisation.as_ref().map(|v| v.as_str())),
        ),
        ("E-posta", "E-mail", field(b.email.as_ref().map(|v| v.as_str()))),
        ("Telefon", "Phone", field(b.phone.as_ref().map(|v| v.as_str()))),
    ];
    for (tr, en, value) in rows {
        lines.push(format!("{}: {value}", t(lang, tr, en)));
    }
    let keyboard = vec![
        vec![flow_button(
            t(lang, "✅ Onayla ve kaydol", "✅ Confirm and book"),
            FormPress::Confirm,
        )],
        vec![
            flow_button(t(lang, "✏️ Düzenle", "✏️ Edit"), FormPress::Edit),
            flow_button(crate::conversation::ui::cancel(lang), FormPress::Cancel),
        ],
    ];
    Ok(Reply::new(lines.join("\n"), keyboard))
}
