use axum::http::{StatusCode, header};
use axum::response::Response;
use url::Url;

use super::*;

const HOSTILE: &str = "\"><script>alert(1)</script><img src=x onerror=alert(1)>";

async fn body_and_csp(response: Response) -> (String, String) {
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (String::from_utf8(body.to_vec()).unwrap(), csp)
}

fn assert_escaped(body: &str) {
    assert!(!body.contains("<script"), "{body}");
    assert!(!body.contains("<img"), "{body}");
}

#[tokio::test]
async fn every_page_escapes_what_it_shows() {
    let target = Url::parse("http://localhost:8080/callback").unwrap();
    let context = Context {
        client_name: HOSTILE,
        query: "a=1&state=\"><script>",
        csrf: HOSTILE,
        form_target: &target,
        self_sign_up: true,
    };
    let rules = vec![HOSTILE.to_owned()];
    let setup = MfaSetupPage {
        username: HOSTILE,
        session: HOSTILE,
        secret: "ABCDEFGH",
        uri: HOSTILE,
        qr_svg: None,
        device_name: HOSTILE,
    };
    let confirm_page = ConfirmPage {
        session: None,
        username: HOSTILE,
        intro: HOSTILE,
    };
    let error = Message::Error(HOSTILE);
    let pages = [
        login(&context, StatusCode::OK, HOSTILE, error),
        new_password(&context, HOSTILE, HOSTILE, &rules, Message::Notice(HOSTILE)),
        mfa_code(&context, HOSTILE, HOSTILE, error),
        mfa_setup(&context, &setup, error),
        sign_up(&context, StatusCode::OK, HOSTILE, HOSTILE, &rules, error),
        confirm(&context, StatusCode::OK, &confirm_page, error),
        forgot(&context, StatusCode::OK, HOSTILE, error),
        confirm_forgot(&context, HOSTILE, HOSTILE, &rules, error),
    ];
    for page in pages {
        let (body, csp) = body_and_csp(page).await;
        assert_escaped(&body);
        assert!(body.contains("&lt;script&gt;"), "{body}");
        assert!(
            body.contains("action=\"/")
                && body.contains("?a=1&amp;state=&quot;&gt;&lt;script&gt;\""),
            "{body}"
        );
        assert!(
            csp.starts_with(
                "default-src 'none'; style-src 'self'; form-action 'self' http://localhost:8080;"
            ),
            "{csp}"
        );
    }
}

#[tokio::test]
async fn the_login_page_links_carry_the_query_and_sign_up_only_when_allowed() {
    let target = Url::parse("http://localhost:8080/callback").unwrap();
    let mut context = Context {
        client_name: "app",
        query: "client_id=c&state=s",
        csrf: "token",
        form_target: &target,
        self_sign_up: true,
    };
    let (body, _) = body_and_csp(login(&context, StatusCode::OK, "", Message::None)).await;
    assert!(
        body.contains("<form method=\"post\" action=\"/login?client_id=c&amp;state=s\">\n<input type=\"hidden\" name=\"_csrf\" value=\"token\">"),
        "{body}"
    );
    assert!(
        body.contains(
            "<a href=\"/forgotPassword?client_id=c&amp;state=s\">Forgot your password?</a>"
        ),
        "{body}"
    );
    assert!(
        body.contains("<a href=\"/signup?client_id=c&amp;state=s\">Sign up</a>"),
        "{body}"
    );
    context.self_sign_up = false;
    let (body, _) = body_and_csp(login(&context, StatusCode::OK, "", Message::None)).await;
    assert!(!body.contains("/signup"), "{body}");
    assert!(body.contains("Forgot your password?"), "{body}");
}

#[tokio::test]
async fn passwords_are_never_written_back() {
    let target = Url::parse("http://localhost:8080/callback").unwrap();
    let context = Context {
        client_name: "app",
        query: "q=1",
        csrf: "token",
        form_target: &target,
        self_sign_up: true,
    };
    let field = Input::new("password", "Password", Kind::Password { current: true })
        .value("Secret-Passw0rd!")
        .html();
    assert!(!field.contains("Secret-Passw0rd!"), "{field}");
    assert!(!field.contains("value="), "{field}");
    let (body, _) = body_and_csp(sign_up(
        &context,
        StatusCode::OK,
        "alice",
        "alice@example.com",
        &["at least 12 characters".to_owned()],
        Message::None,
    ))
    .await;
    assert!(
        body.contains("<ul class=\"rules\" aria-label=\"The password needs\"><li>at least 12 characters</li></ul>"),
        "{body}"
    );
}
