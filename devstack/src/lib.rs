//! devstack: a local stand-in for Amazon Cognito (managed login, OAuth 2.0 endpoints, JWKS) and for
//! an API Gateway HTTP API (routes, JWT authorizer, CORS) that runs the `api` handlers in-process.
//! It also serves the built SPA. Three listeners, three origins, as in AWS:
//!
//! | listener | default | serves |
//! |----------|---------|--------|
//! | cognito  | `http://localhost:9229` | `/oauth2/authorize`, the managed login pages (`/login`, `/signup`, `/forgotPassword`, ...), `/devstack/mailbox`, `/oauth2/token`, `/oauth2/userInfo`, `/oauth2/revoke`, `/logout`, `/<pool>/.well-known/{openid-configuration,jwks.json}`, `POST /` (the identity-provider JSON API) |
//! | api      | `http://localhost:3000` | the routes of `[api]`, behind the JWT authorizer and CORS |
//! | spa      | `http://localhost:8080` | Trunk's `dist/` with index.html fallback, `/config.json`, CSP |
//!
//! Or the SPA is served by someone else (`trunk serve`, live reload): then there is no SPA
//! listener, only its origin ([`SpaOrigin`], `--spa-origin`), and the Cognito side serves the
//! SPA's `/config.json` at [`SPA_CONFIG_PATH`] for that server to proxy
//! ([`Listeners::loopback_ephemeral_without_spa`], [`Stack::spa_config_url`]).
//!
//! # As a library (integration and end-to-end tests)
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use devstack::{Config, Listeners, spawn};
//!
//! // 1. Bind first (port 0 = ephemeral), so the URLs are known before the config is final.
//! let listeners = Listeners::loopback_ephemeral().await?;
//!
//! // 2. Take the embedded default (or `Config::from_toml_str`) and adjust it. The default client's
//! //    callback and sign-out URLs, and the API's CORS origin, are on http://localhost:8080: move
//! //    them to the SPA listener's real origin.
//! let mut config = Config::embedded_default();
//! config.move_spa_origin(&devstack::default_spa_url(), &listeners.spa_url());
//! config.app_clients[0].refresh_token_retry_grace_seconds = 0; // rotated tokens end at once
//!
//! // 3. Start. `spa_dir` is Trunk's dist/ (None: a page saying how to build it).
//! let stack = spawn(config, listeners, None).await?;
//! let token_endpoint = stack.cognito_url().join("oauth2/token")?;
//! let issuer = stack.issuer(); // "<cognito_url>/us-east-1_DevStack01"
//! stack.clock().advance(std::time::Duration::from_secs(301)); // expire codes without sleeping
//! let codes = stack.mailbox(); // what the pool "e-mailed": sign-up codes, invitations, ...
//! stack.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! URLs are `http://localhost:<port>/` when a listener is bound to a loopback or unspecified
//! address (the browser-facing name, as the default config's URLs use), else `http://<ip>:<port>/`.
//! The issuer is `<cognito url>/<pool id>`, so it follows the bound port too.
//!
//! [`Stack::clock`] is the stand-in's one [`Clock`], shared by the Cognito side and the API
//! Gateway authorizer: advancing it expires codes, sessions, refresh tokens and access tokens
//! (for `/oauth2/userInfo` and the API alike), and tokens issued after an advance are accepted.
//!
//! For tests of a client's automatic renewal, `config.testing.token_lifetime_seconds_override =
//! Some(20)` makes access and ID tokens (and `expires_in`) last 20 seconds instead of the
//! client's minutes; Cognito itself never issues tokens shorter than 5 minutes.
//!
//! # Faithfulness notes
//! - Refresh tokens are opaque random strings (Cognito's are JWE); clients must treat them as opaque
//!   either way. With rotation on, a refresh's new refresh token lives what is left of the
//!   sign-in's lifetime, and the old one works for the client's grace period more (a retry gets
//!   new tokens and another refresh token); see `cognito/refresh_tokens.rs`.
//! - `/oauth2/revoke` revokes the refresh token and the access tokens of that sign-in for
//!   `/oauth2/userInfo`; the API Gateway authorizer, like the real one, only verifies the JWT and
//!   keeps accepting them until they expire.
//! - Token endpoint errors are 400 `{"error", "error_description"}`; the descriptions are the
//!   stand-in's own (Cognito's are undocumented). An oversized body is 413 `invalid_request`.
//! - Passwords from the config are kept only as argon2 hashes.
//! - Cookies are not `Secure`, because the stand-in serves plain http on localhost.

mod accounts;
mod cognito;
mod headers;
mod request_log;
mod spa;
mod spa_origin;

pub mod clock;
pub mod config;
pub mod gateway;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use url::Url;

pub use accounts::{Mail, MailKind, TotpSecret};
pub use clock::Clock;
pub use config::{Config, ConfigError};
pub use contract;
pub use spa_origin::{SPA_CONFIG_PATH, SpaOrigin, SpaOriginError};
// The app clients' AuthSessionValidity; infra/template.yaml is checked against it.
pub use accounts::CHALLENGE_LIFETIME_SECS;

/// The default address of the Cognito side (hosted UI and issuer).
pub const DEFAULT_COGNITO_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9229);
/// The default address of the API Gateway side.
pub const DEFAULT_API_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 3000);
/// The default address of the SPA.
pub const DEFAULT_SPA_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);

/// How long [`Stack::shutdown`] waits for open connections before closing them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The SPA origin the embedded default config uses (`http://localhost:8080/`).
pub fn default_spa_url() -> Url {
    url_for(DEFAULT_SPA_ADDR)
}

/// The Cognito side's URL at its default address (`http://localhost:9229/`).
pub fn default_cognito_url() -> Url {
    url_for(DEFAULT_COGNITO_ADDR)
}

/// The API's URL at its default address (`http://localhost:3000/`).
pub fn default_api_url() -> Url {
    url_for(DEFAULT_API_ADDR)
}

/// Why the stack could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Another program listens on the address.
    #[error(
        "port {port} is in use: another program (or another devstack) listens on {addr}. \
         Stop it, or give the {service} side another address with {flag}"
    )]
    PortInUse {
        /// `cognito`, `api` or `spa`.
        service: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// Its port.
        port: u16,
        /// The command-line flag that changes it.
        flag: &'static str,
    },
    /// Binding failed for another reason.
    #[error("cannot listen on {addr} for the {service} side: {source}")]
    Bind {
        /// `cognito`, `api` or `spa`.
        service: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The signing keys could not be generated.
    #[error(transparent)]
    Keys(#[from] cognito::keys::KeyError),
    /// A password could not be hashed.
    #[error(transparent)]
    Hash(#[from] accounts::HashError),
    /// The API Gateway side could not be built.
    #[error("the API side cannot start: {0}")]
    Gateway(String),
    /// The key generation task panicked or was cancelled.
    #[error("the start-up task failed: {0}")]
    Task(String),
    /// The configuration has no client for the SPA's `/config.json`.
    #[error(
        "config field `app_clients` is not valid: the SPA's client needs a callback URL and a sign-out URL"
    )]
    NoSpaClient,
}

/// The bound listeners: Cognito, API and (unless the SPA is served elsewhere) SPA. Bind them
/// first to learn the URLs, then [`spawn`].
#[derive(Debug)]
pub struct Listeners {
    cognito: TcpListener,
    api: TcpListener,
    spa: SpaSide,
}

/// Who serves the SPA.
#[derive(Debug)]
enum SpaSide {
    /// devstack, on this listener.
    Listener(TcpListener),
    /// Another server (`trunk serve`) on this origin; devstack binds nothing for it.
    Elsewhere(SpaOrigin),
}

/// The addresses to bind.
#[derive(Debug, Clone, Copy)]
pub struct Addresses {
    /// Cognito side (`--cognito-addr`).
    pub cognito: SocketAddr,
    /// API Gateway side (`--api-addr`).
    pub api: SocketAddr,
    /// SPA (`--spa-addr`).
    pub spa: SocketAddr,
}

impl Default for Addresses {
    fn default() -> Self {
        Self {
            cognito: DEFAULT_COGNITO_ADDR,
            api: DEFAULT_API_ADDR,
            spa: DEFAULT_SPA_ADDR,
        }
    }
}

async fn bind(
    service: &'static str,
    flag: &'static str,
    addr: SocketAddr,
) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).await.map_err(|source| {
        if source.kind() == std::io::ErrorKind::AddrInUse {
            StartError::PortInUse {
                service,
                addr,
                port: addr.port(),
                flag,
            }
        } else {
            StartError::Bind {
                service,
                addr,
                source,
            }
        }
    })
}

/// `http://localhost:<port>/` for loopback and unspecified addresses, else `http://<ip>:<port>/`.
fn url_for(addr: SocketAddr) -> Url {
    let host = if addr.ip().is_loopback() || addr.ip().is_unspecified() {
        "localhost".to_owned()
    } else {
        match addr.ip() {
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        }
    };
    match Url::parse(&format!("http://{host}:{}/", addr.port())) {
        Ok(url) => url,
        // A host name or IP literal with a port always parses.
        Err(error) => unreachable!("URL of {addr}: {error}"),
    }
}

fn local_url(listener: &TcpListener) -> Url {
    url_for(
        listener
            .local_addr()
            .unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)),
    )
}

impl Listeners {
    /// Binds the three addresses; a port in use is [`StartError::PortInUse`].
    pub async fn bind(addresses: Addresses) -> Result<Self, StartError> {
        Ok(Self {
            cognito: bind("cognito", "--cognito-addr", addresses.cognito).await?,
            api: bind("api", "--api-addr", addresses.api).await?,
            spa: SpaSide::Listener(bind("spa", "--spa-addr", addresses.spa).await?),
        })
    }

    /// Binds the Cognito and API sides only: the SPA is served by another server on
    /// `spa_origin` (`--spa-origin`), and devstack serves no SPA of its own.
    pub async fn bind_without_spa(
        cognito: SocketAddr,
        api: SocketAddr,
        spa_origin: SpaOrigin,
    ) -> Result<Self, StartError> {
        Ok(Self {
            cognito: bind("cognito", "--cognito-addr", cognito).await?,
            api: bind("api", "--api-addr", api).await?,
            spa: SpaSide::Elsewhere(spa_origin),
        })
    }

    /// Two ephemeral ports on 127.0.0.1 for the Cognito and API sides, the SPA served elsewhere
    /// on `spa_origin` (for tests).
    pub async fn loopback_ephemeral_without_spa(spa_origin: SpaOrigin) -> Result<Self, StartError> {
        let any = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
        Self::bind_without_spa(any, any, spa_origin).await
    }

    /// Three ephemeral ports on 127.0.0.1 (for tests).
    pub async fn loopback_ephemeral() -> Result<Self, StartError> {
        let any = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
        Self::bind(Addresses {
            cognito: any,
            api: any,
            spa: any,
        })
        .await
    }

    /// Listeners the caller bound itself.
    pub fn from_listeners(cognito: TcpListener, api: TcpListener, spa: TcpListener) -> Self {
        Self {
            cognito,
            api,
            spa: SpaSide::Listener(spa),
        }
    }

    /// The Cognito side's URL, e.g. `http://localhost:9229/`.
    pub fn cognito_url(&self) -> Url {
        local_url(&self.cognito)
    }

    /// The API's URL, e.g. `http://localhost:3000/`.
    pub fn api_url(&self) -> Url {
        local_url(&self.api)
    }

    /// The SPA's URL, e.g. `http://localhost:8080/`: the SPA listener's, or the origin it is
    /// served on elsewhere.
    pub fn spa_url(&self) -> Url {
        match &self.spa {
            SpaSide::Listener(listener) => local_url(listener),
            SpaSide::Elsewhere(origin) => origin.url().clone(),
        }
    }

    /// Whether devstack serves the SPA itself (false with [`Listeners::bind_without_spa`]).
    pub fn serves_spa(&self) -> bool {
        matches!(self.spa, SpaSide::Listener(_))
    }
}

/// A running stack. Dropping it tells the servers to stop without waiting for them; prefer
/// [`Stack::shutdown`], which waits.
#[derive(Debug)]
pub struct Stack {
    cognito_url: Url,
    api_url: Url,
    spa_url: Url,
    serves_spa: bool,
    issuer: String,
    clock: Clock,
    cognito: Arc<cognito::CognitoState>,
    stop: watch::Sender<bool>,
    servers: Vec<JoinHandle<()>>,
}

impl Stack {
    /// The Cognito side (hosted UI), e.g. `http://localhost:9229/`.
    pub fn cognito_url(&self) -> &Url {
        &self.cognito_url
    }

    /// The API Gateway side, e.g. `http://localhost:3000/`.
    pub fn api_url(&self) -> &Url {
        &self.api_url
    }

    /// The SPA, e.g. `http://localhost:8080/`, whether devstack serves it or not.
    pub fn spa_url(&self) -> &Url {
        &self.spa_url
    }

    /// Whether devstack serves the SPA itself.
    pub fn serves_spa(&self) -> bool {
        self.serves_spa
    }

    /// Where the SPA's runtime configuration is served: `<spa>/config.json` when devstack
    /// serves the SPA, else `<cognito>`[`SPA_CONFIG_PATH`], for the SPA's own server to proxy
    /// its `/config.json` to.
    pub fn spa_config_url(&self) -> Url {
        let (base, path) = if self.serves_spa {
            (&self.spa_url, "/config.json")
        } else {
            (&self.cognito_url, SPA_CONFIG_PATH)
        };
        let mut url = base.clone();
        url.set_path(path);
        url
    }

    /// The issuer (`iss` of every token), e.g. `http://localhost:9229/us-east-1_DevStack01`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The stack's clock; advance it to expire codes, sessions and tokens.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The mailbox, newest first: what the pool e-mailed (codes, invitations), as
    /// `GET /devstack/mailbox.json` lists it.
    pub fn mailbox(&self) -> Vec<Mail> {
        cognito::mailbox_newest_first(&self.cognito)
    }

    /// Stops accepting, lets open requests finish (up to 5 s), then returns.
    pub async fn shutdown(self) {
        // Receivers are dropped only by finished servers: nothing to tell them then.
        let _ = self.stop.send(true);
        for server in self.servers {
            let abort = server.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, server).await.is_err() {
                abort.abort();
            }
        }
    }

    /// Waits until a server stops on its own (it does not, unless it fails).
    pub async fn wait(&mut self) {
        for server in &mut self.servers {
            let _ = server.await;
        }
    }
}

/// Starts the servers on `listeners` with `config`, serving the SPA from `spa_dir` (unused when
/// the SPA is served elsewhere).
///
/// Generates the two RSA keys and hashes the users' passwords first (about a second).
pub async fn spawn(
    config: Config,
    listeners: Listeners,
    spa_dir: Option<PathBuf>,
) -> Result<Stack, StartError> {
    let cognito_url = listeners.cognito_url();
    let api_url = listeners.api_url();
    let spa_url = listeners.spa_url();
    let serves_spa = listeners.serves_spa();
    let clock = Clock::system();
    let config = Arc::new(config);

    let (keys, accounts) = {
        let (config, now) = (config.clone(), clock.now_secs());
        tokio::task::spawn_blocking(move || -> Result<_, StartError> {
            Ok((
                cognito::keys::PoolKeys::generate()?,
                accounts::Accounts::from_config(&config, now)?,
            ))
        })
        .await
        .map_err(|e| StartError::Task(e.to_string()))??
    };
    let keys = Arc::new(keys);
    let cognito = Arc::new(cognito::CognitoState::new(
        config.clone(),
        keys.clone(),
        accounts,
        clock.clone(),
        cognito_url.clone(),
    ));
    let issuer = cognito.issuer.clone();
    let runtime = spa::spa_config(&config, &spa_url, &cognito_url, &issuer, &api_url)
        .ok_or(StartError::NoSpaClient)?;
    let api = gateway_router(&config, &keys, &issuer, clock.clone())?;

    let (stop, stopped) = watch::channel(false);
    let mut cognito_router = cognito::router(cognito.clone());
    let mut servers = Vec::new();
    match listeners.spa {
        SpaSide::Listener(listener) => {
            let spa = Arc::new(spa::SpaState::new(spa_dir, runtime));
            servers.push(serve("spa", listener, spa::router(spa), stopped.clone()));
        }
        // The SPA's own server proxies its /config.json here (Trunk.toml's [[proxy]]).
        SpaSide::Elsewhere(_) => cognito_router = cognito_router.merge(spa::config_router(runtime)),
    }
    servers.push(serve(
        "cognito",
        listeners.cognito,
        cognito_router,
        stopped.clone(),
    ));
    servers.push(serve("api", listeners.api, api, stopped));
    Ok(Stack {
        cognito_url,
        api_url,
        spa_url,
        serves_spa,
        issuer,
        clock,
        cognito,
        stop,
        servers,
    })
}

fn serve(
    service: &'static str,
    listener: TcpListener,
    router: axum::Router,
    mut stopped: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let router = router.layer(axum::middleware::from_fn_with_state(
        service,
        request_log::log_request,
    ));
    tokio::spawn(async move {
        let shutdown = async move {
            // An error means the Stack was dropped: stop as well.
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        // With the peer address, so the API's request context has a real `sourceIp`.
        let app = router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(service, "server failed: {error}");
        }
    })
}

/// The API Gateway side: the gateway's router with a JWT authorizer for this pool (issuer,
/// `[api] audiences` or else the SPA's client as audience, the pool's JWKS, the Cognito side's
/// clock).
fn gateway_router(
    config: &Config,
    keys: &cognito::keys::PoolKeys,
    issuer: &str,
    clock: Clock,
) -> Result<axum::Router, StartError> {
    let jwks = serde_json::to_value(keys.jwks())
        .and_then(serde_json::from_value::<jsonwebtoken::jwk::JwkSet>)
        .map_err(|e| StartError::Gateway(format!("the pool's JWKS cannot be read back: {e}")))?;
    let authorizer = gateway::JwtAuthorizer::new(issuer, config.api_audiences(), &jwks, clock)
        .map_err(|e| StartError::Gateway(e.to_string()))?;
    gateway::router(&config.api, authorizer).map_err(|e| StartError::Gateway(e.to_string()))
}
