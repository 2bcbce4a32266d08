//! Typed documents of the CEB export message set. No I/O.

pub mod arrival;
pub mod cancel;
pub mod codes;
pub mod departure;
pub mod dxp;
pub mod envelope;
pub mod format_error;
pub mod ids;
pub mod inventory;
pub mod logistics;
pub mod message;
pub mod order;
pub mod receipts;
pub mod refund;
pub mod registry;
pub mod reply;
pub mod said;
pub mod schema;
pub mod summary;
pub mod time;
pub mod waybill;

pub use message::{Message, MessageType};
