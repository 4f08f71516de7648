//! The SPA's Content-Security-Policy: the distribution's response-headers policy against the one
//! devstack serves.

use crate::template::{Differences, single, template, text};

#[test]
fn the_content_security_policy_matches() {
    let template = template();
    let policy = single(&template, "AWS::CloudFront::ResponseHeadersPolicy");
    let csp = &policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
        ["ContentSecurityPolicy"];
    let deployed = text(csp).expect("the CSP is a !Sub string");
    // Name the variable parts alike on both sides, then compare the rest word for word.
    let deployed = deployed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("${ScriptHashes}", "<inline script hashes>")
        .replace(
            "https://${HostedUiDomainPrefix}.auth.${AWS::Region}.amazoncognito.com",
            "<hosted UI>",
        )
        .replace(
            "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}",
            "<issuer>",
        )
        .replace("${ApiConnectSource}", "<API>");

    let index_html = "<!DOCTYPE html><html><head><script type=\"module\">import init from '/app-1a2b.js';</script></head></html>";
    let local = devstack::contract::csp::policy_for_index(
        index_html,
        &["<hosted UI>", "<issuer>", "<API>"],
    );
    let local = local
        .split_whitespace()
        .map(|word| {
            let is_hash =
                word.starts_with("'sha256-") && (word.ends_with('\'') || word.ends_with("';"));
            match (is_hash, word.ends_with(';')) {
                (true, true) => "<inline script hashes>;",
                (true, false) => "<inline script hashes>",
                _ => word,
            }
        })
        .collect::<Vec<_>>()
        .join(" ");

    let mut differences = Differences::default();
    differences.compare("Content-Security-Policy", deployed, local);
    differences.assert_none("Content-Security-Policy");
}
