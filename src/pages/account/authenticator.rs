//! The authenticator app card: whether one is set up (GetUser), setting one up
//! (AssociateSoftwareToken → QR code and key → VerifySoftwareToken → SetUserMFAPreference),
//! and turning it off after a confirmation.

use leptos::prelude::*;
use serde_json::Value;
use web_sys::FormData;

use super::{Card, Input, field, not_sent};
use crate::idp::totp::{self, TotpSecret};
use crate::idp::wire::{self, MfaStatus};
use crate::idp::{Operation, Request, Trouble};

/// A setup under way. It holds the only copy of the secret, which leaves memory with it when
/// the setup ends or is cancelled.
pub struct Setup {
    secret: TotpSecret,
    /// VerifySoftwareToken took the first code; only SetUserMFAPreference is left.
    verified: bool,
    /// What GetUser said before, to go back to on Cancel; its username labels the account.
    before: MfaStatus,
}

const TURNED_ON: &str = "Your authenticator app is set up and turned on. From your next sign-in, the sign-in page asks for its 6-digit code after your password. Browsers and devices signed in now stay signed in.";
const TURNED_OFF: &str = "The authenticator app is turned off: signing in needs only your password now. You may delete its entry in the app; to use one again, set it up anew.";

/// Where the card stands.
pub enum Stage {
    /// GetUser is out.
    Reading,
    /// GetUser failed; the card's outcome says why.
    Unread,
    /// What GetUser said.
    Read(MfaStatus),
    /// Asking whether to turn the authenticator off.
    AskingOff(MfaStatus),
    /// Setting one up.
    SettingUp(Setup),
}

/// What a button under the status (or the setup's Cancel) does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Reads the status again.
    Retry,
    /// Starts a setup (AssociateSoftwareToken).
    Start,
    /// Asks whether to turn the authenticator off.
    AskTurnOff,
    /// Turns it off (SetUserMFAPreference), confirmed.
    TurnOff,
    /// Keeps it after all; also cancels a setup.
    Keep,
}

impl Action {
    const ALL: [Action; 5] = [
        Action::Retry,
        Action::Start,
        Action::AskTurnOff,
        Action::TurnOff,
        Action::Keep,
    ];

    /// The `data-action` of its button.
    pub const fn name(self) -> &'static str {
        match self {
            Action::Retry => "retry",
            Action::Start => "start",
            Action::AskTurnOff => "ask-off",
            Action::TurnOff => "off",
            Action::Keep => "keep",
        }
    }

    /// The action whose button says `name`.
    pub fn named(name: &str) -> Option<Self> {
        Action::ALL.into_iter().find(|action| action.name() == name)
    }
}

/// The status (as HTML) and the buttons under it, primary first.
#[derive(Debug, PartialEq, Eq)]
pub struct Controls {
    /// What is set up, or the question before turning it off.
    pub html: &'static str,
    /// The primary button.
    pub primary: Option<(&'static str, Action)>,
    /// The other button.
    pub secondary: Option<(&'static str, Action)>,
}

/// What the card shows outside a setup (whose form is drawn instead).
pub fn controls(stage: &Stage) -> Controls {
    let (html, primary, secondary) = match stage {
        Stage::Reading | Stage::SettingUp(_) => (
            "<p class=\"muted\">Reading your account's settings…</p>",
            None,
            None,
        ),
        Stage::Unread => (
            "<p>Your account's settings could not be read.</p>",
            Some(("Try again", Action::Retry)),
            None,
        ),
        Stage::AskingOff(_) => (
            "<p class=\"notice-title\">Turn off the authenticator app?</p><p>Signing in will then ask only for your password, so anyone who learns it can sign in as you. A user pool that requires MFA refuses this.</p>",
            Some(("Turn it off", Action::TurnOff)),
            Some(("Keep it", Action::Keep)),
        ),
        Stage::Read(mfa) if mfa.totp_enabled => (
            if mfa.totp_preferred {
                "<p>An authenticator app is set up and preferred: signing in asks for its code after your password.</p>"
            } else {
                "<p>An authenticator app is set up: signing in asks for its code after your password.</p>"
            },
            Some(("Replace it with a new one", Action::Start)),
            Some(("Turn it off…", Action::AskTurnOff)),
        ),
        Stage::Read(_) => (
            "<p>No authenticator app is set up: signing in needs only your password.</p>",
            Some(("Set up an authenticator app", Action::Start)),
            None,
        ),
    };
    Controls {
        html,
        primary,
        secondary,
    }
}

/// The card's markup in `stage`: the setup's form (the QR code, the key, its fields, Turn it on
/// and Cancel), or the status and its buttons.
pub fn markup(stage: &Stage) -> String {
    if let Stage::SettingUp(setup) = stage {
        return [
            "<form class=\"stack\"><div>",
            &setup.secret.setup_html(&setup.before.username),
            "</div><div class=\"actions\"><button class=\"button button-primary\">Turn it on</button><button class=\"button\" type=\"button\" data-action=\"keep\">Cancel</button></div></form>",
        ]
        .concat();
    }
    let Controls {
        html,
        primary,
        secondary,
    } = controls(stage);
    let mut markup = [
        "<div id=\"totp-status\">",
        html,
        "</div><div class=\"actions\">",
    ]
    .concat();
    for (class, button) in [("button button-primary", primary), ("button", secondary)] {
        if let Some((label, action)) = button {
            markup.extend([
                "<button class=\"",
                class,
                "\" data-action=\"",
                action.name(),
                "\">",
                label,
                "</button>",
            ]);
        }
    }
    markup.push_str("</div>");
    markup
}

/// The stage after `action` was pressed in `stage`, for the actions that send nothing.
pub fn after(stage: Stage, action: Action) -> Stage {
    match (stage, action) {
        (Stage::Read(mfa), Action::AskTurnOff) => Stage::AskingOff(mfa),
        (Stage::AskingOff(mfa), Action::Keep) => Stage::Read(mfa),
        (Stage::SettingUp(setup), Action::Keep) => Stage::Read(setup.before),
        (stage, _) => stage,
    }
}

#[component]
pub fn Authenticator() -> impl IntoView {
    let card = Card::new();
    let stage = RwSignal::new(Stage::Reading);

    // Every answer of the card's calls, and what to send next.
    let apply = move |operation: Operation, answer: Result<Value, Trouble>| -> Option<Request> {
        let answer = match answer {
            Ok(answer) => answer,
            Err(trouble) => {
                if operation == Operation::GetUser {
                    stage.set(Stage::Unread);
                }
                card.show(Err(trouble));
                return None;
            }
        };
        let read = match operation {
            Operation::GetUser => {
                MfaStatus::from_get_user(&answer).map(|mfa| stage.set(Stage::Read(mfa)))
            }
            Operation::AssociateSoftwareToken => wire::secret_from(&answer).map(|secret| {
                stage.update(|stage| {
                    *stage = match std::mem::replace(stage, Stage::Reading) {
                        Stage::Read(before) => Stage::SettingUp(Setup {
                            secret,
                            verified: false,
                            before,
                        }),
                        // Only offered from Read; anything else stays, and the secret goes.
                        other => other,
                    }
                });
            }),
            Operation::VerifySoftwareToken => wire::verified(&answer).map(|()| {
                // Not drawn anew: the form stays as it is while the authenticator is turned on.
                stage.update_untracked(|stage| {
                    if let Stage::SettingUp(setup) = stage {
                        setup.verified = true;
                    }
                });
            }),
            Operation::TurnOnTotp | Operation::TurnOffTotp => {
                // The secret, if any, leaves memory here.
                stage.set(Stage::Reading);
                card.show(Ok(if operation == Operation::TurnOnTotp {
                    TURNED_ON
                } else {
                    TURNED_OFF
                }));
                return Some(Request::GetUser);
            }
            Operation::ChangePassword | Operation::GlobalSignOut => Ok(()),
        };
        match read {
            Err(error) => card.show(Err(card.explained(operation, &error))),
            Ok(()) if operation == Operation::VerifySoftwareToken => {
                return Some(Request::SetTotp { enabled: true });
            }
            Ok(()) => {}
        }
        None
    };
    card.run(Request::GetUser, apply);

    let act = move |action: Action| match action {
        Action::Retry => {
            stage.set(Stage::Reading);
            card.run(Request::GetUser, apply);
        }
        Action::Start => card.run(Request::AssociateSoftwareToken, apply),
        Action::TurnOff => card.run(Request::SetTotp { enabled: false }, apply),
        Action::AskTurnOff | Action::Keep => {
            card.clear();
            stage.update(|stage| *stage = after(std::mem::replace(stage, Stage::Reading), action));
        }
    };
    // The setup's form: the first code, or (verified already) only turning it on.
    let confirm = move |fields: FormData| {
        let verified = stage.with_untracked(|stage| match stage {
            Stage::SettingUp(setup) => Some(setup.verified),
            _ => None,
        });
        let request = match (verified, totp::check_code(&field(&fields, "code"))) {
            (None, _) => return,
            // Verified already (turning it on failed): the code is not needed again.
            (Some(true), _) => Request::SetTotp { enabled: true },
            (Some(false), Err(problem)) => return card.show(not_sent(problem)),
            (Some(false), Ok(code)) => Request::VerifySoftwareToken {
                code,
                device_name: field(&fields, "device"),
            },
        };
        card.run(request, apply);
    };
    let handle = move |input| match input {
        Input::Press(name) => Action::named(&name).into_iter().for_each(act),
        Input::Submit(_, fields) => confirm(fields),
    };
    // Drawn anew only when the stage changes: the setup's form keeps what was typed.
    card.section("Authenticator app", move || stage.with(markup), handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(totp_enabled: bool, totp_preferred: bool) -> MfaStatus {
        MfaStatus {
            username: "demo".into(),
            totp_enabled,
            totp_preferred,
        }
    }

    #[test]
    fn without_an_authenticator_one_can_be_set_up() {
        let controls = controls(&Stage::Read(status(false, false)));
        assert!(controls.html.contains("No authenticator app is set up"));
        assert_eq!(
            controls.primary,
            Some(("Set up an authenticator app", Action::Start))
        );
        assert_eq!(controls.secondary, None);
    }

    #[test]
    fn an_authenticator_can_be_replaced_or_turned_off_after_a_confirmation() {
        let set_up = controls(&Stage::Read(status(true, true)));
        assert!(set_up.html.contains("set up and preferred"), "{set_up:?}");
        assert_eq!(
            set_up.primary,
            Some(("Replace it with a new one", Action::Start))
        );
        assert_eq!(set_up.secondary, Some(("Turn it off…", Action::AskTurnOff)));
        assert!(
            !controls(&Stage::Read(status(true, false)))
                .html
                .contains("preferred")
        );

        let asking = after(Stage::Read(status(true, true)), Action::AskTurnOff);
        let asked = controls(&asking);
        assert!(
            asked.html.contains("Turn off the authenticator app?"),
            "{asked:?}"
        );
        assert_eq!(asked.primary, Some(("Turn it off", Action::TurnOff)));
        assert_eq!(asked.secondary, Some(("Keep it", Action::Keep)));
        assert_eq!(controls(&after(asking, Action::Keep)), set_up);
    }

    #[test]
    fn cancelling_a_setup_goes_back_and_drops_the_secret() {
        let setup = Setup {
            secret: TotpSecret::new("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into()).unwrap(),
            verified: false,
            before: status(false, false),
        };
        let back = after(Stage::SettingUp(setup), Action::Keep);
        assert!(matches!(&back, Stage::Read(mfa) if *mfa == status(false, false)));
    }

    #[test]
    fn the_markup_carries_the_buttons_actions() {
        let read = markup(&Stage::Read(status(true, false)));
        assert!(
            read.starts_with("<div id=\"totp-status\"><p>An authenticator app is set up:"),
            "{read}"
        );
        assert!(
            read.ends_with("<div class=\"actions\"><button class=\"button button-primary\" data-action=\"start\">Replace it with a new one</button><button class=\"button\" data-action=\"ask-off\">Turn it off…</button></div>"),
            "{read}"
        );
        assert!(markup(&Stage::Reading).ends_with("<div class=\"actions\"></div>"));
        let setup = markup(&Stage::SettingUp(Setup {
            secret: TotpSecret::new("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into()).unwrap(),
            verified: false,
            before: status(false, false),
        }));
        assert!(
            setup.starts_with("<form class=\"stack\"><div><p>1. Scan"),
            "{setup}"
        );
        assert!(
            setup.contains("data-action=\"keep\">Cancel</button>"),
            "{setup}"
        );
        for action in Action::ALL {
            assert_eq!(Action::named(action.name()), Some(action));
        }
        assert_eq!(Action::named(""), None);
    }

    #[test]
    fn reading_offers_nothing_and_a_failed_read_offers_a_retry() {
        assert_eq!(controls(&Stage::Reading).primary, None);
        assert_eq!(
            controls(&Stage::Unread).primary,
            Some(("Try again", Action::Retry))
        );
    }
}
