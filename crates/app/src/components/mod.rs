//! One component per file, like yew's examples.

pub mod actions;
pub mod app;
pub mod config_panel;
pub mod consumers;
pub mod controls;
pub mod coordinator;
pub mod counters;
pub mod event_log;
pub mod help;
pub mod log_strip;
pub mod notes;
pub mod stage;
pub mod story;
pub mod verdict;
