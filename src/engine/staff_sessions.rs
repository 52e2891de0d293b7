//! Staff commands in the chat: sessions, attendee lists, a message to attendees. Only
//! user ids in STAFF_USER_IDS reach these (checked in `Engine::command`).

use super::{Engine, EngineError, Reply, Turn};
use crate::dialogue::render::escape_html;
use crate::lang::{Lang, pick as t};
use crate::message::Document;
use crate::storage::trainings;
use crate::trainings::{SessionId, export, service as training, time};

fn session_id(arg: &str) -> Option<SessionId> {
    super::command::id_arg(arg).map(SessionId)
}

impl Engine {
    pub(super) async fn staff_sessions(&self, turn: &mut Turn) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        let sessions = trainings::sessions(turn.work.read().await?).await?;
        let html = if sessions.is_empty() {
            t(
                lang,
                "Henüz oturum yok. Sunucuda: eudesk sessions add …",
                "No sessions yet. On the server: eudesk sessions add …",
            )
            .to_owned()
        } else {
            let lines: Vec<String> = sessions
                .iter()
                .map(|s| {
                    format!(
                        "#{} <b>{}</b>\n{} · {} · {}/{} {} · {} {}",
                        s.id,
                        escape_html(s.title(lang)),
                        time::local(s.details.starts),
                        s.state.code(),
                        s.confirmed,
                        s.details.capacity,
                        t(lang, "kesin", "confirmed"),
                        s.waitlisted,
                        t(lang, "yedek", "waitlisted"),
                    )
                })
                .collect();
            lines.join("\n\n")
        };
        Ok(vec![self.notice(lang, &html)])
    }

    pub(super) async fn staff_attendees(&self, turn: &mut Turn, arg: &str) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        let Some(id) = session_id(arg) else {
            return Ok(vec![self.notice(
                lang,
                t(
                    lang,
                    "Kullanım: /attendees N (oturum numarası, /sessions listesinde)",
                    "Usage: /attendees N (the session number, from /sessions)",
                ),
            )]);
        };
        let Some(session) = trainings::session(turn.work.read().await?, id).await? else {
            return Ok(vec![self.notice(
                lang,
                &format!("{} #{id}", t(lang, "Böyle bir oturum yok:", "No such session:")),
            )]);
        };
        let registrations = trainings::registrations(turn.work.read().await?, id).await?;
        let mut reply = Reply::new(
            format!(
                "<b>{}</b> — {} {} · {} {}",
                escape_html(session.title(lang)),
                session.confirmed,
                t(lang, "kesin", "confirmed"),
                session.waitlisted,
                t(lang, "yedek", "waitlisted")
            ),
            Vec::new(),
        );
        reply.document = Some(Document {
            name: format!("attendees-session-{id}.csv"),
            bytes: export::csv(&registrations),
        });
        Ok(vec![reply])
    }

    /// `/broadcast N text`: the text, escaped, to every confirmed attendee, through the
    /// outbox so that nobody is skipped when Telegram hiccups.
    pub(super) async fn staff_broadcast(&self, turn: &mut Turn, arg: &str) -> Result<Vec<Reply>, EngineError> {
        let lang = turn.lang;
        let usage = t(
            lang,
            "Kullanım: /broadcast N mesaj (N: oturum numarası)",
            "Usage: /broadcast N message (N: the session number)",
        );
        let (Some(id), Some(text)) = (
            session_id(arg),
            arg.split_once(char::is_whitespace).map(|(_, t)| t.trim()),
        ) else {
            return Ok(vec![self.notice(lang, usage)]);
        };
        if text.is_empty() {
            return Ok(vec![self.notice(lang, usage)]);
        }
        let now = self.clock.now();
        let html = match training::broadcast(turn.work.write().await?, id, text, now).await? {
            None => format!("{} #{id}", t(lang, "Böyle bir oturum yok:", "No such session:")),
            Some(n) => match lang {
                Lang::Tr => format!("Mesaj {n} kesin katılımcıya gönderilmek üzere sıraya alındı."),
                Lang::En => format!("The message is queued for {n} confirmed attendee(s)."),
            },
        };
        Ok(vec![self.notice(lang, &html)])
    }
}
