//! What the size means to a user: from navigation start to the first thing they can use, on a
//! cold cache over an emulated slow link, for the app (its Sign in button) and the floor (its
//! heading), side by side in one run.
//!
//! Both builds are served the same way, by one static server in this process on 127.0.0.1, with
//! every file gzip -9 as the size table counts it (CloudFront compresses too): the difference
//! between the two is the builds', not the servers'. Each sample is a fresh Chromium profile, so
//! nothing is cached, not even compiled wasm; Chromium's own network emulation (DevTools
//! `Network.emulateNetworkConditions`) throttles every request of the page.

use anyhow::{Context, Result, bail};
use e2e::Browser;
use flate2::{Compression, write::GzEncoder};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower_http::services::ServeDir;
use url::Url;

/// The emulated link.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Link {
    pub download_kbit_s: u32,
    pub upload_kbit_s: u32,
    /// Added to every request before its response starts (Chromium's `latency`).
    pub rtt_ms: u32,
}

/// A slow mobile link, as in DevTools' "3G" presets: 1.6 Mbit/s down, 750 kbit/s up, 150 ms.
pub const SLOW_LINK: Link = Link {
    download_kbit_s: 1_600,
    upload_kbit_s: 750,
    rtt_ms: 150,
};

impl Link {
    /// The parameters of `Network.emulateNetworkConditions` (throughputs in bytes per second).
    fn devtools_params(self) -> Value {
        json!({
            "offline": false,
            "latency": self.rtt_ms,
            "downloadThroughput": f64::from(self.download_kbit_s) * 1000.0 / 8.0,
            "uploadThroughput": f64::from(self.upload_kbit_s) * 1000.0 / 8.0,
        })
    }
}

/// What counts as usable in a build, as a JavaScript expression over the document.
#[derive(Debug, Clone, Copy)]
pub struct Usable {
    /// For the report: what the moment is.
    pub what: &'static str,
    pub condition: &'static str,
}

/// The app's home page, signed out: a Sign in button that is rendered and enabled. In a
/// client-rendered page the button exists only once the wasm has mounted it with its handler.
pub const APP_SIGN_IN: Usable = Usable {
    what: "the Sign in button",
    condition: "[...document.querySelectorAll('button')]\
                .some(b => b.textContent.trim() === 'Sign in' && !b.disabled)",
};

/// The floor's page: its heading.
pub const FLOOR_HEADING: Usable = Usable {
    what: "its heading",
    condition: "document.querySelector('h1')?.textContent === 'Hello, world!'",
};

/// Added to the new document before its scripts: notes `performance.now()` (ms since navigation
/// start) in the microtask after the DOM change that makes the condition true.
const OBSERVER_SCRIPT: &str = r#"
(() => {
  const usable = () => CONDITION;
  const observer = new MutationObserver(() => {
    if (window.__benchUsable === undefined && usable()) {
      window.__benchUsable = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true });
})();
"#;

/// Read once the moment is noted: it, and the bytes that came over the link until then.
const READ_SCRIPT: &str = r#"
const usable = window.__benchUsable;
if (usable === undefined) return null;
const entries = performance.getEntriesByType('navigation')
  .concat(performance.getEntriesByType('resource').filter(entry => entry.startTime <= usable));
return {
  usable_ms: usable,
  transferred_bytes: entries.reduce((sum, entry) => sum + entry.encodedBodySize, 0),
};
"#;

/// One cold load.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Sample {
    /// Navigation start to usable.
    pub usable_ms: f64,
    /// Response bodies as sent (compressed) of the document and the resources it fetched first.
    pub transferred_bytes: f64,
}

/// A build served gzip-compressed on 127.0.0.1 until dropped.
pub struct StaticSite {
    pub url: Url,
    server: JoinHandle<()>,
}

impl StaticSite {
    /// Copies `dist` into `staging` with a `.gz` (level 9) beside every file, and serves it.
    pub async fn serve(dist: &Path, staging: &Path) -> Result<Self> {
        stage(dist, staging)?;
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the static server")?;
        let url = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
        let app = axum::Router::new().fallback_service(ServeDir::new(staging).precompressed_gzip());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("bench: the static server stopped: {error}");
            }
        });
        Ok(Self { url, server })
    }
}

impl Drop for StaticSite {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn stage(dist: &Path, staging: &Path) -> Result<()> {
    if staging.exists() {
        std::fs::remove_dir_all(staging)
            .with_context(|| format!("clearing {}", staging.display()))?;
    }
    let mut pending: Vec<(PathBuf, PathBuf)> = vec![(dist.to_path_buf(), staging.to_path_buf())];
    while let Some((from, to)) = pending.pop() {
        std::fs::create_dir_all(&to).with_context(|| format!("creating {}", to.display()))?;
        for entry in
            std::fs::read_dir(&from).with_context(|| format!("reading {}", from.display()))?
        {
            let entry = entry?;
            let (source, target) = (entry.path(), to.join(entry.file_name()));
            if source.is_dir() {
                pending.push((source, target));
                continue;
            }
            let bytes =
                std::fs::read(&source).with_context(|| format!("reading {}", source.display()))?;
            let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
            encoder.write_all(&bytes)?;
            let mut gz = target.clone().into_os_string();
            gz.push(".gz");
            std::fs::write(&gz, encoder.finish()?)
                .and_then(|()| std::fs::write(&target, &bytes))
                .with_context(|| format!("writing {}", target.display()))?;
        }
    }
    Ok(())
}

/// One load of `url` in a fresh browser over `link`, until `usable`.
pub async fn cold_load(url: &Url, link: Link, usable: Usable) -> Result<Sample> {
    let browser = Browser::launch("bench-first-load").await?;
    browser.devtools("Network.enable", json!({})).await?;
    browser
        .devtools("Network.emulateNetworkConditions", link.devtools_params())
        .await
        .context("emulating the slow link")?;
    browser
        .devtools(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": OBSERVER_SCRIPT.replace("CONDITION", usable.condition) }),
        )
        .await
        .context("installing the observer")?;
    browser.goto(url.as_str()).await?;
    let sample: Sample = browser
        .wait_for_within(
            std::time::Duration::from_secs(60),
            &format!("{} at {url}", usable.what),
            || async {
                let value = browser.script(READ_SCRIPT).await?;
                if value.is_null() {
                    return Ok(None);
                }
                Ok(Some(serde_json::from_value(value)?))
            },
        )
        .await?;
    browser.close().await?;
    if sample.transferred_bytes <= 0.0 {
        bail!("no bytes were measured for {url}: is Resource Timing available?");
    }
    Ok(sample)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_is_given_to_devtools_in_bytes_per_second() {
        let params = SLOW_LINK.devtools_params();
        assert_eq!(params["downloadThroughput"], 200_000.0);
        assert_eq!(params["uploadThroughput"], 93_750.0);
        assert_eq!(params["latency"], 150);
        assert_eq!(params["offline"], false);
    }

    #[test]
    fn staging_keeps_every_file_and_adds_its_gzip() {
        let root = std::env::temp_dir().join(format!("bench-stage-{}", std::process::id()));
        let (dist, staging) = (root.join("dist"), root.join("staging"));
        std::fs::create_dir_all(dist.join("assets")).expect("dist");
        std::fs::write(dist.join("index.html"), "<p>hi</p>".repeat(50)).expect("index");
        std::fs::write(dist.join("assets/app.wasm"), [0u8; 4096]).expect("wasm");
        stage(&dist, &staging).expect("stage");
        stage(&dist, &staging).expect("a second time over the first");

        let index = std::fs::read(staging.join("index.html")).expect("copied");
        assert_eq!(index.len(), 450);
        let gz = std::fs::read(staging.join("assets/app.wasm.gz")).expect("gzip beside it");
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped)
            .expect("a gzip stream");
        assert_eq!(unzipped, vec![0u8; 4096]);
        assert!(gz.len() < 100, "level 9 on zeros is tiny: {}", gz.len());
        std::fs::remove_dir_all(root).expect("clean up");
    }
}
