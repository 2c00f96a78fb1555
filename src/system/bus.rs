//! Our D-Bus service on the system bus: `io.github.bedside.Bedside1` at
//! `/io/github/bedside/Bedside1`, interface `io.github.bedside.Bedside1` (version 1: members are
//! only ever added; a change that breaks callers gets `Bedside2`).
//!
//! Properties (read-only, each with `PropertiesChanged` when it changes): `State` (`on` or
//! `standby`), `Bed` (the FHIR Location identifier of the bed served), `PatientPresent` (never
//! who), `BackendLink` (`online`, `offline`, `unconfigured`, `demo`), `LastSync` (Unix seconds,
//! 0: never), `InCall`, `Version`.
//!
//! Methods for root and the `bedside-admin` group only (the bus policy,
//! `systemd/io.github.bedside.Bedside1.conf`, says so, and each method checks its caller
//! again): `Purge() -> b` erases the patient's data from the box now (true: there was some),
//! `Reload()` reads the configuration file again and, if it is good, starts the appliance afresh
//! on it; a bad file is refused with its error and nothing changes.
//!
//! From a shell: `busctl get-property io.github.bedside.Bedside1 /io/github/bedside/Bedside1
//! io.github.bedside.Bedside1 State`, `busctl call ... Purge`.
//!
//! The service is a thin adapter: it reads the UI thread's [`Facts`] from a watch channel and
//! hands requests to [`Hooks`] (the sync thread for `Purge`, the inbox for `Reload`).

use std::sync::Arc;

use tokio::sync::{oneshot, watch};
use zbus::message::Header;
use zbus::{Connection, fdo, interface};

use super::Facts;
use super::clients::{Network, Updates};

/// The well-known name, the object path and the interface.
pub const NAME: &str = "io.github.bedside.Bedside1";
pub const PATH: &str = "/io/github/bedside/Bedside1";
/// Members of this group (and root) may call `Purge()` and `Reload()`.
pub const ADMIN_GROUP: &str = "bedside-admin";

/// Where the answer to a purge goes: whether anything was erased, or why it could not be.
pub type PurgeReply = oneshot::Sender<Result<bool, String>>;

/// Asks the store's owner for a purge; false when there is no store.
pub type Purger = Box<dyn Fn(PurgeReply) -> bool + Send + Sync>;

/// What the privileged methods do, given by whoever starts the service.
pub struct Hooks {
    /// Asks the store's owner to erase the patient's data now; the answer (anything erased, or
    /// why not) comes on the channel. False: there is no store on this box.
    pub purge: Purger,
    /// Reads the configuration again: Err(why) if it is not good; Ok: the appliance has been
    /// asked to start afresh on it.
    pub reload: Box<dyn Fn() -> Result<(), String> + Send + Sync>,
}

struct Bedside {
    facts: Facts,
    network: Network,
    updates: Updates,
    hooks: Arc<Hooks>,
}

#[interface(name = "io.github.bedside.Bedside1")]
impl Bedside {
    /// `on`, or `standby` (the screen off).
    #[zbus(property)]
    fn state(&self) -> &str {
        if self.facts.standby { "standby" } else { "on" }
    }

    /// The FHIR Location identifier (`system|value`) of the bed this box serves.
    #[zbus(property)]
    fn bed(&self) -> &str {
        &self.facts.bed
    }

    /// A patient is admitted to the bed (never who).
    #[zbus(property)]
    fn patient_present(&self) -> bool {
        self.facts.patient_present
    }

    /// `online`, `offline`, `unconfigured` (no backend) or `demo`.
    #[zbus(property)]
    fn backend_link(&self) -> &str {
        self.facts.backend_link
    }

    /// When the record last matched the backend, in Unix seconds (0: never).
    #[zbus(property)]
    fn last_sync(&self) -> i64 {
        self.facts.last_sync
    }

    /// A video call is ringing, connecting or on.
    #[zbus(property)]
    fn in_call(&self) -> bool {
        self.facts.in_call
    }

    /// The box's own network as NetworkManager sees it: `up`, `down`, or `unknown` (no
    /// NetworkManager).
    #[zbus(property)]
    fn network(&self) -> &str {
        self.network.as_str()
    }

    /// The A/B slot the system booted from, as RAUC names it; empty without RAUC.
    #[zbus(property)]
    fn boot_slot(&self) -> &str {
        &self.updates.boot_slot
    }

    /// `unmanaged` (no RAUC), `idle`, or what RAUC is doing (`installing`).
    #[zbus(property)]
    fn update_state(&self) -> &str {
        &self.updates.operation
    }

    /// An installation's progress in per cent; -1 when none runs.
    #[zbus(property)]
    fn update_progress(&self) -> i32 {
        self.updates.progress
    }

    /// The booted slot was marked good after this run started healthily (first frame, store
    /// open, one sync attempt).
    #[zbus(property)]
    fn booted_slot_good(&self) -> bool {
        self.updates.marked_good
    }

    /// The appliance's version.
    #[zbus(property(emits_changed_signal = "const"))]
    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }

    /// Erases the patient's data from the box now, as a discharge does; true if there was any.
    /// If the backend still has a patient admitted to this bed, the next sync loads their
    /// chart again.
    async fn purge(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &Connection,
    ) -> fdo::Result<bool> {
        let caller = privileged(connection, &header).await?;
        let (tx, rx) = oneshot::channel();
        if !(self.hooks.purge)(tx) {
            return Err(fdo::Error::NotSupported(
                "this box keeps no patient data (no backend is configured)".into(),
            ));
        }
        // A sync pass in progress finishes first (it may wait on a slow backend): past 20 s
        // the caller hears that the erase is queued, not that it failed.
        let answer = match tokio::time::timeout(std::time::Duration::from_secs(20), rx).await {
            Ok(answer) => answer,
            Err(_) => {
                return Err(fdo::Error::Failed(
                    "queued: a sync pass is still running; the erase follows it (read \
                     PatientPresent)"
                        .into(),
                ));
            }
        };
        match answer {
            Ok(Ok(erased)) => {
                tracing::warn!(
                    uid = caller,
                    erased,
                    "the patient's data was purged over D-Bus"
                );
                Ok(erased)
            }
            Ok(Err(why)) => Err(fdo::Error::Failed(why)),
            Err(_) => Err(fdo::Error::Failed(
                "the store was restarting; nothing was erased: call Purge again".into(),
            )),
        }
    }

    /// Reads the configuration file again; if it is good, the appliance starts afresh on it
    /// (systemd sees RELOADING, then READY). A bad file is refused with its error.
    async fn reload(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &Connection,
    ) -> fdo::Result<()> {
        let caller = privileged(connection, &header).await?;
        (self.hooks.reload)().map_err(fdo::Error::InvalidFileContent)?;
        tracing::info!(
            uid = caller,
            "reloading the configuration (asked over D-Bus)"
        );
        Ok(())
    }
}

/// The caller's uid if it is root or a member of [`ADMIN_GROUP`] (by the user database, as the
/// bus policy's `group=` is judged); refused otherwise.
async fn privileged(connection: &Connection, header: &Header<'_>) -> fdo::Result<u32> {
    let denied = || {
        fdo::Error::AccessDenied(format!(
            "only root and the {ADMIN_GROUP} group may do this on the bedside appliance"
        ))
    };
    let sender = header.sender().ok_or_else(denied)?;
    let uid = fdo::DBusProxy::new(connection)
        .await?
        .get_connection_unix_user(sender.clone().into())
        .await?;
    // The user database may be LDAP or sssd: asked off the runtime's one worker.
    let admin = uid == 0
        || tokio::task::spawn_blocking(move || in_group(uid, ADMIN_GROUP))
            .await
            .unwrap_or(false);
    if admin {
        Ok(uid)
    } else {
        tracing::warn!(uid, "a privileged D-Bus method was refused");
        Err(denied())
    }
}

/// Whether user `uid` belongs to `group` (primary or supplementary) in the user database.
fn in_group(uid: u32, group: &str) -> bool {
    let Ok(group) = std::ffi::CString::new(group) else {
        return false;
    };
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: the *_r functions write only into the structs and the buffer given, whose sizes
    // are passed; the pointers they return point into those and are read before they go.
    unsafe {
        let mut gr: libc::group = std::mem::zeroed();
        let mut found: *mut libc::group = std::ptr::null_mut();
        if libc::getgrnam_r(
            group.as_ptr(),
            &mut gr,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut found,
        ) != 0
            || found.is_null()
        {
            return false;
        }
        let gid = gr.gr_gid;
        let mut pw: libc::passwd = std::mem::zeroed();
        let mut user: *mut libc::passwd = std::ptr::null_mut();
        let mut pbuf = vec![0u8; 16 * 1024];
        if libc::getpwuid_r(
            uid,
            &mut pw,
            pbuf.as_mut_ptr().cast(),
            pbuf.len(),
            &mut user,
        ) != 0
            || user.is_null()
        {
            return false;
        }
        if pw.pw_gid == gid {
            return true;
        }
        let mut groups = vec![0 as libc::gid_t; 256];
        let mut count = groups.len() as libc::c_int;
        if libc::getgrouplist(pw.pw_name, pw.pw_gid, groups.as_mut_ptr(), &mut count) < 0 {
            return false;
        }
        groups.truncate(count.max(0) as usize);
        groups.contains(&gid)
    }
}

/// What the system layer is started with.
pub struct Start {
    /// The UI thread's facts.
    pub facts: watch::Receiver<Facts>,
    pub hooks: Hooks,
    /// Becomes true once the appliance has started healthily: RAUC then marks the booted slot
    /// good.
    pub healthy: watch::Receiver<bool>,
    /// Told each change of the box's network (for the header).
    pub on_network: Box<dyn Fn(Network) + Send>,
}

/// Starts the system layer on the runtime: our service takes its name on the system bus (zbus
/// honours `DBUS_SYSTEM_BUS_ADDRESS`) and follows the facts, signalling each property that
/// changes; NetworkManager and RAUC are followed ([`super::clients`]). Without a system bus, or
/// where the bus policy does not let this user own the name, it says so once and the appliance
/// carries on without it.
pub fn start(runtime: &tokio::runtime::Handle, start: Start) {
    let Start {
        mut facts,
        hooks,
        healthy,
        on_network,
    } = start;
    let first = facts.borrow_and_update().clone();
    runtime.spawn(async move {
        let connection = match Connection::system().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "no system bus: no D-Bus service, NetworkManager or RAUC");
                return;
            }
        };
        let service = Bedside {
            facts: first,
            network: Network::Unknown,
            updates: Updates::default(),
            hooks: Arc::new(hooks),
        };
        let iface = match serve(&connection, service).await {
            Ok(i) => {
                tracing::info!(name = NAME, "on the system bus");
                Some(i)
            }
            Err(e) => {
                tracing::warn!(error = %e, "no D-Bus service: the bus refused {NAME} (is its policy installed?)");
                None
            }
        };
        let (network_tx, mut network) = watch::channel(Network::Unknown);
        let (updates_tx, mut updates) = watch::channel(Updates::default());
        tokio::spawn(super::clients::follow_network(connection.clone(), network_tx));
        tokio::spawn(super::clients::follow_updates(
            connection.clone(),
            updates_tx,
            healthy,
        ));
        loop {
            tokio::select! {
                changed = facts.changed() => {
                    if changed.is_err() {
                        // The appliance is stopping.
                        break;
                    }
                    let new = facts.borrow_and_update().clone();
                    if let Some(iface) = &iface {
                        let mut s = iface.get_mut().await;
                        let old = std::mem::replace(&mut s.facts, new);
                        let e = iface.signal_emitter();
                        let result = async {
                            let now = &s.facts;
                            if old.standby != now.standby { s.state_changed(e).await?; }
                            if old.bed != now.bed { s.bed_changed(e).await?; }
                            if old.patient_present != now.patient_present { s.patient_present_changed(e).await?; }
                            if old.backend_link != now.backend_link { s.backend_link_changed(e).await?; }
                            if old.last_sync != now.last_sync { s.last_sync_changed(e).await?; }
                            if old.in_call != now.in_call { s.in_call_changed(e).await?; }
                            zbus::Result::Ok(())
                        }.await;
                        if let Err(e) = result {
                            tracing::warn!(error = %e, "cannot signal a change on D-Bus");
                        }
                    }
                }
                Ok(()) = network.changed() => {
                    let now = *network.borrow_and_update();
                    on_network(now);
                    if let Some(iface) = &iface {
                        let mut s = iface.get_mut().await;
                        if s.network != now {
                            s.network = now;
                            if let Err(e) = s.network_changed(iface.signal_emitter()).await {
                                tracing::warn!(error = %e, "cannot signal a change on D-Bus");
                            }
                        }
                    }
                }
                Ok(()) = updates.changed() => {
                    let now = updates.borrow_and_update().clone();
                    if let Some(iface) = &iface {
                        let mut s = iface.get_mut().await;
                        let old = std::mem::replace(&mut s.updates, now);
                        let e = iface.signal_emitter();
                        let result = async {
                            if old.boot_slot != s.updates.boot_slot { s.boot_slot_changed(e).await?; }
                            if old.operation != s.updates.operation { s.update_state_changed(e).await?; }
                            if old.progress != s.updates.progress { s.update_progress_changed(e).await?; }
                            if old.marked_good != s.updates.marked_good { s.booted_slot_good_changed(e).await?; }
                            zbus::Result::Ok(())
                        }.await;
                        if let Err(e) = result {
                            tracing::warn!(error = %e, "cannot signal a change on D-Bus");
                        }
                    }
                }
            }
        }
    });
}

async fn serve(
    connection: &Connection,
    service: Bedside,
) -> zbus::Result<zbus::object_server::InterfaceRef<Bedside>> {
    connection.object_server().at(PATH, service).await?;
    if let Err(e) = connection.request_name(NAME).await {
        let _ = connection.object_server().remove::<Bedside, _>(PATH).await;
        return Err(e);
    }
    connection
        .object_server()
        .interface::<_, Bedside>(PATH)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_membership_is_read_from_the_user_database() {
        // root's primary group is root; nobody is in no group called root.
        assert!(in_group(0, "root"));
        assert!(!in_group(65534, "root"));
        assert!(!in_group(0, "no-such-group-here"));
        assert!(
            !in_group(4_000_000, "root"),
            "an unknown uid is in no group"
        );
    }
}
