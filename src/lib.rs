//! single-window: a simulator of China's international-trade single window for cross-border
//! e-commerce exports (9610, 9710, 9810).

pub mod model;
pub mod ceb;
pub mod diagnostic;
pub mod check;
pub mod load;
