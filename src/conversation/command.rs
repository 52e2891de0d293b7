//! Slash commands, the same in Telegram and in the console.

use crate::message::Audience;

/// A command a person typed. Unknown ones are kept so the bot can say which it knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `/start`, with the deep-link payload Telegram passes after it, if any.
    Start(Option<String>),
    Menu,
    Help,
    Language,
    Cancel,
    Trainings,
    MyRegistrations,
    /// Ask staff, with the question if typed after the command.
    Ask(String),
    MyTickets,
    /// Staff: open tickets, one ticket's history, take, close, reply, statistics, FAQ draft.
    Tickets,
    Ticket(String),
    Take(String),
    Close(String),
    Reply(String),
    Stats,
    Faq(String),
    /// Staff: `/link N node.id [phrasing]`: ticket N's question (or the phrasing
    /// given) becomes one more way of asking for the node.
    Link(String),
    /// What the bot keeps about a person, and their rights.
    Privacy,
    /// Erase everything about me (asks for confirmation).
    Forget,
    /// Staff: the sessions with their counts.
    Sessions,
    /// Staff: the attendee list of a session as CSV.
    Attendees(String),
    /// Staff: one message to every confirmed attendee of a session.
    Broadcast(String),
    /// Staff: the form for a new session (in the private chat).
    NewSession,
    /// Staff: a session's feedback survey results.
    Report(String),
    /// Staff: what a certificate's code certifies.
    Verify(String),
    /// Staff: read the dialogues again.
    Reload,
    /// The opportunities open now.
    Opportunities,
    /// Alerts: the consent, then the topics.
    Subscribe,
    /// Stop every alert.
    Unsubscribe,
    /// Staff: write and send an alert.
    Publish,
    Unknown(String),
}

/// Every command, with its description in Turkish and English, for Telegram's command
/// menu (`setMyCommands`) and for `/help`.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("start", "Başla: ana menü", "Start: the main menu"),
    ("menu", "Ana menü", "Main menu"),
    ("help", "Yardım: bot nasıl kullanılır", "Help: how to use the bot"),
    (
        "language",
        "Dil seçimi (Türkçe / English)",
        "Choose the language (Türkçe / English)",
    ),
    ("trainings", "PCM eğitimleri ve kayıt", "PCM trainings and booking"),
    ("myregistrations", "Eğitim kayıtlarım", "My training registrations"),
    ("ask", "Büro personeline soru sor", "Ask the office's staff a question"),
    ("mytickets", "Personele sorduğum sorular", "My questions to staff"),
    (
        "opportunities",
        "Açık fırsatlar: gönüllülük, değişim, staj, DiscoverEU, çağrılar",
        "Open opportunities: volunteering, exchanges, traineeships, DiscoverEU, calls",
    ),
    (
        "subscribe",
        "Yeni fırsatlardan haberdar ol",
        "Get alerts of new opportunities",
    ),
    ("unsubscribe", "Duyuru aboneliğini bitir", "Stop alerts"),
    ("privacy", "Kişisel verileriniz (KVKK)", "Your personal data (KVKK)"),
    ("forget", "Hakkımdaki tüm verileri sil", "Erase all my data"),
    ("cancel", "Yapılan işlemi iptal et", "Cancel what you are doing"),
];

/// Staff commands, shown in /help to staff only.
pub const STAFF_COMMANDS: &[(&str, &str, &str)] = &[
    (
        "tickets",
        "Açık talepler (eskiden yeniye)",
        "Open tickets, oldest first",
    ),
    ("ticket N", "Bir talebin tüm geçmişi", "A ticket's whole history"),
    (
        "reply N metin",
        "Talebi yanıtla (ya da talep mesajını yanıtlayın)",
        "Answer a ticket (or reply to its message)",
    ),
    ("take N", "Talebi üstlen", "Take a ticket"),
    (
        "close N [not]",
        "Talebi kapat; kişiye bildirilir",
        "Close a ticket; the person is told",
    ),
    ("stats", "İstatistikler", "Statistics"),
    (
        "link N node.id [metin]",
        "Talebin sorusunu bir SSS düğümüne bağla: bot bir dahaki sefere kendisi yanıtlar",
        "Link a ticket's question to a FAQ node: next time the bot answers it itself",
    ),
    (
        "faq N",
        "Yanıtlanmış talepten SSS taslağı",
        "A draft FAQ node from an answered ticket",
    ),
    (
        "sessions",
        "Oturumlar: her biri bir düğme (değiştir, kapat, iptal, liste, QR, yoklama, anket)",
        "Sessions: a button each (change, close, cancel, list, QR, check-in, survey)",
    ),
    (
        "newsession",
        "Yeni oturum (özel sohbette)",
        "A new session (in the private chat)",
    ),
    (
        "report N",
        "N numaralı oturumun anket sonuçları",
        "The survey results of session N",
    ),
    (
        "verify KOD",
        "Bir katılım belgesinin kodunu doğrula",
        "Check a certificate's code",
    ),
    (
        "reload",
        "Diyalog dosyalarını yeniden oku",
        "Read the dialogue files again",
    ),
    (
        "attendees N",
        "N numaralı oturumun katılımcı listesi (Excel)",
        "The attendee list of session N (Excel)",
    ),
    (
        "broadcast N metin",
        "N numaralı oturumun kesin katılımcılarına mesaj",
        "A message to the confirmed attendees of session N",
    ),
];

/// The number a staff command starts with ("/ticket 12", "/attendees #3 …").
pub fn id_arg(arg: &str) -> Option<i64> {
    arg.split_whitespace()
        .next()?
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
}

impl Command {
    pub fn audience(&self) -> Audience {
        match self {
            Command::Start(_)
            | Command::Menu
            | Command::Help
            | Command::Language
            | Command::Cancel
            | Command::Trainings
            | Command::MyRegistrations
            | Command::Ask(_)
            | Command::MyTickets
            | Command::Privacy
            | Command::Forget
            | Command::Opportunities
            | Command::Subscribe
            | Command::Unsubscribe
            | Command::Unknown(_) => Audience::Anyone,
            Command::Tickets
            | Command::Ticket(_)
            | Command::Take(_)
            | Command::Close(_)
            | Command::Reply(_)
            | Command::Stats
            | Command::Faq(_)
            | Command::Link(_)
            | Command::Sessions
            | Command::Attendees(_)
            | Command::Broadcast(_)
            | Command::NewSession
            | Command::Report(_)
            | Command::Verify(_)
            | Command::Reload
            | Command::Publish => Audience::Staff,
        }
    }

    /// `None` when the text is not a command. (Telegram's `/cmd@botname` reaches here
    /// as `/cmd`: the adapter drops the bot's name, and commands for other bots.)
    pub fn parse(text: &str) -> Option<Command> {
        let rest = text.trim_start().strip_prefix('/')?;
        let (word, arg) = match rest.split_once(char::is_whitespace) {
            Some((w, a)) => (w, a.trim()),
            None => (rest, ""),
        };
        let name = word.to_lowercase();
        if name.is_empty() {
            return None;
        }
        Some(match name.as_str() {
            "start" => Command::Start((!arg.is_empty()).then(|| arg.to_owned())),
            "menu" => Command::Menu,
            "help" | "yardim" | "yardım" => Command::Help,
            "language" | "dil" => Command::Language,
            "cancel" | "iptal" => Command::Cancel,
            "trainings" | "egitimler" | "eğitimler" => Command::Trainings,
            "myregistrations" | "kayitlarim" | "kayıtlarım" => Command::MyRegistrations,
            "ask" | "sor" => Command::Ask(arg.to_owned()),
            "privacy" | "gizlilik" | "kvkk" => Command::Privacy,
            "forget" | "unut" => Command::Forget,
            "mytickets" | "sorularim" | "sorularım" => Command::MyTickets,
            "tickets" => Command::Tickets,
            "ticket" => Command::Ticket(arg.to_owned()),
            "take" => Command::Take(arg.to_owned()),
            "close" => Command::Close(arg.to_owned()),
            "reply" => Command::Reply(arg.to_owned()),
            "stats" => Command::Stats,
            "faq" => Command::Faq(arg.to_owned()),
            "link" => Command::Link(arg.to_owned()),
            "sessions" => Command::Sessions,
            "attendees" => Command::Attendees(arg.to_owned()),
            "broadcast" => Command::Broadcast(arg.to_owned()),
            "newsession" => Command::NewSession,
            "report" => Command::Report(arg.to_owned()),
            "verify" => Command::Verify(arg.to_owned()),
            "reload" => Command::Reload,
            "opportunities" | "firsatlar" | "fırsatlar" => Command::Opportunities,
            "subscribe" | "abone" => Command::Subscribe,
            "unsubscribe" => Command::Unsubscribe,
            "publish" | "duyur" => Command::Publish,
            _ => Command::Unknown(name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_bot_names_and_payloads() {
        assert_eq!(Command::parse("/start"), Some(Command::Start(None)));
        assert_eq!(
            Command::parse("/start training_3"),
            Some(Command::Start(Some("training_3".into())))
        );
        assert_eq!(Command::parse("/Help"), Some(Command::Help));
        assert_eq!(Command::parse("/foo"), Some(Command::Unknown("foo".into())));
    }

    #[test]
    fn ordinary_text_is_not_a_command() {
        assert_eq!(Command::parse("erasmus nedir"), None);
        assert_eq!(Command::parse("/"), None);
        assert_eq!(Command::parse("a/b"), None);
    }
}
