//! Entry point: mounts the app and nothing else.

use cognito_spa::App;

fn main() {
    // Panic messages in the console while developing; a release build leaves out the hook and
    // its formatting code (about 1 kB gzip), and a panic there aborts as wasm does.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
