//! The benchmark report behind `cargo xtask bench`.

fn main() {}
