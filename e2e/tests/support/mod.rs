//! Helpers shared by the end-to-end test files (each `tests/*.rs` is its own crate).

use anyhow::Result;
use e2e::Scenario;

/// Asks the token endpoint for new tokens with `refresh_token`, as a client would.
pub async fn refresh_with(s: &Scenario, refresh_token: &str) -> Result<reqwest::Response> {
    let client_id = "3n4b5urk1ft4fl3mg5e62d9ado";
    Ok(reqwest::Client::new()
        .post(s.cognito_url().join("/oauth2/token")?)
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await?)
}
