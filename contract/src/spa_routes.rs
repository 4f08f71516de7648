//! Which requests get the SPA's index.html: one rule for every server of the built SPA.

/// Whether a request for `path` is for one of the SPA's routes, which a server of the SPA answers
/// with index.html (the app then shows the page, or its own not-found page), rather than for a
/// file, which it serves as it is or answers 404.
///
/// The rule: a path names a file when its last segment (after the last `/`) contains a dot,
/// written or percent-encoded (`%2E`, as servers decode it before looking for the file); any
/// other path is a route. So `/`, `/profile`, `/callback`, `/profile/` and `/a/b.c/d` are
/// routes; `/config.json`, `/favicon.ico`, `/assets/app-1a2b_bg.wasm` and `/.env` are files.
/// A missing file is then a real 404, never an HTML page with 200.
///
/// `path` is the path as it was sent, without the query string: CloudFront's `request.uri`, or
/// `Uri::path()`. The SPA's own routes (src/routes.rs) have no dot in their last segment; a test
/// there holds them to this.
///
/// Both servers apply it: devstack (devstack/src/spa.rs) and, on AWS, the CloudFront Function of
/// infra/template.yaml (`SpaRoutesFunction`), whose JavaScript devstack/tests/infra_in_step runs
/// under Node against this function.
pub fn is_spa_route(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    let encoded_dot = last.as_bytes().windows(3).any(|window| {
        window[0] == b'%' && window[1] == b'2' && window[2].eq_ignore_ascii_case(&b'e')
    });
    !(last.contains('.') || encoded_dot)
}

#[cfg(test)]
mod tests {
    use super::is_spa_route;

    #[test]
    fn paths_without_a_dot_in_their_last_segment_are_routes() {
        for route in [
            "/",
            "",
            "/profile",
            "/callback",
            "/signed-out",
            "/account",
            "/profile/",
            "/a/b.c/d",
            "/deep/link/",
            "//",
            "/%2F",
            "/caf%C3%A9",
            "/2e",
            "/%2",
        ] {
            assert!(is_spa_route(route), "{route:?} should be a route");
        }
    }

    #[test]
    fn paths_with_a_dot_in_their_last_segment_are_files() {
        for file in [
            "/index.html",
            "/config.json",
            "/favicon.ico",
            "/missing.js",
            "/assets/app-9f8e7d6c_bg.wasm",
            "/.env",
            "/profile.",
            "/app%2Ejs",
            "/app%2ejs",
            "/a/b%2e",
            "/caf\u{e9}.png",
        ] {
            assert!(!is_spa_route(file), "{file:?} should be a file");
        }
    }
}
