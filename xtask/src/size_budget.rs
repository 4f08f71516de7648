//! The first load's size budget, checked by `cargo xtask test` on the release build it makes:
//! the whole transfer (every file of `dist/`, gzip -9) may grow at most `slack` bytes over the
//! budget recorded in `xtask/size-budget.toml`. When it does, the failure names the files whose
//! kind grew, so the change that added the bytes is easy to find. Lower the budget when the app
//! gets smaller; raise it only on purpose, with the reason in the commit.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use flate2::{Compression, write::GzEncoder};
use serde::Deserialize;

use crate::cmd::project_root;

/// `xtask/size-budget.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Budget {
    /// Bytes the whole transfer may exceed the sum of `gzip` by.
    slack: u64,
    /// Gzip bytes per kind of file: `wasm`, `js`, `css`, `html`, `other`.
    gzip: BTreeMap<String, u64>,
}

/// One file of the build, gzip -9.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Measured {
    path: String,
    kind: &'static str,
    gzip: u64,
}

fn kind_of(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("wasm") => "wasm",
        Some("js" | "mjs") => "js",
        Some("css") => "css",
        Some("html") => "html",
        _ => "other",
    }
}

fn gzip_len(bytes: &[u8]) -> Result<u64> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len() as u64)
}

fn measure(dist: &Path) -> Result<Vec<Measured>> {
    let mut files = Vec::new();
    let mut pending = vec![dist.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            files.push(Measured {
                path: path
                    .strip_prefix(dist)
                    .unwrap_or(&path)
                    .display()
                    .to_string(),
                kind: kind_of(&path),
                gzip: gzip_len(&bytes)?,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The verdict on `files` against `budget`: `Ok` with a one-line summary, or the reason.
fn judge(budget: &Budget, files: &[Measured]) -> Result<String, String> {
    let total: u64 = files.iter().map(|f| f.gzip).sum();
    let allowed: u64 = budget.gzip.values().sum();
    let summary = format!(
        "first load {:.1} kB gzip, budget {:.1} kB + {:.1} kB slack",
        total as f64 / 1000.0,
        allowed as f64 / 1000.0,
        budget.slack as f64 / 1000.0
    );
    if total <= allowed + budget.slack {
        return Ok(summary);
    }
    let mut grown = Vec::new();
    let kinds: std::collections::BTreeSet<&str> = files.iter().map(|f| f.kind).collect();
    for kind in kinds {
        let measured: u64 = files
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.gzip)
            .sum();
        let budgeted = budget.gzip.get(kind).copied().unwrap_or(0);
        if measured > budgeted {
            let names: Vec<&str> = files
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| f.path.as_str())
                .collect();
            grown.push(format!(
                "{kind} grew by {} bytes to {measured} ({})",
                measured - budgeted,
                names.join(", ")
            ));
        }
    }
    Err(format!(
        "{summary}: over by {} bytes. {}",
        total - allowed - budget.slack,
        grown.join("; ")
    ))
}

/// Checks `dist/` (the release build) against `xtask/size-budget.toml`.
pub fn check(dist: &Path) -> Result<()> {
    let path = project_root().join("xtask/size-budget.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let budget: Budget = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid budget", path.display()))?;
    let files = measure(dist)?;
    if !files.iter().any(|f| f.kind == "wasm") {
        bail!(
            "{} holds no .wasm: build the SPA for release first",
            dist.display()
        );
    }
    match judge(&budget, &files) {
        Ok(summary) => {
            println!("{summary}");
            Ok(())
        }
        Err(reason) => bail!("{reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, kind: &'static str, gzip: u64) -> Measured {
        Measured {
            path: path.into(),
            kind,
            gzip,
        }
    }

    fn budget() -> Budget {
        Budget {
            slack: 100,
            gzip: [("wasm".to_owned(), 1000), ("js".to_owned(), 200)]
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn within_the_budget_and_its_slack_passes() {
        let files = [file("app_bg.wasm", "wasm", 1050), file("app.js", "js", 240)];
        let summary = judge(&budget(), &files).unwrap();
        assert_eq!(
            summary,
            "first load 1.3 kB gzip, budget 1.2 kB + 0.1 kB slack"
        );
    }

    #[test]
    fn growth_past_the_slack_names_what_grew() {
        let files = [
            file("a.wasm", "wasm", 700),
            file("app.js", "js", 150),
            file("new.svg", "other", 20),
            file("z.wasm", "wasm", 590),
        ];
        assert_eq!(
            judge(&budget(), &files).unwrap_err(),
            "first load 1.5 kB gzip, budget 1.2 kB + 0.1 kB slack: over by 160 bytes. other grew \
             by 20 bytes to 20 (new.svg); wasm grew by 290 bytes to 1290 (a.wasm, z.wasm)"
        );
    }

    #[test]
    fn every_file_below_dist_is_measured() {
        let dir = std::env::temp_dir().join(format!("size-budget-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("nested")).unwrap();
        std::fs::write(dir.join("a.wasm"), vec![0u8; 4096]).unwrap();
        std::fs::write(dir.join("nested/b.js"), "let x = 1;").unwrap();
        let files = measure(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!((files[0].path.as_str(), files[0].kind), ("a.wasm", "wasm"));
        assert!(files[0].gzip < 100, "zeros compress: {}", files[0].gzip);
        assert_eq!(files[1].kind, "js");
    }
}
