//! Bedside: the appliance for the TV in a hospital room. See `../shared/DESIGN.md` for the
//! architecture and README.md for running it.

pub mod call;
pub mod config;
pub mod demo;
pub mod domain;
pub mod fhir;
pub mod input;
pub mod launch;
pub mod learn;
pub mod media;
pub mod picture;
pub mod staff;
pub mod store;
pub mod supervise;
pub mod sync;
pub mod system;
pub mod tls;
pub mod ui;

#[cfg(test)]
mod testdata;

#[cfg(not(any(feature = "desktop", feature = "kms")))]
compile_error!("build with at least one display backend: feature `desktop` (winit) or `kms`");
