//! The authenticator app card: whether one is set up (GetUser), setting one up
//! (AssociateSoftwareToken → QR code and key → VerifySoftwareToken → SetUserMFAPreference),
//! and turning it off after a confirmation.

use leptos::prelude::*;

use crate::json::Value;
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
    /// The action of the button whose `data-action` is `name` (see [`markup`]).
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "retry" => Some(Action::Retry),
            "start" => Some(Action::Start),
            "ask-off" => Some(Action::AskTurnOff),
            "off" => Some(Action::TurnOff),
            "keep" => Some(Action::Keep),
            _ => None,
        }
    }
}

/// The card's markup in `stage`: the status and the buttons under it (primary first), or the
/// setup's form (the QR code, the key, its fields, Turn it on and Cancel). Outside a setup it is
/// one string per stage, which costs the page less than putting it together.
pub fn markup(stage: &Stage) -> String {
    let status = match stage {
        Stage::SettingUp(setup) => {
            return [
                "<form class=\"stack\"><div>",
                &setup.secret.setup_html(&setup.before.username),
                "</div><div class=\"actions\"><button class=\"button button-primary\">Turn it on</button><button class=\"button\" type=\"button\" data-action=\"keep\">Cancel</button></div></form>",
            ]
            .concat();
        }
        Stage::Reading => {
            "<div id=\"totp-status\" tabindex=\"-1\"><p class=\"muted\">Reading your account's settings…</p></div><div class=\"actions\"></div>"
        }
        Stage::Unread => {
            "<div id=\"totp-status\" tabindex=\"-1\"><p>Your account's settings could not be read.</p></div><div class=\"actions\"><button class=\"button button-primary\" data-action=\"retry\">Try again</button></div>"
        }
        Stage::AskingOff(_) => {
            "<div id=\"totp-status\" tabindex=\"-1\"><p class=\"notice-title\">Turn off the authenticator app?</p><p>Signing in will then ask only for your password, so anyone who learns it can sign in as you. A user pool that requires MFA refuses this.</p></div><div class=\"actions\"><button class=\"button button-primary\" data-action=\"off\">Turn it off</button><button class=\"button\" data-action=\"keep\">Keep it</button></div>"
        }
        Stage::Read(mfa) if mfa.totp_preferred && mfa.totp_enabled => {
            "<div id=\"totp-status\" tabindex=\"-1\"><p>An authenticator app is set up and preferred: signing in asks for its code after your password.</p></div><div class=\"actions\"><button class=\"button button-primary\" data-action=\"start\">Replace it with a new one</button><button class=\"button\" data-action=\"ask-off\">Turn it off…</button></div>"
        }
        Stage::Read(mfa) if mfa.totp_enabled => {
            "<div id=\"totp-status\" tabindex=\"-1\"><p>An authenticator app is set up: signing in asks for its code after your password.</p></div><div class=\"actions\"><button class=\"button button-primary\" data-action=\"start\">Replace it with a new one</button><button class=\"button\" data-action=\"ask-off\">Turn it off…</button></div>"
        }
        Stage::Read(_) => {
            "<div id=\"totp-status\" tabindex=\"-1\"><p>No authenticator app is set up: signing in needs only your password.</p></div><div class=\"actions\"><button class=\"button button-primary\" data-action=\"start\">Set up an authenticator app</button></div>"
        }
    };
    status.to_owned()
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

    /// The status and the buttons (label and action, primary first) that `stage`'s markup shows.
    fn shown(stage: &Stage) -> (String, Vec<(String, Option<Action>)>) {
        let markup = markup(stage);
        let (status, actions) = markup.split_once("</div>").unwrap();
        let buttons = actions
            .split("<button ")
            .skip(1)
            .map(|button| {
                let (attributes, rest) = button.split_once('>').unwrap();
                let label = rest.split_once("</button>").unwrap().0.to_owned();
                let action = attributes
                    .split_once("data-action=\"")
                    .and_then(|(_, name)| Action::named(name.split('"').next().unwrap()));
                (label, action)
            })
            .collect();
        (status.to_owned(), buttons)
    }

    fn buttons(list: &[(&str, Action)]) -> Vec<(String, Option<Action>)> {
        list.iter()
            .map(|(label, action)| ((*label).to_owned(), Some(*action)))
            .collect()
    }

    #[test]
    fn without_an_authenticator_one_can_be_set_up() {
        let (status, offered) = shown(&Stage::Read(status(false, false)));
        assert!(
            status.contains("No authenticator app is set up"),
            "{status}"
        );
        assert_eq!(
            offered,
            buttons(&[("Set up an authenticator app", Action::Start)])
        );
    }

    #[test]
    fn an_authenticator_can_be_replaced_or_turned_off_after_a_confirmation() {
        let set_up = shown(&Stage::Read(status(true, true)));
        assert!(set_up.0.contains("set up and preferred"), "{set_up:?}");
        assert_eq!(
            set_up.1,
            buttons(&[
                ("Replace it with a new one", Action::Start),
                ("Turn it off…", Action::AskTurnOff)
            ])
        );
        let not_preferred = shown(&Stage::Read(status(true, false)));
        assert!(!not_preferred.0.contains("preferred"), "{not_preferred:?}");
        assert_eq!(not_preferred.1, set_up.1);

        let asking = after(Stage::Read(status(true, true)), Action::AskTurnOff);
        let asked = shown(&asking);
        assert!(
            asked.0.contains("Turn off the authenticator app?"),
            "{asked:?}"
        );
        assert_eq!(
            asked.1,
            buttons(&[("Turn it off", Action::TurnOff), ("Keep it", Action::Keep)])
        );
        assert_eq!(shown(&after(asking, Action::Keep)), set_up);
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
    fn a_setup_is_a_form_with_turn_it_on_and_cancel() {
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
            setup.ends_with("<button class=\"button button-primary\">Turn it on</button><button class=\"button\" type=\"button\" data-action=\"keep\">Cancel</button></div></form>"),
            "{setup}"
        );
    }

    #[test]
    fn reading_offers_nothing_and_a_failed_read_offers_a_retry() {
        assert_eq!(shown(&Stage::Reading).1, []);
        assert_eq!(
            shown(&Stage::Unread).1,
            buttons(&[("Try again", Action::Retry)])
        );
        assert_eq!(Action::named(""), None);
    }
}
