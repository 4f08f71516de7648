//! The password card: ChangePassword with the current password, the new one and its
//! confirmation. What was typed is cleared once the password has changed.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{Outcome, begin, finish, outcome_view};
use crate::auth::{AuthState, use_auth};
use crate::idp::wire::Password;
use crate::idp::{self, Request};

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
    let auth = use_auth();
    let username = auth.state().with_untracked(|state| match state {
        AuthState::SignedIn(session) => session.username().to_owned(),
        _ => String::new(),
    });
    let busy = RwSignal::new(false);
    let outcome: Outcome = RwSignal::new(None);
    let form_error = RwSignal::new(None::<&'static str>);
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let checked = current.with_untracked(|current| {
            new.with_untracked(|new| {
                confirmation.with_untracked(|confirmation| check_form(current, new, confirmation))
            })
        });
        form_error.set(checked.err());
        if checked.is_err() || !begin(busy, outcome) {
            return;
        }
        let request = Request::ChangePassword {
            previous: Password::new(current.get_untracked()),
            proposed: Password::new(new.get_untracked()),
        };
        spawn_local(async move {
            let changed = idp::call(auth, request).await;
            if changed.is_ok() {
                for field in [current, new, confirmation] {
                    field.set(String::new());
                }
            }
            finish(busy, outcome, changed.map(|_| CHANGED));
        });
    };
    // One labelled password field bound to `value`.
    let field = move |id: &'static str,
                      label: &'static str,
                      autocomplete: &'static str,
                      value: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <input
                id=id
                type="password"
                autocomplete=autocomplete
                aria-describedby="password-error"
                prop:value=value
                on:input:target=move |event| value.set(event.target().value())
            />
        }
    };

    view! {
        <section class="card" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <form class="stack" on:submit=submit>
                // For password managers: whose password this is.
                <input type="text" autocomplete="username" prop:value=username readonly hidden />
                {field("current-password", "Current password", "current-password", current)}
                {field("new-password", "New password", "new-password", new)}
                {field("confirm-password", "New password again", "new-password", confirmation)}
                <p id="password-error" class="field-error" aria-live="polite">
                    {move || form_error.get()}
                </p>
                {outcome_view(outcome)}
                <div class="actions">
                    <button
                        class="button button-primary"
                        type="submit"
                        aria-disabled=move || busy.get().to_string()
                    >
                        {move || if busy.get() { "Changing…" } else { "Change the password" }}
                    </button>
                </div>
            </form>
        </section>
    }
}

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
