//! The API Gateway HTTP API side: routes, the JWT authorizer and CORS.
