//! devstack's outbox: every message Cognito would e-mail (a sign-up code, a password-reset code,
//! an invitation with a temporary password) lands here instead, to be read on the mailbox page
//! or as JSON by tests. Messages never reach the request log.

use std::collections::VecDeque;

use serde::Serialize;

/// The newest messages kept; older ones are dropped.
pub const MAILBOX_CAPACITY: usize = 500;

/// What a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// The code that confirms a sign-up (SignUp, ResendConfirmationCode).
    SignUpCode,
    /// The code that resets a forgotten password (ForgotPassword).
    PasswordResetCode,
    /// The invitation of a user an administrator created, with the temporary password.
    Invitation,
}

/// One message.
#[derive(Debug, Clone, Serialize)]
pub struct Mail {
    /// 1, 2, 3, ... in the order sent.
    pub id: u64,
    /// When it was sent (Unix seconds, the stand-in's clock).
    pub sent_at: u64,
    /// The address.
    pub to: String,
    /// The user it is about.
    pub username: String,
    /// What it is for.
    pub kind: MailKind,
    /// The subject line.
    pub subject: String,
    /// The text, as Cognito's default messages word it.
    pub body: String,
    /// The code or temporary password the body carries, for tests.
    pub code: String,
}

/// The outbox.
#[derive(Default)]
pub struct Mailbox {
    messages: VecDeque<Mail>,
    sent: u64,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Messages carry codes and temporary passwords.
        f.debug_struct("Mailbox")
            .field("messages", &self.messages.len())
            .finish()
    }
}

impl Mailbox {
    /// Sends a message of `kind` to `to` about `username`, carrying `code`.
    pub fn send(&mut self, now: u64, to: &str, username: &str, kind: MailKind, code: &str) {
        let (subject, body) = match kind {
            MailKind::SignUpCode => (
                "Your verification code".to_owned(),
                format!("Your confirmation code is {code}"),
            ),
            MailKind::PasswordResetCode => (
                "Your verification code".to_owned(),
                format!("Your password reset code is {code}"),
            ),
            MailKind::Invitation => (
                "Your temporary password".to_owned(),
                format!("Your username is {username} and temporary password is {code}."),
            ),
        };
        self.sent += 1;
        if self.messages.len() == MAILBOX_CAPACITY {
            self.messages.pop_front();
        }
        self.messages.push_back(Mail {
            id: self.sent,
            sent_at: now,
            to: to.to_owned(),
            username: username.to_owned(),
            kind,
            subject,
            body,
            code: code.to_owned(),
        });
    }

    /// The messages, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        self.messages.iter().cloned().collect()
    }
}

/// An address as Cognito shows it in `CodeDeliveryDetails.Destination`: the first character of
/// the local part and of the domain, the rest starred, the top-level domain kept
/// (`demo@example.com` becomes `d***@e***.com`).
pub fn mask_email(address: &str) -> String {
    let Some((local, domain)) = address.split_once('@') else {
        return "***".into();
    };
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    let (name, tld) = domain
        .rsplit_once('.')
        .map_or((domain, None), |(name, tld)| (name, Some(tld)));
    let tld = tld.map(|t| format!(".{t}")).unwrap_or_default();
    format!("{}***@{}***{tld}", first(local), first(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_worded_like_cognitos_defaults() {
        let mut mailbox = Mailbox::default();
        mailbox.send(10, "a@example.com", "alice", MailKind::SignUpCode, "123456");
        mailbox.send(
            11,
            "a@example.com",
            "alice",
            MailKind::Invitation,
            "Tmp-Pa55!",
        );
        let messages = mailbox.messages();
        assert_eq!(messages[0].id, 1);
        assert_eq!(messages[0].body, "Your confirmation code is 123456");
        assert_eq!(
            messages[1].body,
            "Your username is alice and temporary password is Tmp-Pa55!."
        );
        assert_eq!(messages[1].code, "Tmp-Pa55!");
        assert_eq!(format!("{mailbox:?}"), "Mailbox { messages: 2 }");
    }

    #[test]
    fn the_oldest_messages_go_first_when_full() {
        let mut mailbox = Mailbox::default();
        for i in 0..=MAILBOX_CAPACITY {
            mailbox.send(
                0,
                "a@example.com",
                "a",
                MailKind::SignUpCode,
                &i.to_string(),
            );
        }
        let messages = mailbox.messages();
        assert_eq!(messages.len(), MAILBOX_CAPACITY);
        assert_eq!(messages[0].id, 2);
        assert_eq!(
            messages[MAILBOX_CAPACITY - 1].id,
            MAILBOX_CAPACITY as u64 + 1
        );
    }

    #[test]
    fn addresses_are_masked_as_cognito_shows_them() {
        assert_eq!(mask_email("demo@example.com"), "d***@e***.com");
        assert_eq!(mask_email("j@localhost"), "j***@l***");
        assert_eq!(mask_email("not an address"), "***");
    }
}
