//! The bot's own sentences (not content): navigation, notices, apologies.

use crate::lang::Lang;

pub(crate) use crate::lang::pick;

pub fn back(lang: Lang) -> &'static str {
    pick(lang, "« Geri", "« Back")
}

/// Leaving a form or flow in progress.
pub fn cancel(lang: Lang) -> &'static str {
    pick(lang, "✖️ Vazgeç", "✖️ Cancel")
}

pub fn main_menu(lang: Lang) -> &'static str {
    pick(lang, "🏠 Ana menü", "🏠 Main menu")
}

pub fn ask_staff(lang: Lang) -> &'static str {
    pick(lang, "✉️ Personele sor", "✉️ Ask staff")
}

pub fn start_registration(lang: Lang) -> &'static str {
    pick(lang, "📝 Kayıt ol", "📝 Register")
}

pub fn node_gone(lang: Lang) -> &'static str {
    pick(
        lang,
        "Bu menü güncellendi ve artık yok; sizi ana menüye aldım.",
        "That menu has been updated and no longer exists; here is the main menu.",
    )
}

pub fn button_unknown(lang: Lang) -> &'static str {
    pick(
        lang,
        "Bu düğme artık geçerli değil; sizi ana menüye aldım.",
        "That button is no longer valid; here is the main menu.",
    )
}

pub fn did_you_mean(lang: Lang) -> &'static str {
    pick(
        lang,
        "Sorunuzu tam anlayamadım. Şunlardan birini mi demek istediniz?",
        "I am not sure I understood. Did you mean one of these?",
    )
}

pub fn no_answer(lang: Lang, question_html: &str) -> String {
    match lang {
        Lang::Tr => format!(
            "«{question_html}» sorusuna hazır bir yanıtım yok.\n\nSorunuzu büro personeline iletebilir ya da menülere göz atabilirsiniz."
        ),
        Lang::En => format!(
            "I have no ready answer to «{question_html}».\n\nYou can pass your question to the office's staff, or browse the menus."
        ),
    }
}

pub fn nothing_to_read(lang: Lang) -> &'static str {
    pick(
        lang,
        "Sorunuzu yazıyla yazın ya da menüdeki düğmeleri kullanın.",
        "Please type your question, or use the buttons of the menu.",
    )
}

pub fn text_only(lang: Lang) -> &'static str {
    pick(
        lang,
        "Yalnızca yazılı mesajları ve düğmeleri okuyabiliyorum. Sorunuzu yazarak sorabilir ya da menüyü kullanabilirsiniz.",
        "I can read text and buttons only. Please type your question, or use the menu.",
    )
}

pub fn choose_language() -> &'static str {
    "Dil seçin / Choose your language:"
}

pub fn language_set(lang: Lang) -> &'static str {
    pick(lang, "✓ Dil: Türkçe", "✓ Language: English")
}

pub fn nothing_to_cancel(lang: Lang) -> &'static str {
    pick(lang, "İptal edilecek bir işlem yok.", "There is nothing to cancel.")
}

pub fn unknown_command(lang: Lang, name_html: &str) -> String {
    match lang {
        Lang::Tr => {
            format!("/{name_html} komutunu tanımıyorum. Komutların listesi için /help yazın.")
        }
        Lang::En => format!("I do not know the command /{name_html}. Type /help for the list."),
    }
}

pub fn help(lang: Lang) -> String {
    let commands: Vec<String> = super::command::COMMANDS
        .iter()
        .map(|(name, tr, en)| format!("/{name} — {}", pick(lang, tr, en)))
        .collect();
    let intro = pick(
        lang,
        "Menülerdeki düğmelere basarak ilerleyebilir ya da sorunuzu kendi cümlelerinizle yazabilirsiniz (örneğin «mantıksal çerçeve nedir?»). Yanıtını bilmediğim soruları büro personeline iletebilirsiniz.",
        "Press the buttons of the menus, or type your question in your own words (for example \"what is a logical framework?\"). Questions I cannot answer can be passed to the office's staff.",
    );
    format!("{intro}\n\n{}", commands.join("\n"))
}

pub fn contact_button(lang: Lang) -> &'static str {
    pick(lang, "📞 İletişim", "📞 Contact")
}

pub fn state_reset(lang: Lang) -> &'static str {
    pick(
        lang,
        "Bot güncellendi ve yarım kalan işleminiz devam ettirilemedi; lütfen yeniden başlayın.",
        "The bot was updated and your unfinished step could not be continued; please start it again.",
    )
}

pub fn booking_abandoned(lang: Lang) -> &'static str {
    pick(
        lang,
        "Yarım kalan kaydınız bırakıldı; girdiğiniz bilgiler saklanmadı.",
        "Your unfinished booking was left; nothing you typed was stored.",
    )
}

pub fn booking_cancelled(lang: Lang) -> &'static str {
    pick(
        lang,
        "Kayıt işlemini iptal ettim; girdiğiniz bilgiler saklanmadı. İsterseniz /trainings ile yeniden başlayabilirsiniz.",
        "I have cancelled the booking; nothing you typed was stored. You can start again with /trainings.",
    )
}

pub fn staff_form_closed(lang: Lang) -> &'static str {
    pick(
        lang,
        "Bu form yalnızca büro personeli içindir ve artık personel listesinde olmadığınız için kapatıldı; hiçbir şey kaydedilmedi.",
        "This form is for the office's staff only and was closed because you are no longer on the staff list; nothing was saved.",
    )
}

pub fn staff_only(lang: Lang) -> &'static str {
    pick(
        lang,
        "Bu komut yalnızca büro personeli içindir.",
        "This command is for the office's staff only.",
    )
}

pub fn staff_help(lang: Lang) -> String {
    let lines: Vec<String> = super::command::STAFF_COMMANDS
        .iter()
        .map(|(name, tr, en)| format!("/{name} — {}", pick(lang, tr, en)))
        .collect();
    format!(
        "\n\n{}\n{}",
        pick(lang, "<b>Personel komutları</b>", "<b>Staff commands</b>"),
        lines.join("\n")
    )
}

pub fn registration_unavailable(lang: Lang) -> &'static str {
    pick(
        lang,
        "Kayıt şu anda yapılamıyor; lütfen büroyla iletişime geçin.",
        "Booking is not available right now; please contact the office.",
    )
}

pub fn nothing_sent(lang: Lang) -> &'static str {
    pick(lang, "Tamam, hiçbir şey gönderilmedi.", "All right, nothing was sent.")
}

pub fn slow_down(lang: Lang) -> &'static str {
    pick(
        lang,
        "Çok hızlı mesaj gönderiyorsunuz; lütfen birkaç dakika bekleyip yeniden yazın.",
        "You are sending messages very fast; please wait a few minutes and write again.",
    )
}

pub fn privacy(lang: Lang, retention_days: u32) -> String {
    match lang {
        Lang::Tr => format!(
            "<b>Kişisel verileriniz (KVKK)</b>\n\n\
Veri sorumlusu: İzmir Valiliği (AB ve Dış İlişkiler Bürosu).\n\n\
<b>Ne saklıyoruz, neden?</b>\n\
• Telegram kimlik numaranız, dil seçiminiz ve menüde nerede kaldığınız: sohbeti sürdürebilmek için\n\
• Yazdığınız sorular: yanıtlamak ve hangi konuların eksik olduğunu görmek için\n\
• Personele sorduğunuz sorular ve yanıtları: size yanıt verebilmek için\n\
• Eğitim kaydınızda verdiğiniz ad, kurum, e-posta ve telefon: kaydınızı yürütmek için, açık rızanızla\n\n\
<b>Ne kadar süre?</b> Kapanan talepler ve geçmiş eğitim kayıtları {retention_days} gün sonra anonimleştirilir.\n\n\
<b>Haklarınız:</b> KVKK'nın 11. maddesindeki haklarınızı (bilgi alma, düzeltme, silme vb.) Büroya başvurarak kullanabilirsiniz. \
Hakkınızdaki tüm verileri hemen silmek için /forget yazın. \
Silmeden önce alınmış güvenlik yedeklerinde verileriniz, o yedekler sırası gelip silinene kadar kalır; yedeklerden geri dönülürse silme yeniden uygulanır."
        ),
        Lang::En => format!(
            "<b>Your personal data (KVKK)</b>\n\n\
Data controller: Izmir Governorship (EU and Foreign Relations Office).\n\n\
<b>What we keep, and why</b>\n\
• Your Telegram id, your language and where you are in the menus: to carry on the conversation\n\
• The questions you type: to answer them and to see which topics are missing\n\
• Questions you send to staff and their answers: to answer you\n\
• The name, organisation, e-mail and phone you give when booking a training: to run your registration, with your explicit consent\n\n\
<b>For how long?</b> Closed tickets and past training registrations are anonymised after {retention_days} days.\n\n\
<b>Your rights:</b> you can use your rights under Article 11 of the KVKK (to be informed, to have data corrected or deleted, etc.) by contacting the office. \
To erase everything about you now, type /forget. \
Security backups made before an erasure keep your data until they are rotated out and deleted; if a backup is ever restored, the erasure is applied again."
        ),
    }
}

pub fn forget_confirm(lang: Lang) -> &'static str {
    pick(
        lang,
        "Hakkınızdaki tüm veriler silinecek: sohbet geçmişiniz, sorularınız, personele gönderdiğiniz talepler ve eğitim kayıtlarınız (yaklaşan kayıtlarınız iptal edilir). Bu geri alınamaz. Emin misiniz?",
        "Everything about you will be erased: your conversation, your questions, your tickets to staff and your training registrations (upcoming ones are cancelled). This cannot be undone. Are you sure?",
    )
}

pub fn forget_yes(lang: Lang) -> &'static str {
    pick(lang, "🗑 Evet, verilerimi sil", "🗑 Yes, erase my data")
}

pub fn forgotten(lang: Lang) -> &'static str {
    pick(
        lang,
        "Hakkınızdaki tüm veriler silindi. Botu yeniden kullanmak isterseniz /start yazmanız yeterli.",
        "Everything about you has been erased. To use the bot again, just type /start.",
    )
}

pub fn question_cancelled(lang: Lang) -> &'static str {
    pick(
        lang,
        "Sorunuzu göndermedim; yazdıklarınız saklanmadı. İsterseniz /ask ile yeniden başlayabilirsiniz.",
        "I did not send your question; nothing you typed was kept. You can start again with /ask.",
    )
}

pub fn follow_up_cancelled(lang: Lang, ticket: crate::tickets::TicketId) -> String {
    match lang {
        Lang::Tr => format!("#{ticket} numaralı talebinize ek mesaj göndermedim."),
        Lang::En => format!("I did not send a follow-up to ticket #{ticket}."),
    }
}

pub fn answer_cancelled(lang: Lang, ticket: crate::tickets::TicketId) -> String {
    match lang {
        Lang::Tr => format!("#{ticket} numaralı talebin yanıtı gönderilmedi; yanıt modu kapandı."),
        Lang::En => format!("The answer to ticket #{ticket} was not sent; answer mode has ended."),
    }
}

pub fn private_only(lang: Lang) -> &'static str {
    pick(
        lang,
        "Bu komut benimle özel sohbette çalışır; personel grubunda yalnızca personel komutları kullanılır (/help).",
        "This command works in a private chat with me; in the staff group only staff commands are used (/help).",
    )
}

pub fn cannot_relay(lang: Lang) -> &'static str {
    pick(
        lang,
        "Bunu iletemiyorum: çıkartma, anket, konum ve kişi kartı gönderilemez. Metin, belge, fotoğraf, video ya da sesli mesaj gönderin.",
        "I cannot pass this on: stickers, polls, locations and contacts cannot be relayed. Send text, a document, a photo, a video or a voice message.",
    )
}

pub fn session_form_cancelled(lang: Lang, editing: bool) -> &'static str {
    match editing {
        false => pick(
            lang,
            "Oturum oluşturma iptal edildi; hiçbir şey kaydedilmedi.",
            "Creating the session is cancelled; nothing was saved.",
        ),
        true => pick(
            lang,
            "Oturum değişikliği iptal edildi; oturum olduğu gibi kaldı.",
            "The change is cancelled; the session stays as it was.",
        ),
    }
}

pub fn survey_cancelled(lang: Lang) -> &'static str {
    pick(
        lang,
        "Anket iptal edildi; yanıtlarınız kaydedilmedi. Dilediğinizde aynı düğmeyle yeniden başlayabilirsiniz.",
        "The survey is cancelled; your answers were not saved. You can start again with the same button.",
    )
}
