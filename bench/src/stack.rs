//! devstack as a separate process (the binary built with `--profile server`), on three ephemeral
//! loopback ports, with its request log read as it comes: one line per request (service, method,
//! path, status), which is how the report counts the preflights the browser sends.

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;
use url::Url;

/// How long devstack may take to listen (it generates RSA keys and hashes passwords first).
const START_DEADLINE: Duration = Duration::from_secs(60);
/// How long a request may take to show up in the log.
const LOG_DEADLINE: Duration = Duration::from_secs(10);

/// One line of devstack's request log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// `cognito`, `api` or `spa`.
    pub service: String,
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// The SPA's `/config.json` as devstack serves it (the fields the benchmark uses).
#[derive(Debug, Clone, Deserialize)]
pub struct SpaConfig {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
}

/// What devstack prints when it listens.
#[derive(Debug, Default, Clone)]
struct Banner {
    spa: Option<Url>,
    cognito: Option<Url>,
    api: Option<Url>,
}

/// A running devstack process; killed when dropped.
pub struct Devstack {
    child: Child,
    pub spa_url: Url,
    pub cognito_url: Url,
    pub api_url: Url,
    requests: watch::Receiver<Vec<LoggedRequest>>,
    /// What devstack printed besides the request log.
    printed: watch::Receiver<String>,
    sentinels: u32,
}

/// Whether devstack logs every request (needed to count preflights) or only warnings (under
/// load, so that the stand-in's throughput is not the throughput of its log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logging {
    Requests,
    Quiet,
}

impl Devstack {
    /// Starts `binary` serving `spa_dir`, and waits until it says where it listens.
    pub async fn start(binary: &Path, spa_dir: &Path, logging: Logging) -> Result<Self> {
        let any = "127.0.0.1:0";
        let mut child = Command::new(binary)
            .args([
                "--cognito-addr",
                any,
                "--api-addr",
                any,
                "--spa-addr",
                any,
                "--spa-dir",
            ])
            .arg(spa_dir)
            .env(
                "RUST_LOG",
                match logging {
                    Logging::Requests => "info",
                    Logging::Quiet => "warn",
                },
            )
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        let stdout = child.stdout.take().context("devstack's stdout")?;
        let stderr_pipe = child.stderr.take().context("devstack's stderr")?;

        let (banner_tx, mut banner_rx) = watch::channel(Banner::default());
        let (requests_tx, requests) = watch::channel(Vec::new());
        let (printed_tx, printed) = watch::channel(String::new());
        // The banner is on stdout, the log on stderr; read both alike, in case that changes.
        let output = Arc::new(Output {
            banner: banner_tx,
            requests: requests_tx,
            other: printed_tx,
        });
        tokio::spawn(read_lines(stdout, output.clone()));
        tokio::spawn(read_lines(stderr_pipe, output));

        let complete = |b: &Banner| b.spa.is_some() && b.cognito.is_some() && b.api.is_some();
        let waited = tokio::time::timeout(START_DEADLINE, banner_rx.wait_for(complete)).await;
        let banner = match waited {
            Ok(Ok(banner)) => banner.clone(),
            Ok(Err(_)) => {
                // Both pipes closed: devstack exited, and everything it said has been read.
                let status = tokio::time::timeout(LOG_DEADLINE, child.wait()).await;
                let said = printed.borrow().clone();
                bail!("devstack stopped before listening ({status:?}):\n{said}");
            }
            Err(_) => bail!(
                "devstack did not say where it listens within {START_DEADLINE:?}:\n{}",
                printed.borrow().as_str()
            ),
        };
        let missing = || anyhow!("devstack's banner lost a URL");
        Ok(Self {
            child,
            spa_url: banner.spa.ok_or_else(missing)?,
            cognito_url: banner.cognito.ok_or_else(missing)?,
            api_url: banner.api.ok_or_else(missing)?,
            requests,
            printed,
            sentinels: 0,
        })
    }

    /// The requests logged so far.
    pub fn logged(&self) -> Vec<LoggedRequest> {
        self.requests.borrow().clone()
    }

    /// Sends a request to an unknown API path and waits until the log shows it: every request
    /// answered before this call is in [`Devstack::logged`] afterwards. Returns the log length.
    pub async fn sync_log(&mut self, client: &reqwest::Client) -> Result<usize> {
        self.sentinels += 1;
        let path = format!("/bench-sentinel-{}", self.sentinels);
        let url = loopback(&self.api_url.join(&path)?)?;
        client
            .get(url)
            .send()
            .await
            .context("sending the log sentinel")?;
        self.wait_until(&format!("the sentinel {path}"), |requests| {
            requests
                .iter()
                .any(|request| request.service == "api" && request.path == path)
        })
        .await
    }

    /// Waits until the log so far satisfies `condition`; returns the log length then.
    pub async fn wait_until(
        &mut self,
        what: &str,
        condition: impl Fn(&[LoggedRequest]) -> bool,
    ) -> Result<usize> {
        let waited = tokio::time::timeout(
            LOG_DEADLINE,
            self.requests.wait_for(|requests| condition(requests)),
        )
        .await;
        match waited {
            Ok(Ok(requests)) => Ok(requests.len()),
            Ok(Err(_)) => bail!(
                "devstack stopped while waiting for {what} in its log:\n{}",
                self.printed.borrow().as_str()
            ),
            Err(_) => bail!("{what} did not show up in devstack's log within {LOG_DEADLINE:?}"),
        }
    }

    /// The SPA's runtime configuration, as the browser gets it.
    pub async fn spa_config(&self, client: &reqwest::Client) -> Result<SpaConfig> {
        let url = loopback(&self.spa_url.join("config.json")?)?;
        let response = client.get(url).send().await?.error_for_status()?;
        response
            .json()
            .await
            .context("devstack's /config.json is not what the SPA expects")
    }

    /// Stops devstack (it has no cleanup to do, so a kill is enough).
    pub async fn stop(mut self) -> Result<()> {
        self.child.kill().await.context("stopping devstack")
    }
}

/// The same URL with `localhost` replaced by 127.0.0.1: the load generator connects to the
/// address directly instead of trying ::1 first (devstack listens on 127.0.0.1 only).
pub fn loopback(url: &Url) -> Result<Url> {
    let mut url = url.clone();
    if url.host_str() == Some("localhost") {
        url.set_host(Some("127.0.0.1"))?;
    }
    Ok(url)
}

/// Where the lines devstack prints go.
struct Output {
    banner: watch::Sender<Banner>,
    requests: watch::Sender<Vec<LoggedRequest>>,
    /// Everything else, to show when devstack fails (warnings and errors, the odd line).
    other: watch::Sender<String>,
}

async fn read_lines(pipe: impl AsyncRead + Unpin, output: Arc<Output>) {
    let mut lines = BufReader::new(pipe).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let line = strip_ansi(&line);
        if let Some(request) = parse_request_line(&line) {
            output.requests.send_modify(|all| all.push(request));
            continue;
        }
        if let Some((service, url)) = parse_banner_line(&line) {
            output.banner.send_modify(|banner| match service {
                BannerService::Spa => banner.spa = Some(url),
                BannerService::Cognito => banner.cognito = Some(url),
                BannerService::Api => banner.api = Some(url),
            });
        }
        output.other.send_modify(|text| {
            text.push_str(&line);
            text.push('\n');
        });
    }
}

enum BannerService {
    Spa,
    Cognito,
    Api,
}

/// `  SPA          http://localhost:41235/` and the like, from devstack's start banner.
fn parse_banner_line(line: &str) -> Option<(BannerService, Url)> {
    let line = line.trim();
    let (service, rest) = if let Some(rest) = line.strip_prefix("SPA ") {
        (BannerService::Spa, rest)
    } else if let Some(rest) = line.strip_prefix("hosted UI ") {
        (BannerService::Cognito, rest)
    } else if let Some(rest) = line.strip_prefix("API ") {
        (BannerService::Api, rest)
    } else {
        return None;
    };
    Some((service, Url::parse(rest.trim()).ok()?))
}

/// Removes terminal colour codes (`ESC [ ... letter`), in case the log is coloured anyway.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A tracing line such as
/// `2026-11-22T02:00:00.1Z  INFO devstack::request_log: request service="api" method=OPTIONS path="/hello" status=204 latency_ms=0.3`.
fn parse_request_line(line: &str) -> Option<LoggedRequest> {
    let fields = line.split_once(": request ")?.1;
    let mut service = None;
    let mut method = None;
    let mut path = None;
    let mut status = None;
    for field in fields.split_whitespace() {
        let Some((key, value)) = field.split_once('=') else {
            continue;
        };
        let value = value.trim_matches('"');
        match key {
            "service" => service = Some(value.to_owned()),
            "method" => method = Some(value.to_owned()),
            "path" => path = Some(value.to_owned()),
            "status" => status = value.parse().ok(),
            _ => {}
        }
    }
    Some(LoggedRequest {
        service: service?,
        method: method?,
        path: path?,
        status: status?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_request_lines_plain_and_coloured() {
        let plain = "2026-11-22T02:00:00.123456Z  INFO devstack::request_log: request service=\"api\" method=OPTIONS path=\"/hello\" status=204 latency_ms=0.3";
        let expected = LoggedRequest {
            service: "api".into(),
            method: "OPTIONS".into(),
            path: "/hello".into(),
            status: 204,
        };
        assert_eq!(parse_request_line(plain), Some(expected.clone()));
        let coloured = "\u{1b}[2m2026-11-22T02:00:00Z\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m \u{1b}[2mdevstack::request_log\u{1b}[0m\u{1b}[2m:\u{1b}[0m request \u{1b}[3mservice\u{1b}[0m\u{1b}[2m=\u{1b}[0m\"api\" \u{1b}[3mmethod\u{1b}[0m\u{1b}[2m=\u{1b}[0mOPTIONS \u{1b}[3mpath\u{1b}[0m\u{1b}[2m=\u{1b}[0m\"/hello\" \u{1b}[3mstatus\u{1b}[0m\u{1b}[2m=\u{1b}[0m204";
        assert_eq!(parse_request_line(&strip_ansi(coloured)), Some(expected));
    }

    #[test]
    fn other_lines_are_not_requests() {
        assert_eq!(parse_request_line("devstack is running:"), None);
        assert_eq!(
            parse_request_line("2026 WARN devstack: request service=\"api\" status=200"),
            None,
            "a line without method and path"
        );
    }

    #[test]
    fn reads_the_banner() {
        let (service, url) =
            parse_banner_line("  hosted UI    http://localhost:41235/").expect("banner line");
        assert!(matches!(service, BannerService::Cognito));
        assert_eq!(url.port(), Some(41235));
        assert!(matches!(
            parse_banner_line("  API          http://localhost:3000/"),
            Some((BannerService::Api, _))
        ));
        assert!(parse_banner_line("  issuer       http://localhost:1/us-east-1_X").is_none());
        assert!(parse_banner_line("  demo / Demo-Passw0rd!").is_none());
    }

    #[test]
    fn loopback_replaces_localhost_only() {
        let url = Url::parse("http://localhost:8080/callback").expect("url");
        assert_eq!(
            loopback(&url).expect("loopback").as_str(),
            "http://127.0.0.1:8080/callback"
        );
        let other = Url::parse("http://127.0.0.2:1/").expect("url");
        assert_eq!(loopback(&other).expect("loopback"), other);
    }
}
