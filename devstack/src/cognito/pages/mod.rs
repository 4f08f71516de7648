//! The forms of the hosted UI, one function per page, built from the pieces below so every page
//! escapes the same way: text with `text`, attribute values with `attr`, nothing else. Every
//! form posts to its page's path with the authorize query carried on, and starts with the CSRF
//! field (`_csrf`, echoing the `XSRF-TOKEN` cookie).

mod account;
mod sign_in;

pub(super) use account::{ConfirmPage, confirm, confirm_forgot, forgot, sign_up};
pub(super) use sign_in::{MfaSetupPage, login, mfa_code, mfa_setup, new_password};

use axum::http::StatusCode;
use axum::response::Response;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use url::Url;

use super::login_page::form_page;

/// What every page of one authorize request shares.
pub(super) struct Context<'a> {
    /// The app client's name, shown under the title.
    pub client_name: &'a str,
    /// The authorize query, carried on by every form and link.
    pub query: &'a str,
    /// This page's CSRF token (also in the `XSRF-TOKEN` cookie).
    pub csrf: &'a str,
    /// The client's callback: the CSP's `form-action` must allow its origin.
    pub form_target: &'a Url,
    /// Whether the pool lets anyone sign up (the login page's "Sign up" link).
    pub self_sign_up: bool,
}

impl Context<'_> {
    /// `path?<authorize query>`.
    fn href(&self, path: &str) -> String {
        format!("{path}?{}", self.query)
    }

    fn render(&self, status: StatusCode, title: &str, main: &str) -> Response {
        form_page(status, title, main, self.form_target)
    }

    /// `<h1>` and the line under it.
    fn heading(&self, title: &str, subtitle: &str) -> String {
        format!(
            "<h1>{}</h1>\n<p class=\"client\">{}</p>\n",
            text(title),
            text(subtitle)
        )
    }

    /// A form posting to `path` (with the authorize query): the CSRF field, `hidden` fields,
    /// `fields` (HTML from the functions below) and a submit button.
    fn form(&self, path: &str, hidden: &[(&str, &str)], fields: &str, button: &str) -> String {
        self.form_with(path, hidden, fields, button, None)
    }

    /// [`Context::form`] with a second button `(label, path)` that posts the same fields
    /// elsewhere, without the browser checking the required ones.
    fn form_with(
        &self,
        path: &str,
        hidden: &[(&str, &str)],
        fields: &str,
        button: &str,
        second: Option<(&str, &str)>,
    ) -> String {
        let mut html = format!(
            "<form method=\"post\" action=\"{}\">\n<input type=\"hidden\" name=\"_csrf\" value=\"{}\">\n",
            attr(&self.href(path)),
            attr(self.csrf)
        );
        for (name, value) in hidden {
            html.push_str(&format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                attr(name),
                attr(value)
            ));
        }
        html.push_str(fields);
        html.push_str(&format!(
            "<button type=\"submit\">{}</button>\n",
            text(button)
        ));
        if let Some((label, path)) = second {
            html.push_str(&format!(
                "<button type=\"submit\" class=\"secondary\" formaction=\"{}\" formnovalidate>{}</button>\n",
                attr(&self.href(path)),
                text(label)
            ));
        }
        html.push_str("</form>\n");
        html
    }

    /// Links under the form, each carrying the authorize query.
    fn links(&self, links: &[(&str, &str)]) -> String {
        if links.is_empty() {
            return String::new();
        }
        let items: Vec<String> = links
            .iter()
            .map(|(label, path)| {
                format!("<a href=\"{}\">{}</a>", attr(&self.href(path)), text(label))
            })
            .collect();
        format!("<nav class=\"links\">{}</nav>\n", items.join(""))
    }
}

/// A message above the form.
#[derive(Debug, Clone, Copy)]
pub(super) enum Message<'a> {
    /// Nothing to say.
    None,
    /// Something was refused (`role="alert"`).
    Error(&'a str),
    /// Something went well (`role="status"`).
    Notice(&'a str),
}

impl Message<'_> {
    fn html(self) -> String {
        match self {
            Self::None => String::new(),
            Self::Error(message) => {
                format!("<p class=\"error\" role=\"alert\">{}</p>\n", text(message))
            }
            Self::Notice(message) => {
                format!(
                    "<p class=\"notice\" role=\"status\">{}</p>\n",
                    text(message)
                )
            }
        }
    }
}

/// What kind of value an input takes.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A name (not spell-checked, not capitalized).
    Name,
    /// An e-mail address.
    Email,
    /// A password being entered (`current`) or chosen.
    Password { current: bool },
    /// A six-digit code.
    Code { one_time: bool },
    /// Free text (a device name).
    Text,
}

/// One labelled input.
struct Input<'a> {
    id: &'a str,
    label: &'a str,
    kind: Kind,
    value: &'a str,
    required: bool,
    autofocus: bool,
}

impl<'a> Input<'a> {
    fn new(id: &'a str, label: &'a str, kind: Kind) -> Self {
        Self {
            id,
            label,
            kind,
            value: "",
            required: true,
            autofocus: false,
        }
    }

    fn value(mut self, value: &'a str) -> Self {
        self.value = value;
        self
    }

    fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    fn focus(mut self) -> Self {
        self.autofocus = true;
        self
    }

    fn html(&self) -> String {
        let (kind, extra) = match self.kind {
            Kind::Name => (
                "text",
                " autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\"",
            ),
            Kind::Email => (
                "email",
                " autocomplete=\"email\" autocapitalize=\"none\" spellcheck=\"false\"",
            ),
            Kind::Password { current: true } => ("password", " autocomplete=\"current-password\""),
            Kind::Password { current: false } => ("password", " autocomplete=\"new-password\""),
            Kind::Code { one_time } => (
                "text",
                if one_time {
                    " inputmode=\"numeric\" autocomplete=\"one-time-code\" maxlength=\"6\""
                } else {
                    " inputmode=\"numeric\" autocomplete=\"off\""
                },
            ),
            Kind::Text => ("text", " autocomplete=\"off\""),
        };
        // Passwords are never written back into a page.
        let value = match self.kind {
            Kind::Password { .. } => String::new(),
            _ => format!(" value=\"{}\"", attr(self.value)),
        };
        format!(
            "<label for=\"{id}\">{label}</label>\n\
             <input type=\"{kind}\" id=\"{id}\" name=\"{id}\"{value}{extra}{required}{autofocus}>\n",
            id = attr(self.id),
            label = text(self.label),
            required = if self.required { " required" } else { "" },
            autofocus = if self.autofocus { " autofocus" } else { "" },
        )
    }
}

/// The policy's rules, listed under a new-password field.
fn rules(requirements: &[String]) -> String {
    if requirements.is_empty() {
        return String::new();
    }
    let items: Vec<String> = requirements
        .iter()
        .map(|rule| format!("<li>{}</li>", text(rule)))
        .collect();
    format!(
        "<ul class=\"rules\" aria-label=\"The password needs\">{}</ul>\n",
        items.join("")
    )
}

/// A new password and its confirmation, with the policy's rules under the first.
fn new_password_fields(requirements: &[String]) -> String {
    format!(
        "{}{}{}",
        Input::new(
            "password",
            "New password",
            Kind::Password { current: false }
        )
        .html(),
        rules(requirements),
        Input::new(
            "password_confirmation",
            "Enter the new password again",
            Kind::Password { current: false }
        )
        .html(),
    )
}

#[cfg(test)]
mod tests;
