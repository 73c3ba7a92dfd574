//! The records the domain works with, at the bottom of the crate: plain data with typed
//! ids and status enums, no rules and no storage. Everything above imports from here;
//! nothing here imports from above (but the trace entry an actor stamps).

pub mod actor;
pub mod alerts;
pub mod catalogue;
pub mod contract;
pub mod desk;
pub mod ids;
pub mod oidc;
pub mod outbox;
pub mod people;
pub mod requests;
pub mod reviews;
pub mod rights;
pub mod scim;
mod stored;
pub mod supervision;

pub use actor::*;
pub use alerts::*;
pub use catalogue::*;
pub use contract::*;
pub use desk::*;
pub use ids::*;
pub use oidc::*;
pub use outbox::*;
pub use people::*;
pub use requests::*;
pub use reviews::*;
pub use rights::*;
pub use scim::*;
pub use supervision::*;
