//! overhear: hear every public mention of your brand, triage it from the keyboard, answer it, and
//! measure how fast the team answers.
//!
//! The engine (`config`, `model`, `sources`, `text`, `filter`, `poller`, `store`) never imports the
//! UI; the console (`app`, `ui`, `tui`) reads the store and never waits on the network.

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod export;
pub mod keymap;
pub mod logging;
pub mod model;
pub mod net;
pub mod outbox;
pub mod paths;
pub mod poller;
pub mod query;
pub mod rules;
pub mod sources;
pub mod stats;
pub mod store;
pub mod text;
pub mod theme;
pub mod timefmt;
pub mod tui;
pub mod ui;
