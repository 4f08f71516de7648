//! The pages of an account's life: sign-up, its confirmation code, a forgotten password.

use axum::http::StatusCode;
use axum::response::Response;
use html_escape::encode_text as text;

use super::{Context, Input, Kind, Message, new_password_fields, rules};

/// `/signup`: username, e-mail address, password.
pub(in crate::cognito) fn sign_up(
    ctx: &Context<'_>,
    status: StatusCode,
    username: &str,
    email: &str,
    requirements: &[String],
    message: Message<'_>,
) -> Response {
    let fields = format!(
        "{}{}{}{}",
        Input::new("username", "Username", Kind::Name)
            .value(username)
            .focus()
            .html(),
        Input::new("email", "E-mail address", Kind::Email)
            .value(email)
            .html(),
        Input::new("password", "Password", Kind::Password { current: false }).html(),
        rules(requirements),
    );
    let main = format!(
        "{}{}{}{}",
        ctx.heading("Sign up", &format!("for {}", ctx.client_name)),
        message.html(),
        ctx.form("/signup", &[], &fields, "Sign up"),
        ctx.links(&[("Already have an account? Sign in", "/login")]),
    );
    ctx.render(status, "Sign up", &main)
}

/// What the confirmation page knows.
pub(in crate::cognito) struct ConfirmPage<'a> {
    /// The confirmation session (after a sign-up or a sign-in of an unconfirmed user in this
    /// browser): confirming signs the user in. Without one, the page asks for the username.
    pub session: Option<&'a str>,
    /// The username, prefilled when there is no session.
    pub username: &'a str,
    /// The line under the title, e.g. "We sent a code to d***@e***.com."
    pub intro: &'a str,
}

/// `/confirm`: the code from the e-mail, and a button that sends another.
pub(in crate::cognito) fn confirm(
    ctx: &Context<'_>,
    status: StatusCode,
    page: &ConfirmPage<'_>,
    message: Message<'_>,
) -> Response {
    let hidden: Vec<(&str, &str)> = page.session.map(|s| ("session", s)).into_iter().collect();
    let username = if page.session.is_some() {
        String::new()
    } else {
        Input::new("username", "Username", Kind::Name)
            .value(page.username)
            .html()
    };
    let code = Input::new("code", "Confirmation code", Kind::Code { one_time: true }).focus();
    let main = format!(
        "{}{}<p>{}</p>\n{}",
        ctx.heading("Confirm your account", ctx.client_name),
        message.html(),
        text(page.intro),
        ctx.form_with(
            "/confirm",
            &hidden,
            &format!("{username}{}", code.html()),
            "Confirm account",
            Some(("Send the code again", "/resendcode")),
        ),
    );
    ctx.render(status, "Confirm your account", &main)
}

/// `/forgotPassword`: who forgot.
pub(in crate::cognito) fn forgot(
    ctx: &Context<'_>,
    status: StatusCode,
    username: &str,
    message: Message<'_>,
) -> Response {
    let fields = Input::new("username", "Username or e-mail address", Kind::Name)
        .value(username)
        .focus()
        .html();
    let main = format!(
        "{}{}<p>Enter your username or e-mail address and we will send you a code to reset \
         your password.</p>\n{}{}",
        ctx.heading("Forgot your password?", ctx.client_name),
        message.html(),
        ctx.form("/forgotPassword", &[], &fields, "Send code"),
        ctx.links(&[("Back to sign in", "/login")]),
    );
    ctx.render(status, "Forgot your password?", &main)
}

/// `/confirmForgotPassword`: the code and a new password.
pub(in crate::cognito) fn confirm_forgot(
    ctx: &Context<'_>,
    username: &str,
    intro: &str,
    requirements: &[String],
    message: Message<'_>,
) -> Response {
    let fields = format!(
        "{}{}{}",
        Input::new("username", "Username or e-mail address", Kind::Name)
            .value(username)
            .html(),
        Input::new("code", "Code", Kind::Code { one_time: true })
            .focus()
            .html(),
        new_password_fields(requirements),
    );
    let main = format!(
        "{}{}<p>{}</p>\n{}{}",
        ctx.heading("Reset your password", ctx.client_name),
        message.html(),
        text(intro),
        ctx.form("/confirmForgotPassword", &[], &fields, "Reset password"),
        ctx.links(&[
            ("Send a new code", "/forgotPassword"),
            ("Back to sign in", "/login")
        ]),
    );
    ctx.render(StatusCode::OK, "Reset your password", &main)
}
