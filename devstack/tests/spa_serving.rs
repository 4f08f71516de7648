//! The SPA listener: files, index.html fallback, /config.json and the security headers.
#![allow(clippy::unwrap_used)] // helpers of tests: a panic is how they report a failure

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use devstack::{Config, Listeners};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

const LOADER: &str = "import init from '/app-abc.js'; init('/app-abc_bg.wasm');";

/// A fresh directory that looks like Trunk's dist/.
fn fake_dist() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("devstack-spa-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("index.html"),
        format!(
            "<!DOCTYPE html><html><head><link rel=\"stylesheet\" href=\"/style-1.css\">\
             <script type=\"module\">{LOADER}</script></head><body></body></html>"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("app-abc.js"), "export default function init() {}").unwrap();
    dir
}

async fn get(url: String) -> reqwest::Response {
    reqwest::get(url).await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn serves_dist_with_fallback_config_json_and_security_headers() {
    let dist = fake_dist();
    let listeners = Listeners::loopback_ephemeral().await.unwrap();
    let mut config = Config::embedded_default();
    config.move_spa_origin(&devstack::default_spa_url(), &listeners.spa_url());
    let stack = devstack::spawn(config, listeners, Some(dist.clone()))
        .await
        .unwrap();
    let spa = stack.spa_url().as_str().trim_end_matches('/').to_owned();
    let cognito = stack
        .cognito_url()
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let api = stack.api_url().as_str().trim_end_matches('/').to_owned();

    let hash = STANDARD.encode(Sha256::digest(LOADER.as_bytes()));
    let expected_csp = format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self' {cognito} {api}; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'; object-src 'none'"
    );
    for path in ["/", "/profile", "/callback", "/api/deep/link"] {
        let response = get(format!("{spa}{path}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&response, "content-security-policy"),
            Some(expected_csp.as_str()),
            "{path}"
        );
        assert_eq!(header(&response, "referrer-policy"), Some("no-referrer"));
        assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
        assert_eq!(
            header(&response, "cache-control"),
            Some("no-cache"),
            "{path}"
        );
        assert!(response.text().await.unwrap().contains(LOADER), "{path}");
    }

    let asset = get(format!("{spa}/app-abc.js")).await;
    assert_eq!(asset.status(), StatusCode::OK);
    assert_eq!(header(&asset, "x-content-type-options"), Some("nosniff"));
    assert!(header(&asset, "content-security-policy").is_some());
    assert_ne!(header(&asset, "cache-control"), Some("no-cache"));
    assert!(
        header(&asset, "content-type")
            .unwrap()
            .contains("javascript")
    );

    let missing = get(format!("{spa}/missing-asset.js")).await;
    assert_eq!(
        missing.status(),
        StatusCode::NOT_FOUND,
        "assets do not fall back to index.html"
    );
    assert_eq!(header(&missing, "x-content-type-options"), Some("nosniff"));

    let runtime = get(format!("{spa}/config.json")).await;
    assert_eq!(runtime.status(), StatusCode::OK);
    assert_eq!(header(&runtime, "cache-control"), Some("no-cache"));
    let runtime: serde_json::Value = runtime.json().await.unwrap();
    assert_eq!(
        runtime,
        serde_json::json!({
            "hosted_ui_url": cognito,
            "issuer": stack.issuer(),
            "client_id": "3n4b5urk1ft4fl3mg5e62d9ado",
            "redirect_uri": format!("{spa}/callback"),
            "sign_out_uri": format!("{spa}/signed-out"),
            "scopes": [
                "openid",
                "email",
                "profile",
                "api/read",
                "api/write",
                "aws.cognito.signin.user.admin"
            ],
            "api_base_url": api,
            "token_storage": "memory",
        })
    );

    // A rebuilt index.html gets a new CSP.
    std::fs::write(
        dist.join("index.html"),
        "<html><script>alert(2)</script></html>",
    )
    .unwrap();
    let modified = std::fs::metadata(dist.join("index.html"))
        .unwrap()
        .modified()
        .unwrap();
    let file = std::fs::File::options()
        .write(true)
        .open(dist.join("index.html"))
        .unwrap();
    file.set_modified(modified + std::time::Duration::from_secs(10))
        .unwrap();
    let response = get(format!("{spa}/")).await;
    let new_hash = STANDARD.encode(Sha256::digest(b"alert(2)"));
    assert!(
        header(&response, "content-security-policy")
            .unwrap()
            .contains(&new_hash),
        "{:?}",
        response.headers()
    );

    stack.shutdown().await;
    std::fs::remove_dir_all(dist).unwrap();
}

/// The SPA's routes (`contract::is_spa_route`) get index.html, whatever `dist/` holds at that
/// path; every other path is the file it names or a 404, as the CloudFront Function and S3 do.
#[tokio::test]
async fn routes_get_index_html_and_every_other_path_is_a_file_or_a_404() {
    let dist = fake_dist();
    // A file without a dot and a directory are not served as such: their paths are routes.
    std::fs::write(dist.join("LICENSE"), "not the app").unwrap();
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(dist.join("assets/logo.svg"), "<svg/>").unwrap();
    std::fs::create_dir_all(dist.join("fonts.d")).unwrap();
    let listeners = Listeners::loopback_ephemeral().await.unwrap();
    let stack = devstack::spawn(Config::embedded_default(), listeners, Some(dist.clone()))
        .await
        .unwrap();
    let spa = stack.spa_url().as_str().trim_end_matches('/').to_owned();

    let paths = [
        "/",
        "/profile",
        "/callback?code=abc.def&state=x.y",
        "/account",
        "/profile/",
        "/a/b.c/d",
        "/LICENSE",
        "/assets",
        "/assets/",
        "/deep%2Flink",
    ];
    for path in paths {
        assert!(devstack::contract::is_spa_route(
            path.split('?').next().unwrap()
        ));
        let response = get(format!("{spa}{path}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            header(&response, "content-type")
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert_eq!(
            header(&response, "cache-control"),
            Some("no-cache"),
            "{path}"
        );
        assert!(response.text().await.unwrap().contains(LOADER), "{path}");
    }

    for (path, body) in [
        ("/app-abc.js", "export default function init() {}"),
        ("/app-abc%2Ejs", "export default function init() {}"),
        ("/assets/logo.svg", "<svg/>"),
    ] {
        let response = get(format!("{spa}{path}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.text().await.unwrap(), body, "{path}");
    }

    for path in [
        "/missing.js",
        "/missing%2ejs",
        "/favicon.ico",
        "/assets/app-9f8e7d6c_bg.wasm",
        "/assets/missing.css",
        "/fonts.d",
        "/index.html.bak",
    ] {
        assert!(!devstack::contract::is_spa_route(path), "{path}");
        let response = get(format!("{spa}{path}")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
        let body = response.text().await.unwrap();
        assert!(!body.contains(LOADER), "{path}: {body}");
    }

    stack.shutdown().await;
    std::fs::remove_dir_all(dist).unwrap();
}

#[tokio::test]
async fn without_a_build_every_page_says_how_to_build() {
    let listeners = Listeners::loopback_ephemeral().await.unwrap();
    let missing = std::env::temp_dir().join(format!("devstack-none-{}", uuid::Uuid::new_v4()));
    let stack = devstack::spawn(Config::embedded_default(), listeners, Some(missing))
        .await
        .unwrap();
    let spa = stack.spa_url().as_str().trim_end_matches('/').to_owned();
    for path in ["/", "/profile"] {
        let response = get(format!("{spa}{path}")).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(header(&response, "content-security-policy").is_some());
        let body = response.text().await.unwrap();
        assert!(
            body.contains("cargo xtask dev") && body.contains("trunk build"),
            "{body}"
        );
    }
    assert_eq!(
        get(format!("{spa}/config.json")).await.status(),
        StatusCode::OK
    );
    stack.shutdown().await;
}
