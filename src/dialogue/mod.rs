//! The content model: dialogue files → a checked tree of nodes.

mod load;
mod problem;
mod raw;
pub mod render;
mod retired;
mod survey;
mod tree;
mod vocabulary;

pub use load::{COMFORTABLE_TEXT, LoadError, Loaded, MAX_LABEL_CHARS, load};
pub use problem::{Location, MAX_TEXT, Problem, line_column, suggestion};
pub use survey::{Survey, SurveyKind, SurveyQuestion};
pub use tree::{Action, Consent, Contact, Link, MAIN, MAX_ID_BYTES, Node, NodeId, Tree};
pub use vocabulary::Vocabulary;
