//! The real deployment, run for real: `cargo xtask deploy` (build, `sam package`, `aws
//! cloudformation deploy`, outputs, config.json, upload, invalidation) into ministack, an
//! independent AWS emulator from PyPI, then what it built checked as a user would: the outputs
//! and config.json, the bucket, the real Rust Lambda behind the HTTP API and its JWT
//! authorizer, a sign-in in headless Chromium through the emulator's hosted UI with the SPA
//! served by the emulator's CloudFront (with the template's CSP, and its CloudFront Function: the
//! app for the SPA's routes, a 404 for a missing file), and a second deploy that changes nothing
//! it should not.
//!
//! ministack listens on 127.0.0.1 only and is killed when the test ends, however it ends. Where
//! it differs from AWS, `e2e/ministack/launch.py` patches it (listed in infra/README.md); the
//! product is not bent. The browser reaches the deployed AWS host names
//! (`https://d….cloudfront.net`, `https://<prefix>.auth.us-east-1.amazoncognito.com`, …) through
//! Chromium's host mapping to the emulator's HTTPS port, whose certificate is self-signed.
//!
//! Needs `cargo xtask setup` (the AWS CLI, SAM CLI and cargo-lambda in .tools/venv, ministack in
//! .tools/ministack, Chromium). Takes a few minutes: the deploy builds the Lambda and the SPA.

use anyhow::{Context, Result, bail, ensure};
use e2e::aws::{EmulatedAws, REGION, StackView, dist_keys};
use e2e::ministack::Ministack;
use e2e::{Browser, assert_contains};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::hash::{BuildHasher, RandomState};
use url::Url;

mod aws_emulator_http;

use aws_emulator_http::ApiOverHttp;

const STACK: &str = "emulated-spa";
const LOCAL_ORIGIN: &str = "http://localhost:8080";
const USERNAME: &str = "alice";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[tokio::test(flavor = "multi_thread")]
async fn cargo_xtask_deploy_into_an_aws_emulator_builds_a_stack_a_user_signs_in_to() -> Result<()> {
    let emulator = Ministack::start()?;
    let aws = EmulatedAws::new(emulator.endpoint_url())?;
    let outcome = deploy_and_use(&emulator, &aws).await;
    outcome.with_context(|| format!("ministack's last output:\n{}", emulator.log_tail()))
}

async fn deploy_and_use(emulator: &Ministack, aws: &EmulatedAws) -> Result<()> {
    // A first deployment, naming one stack setting that a re-run must keep.
    let printed = aws.deploy(
        "first",
        &["--stack-name", STACK, "--local-origin", LOCAL_ORIGIN],
    )?;
    let stack = aws.stack(STACK)?;
    check_outputs_and_config(&stack, &printed)?;
    check_bucket(aws, &stack)?;
    check_lambda(aws)?;

    let password = throwaway_password();
    create_user(aws, stack.output("UserPoolId")?, &password)?;
    let http = ApiOverHttp::new(emulator, &stack)?;
    check_api(&http, &stack, &password).await?;
    check_cli_client(aws, &http, &stack, &password).await?;
    sign_in_in_the_browser(emulator, &stack, &password).await?;

    // A second deployment without the setting: nothing changes but what must.
    let again = aws.deploy("second", &["--stack-name", STACK])?;
    check_rerun(aws, &stack, &aws.stack(STACK)?, &again)?;
    check_api(&http, &stack, &password).await
}

/// Check 1: The outputs, the parameters the deploy chose, and the config.json written from them.
fn check_outputs_and_config(stack: &StackView, printed: &str) -> Result<()> {
    ensure!(
        stack.status == "CREATE_COMPLETE" || stack.status == "UPDATE_COMPLETE",
        "stack status {}",
        stack.status
    );
    let spa = stack.output("SpaUrl")?;
    let pool = stack.output("UserPoolId")?;
    let prefix = stack.parameter("HostedUiDomainPrefix")?;
    let domain = spa.strip_prefix("https://").unwrap_or_default();
    ensure!(
        domain.ends_with(".cloudfront.net") && !domain.contains('/'),
        "SpaUrl {spa}"
    );
    ensure!(
        prefix.starts_with("emulated-spa-") && prefix.len() == "emulated-spa-".len() + 10,
        "the default domain prefix: {prefix}"
    );
    let api = stack.output("ApiBaseUrl")?;
    ensure!(
        api.starts_with("https://")
            && api.ends_with(&format!(".execute-api.{REGION}.amazonaws.com")),
        "ApiBaseUrl {api}"
    );
    for (key, expected) in [
        (
            "HostedUiUrl",
            format!("https://{prefix}.auth.{REGION}.amazoncognito.com"),
        ),
        (
            "Issuer",
            format!("https://cognito-idp.{REGION}.amazonaws.com/{pool}"),
        ),
        ("RedirectUri", format!("{spa}/callback")),
        ("SignOutUri", format!("{spa}/signed-out")),
    ] {
        ensure!(
            stack.output(key)? == expected,
            "output {key}: {}",
            stack.output(key)?
        );
    }
    // The CSP names exactly this stack's API (the second stack update of a first deploy), the
    // Lambda's architecture follows --arch, and the named setting is in place (the others keep
    // the template's defaults; the re-run below checks that all are kept).
    for (key, expected) in [
        ("ApiOrigin", api),
        ("LambdaArchitecture", "x86_64"),
        ("LocalDevOrigin", LOCAL_ORIGIN),
    ] {
        ensure!(
            stack.parameter(key)? == expected,
            "parameter {key}: {}",
            stack.parameter(key)?
        );
    }
    ensure!(
        printed.contains(&format!("Deployed: {spa}")),
        "the URL is not printed:\n{printed}"
    );

    // The SPA client's scopes, which the template lists once (the client and this output).
    let scopes: Vec<&str> = stack.output("Scopes")?.split_whitespace().collect();
    for needed in ["openid", "email", "profile", "api/read", "api/write"] {
        ensure!(
            scopes.contains(&needed),
            "output Scopes lacks {needed}: {scopes:?}"
        );
    }

    let config_path = e2e::workspace_root().join("dist/config.json");
    let config: Value = serde_json::from_str(
        &std::fs::read_to_string(&config_path)
            .with_context(|| format!("reading {}", config_path.display()))?,
    )?;
    let expected = json!({
        "hosted_ui_url": stack.output("HostedUiUrl")?,
        "issuer": stack.output("Issuer")?,
        "client_id": stack.output("ClientId")?,
        "redirect_uri": stack.output("RedirectUri")?,
        "sign_out_uri": stack.output("SignOutUri")?,
        "scopes": scopes,
        "api_base_url": api,
        "token_storage": "memory",
    });
    ensure!(
        config == expected,
        "dist/config.json is\n{config:#}\nexpected\n{expected:#}"
    );
    Ok(())
}

/// Check 2: The bucket holds exactly the build, each object with its type and caching.
fn check_bucket(aws: &EmulatedAws, stack: &StackView) -> Result<()> {
    let bucket = stack.output("SiteBucketName")?;
    let listed = aws.json(&["s3api", "list-objects-v2", "--bucket", bucket])?;
    let mut keys: Vec<String> = listed
        .get("Contents")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|object| object.get("Key")?.as_str().map(str::to_owned))
        .collect();
    keys.sort();
    let built = dist_keys(&e2e::workspace_root().join("dist"))?;
    ensure!(
        keys == built,
        "bucket holds {keys:?}, the build is {built:?}"
    );
    let mut kinds = 0;
    for key in &keys {
        let head = aws.json(&["s3api", "head-object", "--bucket", bucket, "--key", key])?;
        let field = |name: &str| head.get(name).and_then(Value::as_str).unwrap_or_default();
        let (content_type, cache_control) = (field("ContentType"), field("CacheControl"));
        let expected = match key.rsplit_once('.').map(|(_, extension)| extension) {
            Some("wasm") => Some(("application/wasm", IMMUTABLE)),
            Some("js") => Some(("text/javascript; charset=utf-8", IMMUTABLE)),
            Some("css") => Some(("text/css; charset=utf-8", IMMUTABLE)),
            Some("html") => Some(("text/html; charset=utf-8", "no-cache")),
            Some("json") => Some(("application/json", "no-cache")),
            _ => None,
        };
        if let Some((wanted_type, wanted_cache)) = expected {
            kinds += 1;
            ensure!(
                content_type == wanted_type && cache_control == wanted_cache,
                "{key}: Content-Type {content_type:?}, Cache-Control {cache_control:?}"
            );
        }
    }
    ensure!(
        kinds >= 5,
        "expected html, json, js, wasm and css in {keys:?}"
    );
    Ok(())
}

/// The function CloudFormation made is the zip cargo-lambda built, on the chosen architecture.
fn check_lambda(aws: &EmulatedAws) -> Result<()> {
    let functions = aws.json(&["lambda", "list-functions"])?;
    let function = functions
        .get("Functions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|function| {
            function
                .get("FunctionName")
                .and_then(Value::as_str)
                .is_some_and(|name| name.starts_with(STACK))
        })
        .with_context(|| format!("no function of stack {STACK}: {functions}"))?;
    let field = |name: &str| function.get(name).cloned().unwrap_or(Value::Null);
    ensure!(field("Runtime") == "provided.al2023", "{function}");
    ensure!(field("Handler") == "bootstrap", "{function}");
    ensure!(field("Architectures") == json!(["x86_64"]), "{function}");
    let zip = std::fs::read(e2e::workspace_root().join("target/lambda/bootstrap/bootstrap.zip"))
        .context("reading the zip cargo-lambda built")?;
    let sha = base64_sha256(&zip);
    ensure!(
        field("CodeSha256") == sha.as_str(),
        "the function's code is not the zip cargo-lambda built ({sha}): {function}"
    );
    Ok(())
}

fn base64_sha256(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

/// A password that meets the pool's policy and is never printed.
fn throwaway_password() -> String {
    let random = RandomState::new().hash_one(std::time::SystemTime::now());
    format!("Aa1!-{random:016x}")
}

/// `admin-create-user` with a verified e-mail and no invitation, then a permanent password.
fn create_user(aws: &EmulatedAws, pool: &str, password: &str) -> Result<()> {
    aws.json(&[
        "cognito-idp",
        "admin-create-user",
        "--user-pool-id",
        pool,
        "--username",
        USERNAME,
        "--user-attributes",
        "Name=email,Value=alice@example.com",
        "Name=email_verified,Value=true",
        "--message-action",
        "SUPPRESS",
    ])?;
    aws.json(&[
        "cognito-idp",
        "admin-set-user-password",
        "--user-pool-id",
        pool,
        "--username",
        USERNAME,
        "--password",
        password,
        "--permanent",
    ])?;
    Ok(())
}

/// Check 3: The real Rust Lambda answers through the HTTP API; the JWT authorizer guards /hello.
async fn check_api(http: &ApiOverHttp, stack: &StackView, password: &str) -> Result<()> {
    let (status, body) = http.api_get("/open", None).await?;
    ensure!(status == 200, "GET /open: {status} {body}");
    assert_contains(&body, &["Hello from the open route", "\"time\""]);
    let (status, body) = http.api_get("/hello", None).await?;
    ensure!(status == 401, "GET /hello without a token: {status} {body}");
    let token = http.sign_in(stack, password).await?;
    let (status, body) = http.api_get("/hello", Some(&token)).await?;
    ensure!(status == 200, "GET /hello with a token: {status} {body}");
    let greeting: Value = serde_json::from_str(&body)?;
    ensure!(
        greeting.get("message") == Some(&json!(format!("Hello, {USERNAME}!"))),
        "GET /hello: {body}"
    );
    let (status, body) = http.api_get("/hello", Some("not-a-token")).await?;
    ensure!(
        status == 401,
        "GET /hello with a bad token: {status} {body}"
    );
    Ok(())
}

/// The command line's app client (docs/cli.md): a password sign-in by API, whose access token
/// the read routes accept too.
async fn check_cli_client(
    aws: &EmulatedAws,
    http: &ApiOverHttp,
    stack: &StackView,
    password: &str,
) -> Result<()> {
    let credentials = format!("USERNAME={USERNAME},PASSWORD={password}");
    let answer = aws.json(&[
        "cognito-idp",
        "initiate-auth",
        "--client-id",
        stack.output("CliClientId")?,
        "--auth-flow",
        "USER_PASSWORD_AUTH",
        "--auth-parameters",
        &credentials,
    ])?;
    let token = answer
        .pointer("/AuthenticationResult/AccessToken")
        .and_then(Value::as_str)
        .context("initiate-auth with the CLI client issued no access token (a challenge?)")?;
    let (status, body) = http.api_get("/hello", Some(token)).await?;
    ensure!(
        status == 200 && body.contains(&format!("Hello, {USERNAME}!")),
        "GET /hello with the CLI client's token: {status} {body}"
    );
    Ok(())
}

/// Check 4: The SPA from the emulator's CloudFront signs the user in through its hosted UI and calls
/// the API from the console, with the deployed CSP and no violation.
async fn sign_in_in_the_browser(
    emulator: &Ministack,
    stack: &StackView,
    password: &str,
) -> Result<()> {
    let browser = Browser::launch_with_args(
        "aws-emulator",
        &[
            format!("--host-resolver-rules={}", emulator.host_resolver_rules()),
            // The emulator's certificate is self-signed; nothing else is reachable anyway.
            "--ignore-certificate-errors".to_owned(),
        ],
    )
    .await?;
    let outcome = browser_scenario(&browser, stack, password).await;
    let closed = browser.close().await;
    outcome.and(closed)
}

async fn browser_scenario(browser: &Browser, stack: &StackView, password: &str) -> Result<()> {
    let spa = Url::parse(stack.output("SpaUrl")?)?;
    let hosted_ui = Url::parse(stack.output("HostedUiUrl")?)?;
    browser.goto(spa.as_str()).await?;
    browser.click_button("Sign in").await?;
    let at_login = browser
        .wait_for_url("the emulator's hosted UI", |url| {
            url.origin() == hosted_ui.origin()
        })
        .await?;
    ensure!(
        at_login.path() == "/oauth2/authorize" || at_login.path() == "/login",
        "{at_login}"
    );
    browser.fill("#username", USERNAME).await?;
    browser.fill("#password", password).await?;
    browser.click_button("Sign in").await?;
    browser.wait_for_text(&format!("Hello, {USERNAME}")).await?;
    browser.wait_for_path(&spa, "/").await?;
    browser.assert_clean_and_screenshot("signed-in").await?;

    // What CloudFront served: the template's CSP naming this stack's API, and typed files.
    let served = browser
        .script(
            "const wasm = document.querySelector('link[href$=\"_bg.wasm\"]'); \
             return Promise.all([fetch('/profile'), wasm ? fetch(wasm.href) : null]) \
               .then(([route, w]) => ({ status: route.status, \
                 type: route.headers.get('content-type'), \
                 csp: route.headers.get('content-security-policy'), \
                 wasm: w && w.headers.get('content-type'), \
                 wasmCache: w && w.headers.get('cache-control') }));",
        )
        .await?;
    let api = stack.output("ApiBaseUrl")?;
    let csp = served
        .get("csp")
        .and_then(Value::as_str)
        .unwrap_or_default();
    ensure!(
        served.get("status") == Some(&json!(200))
            && served.get("type") == Some(&json!("text/html; charset=utf-8"))
            && csp.contains(&format!(
                "connect-src 'self' {} https://cognito-idp.{REGION}.amazonaws.com {api};",
                hosted_ui.as_str().trim_end_matches('/')
            )),
        "CloudFront's answer for an SPA route: {served}"
    );
    ensure!(
        served.get("wasm") == Some(&json!("application/wasm"))
            && served.get("wasmCache") == Some(&json!(IMMUTABLE)),
        "CloudFront's answer for the wasm: {served}"
    );
    check_routes_and_missing_files(browser).await?;

    browser.follow_link("/api").await?;
    browser.wait_for_text("API console").await?;
    let hello = browser.call_route("get-hello").await?;
    assert_contains(
        &hello,
        &["GET /hello answered 200.", &format!("Hello, {USERNAME}!")],
    );
    let echo = browser.call_route("get-echo").await?;
    assert_contains(
        &echo,
        &[
            "GET /echo answered 200.",
            &format!("\"username\": \"{USERNAME}\""),
            "api/read",
        ],
    );
    browser
        .fill("#post-echo-body", r#"{"sent_by": "aws-emulator"}"#)
        .await?;
    let posted = browser.call_route("post-echo").await?;
    assert_contains(
        &posted,
        &["POST /echo answered 200.", "\"sent_by\": \"aws-emulator\""],
    );
    browser.assert_clean_and_screenshot("api-console").await
}

/// The app for the SPA's routes, the file for a file, and a 404 for a missing file: the
/// template's CloudFront Function (which ministack runs, in Node, on every viewer request) and
/// the bucket policy's s3:ListBucket grant (which ministack's own policy evaluation reads, through
/// launch.py's patch 5: unpatched, ministack answers every missing object 403).
async fn check_routes_and_missing_files(browser: &Browser) -> Result<()> {
    let expectations = [
        (
            "/callback?code=not.a.code&state=x",
            200,
            "text/html; charset=utf-8",
        ),
        ("/a/b.c/d", 200, "text/html; charset=utf-8"),
        ("/account/", 200, "text/html; charset=utf-8"),
        ("/config.json", 200, "application/json"),
        ("/missing-asset.js", 404, "application/xml"),
        ("/assets/missing_bg.wasm", 404, "application/xml"),
        ("/favicon.ico", 404, "application/xml"),
    ];
    let paths: Vec<&str> = expectations.iter().map(|(path, _, _)| *path).collect();
    let answers = browser
        .script(&format!(
            "return fetch('/index.html').then((r) => r.text()).then((shell) => \
               Promise.all({}.map((path) => fetch(path).then(async (r) => ({{ path, \
                 status: r.status, type: r.headers.get('content-type'), \
                 nosniff: r.headers.get('x-content-type-options'), \
                 app: (await r.text()) === shell }})))));",
            json!(paths)
        ))
        .await?;
    for (path, status, content_type) in expectations {
        let answer = answers
            .as_array()
            .and_then(|answers| answers.iter().find(|answer| answer["path"] == path))
            .with_context(|| format!("no answer for {path}: {answers}"))?;
        ensure!(
            answer["status"] == status
                && answer["type"] == content_type
                && answer["app"] == (content_type == "text/html; charset=utf-8")
                && answer["nosniff"] == "nosniff",
            "CloudFront's answer for {path}, expected {status} {content_type}: {answer}"
        );
    }
    Ok(())
}

/// Check 5: A re-run keeps the stack and its settings, changes no resource of an unchanged build,
/// and the user still signs in.
fn check_rerun(
    aws: &EmulatedAws,
    before: &StackView,
    after: &StackView,
    printed: &str,
) -> Result<()> {
    ensure!(
        after.outputs == before.outputs,
        "the outputs changed:\nbefore {:?}\nafter  {:?}",
        before.outputs,
        after.outputs
    );
    ensure!(
        after.parameters == before.parameters,
        "the parameters changed (LocalDevOrigin must be kept though not named):\nbefore {:?}\nafter  {:?}",
        before.parameters,
        after.parameters
    );
    if !printed.contains("No changes to deploy") {
        bail!("the re-run of an unchanged build changed the stack:\n{printed}");
    }
    let user = aws.json(&[
        "cognito-idp",
        "admin-get-user",
        "--user-pool-id",
        after.output("UserPoolId")?,
        "--username",
        USERNAME,
    ])?;
    ensure!(
        user.get("UserStatus") == Some(&json!("CONFIRMED")),
        "{user}"
    );
    Ok(())
}

/// The emulator is gone once its guard drops (as when a test fails or panics half-way), and it
/// never listened beyond loopback.
#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_listens_on_loopback_only_and_stops_with_its_guard() -> Result<()> {
    let emulator = Ministack::start()?;
    let health = format!("{}/_ministack/health", emulator.endpoint_url());
    let answer = reqwest::get(&health).await?;
    ensure!(answer.status() == 200, "{health}: {}", answer.status());
    let listening = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    for port in [
        emulator
            .endpoint_url()
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .parse::<u16>()?,
        emulator.https_port(),
    ] {
        // /proc/net/tcp: local address as hex `0100007F:PORT` for 127.0.0.1, state 0A = LISTEN.
        let local = format!(":{port:04X} ");
        let bound: Vec<&str> = listening
            .lines()
            .filter(|line| line.contains(&local) && line.split_whitespace().nth(3) == Some("0A"))
            .filter_map(|line| line.split_whitespace().nth(1))
            .collect();
        ensure!(
            !bound.is_empty() && bound.iter().all(|address| address.starts_with("0100007F:")),
            "port {port} listens on {bound:?}, not 127.0.0.1 alone"
        );
    }
    drop(emulator);
    ensure!(
        reqwest::get(&health).await.is_err(),
        "{health} still answers after the guard dropped"
    );
    Ok(())
}
