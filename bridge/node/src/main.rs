//! pyros-bridge (being written, issue 5).

fn main() {}
