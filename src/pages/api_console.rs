//! The API console: one control per route, and what came back, explained.

use crate::json::Value;
use leptos::prelude::*;

use crate::api::{self, Exchange, Method, Origins, Outcome, Route, Verdict};
use crate::auth::use_auth;
use crate::components::{Problem, Task, handler};

/// The body offered for `POST /echo` until the visitor edits it.
const SAMPLE_BODY: &str = "{\n  \"note\": \"hello from the console\",\n  \"count\": 3\n}";

/// One card per API route: send it, then see status, latency, headers and body.
#[component]
pub fn ApiConsole() -> impl IntoView {
    let api_base_url = use_auth().config().api_base_url;
    let cards = Route::ALL
        .into_iter()
        .map(|route| view! { <RouteCard route /> })
        .collect_view();
    view! {
        <h1>"API console"</h1>
        <p class="lead">
            "Each button calls the API at " <code>{api_base_url.clone()}</code>
            " from this page, with your access token where the route needs one."
        </p>
        <div class="grid">{cards}</div>
    }
}

#[component]
fn RouteCard(route: Route) -> impl IntoView {
    let auth = use_auth();
    let slug = route.slug();
    let call = Task::new();
    let dispatch = move |body: Option<Value>| {
        let base = auth.config().api_base_url;
        call.run(async move { api::call(auth, &base, route, body).await });
    };
    let (body_text, set_body_text) = signal(SAMPLE_BODY.to_owned());
    let body_error = move || match route.method() {
        Method::Post => api::parse_body(&body_text.read())
            .err()
            .map(|error| error.to_string()),
        Method::Get => None,
    };
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    let send = move |_| match route.method() {
        _ if call.running_untracked() => {}
        Method::Get => dispatch(None),
        Method::Post => match api::parse_body(&body_text.get_untracked()) {
            Ok(json) => dispatch(Some(json)),
            Err(_) => {
                // The message is already shown under the field; take the visitor there.
                if let Some(textarea) = textarea.get() {
                    _ = textarea.focus();
                }
            }
        },
    };
    let heading = format!("{slug}-heading");
    let labelled_by = heading.clone();
    let body_id = format!("{slug}-body");
    let error_id = format!("{slug}-body-error");
    let result_id = format!("{slug}-result");

    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=heading class="route-title">
                <span class="method">{route.method().to_string()}</span>
                <code>{route.path()}</code>
            </h2>
            <p class="muted">"Needs: " {route.requirement().to_string()}</p>
            {(route.method() == Method::Post)
                .then(|| {
                    view! {
                        <label for=body_id.clone()>"JSON body"</label>
                        <textarea
                            id=body_id.clone()
                            class="json-body"
                            spellcheck="false"
                            node_ref=textarea
                            aria-invalid=move || body_error().is_some().to_string()
                            aria-describedby=error_id.clone()
                            prop:value=body_text
                            on:input:target=move |event| set_body_text.set(event.target().value())
                        ></textarea>
                        <p id=error_id.clone() class="field-error" aria-live="polite">
                            {body_error}
                        </p>
                    }
                })}
            <div class="actions">
                <button
                    class="button button-primary"
                    type="button"
                    aria-controls=result_id.clone()
                    // Not `disabled`: that would drop keyboard focus to the page.
                    aria-disabled=move || call.running().to_string()
                    on:click=handler(send)
                >
                    {move || if call.running() { "Sending…" } else { "Send" }}
                    <span class="visually-hidden">" " {route.to_string()}</span>
                </button>
            </div>
            <div
                id=result_id
                class="result"
                aria-live="polite"
                aria-busy=move || call.running().to_string()
            >
                {move || call.outcome().map(|exchange| view! { <ExchangeView route exchange /> })}
            </div>
        </section>
    }
}

#[component]
fn ExchangeView(route: Route, exchange: Exchange) -> impl IntoView {
    let config = use_auth().config();
    let origin = page_origin();
    let explanation = api::explain(
        route,
        &exchange.outcome,
        Origins {
            page: &origin,
            api_base_url: &config.api_base_url,
        },
    );
    let answer = match exchange.outcome {
        Outcome::Answered(answer) => Some(answer),
        Outcome::BlockedByCors
        | Outcome::Unreachable
        | Outcome::NotSignedIn
        | Outcome::TokenNotRenewed(_) => None,
    };
    let status_class = match explanation.verdict {
        Verdict::Success => "status status-success",
        Verdict::Problem => "status status-problem",
    };
    let status = answer
        .as_ref()
        .map_or_else(|| "none".to_owned(), |answer| answer.status.to_string());
    view! {
        <div class="result-meta">
            <span>
                <span class="visually-hidden">"Status "</span>
                <span class=status_class>{status}</span>
            </span>
            <span>{exchange.latency_ms} " ms"</span>
            {answer
                .as_ref()
                .and_then(|answer| answer.request_id().map(str::to_owned))
                .map(|id| view! { <span>"x-request-id " <code>{id}</code></span> })}
            {exchange
                .retried_after_refresh
                .then(|| view! { <span class="muted">"retried after a token refresh"</span> })}
        </div>
        {match explanation.verdict {
            Verdict::Success => view! { <p class="notice notice-ok">{explanation.summary}</p> }.into_any(),
            Verdict::Problem => {
                view! {
                    <Problem
                        title=explanation.summary
                        detail=explanation.advice.unwrap_or_default()
                    />
                }
                    .into_any()
            }
        }}
        {answer
            .map(|answer| {
                view! {
                    <details class="headers">
                        <summary>"Response headers the page may read"</summary>
                        <dl class="facts">
                            {answer
                                .headers
                                .iter()
                                .map(|(name, value)| view! { <dt>{name.clone()}</dt> <dd class="mono">{value.clone()}</dd> })
                                .collect_view()}
                        </dl>
                    </details>
                    <pre class="code" tabindex="0" aria-label="Response body">{answer.body.pretty()}</pre>
                }
            })}
    }
}

/// The origin this page runs on, as CORS sees it (e.g. `http://localhost:8080`).
fn page_origin() -> String {
    web_sys::window()
        .and_then(|window| window.location().origin().ok())
        .unwrap_or_default()
}
