//! The benchmark report behind `cargo xtask bench` (which builds what this measures, then runs
//! it): bundle sizes against a plain Leptos floor, the first load over a slow link, sign-in in
//! headless Chromium, and the stand-in under bounded load. Prints the report as Markdown and writes it, with a JSON copy,
//! to `--out`.

mod first_load;
mod load;
mod oauth;
mod report;
mod signin;
mod size;
mod stack;
mod stats;

use anyhow::{Context, Result};
use clap::Parser;
use report::{
    FirstLoad, FirstLoadReport, Report, Settings, SignInPath, SignInReport, SizeReport,
    StandInReport, Throughput,
};
use signin::{SignInBench, SignInSample};
use size::BuildSize;
use stack::{Devstack, Logging, loopback};
use stats::{Summary, percentile};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Parser)]
struct Args {
    /// The SPA's release build (Trunk's dist/).
    #[arg(long)]
    dist: PathBuf,
    /// The SPA's release build without the Account security page (`--no-default-features`).
    #[arg(long)]
    without_account_dist: PathBuf,
    /// The opt-in `cargo xtask build --smallest` (the standard library rebuilt for size).
    #[arg(long)]
    smallest_dist: PathBuf,
    /// The floor's release build: a plain Leptos + leptos_router hello page.
    #[arg(long)]
    floor_dist: PathBuf,
    /// The devstack binary (built with `--profile server`).
    #[arg(long)]
    devstack: PathBuf,
    /// Where report.md and report.json go.
    #[arg(long)]
    out: PathBuf,
    /// Fewer and shorter runs, to try the benchmark out (figures are rougher).
    #[arg(long)]
    quick: bool,
}

#[tokio::main]
async fn main() {
    if let Err(error) = run(Args::parse()).await {
        eprintln!("bench: {error:#}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let settings = if args.quick {
        Settings::quick()
    } else {
        Settings::full()
    };

    println!("bench: sizes");
    let size = SizeReport {
        app: BuildSize::measure(&args.dist)?,
        without_account_page: BuildSize::measure(&args.without_account_dist)?,
        smallest: BuildSize::measure(&args.smallest_dist)?,
        floor: BuildSize::measure(&args.floor_dist)?,
    };

    println!("bench: the first load over a slow link");
    let first_load = first_load(&args, &settings).await?;

    println!("bench: sign-in in headless Chromium");
    let sign_in = sign_in(&args, &settings).await?;

    println!("bench: the stand-in under load");
    let stand_in = stand_in(&args, &settings).await?;

    let report = Report {
        settings,
        size,
        first_load,
        sign_in,
        stand_in,
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let markdown = report.to_markdown();
    let md_path = args.out.join("report.md");
    let json_path = args.out.join("report.json");
    std::fs::write(&md_path, &markdown)
        .with_context(|| format!("writing {}", md_path.display()))?;
    std::fs::write(&json_path, report.to_json()?)
        .with_context(|| format!("writing {}", json_path.display()))?;
    println!("\n{markdown}");
    println!("written: {} and {}", md_path.display(), json_path.display());
    Ok(())
}

fn summarise(what: &str, values: &[f64]) -> Result<Summary> {
    Summary::of(values).with_context(|| format!("no figures for {what}"))
}

fn http_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// Cold loads of the app's home page and of the floor, alternating which goes first so that a
/// drift over time hits both alike.
async fn first_load(args: &Args, settings: &Settings) -> Result<FirstLoadReport> {
    let staging = args.out.join("first-load");
    let app = first_load::StaticSite::serve(&args.dist, &staging.join("app")).await?;
    let floor = first_load::StaticSite::serve(&args.floor_dist, &staging.join("floor")).await?;
    let link = first_load::SLOW_LINK;
    let (mut app_loads, mut floor_loads) = (Vec::new(), Vec::new());
    for run in 0..settings.first_load_runs {
        println!("  cold loads {} of {}", run + 1, settings.first_load_runs);
        let load_app = || first_load::cold_load(&app.url, link, first_load::APP_SIGN_IN);
        let load_floor = || first_load::cold_load(&floor.url, link, first_load::FLOOR_HEADING);
        if run % 2 == 0 {
            app_loads.push(load_app().await?);
            floor_loads.push(load_floor().await?);
        } else {
            floor_loads.push(load_floor().await?);
            app_loads.push(load_app().await?);
        }
    }
    let ratios: Vec<f64> = app_loads
        .iter()
        .zip(&floor_loads)
        .map(|(app, floor)| app.usable_ms / floor.usable_ms)
        .collect();
    let summary = |usable: first_load::Usable, loads: &[first_load::Sample]| -> Result<FirstLoad> {
        let times: Vec<f64> = loads.iter().map(|load| load.usable_ms).collect();
        let bytes: Vec<f64> = loads.iter().map(|load| load.transferred_bytes).collect();
        Ok(FirstLoad {
            usable: usable.what,
            usable_ms: summarise(usable.what, &times)?,
            transferred_bytes: summarise(usable.what, &bytes)?,
        })
    };
    Ok(FirstLoadReport {
        link,
        app: summary(first_load::APP_SIGN_IN, &app_loads)?,
        floor: summary(first_load::FLOOR_HEADING, &floor_loads)?,
        app_over_floor: summarise("the app over the floor", &ratios)?,
    })
}

async fn sign_in(args: &Args, settings: &Settings) -> Result<SignInReport> {
    let mut stack = Devstack::start(&args.devstack, &args.dist, Logging::Requests).await?;
    let mut bench = SignInBench::start(&mut stack).await?;
    let mut form = Vec::new();
    let mut session = Vec::new();
    for run in 0..settings.sign_in_runs {
        println!("  sign-in run {} of {}", run + 1, settings.sign_in_runs);
        form.push(bench.sign_in(signin::Path::Form).await?);
        session.push(bench.sign_in(signin::Path::Session).await?);
    }
    let preflights = bench.preflights(settings.warm_rounds).await?;
    bench.close().await?;
    let origins = [
        ("spa", stack.spa_url.clone()),
        ("cognito", stack.cognito_url.clone()),
        ("api", stack.api_url.clone()),
    ];
    stack.stop().await?;

    let example_requests = match session.last() {
        Some(sample) => std::iter::once("spa /callback (navigation)".to_owned())
            .chain(
                sample
                    .resources
                    .iter()
                    .map(|resource| describe_url(&resource.url, &origins)),
            )
            .collect(),
        None => Vec::new(),
    };
    Ok(SignInReport {
        form: sign_in_path("sign-in through the form", &form)?,
        session: sign_in_path("returning sign-in", &session)?,
        example_requests,
        preflights,
    })
}

/// `spa /index-1a2b.js`: the origin's role and the path, never the query.
fn describe_url(url: &str, origins: &[(&str, url::Url)]) -> String {
    let Ok(url) = url::Url::parse(url) else {
        return "(unreadable URL)".to_owned();
    };
    let role = origins
        .iter()
        .find(|(_, origin)| origin.origin() == url.origin())
        .map_or("other", |(role, _)| role);
    format!("{role} {}", url.path())
}

fn sign_in_path(what: &str, samples: &[SignInSample]) -> Result<SignInPath> {
    let signed_in: Vec<f64> = samples.iter().map(|s| s.signed_in_ms).collect();
    let document: Vec<f64> = samples.iter().filter_map(|s| s.response_end_ms).collect();
    let requests: Vec<f64> = samples.iter().map(|s| s.requests() as f64).collect();
    Ok(SignInPath {
        signed_in_ms: summarise(what, &signed_in)?,
        document_ms: Summary::of(&document),
        requests: summarise(what, &requests)?,
    })
}

/// Requests/s and the p50 and p99 latency of each run, summarised over the runs.
fn throughput(what: &str, runs: &[load::Run]) -> Result<Throughput> {
    let per_second: Vec<f64> = runs.iter().map(load::Run::per_second).collect();
    let quantile = |p: f64| -> Vec<f64> {
        runs.iter()
            .filter_map(|run| percentile(&run.latencies_ms, p))
            .collect()
    };
    Ok(Throughput {
        per_second: summarise(what, &per_second)?,
        p50_ms: summarise(what, &quantile(50.0))?,
        p99_ms: summarise(what, &quantile(99.0))?,
    })
}

async fn stand_in(args: &Args, settings: &Settings) -> Result<StandInReport> {
    let stack = Devstack::start(&args.devstack, &args.dist, Logging::Quiet).await?;
    let client = http_client()?;
    let spa = stack.spa_config(&client).await?;
    let origin = stack.spa_url.origin().ascii_serialization();
    let flow = Arc::new(
        oauth::CodeFlow::sign_in(
            client.clone(),
            &stack.cognito_url,
            spa,
            e2e::DEMO.username,
            e2e::DEMO.password,
        )
        .await?,
    );
    let access_token = flow.exchange(&flow.code(0).await?).await?;

    let open_url = loopback(&stack.api_url.join("open")?)?;
    let hello_url = loopback(&stack.api_url.join("hello")?)?;
    // As the SPA sends them: from its origin, the protected one with the bearer token.
    let open = {
        let (client, url, origin) = (client.clone(), open_url, origin.clone());
        move || {
            let request = client.get(url.clone()).header("origin", origin.as_str());
            async move { drain(request).await }
        }
    };
    let hello = {
        let (client, url) = (client.clone(), hello_url);
        let authorization = format!("Bearer {access_token}");
        move || {
            let request = client
                .get(url.clone())
                .header("origin", origin.as_str())
                .header("authorization", authorization.as_str());
            async move { drain(request).await }
        }
    };

    let duration = Duration::from_secs_f64(settings.load_seconds);
    let concurrency = settings.concurrency;
    // Warm-up (connections, caches), not counted.
    load::for_duration(concurrency, Duration::from_millis(500), open.clone()).await?;
    load::for_duration(concurrency, Duration::from_millis(500), hello.clone()).await?;
    let mut open_runs = Vec::new();
    let mut hello_runs = Vec::new();
    for run in 0..settings.load_runs {
        println!("  load run {} of {}", run + 1, settings.load_runs);
        // Alternate which route goes first, so a drift over time hits both alike.
        if run % 2 == 0 {
            open_runs.push(load::for_duration(concurrency, duration, open.clone()).await?);
            hello_runs.push(load::for_duration(concurrency, duration, hello.clone()).await?);
        } else {
            hello_runs.push(load::for_duration(concurrency, duration, hello.clone()).await?);
            open_runs.push(load::for_duration(concurrency, duration, open.clone()).await?);
        }
    }
    let shares: Vec<f64> = open_runs
        .iter()
        .zip(&hello_runs)
        .map(|(open, hello)| hello.per_second() / open.per_second())
        .collect();

    let mut exchange_runs = Vec::new();
    for run in 0..settings.load_runs {
        println!("  token endpoint run {} of {}", run + 1, settings.load_runs);
        let mut codes = Vec::with_capacity(settings.codes_per_run);
        for index in 0..settings.codes_per_run {
            codes.push(flow.code(index).await?);
        }
        let codes = Arc::new(codes);
        let flow = flow.clone();
        exchange_runs.push(
            load::for_count(concurrency, settings.codes_per_run, move |index| {
                let (flow, codes) = (flow.clone(), codes.clone());
                async move {
                    let code = codes.get(index).context("no such code")?;
                    flow.exchange(code).await.map(drop)
                }
            })
            .await?,
        );
    }
    stack.stop().await?;

    Ok(StandInReport {
        open: throughput("GET /open", &open_runs)?,
        protected: throughput("GET /hello", &hello_runs)?,
        protected_share: summarise("the protected share", &shares)?,
        code_exchange: throughput("code exchanges", &exchange_runs)?,
    })
}

/// Sends the request and reads the whole body; anything but 200 fails the run.
async fn drain(request: reqwest::RequestBuilder) -> Result<()> {
    let response = load::expect_status(request, reqwest::StatusCode::OK).await?;
    response.bytes().await?;
    Ok(())
}
