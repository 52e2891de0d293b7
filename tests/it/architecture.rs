//! The architecture, enforced: the rules the README's layout states, read from the
//! source files themselves, so a forbidden import fails here with the file and the
//! line that made it.
//!
//! - teloxide is spoken only in `telegram/`;
//! - query text (sqlx's `query…` functions) only in `storage/`;
//! - nothing below the kernel imports `engine`: only the adapters above it (Telegram,
//!   console, command line, scheduler) and the engine itself do;
//! - no two files import each other, directly or round a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every source file of the library, by module path (`["engine", "dispatch"]`), with
/// its code: comments and unit-test modules left out (they do not shape the layers).
fn sources() -> BTreeMap<Vec<String>, (PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&root).unwrap();
            let mut module: Vec<String> = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module == ["main"] {
                // The binary: it reaches the library as `eudesk::`, from the top.
                continue;
            }
            if module.last().is_some_and(|m| m == "mod" || m == "lib") {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            files.insert(module, (relative.to_owned(), code_of(&text)));
        }
    }
    files
}

/// The code of a file without comments and without its `#[cfg(test)]` module.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            // A URL in a string is not a comment; the rest of such a line is kept.
            Some(at) if !line[..at].ends_with(':') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lines of a file's code holding `needle`, as "path:line: text".
fn lines_with(path: &Path, code: &str, needle: &str) -> Vec<String> {
    code.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .map(|(i, l)| format!("src/{}:{}: {}", path.display(), i + 1, l.trim()))
        .collect()
}

/// Whether a file (relative to `src/`) is one of these folders or top-level files.
fn under(path: &Path, places: &[&str]) -> bool {
    let first = path.components().next().unwrap().as_os_str().to_string_lossy();
    places.iter().any(|p| *p == first)
}

#[test]
fn teloxide_is_spoken_only_in_the_telegram_adapter() {
    let broken: Vec<String> = sources()
        .values()
        .filter(|(path, _)| !under(path, &["telegram"]))
        .flat_map(|(path, code)| lines_with(path, code, "teloxide"))
        .collect();
    assert!(
        broken.is_empty(),
        "teloxide outside src/telegram/:\n{}",
        broken.join("\n")
    );
}

#[test]
fn query_text_is_written_only_in_storage() {
    let broken: Vec<String> = sources()
        .values()
        .filter(|(path, _)| !under(path, &["storage"]))
        .flat_map(|(path, code)| {
            ["sqlx::query", "query_as(", "query_scalar(", "QueryBuilder"]
                .iter()
                .flat_map(|needle| lines_with(path, code, needle))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(broken.is_empty(), "SQL outside src/storage/:\n{}", broken.join("\n"));
}

#[test]
fn nothing_below_the_kernel_imports_the_engine() {
    let above = ["engine", "telegram", "cli", "console.rs", "scheduler.rs", "lib.rs"];
    let graph = imports();
    let mut broken = Vec::new();
    for (from, tos) in &graph {
        if under(from, &above) {
            continue;
        }
        for to in tos {
            if to.starts_with("engine") {
                broken.push(format!("src/{} imports src/{}", from.display(), to.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "the engine imported from below:\n{}",
        broken.join("\n")
    );
}

#[test]
fn no_two_files_import_each_other_even_round_a_circle() {
    let graph = imports();
    let circles = circles(&graph);
    let shown: Vec<String> = circles
        .iter()
        .map(|c| {
            c.iter()
                .map(|p| format!("src/{}", p.display()))
                .collect::<Vec<_>>()
                .join(" → ")
        })
        .collect();
    assert!(shown.is_empty(), "import circles:\n{}", shown.join("\n"));
}

/// The reader of imports finds what it should: a file naming another's item imports
/// it, a child module's item is reached through `super`, and a circle is found.
#[test]
fn the_import_reader_finds_paths_groups_and_circles() {
    let files = [
        (vec![], "lib.rs", ""),
        (vec!["a"], "a/mod.rs", "pub use b::Thing;"),
        (vec!["a", "b"], "a/b.rs", ""),
        (vec!["c"], "c.rs", ""),
    ];
    let crate_ = Crate::new(
        files
            .iter()
            .map(|(m, p, c)| (m.iter().map(|s| s.to_string()).collect(), PathBuf::from(p), *c)),
    );
    let from = |m: &[&str], code: &str| {
        let module: Vec<String> = m.iter().map(|s| s.to_string()).collect();
        crate_.targets(&module, code)
    };
    let set = |ps: &[&str]| ps.iter().map(PathBuf::from).collect::<BTreeSet<_>>();
    assert_eq!(
        from(&["c"], "use crate::a::{b::Thing, Other};"),
        set(&["a/b.rs", "a/mod.rs"])
    );
    assert_eq!(from(&["a", "b"], "use super::Other;"), set(&["a/mod.rs"]));
    // A name handed on by a folder's mod.rs ties its user to the file defining it,
    // and the mod.rs that hands it on to nothing.
    assert_eq!(from(&["c"], "use crate::a::Thing;"), set(&["a/b.rs"]));
    assert_eq!(from(&["a"], "pub use b::Thing;"), set(&[]));
    assert_eq!(from(&["a"], "use b::Thing;"), set(&["a/b.rs"]));
    assert_eq!(from(&["c"], "let x = crate::a::b::make();"), set(&["a/b.rs"]));
    assert_eq!(from(&["c"], "use serde::Serialize;"), set(&[]));

    let mut graph = BTreeMap::new();
    graph.insert(PathBuf::from("a/b.rs"), set(&["c.rs"]));
    graph.insert(PathBuf::from("c.rs"), set(&["a/mod.rs"]));
    graph.insert(PathBuf::from("a/mod.rs"), set(&["a/b.rs"]));
    assert_eq!(circles(&graph).len(), 1);
    graph.insert(PathBuf::from("a/mod.rs"), set(&[]));
    assert!(circles(&graph).is_empty());
}

/// Which files each file imports (through `use`, or a path written in its code). A
/// name handed on by a `pub use` (a folder's `mod.rs` showing its parts' names) counts
/// as an import of the file that defines it, as the compiler sees it.
fn imports() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let files = sources();
    let crate_ = Crate::new(files.iter().map(|(m, (p, c))| (m.clone(), p.clone(), c.as_str())));
    files
        .iter()
        .map(|(module, (path, code))| {
            let mut tos = crate_.targets(module, code);
            tos.remove(path);
            (path.clone(), tos)
        })
        .collect()
}

/// The crate's modules: each one's file, and the names it hands on with `pub use`
/// (name → the whole path it stands for).
struct Crate {
    files: BTreeMap<Vec<String>, PathBuf>,
    handed_on: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>>,
}

impl Crate {
    fn new<'a>(sources: impl Iterator<Item = (Vec<String>, PathBuf, &'a str)>) -> Crate {
        let sources: Vec<_> = sources.collect();
        let mut crate_ = Crate {
            files: sources.iter().map(|(m, p, _)| (m.clone(), p.clone())).collect(),
            handed_on: BTreeMap::new(),
        };
        for (module, _, code) in &sources {
            let mut names = BTreeMap::new();
            for (public, path) in declarations(code) {
                if let (true, Some(whole)) = (public, crate_.absolute(module, &path))
                    && let Some(name) = whole.last()
                {
                    names.insert(name.clone(), whole.clone());
                }
            }
            crate_.handed_on.insert(module.clone(), names);
        }
        crate_
    }

    /// The files that `code`, in `module`, takes names from. Its own `pub use` lines
    /// only hand names on: they tie whoever uses those names to their files.
    fn targets(&self, module: &[String], code: &str) -> BTreeSet<PathBuf> {
        let mut paths: Vec<Vec<String>> = declarations(code)
            .into_iter()
            .filter(|(public, _)| !public)
            .map(|(_, path)| path)
            .collect();
        // Paths written in the code: `crate::a::b::f()`, `super::x::Y`.
        for start in ["crate::", "super::", "self::"] {
            let mut rest = code;
            while let Some(at) = rest.find(start) {
                let before = rest[..at].chars().last();
                let tail = &rest[at..];
                let len = tail
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .unwrap_or(tail.len());
                // A group (`super::{a, b}`) is read with the `use` it belongs to.
                let group = tail[..len].ends_with("::");
                if !group && !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    paths.push(
                        tail[..len]
                            .split("::")
                            .filter(|s| !s.is_empty())
                            .map(String::from)
                            .collect(),
                    );
                }
                rest = &rest[at + start.len()..];
            }
        }
        paths
            .iter()
            .filter_map(|path| self.absolute(module, path))
            .filter_map(|whole| self.file_of(&whole, 0))
            .collect()
    }

    /// A path as written in `module`, from the crate's root; `None` for another crate.
    fn absolute(&self, module: &[String], path: &[String]) -> Option<Vec<String>> {
        let mut segments = path.iter().peekable();
        let mut at: Vec<String> = match segments.peek().map(|s| s.as_str()) {
            Some("crate") => {
                segments.next();
                Vec::new()
            }
            Some("super") | Some("self") => module.to_vec(),
            // A part of this module (`use command::Command;` in engine/mod.rs).
            Some(first) if self.files.contains_key(&[module, &[first.to_owned()]].concat()) => module.to_vec(),
            _ => return None,
        };
        while let Some(s) = segments.peek() {
            match s.as_str() {
                "super" => {
                    at.pop();
                }
                "self" => {}
                _ => break,
            }
            segments.next();
        }
        at.extend(segments.cloned());
        Some(at)
    }

    /// The file that defines what a whole path names: its longest prefix that is a
    /// module, followed through the names that module hands on.
    fn file_of(&self, whole: &[String], depth: usize) -> Option<PathBuf> {
        let mut at: Vec<String> = Vec::new();
        let mut rest = whole.iter();
        while let Some(segment) = rest.next() {
            let mut deeper = at.clone();
            deeper.push(segment.clone());
            if self.files.contains_key(&deeper) {
                at = deeper;
                continue;
            }
            if depth < 8
                && let Some(target) = self.handed_on.get(&at).and_then(|names| names.get(segment))
            {
                let mut further = target.clone();
                further.extend(rest.cloned());
                return self.file_of(&further, depth + 1);
            }
            break;
        }
        self.files.get(&at).cloned()
    }
}

/// The `use` declarations of some code, groups expanded: (handed on with `pub`, path).
fn declarations(code: &str) -> Vec<(bool, Vec<String>)> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = find_word(rest, "use") {
        let before = rest[..at].trim_end();
        let public = before.ends_with("pub") || (before.ends_with(')') && before.contains("pub("));
        let after = &rest[at + 3..];
        let Some(end) = after.find(';') else { break };
        let declaration = &after[..end];
        // The word "use" in a string or a name is no declaration.
        let path_like = declaration
            .chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_:{},*".contains(c));
        if path_like {
            found.extend(expand(declaration.trim()).into_iter().map(|p| (public, p)));
        }
        rest = &after[end..];
    }
    found
}

/// `word` standing alone (not part of an identifier), at the start of a statement.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find(word) {
        let at = from + at;
        let before = text[..at].chars().last();
        let after = text[at + word.len()..].chars().next();
        let starts = before.is_none_or(|c| c.is_whitespace() || c == ';' || c == '{' || c == '}' || c == ')');
        if starts && after.is_some_and(char::is_whitespace) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e` (as segments; `as` dropped).
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let plain = tree.split(" as ").next().unwrap_or("").trim();
        return vec![
            plain
                .split("::")
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        ];
    };
    let prefix: Vec<String> = tree[..open]
        .split("::")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|tail| {
            let mut path = prefix.clone();
            path.extend(tail.into_iter().filter(|s| s != "self"));
            path
        })
        .collect()
}

/// Every group of files that import each other round a circle (Tarjan's strongly
/// connected components of more than one file).
fn circles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct Search<'a> {
        graph: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        found: Vec<Vec<PathBuf>>,
    }
    impl<'a> Search<'a> {
        fn visit(&mut self, v: &'a PathBuf) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let Some((w, _)) = self.graph.get_key_value(w) else {
                    continue;
                };
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut search = Search {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !search.index.contains_key(v) {
            search.visit(v);
        }
    }
    search.found
}
