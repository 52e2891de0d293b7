//! The services every workflow's chat shares, for the engine's whole life: the
//! database, the dialogues and their matching index, the clock, the settings, the staff
//! list, and how deep links look.

use super::EngineError;
use crate::clock::Clock;
use crate::dialogue::Tree;
use crate::ids::UserId;
use crate::lang::Lang;
use crate::matching::Matcher;
use crate::storage::Store;
use crate::trainings::SessionId;
use jiff::SignedDuration;
use std::collections::HashSet;
use std::sync::Arc;

/// The options that stay fixed while the engine runs.
pub struct Settings {
    pub retention_days: u32,
    pub staff_chat: Option<i64>,
    pub staff_lang: Lang,
    pub tickets_per_day: u32,
    pub staff_remind_after: SignedDuration,
    pub dialogues_dir: Option<std::path::PathBuf>,
    pub trained_before: u32,
    pub channel: Option<i64>,
    pub remind_before: SignedDuration,
}

/// Where a deep link leads: the adapter makes the address and, when it is opened,
/// turns it back into the matching `Callback`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeepLink {
    /// A session's booking.
    Booking(SessionId),
    /// Check-in at a session, with its key.
    CheckIn(SessionId, String),
    /// Staff: the form for a new session, in the private chat…
    NewSession,
    /// …or for changing one.
    EditSession(SessionId),
    /// Staff: the form for an alert, in the private chat.
    Publish,
}

/// Makes a deep link's address.
pub type LinkMaker = Arc<dyn Fn(&DeepLink) -> String + Send + Sync>;

/// A phrasing learned from staff: (node id, language, text).
pub type Learned = (String, Lang, String);

/// The dialogues and their matching index, replaced together (a reload of the
/// dialogues, a phrasing learned from staff).
pub(crate) struct Index {
    pub(crate) tree: Arc<Tree>,
    pub(crate) matcher: Arc<Matcher>,
    pub(crate) learned: Vec<Learned>,
    /// The learned phrasings' version in the database when last read.
    pub(crate) version: Option<(i64, i64)>,
}

/// The services every handler may use.
pub struct Desk {
    /// The matching index, replaced whole when staff teach it a phrasing.
    pub(crate) index: std::sync::RwLock<Index>,
    pub(crate) store: Store,
    pub(crate) staff: HashSet<i64>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: Settings,
    /// The thread that matches questions, off the async runtime.
    pub(crate) matching: crate::matching::worker::Worker,
    /// How the adapter writes deep links.
    pub(crate) links: std::sync::OnceLock<LinkMaker>,
}

impl Desk {
    /// Matches a question on the matching thread (see `matching::worker`).
    pub async fn find(&self, text: &str, lang: Lang) -> Result<crate::matching::Outcome, EngineError> {
        self.matching
            .find(self.matcher(), text, lang)
            .await
            .ok_or_else(|| EngineError::Matching("the matching thread did not answer".into()))
    }

    /// The dialogues as they are now (a reload replaces them between two messages).
    pub fn tree(&self) -> Arc<Tree> {
        self.index.read().expect("index lock").tree.clone()
    }

    /// Replaces the dialogues (already loaded and valid) and their matching index, for
    /// the next message; conversations whose node is gone are handled as ever (they
    /// land on the main menu with a notice).
    pub async fn replace_tree(&self, tree: Tree) -> Result<(), EngineError> {
        let learned = self.learned_now();
        let tree = Arc::new(tree);
        let built = tree.clone();
        let matcher = tokio::task::spawn_blocking(move || Matcher::with_learned(&built, &learned))
            .await
            .map_err(|e| EngineError::Matching(format!("could not build the index: {e}")))?;
        let mut index = self.index.write().expect("index lock");
        index.tree = tree;
        index.matcher = Arc::new(matcher);
        Ok(())
    }

    /// Lets an adapter say how its deep links look (Telegram: `t.me/<bot>?start=…`);
    /// the first call wins.
    pub fn set_link_maker(&self, maker: LinkMaker) {
        let _ = self.links.set(maker);
    }

    /// The address of a deep link, when the adapter can make one.
    pub(crate) fn link(&self, to: &DeepLink) -> Option<String> {
        self.links.get().map(|make| make(to))
    }

    /// The matching index as it is now (the tree's phrasings and those learned).
    pub fn matcher(&self) -> Arc<Matcher> {
        self.index.read().expect("index lock").matcher.clone()
    }

    /// The phrasings the index was last built with.
    pub(crate) fn learned_now(&self) -> Vec<Learned> {
        self.index.read().expect("index lock").learned.clone()
    }

    /// Builds an index with `learned` (off the runtime: it takes milliseconds) and puts
    /// it in place.
    pub(crate) async fn rebuild(&self, learned: Vec<Learned>, version: Option<(i64, i64)>) -> Result<(), EngineError> {
        let tree = self.tree();
        let built = tree.clone();
        let (matcher, learned) =
            tokio::task::spawn_blocking(move || (Matcher::with_learned(&built, &learned), learned))
                .await
                .map_err(|e| EngineError::Matching(format!("could not rebuild the index: {e}")))?;
        let mut index = self.index.write().expect("index lock");
        if !Arc::ptr_eq(&index.tree, &tree) {
            // The dialogues were reloaded meanwhile; the phrasings are picked up by the
            // minute's check, with the new tree.
            index.version = None;
            return Ok(());
        }
        index.matcher = Arc::new(matcher);
        index.learned = learned;
        if version.is_some() {
            index.version = version;
        }
        Ok(())
    }

    /// Re-reads the phrasings learned from staff and rebuilds the matching index with
    /// them; the next question uses it. Returns how many there are.
    pub async fn relearn(&self) -> Result<usize, EngineError> {
        let (version, all) = self
            .store
            .read(async |c| {
                let version = crate::storage::phrasings::version(&mut *c).await?;
                Ok::<_, crate::storage::StoreError>((version, crate::storage::phrasings::all(c).await?))
            })
            .await?;
        let learned: Vec<Learned> = all.into_iter().map(|p| (p.node, p.lang, p.text)).collect();
        let n = learned.len();
        self.rebuild(learned, Some(version)).await?;
        Ok(n)
    }

    /// Relearns when the phrasings changed since last read (`eudesk phrasings remove`,
    /// or a rolled-back `/link`); `true` when it did.
    pub async fn relearn_if_changed(&self) -> Result<bool, EngineError> {
        let version = self
            .store
            .read(async |c| crate::storage::phrasings::version(c).await)
            .await?;
        if self.index.read().expect("index lock").version == Some(version) {
            return Ok(false);
        }
        self.relearn().await?;
        Ok(true)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The engine's idea of now: the system clock, or a test's.
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }

    /// Office hours an untaken ticket may wait before staff are reminded of it.
    pub fn staff_remind_after(&self) -> SignedDuration {
        self.settings.staff_remind_after
    }

    /// STAFF_CHAT_ID as configured (the adapter follows the group if Telegram moves it).
    pub fn configured_staff_chat(&self) -> Option<i64> {
        self.settings.staff_chat
    }

    /// The language of the staff chat's texts.
    pub fn staff_lang(&self) -> Lang {
        self.settings.staff_lang
    }

    /// Days after which closed tickets and past registrations are anonymised.
    pub fn retention_days(&self) -> u32 {
        self.settings.retention_days
    }

    pub fn is_staff(&self, user: UserId) -> bool {
        self.staff.contains(&user.0)
    }
}

/// A new index: the tree and its matcher, nothing learned yet.
pub(crate) fn desk_index(tree: Arc<Tree>, matcher: Arc<Matcher>) -> Index {
    Index {
        tree,
        matcher,
        learned: Vec::new(),
        version: None,
    }
}
