//! Shells around the pure core: files, clock and terminal live here.

pub mod check;
mod in_order;
pub mod load;
pub mod replay;
pub mod rules;
pub mod schemas;
pub mod serve;
