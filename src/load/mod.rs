//! Traffic generation. For now: a seeded corpus of fragmented-parcel declaration lists (603)
//! used by the benches; the load driver builds on it.

pub mod parcels;
