//! The pages of signing in: the login form, then the challenges (a new password in place of a
//! temporary one, the authenticator's code, an authenticator's setup).

use axum::http::StatusCode;
use axum::response::Response;
use html_escape::encode_text as text;

use super::{Context, Input, Kind, Message, new_password_fields};

/// `/login`: username (or e-mail address) and password.
pub(in crate::cognito) fn login(
    ctx: &Context<'_>,
    status: StatusCode,
    username: &str,
    message: Message<'_>,
) -> Response {
    let fields = format!(
        "{}{}",
        Input::new("username", "Username or e-mail address", Kind::Name)
            .value(username)
            .focus()
            .html(),
        Input::new("password", "Password", Kind::Password { current: true }).html(),
    );
    let mut links = vec![("Forgot your password?", "/forgotPassword")];
    if ctx.self_sign_up {
        links.push(("Sign up", "/signup"));
    }
    let main = format!(
        "{}{}{}{}",
        ctx.heading("Sign in", &format!("to {}", ctx.client_name)),
        message.html(),
        ctx.form("/login", &[], &fields, "Sign in"),
        ctx.links(&links),
    );
    ctx.render(status, "Sign in", &main)
}

/// `/resetPassword`: a new password in place of the temporary one (`NEW_PASSWORD_REQUIRED`).
pub(in crate::cognito) fn new_password(
    ctx: &Context<'_>,
    username: &str,
    session: &str,
    requirements: &[String],
    message: Message<'_>,
) -> Response {
    let main = format!(
        "{}{}<p>Your password was temporary. Choose a new one to go on.</p>\n{}",
        ctx.heading(
            "Change your password",
            &format!("{username} · {}", ctx.client_name)
        ),
        message.html(),
        ctx.form(
            "/resetPassword",
            &[("session", session)],
            &new_password_fields(requirements),
            "Change password"
        ),
    );
    ctx.render(StatusCode::OK, "Change your password", &main)
}

/// `/mfa`: the authenticator's code (`SOFTWARE_TOKEN_MFA`).
pub(in crate::cognito) fn mfa_code(
    ctx: &Context<'_>,
    username: &str,
    session: &str,
    message: Message<'_>,
) -> Response {
    let fields = Input::new("code", "Code", Kind::Code { one_time: true })
        .focus()
        .html();
    let main = format!(
        "{}{}<p>Enter the 6-digit code your authenticator app shows.</p>\n{}",
        ctx.heading(
            "Multi-factor authentication",
            &format!("{username} · {}", ctx.client_name)
        ),
        message.html(),
        ctx.form("/mfa", &[("session", session)], &fields, "Sign in"),
    );
    ctx.render(StatusCode::OK, "Multi-factor authentication", &main)
}

/// What the setup page shows.
pub(in crate::cognito) struct MfaSetupPage<'a> {
    /// The user setting up.
    pub username: &'a str,
    /// The `MFA_SETUP` session.
    pub session: &'a str,
    /// The secret (base32), shown grouped by four.
    pub secret: &'a str,
    /// The `otpauth://` Key URI.
    pub uri: &'a str,
    /// The URI as a QR code: an SVG from `accounts::qr_svg`, put in as it is (it is drawn
    /// paths only; no text of the URI is in it).
    pub qr_svg: Option<&'a str>,
    /// The device name typed before, if the code was refused.
    pub device_name: &'a str,
}

/// `/mfaSetup`: the authenticator's secret (QR code, text, URI), a device name, the first code.
pub(in crate::cognito) fn mfa_setup(
    ctx: &Context<'_>,
    setup: &MfaSetupPage<'_>,
    message: Message<'_>,
) -> Response {
    let grouped: Vec<String> = setup
        .secret
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect();
    let qr = setup
        .qr_svg
        .map(|svg| {
            format!(
                "<div class=\"qr\" role=\"img\" aria-label=\"QR code of the key\">{svg}</div>\n"
            )
        })
        .unwrap_or_default();
    let fields = format!(
        "{}{}",
        Input::new("device_name", "Device name (optional)", Kind::Text)
            .value(setup.device_name)
            .optional()
            .html(),
        Input::new("code", "Code from the app", Kind::Code { one_time: true })
            .focus()
            .html(),
    );
    let main = format!(
        "{heading}{message}<p>This app requires multi-factor authentication. Scan the QR code \
         with an authenticator app, or type the key into it, then enter the code it shows.</p>\n\
         {qr}<p><strong>Key</strong></p>\n<code class=\"secret\">{secret}</code>\n\
         <p class=\"hint\">Key URI:</p>\n<code class=\"uri\">{uri}</code>\n{form}",
        heading = ctx.heading(
            "Set up an authenticator app",
            &format!("{} · {}", setup.username, ctx.client_name)
        ),
        message = message.html(),
        secret = text(&grouped.join(" ")),
        uri = text(setup.uri),
        form = ctx.form(
            "/mfaSetup",
            &[("session", setup.session)],
            &fields,
            "Verify and sign in"
        ),
    );
    ctx.render(StatusCode::OK, "Set up an authenticator app", &main)
}
