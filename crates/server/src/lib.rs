//! The `flux` binary's library: the database it opens, the demo data, and the wiring
//! of ports to real clients — shared by `main`, the test harness and the benchmarks.

pub mod database;
pub mod demo;
pub mod wiring;
