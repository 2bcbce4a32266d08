//! Typed documents of the CEB export message set. No I/O.

pub mod envelope;
pub mod inventory;
pub mod reply;
pub mod schema;
pub mod time;
