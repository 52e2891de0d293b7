//! eudesk's own path to the Bot API for the requests it makes all the time (messages,
//! edits, files, button answers, getUpdates). teloxide's requests sleep 10 s after every
//! 5xx before they return it (`DELAY_ON_SERVER_ERROR` in teloxide-core), inside whoever
//! awaits them; here a server error comes back at once, and the caller decides how long
//! to wait (a short backoff with jitter, or exactly the `retry_after` Telegram asks for).
//! The answers are read into teloxide's types and errors, so the rest of the adapter
//! speaks one language.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;
use teloxide::types::{ChatId, Seconds};
use teloxide::{ApiError, RequestError};

/// Telegram refused the bot's token (401 Unauthorized on getMe or getUpdates): it was
/// revoked or mistyped. Retrying cannot help, so the bot stops and says so.
#[derive(Debug, thiserror::Error)]
#[error(
    "Telegram refused TELOXIDE_TOKEN (401 Unauthorized): the token was revoked or is mistyped; get the bot's current token from @BotFather (/mybots → API Token) and put it in TELOXIDE_TOKEN"
)]
pub struct TokenRefused;

/// The bot's own username, from getMe: commands addressed to other bots
/// (`/stats@other_bot`) are not for it.
#[derive(Clone, Debug)]
pub struct BotName(pub String);

/// How long a long poll asks Telegram to hold getUpdates open.
pub const POLL_TIMEOUT: Duration = Duration::from_secs(10);

/// A request that does not come back in this long is given up (and, for a message,
/// counted as "may have arrived").
const REQUEST_TIMEOUT: Duration = Duration::from_secs(17);

/// The bot's token and API address, and one HTTP client (one pool of connections).
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    /// `{api_url}/bot{token}/`, ready for a method name.
    base: Arc<str>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The base holds the token: never printed.
        f.write_str("Api { .. }")
    }
}

/// Telegram's answer: `{"ok":true,"result":…}` or `{"ok":false,"description":…,
/// "parameters":{…}}`.
#[derive(serde::Deserialize)]
struct Answer<T> {
    ok: bool,
    result: Option<T>,
    description: Option<String>,
    parameters: Option<Parameters>,
}

#[derive(serde::Deserialize)]
struct Parameters {
    retry_after: Option<u32>,
    migrate_to_chat_id: Option<i64>,
}

impl Api {
    pub fn new(bot: &teloxide::Bot) -> Api {
        let mut url = bot.api_url().to_string();
        if !url.ends_with('/') {
            url.push('/');
        }
        Api {
            client: bot.client().clone(),
            base: format!("{url}bot{}/", bot.token()).into(),
        }
    }

    /// Calls `method` with a JSON body.
    pub async fn call<P: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<T, RequestError> {
        self.call_for(method, params, REQUEST_TIMEOUT).await
    }

    /// Calls `method`, allowing it `timeout` (a long poll needs longer than a send).
    pub async fn call_for<P: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
        timeout: Duration,
    ) -> Result<T, RequestError> {
        let body = serde_json::to_vec(params).map_err(|e| RequestError::InvalidJson {
            source: Arc::new(e),
            raw: "".into(),
        })?;
        let response = self
            .client
            .post(format!("{}{method}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .timeout(timeout)
            .send()
            .await?;
        read(response).await
    }

    /// Calls `method` with a multipart body (a file).
    pub async fn call_multipart<T: DeserializeOwned>(
        &self,
        method: &str,
        form: reqwest::multipart::Form,
    ) -> Result<T, RequestError> {
        let response = self
            .client
            .post(format!("{}{method}", self.base))
            .multipart(form)
            .timeout(REQUEST_TIMEOUT * 2)
            .send()
            .await?;
        read(response).await
    }
}

/// Reads an answer, whatever its HTTP status: Telegram explains errors in the body.
async fn read<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, RequestError> {
    let text = response.text().await?;
    let invalid = |e: serde_json::Error, text: &str| RequestError::InvalidJson {
        source: Arc::new(e),
        raw: text.into(),
    };
    let answer: Answer<T> = serde_json::from_str(&text).map_err(|e| invalid(e, &text))?;
    if answer.ok {
        return match answer.result {
            Some(result) => Ok(result),
            None => Err(invalid(serde::de::Error::missing_field("result"), &text)),
        };
    }
    if let Some(p) = &answer.parameters {
        if let Some(wait) = p.retry_after {
            return Err(RequestError::RetryAfter(Seconds::from_seconds(wait)));
        }
        if let Some(to) = p.migrate_to_chat_id {
            return Err(RequestError::MigrateToChatId(ChatId(to)));
        }
    }
    let description = answer.description.unwrap_or_default();
    // teloxide reads a description into its error kinds (an unknown one is kept whole).
    let error: ApiError = serde_json::from_value(serde_json::Value::String(description.clone()))
        .unwrap_or(ApiError::Unknown(description));
    Err(RequestError::Api(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `json` as an answer with a 502 status (the status is never what decides).
    fn answer<T: DeserializeOwned>(json: &str) -> Result<T, RequestError> {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let response = axum::http::Response::builder()
            .status(502)
            .body(json.to_owned())
            .unwrap();
        rt.block_on(read(reqwest::Response::from(response)))
    }

    #[test]
    fn a_server_error_is_read_at_once_as_a_passing_failure() {
        let err = answer::<bool>(r#"{"ok":false,"error_code":502,"description":"Bad Gateway"}"#).unwrap_err();
        assert!(crate::telegram::transient(&err), "{err:?}");
    }

    #[test]
    fn retry_after_and_refusals_are_told_apart() {
        let err = answer::<bool>(r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#).unwrap_err();
        assert!(
            matches!(err, RequestError::RetryAfter(s) if s.seconds() == 7),
            "{err:?}"
        );
        let err =
            answer::<bool>(r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#)
                .unwrap_err();
        assert!(matches!(err, RequestError::Api(ApiError::BotBlocked)), "{err:?}");
        let ok: bool = answer(r#"{"ok":true,"result":true}"#).unwrap();
        assert!(ok);
    }
}
