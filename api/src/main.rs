//! The Lambda entry point (`bootstrap` for the provided.al2023 runtime): serves [`api::app`].

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(api::app()).await
}
