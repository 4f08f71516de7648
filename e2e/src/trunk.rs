//! The real `trunk serve` as a developer runs it from Trunk.toml (debug build, live reload),
//! for the scenario of the edit-and-reload loop. Three things differ, so that it can run beside
//! anything else: a free loopback port, its dist in a temporary directory, and its `/config.json`
//! proxy and CSP origins pointed at the test's devstack instead of devstack's default addresses.
//! Its process group (trunk, its cargo and wasm-bindgen) is killed when it drops.

use crate::driver::find_on_path;
use anyhow::{Context, Result, bail};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use url::Url;

/// How long the first build may take: a debug build of the SPA and its dependencies, cold.
pub const FIRST_BUILD_DEADLINE: Duration = Duration::from_secs(15 * 60);
/// How many of trunk's last output lines a failure shows.
const LOG_LINES: usize = 60;

/// A running `trunk serve`.
pub struct TrunkServe {
    child: Child,
    url: Url,
    log: Arc<Mutex<VecDeque<String>>>,
    /// Watched by trunk besides the SPA's sources; [`TrunkServe::trigger_rebuild`] writes here.
    watched: PathBuf,
    _dir: TempDir,
}

impl TrunkServe {
    /// Starts `trunk serve` on 127.0.0.1:`port` (served as `http://localhost:<port>`), with
    /// `/config.json` proxied to `spa_config` and `cognito` and `api` as the CSP's origins.
    pub fn start(port: u16, spa_config: &Url, cognito: &Url, api: &Url) -> Result<Self> {
        let trunk = find_on_path("trunk")
            .context("trunk is not on PATH: install it with `cargo xtask setup`")?;
        let root = crate::workspace_root();
        let dir = tempfile::Builder::new()
            .prefix("e2e-trunk-")
            .tempdir()
            .context("could not create trunk's directory")?;
        let watched = dir.path().join("watched");
        std::fs::create_dir_all(&watched)?;
        let trunk_toml = root.join("Trunk.toml");
        let text = std::fs::read_to_string(&trunk_toml)
            .with_context(|| format!("reading {}", trunk_toml.display()))?;
        let config = test_config(
            &text,
            &Placement {
                root: &root,
                dist: &dir.path().join("dist"),
                also_watch: &watched,
                port,
            },
            &Backends {
                spa_config,
                cognito,
                api,
            },
        )
        .context("deriving the test's Trunk config from Trunk.toml")?;
        let config_path = dir.path().join("Trunk.toml");
        std::fs::write(&config_path, config)?;

        let mut child = Command::new(&trunk)
            .arg("--skip-version-check")
            .arg("--config")
            .arg(&config_path)
            .args(["serve", "--offline"])
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group, so that the cargo build it runs dies with it.
            .process_group(0)
            .spawn()
            .with_context(|| format!("could not start {}", trunk.display()))?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        for output in [
            child
                .stdout
                .take()
                .map(|o| Box::new(o) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|o| Box::new(o) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = log.clone();
            // Drains the pipe (trunk must never block on it) and keeps the last lines.
            std::thread::spawn(move || {
                for line in BufReader::new(output).lines().map_while(Result::ok) {
                    if let Ok(mut log) = log.lock() {
                        if log.len() == LOG_LINES {
                            log.pop_front();
                        }
                        log.push_back(line);
                    }
                }
            });
        }
        let url = Url::parse(&format!("http://localhost:{port}/"))?;
        Ok(Self {
            child,
            url,
            log,
            watched,
            _dir: dir,
        })
    }

    /// The SPA's origin, e.g. `http://localhost:41234/`.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Waits until trunk serves the built index.html (its first build done), failing at once
    /// with trunk's output if it exits, or after `deadline`.
    pub async fn wait_until_serving(&mut self, deadline: Duration) -> Result<()> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("trunk serve exited ({status}):\n{}", self.log_tail());
            }
            let index = client
                .get(self.url.clone())
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            if let Ok(index) = index
                && index.status().is_success()
                && index
                    .text()
                    .await
                    .is_ok_and(|html| html.contains("TrunkApplicationStarted"))
            {
                return Ok(());
            }
            if started.elapsed() > deadline {
                bail!(
                    "trunk serve did not serve the SPA within {deadline:?}:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Changes a file trunk watches, as saving a source file would: trunk rebuilds and tells
    /// the open pages to reload.
    pub fn trigger_rebuild(&self) -> Result<()> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        std::fs::write(self.watched.join("edit.txt"), nanos.to_string())
            .context("writing a watched file")
    }

    /// trunk's last output lines.
    pub fn log_tail(&self) -> String {
        self.log
            .lock()
            .map(|log| Vec::from(log.clone()).join("\n"))
            .unwrap_or_default()
    }
}

impl Drop for TrunkServe {
    fn drop(&mut self) {
        // Negative pid: the whole group (trunk and any cargo or wasm-bindgen it is running).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the test's trunk builds and serves.
struct Placement<'a> {
    root: &'a Path,
    dist: &'a Path,
    also_watch: &'a Path,
    port: u16,
}

/// The test's devstack.
struct Backends<'a> {
    spa_config: &'a Url,
    cognito: &'a Url,
    api: &'a Url,
}

/// Trunk.toml for the test: paths made absolute (the file lives in a temporary directory), the
/// dist and the port moved, the `/config.json` proxy and the CSP's devstack origins replaced.
/// Everything else (the CSP itself, the headers, the nonce) is Trunk.toml's own.
fn test_config(trunk_toml: &str, at: &Placement<'_>, to: &Backends<'_>) -> Result<String> {
    let mut config: toml::Table = trunk_toml.parse().context("Trunk.toml is not TOML")?;
    let build = table(&mut config, "build")?;
    let target = build
        .get("target")
        .and_then(toml::Value::as_str)
        .unwrap_or("index.html");
    let target = at.root.join(target);
    build.insert("target".into(), path_value(&target));
    build.insert("dist".into(), path_value(at.dist));

    let watch = table(&mut config, "watch")?;
    let mut paths: Vec<toml::Value> = watch
        .get("watch")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_str)
        .map(|path| path_value(&at.root.join(path)))
        .collect();
    paths.push(path_value(at.also_watch));
    watch.insert("watch".into(), toml::Value::Array(paths));

    let default_cognito = origin(&devstack::default_cognito_url());
    let default_api = origin(&devstack::default_api_url());
    let (cognito, api) = (origin(to.cognito), origin(to.api));
    let serve = table(&mut config, "serve")?;
    serve.insert("port".into(), toml::Value::Integer(i64::from(at.port)));
    let mut policies = 0;
    let mut replace = |value: &mut toml::Value| {
        if let toml::Value::String(text) = value
            && text.contains(&default_cognito)
        {
            *text = replace_origin(
                &replace_origin(text, &default_cognito, &cognito),
                &default_api,
                &api,
            );
            policies += 1;
        }
    };
    if let Some(csp) = serve.get_mut("csp").and_then(toml::Value::as_array_mut) {
        csp.iter_mut().for_each(&mut replace);
    }
    if let Some(headers) = serve.get_mut("headers").and_then(toml::Value::as_table_mut) {
        headers.iter_mut().for_each(|(_, value)| replace(value));
    }
    if policies < 2 {
        bail!(
            "Trunk.toml's [serve] csp and Content-Security-Policy header should name devstack's {default_cognito}"
        );
    }

    let proxy = config
        .get_mut("proxy")
        .and_then(toml::Value::as_array_mut)
        .and_then(|proxies| {
            proxies.iter_mut().find(|proxy| {
                proxy.get("rewrite").and_then(toml::Value::as_str) == Some("/config.json")
            })
        })
        .and_then(toml::Value::as_table_mut)
        .context("Trunk.toml has no [[proxy]] with rewrite = \"/config.json\"")?;
    proxy.insert(
        "backend".into(),
        toml::Value::String(to.spa_config.to_string()),
    );
    toml::to_string(&config).context("writing the test's Trunk config")
}

fn table<'a>(config: &'a mut toml::Table, name: &str) -> Result<&'a mut toml::Table> {
    config
        .entry(name)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .with_context(|| format!("Trunk.toml's {name} is not a table"))
}

fn path_value(path: &Path) -> toml::Value {
    toml::Value::String(path.display().to_string())
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Replaces `from` where it is a whole origin (not followed by more port digits).
fn replace_origin(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let after = &rest[at + from.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    #[test]
    fn replaces_whole_origins_only() {
        assert_eq!(
            replace_origin(
                "connect-src 'self' http://localhost:3000 http://localhost:30001;",
                "http://localhost:3000",
                "http://localhost:4"
            ),
            "connect-src 'self' http://localhost:4 http://localhost:30001;"
        );
    }

    #[test]
    fn the_test_config_is_trunk_toml_moved_to_the_tests_devstack() {
        let trunk_toml = std::fs::read_to_string(crate::workspace_root().join("Trunk.toml"))
            .expect("Trunk.toml");
        let root = Path::new("/repo");
        let config = test_config(
            &trunk_toml,
            &Placement {
                root,
                dist: Path::new("/tmp/t/dist"),
                also_watch: Path::new("/tmp/t/watched"),
                port: 41234,
            },
            &Backends {
                spa_config: &url("http://localhost:1111/devstack/spa-config.json"),
                cognito: &url("http://localhost:1111/"),
                api: &url("http://localhost:2222/"),
            },
        )
        .expect("derived");
        let config: toml::Table = config.parse().expect("TOML");
        let original: toml::Table = trunk_toml.parse().expect("TOML");
        assert_eq!(config["build"]["dist"].as_str(), Some("/tmp/t/dist"));
        assert_eq!(config["build"]["target"].as_str(), Some("/repo/index.html"));
        assert_eq!(config["serve"]["port"].as_integer(), Some(41234));
        let watched = config["watch"]["watch"].as_array().expect("watch list");
        assert!(
            watched.contains(&toml::Value::from("/repo/src")),
            "{watched:?}"
        );
        assert!(watched.contains(&toml::Value::from("/tmp/t/watched")));
        let csp = config["serve"]["csp"][0].as_str().expect("csp");
        assert!(
            csp.contains("connect-src 'self' http://localhost:1111 http://localhost:2222;"),
            "{csp}"
        );
        let original_csp = original["serve"]["csp"][0].as_str().expect("csp");
        assert_eq!(
            csp.replace("http://localhost:1111", "http://localhost:9229")
                .replace("http://localhost:2222", "http://localhost:3000"),
            original_csp,
            "only the origins change"
        );
        let header = config["serve"]["headers"]["Content-Security-Policy"]
            .as_str()
            .expect("header");
        assert!(header.contains("http://localhost:1111 http://localhost:2222;"));
        assert_eq!(
            config["proxy"][0]["backend"].as_str(),
            Some("http://localhost:1111/devstack/spa-config.json")
        );
        assert_eq!(
            config["build"]["create_nonce"],
            original["build"]["create_nonce"]
        );
    }
}
