//! pyros-bridge node: the daemon behind the `pyros-bridge` binary (mini-redis layout:
//! `connection` for frames, `cmd` for operations, `server::run(listener, ..., shutdown)`).

// No lock is held across an await: locks are std's (a guard across an await is an error here,
// and makes the future `!Send`); tokio's locks, which this lint cannot see, are not used.
#![deny(clippy::await_holding_lock, clippy::await_holding_refcell_ref)]

pub mod access;
pub mod backend;
mod cmd;
pub mod config;
mod connection;
pub mod listener;
pub mod mock;
mod peer;
pub mod ros;
pub mod server;

pub use server::{Config, run};
