//! The OAuth 2.0 + OpenID Connect client: PKCE, the hosted-UI redirects, token validation and the
//! session.
