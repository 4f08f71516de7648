//! Entry point: mounts the app and nothing else.

use cognito_spa::App;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
