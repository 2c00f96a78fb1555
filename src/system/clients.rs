//! The system services the appliance asks, over the system bus: NetworkManager (is the box's
//! network up?) and RAUC (which A/B slot booted, is an update running; the booted slot marked
//! good once the appliance has started healthily). Each is optional: a box without one says so
//! once and carries on.
//!
//! The proxies are written from the services' published introspection (NetworkManager's
//! `org.freedesktop.NetworkManager.xml`; RAUC's `de.pengutronix.rauc.Installer.xml`, which
//! Debian's `rauc-service` installs in /usr/share/dbus-1/interfaces/), and only what is used.

use futures::StreamExt;
use tokio::sync::watch;
use zbus::{Connection, proxy};

/// NetworkManager's main object (`NMState` in its `State` property).
#[proxy(
    interface = "org.freedesktop.NetworkManager",
    default_service = "org.freedesktop.NetworkManager",
    default_path = "/org/freedesktop/NetworkManager"
)]
trait NetworkManager {
    #[zbus(property)]
    fn state(&self) -> zbus::Result<u32>;
}

/// RAUC's installer: `/` on `de.pengutronix.rauc`.
#[proxy(
    interface = "de.pengutronix.rauc.Installer",
    default_service = "de.pengutronix.rauc",
    default_path = "/"
)]
trait Installer {
    /// "good", "bad" or "active" for "booted", "other" or a slot's name: (slot, message).
    fn mark(&self, state: &str, slot_identifier: &str) -> zbus::Result<(String, String)>;
    #[zbus(property)]
    fn operation(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn progress(&self) -> zbus::Result<(i32, String, i32)>;
    #[zbus(property)]
    fn boot_slot(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn last_error(&self) -> zbus::Result<String>;
}

/// The box's own network as NetworkManager sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// Not known: no NetworkManager on this box (or not yet asked).
    Unknown,
    /// Connected (to the site at least: NM_STATE_CONNECTED_LOCAL and up).
    Up,
    /// Asleep, disconnected, disconnecting or still connecting.
    Down,
}

impl Network {
    /// From NetworkManager's `NMState`.
    pub fn from_nm_state(state: u32) -> Network {
        match state {
            50..=70 => Network::Up,
            10..=40 => Network::Down,
            _ => Network::Unknown,
        }
    }

    /// As our D-Bus property says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Unknown => "unknown",
            Network::Up => "up",
            Network::Down => "down",
        }
    }
}

/// Updates as RAUC sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Updates {
    /// The slot this system booted from (RAUC's `BootSlot`, e.g. "A"); empty: no RAUC.
    pub boot_slot: String,
    /// `unmanaged` (no RAUC on this box), `idle`, or what RAUC is doing (`installing`...).
    pub operation: String,
    /// The installation's progress in per cent, while one runs (-1 otherwise).
    pub progress: i32,
    /// The booted slot has been marked good by this run.
    pub marked_good: bool,
}

impl Default for Updates {
    fn default() -> Updates {
        Updates {
            boot_slot: String::new(),
            operation: "unmanaged".into(),
            progress: -1,
            marked_good: false,
        }
    }
}

/// Follows NetworkManager's state into `network` until the connection ends. Without
/// NetworkManager on the bus, says so once and leaves `network` at Unknown.
pub async fn follow_network(connection: Connection, network: watch::Sender<Network>) {
    let nm = match NetworkManagerProxy::new(&connection).await {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(error = %e, "no NetworkManager proxy; the network state is not shown");
            return;
        }
    };
    let mut changes = nm.receive_state_changed().await;
    match nm.state().await {
        Ok(state) => {
            network.send_replace(Network::from_nm_state(state));
        }
        Err(e) => {
            tracing::info!(error = %e, "no NetworkManager here; the network state is not shown");
            // It may still come (started late): follow it all the same.
        }
    }
    while let Some(change) = changes.next().await {
        if let Ok(state) = change.get().await {
            let now = Network::from_nm_state(state);
            if network.send_replace(now) != now {
                tracing::info!(network = now.as_str(), "the box's network changed");
            }
        }
    }
}

/// Follows RAUC into `updates`; once `healthy` says so (first frame, store open, one sync
/// attempt), marks the booted slot good. Without RAUC, says so once.
pub async fn follow_updates(
    connection: Connection,
    updates: watch::Sender<Updates>,
    mut healthy: watch::Receiver<bool>,
) {
    let rauc = match InstallerProxy::new(&connection).await {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(error = %e, "no RAUC proxy; updates are not managed by this box");
            return;
        }
    };
    let boot_slot = match rauc.boot_slot().await {
        Ok(slot) => slot,
        Err(e) => {
            tracing::info!(error = %e, "no RAUC here; updates are not managed by this box");
            return;
        }
    };
    let operation = rauc.operation().await.unwrap_or_else(|_| "idle".into());
    tracing::info!(slot = %boot_slot, "booted from this slot (RAUC)");
    updates.send_modify(|u| {
        u.boot_slot = boot_slot.clone();
        u.operation = operation;
    });
    let mut operations = rauc.receive_operation_changed().await;
    let mut progress = rauc.receive_progress_changed().await;
    let mut marked = false;
    loop {
        tokio::select! {
            Some(change) = operations.next() => {
                if let Ok(op) = change.get().await {
                    if op == "idle"
                        && let Ok(error) = rauc.last_error().await
                        && !error.is_empty()
                    {
                        tracing::warn!(%error, "RAUC's last installation failed");
                    }
                    updates.send_modify(|u| {
                        if op == "idle" {
                            u.progress = -1;
                        }
                        u.operation = op;
                    });
                }
            }
            Some(change) = progress.next() => {
                if let Ok((percent, _, _)) = change.get().await {
                    updates.send_modify(|u| u.progress = if u.operation == "idle" { -1 } else { percent });
                }
            }
            changed = healthy.changed(), if !marked => {
                if changed.is_err() {
                    marked = true;
                    continue;
                }
                if *healthy.borrow_and_update() {
                    marked = true;
                    match rauc.mark("good", "booted").await {
                        Ok((slot, message)) => {
                            tracing::info!(%slot, %message, "a healthy start: the booted slot is marked good");
                            updates.send_modify(|u| u.marked_good = true);
                        }
                        Err(e) => tracing::error!(error = %e, "RAUC refused to mark the booted slot good"),
                    }
                }
            }
            else => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_manager_states_map_to_up_and_down() {
        // NMState: 0 unknown, 10 asleep, 20 disconnected, 30 disconnecting, 40 connecting,
        // 50 connected (local), 60 connected (site), 70 connected (global).
        assert_eq!(Network::from_nm_state(0), Network::Unknown);
        for down in [10, 20, 30, 40] {
            assert_eq!(Network::from_nm_state(down), Network::Down, "{down}");
        }
        for up in [50, 60, 70] {
            assert_eq!(Network::from_nm_state(up), Network::Up, "{up}");
        }
        assert_eq!(Network::from_nm_state(99), Network::Unknown);
    }
}
