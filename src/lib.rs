//! single-window: a simulator of China's international-trade single window for cross-border
//! e-commerce exports (9610, 9710, 9810).

pub mod ceb;
pub mod check;
pub mod diagnostic;
pub mod engine;
pub mod load;
pub mod model;
pub mod rules;
pub mod scenario;
pub mod server;
pub mod store;
pub mod tax;
