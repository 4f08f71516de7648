//! Encodings the browser already implements, used instead of crates shipped in the wasm:
//! base64url through `btoa` and `atob`, forms and query strings through `URLSearchParams`.
//! Tested in headless Chromium (`tests/web_encoding.rs`).

use js_sys::Array;
use wasm_bindgen::JsCast;
use web_sys::UrlSearchParams;

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

/// `pairs` as `application/x-www-form-urlencoded` text, for a request body or a query string,
/// written by `URLSearchParams` (spaces as `+`, everything else but `*-._` and letters and
/// digits percent-encoded). `URLSearchParams` exists wherever WebAssembly does; were it to
/// fail, the text would be empty, which every server refuses.
pub fn form(pairs: &[(&str, String)]) -> String {
    UrlSearchParams::new()
        .map(|params| {
            for (name, value) in pairs {
                params.append(name, value);
            }
            String::from(params.to_string())
        })
        .unwrap_or_default()
}

/// The pairs of a query string (`?a=1&b=2`, or without the `?`), in order and decoded by
/// `URLSearchParams`, which leaves a malformed escape as it is, as servers do.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    let Ok(params) = UrlSearchParams::new_with_str(query) else {
        return Vec::new();
    };
    Array::from(&params)
        .iter()
        .map(|pair| {
            let pair = pair.unchecked_into::<Array>();
            let text = |index| pair.get(index).as_string().unwrap_or_default();
            (text(0), text(1))
        })
        .collect()
}
