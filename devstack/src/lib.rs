//! devstack: a local stand-in for Amazon Cognito (managed login, OAuth 2.0 endpoints, JWKS) and for
//! an API Gateway HTTP API (routes, JWT authorizer, CORS) that runs the `api` handlers in-process.

pub mod gateway;
