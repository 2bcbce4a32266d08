//! Traffic generation and the load driver (`single-window load`): a seeded stream of
//! fragmented-parcel messages (`traffic`, built from `parcels`, `bills` and `after`), sent on
//! an arrival schedule (`schedule`) to an HTTP endpoint or a folder (`target`, `drive`), with
//! acknowledgement and end-to-end latencies measured (`track`, `stats`) and reported
//! (`report`).

pub mod after;
pub mod bills;
pub mod drive;
pub mod parcels;
pub mod report;
pub mod schedule;
pub mod stats;
pub mod target;
pub mod track;
pub mod traffic;
