//! The core's buttons as Telegram's inline keyboard: a button's meaning travels as
//! callback data (`callback_data`), a link as a URL.

use super::callback_data;
use crate::message::{Button, Target};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

/// `None` for no buttons: Telegram then shows none.
pub(super) fn keyboard(rows: &[Vec<Button>]) -> Option<InlineKeyboardMarkup> {
    if rows.is_empty() {
        return None;
    }
    let rows = rows.iter().map(|row| {
        row.iter()
            .filter_map(|b| match &b.target {
                Target::Callback(pressed) => Some(InlineKeyboardButton::callback(
                    b.label.clone(),
                    callback_data::encode(pressed),
                )),
                Target::Url(url) => reqwest::Url::parse(url)
                    .ok()
                    .map(|u| InlineKeyboardButton::url(b.label.clone(), u)),
            })
            .collect::<Vec<_>>()
    });
    Some(InlineKeyboardMarkup::new(rows))
}
