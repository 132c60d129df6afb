//! The command line: the real binary run to the end (or killed) against a real HTTP server on
//! 127.0.0.1, checked by what it prints, its exit code and what it stores. One test binary, one
//! module per subject; the console's tests are in `tests/console/`.

#[path = "../common/mod.rs"]
mod common;

mod crash;
mod faults;
mod harness_server;
mod hostile;
mod hostile_corpus;
mod people;
mod poll;
mod postgres;
mod query;
mod replies;
mod report;
mod sources;
mod stats;
mod stories;
mod team;
mod threads;
