//! Keeps `infra/template.yaml` (what AWS runs) and devstack's embedded default configuration
//! (what runs locally) in step: routes and their authorizers and scopes, the authorizer's
//! audiences, CORS, both app clients (the SPA's: callback and sign-out URL shapes, scopes, token
//! lifetimes, refresh-token rotation and its grace period, auth flows; the command line's:
//! password flows, no OAuth, no rotation), the pool's account settings (self sign-up, MFA,
//! e-mail verification, password policy, temporary passwords, sign-in aliases), the resource
//! server, groups, the Content-Security-Policy, and which paths get index.html (the CloudFront
//! Function, run under Node, against `contract::is_spa_route`). Change one side without the other
//! and the test fails listing every difference.
//!
//! The template is read as YAML with its CloudFormation tags (`!Sub`, `!Ref`, `!If`, ...) kept as
//! tagged values; placeholders like `${Distribution.DomainName}` stay as text. Parameters and
//! conditions are evaluated where a setting depends on them (its default, and each allowed value).

mod api;
mod clients;
mod csp;
mod pool;
mod spa_routes;
mod template;
