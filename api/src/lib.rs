//! The Lambda handlers behind the HTTP API.
