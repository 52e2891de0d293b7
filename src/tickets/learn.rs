//! The bot learns from staff: a ticket whose question an existing node answers is
//! linked to that node, and its question (as staff approve it, or in their words)
//! becomes one more phrasing of the node, used by the matcher at once.

use crate::conversation::Desk;
use crate::conversation::staff_reply;
use crate::conversation::{EngineError, Placement, Reply, Turn};
use crate::dialogue::render::{escape_html, printable};
use crate::lang::{Lang, pick as t};
use crate::message::{Callback, to};
use crate::storage::tickets as q;
use crate::text::shorten;
use crate::tickets::{Actor, Ticket, TicketId};

/// The longest phrasing kept: a long question is better reworded by staff (with
/// `/link N node text`) than learned whole.
pub const MAX_PHRASING_CHARS: usize = 300;

/// "🔗 node" under a ticket's post: the phrasing as it would be learned, with Add
/// and a way to reword it.
pub(crate) async fn link_preview(turn: &mut Turn<'_>, id: TicketId, i: u8) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let Some((ticket, node)) = candidate(turn, id, i).await? else {
        return Ok(vec![staff_reply(&no_candidate(lang, id))]);
    };
    let phrasing = phrasing_of(&ticket.question);
    let html = match lang {
        Lang::Tr => format!(
            "🔗 Bu soru <b>{node}</b> düğümünün bir söyleniş biçimi olarak eklensin mi? Bot bir dahaki sefere kendisi yanıtlar.\n<blockquote>{}</blockquote>\nAd, telefon gibi kişisel bilgileri çıkarmak ya da kısaltmak için: <code>/link {id} {node} yeni metin</code>",
            escape_html(&phrasing)
        ),
        Lang::En => format!(
            "🔗 Add this question as a way of asking for <b>{node}</b>? Next time the bot answers it itself.\n<blockquote>{}</blockquote>\nTo take out names or numbers, or shorten it: <code>/link {id} {node} new words</code>",
            escape_html(&phrasing)
        ),
    };
    let keyboard = vec![vec![to(t(lang, "✅ Ekle", "✅ Add"), Callback::LinkAdd(id, i))]];
    Ok(vec![Reply::new(html, keyboard)])
}

/// "Add" under the preview.
pub(crate) async fn link_add(turn: &mut Turn<'_>, id: TicketId, i: u8) -> Result<Vec<Reply>, EngineError> {
    let lang = turn.lang;
    let Some((ticket, node)) = candidate(turn, id, i).await? else {
        return Ok(vec![staff_reply(&no_candidate(lang, id))]);
    };
    let phrasing = phrasing_of(&ticket.question);
    let reply = learn(turn, &ticket, &node, &phrasing, true).await?;
    Ok(vec![reply.placed(Placement::Replace)])
}

/// `/link N node.id [phrasing]`.
pub(crate) async fn link_command(turn: &mut Turn<'_>, arg: &str) -> Result<Vec<Reply>, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    let mut words = arg.split_whitespace();
    let id = words
        .next()
        .and_then(|w| w.trim_start_matches('#').parse::<i64>().ok())
        .filter(|n| *n > 0);
    let node = words.next().unwrap_or_default().to_owned();
    let own: String = words.collect::<Vec<_>>().join(" ");
    let usage = || {
        vec![staff_reply(&format!(
            "{}: /link N node.id [{}]",
            t(lang, "Kullanım", "Usage"),
            t(lang, "metin", "words")
        ))]
    };
    let Some(id) = id.map(TicketId) else {
        return Ok(usage());
    };
    if node.is_empty() {
        return Ok(usage());
    }
    if desk.tree().get(&node).is_none_or(|n| !n.matchable) {
        let html = match lang {
            Lang::Tr => format!("<b>{}</b> adında, soru yanıtlayan bir düğüm yok.", escape_html(&node)),
            Lang::En => format!("There is no answering node called <b>{}</b>.", escape_html(&node)),
        };
        return Ok(vec![staff_reply(&html)]);
    }
    let Some(ticket) = q::ticket(turn.work.read().await?, id).await? else {
        return Ok(vec![staff_reply(&crate::tickets::messages::missing(id, lang))]);
    };
    if ticket.erased() && own.trim().is_empty() {
        return Ok(vec![staff_reply(t(
            lang,
            "Bu talebin sorusu silindi; kendi metninizle bağlayın: /link N node.id metin",
            "This ticket's question was erased; link it with your own words: /link N node.id words",
        ))]);
    }
    let verbatim = own.trim().is_empty();
    let phrasing = phrasing_of(if verbatim { &ticket.question } else { &own });
    Ok(vec![learn(turn, &ticket, &node, &phrasing, verbatim).await?])
}

/// Stores the phrasing (`verbatim` when it is the person's own words), records the
/// link in the ticket's history and rebuilds the index.
pub(crate) async fn learn(
    turn: &mut Turn<'_>,
    ticket: &Ticket,
    node: &str,
    phrasing: &str,
    verbatim: bool,
) -> Result<Reply, EngineError> {
    let desk = turn.desk;
    let lang = turn.lang;
    if phrasing.is_empty() {
        return Ok(staff_reply(t(
            lang,
            "Boş bir metin öğretilemez.",
            "An empty phrasing cannot be learned.",
        )));
    }
    let now = desk.clock.now();
    let me = Actor {
        id: turn.user.0,
        name: turn.first_name.clone(),
    };
    crate::tickets::service::learn_phrasing(turn.work.write().await?, ticket, node, phrasing, verbatim, &me, now)
        .await?;
    // The index is rebuilt at once, for the next question (the phrasing is already
    // in this update's transaction, which commits before anyone asks again).
    relearn_with(desk, node, ticket.lang, phrasing).await?;
    Ok(staff_reply(&match lang {
        Lang::Tr => format!(
            "✅ Öğrenildi: «{}» artık <b>{node}</b> düğümüne gidiyor. Kalıcı yapmak için: eudesk phrasings export",
            escape_html(&shorten(phrasing, 120))
        ),
        Lang::En => format!(
            "✅ Learned: «{}» now leads to <b>{node}</b>. To keep it in dialogues/: eudesk phrasings export",
            escape_html(&shorten(phrasing, 120))
        ),
    }))
}

/// Adds one phrasing to the matching index now, before its transaction commits
/// (had the commit failed, the next minute's check of the stored phrasings would
/// drop it again).
pub(crate) async fn relearn_with(desk: &Desk, node: &str, lang: Lang, phrasing: &str) -> Result<(), EngineError> {
    let mut learned = desk.learned_now();
    learned.push((node.to_owned(), lang, phrasing.to_owned()));
    // The stored version is left as it was: the minute's check reads the table
    // again and finds this phrasing there.
    desk.rebuild(learned, None).await
}

/// The ticket and its candidate node number `i`, if both exist.
pub(crate) async fn candidate(
    turn: &mut Turn<'_>,
    id: TicketId,
    i: u8,
) -> Result<Option<(Ticket, String)>, EngineError> {
    let desk = turn.desk;
    let Some(ticket) = q::ticket(turn.work.read().await?, id).await? else {
        return Ok(None);
    };
    if ticket.erased() {
        return Ok(None);
    }
    let node = ticket.context_matches.get(i as usize).map(|c| c.id.clone());
    Ok(node
        .filter(|n| desk.tree().get(n).is_some_and(|n| n.matchable))
        .map(|n| (ticket, n)))
}

/// A question as a phrasing: printable, on one line, not too long.
fn phrasing_of(text: &str) -> String {
    let one_line = printable(text).split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_PHRASING_CHARS {
        one_line
    } else {
        one_line.chars().take(MAX_PHRASING_CHARS).collect()
    }
}

fn no_candidate(lang: Lang, id: TicketId) -> String {
    match lang {
        Lang::Tr => format!("#{id} için bu öneri artık geçerli değil; /link {id} node.id ile bağlayın."),
        Lang::En => format!("That suggestion for #{id} is no longer valid; link it with /link {id} node.id."),
    }
}
