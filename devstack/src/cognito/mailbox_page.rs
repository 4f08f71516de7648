//! devstack's mailbox, where the e-mails Cognito would send arrive: `GET /devstack/mailbox` (a
//! page) and `GET /devstack/mailbox.json` (`{"messages": [...]}`), newest first, never cached.
//! devstack's own paths (Cognito has no such thing). No CORS headers: other origins' scripts
//! cannot read the codes.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use html_escape::encode_text as text;
use serde::Serialize;

use super::login_page::wide_page;
use super::{CognitoState, json_response};
use crate::accounts::Mail;

#[derive(Serialize)]
struct Messages {
    messages: Vec<Mail>,
}

/// The messages, newest first.
pub(crate) fn newest_first(state: &CognitoState) -> Vec<Mail> {
    let mut messages = state.accounts.mailbox();
    messages.reverse();
    messages
}

/// `GET /devstack/mailbox.json`.
pub(super) async fn json(State(state): State<Arc<CognitoState>>) -> Response {
    json_response(
        StatusCode::OK,
        &Messages {
            messages: newest_first(&state),
        },
    )
}

/// When a message was sent, in UTC.
fn sent_at(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(
            || seconds.to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
}

/// `GET /devstack/mailbox`.
pub(super) async fn page(State(state): State<Arc<CognitoState>>) -> Response {
    let messages = newest_first(&state);
    let list = if messages.is_empty() {
        "<p>No messages yet. Sign up, or ask for a password reset, and the code arrives here.</p>"
            .to_owned()
    } else {
        let rows: Vec<String> = messages
            .iter()
            .map(|mail| {
                format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"body\">{}</td></tr>",
                    text(&sent_at(mail.sent_at)),
                    text(&mail.to),
                    text(&mail.subject),
                    text(&mail.body),
                )
            })
            .collect();
        format!(
            "<table>\n<thead><tr><th>Sent</th><th>To</th><th>Subject</th><th>Message</th></tr></thead>\n\
             <tbody>\n{}\n</tbody>\n</table>",
            rows.join("\n")
        )
    };
    let main = format!(
        "<h1>Mailbox</h1>\n<p class=\"client\">The e-mails this user pool would have sent, newest \
         first (also as <a href=\"/devstack/mailbox.json\">JSON</a>). Reload for new ones.</p>\n{list}"
    );
    wide_page("Mailbox", &main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc() {
        assert_eq!(sent_at(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(sent_at(1_700_000_000), "2023-11-14 22:13:20 UTC");
    }
}
