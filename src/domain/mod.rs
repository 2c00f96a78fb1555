//! Plain types and the rules that matter. No IO and no Slint here.

pub mod button;
pub mod call;
pub mod clock;
pub mod family;
pub mod learn;
pub mod patient;
pub mod plain;
pub mod privacy;
pub mod record;
pub mod session;
pub mod settings;
pub mod shell;
pub mod tv;
pub mod watch;
