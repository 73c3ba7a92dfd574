//! Pure rules, above the records and below the services: no storage, no clock (the date
//! is passed in). Each rule is one function that the services call inside their
//! transaction, so it holds on every path.

pub mod abilities;
pub mod gate;
pub mod powers;
pub mod quotas;
