//! The SPA's Content-Security-Policy: no `'unsafe-inline'`, no `'unsafe-eval'`; Trunk's inline
//! module loader is allowed by its SHA-256. [`inline_script_hashes`] finds the inline scripts of
//! a built index.html as a browser's HTML tokenizer does; [`policy`] writes the header value.
//! devstack serves it, and the deploy passes the same hashes to the template's CloudFront
//! response-headers policy (whose policy text devstack/tests/infra_in_step compares with
//! [`policy`]).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The base64 SHA-256 (without the `'sha256-…'` wrapping) of every inline `<script>` of `html`,
/// in document order, hashed as the browser hashes it: after the parser's newline
/// normalisation. Scripts with a `src` are covered by `'self'`.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    inline_scripts(html)
        .into_iter()
        .map(|script| {
            let text = script.replace("\r\n", "\n").replace('\r', "\n");
            STANDARD.encode(Sha256::digest(text.as_bytes()))
        })
        .collect()
}

/// The policy, with `inline_script_sources` (`'sha256-…'` of each hash, or `trunk serve`'s
/// nonce) in `script-src` and `connect_origins` after `'self'` in `connect-src`.
pub fn policy(inline_script_sources: &[&str], connect_origins: &[&str]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for source in inline_script_sources {
        script_src.push(' ');
        script_src.push_str(source);
    }
    let mut connect_src = String::from("'self'");
    for origin in connect_origins {
        connect_src.push(' ');
        connect_src.push_str(origin);
    }
    format!(
        "default-src 'none'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         connect-src {connect_src}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
    )
}

/// The policy for a built index.html: its inline scripts' hashes in `script-src`.
pub fn policy_for_index(index_html: &str, connect_origins: &[&str]) -> String {
    let sources: Vec<String> = inline_script_hashes(index_html)
        .into_iter()
        .map(|hash| format!("'sha256-{hash}'"))
        .collect();
    let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
    policy(&sources, connect_origins)
}

/// The bodies of `<script>` elements without `src`, as an HTML tokenizer reads script data:
/// from the end of the start tag (a `>` inside a quoted attribute value does not end it) to the
/// first `</script` (case-insensitive). A script left open, with no `</script`, is not one a
/// browser would run, so it is not hashed. Trunk's output has no `<!--` escapes inside
/// scripts, the one case this does not model.
fn inline_scripts(html: &str) -> Vec<&str> {
    let lower = html.to_ascii_lowercase();
    let mut scripts = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<script").map(|i| from + i) {
        let after_name = start + "<script".len();
        // `<scripts>` or `<script-x>` is another element.
        if !lower[after_name..]
            .starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        {
            from = after_name;
            continue;
        }
        let Some(tag_end) = start_tag_end(&lower, after_name) else {
            break;
        };
        let attributes = &lower[after_name..tag_end];
        let body_start = tag_end + 1;
        let Some(body_end) = lower[body_start..].find("</script").map(|i| body_start + i) else {
            break;
        };
        if !has_attribute(attributes, "src") {
            scripts.push(&html[body_start..body_end]);
        }
        from = body_end;
    }
    scripts
}

/// Index of the `>` closing a start tag, skipping quoted attribute values.
fn start_tag_end(html: &str, from: usize) -> Option<usize> {
    let mut quote = None;
    for (i, c) in html[from..].char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(from + i),
            _ => {}
        }
    }
    None
}

/// Whether a start tag's attribute text has the attribute `name` (outside quoted values).
fn has_attribute(attributes: &str, name: &str) -> bool {
    let mut quote = None;
    let mut outside = String::new();
    for c in attributes.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, c) => outside.push(if c == '=' { ' ' } else { c }),
            (Some(_), _) => {}
        }
    }
    outside
        .split(|c: char| c.is_ascii_whitespace() || c == '/')
        .any(|word| word == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(text: &str) -> String {
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    }

    #[test]
    fn the_csp3_example_hashes_as_the_spec_says() {
        // CSP3: `alert('Hello, world.');` hashes to this value.
        assert_eq!(
            inline_script_hashes("<script>alert('Hello, world.');</script>"),
            ["qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng="]
        );
        // `printf 'console.log(1)' | openssl dgst -sha256 -binary | base64`.
        assert_eq!(
            inline_script_hashes("<script>console.log(1)</script>"),
            ["CihokcEcBW4atb/CW/XWsvWwbTjqwQlE9nj9ii5ww5M="]
        );
    }

    #[test]
    fn only_inline_scripts_count_and_their_text_is_hashed_as_the_browser_reads_it() {
        let html = "<!DOCTYPE html><html><head>\n\
            <script src=\"/app-1a2b.js\" type=\"module\"></script>\n\
            <link rel=\"modulepreload\" href=\"/x.js\" data-src=\"y\">\n\
            <SCRIPT type=\"module\" data-note='has src= inside'>import init from '/app.js';\r\ninit();</SCRIPT>\n\
            <scripts>not a script</scripts>\n\
            <script-x>nor this</script-x>\n\
            <script>a\r\nb\rc</script>\n\
            </head></html>";
        assert_eq!(
            inline_script_hashes(html),
            [sha("import init from '/app.js';\ninit();"), sha("a\nb\nc")]
        );
        assert!(inline_script_hashes("<p>no scripts</p>").is_empty());
    }

    #[test]
    fn a_greater_than_sign_in_a_quoted_attribute_does_not_end_the_tag() {
        // The twin in the deploy took `a > b` as the tag's end and hashed `b">code` instead.
        let html = "<script type=\"module\" data-note=\"a > b\">code()</script>";
        assert_eq!(inline_script_hashes(html), [sha("code()")]);
        let single = "<script data-x='>' >code()</script>";
        assert_eq!(inline_script_hashes(single), [sha("code()")]);
    }

    #[test]
    fn a_script_left_open_is_not_hashed() {
        // The twin in the deploy hashed to the end of the file; no browser runs that script
        // with this text, and devstack never allowed it.
        assert!(inline_script_hashes("<script>never closed").is_empty());
        assert_eq!(
            inline_script_hashes("<script>ok()</script><script>open"),
            [sha("ok()")]
        );
        assert!(inline_script_hashes("<script type=\"module\"").is_empty());
    }

    #[test]
    fn minified_html_with_unquoted_attributes_is_read_too() {
        // What Trunk's `minify = "on_release"` writes.
        let html = "<title>x</title><script type=module>import init from '/a.js';</script><link href=/a.css rel=stylesheet>";
        assert_eq!(
            inline_script_hashes(html),
            [sha("import init from '/a.js';")]
        );
        assert!(inline_script_hashes("<script src=/a.js></script>").is_empty());
    }

    #[test]
    fn the_policy_allows_only_what_is_named() {
        let csp = policy_for_index(
            "<script>console.log(1)</script>",
            &["http://localhost:9229", "http://localhost:3000"],
        );
        assert_eq!(
            csp,
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'sha256-CihokcEcBW4atb/CW/XWsvWwbTjqwQlE9nj9ii5ww5M='; \
             style-src 'self'; img-src 'self' data:; connect-src 'self' http://localhost:9229 http://localhost:3000; \
             base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(
            policy(&["'nonce-{{NONCE}}'"], &[]),
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'nonce-{{NONCE}}'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
        );
    }
}
