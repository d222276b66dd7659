//! Integration tests of bridge-rosmsg against the real oracles: genpy's classes from Debian's
//! python3-*-msgs packages (md5sums, full definitions, wire bytes) and the .msg files in
//! /usr/share.

mod errors;
mod md5;
mod oracle;
mod roundtrip;
mod wire;
