//! Row shapes as stored, and their conversion to domain records.

use habilis_core::StoreError;
use habilis_core::records::*;
use habilis_core::store::StoreResult;

mod alerts;
mod contracts;
mod desk;
mod organisations;
mod requests;
mod reviews;
mod rights;
mod trail;

pub(crate) use alerts::*;
pub(crate) use contracts::*;
pub(crate) use desk::*;
pub(crate) use organisations::*;
pub(crate) use requests::*;
pub(crate) use reviews::*;
pub(crate) use rights::*;
pub(crate) use trail::*;

pub(super) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} {value:?}"))
}

pub(super) fn date(s: &str) -> StoreResult<time::Date> {
    habilis_core::values::parse_date(s).map_err(|_| corrupt("date", s))
}

pub(crate) fn opt_date(s: Option<String>) -> StoreResult<Option<time::Date>> {
    s.as_deref().map(date).transpose()
}

pub(super) fn mode(s: &str) -> StoreResult<ManagementMode> {
    ManagementMode::parse(s).ok_or_else(|| corrupt("mode", s))
}
