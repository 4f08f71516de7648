//! Serves the built SPA (Trunk's `dist/`) the way the CloudFront deployment does: index.html for
//! the SPA's routes and files as they are (a missing one is a 404), by the rule of
//! [`contract::is_spa_route`] that the template's CloudFront Function applies too; a generated
//! `/config.json` pointing at this stand-in; and security headers (the CSP of the `contract`
//! crate) on every response. When the SPA is served elsewhere (`trunk serve`), only the
//! generated config, on the Cognito side.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;
use tower::ServiceExt;
use tower_http::services::ServeDir;
use url::Url;

use contract::SpaConfig;

use crate::config::Config;
use crate::headers::insert_security_headers;
use crate::spa_origin::SPA_CONFIG_PATH;

/// The SPA's `/config.json` (the [`contract::SpaConfig`]) for the SPA served at `spa`, with
/// the other two origins given. Prefers the client's URLs on the SPA's own origin.
pub fn spa_config(
    config: &Config,
    spa: &Url,
    hosted_ui: &Url,
    issuer: &str,
    api: &Url,
) -> Option<SpaConfig> {
    let client = config.spa_client()?;
    let spa_origin = spa.origin();
    let on_spa = |urls: &[String]| {
        urls.iter()
            .find(|u| Url::parse(u).is_ok_and(|u| u.origin() == spa_origin))
            .or_else(|| urls.first())
            .cloned()
    };
    Some(SpaConfig {
        hosted_ui_url: hosted_ui.as_str().trim_end_matches('/').to_owned(),
        issuer: issuer.to_owned(),
        client_id: client.client_id.clone(),
        redirect_uri: on_spa(&client.callback_urls)?,
        sign_out_uri: on_spa(&client.logout_urls)?,
        scopes: client.allowed_scopes.clone(),
        api_base_url: api.as_str().trim_end_matches('/').to_owned(),
        token_storage: config.spa.token_storage,
    })
}

/// What the SPA server needs.
#[derive(Debug)]
pub struct SpaState {
    dist: Option<PathBuf>,
    runtime_config: SpaConfig,
    /// `connect-src` origins besides 'self'.
    connect_origins: Vec<String>,
    /// The CSP for the current index.html, keyed by its modification time.
    csp_cache: Mutex<Option<(SystemTime, String)>>,
}

impl SpaState {
    /// `dist` is Trunk's output directory; `None` (or a missing directory) serves a page that
    /// says how to build it.
    pub fn new(dist: Option<PathBuf>, runtime_config: SpaConfig) -> Self {
        let mut connect_origins = Vec::new();
        for url in [
            &runtime_config.hosted_ui_url,
            &runtime_config.issuer,
            &runtime_config.api_base_url,
        ] {
            if let Ok(url) = Url::parse(url) {
                let origin = url.origin().ascii_serialization();
                if !connect_origins.contains(&origin) {
                    connect_origins.push(origin);
                }
            }
        }
        Self {
            dist: dist.filter(|d| d.join("index.html").is_file()),
            runtime_config,
            connect_origins,
            csp_cache: Mutex::new(None),
        }
    }

    fn index_path(&self) -> Option<PathBuf> {
        self.dist.as_ref().map(|d| d.join("index.html"))
    }

    /// The CSP for the served index.html (recomputed when Trunk rebuilds it).
    fn csp(&self) -> String {
        let origins: Vec<&str> = self.connect_origins.iter().map(String::as_str).collect();
        let Some(index) = self.index_path() else {
            return contract::csp::policy_for_index("", &origins);
        };
        let modified = std::fs::metadata(&index).and_then(|m| m.modified()).ok();
        let mut cache = self
            .csp_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let (Some(modified), Some((cached_at, csp))) = (modified, cache.as_ref())
            && *cached_at == modified
        {
            return csp.clone();
        }
        let html = std::fs::read_to_string(&index).unwrap_or_default();
        let csp = contract::csp::policy_for_index(&html, &origins);
        if let Some(modified) = modified {
            *cache = Some((modified, csp.clone()));
        }
        csp
    }
}

/// The SPA router.
pub fn router(state: Arc<SpaState>) -> Router {
    let router = Router::new().route("/config.json", get(runtime_config));
    let router = match &state.dist {
        // As S3 behind CloudFront: no directory listings or index pages but the one the routes
        // get, and a plain 404 for a file that is not there.
        Some(dist) => router.fallback_service(
            ServeDir::new(dist)
                .append_index_html_on_directories(false)
                .not_found_service(get(not_found))
                .map_request(spa_routes_to_index),
        ),
        None => router.fallback(missing_dist),
    };
    router
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .with_state(state)
}

async fn runtime_config(State(state): State<Arc<SpaState>>) -> Json<SpaConfig> {
    Json(state.runtime_config.clone())
}

/// The SPA's `/config.json` alone, at [`SPA_CONFIG_PATH`], for a server of the SPA that is not
/// devstack (`trunk serve` proxies its `/config.json` here). Same body and caching as the SPA
/// listener's.
pub fn config_router(runtime_config: SpaConfig) -> Router {
    let runtime_config = Arc::new(runtime_config);
    Router::new().route(
        SPA_CONFIG_PATH,
        get(move || {
            let runtime_config = runtime_config.clone();
            async move {
                (
                    [
                        (header::CACHE_CONTROL, "no-cache"),
                        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                    ],
                    Json(runtime_config.as_ref().clone()),
                )
            }
        }),
    )
}

/// The SPA's routes are asked of `dist/` as `/index.html`, as the template's CloudFront Function
/// rewrites them; every other path is looked up as the file it names, so a missing asset
/// (`/app.js`, `/config.json` of a broken build) is a 404 and broken builds are visible.
fn spa_routes_to_index(mut request: Request) -> Request {
    if contract::is_spa_route(request.uri().path()) {
        *request.uri_mut() = Uri::from_static("/index.html");
    }
    request
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "Not Found")
}

async fn missing_dist() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SPA not built</title></head>\n\
             <body><h1>The SPA has not been built yet</h1>\n\
             <p>devstack serves the SPA from Trunk's <code>dist/</code> directory, and there is no\n\
             <code>index.html</code> there. Run <code>cargo xtask dev</code> (builds it and starts devstack), or\n\
             <code>trunk build</code> in the project root and restart devstack (<code>--spa-dir</code> points elsewhere).</p>\n\
             <p>The stand-in for Cognito and the API run anyway; <a href=\"/config.json\">/config.json</a> shows where.</p>\n\
             </body></html>\n",
        ),
    )
        .into_response()
}

async fn security_headers(
    State(state): State<Arc<SpaState>>,
    request: Request,
    next: Next,
) -> Response {
    let is_config = request.uri().path() == "/config.json";
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let csp = state.csp();
    let headers = response.headers_mut();
    insert_security_headers(headers, &csp);
    if is_html || is_config {
        // index.html and config.json change with each build or stack; the hashed assets do not.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_config_points_at_the_stand_in() {
        let config = Config::embedded_default();
        let url = |s: &str| Url::parse(s).unwrap();
        let runtime = spa_config(
            &config,
            &url("http://localhost:8080/"),
            &url("http://localhost:9229/"),
            "http://localhost:9229/us-east-1_DevStack01",
            &url("http://localhost:3000/"),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&runtime).unwrap(),
            serde_json::json!({
                "hosted_ui_url": "http://localhost:9229",
                "issuer": "http://localhost:9229/us-east-1_DevStack01",
                "client_id": "3n4b5urk1ft4fl3mg5e62d9ado",
                "redirect_uri": "http://localhost:8080/callback",
                "sign_out_uri": "http://localhost:8080/signed-out",
                "scopes": ["openid", "email", "profile", "api/read", "api/write", "aws.cognito.signin.user.admin"],
                "api_base_url": "http://localhost:3000",
                "token_storage": "memory"
            })
        );
    }
}
