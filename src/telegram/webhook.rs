//! In front of teloxide's webhook handler: the secret is compared in constant time
//! (teloxide's own check is a plain `!=`, which leaks through timing how much of a guess
//! was right), and a body that is not an update is refused and logged without its
//! content (teloxide logs the whole body, which may carry a person's message).

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Telegram's header carrying the secret given to setWebhook.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// The largest update body accepted. Telegram's updates are a few kilobytes; a
/// message of 4,096 characters with entities stays far below this.
const MAX_BODY: usize = 1 << 20;

pub async fn guard(State(secret): State<Arc<String>>, request: Request, next: Next) -> Response {
    // Only the webhook's POSTs carry the secret; /health is for monitors.
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    let given = request
        .headers()
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    // `ct_eq` on slices of different lengths is false without comparing contents;
    // the length of the secret is not a secret worth hiding.
    if !bool::from(given.ct_eq(secret.as_bytes())) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            tracing::warn!("refused a webhook request whose body is too large or unreadable");
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        }
    };
    if let Err(err) = serde_json::from_slice::<teloxide::types::Update>(&bytes) {
        // The error's position only: its text would quote the body.
        tracing::error!(
            line = err.line(),
            column = err.column(),
            bytes = bytes.len(),
            "refused a webhook request that is not a Telegram update (content not logged)"
        );
        // 200: Telegram would otherwise send the same body again and again.
        return StatusCode::OK.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Takes the updates Telegram posts, each kept in the inbox and handed to its line,
/// until the bot stops. (teloxide answers Telegram's request before this sees the
/// update: a crash in that moment loses it. Polling has no such moment.)
pub async fn take<L>(
    mut listener: L,
    intake: Arc<super::intake::Intake>,
    store: crate::storage::Store,
    mut stop: tokio::sync::watch::Receiver<bool>,
) where
    L: teloxide::update_listeners::UpdateListener,
    L::Err: std::fmt::Debug,
{
    use futures::StreamExt;
    let stopper = listener.stop_token();
    let stream = listener.as_stream();
    futures::pin_mut!(stream);
    loop {
        let next = tokio::select! {
            next = stream.next() => next,
            _ = stop.changed() => {
                stopper.stop();
                break;
            }
        };
        let Some(update) = next else { break };
        let update = match update {
            Ok(update) => update,
            Err(err) => {
                tracing::error!(?err, "webhook error");
                continue;
            }
        };
        let value = match serde_json::to_value(&update) {
            Ok(value) => value,
            Err(err) => {
                tracing::error!(%err, "could not keep a webhook update");
                continue;
            }
        };
        while let Err(err) = intake.take(&store, vec![value.clone()], None).await {
            tracing::error!(%err, "could not keep an update in the inbox; trying again");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
}
