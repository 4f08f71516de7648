//! The report as Markdown: the targets, then a section per measurement.

use super::{Report, signed_kb};
use crate::size::{Bytes, Kind, kb};
use std::fmt::Write;

impl Report {
    pub fn to_markdown(&self) -> String {
        let mut md = String::from("# Benchmark report\n\n");
        self.targets_section(&mut md);
        self.size_section(&mut md);
        self.account_page_section(&mut md);
        self.first_load_section(&mut md);
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
        let smallest = self.size.smallest.total();
        let _ = writeln!(
            md,
            "\nThe opt-in `cargo xtask build --smallest` (standard library rebuilt, panics abort \
             at once; nightly features on the stable compiler) is {} kB gzip, {} kB brotli: {} kB \
             gzip less than the default build.",
            kb(smallest.gzip),
            kb(smallest.brotli),
            signed_kb(app.total().gzip as i64 - smallest.gzip as i64)
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

    fn account_page_section(&self, md: &mut String) {
        let (app, without) = (&self.size.app, &self.size.without_account_page);
        md.push_str(
            "## What the Account security page costs\n\n\
             The same app built without it (`--no-default-features`: no /account route, header \
             link or page code), in the same run.\n\n\
             | | with, gzip | without, gzip | the page, gzip | with, brotli | without, brotli |\n\
             |---|---:|---:|---:|---:|---:|\n",
        );
        let row = |md: &mut String, label: &str, a: Bytes, w: Bytes| {
            let _ = writeln!(
                md,
                "| {label} | {} | {} | {} | {} | {} |",
                kb(a.gzip),
                kb(w.gzip),
                signed_kb(a.gzip as i64 - w.gzip as i64),
                kb(a.brotli),
                kb(w.brotli)
            );
        };
        for kind in Kind::ALL {
            let (a, w) = (app.of_kind(kind), without.of_kind(kind));
            if a.raw > 0 || w.raw > 0 {
                row(md, kind.label(), a, w);
            }
        }
        row(md, "**total**", app.total(), without.total());
        md.push('\n');
    }

    fn first_load_section(&self, md: &mut String) {
        let first = &self.first_load;
        let link = first.link;
        let _ = write!(
            md,
            "## First load on a slow link (headless Chromium, cold cache, {} loads per build)\n\n\
             Milliseconds from navigation start until the page can be used, over Chromium's network \
             emulation at {} kbit/s down, {} kbit/s up and {} ms added to every request; both \
             builds served by one static server on 127.0.0.1 with every file gzip -9, a fresh \
             browser profile per load, the app and the floor alternating. Median (min–max).\n\n\
             | build | usable when | to usable, ms | bytes over the link, kB |\n\
             |---|---|---:|---:|\n",
            self.settings.first_load_runs, link.download_kbit_s, link.upload_kbit_s, link.rtt_ms
        );
        for (label, load) in [("app", &first.app), ("floor", &first.floor)] {
            let _ = writeln!(
                md,
                "| {label} | {} | {} | {:.1} |",
                load.usable,
                load.usable_ms.display(0),
                load.transferred_bytes.median / 1000.0
            );
        }
        let _ = writeln!(
            md,
            "\nThe app takes {:.2}× the floor's time ({:.2}–{:.2}, per pair of loads).\n",
            first.app_over_floor.median, first.app_over_floor.min, first.app_over_floor.max
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
    use super::super::fixtures::report;

    #[test]
    fn markdown_has_every_section_and_figure() {
        let md = report(180_000, 0, 0.9).to_markdown();
        for needle in [
            "## Targets",
            "| First load without the Account security page, gzip | ≤ 190.0 kB | 168.5 kB | yes |",
            "| What the Account security page adds, gzip | ≤ 15.0 kB | 12.0 kB | yes |",
            "| Sign-in, through the form, median | < 150 ms | 210.0 (189.0–252.0) ms | **no** |",
            "| wasm | 540.0 | 180.0 | 180.0 | 240.0 | 80.0 | 80.0 |",
            "| **total** | 541.0 | 180.5 | 180.4 | 241.0 | 80.5 | 80.4 |",
            "100.0 kB gzip above the floor",
            "is 160.5 kB gzip, 160.4 kB brotli: 20.0 kB gzip less than the default build.",
            "(code / data / the rest, kB): app 360.0 / 90.0 / 90.0, floor 160.0 / 40.0 / 40.0.",
            "| wasm | 180.0 | 168.0 | 12.0 | 180.0 | 168.0 |",
            "at 1600 kbit/s down, 750 kbit/s up and 150 ms",
            "| app | the Sign in button | 2400 (2160–2880) | 190.0 |",
            "| floor | its heading | 1000 (900–1200) | 80.0 |",
            "The app takes 2.40× the floor's time (2.16–2.88, per pair of loads).",
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
}
