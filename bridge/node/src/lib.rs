//! pyros-bridge node: the daemon behind the `pyros-bridge` binary (mini-redis layout:
//! `connection` for frames, `cmd` for operations, `server::run(listener, ..., shutdown)`).

pub mod access;
mod cmd;
mod connection;
pub mod mock;
pub mod selftest;
pub mod server;

pub use server::{Config, run};
