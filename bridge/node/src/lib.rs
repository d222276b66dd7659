//! pyros-bridge node: the daemon behind the `pyros-bridge` binary (mini-redis layout:
//! `connection` for frames, `cmd` for operations, `server::run(listener, ..., shutdown)`).

pub mod access;
pub mod backend;
mod cmd;
pub mod config;
mod connection;
pub mod listener;
pub mod mock;
mod peer;
pub mod ros;
pub mod selftest;
pub mod server;

pub use server::{Config, run};
