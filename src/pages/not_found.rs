//! Anything that matches no route.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

use crate::routes::Page;

/// "This page does not exist", naming the address that was asked for.
#[component]
pub fn NotFound() -> impl IntoView {
    let path = use_location().pathname;
    view! {
        <h1>"Page not found"</h1>
        <p>"There is no page at " <code>{path}</code> " in this app."</p>
        <div class="actions">
            <A href=Page::Home.path() attr:class="button button-primary">
                "Go to the home page"
            </A>
        </div>
    }
}
