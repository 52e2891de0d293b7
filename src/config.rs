//! Configuration from the environment (and `.env`, loaded by `main`). Every error names
//! the variable and says what to do.

use crate::lang::Lang;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "TELOXIDE_TOKEN is not set; get a token from @BotFather and put TELOXIDE_TOKEN=... in .env or the environment"
    )]
    MissingToken,
    #[error(
        "TELOXIDE_API_URL '{0}' is not a URL; write it like http://127.0.0.1:8081/ or leave it unset for Telegram's"
    )]
    BadApiUrl(String),
    #[error(
        "STAFF_CHAT_ID '{0}' is not a chat id; it is a whole number such as -1001234567890 (a group's id is negative)"
    )]
    BadStaffChat(String),
    #[error(
        "STAFF_USER_IDS has '{0}', which is not a Telegram user id; write whole numbers separated by commas, like 12345,67890"
    )]
    BadStaffUser(String),
    #[error(
        "EUDESK_THROTTLE is '{0}'; write on (respect Telegram's rate limits) or off (local Bot API server, benchmarks)"
    )]
    BadThrottle(String),
    #[error("{0} is '{1}'; it is a whole number of {2}, such as {3}")]
    BadNumber(&'static str, String, &'static str, u32),
    #[error(
        "EUDESK_CHANNEL_ID is '{0}'; it is the channel's numeric id, such as -1001234567890 (forward a channel post to @userinfobot to see it)"
    )]
    BadChannel(String),
    #[error("EUDESK_STAFF_LANG is '{0}'; write tr (Turkish) or en (English)")]
    BadStaffLang(String),
    /// The secret itself is never shown: it is a credential.
    #[error(
        "EUDESK_WEBHOOK_SECRET {0}; Telegram accepts 1 to 256 of the characters A-Z a-z 0-9 _ - (make one with `openssl rand -hex 32`), or leave it unset to have one generated at each start"
    )]
    BadWebhookSecret(&'static str),
}

#[derive(Clone, Debug)]
pub struct Config {
    pub token: Option<String>,
    pub api_url: Option<reqwest::Url>,
    pub database_url: String,
    pub dialogues_dir: PathBuf,
    pub staff_chat_id: Option<i64>,
    pub staff_user_ids: Vec<i64>,
    pub throttle: bool,
    /// EUDESK_TICKETS_PER_DAY: new questions for staff one person may send per day.
    pub tickets_per_day: u32,
    /// EUDESK_STAFF_REMIND_HOURS: office hours a ticket nobody took may wait before it
    /// is brought up again in the staff chat.
    pub staff_remind_hours: u32,
    /// EUDESK_FLOOD_PER_MINUTE: messages and presses one person may send per minute.
    pub flood_per_minute: u32,
    /// EUDESK_RETENTION_DAYS: closed tickets and past registrations are anonymised after this.
    pub retention_days: u32,
    /// EUDESK_STAFF_LANG: the language of the staff chat's texts.
    pub staff_lang: Lang,
    /// EUDESK_WEBHOOK_SECRET, checked: the secret Telegram sends with webhook requests.
    pub webhook_secret: Option<String>,
    /// EUDESK_TRAINED_BEFORE: people the office trained before the bot counted
    /// attendance (its reports say 1,690 since 2007), added to the statistics' total.
    pub trained_before: u32,
    /// EUDESK_CHANNEL_ID: the office's public channel; published opportunities are
    /// posted there too.
    pub channel_id: Option<i64>,
    /// EUDESK_BROADCAST_PER_SECOND: how fast an alert goes out to its subscribers
    /// (Telegram allows about 30 messages a second in all; this leaves room for the
    /// conversations). `None`: as fast as the Bot API answers (EUDESK_THROTTLE=off).
    pub broadcast_per_second: Option<u32>,
    /// EUDESK_REMIND_DAYS: "Remind me" comes this many days before a deadline.
    pub remind_days: u32,
}

/// Checks a webhook secret as Telegram does (setWebhook refuses anything else, and
/// teloxide panics on it): 1–256 of A–Z a–z 0–9 _ -. Surrounding whitespace (a newline
/// left by a secrets file) is trimmed first.
fn webhook_secret(raw: &str) -> Result<String, ConfigError> {
    let secret = raw.trim();
    if secret.is_empty() {
        return Err(ConfigError::BadWebhookSecret("is empty"));
    }
    if secret.len() > 256 {
        return Err(ConfigError::BadWebhookSecret("is longer than 256 characters"));
    }
    if !secret
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ConfigError::BadWebhookSecret(
            "has characters Telegram does not accept (base64's + / = or spaces, for example)",
        ));
    }
    Ok(secret.to_owned())
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://eudesk.db";
pub const DEFAULT_DIALOGUES_DIR: &str = "dialogues";

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads through `get`, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let var = |name: &str| get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let api_url = match var("TELOXIDE_API_URL") {
            None => None,
            Some(u) => Some(reqwest::Url::parse(&u).map_err(|_| ConfigError::BadApiUrl(u.clone()))?),
        };
        let staff_chat_id = match var("STAFF_CHAT_ID") {
            None => None,
            Some(v) => Some(v.parse().map_err(|_| ConfigError::BadStaffChat(v.clone()))?),
        };
        let staff_user_ids = match var("STAFF_USER_IDS") {
            None => Vec::new(),
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<i64>()
                        .ok()
                        .filter(|id| *id > 0)
                        .ok_or_else(|| ConfigError::BadStaffUser(s.to_owned()))
                })
                .collect::<Result<_, _>>()?,
        };
        let throttle = match var("EUDESK_THROTTLE")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(ConfigError::BadThrottle(other.to_owned())),
        };
        let number = |name: &'static str, unit: &'static str, default: u32| -> Result<u32, ConfigError> {
            match var(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(ConfigError::BadNumber(name, v, unit, default)),
            }
        };
        let channel_id = match var("EUDESK_CHANNEL_ID") {
            None => None,
            Some(v) => Some(v.parse().map_err(|_| ConfigError::BadChannel(v.clone()))?),
        };
        let broadcast_per_second = match var("EUDESK_BROADCAST_PER_SECOND") {
            Some(v) => Some(v.parse::<u32>().ok().filter(|n| *n > 0).ok_or(ConfigError::BadNumber(
                "EUDESK_BROADCAST_PER_SECOND",
                v,
                "messages",
                25,
            ))?),
            None if throttle => Some(25),
            None => None,
        };
        let staff_lang = match var("EUDESK_STAFF_LANG") {
            None => Lang::Tr,
            Some(v) => Lang::parse(&v).ok_or(ConfigError::BadStaffLang(v))?,
        };
        // Not through `var`, which drops an all-blank value: a secret that is only
        // whitespace is a mistake worth saying.
        let webhook_secret = get("EUDESK_WEBHOOK_SECRET")
            .filter(|v| !v.is_empty())
            .map(|v| webhook_secret(&v))
            .transpose()?;
        Ok(Config {
            staff_lang,
            webhook_secret,
            tickets_per_day: number("EUDESK_TICKETS_PER_DAY", "questions", 5)?,
            staff_remind_hours: number("EUDESK_STAFF_REMIND_HOURS", "office hours", 4)?,
            flood_per_minute: number("EUDESK_FLOOD_PER_MINUTE", "messages", 20)?,
            retention_days: number("EUDESK_RETENTION_DAYS", "days", 365)?,
            remind_days: number("EUDESK_REMIND_DAYS", "days", 3)?,
            channel_id,
            broadcast_per_second,
            trained_before: match var("EUDESK_TRAINED_BEFORE") {
                None => 0,
                Some(v) => v
                    .parse::<u32>()
                    .map_err(|_| ConfigError::BadNumber("EUDESK_TRAINED_BEFORE", v, "people", 1690))?,
            },
            token: var("TELOXIDE_TOKEN"),
            api_url,
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            dialogues_dir: var("DIALOGUES_DIR").map_or_else(|| PathBuf::from(DEFAULT_DIALOGUES_DIR), PathBuf::from),
            staff_chat_id,
            staff_user_ids,
            throttle,
        })
    }

    /// The token, for `run`, which cannot work without one.
    pub fn require_token(&self) -> Result<&str, ConfigError> {
        self.token.as_deref().ok_or(ConfigError::MissingToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_product_brief() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://eudesk.db");
        assert_eq!(c.dialogues_dir, PathBuf::from("dialogues"));
        assert!(c.throttle);
        assert!(c.staff_user_ids.is_empty());
        assert!(matches!(c.require_token(), Err(ConfigError::MissingToken)));
    }

    #[test]
    fn staff_user_ids_are_a_comma_separated_list() {
        let c = config(&[("STAFF_USER_IDS", "12, 34,")]).unwrap();
        assert_eq!(c.staff_user_ids, vec![12, 34]);
    }

    #[test]
    fn a_malformed_staff_list_names_the_bad_entry() {
        let err = config(&[("STAFF_USER_IDS", "12,abc")]).unwrap_err().to_string();
        assert!(err.contains("STAFF_USER_IDS") && err.contains("'abc'"), "{err}");
    }

    #[test]
    fn a_webhook_secret_is_trimmed_and_checked_without_being_shown() {
        let c = config(&[("EUDESK_WEBHOOK_SECRET", "abc_DEF-123\n")]).unwrap();
        assert_eq!(c.webhook_secret.as_deref(), Some("abc_DEF-123"));
        let err = config(&[("EUDESK_WEBHOOK_SECRET", "c2VjcmV0+/w==")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("EUDESK_WEBHOOK_SECRET") && !err.contains("c2VjcmV0"),
            "{err}"
        );
        assert!(config(&[("EUDESK_WEBHOOK_SECRET", &"a".repeat(257))]).is_err());
        assert!(config(&[("EUDESK_WEBHOOK_SECRET", "   ")]).is_err());
    }

    #[test]
    fn the_staff_language_is_tr_or_en() {
        assert_eq!(config(&[]).unwrap().staff_lang, Lang::Tr);
        assert_eq!(config(&[("EUDESK_STAFF_LANG", "EN")]).unwrap().staff_lang, Lang::En);
        assert!(config(&[("EUDESK_STAFF_LANG", "de")]).is_err());
    }

    #[test]
    fn throttle_is_on_or_off() {
        assert!(!config(&[("EUDESK_THROTTLE", "OFF")]).unwrap().throttle);
        assert!(config(&[("EUDESK_THROTTLE", "maybe")]).is_err());
    }
}
