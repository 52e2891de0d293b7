//! The content model: dialogue files → a checked tree of nodes.

mod load;
mod raw;
pub mod render;
mod retired;
mod survey;
mod tree;
mod vocabulary;

pub use load::{
    COMFORTABLE_TEXT, LoadError, Loaded, Location, MAX_LABEL_CHARS, MAX_TEXT, Problem, line_column, load, suggestion,
};
pub use survey::{Survey, SurveyKind, SurveyQuestion};
pub use tree::{Action, Consent, Contact, Link, MAIN, MAX_ID_BYTES, Node, NodeId, Tree};
pub use vocabulary::Vocabulary;
