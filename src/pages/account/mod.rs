//! The Account security page: an authenticator app (TOTP), the password, signing out
//! everywhere, all through Cognito's own user API with the session's access token
//! ([`crate::idp`]). Offered only when config.json asks for `aws.cognito.signin.user.admin`.
//!
//! Written for size (the first load carries every page): one card view for all three, whose
//! markup is one `inner_html` (static, or drawn from the card's state) and whose buttons and
//! form reach the card through one handler ([`Input`]); one `aria-busy` per card instead of a
//! state per button; form fields read from the submitted form (`FormData`) instead of a signal
//! each.

mod authenticator;
mod password;

use std::rc::Rc;

use leptos::ev::{MouseEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::{Element, FormData, HtmlElement, HtmlFormElement};

use crate::auth::{Auth, use_auth};
use crate::components::{Problem, handler, use_sign_out};
use crate::idp::explain::scope_missing;
use crate::idp::wire::{USER_ADMIN_SCOPE, scope_requested};
use crate::idp::{self, IdpError, Operation, Request, Trouble};
use crate::json::Value;
use authenticator::Authenticator;
use password::ChangePassword;

/// The page: its three cards, or what to change when the app or the token cannot use them.
#[component]
pub fn AccountSecurity() -> impl IntoView {
    let auth = use_auth();
    let requested = scope_requested(&auth.config().scopes);
    // The route is protected, so a session is there; its scopes are those of the sign-in.
    let scoped = auth.access_token_has_scope(USER_ADMIN_SCOPE);
    let body = match (requested, scoped) {
        (true, true) => view! {
            <div class="stack">
                <Authenticator />
                <ChangePassword />
                <SignOutEverywhere />
            </div>
        }
        .into_any(),
        (requested, _) => {
            let Trouble { summary, advice } = if requested {
                scope_missing()
            } else {
                Trouble {
                    summary: "Account security is not enabled for this app.".to_owned(),
                    advice: "The page calls Cognito's user API, which needs the scope aws.cognito.signin.user.admin. Add it to config.json's scopes and to the app client's allowed OAuth scopes, then sign in again.",
                }
            };
            view! { <Problem title=summary detail=advice /> }.into_any()
        }
    };
    view! {
        <h1>"Account security"</h1>
        <p class="lead">
            "These settings belong to your account in the user pool, so they apply wherever you "
            "sign in. The app sends them straight to Cognito with your access token."
        </p>
        {body}
    }
}

/// What a card shows after its last action: nothing yet, done (in words), or what went wrong.
pub(super) type Outcome = RwSignal<Option<Result<&'static str, Trouble>>>;

/// The outcome of a card's last action, as a notice (one shape for both, so that the page
/// carries one view for it).
pub(super) fn outcome_view(outcome: Outcome) -> impl IntoView {
    move || {
        outcome.get().map(|outcome| {
            let (class, role, title, detail) = match outcome {
                Ok(done) => ("notice notice-ok", "status", done.to_owned(), ""),
                Err(Trouble { summary, advice }) => {
                    ("notice notice-problem", "alert", summary, advice)
                }
            };
            view! {
                <div class=class role=role>
                    <p class="notice-title">{title}</p>
                    <p>{detail}</p>
                </div>
            }
        })
    }
}

/// A form refused before anything is sent, as a card's outcome.
pub(super) fn not_sent(problem: &'static str) -> Result<&'static str, Trouble> {
    Err(Trouble {
        summary: problem.to_owned(),
        advice: "Nothing was sent.",
    })
}

/// What a card does with each answer of its calls, and what it sends next.
type Apply = dyn Fn(Operation, Result<Value, Trouble>) -> Option<Request>;

/// What every card has: the session, whether a call is out, and its last action's outcome.
#[derive(Clone, Copy)]
pub(super) struct Card {
    auth: Auth,
    busy: RwSignal<bool>,
    outcome: Outcome,
}

impl Card {
    /// A card's state, idle.
    pub(super) fn new() -> Self {
        Self {
            auth: use_auth(),
            busy: RwSignal::new(false),
            outcome: RwSignal::new(None),
        }
    }

    /// Shows the outcome of an action.
    pub(super) fn show(self, outcome: Result<&'static str, Trouble>) {
        self.outcome.set(Some(outcome));
    }

    /// Whether a call is out. Not tracked: for event handlers.
    pub(super) fn busy(self) -> bool {
        self.busy.get_untracked()
    }

    /// Clears the last outcome.
    pub(super) fn clear(self) {
        self.outcome.set(None);
    }

    /// The card's section: `aria-busy` while a call is out, the heading, the markup `html`
    /// draws (redrawn when what it reads changes), the outcome. A press on one of its
    /// `data-action` buttons, or a submit of its form, goes to `handle`, except while a call is
    /// out.
    pub(super) fn section(
        self,
        heading: &'static str,
        html: impl Fn() -> String + Send + 'static,
        handle: impl Fn(Input) + 'static,
    ) -> AnyView {
        self.section_boxed(heading, Box::new(html), Rc::new(handle))
    }

    /// [`Card::section`], not generic: one view for every card.
    fn section_boxed(
        self,
        heading: &'static str,
        html: Box<dyn Fn() -> String + Send>,
        handle: Rc<dyn Fn(Input)>,
    ) -> AnyView {
        let on_submit = Rc::clone(&handle);
        let press = move |event: MouseEvent| {
            let action = event
                .target()
                .and_then(|target| target.dyn_into::<Element>().ok())
                .and_then(|target| target.closest("[data-action]").ok().flatten())
                .and_then(|button| button.get_attribute("data-action"));
            if let Some(action) = action
                && !self.busy()
            {
                handle(Input::Press(action));
                if let Some(section) = event
                    .current_target()
                    .and_then(|target| target.dyn_into::<Element>().ok())
                {
                    keep_focus_in(section);
                }
            }
        };
        let submit = move |event: SubmitEvent| {
            // The browser's own submission would be a navigation.
            event.prevent_default();
            if let Some((form, fields)) = submitted(&event)
                && !self.busy()
            {
                on_submit(Input::Submit(form, fields));
            }
        };
        view! {
            <section
                class="card"
                aria-busy=move || self.busy.get().to_string()
                on:click=handler(press)
                on:submit=handler(submit)
            >
                <h2>{heading}</h2>
                <div inner_html=html></div>
                {outcome_view(self.outcome)}
            </section>
        }
        .into_any()
    }

    /// The card's calls, one at a time, with the card busy and its last outcome cleared
    /// meanwhile (ignored while one is out). `apply` takes each answer (or what went wrong,
    /// explained) and says what to send next, if anything: one future, whatever a card
    /// sends.
    pub(super) fn run(
        self,
        first: Request,
        apply: impl Fn(Operation, Result<Value, Trouble>) -> Option<Request> + 'static,
    ) {
        self.run_boxed(first, Box::new(apply));
    }

    /// [`Card::run`], not generic: one future for every card.
    fn run_boxed(self, first: Request, apply: Box<Apply>) {
        if self.busy() {
            return;
        }
        self.busy.set(true);
        self.clear();
        spawn_local(async move {
            let mut next = Some(first);
            while let Some(request) = next {
                let operation = request.operation();
                next = apply(operation, idp::call(self.auth, request).await);
            }
            self.busy.set(false);
        });
    }

    /// `error`, met while doing `operation`, explained.
    pub(super) fn explained(self, operation: Operation, error: &IdpError) -> Trouble {
        idp::explained(self.auth, operation, error)
    }
}

/// What a card's markup tells it.
pub(super) enum Input {
    /// A button was pressed: its `data-action`.
    Press(String),
    /// Its form was submitted: the form, and its fields.
    Submit(HtmlFormElement, FormData),
}

/// After a press redrew the card's markup (the pressed button with it), moves the keyboard focus
/// that went to the page's body back into the card: to what the markup marks `tabindex="-1"`
/// (the authenticator's status, so that its question is read out), else its first button.
fn keep_focus_in(section: Element) {
    request_animation_frame(move || {
        let active = document().active_element();
        if active.is_some_and(|active| section.contains(Some(&active))) {
            return;
        }
        let target = section
            .query_selector("[tabindex='-1'], button")
            .ok()
            .flatten()
            .and_then(|target| target.dyn_into::<HtmlElement>().ok());
        if let Some(target) = target {
            _ = target.focus();
        }
    });
}

/// The form a submit came from, and its fields.
fn submitted(event: &SubmitEvent) -> Option<(HtmlFormElement, FormData)> {
    let form = event.target()?.dyn_into::<HtmlFormElement>().ok()?;
    let fields = FormData::new_with_form(&form).ok()?;
    Some((form, fields))
}

/// A field of a submitted form, as typed (empty when absent).
pub(super) fn field(fields: &FormData, name: &str) -> String {
    fields.get(name).as_string().unwrap_or_default()
}

/// GlobalSignOut, then this tab's usual sign-out (revoke, `/logout`).
#[component]
fn SignOutEverywhere() -> impl IntoView {
    let sign_out = use_sign_out();
    let card = Card::new();
    let press = move |_| {
        card.run(Request::GlobalSignOut, move |_, answer| {
            match answer {
                Ok(_) => sign_out(),
                Err(trouble) => card.show(Err(trouble)),
            }
            None
        });
    };
    card.section("Sign out everywhere", || EVERYWHERE.to_owned(), press)
}

const EVERYWHERE: &str = "<p>Signs this account out of every browser and device, this one included: Cognito revokes every refresh token, so no session can renew its tokens any more, and Cognito's user API refuses their access tokens.</p><p class=\"muted\">Access tokens already issued still work with APIs that only check the token (this app's API among them) until they expire, an hour after they were issued by default.</p><div class=\"actions\"><button class=\"button button-primary\" data-action=\"everywhere\">Sign out everywhere</button></div>";
