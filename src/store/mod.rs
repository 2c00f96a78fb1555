//! What the appliance keeps on disk.

pub mod db;
pub mod key;
pub mod settings_file;
