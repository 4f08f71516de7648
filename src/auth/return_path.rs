//! Where to go after signing in. Only a path on this app's own origin is accepted, so the sign-in
//! flow can never be used as an open redirect (RFC 9700 4.11).

/// Where anything unacceptable goes.
pub const HOME: &str = "/";

/// Returns `raw` if it is a same-origin relative path (`/profile?tab=1#top`), otherwise `"/"`.
///
/// Refused: anything not starting with exactly one `/` (`//evil.example`, `/\evil.example`,
/// `https://evil.example`, `javascript:...`), an empty, `.` or `..` segment in the path (URL
/// resolution can turn those into `//evil.example`), backslashes, whitespace and control
/// characters anywhere, and the same tricks hidden behind percent-encoding
/// (`/%2F%2Fevil.example`, `/%2e//evil.example`, `/%5Cevil.example`, `/%0d%0a...`,
/// double-encoded too).
pub fn sanitize_return_path(raw: &str) -> String {
    if is_safe(raw) {
        raw.to_owned()
    } else {
        HOME.to_owned()
    }
}

fn is_safe(raw: &str) -> bool {
    const MAX_LENGTH: usize = 2048;
    if raw.len() > MAX_LENGTH || !raw.starts_with('/') {
        return false;
    }
    // Decode repeatedly (bounded) so that `%252F` cannot hide a `/` from the checks below.
    let mut text = raw.to_owned();
    for _ in 0..4 {
        if !looks_safe(&text) {
            return false;
        }
        let decoded = percent_decode(&text);
        if decoded == text {
            // A single leading `/`, and no `\`, whitespace or control character at any depth of
            // encoding: a path-absolute URL in WHATWG terms, which stays on the app's origin.
            return true;
        }
        text = decoded;
    }
    false
}

fn looks_safe(text: &str) -> bool {
    // The path part is what URL resolution rewrites: `/.//evil.example` resolves to the path
    // `//evil.example`, which the browser then reads as another host.
    let path = text.split(['?', '#']).next().unwrap_or_default();
    text.starts_with('/')
        && !path.contains("//")
        && !path
            .split('/')
            .any(|segment| segment == "." || segment == "..")
        && !text
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

fn percent_decode(text: &str) -> String {
    // Invalid UTF-8 becomes U+FFFD, which is then harmless text.
    String::from_utf8_lossy(&percent_decode_bytes(text)).into_owned()
}

/// Percent-decoding of a path (a `+` stays a `+`, unlike form decoding).
fn percent_decode_bytes(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_paths_are_kept() {
        for good in [
            "/",
            "/profile",
            "/api?route=hello&x=1#result",
            "/a/b/c",
            "/users/%C3%A9",
            "/a+b",
            "/x:y",
        ] {
            assert_eq!(sanitize_return_path(good), good, "{good}");
        }
    }

    #[test]
    fn other_origins_and_schemes_go_home() {
        for bad in [
            "",
            "profile",
            "//evil.example",
            "//evil.example/path",
            "///evil.example",
            "https://evil.example",
            "http:evil.example",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,hi",
            "/\\evil.example",
            "\\\\evil.example",
            "/\\/evil.example",
            " /profile",
            "/profile\n",
            "/\t/evil.example",
            "/pro\u{0}file",
            "/\u{2028}evil",
        ] {
            assert_eq!(sanitize_return_path(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn encoded_tricks_go_home() {
        for bad in [
            "/%2F%2Fevil.example",
            "/%2fevil.example",
            "%2F%2Fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%252F%252Fevil.example",
            "/%25252Fevil.example",
            "/%0d%0aSet-Cookie:x",
            "/%09/evil.example",
            "/%00",
            "/%2e//evil.example",
            "/%252e//evil.example",
        ] {
            assert_eq!(sanitize_return_path(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn dot_segments_and_empty_segments_go_home() {
        // The first three resolve to the path `//evil.example`, which a browser reads as a host.
        for bad in [
            "/.//evil.example",
            "/..//evil.example",
            "/a/..//evil.example",
            "/a//b",
            "/./profile",
            "/profile/..",
        ] {
            assert_eq!(sanitize_return_path(bad), "/", "{bad:?}");
        }
        // Outside the path, `//` and dots are just text.
        for good in [
            "/api?next=//x",
            "/api#//x",
            "/a.b/c..d?x=..",
            "/profile?x=.",
        ] {
            assert_eq!(sanitize_return_path(good), good, "{good:?}");
        }
    }

    #[test]
    fn very_long_paths_go_home() {
        assert_eq!(sanitize_return_path(&format!("/{}", "a".repeat(5000))), "/");
    }
}
