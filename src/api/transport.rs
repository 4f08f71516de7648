//! The one fetch wrapper for the API: the Bearer token (renewed first when it is about to
//! expire), only the two headers the API's CORS configuration allows, and one refresh and one
//! retry after a 401 or a CORS failure while the token was due.

use gloo_net::http::RequestBuilder;
use web_sys::RequestMode;

use super::{Answer, Body, Method, Outcome, Route};
use crate::auth::{AccessToken, Auth, AuthError};
use crate::json::Value;

/// One call as the console shows it: what happened, how long it took, whether a refresh
/// happened in between.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    /// What happened.
    pub outcome: Outcome,
    /// Milliseconds from sending the (last) request to having the whole answer.
    pub latency_ms: u32,
    /// Whether a 401 (or a CORS failure with a due token) led to a token refresh and a retry.
    pub retried_after_refresh: bool,
}

/// Whether a refresh and one retry may turn `outcome` into an answer: a 401, or a failure the
/// browser reports as CORS for a route that sends a token which is (about to be) expired, since
/// an authorizer's 401 without CORS headers looks like that.
pub fn refresh_may_help(route: Route, outcome: &Outcome, token_due: bool) -> bool {
    match outcome {
        Outcome::Answered(answer) => answer.status == 401,
        Outcome::BlockedByCors => route.needs_token() && token_due,
        Outcome::Unreachable | Outcome::NotSignedIn | Outcome::TokenNotRenewed(_) => false,
    }
}

/// Calls `route` below `api_base_url`, with the access token when the route needs one (renewed
/// first if it is about to expire) and `body` as JSON for POST. A 401, or a CORS failure with an
/// expired token, gets one refresh and one retry.
pub async fn call(auth: Auth, api_base_url: &str, route: Route, body: Option<Value>) -> Exchange {
    let url = route.url(api_base_url);
    let first = send(&auth, &url, route, body.as_ref()).await;
    if refresh_may_help(route, &first.0, auth.access_token_due()) && auth.refresh().await.is_ok() {
        let (outcome, latency_ms) = send(&auth, &url, route, body.as_ref()).await;
        return Exchange {
            outcome,
            latency_ms,
            retried_after_refresh: true,
        };
    }
    let (outcome, latency_ms) = first;
    Exchange {
        outcome,
        latency_ms,
        retried_after_refresh: false,
    }
}

/// One request, timed. Only `Authorization` and `Content-Type: application/json` are added, the
/// two headers the API's CORS configuration allows.
async fn send(auth: &Auth, url: &str, route: Route, body: Option<&Value>) -> (Outcome, u32) {
    let token = if route.needs_token() {
        match auth.fresh_access_token().await {
            Ok(token) => Some(token),
            Err(AuthError::NotSignedIn) => return (Outcome::NotSignedIn, 0),
            Err(error) => return (Outcome::TokenNotRenewed(error), 0),
        }
    } else {
        None
    };
    let request = match request(url, route, token.as_ref(), body) {
        Ok(request) => request,
        Err(outcome) => return (outcome, 0),
    };
    let started = js_sys::Date::now();
    let sent = match request.send().await {
        Ok(response) => Ok(read_answer(response).await),
        Err(error) => Err(error),
    };
    // The latency of the call itself; the probe below is not part of it.
    let latency_ms = (js_sys::Date::now() - started).max(0.0) as u32;
    let outcome = match sent {
        Ok(answer) => Outcome::Answered(answer),
        Err(_) if answers_without_cors(url).await => Outcome::BlockedByCors,
        Err(_) => Outcome::Unreachable,
    };
    (outcome, latency_ms)
}

fn request(
    url: &str,
    route: Route,
    token: Option<&AccessToken>,
    body: Option<&Value>,
) -> Result<gloo_net::http::Request, Outcome> {
    let mut builder = match route.method() {
        Method::Get => RequestBuilder::new(url).method(gloo_net::http::Method::GET),
        Method::Post => RequestBuilder::new(url).method(gloo_net::http::Method::POST),
    };
    if let Some(token) = token {
        builder = builder.header("Authorization", &format!("Bearer {}", token.secret()));
    }
    let built = match body {
        Some(json) => builder
            .header("Content-Type", "application/json")
            .body(json.to_string()),
        None => builder.build(),
    };
    // Building fails only on a URL the browser cannot parse; config.json's URLs are checked.
    built.map_err(|_| Outcome::Unreachable)
}

async fn read_answer(response: gloo_net::http::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().entries().collect();
    let body = match response.text().await {
        Ok(text) => Body::from_text(text),
        Err(error) => Body::NotJson {
            text: String::new(),
            error: format!("the body could not be read: {error}"),
        },
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// After a failed fetch: does a `no-cors` request to the same URL get through? The browser
/// gives no-cors answers to the page unread (opaque), CORS headers or not, so success means the
/// API is up and CORS withheld the real answer. Also used for Cognito's JSON API ([`crate::idp`]).
pub async fn answers_without_cors(url: &str) -> bool {
    RequestBuilder::new(url)
        .mode(RequestMode::NoCors)
        .send()
        .await
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::tests::{answered, message};

    #[test]
    fn only_a_401_or_cors_with_a_due_token_is_worth_a_refresh() {
        let unauthorized = answered(401, message("Unauthorized"));
        assert!(refresh_may_help(Route::Hello, &unauthorized, false));
        assert!(!refresh_may_help(
            Route::Hello,
            &answered(403, message("Forbidden")),
            true
        ));
        assert!(
            refresh_may_help(Route::Hello, &Outcome::BlockedByCors, true),
            "an expired token's 401 may arrive as a CORS failure"
        );
        assert!(
            !refresh_may_help(Route::Hello, &Outcome::BlockedByCors, false),
            "a fresh token: CORS is really misconfigured"
        );
        assert!(!refresh_may_help(
            Route::Open,
            &Outcome::BlockedByCors,
            true
        ));
        assert!(!refresh_may_help(Route::Hello, &Outcome::Unreachable, true));
        let not_renewed = Outcome::TokenNotRenewed(AuthError::NoRefreshToken);
        assert!(!refresh_may_help(Route::Hello, &not_renewed, true));
    }
}
