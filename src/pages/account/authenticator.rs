//! The authenticator app card: whether one is set up (GetUser), setting one up
//! (AssociateSoftwareToken → QR code and key → VerifySoftwareToken → SetUserMFAPreference),
//! and turning it off after a confirmation.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{Outcome, begin, finish, outcome_view};
use crate::auth::{AuthState, use_auth};
use crate::components::Problem;
use crate::idp::totp::{self, APP_NAME, TotpSecret};
use crate::idp::wire::{self, MfaStatus};
use crate::idp::{self, Operation, Request, Trouble};

/// A setup under way. It holds the only copy of the secret, which leaves memory with it when
/// the setup ends or is cancelled.
struct Setup {
    secret: TotpSecret,
    /// VerifySoftwareToken took the first code; only SetUserMFAPreference is left.
    verified: bool,
}

const TURNED_ON: &str = "Your authenticator app is set up and turned on. From your next sign-in, the sign-in page asks for its 6-digit code after your password. Browsers and devices signed in now stay signed in.";
const TURNED_OFF: &str = "The authenticator app is turned off: signing in needs only your password now. You may delete its entry in the app; to use one again, set it up anew.";

#[component]
pub fn Authenticator() -> impl IntoView {
    let auth = use_auth();
    // None while GetUser is out.
    let status: RwSignal<Option<Result<MfaStatus, Trouble>>> = RwSignal::new(None);
    let setup: RwSignal<Option<Setup>> = RwSignal::new(None);
    let setting_up = Memo::new(move |_| setup.with(Option::is_some));
    let confirming_off = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let outcome: Outcome = RwSignal::new(None);
    let code = RwSignal::new(String::new());
    let device = RwSignal::new(String::new());
    let code_error = RwSignal::new(None::<&'static str>);

    let load = move || {
        status.set(None);
        spawn_local(async move {
            let read = idp::call(auth, Request::GetUser).await.and_then(|answer| {
                MfaStatus::from_get_user(&answer)
                    .map_err(|error| idp::explained(auth, Operation::GetUser, &error))
            });
            status.set(Some(read));
        });
    };
    load();

    let start = move |_| {
        if !begin(busy, outcome) {
            return;
        }
        confirming_off.set(false);
        spawn_local(async move {
            let operation = Operation::AssociateSoftwareToken;
            let started = idp::call(auth, Request::AssociateSoftwareToken)
                .await
                .and_then(|answer| {
                    wire::secret_from(answer)
                        .map_err(|error| idp::explained(auth, operation, &error))
                });
            match started {
                Ok(secret) => {
                    setup.set(Some(Setup {
                        secret,
                        verified: false,
                    }));
                    busy.set(false);
                }
                Err(trouble) => finish(busy, outcome, Err(trouble)),
            }
        });
    };
    let cancel = move |_| {
        setup.set(None);
        code.set(String::new());
        code_error.set(None);
        outcome.set(None);
    };
    let confirm = move |event: SubmitEvent| {
        event.prevent_default();
        let verified = setup.with_untracked(|setup| setup.as_ref().map(|setup| setup.verified));
        let code_text = match (verified, totp::check_code(&code.get_untracked())) {
            (None, _) => return,
            (Some(true), _) => String::new(),
            (Some(false), Ok(code_text)) => code_text,
            (Some(false), Err(problem)) => {
                code_error.set(Some(problem));
                return;
            }
        };
        code_error.set(None);
        if !begin(busy, outcome) {
            return;
        }
        let device_name = device.get_untracked();
        spawn_local(async move {
            if verified == Some(false) {
                let checked = idp::call(
                    auth,
                    Request::VerifySoftwareToken {
                        code: code_text,
                        device_name,
                    },
                )
                .await
                .and_then(|answer| {
                    wire::verified(&answer).map_err(|error| {
                        idp::explained(auth, Operation::VerifySoftwareToken, &error)
                    })
                });
                if let Err(trouble) = checked {
                    return finish(busy, outcome, Err(trouble));
                }
                setup.update(|setup| {
                    if let Some(setup) = setup {
                        setup.verified = true;
                    }
                });
            }
            let turned_on = idp::call(auth, Request::SetTotp { enabled: true }).await;
            if turned_on.is_ok() {
                setup.set(None);
                code.set(String::new());
                load();
            }
            finish(busy, outcome, turned_on.map(|_| TURNED_ON));
        });
    };
    let turn_off = move |_| {
        if !begin(busy, outcome) {
            return;
        }
        spawn_local(async move {
            let turned_off = idp::call(auth, Request::SetTotp { enabled: false }).await;
            confirming_off.set(false);
            if turned_off.is_ok() {
                load();
            }
            finish(busy, outcome, turned_off.map(|_| TURNED_OFF));
        });
    };

    let state = move || match status.get() {
        None => view! { <p class="muted">"Reading your account's settings…"</p> }.into_any(),
        Some(Err(Trouble { summary, advice })) => view! {
            <Problem title=summary detail=advice>
                <button class="button" type="button" on:click=move |_| load()>
                    "Try again"
                </button>
            </Problem>
        }
        .into_any(),
        Some(Ok(mfa)) => {
            let text = match (mfa.totp_enabled, mfa.totp_preferred) {
                (true, true) => {
                    "An authenticator app is set up and preferred: signing in asks for its code after your password."
                }
                (true, false) => {
                    "An authenticator app is set up: signing in asks for its code after your password."
                }
                (false, _) => {
                    "No authenticator app is set up: signing in needs only your password."
                }
            };
            let actions = (!setting_up.get() && !confirming_off.get()).then(|| {
                let label = if mfa.totp_enabled {
                    "Replace it with a new one"
                } else {
                    "Set up an authenticator app"
                };
                view! {
                    <div class="actions">
                        <button
                            class="button button-primary"
                            type="button"
                            aria-disabled=move || busy.get().to_string()
                            on:click=start
                        >
                            {label}
                        </button>
                        {mfa
                            .totp_enabled
                            .then(|| {
                                view! {
                                    <button
                                        class="button"
                                        type="button"
                                        on:click=move |_| confirming_off.set(true)
                                    >
                                        "Turn it off…"
                                    </button>
                                }
                            })}
                    </div>
                }
            });
            view! {
                <p id="totp-status">{text}</p>
                {actions}
            }
            .into_any()
        }
    };
    let confirmation = move || {
        confirming_off.get().then(|| {
            view! {
                <div class="notice" role="group" aria-labelledby="turn-off-heading">
                    <p id="turn-off-heading" class="notice-title">
                        "Turn off the authenticator app?"
                    </p>
                    <p>
                        "Signing in will then ask only for your password, so anyone who learns "
                        "it can sign in as you. A user pool that requires MFA refuses this."
                    </p>
                    <div class="actions">
                        <button
                            class="button button-primary"
                            type="button"
                            aria-disabled=move || busy.get().to_string()
                            on:click=turn_off
                        >
                            "Turn it off"
                        </button>
                        <button
                            class="button"
                            type="button"
                            on:click=move |_| confirming_off.set(false)
                        >
                            "Keep it"
                        </button>
                    </div>
                </div>
            }
        })
    };
    let setup_form = move || {
        setting_up.get().then(|| {
            let account = status.with_untracked(|status| match status {
                Some(Ok(mfa)) => mfa.username.clone(),
                _ => auth.state().with_untracked(|state| match state {
                    AuthState::SignedIn(session) => session.username().to_owned(),
                    _ => String::new(),
                }),
            });
            let (key, qr) = setup.with_untracked(|setup| {
                setup.as_ref().map_or_else(Default::default, |setup| {
                    let uri = setup.secret.otpauth_uri(APP_NAME, &account);
                    (setup.secret.grouped(), totp::qr_svg(&uri))
                })
            });
            let verified = move || setup.with(|setup| setup.as_ref().is_some_and(|s| s.verified));
            view! {
                <form class="setup stack" on:submit=confirm>
                    <h3>"1. Add this account to your authenticator app"</h3>
                    <p>
                        "Scan the QR code with the app (Google Authenticator, Microsoft "
                        "Authenticator, 1Password, …), or type the key into it by hand."
                    </p>
                    {qr
                        .map(|qr| {
                            view! {
                                <svg
                                    class="qr"
                                    viewBox=qr.view_box
                                    role="img"
                                    aria-label="QR code of the key, for your authenticator app"
                                    shape-rendering="crispEdges"
                                >
                                    <path d=qr.path></path>
                                </svg>
                            }
                        })}
                    <p>
                        "Key: " <code id="totp-secret" class="secret">{key}</code> <br />
                        <span class="muted">
                            "Account " {account} ", issuer " {APP_NAME}
                            ", time-based, 6 digits every 30 seconds."
                        </span>
                    </p>
                    <h3>"2. Type the code the app shows"</h3>
                    <label for="totp-device">"Name of this authenticator (optional)"</label>
                    <input
                        id="totp-device"
                        type="text"
                        autocomplete="off"
                        prop:value=device
                        on:input:target=move |event| device.set(event.target().value())
                    />
                    <label for="totp-code">"Code"</label>
                    <input
                        id="totp-code"
                        type="text"
                        inputmode="numeric"
                        autocomplete="one-time-code"
                        aria-invalid=move || code_error.get().is_some().to_string()
                        aria-describedby="totp-code-error"
                        prop:value=code
                        on:input:target=move |event| code.set(event.target().value())
                    />
                    <p id="totp-code-error" class="field-error" aria-live="polite">
                        {move || code_error.get()}
                    </p>
                    <p class="muted">
                        "Once it is on, every sign-in asks for a code from this app after the "
                        "password; keep the app, or you will need an administrator to get in."
                    </p>
                    <div class="actions">
                        <button
                            class="button button-primary"
                            type="submit"
                            aria-disabled=move || busy.get().to_string()
                        >
                            {move || if verified() { "Turn it on" } else { "Check the code and turn it on" }}
                        </button>
                        <button class="button" type="button" on:click=cancel>
                            "Cancel"
                        </button>
                    </div>
                </form>
            }
        })
    };

    view! {
        <section class="card" aria-labelledby="authenticator-heading">
            <h2 id="authenticator-heading">"Authenticator app"</h2>
            {state}
            {outcome_view(outcome)}
            {confirmation}
            {setup_form}
        </section>
    }
}
