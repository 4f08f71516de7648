//! The report: figures, the targets they are held against, and its Markdown rendering
//! (the JSON copy is the same structure, serialised).

use crate::signin::Preflights;
use crate::size::{BuildSize, Kind, kb};
use crate::stats::Summary;
use serde::Serialize;
use std::fmt::Write;

/// The whole app, all files of `dist/`, gzip: at most this many bytes.
pub const SIZE_TARGET_GZIP_BYTES: u64 = 130_000;
/// Median sign-in, navigation start of the callback to the signed-in view: under this.
pub const SIGN_IN_TARGET_MS: f64 = 150.0;
/// The protected route keeps at least this share of the open route's throughput.
pub const PROTECTED_SHARE_TARGET: f64 = 0.80;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub settings: Settings,
    pub size: SizeReport,
    pub sign_in: SignInReport,
    pub stand_in: StandInReport,
}

/// How the figures were taken.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Sign-ins per path.
    pub sign_in_runs: usize,
    /// Warm API calls per route button after the cold round.
    pub warm_rounds: usize,
    /// Load runs per route (interleaved, alternating which goes first).
    pub load_runs: usize,
    pub load_seconds: f64,
    pub concurrency: usize,
    /// Codes exchanged per token-endpoint run.
    pub codes_per_run: usize,
}

impl Settings {
    /// The settings of a full report.
    pub fn full() -> Self {
        Self {
            sign_in_runs: 5,
            warm_rounds: 5,
            load_runs: 5,
            load_seconds: 3.0,
            concurrency: 8,
            codes_per_run: 200,
        }
    }

    /// Fewer and shorter runs (`--quick`), for a first look.
    pub fn quick() -> Self {
        Self {
            sign_in_runs: 2,
            warm_rounds: 2,
            load_runs: 2,
            load_seconds: 1.0,
            codes_per_run: 50,
            ..Self::full()
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SizeReport {
    pub app: BuildSize,
    /// A plain Leptos + leptos_router hello page, built the same way in the same run.
    pub floor: BuildSize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignInReport {
    /// No managed-login session: the hosted UI's form (password check included).
    pub form: SignInPath,
    /// With the managed-login session cookie: authorize redirects straight back.
    pub session: SignInPath,
    /// The requests of the last session sign-in, as `origin-name path`.
    pub example_requests: Vec<String>,
    pub preflights: Preflights,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignInPath {
    /// Navigation start of the callback document to the signed-in view.
    pub signed_in_ms: Summary,
    /// Navigation start to the end of the callback document's response (redirects included).
    pub document_ms: Option<Summary>,
    /// The navigation plus the Resource Timing entries before the signed-in view.
    pub requests: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct StandInReport {
    /// `GET /open`.
    pub open: Throughput,
    /// `GET /hello` with a valid access token.
    pub protected: Throughput,
    /// Per interleaved pair of runs, protected requests/s over open requests/s.
    pub protected_share: Summary,
    /// `POST /oauth2/token`, authorization_code grant.
    pub code_exchange: Throughput,
}

#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub per_second: Summary,
    pub p50_ms: Summary,
    pub p99_ms: Summary,
}

/// One target and whether this run met it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub name: &'static str,
    pub target: String,
    pub measured: String,
    pub met: bool,
}

impl Report {
    pub fn targets(&self) -> Vec<Target> {
        let gzip = self.size.app.total().gzip;
        let preflights = &self.sign_in.preflights;
        let mut targets = vec![Target {
            name: "Whole app, gzip",
            target: format!("≤ {} kB", kb(SIZE_TARGET_GZIP_BYTES)),
            measured: format!("{} kB", kb(gzip)),
            met: gzip <= SIZE_TARGET_GZIP_BYTES,
        }];
        for (name, path) in [
            (
                "Sign-in, returning (session cookie), median",
                &self.sign_in.session,
            ),
            ("Sign-in, through the form, median", &self.sign_in.form),
        ] {
            targets.push(Target {
                name,
                target: format!("< {SIGN_IN_TARGET_MS:.0} ms"),
                measured: format!("{} ms", path.signed_in_ms.display(1)),
                met: path.signed_in_ms.median < SIGN_IN_TARGET_MS,
            });
        }
        targets.push(Target {
            name: "Preflights per API call once warm",
            target: "0".into(),
            measured: format!(
                "{} in {} calls",
                preflights.warm_preflights, preflights.warm_calls
            ),
            met: preflights.warm_calls > 0 && preflights.warm_preflights == 0,
        });
        let share = self.stand_in.protected_share;
        targets.push(Target {
            name: "Protected route throughput / open route",
            target: format!("≥ {:.0}%", PROTECTED_SHARE_TARGET * 100.0),
            measured: format!(
                "{:.0}% ({:.0}–{:.0}%)",
                share.median * 100.0,
                share.min * 100.0,
                share.max * 100.0
            ),
            met: share.median >= PROTECTED_SHARE_TARGET,
        });
        targets
    }

    pub fn to_json(&self) -> serde_json::Result<String> {
        #[derive(Serialize)]
        struct WithTargets<'a> {
            #[serde(flatten)]
            report: &'a Report,
            targets: Vec<Target>,
        }
        serde_json::to_string_pretty(&WithTargets {
            report: self,
            targets: self.targets(),
        })
    }

    pub fn to_markdown(&self) -> String {
        let mut md = String::from("# Benchmark report\n\n");
        self.targets_section(&mut md);
        self.size_section(&mut md);
        self.sign_in_section(&mut md);
        self.stand_in_section(&mut md);
        md
    }

    fn targets_section(&self, md: &mut String) {
        md.push_str("## Targets\n\n| | target | measured | met |\n|---|---|---|---|\n");
        for target in self.targets() {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                target.name,
                target.target,
                target.measured,
                if target.met { "yes" } else { "**no**" }
            );
        }
        md.push('\n');
    }

    fn size_section(&self, md: &mut String) {
        let (app, floor) = (&self.size.app, &self.size.floor);
        md.push_str(
            "## Size of the release build (kB = 1000 bytes)\n\n\
             gzip level 9, brotli quality 11. The floor is a plain Leptos 0.8 + leptos_router hello \
             page built the same way (same profile, wasm-opt -Oz, same Cargo.lock) in this run.\n\n\
             | | app raw | app gzip | app brotli | floor raw | floor gzip | floor brotli |\n\
             |---|---:|---:|---:|---:|---:|---:|\n",
        );
        let row = |md: &mut String, label: &str, a: crate::size::Bytes, f: crate::size::Bytes| {
            let _ = writeln!(
                md,
                "| {label} | {} | {} | {} | {} | {} | {} |",
                kb(a.raw),
                kb(a.gzip),
                kb(a.brotli),
                kb(f.raw),
                kb(f.gzip),
                kb(f.brotli)
            );
        };
        for kind in Kind::ALL {
            let (a, f) = (app.of_kind(kind), floor.of_kind(kind));
            if a.raw > 0 || f.raw > 0 {
                row(md, kind.label(), a, f);
            }
        }
        row(md, "**total**", app.total(), floor.total());
        let (a, f) = (app.wasm_sections(), floor.wasm_sections());
        let _ = writeln!(
            md,
            "\nWhere the raw wasm goes (code / data / the rest, kB): app {} / {} / {}, floor {} / {} / {}.",
            kb(a.code),
            kb(a.data),
            kb(a.other),
            kb(f.code),
            kb(f.data),
            kb(f.other)
        );
        let _ = writeln!(
            md,
            "\nThe app is {} kB gzip above the floor; its files: {}.\n",
            kb(app.total().gzip.saturating_sub(floor.total().gzip)),
            app.files
                .iter()
                .map(|file| format!("`{}`", file.path))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    fn sign_in_section(&self, md: &mut String) {
        let settings = &self.settings;
        let _ = write!(
            md,
            "## Sign-in (headless Chromium, loopback, {} runs per path)\n\n\
             Milliseconds from the callback document's navigation start (the redirect from the \
             hosted UI included) to the signed-in view: median (min–max).\n\n\
             | path | to the signed-in view | callback document received | requests |\n\
             |---|---:|---:|---:|\n",
            settings.sign_in_runs
        );
        for (label, path) in [
            (
                "returning (session cookie: authorize → callback)",
                &self.sign_in.session,
            ),
            ("first (hosted UI form, password check)", &self.sign_in.form),
        ] {
            let _ = writeln!(
                md,
                "| {label} | {} | {} | {} |",
                path.signed_in_ms.display(1),
                path.document_ms
                    .map_or_else(|| "n/a".to_owned(), |s| s.display(1)),
                path.requests.display(0)
            );
        }
        let preflights = &self.sign_in.preflights;
        let _ = write!(
            md,
            "\nRequests of one returning sign-in (the navigation, then Resource Timing): {}.\n\n\
             Preflights (OPTIONS requests the API listener logged) from the API console: \
             {} for the first {} calls (cold cache), {} for the next {} calls (warm).\n\n\
             How: a script added to every new document (DevTools) puts a MutationObserver on the \
             callback document and notes `performance.now()` in the microtask after the DOM change \
             that shows the view (address off `/callback`, header link `a.session-user`): before \
             paint, at the 0.1 ms resolution of `performance.now()`. The moment is read from what the \
             page shows, not from a mark the app would set, so the measurement needs no code in \
             the app.\n\n",
            self.sign_in.example_requests.join(", "),
            preflights.cold_preflights,
            preflights.cold_calls,
            preflights.warm_preflights,
            preflights.warm_calls,
        );
    }

    fn stand_in_section(&self, md: &mut String) {
        let settings = &self.settings;
        let stand_in = &self.stand_in;
        let _ = write!(
            md,
            "## Stand-in under load (devstack, `--profile server`, its own process)\n\n\
             {} runs of {:.1} s per route, interleaved (the first route alternates), {} concurrent \
             keep-alive connections from the bench process on 127.0.0.1, request log off. \
             Median (min–max) over the runs.\n\n\
             | | requests/s | p50 ms | p99 ms |\n|---|---:|---:|---:|\n",
            settings.load_runs, settings.load_seconds, settings.concurrency
        );
        for (label, figures) in [
            ("GET /open", &stand_in.open),
            ("GET /hello (JWT authorizer)", &stand_in.protected),
            (
                "POST /oauth2/token (code exchange)",
                &stand_in.code_exchange,
            ),
        ] {
            let _ = writeln!(
                md,
                "| {label} | {} | {} | {} |",
                figures.per_second.display(0),
                figures.p50_ms.display(2),
                figures.p99_ms.display(2)
            );
        }
        let _ = writeln!(
            md,
            "\nProtected / open throughput per pair of runs: {:.0}% ({:.0}–{:.0}%). Code exchanges: \
             {} codes per run, each obtained first from `/oauth2/authorize` with the managed-login \
             session cookie. The load generator and devstack share the machine's cores.",
            stand_in.protected_share.median * 100.0,
            stand_in.protected_share.min * 100.0,
            stand_in.protected_share.max * 100.0,
            settings.codes_per_run
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::size::{Bytes, FileSize, WasmSections};

    fn summary(median: f64) -> Summary {
        Summary {
            median,
            min: median * 0.9,
            max: median * 1.2,
            runs: 5,
        }
    }

    fn build(wasm_gzip: u64) -> BuildSize {
        BuildSize {
            files: vec![
                FileSize {
                    path: "index.html".into(),
                    kind: Kind::Html,
                    bytes: Bytes {
                        raw: 1_000,
                        gzip: 500,
                        brotli: 400,
                    },
                    wasm_sections: None,
                },
                FileSize {
                    path: "app_bg.wasm".into(),
                    kind: Kind::Wasm,
                    bytes: Bytes {
                        raw: wasm_gzip * 3,
                        gzip: wasm_gzip,
                        brotli: wasm_gzip - 1,
                    },
                    wasm_sections: Some(WasmSections {
                        code: wasm_gzip * 2,
                        data: wasm_gzip / 2,
                        other: wasm_gzip / 2,
                    }),
                },
            ],
        }
    }

    fn sign_in_path(median: f64) -> SignInPath {
        SignInPath {
            signed_in_ms: summary(median),
            document_ms: Some(summary(median / 4.0)),
            requests: summary(7.0),
        }
    }

    fn report(app_wasm_gzip: u64, warm_preflights: usize, share: f64) -> Report {
        Report {
            settings: Settings::full(),
            size: SizeReport {
                app: build(app_wasm_gzip),
                floor: build(80_000),
            },
            sign_in: SignInReport {
                form: sign_in_path(210.0),
                session: sign_in_path(95.5),
                example_requests: vec!["spa /profile".into(), "cognito /oauth2/token".into()],
                preflights: Preflights {
                    cold_calls: 3,
                    cold_preflights: 2,
                    warm_calls: 15,
                    warm_preflights,
                },
            },
            stand_in: StandInReport {
                open: Throughput {
                    per_second: summary(10_000.0),
                    p50_ms: summary(0.7),
                    p99_ms: summary(2.5),
                },
                protected: Throughput {
                    per_second: summary(9_000.0),
                    p50_ms: summary(0.8),
                    p99_ms: summary(2.9),
                },
                protected_share: summary(share),
                code_exchange: Throughput {
                    per_second: summary(400.0),
                    p50_ms: summary(18.0),
                    p99_ms: summary(40.0),
                },
            },
        }
    }

    #[test]
    fn targets_are_judged_on_the_figures() {
        let targets = report(120_000, 0, 0.9).targets();
        let met: Vec<(&str, bool)> = targets.iter().map(|t| (t.name, t.met)).collect();
        assert_eq!(
            met,
            vec![
                ("Whole app, gzip", true),
                ("Sign-in, returning (session cookie), median", true),
                ("Sign-in, through the form, median", false),
                ("Preflights per API call once warm", true),
                ("Protected route throughput / open route", true),
            ]
        );
        assert_eq!(
            targets[0].measured, "120.5 kB",
            "html 500 + wasm 120000 bytes"
        );

        let missed = report(129_501, 1, 0.79).targets();
        assert!(!missed[0].met, "130.001 kB is over 130 kB");
        assert!(!missed[3].met);
        assert!(!missed[4].met);
        assert_eq!(missed[4].measured, "79% (71–95%)");
    }

    #[test]
    fn no_warm_calls_cannot_meet_the_preflight_target() {
        let mut report = report(100_000, 0, 0.9);
        report.sign_in.preflights.warm_calls = 0;
        assert!(!report.targets()[3].met);
    }

    #[test]
    fn markdown_has_every_section_and_figure() {
        let md = report(120_000, 0, 0.9).to_markdown();
        for needle in [
            "## Targets",
            "| Whole app, gzip | ≤ 130.0 kB | 120.5 kB | yes |",
            "| Sign-in, through the form, median | < 150 ms | 210.0 (189.0–252.0) ms | **no** |",
            "| wasm | 360.0 | 120.0 | 120.0 | 240.0 | 80.0 | 80.0 |",
            "| **total** | 361.0 | 120.5 | 120.4 | 241.0 | 80.5 | 80.4 |",
            "40.0 kB gzip above the floor",
            "(code / data / the rest, kB): app 240.0 / 60.0 / 60.0, floor 160.0 / 40.0 / 40.0.",
            "(code / data / the rest, kB): app 240.0 / 60.0 / 60.0, floor 160.0 / 40.0 / 40.0.",
            "| GET /hello (JWT authorizer) | 9000 (8100–10800) | 0.80 (0.72–0.96) | 2.90 (2.61–3.48) |",
            "2 for the first 3 calls (cold cache), 0 for the next 15 calls (warm)",
            "spa /profile, cognito /oauth2/token",
        ] {
            assert!(md.contains(needle), "missing {needle:?} in:\n{md}");
        }
        assert!(
            !md.contains("| CSS |"),
            "groups absent from both builds are left out"
        );
    }

    #[test]
    fn json_copy_carries_figures_and_targets() {
        let json: serde_json::Value =
            serde_json::from_str(&report(120_000, 0, 0.9).to_json().expect("json")).expect("parse");
        assert_eq!(json["stand_in"]["open"]["per_second"]["median"], 10_000.0);
        assert_eq!(json["size"]["app"]["files"][1]["kind"], "wasm");
        assert_eq!(json["targets"].as_array().map(Vec::len), Some(5));
        assert_eq!(json["targets"][0]["met"], true);
    }
}
