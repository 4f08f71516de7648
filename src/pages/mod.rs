//! One module per page of the app.

#[cfg(feature = "account-page")]
mod account;
mod api_console;
mod callback;
mod home;
mod not_found;
mod profile;
mod sign_in;
mod signed_out;

#[cfg(feature = "account-page")]
pub use account::AccountSecurity;
pub use api_console::ApiConsole;
pub use callback::Callback;
pub use home::Home;
pub use not_found::NotFound;
pub use profile::Profile;
pub use sign_in::SignIn;
pub use signed_out::SignedOut;
