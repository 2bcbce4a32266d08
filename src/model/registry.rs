//! The enterprise registry (being written).
