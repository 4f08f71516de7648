//! The local stand-in for Cognito and API Gateway: `cargo run -p devstack -- --help`.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use devstack::config::MfaConfiguration;
use devstack::{Addresses, Config, Listeners, SpaOrigin, StartError};

/// A local stand-in for Amazon Cognito (managed login, OAuth 2.0, JWKS) and an API Gateway HTTP
/// API running the `api` handlers, serving the built SPA as well (or leaving that to
/// `trunk serve`: --spa-origin).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// A TOML configuration file (default: the embedded one; see --print-default-config).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where the Cognito side (hosted UI, token endpoint, issuer) listens.
    #[arg(long, value_name = "ADDR", default_value_t = devstack::DEFAULT_COGNITO_ADDR)]
    cognito_addr: SocketAddr,
    /// Where the API Gateway side listens.
    #[arg(long, value_name = "ADDR", default_value_t = devstack::DEFAULT_API_ADDR)]
    api_addr: SocketAddr,
    /// Where devstack serves the SPA.
    #[arg(long, value_name = "ADDR", default_value_t = devstack::DEFAULT_SPA_ADDR)]
    spa_addr: SocketAddr,
    /// Trunk's output directory with the built SPA.
    #[arg(long, value_name = "DIR", default_value = "dist")]
    spa_dir: PathBuf,
    /// The SPA is served by another server on this origin (`trunk serve`: http://localhost:8080):
    /// devstack serves no SPA, the embedded config's callback, sign-out and CORS origin follow
    /// this origin, and the SPA's /config.json is on the Cognito side at /devstack/spa-config.json.
    #[arg(long, value_name = "URL", conflicts_with_all = ["spa_addr", "spa_dir"])]
    spa_origin: Option<SpaOrigin>,
    /// Print the embedded default configuration and exit.
    #[arg(long)]
    print_default_config: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        // Logs go to stderr; stdout has the start banner.
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let args = Args::parse();
    if args.print_default_config {
        print!("{}", devstack::config::EMBEDDED_DEFAULT);
        return ExitCode::SUCCESS;
    }
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("devstack: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The banner's line on what accounts can do: sign-up, MFA.
fn account_settings(pool: &devstack::config::UserPoolConfig) -> String {
    let sign_up = if pool.allow_self_sign_up {
        "sign-up on (the login page's \"Sign up\" link)"
    } else {
        "sign-up off (administrators create users)"
    };
    let mfa = match pool.mfa {
        MfaConfiguration::Off => "MFA OFF",
        MfaConfiguration::Optional => {
            "MFA OPTIONAL (users with an authenticator app are asked for its code)"
        }
        MfaConfiguration::On => {
            "MFA ON (every user sets up an authenticator app at the first sign-in)"
        }
    };
    format!("accounts: {sign_up}; {mfa}")
}

/// The banner's line for an app client: name, id, and what it is for.
fn client_line(client: &devstack::config::AppClientConfig) -> String {
    let mut uses = Vec::new();
    if !client.callback_urls.is_empty() {
        uses.push("hosted UI, code + PKCE".to_owned());
    }
    if client
        .explicit_auth_flows
        .iter()
        .any(|flow| flow == "ALLOW_USER_PASSWORD_AUTH")
    {
        uses.push("command line: USER_PASSWORD_AUTH through the JSON API".to_owned());
    }
    if uses.is_empty() {
        uses.push("refresh only".to_owned());
    }
    format!(
        "{}  {}  ({})",
        client.name,
        client.client_id,
        uses.join("; ")
    )
}

#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error(transparent)]
    Config(#[from] devstack::ConfigError),
    #[error(transparent)]
    Start(#[from] StartError),
}

async fn run(args: Args) -> Result<(), RunError> {
    // A bad file fails before any port is taken.
    let file_config = args.config.as_deref().map(Config::from_file).transpose()?;
    // The embedded demo passwords are public; a config file's are the user's own.
    let passwords_shown = file_config.is_none();
    let listeners = match &args.spa_origin {
        Some(origin) => {
            Listeners::bind_without_spa(args.cognito_addr, args.api_addr, origin.clone()).await?
        }
        None => {
            Listeners::bind(Addresses {
                cognito: args.cognito_addr,
                api: args.api_addr,
                spa: args.spa_addr,
            })
            .await?
        }
    };
    let config = file_config.unwrap_or_else(|| {
        // The embedded default follows --spa-addr or --spa-origin; a config file says what it means.
        let mut config = Config::embedded_default();
        config.move_spa_origin(&devstack::default_spa_url(), &listeners.spa_url());
        config
    });
    // A config file may not name the origin: say so now, not as the hosted UI's refusal later.
    let missing = args
        .spa_origin
        .as_ref()
        .map(|origin| origin.missing_in(&config))
        .unwrap_or_default();
    let users: Vec<String> = config
        .users
        .iter()
        .map(|u| {
            let mut line = if passwords_shown {
                format!("{} / {}", u.username, u.password.expose())
            } else {
                format!("{} (password from your config)", u.username)
            };
            if u.password_is_temporary {
                line.push_str(" (temporary: a new one is asked for at the first sign-in)");
            }
            if u.totp_secret.is_some() {
                line.push_str(" (authenticator app set up)");
            }
            line
        })
        .collect();
    let accounts = account_settings(&config.user_pool);
    let clients: Vec<String> = config.app_clients.iter().map(client_line).collect();
    let testing = config.testing.clone();
    let spa_built = args.spa_dir.join("index.html").is_file();
    let mut stack = devstack::spawn(config, listeners, Some(args.spa_dir.clone())).await?;

    println!("devstack is running:");
    if stack.serves_spa() {
        println!("  SPA          {}", stack.spa_url());
    } else {
        println!(
            "  SPA          {} (served by another server, such as trunk serve; not by devstack)",
            stack.spa_url()
        );
        println!(
            "  SPA config   {} (proxy the SPA's /config.json here)",
            stack.spa_config_url()
        );
    }
    println!("  hosted UI    {}", stack.cognito_url());
    println!("  issuer       {}", stack.issuer());
    println!("  API          {}", stack.api_url());
    println!(
        "  mailbox      {} (the e-mails of sign-up and password-reset codes)",
        stack
            .cognito_url()
            .join("devstack/mailbox")
            .map_or_else(|_| String::new(), String::from)
    );
    if !missing.is_empty() {
        println!(
            "  warning: {} is missing from the config's {}: the hosted UI or the API will refuse the SPA there",
            stack.spa_url().origin().ascii_serialization(),
            missing.join(", ")
        );
    }
    if stack.serves_spa() && !spa_built {
        println!(
            "  (no SPA in {}: run `cargo xtask dev` or `trunk build`)",
            args.spa_dir.display()
        );
    }
    println!("{accounts}");
    println!("app clients:");
    for client in clients {
        println!("  {client}");
    }
    println!("users (kept only as argon2 hashes):");
    for user in users {
        println!("  {user}");
    }
    if let Some(seconds) = testing.token_lifetime_seconds_override {
        println!("testing override: tokens live {seconds} s — not Cognito's behaviour");
    }
    if testing.tamper_signatures {
        println!("testing override: token signatures are corrupted — not Cognito's behaviour");
    }
    println!("Ctrl-C stops.");

    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = stack.wait() => {}
    }
    stack.shutdown().await;
    Ok(())
}
