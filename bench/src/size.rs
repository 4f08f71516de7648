//! Bundle sizes: every file of a Trunk `dist/`, raw, gzip (level 9) and brotli (quality 11),
//! grouped the way a browser fetches them.

use anyhow::{Context, Result};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// The groups of the size table, in the order shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Html,
    Js,
    Wasm,
    Css,
    /// Everything else (config.json, icons): fetched too, so counted in the total.
    Other,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Html, Kind::Js, Kind::Wasm, Kind::Css, Kind::Other];

    fn of(path: &Path) -> Kind {
        match path.extension().and_then(|e| e.to_str()) {
            Some("html") => Kind::Html,
            Some("js" | "mjs") => Kind::Js,
            Some("wasm") => Kind::Wasm,
            Some("css") => Kind::Css,
            _ => Kind::Other,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Html => "index.html",
            Kind::Js => "JS",
            Kind::Wasm => "wasm",
            Kind::Css => "CSS",
            Kind::Other => "other files",
        }
    }
}

/// Bytes of one file or a group, as stored and as sent compressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Bytes {
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

impl std::ops::Add for Bytes {
    type Output = Bytes;
    fn add(self, other: Bytes) -> Bytes {
        Bytes {
            raw: self.raw + other.raw,
            gzip: self.gzip + other.gzip,
            brotli: self.brotli + other.brotli,
        }
    }
}

impl std::iter::Sum for Bytes {
    fn sum<I: Iterator<Item = Bytes>>(iter: I) -> Bytes {
        iter.fold(Bytes::default(), std::ops::Add::add)
    }
}

/// One file of the build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileSize {
    /// Relative to the dist directory, `/`-separated.
    pub path: String,
    pub kind: Kind,
    pub bytes: Bytes,
    /// For a .wasm file: where its raw bytes go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wasm_sections: Option<WasmSections>,
}

/// Raw bytes of a wasm module by section: what to look at when the wasm is too big.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WasmSections {
    /// Function bodies.
    pub code: u64,
    /// Static data: string literals, tables, panic messages.
    pub data: u64,
    /// Everything else: types, imports, exports, names, custom sections, headers.
    pub other: u64,
}

impl std::ops::Add for WasmSections {
    type Output = WasmSections;
    fn add(self, other: WasmSections) -> WasmSections {
        WasmSections {
            code: self.code + other.code,
            data: self.data + other.data,
            other: self.other + other.other,
        }
    }
}

/// Splits a wasm module into its sections (the binary format: an 8-byte header, then
/// `id: u8, size: LEB128 u32, payload`). `None` if `module` is not a well-formed module.
pub fn wasm_sections(module: &[u8]) -> Option<WasmSections> {
    const CODE: u8 = 10;
    const DATA: u8 = 11;
    let rest = module.strip_prefix(b"\0asm")?;
    let mut at = 4; // the version, after the magic number
    let mut sections = WasmSections {
        other: 8,
        ..WasmSections::default()
    };
    while at < rest.len() {
        let id = rest[at];
        let (size, size_len) = leb128_u32(rest.get(at + 1..)?)?;
        let whole = 1 + size_len as u64 + u64::from(size);
        let payload_end = at + 1 + size_len + usize::try_from(size).ok()?;
        if payload_end > rest.len() {
            return None;
        }
        match id {
            CODE => sections.code += whole,
            DATA => sections.data += whole,
            _ => sections.other += whole,
        }
        at = payload_end;
    }
    Some(sections)
}

/// An unsigned LEB128 number of at most 5 bytes, and how many bytes it took.
fn leb128_u32(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value: u32 = 0;
    for (index, byte) in bytes.iter().take(5).enumerate() {
        value |= u32::from(byte & 0x7f).checked_shl(7 * index as u32)?;
        if byte & 0x80 == 0 {
            return Some((value, index + 1));
        }
    }
    None
}

/// A whole build: its files and the sums per group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildSize {
    pub files: Vec<FileSize>,
}

impl BuildSize {
    /// Measures every file under `dist` (Trunk's staging directory `.stage` excluded).
    pub fn measure(dist: &Path) -> Result<Self> {
        let mut files = Vec::new();
        collect(dist, dist, &mut files)?;
        if !files.iter().any(|file| file.kind == Kind::Wasm) {
            anyhow::bail!(
                "{} has no .wasm file: is it a finished Trunk build?",
                dist.display()
            );
        }
        files.sort_by(|a, b| (a.kind, &a.path).cmp(&(b.kind, &b.path)));
        Ok(Self { files })
    }

    pub fn of_kind(&self, kind: Kind) -> Bytes {
        self.files
            .iter()
            .filter(|file| file.kind == kind)
            .map(|file| file.bytes)
            .sum()
    }

    pub fn total(&self) -> Bytes {
        self.files.iter().map(|file| file.bytes).sum()
    }

    /// The sections of all its wasm modules together.
    pub fn wasm_sections(&self) -> WasmSections {
        self.files
            .iter()
            .filter_map(|file| file.wasm_sections)
            .fold(WasmSections::default(), std::ops::Add::add)
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<FileSize>) -> Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            if path.file_name().and_then(|n| n.to_str()) != Some(".stage") {
                collect(root, &path, files)?;
            }
            continue;
        }
        let content =
            std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let relative = path.strip_prefix(root).unwrap_or(&path);
        let kind = Kind::of(&path);
        files.push(FileSize {
            path: relative.to_string_lossy().replace('\\', "/"),
            kind,
            bytes: compressed_sizes(&content)?,
            wasm_sections: (kind == Kind::Wasm)
                .then(|| wasm_sections(&content))
                .flatten(),
        });
    }
    Ok(())
}

/// Raw, gzip -9 and brotli -q 11 (window 22, the `brotli` CLI's default) sizes of `content`.
pub fn compressed_sizes(content: &[u8]) -> Result<Bytes> {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(content)?;
    let gzip = gzip.finish()?;
    let mut brotli = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut brotli, 64 * 1024, 11, 22);
        writer.write_all(content)?;
        writer.flush()?;
    }
    Ok(Bytes {
        raw: content.len() as u64,
        gzip: gzip.len() as u64,
        brotli: brotli.len() as u64,
    })
}

/// Bytes as kB (1 kB = 1000 bytes), one decimal.
pub fn kb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn compressed_sizes_round_trip() {
        let content = "<p>hello, hello, hello</p>\n".repeat(200);
        let bytes = compressed_sizes(content.as_bytes()).expect("compress");
        assert_eq!(bytes.raw, content.len() as u64);
        assert!(bytes.gzip < bytes.raw / 10, "{bytes:?}");
        assert!(bytes.brotli < bytes.raw / 10, "{bytes:?}");

        // The gzip size is of a real gzip stream of the content.
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(content.as_bytes()).expect("write");
        let stream = encoder.finish().expect("finish");
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&stream[..])
            .read_to_string(&mut decoded)
            .expect("gunzip");
        assert_eq!(decoded, content);
    }

    #[test]
    fn groups_and_totals_add_up() {
        let dir = std::env::temp_dir().join(format!("bench-size-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".stage")).expect("mkdir");
        std::fs::create_dir_all(dir.join("assets")).expect("mkdir");
        let write =
            |name: &str, content: &[u8]| std::fs::write(dir.join(name), content).expect("write");
        write("index.html", b"<!doctype html><title>x</title>");
        write("app-1a2b.js", &b"export function f(){}\n".repeat(50));
        write("app-1a2b_bg.wasm", &[0, 97, 115, 109, 1, 0, 0, 0]);
        write("assets/second.wasm", &[7; 300]);
        write("style-9f.css", b"body{margin:0}");
        write("config.json", b"{}");
        write(".stage/ignored.wasm", &[1; 1000]);

        let build = BuildSize::measure(&dir).expect("measure");
        std::fs::remove_dir_all(&dir).expect("clean up");

        assert_eq!(build.files.len(), 6, "{:?}", build.files);
        assert_eq!(build.of_kind(Kind::Wasm).raw, 8 + 300);
        assert_eq!(build.of_kind(Kind::Js).raw, 22 * 50);
        assert_eq!(build.of_kind(Kind::Other).raw, 2);
        let by_kind: Bytes = Kind::ALL.iter().map(|&kind| build.of_kind(kind)).sum();
        assert_eq!(by_kind, build.total());
        assert_eq!(
            build.total().raw,
            31 + 22 * 50 + 8 + 300 + 14 + 2,
            "the staging directory is not counted"
        );
        assert!(build.files.iter().any(|f| f.path == "assets/second.wasm"));
    }

    #[test]
    fn a_build_without_wasm_is_refused() {
        let dir = std::env::temp_dir().join(format!("bench-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let error = BuildSize::measure(&dir).expect_err("no wasm");
        std::fs::remove_dir_all(&dir).expect("clean up");
        assert!(error.to_string().contains("no .wasm file"), "{error}");
    }

    #[test]
    fn wasm_sections_are_told_apart() {
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        module.extend([1, 4, 1, 0x60, 0, 0]); // type section, 4 bytes
        module.extend([10, 0x82, 0x01]); // code section, 130 bytes (two-byte LEB128)
        module.extend([0; 130]);
        module.extend([11, 3, 1, 2, 3]); // data section, 3 bytes
        let sections = wasm_sections(&module).expect("well-formed");
        assert_eq!(
            sections,
            WasmSections {
                code: 1 + 2 + 130,
                data: 1 + 1 + 3,
                other: 8 + 1 + 1 + 4,
            }
        );
        assert_eq!(
            sections.code + sections.data + sections.other,
            module.len() as u64
        );

        assert_eq!(wasm_sections(b"not wasm"), None);
        let truncated = &module[..module.len() - 1];
        assert_eq!(
            wasm_sections(truncated),
            None,
            "a section runs past the end"
        );
    }

    #[test]
    fn kilobytes_are_thousands() {
        assert_eq!(kb(130_000), "130.0");
        assert_eq!(kb(1_249), "1.2");
    }
}
