//! Habilis domain: value types, policies and the services that run each user action.
//!
//! This crate knows nothing of HTTP or SQL. It defines the [`store::Store`] contract that
//! the `habilis-store` crate implements, the [`clock::Clock`] that every time-dependent
//! rule reads, and one function per user action in [`auth`], [`setup`] and [`audit`].
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod access;
pub mod audit;
pub mod auth;
pub mod browser;
pub mod caisse;
pub mod change_request;
pub mod clock;
pub mod directory;
pub mod error;
pub mod grants;
pub mod mandates;
pub mod model;
pub mod onboarding;
pub mod password;
pub mod queries;
pub mod retention;
pub mod setup;
pub mod store;
pub mod supervision;
pub mod token;
pub mod trail;
pub mod trace;
pub mod values;

pub use error::{Error, Refusal, Rule, StoreError};
