//! What happened to a call, in words a person can act on: a sentence and a piece of advice.

use super::{Answer, Body, Outcome, Route};

/// Where the page and the API live; the explanations name them.
#[derive(Clone, Copy, Debug)]
pub struct Origins<'a> {
    /// The origin this page runs on, e.g. `http://localhost:8080`.
    pub page: &'a str,
    /// The API's base URL from config.json, e.g. `http://localhost:3000`.
    pub api_base_url: &'a str,
}

/// Whether an outcome is what the caller hoped for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A 2xx with a JSON body.
    Success,
    /// Anything else.
    Problem,
}

/// An outcome in words: what happened, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// Success or problem.
    pub verdict: Verdict,
    /// One sentence: what happened.
    pub summary: String,
    /// What the person can do about it, when there is something to do.
    pub advice: Option<String>,
}

impl Explanation {
    fn success(summary: String) -> Self {
        Self {
            verdict: Verdict::Success,
            summary,
            advice: None,
        }
    }

    fn problem(summary: String, advice: String) -> Self {
        Self {
            verdict: Verdict::Problem,
            summary,
            advice: Some(advice),
        }
    }
}

/// Turns the outcome of calling `route` into a sentence and a piece of advice.
pub fn explain(route: Route, outcome: &Outcome, origins: Origins<'_>) -> Explanation {
    let url = route.url(origins.api_base_url);
    match outcome {
        Outcome::NotSignedIn => Explanation::problem(
            format!("You are not signed in, so there is no access token to send to {route}."),
            "Sign in, then try again.".to_owned(),
        ),
        Outcome::Unreachable => Explanation::problem(
            format!("Nothing answered at {url}."),
            format!(
                "Check that the API is running and that api_base_url in config.json ({}) is \
                 right. A network outage or a browser extension blocking the request looks the \
                 same.",
                origins.api_base_url
            ),
        ),
        Outcome::BlockedByCors => Explanation::problem(
            format!(
                "The API at {} answered, but the browser withheld the answer from this page \
                 (CORS).",
                origins.api_base_url
            ),
            format!(
                "This page runs on {}. The API's CORS AllowOrigins must include exactly that \
                 origin, AllowMethods must include {}, and AllowHeaders must include \
                 authorization and content-type. An authorizer 401 sent without CORS headers \
                 also looks like this: if the CORS settings are right, sign in again.",
                origins.page,
                route.method()
            ),
        ),
        Outcome::TokenNotRenewed(error) => Explanation::problem(
            format!(
                "Your access token has expired and could not be renewed, so nothing was sent to \
                 {route}: {error}"
            ),
            "The app keeps trying to renew it. Check the network connection and try again; if \
             this persists, sign out and sign in again."
                .to_owned(),
        ),
        Outcome::Answered(answer) => explain_answer(route, answer, &url),
    }
}

fn explain_answer(route: Route, answer: &Answer, url: &str) -> Explanation {
    let status = answer.status;
    let logs_hint = match answer.request_id() {
        Some(id) => format!("Look for request id {id} in the API's logs."),
        None => "The API's logs should say why.".to_owned(),
    };
    match status {
        200..=299 => match &answer.body {
            Body::Json(_) => Explanation::success(format!("{route} answered {status}.")),
            Body::Empty => Explanation::problem(
                format!("{route} answered {status} with an empty body where JSON was expected."),
                logs_hint,
            ),
            Body::NotJson { error, .. } => Explanation::problem(
                format!("{route} answered {status}, but the body is not JSON ({error})."),
                logs_hint,
            ),
        },
        400 => Explanation::problem(
            format!(
                "The API rejected the request as malformed (400): {}",
                answer.body.message().unwrap_or("no reason given")
            ),
            "Fix the request body and send it again.".to_owned(),
        ),
        401 => Explanation::problem(
            "The API no longer accepts your session (401 Unauthorized), even after refreshing \
             the tokens."
                .to_owned(),
            "Sign out and sign in again.".to_owned(),
        ),
        403 => explain_forbidden(route, &answer.body),
        404 => Explanation::problem(
            format!("The API has no route {route} (404): {url} was not found."),
            "Check that api_base_url in config.json points at the API (including any stage \
             path) and that the route is deployed."
                .to_owned(),
        ),
        413 => Explanation::problem(
            "The request body is too large for the API (413).".to_owned(),
            "Send a smaller body.".to_owned(),
        ),
        500..=599 => Explanation::problem(
            format!("The API failed while handling {route} ({status})."),
            logs_hint,
        ),
        _ => Explanation::problem(
            format!("{route} answered with an unexpected status {status}."),
            logs_hint,
        ),
    }
}

/// 403 has two sources: the authorizer ("Forbidden": the token lacks the route's scope) and the
/// `/admin` handler (its own message: the caller is not in the group).
fn explain_forbidden(route: Route, body: &Body) -> Explanation {
    let requirement = route.requirement();
    let from_authorizer = body.message() == Some("Forbidden");
    match (requirement.group, from_authorizer) {
        (Some(group), false) => Explanation::problem(
            format!("{route} is only for members of the {group} group, and you are not one (403)."),
            format!(
                "Sign in as a user in the {group} group. If you were just added to it, sign out \
                 and in again so that your tokens carry the new group."
            ),
        ),
        _ => {
            let scope = requirement.scope.unwrap_or("a scope");
            Explanation::problem(
                format!("Your access token lacks {scope}, which {route} needs (403)."),
                format!(
                    "Sign in again. If this persists, the app client must allow {scope} and the \
                     scopes in config.json must ask for it."
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::tests::{answered, message};
    use crate::api::{Body, Outcome, Route};
    use crate::auth::AuthError;

    const ORIGINS: Origins<'static> = Origins {
        page: "http://localhost:8080",
        api_base_url: "http://localhost:3000/",
    };

    fn problem_text(route: Route, outcome: &Outcome) -> (String, String) {
        let explanation = explain(route, outcome, ORIGINS);
        assert_eq!(explanation.verdict, Verdict::Problem, "{explanation:?}");
        (explanation.summary, explanation.advice.unwrap_or_default())
    }

    #[test]
    fn success_needs_json() {
        let explanation = explain(
            Route::Hello,
            &answered(200, message("Hello, demo!")),
            ORIGINS,
        );
        assert_eq!(explanation.verdict, Verdict::Success);
        assert_eq!(explanation.summary, "GET /hello answered 200.");
        assert_eq!(explanation.advice, None);
    }

    #[test]
    fn bad_json_in_a_success_response_is_a_problem() {
        let not_json = Body::NotJson {
            text: "oops".into(),
            error: "Unexpected token 'o', \"oops\" is not valid JSON".into(),
        };
        let (summary, advice) = problem_text(Route::Open, &answered(200, not_json));
        assert!(summary.contains("not JSON"), "{summary}");
        assert!(advice.contains("req-42"), "{advice}");
        let (summary, _) = problem_text(Route::Open, &answered(204, Body::Empty));
        assert!(summary.contains("empty body"), "{summary}");
    }

    #[test]
    fn unreachable_names_the_url_and_the_config_field() {
        let (summary, advice) = problem_text(Route::Hello, &Outcome::Unreachable);
        assert!(summary.contains("http://localhost:3000/hello"), "{summary}");
        assert!(advice.contains("api_base_url"), "{advice}");
    }

    #[test]
    fn cors_names_the_page_origin_and_what_to_check() {
        let (summary, advice) = problem_text(Route::EchoPost, &Outcome::BlockedByCors);
        assert!(summary.contains("CORS"), "{summary}");
        assert!(advice.contains("runs on http://localhost:8080"), "{advice}");
        assert!(advice.contains("AllowOrigins"), "{advice}");
        assert!(
            advice.contains("AllowMethods must include POST"),
            "{advice}"
        );
        assert!(advice.contains("401"), "{advice}");
    }

    #[test]
    fn unauthorized_asks_to_sign_in_again() {
        let (summary, advice) = problem_text(Route::Hello, &answered(401, message("Unauthorized")));
        assert!(summary.contains("401"), "{summary}");
        assert!(advice.contains("sign in again"), "{advice}");
    }

    #[test]
    fn forbidden_by_the_authorizer_names_the_scope() {
        let (summary, _) = problem_text(Route::EchoPost, &answered(403, message("Forbidden")));
        assert!(summary.contains("lacks api/write"), "{summary}");
        let (summary, _) = problem_text(Route::Admin, &answered(403, message("Forbidden")));
        assert!(summary.contains("lacks api/read"), "{summary}");
    }

    #[test]
    fn forbidden_by_the_admin_handler_names_the_group() {
        let outcome = answered(403, message("Only admins may call this route"));
        let (summary, advice) = problem_text(Route::Admin, &outcome);
        assert!(summary.contains("admin group"), "{summary}");
        assert!(advice.contains("sign out and in again"), "{advice}");
    }

    #[test]
    fn other_statuses_are_explained() {
        let (summary, advice) = problem_text(Route::Hello, &answered(404, message("Not Found")));
        assert!(summary.contains("GET /hello (404)"), "{summary}");
        assert!(advice.contains("api_base_url"), "{advice}");
        let (summary, _) = problem_text(Route::EchoPost, &answered(413, Body::Empty));
        assert!(summary.contains("too large"), "{summary}");
        let (summary, _) =
            problem_text(Route::EchoPost, &answered(400, message("body is not JSON")));
        assert!(summary.ends_with("body is not JSON"), "{summary}");
        let (summary, advice) = problem_text(Route::Echo, &answered(502, Body::Empty));
        assert!(summary.contains("502"), "{summary}");
        assert!(advice.contains("req-42"), "{advice}");
        let (summary, _) = problem_text(Route::Echo, &answered(302, Body::Empty));
        assert!(summary.contains("unexpected status 302"), "{summary}");
    }

    #[test]
    fn an_expired_token_that_could_not_be_renewed_says_so() {
        let outcome = Outcome::TokenNotRenewed(AuthError::Status {
            endpoint: "the token endpoint",
            status: 503,
        });
        let (summary, advice) = problem_text(Route::Hello, &outcome);
        assert!(
            summary.contains("expired and could not be renewed"),
            "{summary}"
        );
        assert!(
            summary.contains("nothing was sent to GET /hello"),
            "{summary}"
        );
        assert!(summary.contains("HTTP 503"), "{summary}");
        assert!(advice.contains("keeps trying"), "{advice}");
    }

    #[test]
    fn not_signed_in_asks_to_sign_in() {
        let (summary, advice) = problem_text(Route::Admin, &Outcome::NotSignedIn);
        assert!(summary.contains("GET /admin"), "{summary}");
        assert_eq!(advice, "Sign in, then try again.");
    }
}
