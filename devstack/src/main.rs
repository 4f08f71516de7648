//! The local stand-in for Cognito and API Gateway.

fn main() {}
