//! Habilis domain: records, rules and the services that run each user action.
//!
//! This crate knows nothing of HTTP or SQL. It is built in layers, each importing only
//! from the layers below it:
//!
//! 1. [`records`] (typed ids, records, status enums), [`values`] (parsed values),
//!    [`clock`], [`calendar`] (French business days), [`token`], [`trace`] (the trail's
//!    entries and seals), [`labels`] (what each traced action means), [`commands`]
//!    (what a person asks for) and [`error`];
//! 2. [`store`]: the storage contract that `habilis-store` implements;
//! 3. [`policy`] (pure rules: gate, mode, powers, quotas), [`watch`] (atypical use, in
//!    memory), [`password`], [`browser`];
//! 4. [`app`] (the [`app::App`] every service hangs on), [`reach`] (who reaches which
//!    organisation) and [`shared`] (steps several services take);
//! 5. [`services`]: one file per feature, one `App` method per user action, never
//!    importing each other.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod app;
pub mod batch;
pub mod browser;
pub mod calendar;
pub mod clock;
pub mod commands;
pub mod error;
pub mod jose;
pub mod labels;
pub mod password;
pub mod provider;
pub mod policy;
pub mod presence;
pub mod reach;
pub mod records;
pub mod services;
pub mod sheet;
pub mod shared;
pub mod store;
pub mod token;
pub mod totp;
pub mod trace;
pub mod values;
pub mod view;
pub mod watch;

pub use error::{Error, Refusal, Rule, StoreError};
