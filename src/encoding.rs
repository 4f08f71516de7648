//! Encodings the browser already implements, used instead of crates shipped in the wasm:
//! base64url through `btoa` and `atob`. Tested in headless Chromium (`tests/web_encoding.rs`).

/// `bytes` in base64url without padding (RFC 4648 5), as JWTs and PKCE write it; `None` only
/// where there is no `window` (`btoa` cannot fail on a binary string).
pub fn base64url(bytes: &[u8]) -> Option<String> {
    // `btoa` reads each UTF-16 code unit as one byte: the bytes as the characters U+0000..U+00FF.
    let binary: String = bytes.iter().copied().map(char::from).collect();
    let standard = web_sys::window()?.btoa(&binary).ok()?;
    Some(
        standard
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_"),
    )
}

/// The bytes of `text`, base64url without padding, strictly: `None` for anything else,
/// padding, white space, the `+` and `/` of plain base64 and leftover bits that are not zero
/// included (`atob` forgives those; a JWT must not have them, RFC 7515 2).
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let binary = web_sys::window()?
        .atob(&text.replace('-', "+").replace('_', "/"))
        .ok()?;
    let bytes = binary
        .chars()
        .map(|c| u8::try_from(c).ok())
        .collect::<Option<Vec<u8>>>()?;
    // Every text that is not the canonical encoding of its bytes differs from it.
    (base64url(&bytes)? == text).then_some(bytes)
}
