//! HTML of the hosted UI: the login form and error pages. Every value is HTML-escaped; the
//! pages have no script and a strict CSP of their own.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use url::Url;

use crate::headers::insert_security_headers;

const STYLESHEET: &str = r#"
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #eef1f5; color: #16191f; }
main { width: min(24rem, 92vw); background: #fff; border-radius: 12px; padding: 2rem;
       box-shadow: 0 4px 24px rgb(0 0 0 / 0.12); }
h1 { font-size: 1.35rem; margin: 0 0 0.25rem; }
p.client { margin: 0 0 1.5rem; color: #5f6b7a; }
label { display: block; font-weight: 600; margin: 1rem 0 0.35rem; }
input[type=text], input[type=password] { box-sizing: border-box; width: 100%; padding: 0.6rem 0.7rem;
       border: 1px solid #8d99a8; border-radius: 6px; font-size: 1rem; }
input:focus { outline: 2px solid #0972d3; outline-offset: 1px; }
button { margin-top: 1.5rem; width: 100%; padding: 0.7rem; border: 0; border-radius: 20px;
         background: #ff9900; color: #16191f; font-weight: 700; font-size: 1rem; cursor: pointer; }
button:hover { background: #ec7211; }
.error { margin: 0 0 1rem; padding: 0.7rem; border-radius: 6px; background: #fff1f0; color: #d91515;
         border: 1px solid #d91515; }
footer { margin-top: 1.5rem; font-size: 0.8rem; color: #5f6b7a; text-align: center; }
@media (prefers-color-scheme: dark) {
  body { background: #0f1b2a; color: #e9ebed; }
  main { background: #192534; }
  input[type=text], input[type=password] { background: #0f1b2a; color: #e9ebed; }
}
"#;

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

/// Headers every hosted-UI page gets: no caching (the form carries a CSRF token), no framing.
fn page(status: StatusCode, csp: &str, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    insert_security_headers(headers, csp);
    response
}

fn document(title: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<link rel=\"stylesheet\" href=\"/login.css\">\n</head>\n<body>\n<main>\n{main}\n\
         <footer>devstack: a local stand-in for Amazon Cognito</footer>\n</main>\n</body>\n</html>\n",
        text(title)
    )
}

/// An error page (never a redirect).
pub(super) fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let main = format!(
        "<h1>{}</h1>\n<p class=\"error\" role=\"alert\">{}</p>",
        text(title),
        text(message)
    );
    page(
        status,
        "default-src 'none'; style-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        document(title, &main),
    )
}

/// The managed login form.
pub(super) struct LoginPage<'a> {
    /// Shown under the title.
    pub client_name: &'a str,
    /// Where the form posts (`/login?<authorize query>`).
    pub action: &'a str,
    /// The CSRF token, also in the `XSRF-TOKEN` cookie.
    pub csrf: &'a str,
    /// Prefilled username.
    pub username: &'a str,
    /// A message above the form.
    pub error: Option<&'a str>,
    /// The callback the form's answer redirects to: CSP `form-action` must allow its origin.
    pub form_target: &'a Url,
}

impl LoginPage<'_> {
    pub(super) fn render(&self, status: StatusCode) -> Response {
        let error = self.error.map_or_else(String::new, |e| {
            format!("<p class=\"error\" role=\"alert\">{}</p>\n", text(e))
        });
        let main = format!(
            "<h1>Sign in</h1>\n<p class=\"client\">to {client}</p>\n{error}\
             <form method=\"post\" action=\"{action}\">\n\
             <input type=\"hidden\" name=\"_csrf\" value=\"{csrf}\">\n\
             <label for=\"username\">Username</label>\n\
             <input type=\"text\" id=\"username\" name=\"username\" value=\"{username}\" autocomplete=\"username\" autocapitalize=\"none\" required autofocus>\n\
             <label for=\"password\">Password</label>\n\
             <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\n\
             <button type=\"submit\">Sign in</button>\n</form>",
            client = text(self.client_name),
            action = attr(self.action),
            csrf = attr(self.csrf),
            username = attr(self.username),
        );
        // Chromium applies form-action to the redirect after the post, so the callback's
        // origin is allowed besides 'self'.
        let csp = format!(
            "default-src 'none'; style-src 'self'; form-action 'self' {}; frame-ancestors 'none'; base-uri 'none'",
            self.form_target.origin().ascii_serialization()
        );
        page(status, &csp, document("Sign in", &main))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn values_are_escaped() {
        let target = Url::parse("http://localhost:8080/callback").unwrap();
        let response = LoginPage {
            client_name: "<b>app</b>",
            action: "/login?a=1&state=\"><script>",
            csrf: "tok",
            username: "\"><img src=x onerror=alert(1)>",
            error: Some("<i>bad</i>"),
            form_target: &target,
        }
        .render(StatusCode::OK);
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("form-action 'self' http://localhost:8080;"),
            "{csp}"
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(!body.contains("<b>app"), "{body}");
        assert!(!body.contains("<script>"), "{body}");
        assert!(!body.contains("<img"), "{body}");
        assert!(!body.contains("<i>bad"), "{body}");
        assert!(body.contains("&lt;b&gt;app&lt;/b&gt;"), "{body}");
        assert!(
            body.contains("action=\"/login?a=1&amp;state=&quot;&gt;&lt;script&gt;\""),
            "{body}"
        );
    }
}
