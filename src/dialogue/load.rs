//! Reading a dialogue folder in two stages: the files as written (`raw`), then a
//! checked `Tree`. Every problem in every file is collected before anything is refused,
//! so an author fixes a whole folder in one round instead of one error at a time.

use super::problem::{Location, MAX_TEXT, Problem, line_column, suggestion, unknown_key};
use super::raw::{FILE_KEYS, NODE_KEYS, RawConsent, RawContact, RawLocalized, RawNode};
use super::render;
use super::retired;
use super::survey::{self, Survey};
use super::tree::{Action, Consent, Contact, Link, MAIN, Node, NodeId, Tree};
use super::vocabulary::Vocabulary;
use crate::lang::{Lang, Localized};
use jiff::civil::Date;
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

/// A button shows about this many characters on a phone before Telegram cuts it with
/// "…" (a full-width inline button on a 360-pixel-wide screen), so longer labels would
/// be unreadable.
pub const MAX_LABEL_CHARS: usize = 40;

/// Over this a text still works but no longer fits one phone screen: reported as a
/// warning, not an error.
pub const COMFORTABLE_TEXT: usize = 1200;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the dialogue files in '{}': {source}; check DIALOGUES_DIR and the folder's permissions", path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("no dialogue files (*.toml) in '{}'; point DIALOGUES_DIR at the dialogues folder", .0.display())]
    NoFiles(PathBuf),
    #[error("the dialogue files have {} problem(s):\n{}", .0.len(), list(.0))]
    Invalid(Vec<Problem>),
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n")
}

/// A valid tree, and what is allowed but worth a look.
#[derive(Debug)]
pub struct Loaded {
    pub tree: Tree,
    pub warnings: Vec<Problem>,
}

/// Loads and checks every `*.toml` file in `dir`.
pub fn load(dir: &Path) -> Result<Loaded, LoadError> {
    let unreadable = |source| LoadError::Unreadable {
        path: dir.to_owned(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(LoadError::NoFiles(dir.to_owned()));
    }
    let mut sources = Vec::with_capacity(files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Unreadable {
            path: path.clone(),
            source,
        })?;
        sources.push((path, text));
    }
    let mut checker = Checker::default();
    for (path, text) in &sources {
        checker.read_file(path, text);
    }
    checker.finish()
}

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    /// Nodes as read, with their file and the file's review date.
    raw: Vec<(PathBuf, Option<Date>, RawNode)>,
    contact: Option<(PathBuf, RawContact)>,
    consent: Option<(PathBuf, RawConsent)>,
    alerts_consent: Option<(PathBuf, RawConsent)>,
    /// Checked in `finish`, once it is known to be the only one.
    survey: Option<(PathBuf, toml::Value)>,
    /// Likewise the office's vocabulary.
    vocabulary: Option<(PathBuf, toml::Value)>,
}

impl Checker {
    fn problem(&mut self, file: &Path, location: Location, message: impl Into<String>) {
        self.problems.push(Problem {
            file: file.to_owned(),
            location,
            message: message.into(),
        });
    }

    fn read_file(&mut self, path: &Path, text: &str) {
        let table: toml::Table = match toml::from_str(text) {
            Ok(t) => t,
            Err(e) => {
                let (line, column) = e.span().map(|s| line_column(text, s.start)).unwrap_or((1, 1));
                let message = format!("TOML syntax error: {}", e.message().trim_end());
                self.problem(path, Location::Line { line, column }, message);
                return;
            }
        };
        for key in table.keys() {
            if !FILE_KEYS.contains(&key.as_str()) {
                let message = unknown_key(key, FILE_KEYS, "at the top of a file");
                self.problem(path, Location::File, message);
            }
        }
        let reviewed = match table.get("reviewed") {
            None => None,
            Some(v) => match date(v) {
                Ok(d) => Some(d),
                Err(m) => {
                    self.problem(path, Location::File, format!("'reviewed': {m}"));
                    None
                }
            },
        };
        if let Some(value) = table.get("contact") {
            match value.clone().try_into::<RawContact>() {
                Err(e) => self.problem(path, Location::File, format!("[contact]: {}", e.message().trim_end())),
                Ok(contact) => match &self.contact {
                    Some((first, _)) => {
                        let message = format!(
                            "[contact] is also in {}; keep the office's contact details in one place only",
                            first.display()
                        );
                        self.problem(path, Location::File, message);
                    }
                    None => self.contact = Some((path.to_owned(), contact)),
                },
            }
        }
        for kind in ConsentKind::ALL {
            if let Some(value) = table.get(kind.key()) {
                self.read_consent(path, kind, value);
            }
        }
        if let Some(value) = table.get("survey") {
            match &self.survey {
                Some((first, _)) => {
                    let message = format!(
                        "[survey] is also in {}; keep one survey (in survey.toml): people would not know which questions they answered",
                        first.display()
                    );
                    self.problem(path, Location::File, message);
                }
                None => self.survey = Some((path.to_owned(), value.clone())),
            }
        }
        if let Some(value) = table.get("vocabulary") {
            match &self.vocabulary {
                Some((first, _)) => {
                    let message = format!(
                        "[vocabulary] is also in {}; keep the office's vocabulary in one place (vocabulary.toml)",
                        first.display()
                    );
                    self.problem(path, Location::File, message);
                }
                None => self.vocabulary = Some((path.to_owned(), value.clone())),
            }
        }
        match table.get("node") {
            None => {}
            Some(toml::Value::Array(nodes)) => {
                for (i, value) in nodes.iter().enumerate() {
                    self.read_node(path, reviewed, i, value);
                }
            }
            Some(_) => self.problem(
                path,
                Location::File,
                "'node' must be a list of [[node]] blocks (two square brackets on each side)",
            ),
        }
    }

    /// A `[consent]` or `[alerts_consent]` table: one of each in the whole folder.
    fn read_consent(&mut self, path: &Path, kind: ConsentKind, value: &toml::Value) {
        let table = kind.table();
        match value.clone().try_into::<RawConsent>() {
            Err(e) => self.problem(path, Location::File, format!("{table}: {}", e.message().trim_end())),
            Ok(consent) => {
                let slot = match kind {
                    ConsentKind::Booking => &mut self.consent,
                    ConsentKind::Alerts => &mut self.alerts_consent,
                };
                match slot {
                    Some((first, _)) => {
                        let message = format!("{table} is also in {}; keep one {} text", first.display(), kind.what());
                        self.problem(path, Location::File, message);
                    }
                    None => *slot = Some((path.to_owned(), consent)),
                }
            }
        }
    }

    fn read_node(&mut self, path: &Path, reviewed: Option<Date>, i: usize, value: &toml::Value) {
        let Some(table) = value.as_table() else {
            self.problem(path, Location::File, format!("node #{} is not a [[node]] block", i + 1));
            return;
        };
        let name = match table.get("id") {
            Some(toml::Value::String(id)) => id.clone(),
            _ => {
                let message = "has no id; add a line id = \"...\" to it";
                self.problem(path, Location::Node(format!("node #{}", i + 1)), message);
                return;
            }
        };
        // Unknown keys are reported here with a suggestion, then dropped, so the rest of
        // the node is still checked in the same run.
        let mut known = table.clone();
        for key in table.keys() {
            if !NODE_KEYS.contains(&key.as_str()) {
                let message = unknown_key(key, NODE_KEYS, "in a node");
                self.problem(path, Location::Node(name.clone()), message);
                known.remove(key);
            }
        }
        // A date does not survive toml's value-to-struct route (it arrives as a string),
        // so the node's own review date is read here, from the value itself.
        let reviewed = match known.remove("reviewed") {
            None => reviewed,
            Some(v) => match date(&v) {
                Ok(d) => Some(d),
                Err(m) => {
                    self.problem(path, Location::Node(name.clone()), format!("'reviewed': {m}"));
                    reviewed
                }
            },
        };
        match toml::Value::Table(known).try_into::<RawNode>() {
            Ok(node) => self.raw.push((path.to_owned(), reviewed, node)),
            Err(e) => {
                let message = e.message().trim_end().to_owned();
                self.problem(path, Location::Node(name), message);
            }
        }
    }

    fn finish(mut self) -> Result<Loaded, LoadError> {
        let contact = self
            .contact
            .take()
            .map(|(file, c)| {
                let response_time = c
                    .response_time
                    .as_ref()
                    .map(|r| self.localized(&file, "contact", "response_time", Some(r)));
                Contact {
                    address: c.address,
                    phone: c.phone,
                    email: c.email,
                    hours: c.hours,
                    web: c.web,
                    response_time,
                }
            })
            .unwrap_or_default();
        let contact_block = Localized::new(contact.render(Lang::Tr), contact.render(Lang::En));

        let mut defined: HashMap<String, PathBuf> = HashMap::new();
        let mut nodes = Vec::new();
        for (file, file_reviewed, raw) in std::mem::take(&mut self.raw) {
            let at = Location::Node(raw.id.clone());
            let id = match NodeId::parse(&raw.id) {
                Ok(id) => id,
                Err(m) => {
                    self.problem(&file, at, m.to_string());
                    continue;
                }
            };
            if let Some(first) = defined.get(id.as_str()) {
                let message = format!(
                    "duplicate id: also defined in {}; give one of them another id",
                    first.display()
                );
                self.problem(&file, at, message);
                continue;
            }
            defined.insert(id.as_str().to_owned(), file.clone());
            if let Some(node) = self.node(&file, file_reviewed, id, raw, &contact_block) {
                nodes.push(node);
            }
        }
        self.check_links_between(&mut nodes, &defined);
        let consent = self.consent(&nodes);
        let alerts_consent = self
            .alerts_consent
            .take()
            .map(|(file, raw)| self.checked_consent(ConsentKind::Alerts, &file, raw));
        let survey: Option<Survey> = self
            .survey
            .take()
            .and_then(|(file, value)| survey::check(&file, &value, &mut self.problems));
        let vocabulary = match self.vocabulary.take() {
            Some((file, value)) => {
                let vocabulary = super::vocabulary::check(&file, &value, &mut self.problems);
                if let Some(v) = &vocabulary {
                    self.warn_context_in_titles(&file, v, &nodes);
                }
                vocabulary.unwrap_or_default()
            }
            None => Vocabulary::default(),
        };
        if self.problems.is_empty() {
            Ok(Loaded {
                tree: Tree::new(nodes, contact, consent, alerts_consent, survey).with_vocabulary(vocabulary),
                warnings: self.warnings,
            })
        } else {
            Err(LoadError::Invalid(self.problems))
        }
    }

    /// The consent text: required as soon as a node starts a registration, since no
    /// personal data may be taken without it.
    fn consent(&mut self, nodes: &[Node]) -> Option<Consent> {
        let Some((file, raw)) = self.consent.take() else {
            if let Some(n) = nodes.iter().find(|n| n.action == Some(Action::RegisterTraining)) {
                let message = "starts a registration, but no file has a [consent] table (version and text.tr/text.en of the KVKK consent)";
                self.problem(&n.file.clone(), Location::Node(n.id.to_string()), message);
            }
            return None;
        };
        Some(self.checked_consent(ConsentKind::Booking, &file, raw))
    }

    /// A consent's version and both texts, rendered to Telegram HTML.
    fn checked_consent(&mut self, kind: ConsentKind, file: &Path, raw: RawConsent) -> Consent {
        let table = kind.table();
        if raw.version.trim().is_empty() {
            let message = format!("{table}: the version is empty; give it one, such as the date of the text");
            self.problem(file, Location::File, message);
        }
        let text = self.localized(file, table, "text", Some(&raw.text));
        for lang in Lang::ALL {
            for m in render::markup_problems(text.get(lang)) {
                self.problem(file, Location::File, format!("{table} {} text: {m}", lang.name()));
            }
            if render::telegram_len(text.get(lang)) > MAX_TEXT {
                self.problem(
                    file,
                    Location::File,
                    format!("{table} {} text is over Telegram's {MAX_TEXT} characters", lang.name()),
                );
            }
        }
        Consent {
            version: raw.version.trim().to_owned(),
            html: text.map(|_, t| render::html(t, "")),
        }
    }

    /// Checks one node on its own; `None` when it cannot be used.
    fn node(
        &mut self,
        file: &Path,
        file_reviewed: Option<Date>,
        id: NodeId,
        raw: RawNode,
        contact: &Localized<String>,
    ) -> Option<Node> {
        let at = || Location::Node(id.to_string());
        let before = self.problems.len();
        let label = self.localized(file, id.as_str(), "label", raw.label.as_ref());
        let text = self.localized(file, id.as_str(), "text", raw.text.as_ref());
        for lang in Lang::ALL {
            let l = label.get(lang);
            if l.chars().count() > MAX_LABEL_CHARS {
                let message = format!(
                    "the {} label \"{l}\" has {} characters; phones cut button labels after about {MAX_LABEL_CHARS}: shorten it",
                    lang.name(),
                    l.chars().count()
                );
                self.problem(file, at(), message);
            }
            let t = text.get(lang);
            for m in render::markup_problems(t) {
                self.problem(file, at(), format!("{} text: {m}", lang.name()));
            }
            let len = render::telegram_len(&render::plain(t, contact.get(lang)));
            if len > MAX_TEXT {
                let message = format!(
                    "the {} text has {len} characters; Telegram allows {MAX_TEXT} per message: split it into child nodes",
                    lang.name()
                );
                self.problem(file, at(), message);
            } else if len > COMFORTABLE_TEXT {
                self.warnings.push(Problem {
                    file: file.to_owned(),
                    location: at(),
                    message: format!(
                        "the {} text has {len} characters; over {COMFORTABLE_TEXT} it no longer fits a phone screen",
                        lang.name()
                    ),
                });
            }
        }
        let mut links = Vec::new();
        for (i, raw_link) in raw.links.into_iter().enumerate() {
            let what = format!("link #{}", i + 1);
            let link_label = RawLocalized {
                tr: raw_link.tr,
                en: raw_link.en,
            };
            let label = self.localized(file, id.as_str(), &what, Some(&link_label));
            if !(raw_link.url.starts_with("https://") || raw_link.url.starts_with("http://")) {
                let message = format!("{what}: url \"{}\" must start with https:// (or http://)", raw_link.url);
                self.problem(file, at(), message);
            }
            for lang in Lang::ALL {
                if label.get(lang).chars().count() > MAX_LABEL_CHARS {
                    let message = format!(
                        "{what}: the {} label is longer than {MAX_LABEL_CHARS} characters: shorten it",
                        lang.name()
                    );
                    self.problem(file, at(), message);
                }
            }
            links.push(Link {
                label,
                url: raw_link.url,
            });
        }
        for source in &raw.sources {
            if !(source.starts_with("https://") || source.starts_with("http://")) {
                let message = format!(
                    "source \"{source}\" is not a web address; list the pages the facts were checked against (https://...), and put other notes in a # comment"
                );
                self.problem(file, at(), message);
            }
        }
        // Pages that are gone still load, but the next reviewer cannot re-check against
        // them and a link to one ends on an error page: a warning names each.
        let addresses = raw.sources.iter().map(|s| ("source".to_owned(), s.as_str()));
        let link_addresses = links
            .iter()
            .enumerate()
            .map(|(i, l)| (format!("link #{} url", i + 1), l.url.as_str()));
        for (what, url) in addresses.chain(link_addresses) {
            if let Some(r) = retired::retired(url) {
                self.warnings.push(Problem {
                    file: file.to_owned(),
                    location: at(),
                    message: retired::warning(&what, url, r),
                });
            }
        }
        let action = match raw.action.as_deref() {
            None => None,
            Some(name) => match Action::parse(name) {
                Some(a) => Some(a),
                None => {
                    let message = format!(
                        "unknown action \"{name}\"{}; the actions are {}",
                        suggestion(name, Action::NAMES.iter().copied()),
                        Action::NAMES.join(", ")
                    );
                    self.problem(file, at(), message);
                    None
                }
            },
        };
        // The node's own date, else its file's (resolved in `read_node`).
        let reviewed = file_reviewed;
        let mut children = Vec::new();
        for child in &raw.children {
            match NodeId::parse(child) {
                Ok(c) => children.push(c),
                Err(m) => self.problem(file, at(), format!("child: {m}")),
            }
        }
        let ask = raw.ask.unwrap_or_default();
        if self.problems.len() > before {
            return None;
        }
        Some(Node {
            plain: text.map(|lang, t| render::plain(t, contact.get(lang))),
            html: text.map(|lang, t| render::html(t, contact.get(lang))),
            label,
            matchable: raw.matchable.unwrap_or(id.as_str() != MAIN),
            children,
            links,
            ask: Localized::new(ask.tr, ask.en),
            action,
            sources: raw.sources,
            reviewed,
            file: file.to_owned(),
            parent: None,
            id,
        })
    }

    /// Both languages of a label or text; each missing or empty one is a problem, named
    /// by `at` (a node's id, or a table such as `[consent]`).
    fn localized(&mut self, file: &Path, at: &str, what: &str, raw: Option<&RawLocalized>) -> Localized<String> {
        let get = |lang: Lang| -> Option<String> {
            let v = raw.and_then(|r| if lang == Lang::Tr { r.tr.clone() } else { r.en.clone() });
            v.filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_owned())
        };
        let mut out = Localized::new(String::new(), String::new());
        for lang in Lang::ALL {
            match get(lang) {
                Some(v) => {
                    if lang == Lang::Tr {
                        out.tr = v
                    } else {
                        out.en = v
                    }
                }
                None => {
                    let message = format!("missing {} {what}; add {what}.{} = \"...\"", lang.name(), lang.code());
                    self.problem(file, Location::Node(at.to_owned()), message);
                }
            }
        }
        out
    }

    /// Children that do not exist, a missing `main`, nodes nobody can reach; and each
    /// node's parent for "Back".
    /// `defined` holds every id read, including nodes that failed their own checks, so
    /// one broken node does not make every menu that lists it look broken too.
    /// A context name that a node's label or `ask` phrasing uses as its topic would
    /// be ignored in the very questions about that node.
    fn warn_context_in_titles(&mut self, file: &Path, vocabulary: &Vocabulary, nodes: &[Node]) {
        for node in nodes.iter().filter(|n| n.matchable) {
            for lang in Lang::ALL {
                let titles = std::iter::once(node.label.get(lang)).chain(node.ask.get(lang).iter());
                let words: HashSet<String> = titles
                    .flat_map(|t| {
                        crate::text::fold(t)
                            .split_whitespace()
                            .map(str::to_owned)
                            .collect::<Vec<_>>()
                    })
                    .collect();
                for w in vocabulary.context.iter().filter(|w| words.contains(*w)) {
                    self.warnings.push(Problem {
                        file: file.to_owned(),
                        location: Location::Node(node.id.as_str().to_owned()),
                        message: format!(
                            "'{w}' is a context word in [vocabulary], but this node's label or a phrasing asks about it; questions about this node will not count it (take it out of `context`)"
                        ),
                    });
                }
            }
        }
    }

    fn check_links_between(&mut self, nodes: &mut [Node], defined: &HashMap<String, PathBuf>) {
        let index: HashMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str().to_owned(), i))
            .collect();
        let mut broken = Vec::new();
        for node in nodes.iter() {
            let mut seen = HashSet::new();
            for child in &node.children {
                if !defined.contains_key(child.as_str()) {
                    let message = format!(
                        "child \"{child}\" does not exist{}",
                        suggestion(child.as_str(), defined.keys().map(String::as_str))
                    );
                    broken.push((node.file.clone(), node.id.to_string(), message));
                } else if !seen.insert(child) {
                    let message = format!("child \"{child}\" is listed twice; remove one");
                    broken.push((node.file.clone(), node.id.to_string(), message));
                } else if child == &node.id {
                    let message = "lists itself as a child; remove it".to_owned();
                    broken.push((node.file.clone(), node.id.to_string(), message));
                }
            }
        }
        for (file, id, message) in broken {
            self.problem(&file, Location::Node(id), message);
        }
        // A node that failed its own checks is missing from `index`, which would make
        // its children look unreachable: only judge reachability on a clean tree.
        if !self.problems.is_empty() {
            return;
        }
        let Some(&root) = index.get(MAIN) else {
            let file = nodes.first().map(|n| n.file.clone()).unwrap_or_default();
            self.problem(
                &file,
                Location::File,
                "no node has id \"main\"; the main menu, where every conversation starts, must be called main",
            );
            return;
        };
        let mut parent: Vec<Option<usize>> = vec![None; nodes.len()];
        let mut reached = vec![false; nodes.len()];
        reached[root] = true;
        let mut queue = VecDeque::from([root]);
        while let Some(i) = queue.pop_front() {
            for child in &nodes[i].children {
                let c = index[child.as_str()];
                if !reached[c] {
                    reached[c] = true;
                    parent[c] = Some(i);
                    queue.push_back(c);
                }
            }
        }
        let parent_ids: Vec<Option<NodeId>> = parent.iter().map(|p| p.map(|p| nodes[p].id.clone())).collect();
        for (i, node) in nodes.iter_mut().enumerate() {
            node.parent = parent_ids[i].clone();
            if !reached[i] {
                let message = "cannot be reached from the main menu; list it in some menu's children, or delete it";
                self.problems.push(Problem {
                    file: node.file.clone(),
                    location: Location::Node(node.id.to_string()),
                    message: message.to_owned(),
                });
            }
        }
    }
}

/// The two consents a dialogue folder may hold.
#[derive(Clone, Copy)]
enum ConsentKind {
    /// `[consent]`, before a training registration.
    Booking,
    /// `[alerts_consent]`, before a subscription to opportunity alerts.
    Alerts,
}

impl ConsentKind {
    const ALL: [ConsentKind; 2] = [ConsentKind::Booking, ConsentKind::Alerts];

    fn key(self) -> &'static str {
        match self {
            ConsentKind::Booking => "consent",
            ConsentKind::Alerts => "alerts_consent",
        }
    }

    fn table(self) -> &'static str {
        match self {
            ConsentKind::Booking => "[consent]",
            ConsentKind::Alerts => "[alerts_consent]",
        }
    }

    fn what(self) -> &'static str {
        match self {
            ConsentKind::Booking => "consent",
            ConsentKind::Alerts => "alerts consent",
        }
    }
}

fn date(value: &toml::Value) -> Result<Date, String> {
    let err = || "write a date without quotes, like reviewed = 2026-11-28".to_owned();
    let toml::Value::Datetime(dt) = value else {
        return Err(err());
    };
    match (dt.date, dt.time, dt.offset) {
        (Some(d), None, None) => Date::new(d.year as i16, d.month as i8, d.day as i8).map_err(|_| err()),
        _ => Err(err()),
    }
}
