//! The password card: ChangePassword with the current password, the new one and its
//! confirmation, read from the submitted form. What was typed is cleared once the password has
//! changed.

use leptos::prelude::*;

use super::{Card, Input, field, not_sent};
use crate::idp::Request;
use crate::idp::wire::Password;

const CHANGED: &str = "Your password is changed. Use the new one the next time you sign in; this tab stays signed in.";

/// What is wrong with the form before anything is sent, if anything. The user pool's own
/// policy is Cognito's to check: its refusal names the rule.
pub fn check_form(current: &str, new: &str, confirmation: &str) -> Result<(), &'static str> {
    if current.is_empty() {
        Err("Type your current password.")
    } else if new.is_empty() {
        Err("Type a new password.")
    } else if new != confirmation {
        Err("The new password and its confirmation differ: type the same password twice.")
    } else if new == current {
        Err("The new password is the same as the current one.")
    } else {
        Ok(())
    }
}

#[component]
pub fn ChangePassword() -> impl IntoView {
    let card = Card::new();
    let submit = move |input| {
        let Input::Submit(form, fields) = input else {
            return;
        };
        let (current, new) = (field(&fields, "current"), field(&fields, "new"));
        if let Err(problem) = check_form(&current, &new, &field(&fields, "confirm")) {
            return card.show(not_sent(problem));
        }
        let request = Request::ChangePassword {
            previous: Password::new(current),
            proposed: Password::new(new),
        };
        card.run(request, move |_, answer| {
            if answer.is_ok() {
                // Nothing typed stays on the page.
                form.reset();
            }
            card.show(answer.map(|_| CHANGED));
            None
        });
    };
    card.section("Password", || FORM.to_owned(), submit)
}

/// The form's fields and button, static (they are read from the submitted form).
const FORM: &str = "<form class=\"stack\"><label>Current password <input name=\"current\" type=\"password\" autocomplete=\"current-password\"></label><label>New password <input name=\"new\" type=\"password\" autocomplete=\"new-password\"></label><label>New password again <input name=\"confirm\" type=\"password\" autocomplete=\"new-password\"></label><div class=\"actions\"><button class=\"button button-primary\">Change the password</button></div></form>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_checked_before_anything_is_sent() {
        assert_eq!(
            check_form("Old-Passw0rd!", "New-Passw0rd!", "New-Passw0rd!"),
            Ok(())
        );
        assert_eq!(check_form("", "a", "a"), Err("Type your current password."));
        assert_eq!(check_form("old", "", ""), Err("Type a new password."));
        assert!(
            check_form("old", "New-1", "New-2")
                .unwrap_err()
                .contains("differ"),
        );
        assert!(
            check_form("same", "same", "same")
                .unwrap_err()
                .contains("same as")
        );
    }
}
