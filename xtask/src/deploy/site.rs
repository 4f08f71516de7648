//! The site CloudFront serves: the SPA's release build, the `config.json` written from the
//! stack's outputs, the upload of `dist/` to the bucket (each file typed and cached by its name)
//! and the invalidation of CloudFront's cache.

use super::aws::Tools;
use super::stack::output;
use crate::build::{self, Profile};
use crate::cmd;
use anyhow::{Context, Result, bail};
use contract::{SpaConfig, TokenStorage};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The SPA as Trunk built it.
pub(super) struct BuiltSite {
    /// Trunk's `dist/`.
    pub(super) dist: PathBuf,
    /// The CSP hashes of the inline scripts of its index.html.
    pub(super) script_hashes: Vec<String>,
}

/// The SPA's release build.
pub(super) fn build() -> Result<BuiltSite> {
    println!("==> building the SPA (trunk, release)");
    build::spa(Profile::Release)?;
    let dist = build::dist_dir();
    let index_path = dist.join("index.html");
    let index_html = std::fs::read_to_string(&index_path)
        .with_context(|| format!("reading {}", index_path.display()))?;
    let script_hashes = contract::csp::inline_script_hashes(&index_html);
    if script_hashes.is_empty() {
        bail!(
            "{} has no inline script: Trunk's loader is expected there, and the CSP is built around its hash",
            index_path.display()
        );
    }
    Ok(BuiltSite {
        dist,
        script_hashes,
    })
}

/// Writes `dist/config.json` from the stack outputs.
pub(super) fn write_config(
    dist: &Path,
    outputs: &BTreeMap<String, String>,
    token_storage: TokenStorage,
) -> Result<()> {
    let path = dist.join("config.json");
    std::fs::write(&path, spa_config_json(outputs, token_storage)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// `dist/config.json` ([`contract::SpaConfig`]) from the stack outputs.
fn spa_config_json(
    outputs: &BTreeMap<String, String>,
    token_storage: TokenStorage,
) -> Result<String> {
    let config = SpaConfig {
        hosted_ui_url: output(outputs, "HostedUiUrl")?.to_owned(),
        issuer: output(outputs, "Issuer")?.to_owned(),
        client_id: output(outputs, "ClientId")?.to_owned(),
        redirect_uri: output(outputs, "RedirectUri")?.to_owned(),
        sign_out_uri: output(outputs, "SignOutUri")?.to_owned(),
        scopes: output(outputs, "Scopes")?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        api_base_url: output(outputs, "ApiBaseUrl")?.to_owned(),
        token_storage,
    };
    let mut json = serde_json::to_string_pretty(&config)?;
    json.push('\n');
    Ok(json)
}

/// Copies `dist/` to the bucket, each file with its type and caching (see [`upload_plan`]).
pub(super) fn upload(tools: &Tools, region: &str, dist: &Path, bucket: &str) -> Result<()> {
    println!("==> uploading dist/ to s3://{bucket}");
    for upload in upload_plan(dist)? {
        cmd::run(
            tools
                .aws(region)
                .args(["s3", "cp", "--only-show-errors"])
                .arg(dist.join(&upload.key))
                .arg(format!("s3://{bucket}/{}", upload.key))
                .args(["--content-type", upload.content_type])
                .args(["--cache-control", upload.cache_control]),
        )?;
    }
    Ok(())
}

/// Drops every cached object, so that visitors get the new index.html and config.json now.
pub(super) fn invalidate(tools: &Tools, region: &str, distribution: &str) -> Result<()> {
    println!("==> invalidating the CloudFront cache of {distribution}");
    cmd::run(
        tools
            .aws(region)
            .args(["cloudfront", "create-invalidation", "--output", "text"])
            .args(["--distribution-id", distribution, "--paths", "/*"])
            .args(["--query", "Invalidation.Id"]),
    )
}

/// One file of `dist/` and how S3 should serve it.
#[derive(Debug, PartialEq, Eq)]
struct Upload {
    /// Path relative to `dist/`, with `/` separators; also the S3 key.
    key: String,
    content_type: &'static str,
    cache_control: &'static str,
}

/// Content-hashed files (Trunk names them `name-<hex hash>…`) never change: cache them for a
/// year. Everything else (index.html, config.json) is revalidated on every load. Hashed files
/// go first and index.html last, so a fresh index.html never points at a file not yet uploaded.
fn upload_plan(dist: &Path) -> Result<Vec<Upload>> {
    let mut keys = Vec::new();
    collect_files(dist, dist, &mut keys)?;
    let mut plan: Vec<Upload> = keys
        .into_iter()
        .map(|key| {
            let cache_control = if is_content_hashed(&key) {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            Upload {
                content_type: content_type(&key),
                cache_control,
                key,
            }
        })
        .collect();
    plan.sort_by_key(|upload| {
        (
            upload.cache_control == "no-cache",
            upload.key == "index.html",
            upload.key.clone(),
        )
    });
    Ok(plan)
}

fn collect_files(root: &Path, dir: &Path, keys: &mut Vec<String>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path: PathBuf = entry?.path();
        // Hidden entries (Trunk's `.stage` while it builds) are not part of the site.
        if path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        if path.is_dir() {
            collect_files(root, &path, keys)?;
        } else {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let key: Vec<String> = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            keys.push(key.join("/"));
        }
    }
    Ok(())
}

/// Trunk's hashed names: `<stem>-<8 to 16 hex digits>` before the extension, and for the wasm
/// file `<stem>-<hash>_bg.wasm`.
fn is_content_hashed(key: &str) -> bool {
    let file = key.rsplit('/').next().unwrap_or(key);
    let stem = file.split('.').next().unwrap_or(file);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(name, hash)| {
        !name.is_empty()
            && (8..=16).contains(&hash.len())
            && hash.chars().all(|c| c.is_ascii_hexdigit())
    })
}

/// Explicit types: the CLI's own guess may not know `.wasm`, and browsers compile wasm while
/// it streams only when it is served as `application/wasm`.
fn content_type(key: &str) -> &'static str {
    let extension = key.rsplit_once('.').map_or("", |(_, extension)| extension);
    match extension.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::project_root;
    use crate::deploy::test_support::sample_outputs;

    #[test]
    fn config_json_has_the_contract_shape() {
        let json = spa_config_json(&sample_outputs(), TokenStorage::Memory).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "hosted_ui_url": "https://spa-297f909759.auth.us-east-1.amazoncognito.com",
                "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
                "client_id": "1example23456789",
                "redirect_uri": "https://d111111abcdef8.cloudfront.net/callback",
                "sign_out_uri": "https://d111111abcdef8.cloudfront.net/signed-out",
                "scopes": ["openid", "email", "profile", "api/read", "api/write"],
                "api_base_url": "https://abc123defg.execute-api.us-east-1.amazonaws.com",
                "token_storage": "memory"
            })
        );
        // Same field set as the local default the SPA ships with.
        let shipped: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(project_root().join("public/config.json")).unwrap(),
        )
        .unwrap();
        let keys = |value: &serde_json::Value| {
            value
                .as_object()
                .map(|object| object.keys().cloned().collect::<Vec<_>>())
        };
        assert_eq!(keys(&value), keys(&shipped));
    }

    #[test]
    fn config_json_names_a_missing_output() {
        let mut partial = sample_outputs();
        partial.remove("ClientId");
        let error = spa_config_json(&partial, TokenStorage::Memory)
            .unwrap_err()
            .to_string();
        assert!(error.contains("no output `ClientId`"), "{error}");
    }

    #[test]
    fn uploads_are_typed_cached_by_name_and_ordered_shell_last() {
        let dist = std::env::temp_dir().join(format!("xtask-deploy-plan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dist);
        std::fs::create_dir_all(dist.join("assets")).unwrap();
        for file in [
            "index.html",
            "config.json",
            "cognito-spa-9f8e7d6c5b4a3210_bg.wasm",
            "cognito-spa-9f8e7d6c5b4a3210.js",
            "main-a1b2c3d4e5f60718.css",
            "assets/logo.svg",
        ] {
            std::fs::write(dist.join(file), "x").unwrap();
        }
        std::fs::create_dir_all(dist.join(".stage")).unwrap();
        std::fs::write(dist.join(".stage/index.html"), "half-built").unwrap();
        let plan = upload_plan(&dist).unwrap();
        std::fs::remove_dir_all(&dist).unwrap();

        let summary: Vec<(&str, &str, &str)> = plan
            .iter()
            .map(|upload| {
                (
                    upload.key.as_str(),
                    upload.content_type,
                    upload.cache_control,
                )
            })
            .collect();
        let immutable = "public, max-age=31536000, immutable";
        assert_eq!(
            summary,
            [
                (
                    "cognito-spa-9f8e7d6c5b4a3210.js",
                    "text/javascript; charset=utf-8",
                    immutable
                ),
                (
                    "cognito-spa-9f8e7d6c5b4a3210_bg.wasm",
                    "application/wasm",
                    immutable
                ),
                (
                    "main-a1b2c3d4e5f60718.css",
                    "text/css; charset=utf-8",
                    immutable
                ),
                ("assets/logo.svg", "image/svg+xml", "no-cache"),
                ("config.json", "application/json", "no-cache"),
                ("index.html", "text/html; charset=utf-8", "no-cache"),
            ]
        );
    }

    #[test]
    fn only_trunk_style_hashes_count_as_content_hashed() {
        assert!(is_content_hashed("main-a1b2c3d4e5f60718.css"));
        assert!(is_content_hashed("app-deadbeef_bg.wasm"));
        assert!(!is_content_hashed("index.html"));
        assert!(!is_content_hashed("cognito-spa.js"));
        assert!(!is_content_hashed("my-file.txt"));
        assert!(!is_content_hashed("-a1b2c3d4.css"));
    }
}
