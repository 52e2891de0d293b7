//! PCM training booking in the conversation: the list of sessions and the step-by-step
//! registration (a person's own registrations are in `mine`).

use crate::conversation::flow::{Booking, Flow, Step};
use crate::conversation::{EngineError, Placement, Reply, Turn};
use crate::conversation::{cancel_row, flow_button};
use crate::dialogue::render::escape_html;
use crate::lang::Lang;
use crate::message::Button;
use crate::message::{Callback, to};
use crate::storage::trainings;
use crate::trainings::notices::{calendar, standing, title, when_and_where};
use crate::trainings::service::{self as training, Booked};
use crate::trainings::{
    Attendee, Email, FieldError, OrgType, Organisation, PersonName, Phone, Session, SessionId, Status,
};

use crate::conversation::ui::pick as t;
use crate::conversation::{main_button, notice};

pub(crate) fn my_registrations_button(lang: Lang) -> Button {
    to(
        t(lang, "📋 Kayıtlarım", "📋 My registrations"),
        Callback::MyRegistrations,
    )
}

/// Session titles make long button labels: Telegram shows about a phone's width.
pub(crate) fn button_label(label: String) -> String {
    label.chars().take(60).collect()
}

/// The message that carries the calendar file.
fn calendar_reply(session: &Session, lang: Lang, now: jiff::Timestamp) -> Reply {
    let mut reply = Reply::new(t(lang, "📅 Takviminize ekleyin", "📅 Add to calendar"), Vec::new());
    reply.document = Some(calendar(session, lang, now));
    reply
}

/// The sessions open for booking, each a button.
pub(crate) async fn trainings(turn: &mut Turn<'_>, placement: Placement) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let open: Vec<Session> = trainings::sessions(turn.work.read().await?)
        .await?
        .into_iter()
        .filter(|s| s.bookable(now))
        .collect();
    let mut keyboard: Vec<Vec<Button>> = Vec::new();
    let html = if open.is_empty() {
        t(
            lang,
            "Şu anda kayda açık bir PCM eğitimi yok. Yeni tarihler açıldığında burada görünecek; daha sonra tekrar bakın.",
            "No PCM training is open for booking right now. New dates will appear here; please check again later.",
        )
        .to_owned()
    } else {
        let mut lines = vec![
            t(
                lang,
                "<b>Kayda açık PCM eğitimleri</b>\nKaydolmak istediğinizi seçin:",
                "<b>PCM trainings open for booking</b>\nChoose one to book:",
            )
            .to_owned(),
        ];
        for s in &open {
            let seats = if s.free_seats() > 0 {
                match lang {
                    Lang::Tr => format!("{} boş yer", s.free_seats()),
                    Lang::En => format!("{} seats free", s.free_seats()),
                }
            } else {
                t(lang, "dolu, yedek liste", "full, waitlist").to_owned()
            };
            lines.push(format!(
                "\n<b>{}</b>\n{}\n👥 {seats}",
                title(s, lang),
                when_and_where(s, lang)
            ));
            let date = crate::trainings::time::local(s.details.starts);
            let label = button_label(format!("📝 {} · {}", s.title(lang), &date[..10]));
            keyboard.push(vec![to(&label, Callback::Session(s.id))]);
        }
        lines.join("\n")
    };
    keyboard.push(vec![my_registrations_button(lang)]);
    keyboard.push(vec![main_button(lang)]);
    Ok(vec![Reply::new(html, keyboard).placed(placement)])
}

/// Starts booking a session, or shows the person's registration if they have one.
pub(crate) async fn start_booking(
    turn: &mut Turn<'_>,
    id: SessionId,
    placement: Placement,
) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let now = desk.clock.now();
    let session = trainings::session(turn.work.read().await?, id).await?;
    let Some(session) = session.filter(|s| s.bookable(now)) else {
        let mut replies = trainings(turn, placement).await?;
        replies[0] = replies[0].clone().with_notice(t(
            lang,
            "Bu eğitim kayda açık değil (kapanmış, iptal edilmiş ya da geçmiş olabilir).",
            "That training is not open for booking (it may be closed, cancelled or past).",
        ));
        return Ok(replies);
    };
    if let Some(r) = trainings::live_registration(turn.work.read().await?, id, turn.user.0).await? {
        let html = format!(
            "{}\n\n<b>{}</b>\n{}\n\n{}",
            t(
                lang,
                "Bu eğitime zaten kaydınız var:",
                "You are already registered for this training:"
            ),
            title(&session, lang),
            when_and_where(&session, lang),
            standing(&r, &session, lang)
        );
        let keyboard = vec![
            vec![to(
                t(lang, "✖️ Kaydımı iptal et", "✖️ Cancel my registration"),
                Callback::CancelAsk(r.id),
            )],
            vec![main_button(lang)],
        ];
        return Ok(vec![Reply::new(html, keyboard).placed(placement)]);
    }
    turn.flow = Some(Flow::Booking(Booking::new(id)));
    let full = if session.free_seats() == 0 {
        t(
            lang,
            "\n\n⏳ Bu eğitim dolu; kaydolursanız yedek listeye alınırsınız ve yer açılınca hemen haber veririm.",
            "\n\n⏳ This training is full; if you book, you join the waitlist and I will tell you at once when a seat opens.",
        )
    } else {
        ""
    };
    let intro = format!(
        "<b>{}</b>\n{}{full}\n\n{}",
        title(&session, lang),
        when_and_where(&session, lang),
        t(
            lang,
            "Kayıt birkaç kısa sorudan oluşur; istediğiniz an /cancel ile vazgeçebilirsiniz.",
            "Booking takes a few short questions; you can stop at any time with /cancel."
        )
    );
    let mut replies = vec![Reply::new(intro, Vec::new()).placed(placement)];
    replies.extend(flow_prompt(turn).await?);
    Ok(replies)
}

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
                        .map(|o| flow_button(o.label(lang), &format!("org:{}", o.code())))
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
            vec![vec![flow_button(t(lang, "Atla »", "Skip »"), "skip")], cancel_row(lang)],
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
                    flow_button(t(lang, "✅ Onaylıyorum", "✅ I agree"), "yes"),
                    flow_button(t(lang, "Onaylamıyorum", "I do not agree"), "no"),
                ]],
            )
        }
        Step::Summary => summary(turn, &b).await?,
        Step::Edit => {
            let fields: [(&str, &str, &str); 5] = [
                ("name", "Ad soyad", "Full name"),
                ("org_type", "Kurum türü", "Organisation type"),
                ("organisation", "Kurum adı", "Organisation"),
                ("email", "E-posta", "E-mail"),
                ("phone", "Telefon", "Phone"),
            ];
            let mut keyboard: Vec<Vec<Button>> = fields
                .iter()
                .filter(|(code, _, _)| *code != "organisation" || b.org_type != Some(OrgType::Individual))
                .map(|(code, tr, en)| vec![flow_button(t(lang, tr, en), &format!("edit:{code}"))])
                .collect();
            keyboard.push(vec![flow_button(
                t(lang, "« Özete dön", "« Back to the summary"),
                "summary",
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
            "confirm",
        )],
        vec![
            flow_button(t(lang, "✏️ Düzenle", "✏️ Edit"), "edit"),
            flow_button(crate::conversation::ui::cancel(lang), "cancel"),
        ],
    ];
    Ok(Reply::new(lines.join("\n"), keyboard))
}

/// Typed text during a booking: the answer to the current step.
pub(crate) async fn flow_text(turn: &mut Turn<'_>, text: &str) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let Some(Flow::Booking(mut b)) = turn.flow.clone() else {
        return Ok(Vec::new());
    };
    let parsed: Result<(), FieldError> = match b.step {
        Step::Name => PersonName::parse(text).map(|v| b.name = Some(v)),
        Step::Organisation => Organisation::parse(text).map(|v| b.organisation = Some(v)),
        Step::Email => Email::parse(text).map(|v| b.email = Some(v)),
        Step::Phone => Phone::parse(text).map(|v| {
            b.phone = Some(v);
            b.phone_skipped = false;
        }),
        Step::OrgType | Step::Consent | Step::Summary | Step::Edit => {
            let mut replies = vec![Reply::new(
                t(
                    lang,
                    "Lütfen aşağıdaki düğmelerden birini seçin.",
                    "Please choose one of the buttons below.",
                ),
                Vec::new(),
            )];
            replies.extend(flow_prompt(turn).await?);
            return Ok(replies);
        }
    };
    match parsed {
        Ok(()) => {
            b.advance();
            turn.flow = Some(Flow::Booking(b));
            flow_prompt(turn).await
        }
        Err(e) => {
            let mut replies = vec![Reply::new(e.explain(lang), Vec::new())];
            replies.extend(flow_prompt(turn).await?);
            Ok(replies)
        }
    }
}

/// A button pressed during a booking.
pub(crate) async fn flow_press(turn: &mut Turn<'_>, value: &str) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let Some(Flow::Booking(mut b)) = turn.flow.clone() else {
        // A button of a booking that has ended (or never began here).
        let mut replies = trainings(turn, Placement::Replace).await?;
        replies[0] = replies[0].clone().with_notice(t(
            lang,
            "O kayıt işlemi artık sürmüyor.",
            "That booking is no longer in progress.",
        ));
        return Ok(replies);
    };
    match (b.step, value) {
        (_, "cancel") => {
            turn.flow = None;
            return Ok(vec![
                notice(lang, crate::conversation::ui::booking_cancelled(lang)).placed(Placement::Replace),
            ]);
        }
        (Step::OrgType, v) if v.starts_with("org:") => {
            match OrgType::parse(&v[4..]) {
                Some(o) => {
                    b.org_type = Some(o);
                    if o == OrgType::Individual {
                        b.organisation = Organisation::parse(o.label(lang)).ok();
                    } else if b
                        .organisation
                        .as_ref()
                        .is_some_and(|x| Some(x.as_str()) == Some(OrgType::Individual.label(lang)))
                    {
                        b.organisation = None;
                    }
                    b.advance();
                    // Changing the type to one with a name, while editing, asks the name.
                    if b.step == Step::Summary && b.organisation.is_none() {
                        b.step = Step::Organisation;
                        b.editing = true;
                    }
                }
                None => return flow_prompt(turn).await,
            }
        }
        (Step::Phone, "skip") => {
            b.phone = None;
            b.phone_skipped = true;
            b.advance();
        }
        (Step::Consent, "yes") => {
            b.consented = true;
            b.advance();
        }
        (Step::Consent, "no") => {
            turn.flow = None;
            let html = t(
                lang,
                "Kişisel verilerinizin işlenmesine onay vermeden kaydınızı alamıyoruz. Hiçbir bilginiz saklanmadı. Fikrinizi değiştirirseniz /trainings ile yeniden başlayabilirsiniz.",
                "Without your consent to the processing of your personal data we cannot register you. Nothing you typed was stored. If you change your mind, start again with /trainings.",
            );
            return Ok(vec![notice(lang, html)]);
        }
        (Step::Summary, "confirm") => return confirm(turn, b).await,
        (Step::Summary, "edit") => b.step = Step::Edit,
        (Step::Edit, "summary") => b.step = Step::Summary,
        (Step::Edit, v) if v.starts_with("edit:") => {
            b.editing = true;
            b.step = match &v[5..] {
                "name" => Step::Name,
                "org_type" => Step::OrgType,
                "organisation" => Step::Organisation,
                "email" => Step::Email,
                "phone" => Step::Phone,
                _ => Step::Edit,
            };
        }
        // A button from an earlier step, pressed again: ask the current one.
        _ => return flow_prompt(turn).await,
    }
    turn.flow = Some(Flow::Booking(b));
    flow_prompt(turn).await
}

pub(crate) async fn confirm(turn: &mut Turn<'_>, b: Booking) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let (Some(name), Some(org_type), Some(organisation), Some(email), true) = (
        b.name.clone(),
        b.org_type,
        b.organisation.clone(),
        b.email.clone(),
        b.consented,
    ) else {
        // Cannot happen through the buttons; a hand-made press lands back on a step.
        let mut b = b;
        b.step = Step::Name;
        turn.flow = Some(Flow::Booking(b));
        return flow_prompt(turn).await;
    };
    let tree = desk.tree();
    let Some(consent) = tree.consent() else {
        turn.flow = None;
        return Ok(vec![notice(
            lang,
            crate::conversation::ui::registration_unavailable(lang),
        )]);
    };
    let attendee = Attendee {
        name,
        organisation,
        org_type,
        email,
        phone: b.phone.clone(),
    };
    let now = desk.clock.now();
    let session_id = b.session;
    let booked = training::book(
        turn.work.write().await?,
        session_id,
        turn.user,
        lang,
        &attendee,
        &consent.version,
        now,
    )
    .await?;
    turn.flow = None;
    let session = trainings::session(turn.work.read().await?, session_id).await?;
    Ok(match (booked, session) {
        (Booked::New(r), Some(session)) => {
            let head = match r.status {
                Status::Confirmed => t(lang, "🎉 Kaydınız tamamlandı!", "🎉 You are booked!"),
                _ => t(lang, "Kaydınızı aldım.", "I have your booking."),
            };
            let tail = match r.status {
                Status::Waitlisted => t(
                    lang,
                    "Bir yer açılırsa sizi hemen otomatik olarak kesin kayda alır ve haber veririm.",
                    "If a seat opens you move up automatically, and I will tell you at once.",
                ),
                _ => t(
                    lang,
                    "Katılamayacak olursanız lütfen /myregistrations ile iptal edin; yeriniz yedek listedeki kişiye geçer.",
                    "If you cannot come, please cancel with /myregistrations so that your seat goes to the next person on the waitlist.",
                ),
            };
            let html = format!(
                "{head}\n\n<b>{}</b>\n{}\n\n{}\n\n{tail}",
                title(&session, lang),
                when_and_where(&session, lang),
                standing(&r, &session, lang)
            );
            let keyboard = vec![vec![my_registrations_button(lang)], vec![main_button(lang)]];
            let mut replies = vec![Reply::new(html, keyboard).placed(Placement::Replace)];
            if r.status == Status::Confirmed {
                replies.push(calendar_reply(&session, lang, now));
            }
            replies
        }
        (Booked::Already(r), Some(session)) => vec![Reply::new(
            format!(
                "{}\n\n<b>{}</b>\n{}",
                t(
                    lang,
                    "Bu eğitime zaten kaydınız var.",
                    "You are already registered for this training."
                ),
                title(&session, lang),
                standing(&r, &session, lang)
            ),
            vec![vec![main_button(lang)]],
        )],
        _ => {
            let mut replies = trainings(turn, Placement::New).await?;
            replies[0] = replies[0].clone().with_notice(t(
                lang,
                "Üzgünüm, bu eğitimin kaydı siz bilgileri girerken kapandı. Bilgileriniz saklanmadı.",
                "Sorry, booking for this training closed while you were filling in the form. Nothing was stored.",
            ));
            replies
        }
    })
}
