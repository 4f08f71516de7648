//! The hosted UI's page shell: the one stylesheet (`/login.css`), the document around every
//! page, its headers and CSP, and the error page. The forms themselves are in `pages/`. Pages
//! have no script; every value put in them is HTML-escaped by the code that puts it there.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use html_escape::encode_text as text;
use url::Url;

use crate::headers::insert_security_headers;

const STYLESHEET: &str = r#"
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #eef1f5; color: #16191f; }
main { width: min(24rem, 92vw); background: #fff; border-radius: 12px; padding: 2rem; margin: 1.5rem 0;
       box-shadow: 0 4px 24px rgb(0 0 0 / 0.12); }
main.wide { width: min(60rem, 96vw); }
h1 { font-size: 1.35rem; margin: 0 0 0.25rem; }
p.client { margin: 0 0 1.5rem; color: #5f6b7a; }
label { display: block; font-weight: 600; margin: 1rem 0 0.35rem; }
input[type=text], input[type=password], input[type=email] { box-sizing: border-box; width: 100%;
       padding: 0.6rem 0.7rem; border: 1px solid #8d99a8; border-radius: 6px; font-size: 1rem; }
input:focus { outline: 2px solid #0972d3; outline-offset: 1px; }
button { margin-top: 1.5rem; width: 100%; padding: 0.7rem; border: 0; border-radius: 20px;
         background: #ff9900; color: #16191f; font-weight: 700; font-size: 1rem; cursor: pointer; }
button:hover { background: #ec7211; }
button.secondary { margin-top: 0.75rem; background: transparent; color: #0972d3; border: 1px solid #0972d3; }
button.secondary:hover { background: #f0f7ff; }
.error, .notice { margin: 0 0 1rem; padding: 0.7rem; border-radius: 6px; }
.error { background: #fff1f0; color: #d91515; border: 1px solid #d91515; }
.notice { background: #f2fcf3; color: #037f0c; border: 1px solid #037f0c; }
ul.rules { margin: 0.4rem 0 0; padding-left: 1.2rem; font-size: 0.85rem; color: #5f6b7a; }
p.hint { margin: 0.35rem 0 0; font-size: 0.85rem; color: #5f6b7a; }
nav.links { margin-top: 1.25rem; display: flex; justify-content: space-between; gap: 1rem; font-size: 0.9rem; }
a { color: #0972d3; }
.qr { display: flex; justify-content: center; margin: 1rem 0; }
.qr svg { width: 12rem; height: 12rem; background: #fff; }
code.secret { display: block; padding: 0.6rem; border-radius: 6px; background: #f4f4f4; word-spacing: 0.3rem;
              font-size: 0.95rem; overflow-wrap: anywhere; }
code.uri { display: block; font-size: 0.75rem; color: #5f6b7a; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
th, td { text-align: left; vertical-align: top; padding: 0.5rem; border-bottom: 1px solid #d1d5db; }
td.body { white-space: pre-wrap; overflow-wrap: anywhere; }
footer { margin-top: 1.5rem; font-size: 0.8rem; color: #5f6b7a; text-align: center; }
@media (prefers-color-scheme: dark) {
  body { background: #0f1b2a; color: #e9ebed; }
  main { background: #192534; }
  input[type=text], input[type=password], input[type=email] { background: #0f1b2a; color: #e9ebed; }
  code.secret { background: #0f1b2a; }
  a, button.secondary { color: #539fe5; border-color: #539fe5; }
  button.secondary:hover { background: #0f1b2a; }
  .error { background: #1a0000; color: #ff7a7a; }
  .notice { background: #001a02; color: #2bb534; }
}
"#;

/// The CSP of a page without a form.
const NO_FORM_CSP: &str = "default-src 'none'; style-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// `GET /login.css`.
pub(super) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// Headers every hosted-UI page gets: no caching (forms carry a CSRF token, the mailbox
/// codes), no framing.
fn page(status: StatusCode, csp: &str, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    insert_security_headers(headers, csp);
    response
}

/// The document around `main` (already escaped HTML). `wide` for tables.
fn document(title: &str, wide: bool, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<link rel=\"stylesheet\" href=\"/login.css\">\n</head>\n<body>\n<main{}>\n{main}\n\
         <footer>devstack: a local stand-in for Amazon Cognito</footer>\n</main>\n</body>\n</html>\n",
        text(title),
        if wide { " class=\"wide\"" } else { "" },
    )
}

/// A page with forms whose answers may redirect to `form_target` (the client's callback).
pub(super) fn form_page(
    status: StatusCode,
    title: &str,
    main: &str,
    form_target: &Url,
) -> Response {
    // Chromium applies form-action to the redirect after the post, so the callback's origin
    // is allowed besides 'self'.
    let csp = format!(
        "default-src 'none'; style-src 'self'; form-action 'self' {}; frame-ancestors 'none'; base-uri 'none'",
        form_target.origin().ascii_serialization()
    );
    page(status, &csp, document(title, false, main))
}

/// A wide page without forms (the mailbox).
pub(super) fn wide_page(title: &str, main: &str) -> Response {
    page(StatusCode::OK, NO_FORM_CSP, document(title, true, main))
}

/// An error page (never a redirect).
pub(super) fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let main = format!(
        "<h1>{}</h1>\n<p class=\"error\" role=\"alert\">{}</p>",
        text(title),
        text(message)
    );
    page(status, NO_FORM_CSP, document(title, false, &main))
}
