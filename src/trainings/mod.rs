//! PCM training sessions and registrations: the domain, free of Telegram and SQL.

pub mod attendance;
pub mod book;
pub mod book_prompt;
pub mod card;
pub mod certificate;
pub mod day;
pub mod export;
pub mod fields;
pub mod form;
pub mod form_prompt;
pub mod ics;
pub mod mine;
pub mod notices;
pub mod service;
pub mod session;
pub mod staff;
pub mod survey;
pub mod time;

pub use fields::{Email, FieldError, OrgType, Organisation, PersonName, Phone};
pub use service::{Booked, Cancelled, Changed};
pub use session::{
    Attendance, Attendee, CheckedDetails, Registration, RegistrationId, Reminder, Session, SessionDetails, SessionId,
    SessionState, Status,
};
