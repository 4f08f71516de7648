//! Serves the built SPA (Trunk's `dist/`) the way the CloudFront deployment does: files, a
//! fallback to index.html for client-side routes, a generated `/config.json` pointing at this
//! stand-in, and security headers (the CSP of contracts.md) on every response.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tower_http::services::ServeDir;
use url::Url;

use crate::config::{Config, TokenStorage};
use crate::headers::insert_security_headers;

/// The SPA's runtime configuration (`/config.json`, shape in contracts.md).
#[derive(Debug, Clone, Serialize)]
pub struct SpaRuntimeConfig {
    /// Base of `/oauth2/authorize`, `/oauth2/token`, `/logout`, ... (no trailing slash).
    pub hosted_ui_url: String,
    /// The pool's issuer.
    pub issuer: String,
    /// The SPA's app client.
    pub client_id: String,
    /// The callback URL.
    pub redirect_uri: String,
    /// The sign-out URL.
    pub sign_out_uri: String,
    /// Scopes to ask for.
    pub scopes: Vec<String>,
    /// Base URL of the HTTP API (no trailing slash).
    pub api_base_url: String,
    /// Where to keep tokens.
    pub token_storage: TokenStorage,
}

impl SpaRuntimeConfig {
    /// The configuration for the SPA served at `spa`, with the other two origins given.
    /// Prefers the client's URLs on the SPA's own origin.
    pub fn new(
        config: &Config,
        spa: &Url,
        hosted_ui: &Url,
        issuer: &str,
        api: &Url,
    ) -> Option<Self> {
        let client = config.spa_client()?;
        let spa_origin = spa.origin();
        let on_spa = |urls: &[String]| {
            urls.iter()
                .find(|u| Url::parse(u).is_ok_and(|u| u.origin() == spa_origin))
                .or_else(|| urls.first())
                .cloned()
        };
        Some(Self {
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
}

/// What the SPA server needs.
#[derive(Debug)]
pub struct SpaState {
    dist: Option<PathBuf>,
    runtime_config: SpaRuntimeConfig,
    /// `connect-src` origins besides 'self'.
    connect_origins: Vec<String>,
    /// The CSP for the current index.html, keyed by its modification time.
    csp_cache: Mutex<Option<(SystemTime, String)>>,
}

impl SpaState {
    /// `dist` is Trunk's output directory; `None` (or a missing directory) serves a page that
    /// says how to build it.
    pub fn new(dist: Option<PathBuf>, runtime_config: SpaRuntimeConfig) -> Self {
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
            return content_security_policy("", &origins);
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
        let csp = content_security_policy(&html, &origins);
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
        Some(dist) => router.fallback_service(
            ServeDir::new(dist).fallback(get(index_fallback).with_state(state.clone())),
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

async fn runtime_config(State(state): State<Arc<SpaState>>) -> Json<SpaRuntimeConfig> {
    Json(state.runtime_config.clone())
}

/// Client-side routes (no file extension) get index.html, as CloudFront's custom error response
/// does; a missing asset (`/app.js`) stays a 404 so broken builds are visible.
async fn index_fallback(State(state): State<Arc<SpaState>>, request: Request) -> Response {
    let last = request.uri().path().rsplit('/').next().unwrap_or_default();
    if last.contains('.') {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    }
    match state.index_path().map(std::fs::read_to_string) {
        Some(Ok(html)) => Html(html).into_response(),
        _ => missing_dist().await,
    }
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

/// The CSP of contracts.md for a built index.html: each inline script's SHA-256 in
/// `script-src`, and the stand-in's origins in `connect-src`.
pub fn content_security_policy(index_html: &str, connect_origins: &[&str]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for script in inline_scripts(index_html) {
        // Browsers hash the text after the parser's newline normalisation.
        let text = script.replace("\r\n", "\n").replace('\r', "\n");
        script_src.push_str(&format!(
            " 'sha256-{}'",
            STANDARD.encode(Sha256::digest(text.as_bytes()))
        ));
    }
    let mut connect_src = String::from("'self'");
    for origin in connect_origins {
        connect_src.push(' ');
        connect_src.push_str(origin);
    }
    format!(
        "default-src 'none'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         connect-src {connect_src}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
    )
}

/// The bodies of `<script>` elements without `src`, as an HTML tokenizer reads script data:
/// from the end of the start tag to the first `</script` (case-insensitive). Trunk's output has
/// no `<!--` escapes inside scripts, the one case this does not model.
fn inline_scripts(html: &str) -> Vec<&str> {
    let lower = html.to_ascii_lowercase();
    let mut scripts = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<script").map(|i| from + i) {
        let after_name = start + "<script".len();
        // `<scripts>` or `<script-x>` is another element.
        if !lower[after_name..]
            .starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        {
            from = after_name;
            continue;
        }
        let Some(tag_end) = start_tag_end(&lower, after_name) else {
            break;
        };
        let attributes = &lower[after_name..tag_end];
        let body_start = tag_end + 1;
        let Some(body_end) = lower[body_start..].find("</script").map(|i| body_start + i) else {
            break;
        };
        if !has_attribute(attributes, "src") {
            scripts.push(&html[body_start..body_end]);
        }
        from = body_end;
    }
    scripts
}

/// Index of the `>` closing a start tag, skipping quoted attribute values.
fn start_tag_end(html: &str, from: usize) -> Option<usize> {
    let mut quote = None;
    for (i, c) in html[from..].char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(from + i),
            _ => {}
        }
    }
    None
}

/// Whether a start tag's attribute text has the attribute `name` (outside quoted values).
fn has_attribute(attributes: &str, name: &str) -> bool {
    let mut quote = None;
    let mut outside = String::new();
    for c in attributes.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, c) => outside.push(if c == '=' { ' ' } else { c }),
            (Some(_), _) => {}
        }
    }
    outside
        .split(|c: char| c.is_ascii_whitespace() || c == '/')
        .any(|word| word == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRUNK_INDEX: &str = "<!DOCTYPE html><html><head>\n\
        <link rel=\"modulepreload\" href=\"/app-1a2b.js\" crossorigin=\"anonymous\" integrity=\"sha384-x\">\n\
        <script src=\"/external.js\"></script>\n\
        <SCRIPT type=\"module\" data-note=\"a > b\">import init from '/app-1a2b.js';\r\ninit('/app-1a2b_bg.wasm');</SCRIPT>\n\
        <script>console.log(1)</script>\n\
        <scripts>not a script</scripts>\n\
        </head><body></body></html>";

    fn sha(text: &str) -> String {
        format!(
            "'sha256-{}'",
            STANDARD.encode(Sha256::digest(text.as_bytes()))
        )
    }

    #[test]
    fn finds_inline_scripts_only() {
        assert_eq!(
            inline_scripts(TRUNK_INDEX),
            [
                "import init from '/app-1a2b.js';\r\ninit('/app-1a2b_bg.wasm');",
                "console.log(1)"
            ]
        );
        assert!(has_attribute(" type=module src=/x.js", "src"));
        assert!(!has_attribute(" data-src=\"src\"", "src"));
    }

    #[test]
    fn csp_matches_the_contract() {
        let csp = content_security_policy(
            TRUNK_INDEX,
            &["http://localhost:9229", "http://localhost:3000"],
        );
        // Known value: `printf 'console.log(1)' | openssl dgst -sha256 -binary | base64`.
        assert!(
            csp.contains("'sha256-CihokcEcBW4atb/CW/XWsvWwbTjqwQlE9nj9ii5ww5M='"),
            "{csp}"
        );
        let module = sha("import init from '/app-1a2b.js';\ninit('/app-1a2b_bg.wasm');");
        assert_eq!(
            csp,
            format!(
                "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' {module} 'sha256-CihokcEcBW4atb/CW/XWsvWwbTjqwQlE9nj9ii5ww5M='; \
                 style-src 'self'; img-src 'self' data:; connect-src 'self' http://localhost:9229 http://localhost:3000; \
                 base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
            )
        );
    }

    #[test]
    fn runtime_config_points_at_the_stand_in() {
        let config = Config::embedded_default();
        let url = |s: &str| Url::parse(s).unwrap();
        let runtime = SpaRuntimeConfig::new(
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
