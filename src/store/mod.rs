//! What the appliance keeps on disk.

pub mod settings_file;
