//! The runtime configuration, fetched from `/config.json` at start.
