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
        match rx.await {
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
    if uid == 0 || in_group(uid, ADMIN_GROUP) {
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

/// Starts the service on the runtime: it takes the name on the system bus (zbus honours
/// `DBUS_SYSTEM_BUS_ADDRESS`), then follows `facts`, signalling each property that changes.
/// Without a system bus, or when the bus policy does not let this user own the name, it says so
/// once and the appliance carries on without it.
pub fn start(runtime: &tokio::runtime::Handle, mut facts: watch::Receiver<Facts>, hooks: Hooks) {
    let first = facts.borrow_and_update().clone();
    runtime.spawn(async move {
        let service = Bedside {
            facts: first,
            hooks: Arc::new(hooks),
        };
        let connection = match connect(service).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "no D-Bus service: the system bus or its policy refused {NAME}");
                return;
            }
        };
        tracing::info!(name = NAME, "on the system bus");
        let iface = match connection
            .object_server()
            .interface::<_, Bedside>(PATH)
            .await
        {
            Ok(i) => i,
            Err(e) => {
                tracing::error!(error = %e, "the D-Bus object is gone");
                return;
            }
        };
        while facts.changed().await.is_ok() {
            let new = facts.borrow_and_update().clone();
            let mut service = iface.get_mut().await;
            let old = std::mem::replace(&mut service.facts, new);
            let now = &service.facts;
            let emitter = iface.signal_emitter();
            let result = async {
                if old.standby != now.standby {
                    service.state_changed(emitter).await?;
                }
                if old.bed != now.bed {
                    service.bed_changed(emitter).await?;
                }
                if old.patient_present != now.patient_present {
                    service.patient_present_changed(emitter).await?;
                }
                if old.backend_link != now.backend_link {
                    service.backend_link_changed(emitter).await?;
                }
                if old.last_sync != now.last_sync {
                    service.last_sync_changed(emitter).await?;
                }
                if old.in_call != now.in_call {
                    service.in_call_changed(emitter).await?;
                }
                zbus::Result::Ok(())
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "cannot signal a change on D-Bus");
            }
        }
    });
}

async fn connect(service: Bedside) -> zbus::Result<Connection> {
    zbus::connection::Builder::system()?
        .name(NAME)?
        .serve_at(PATH, service)?
        .build()
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
        assert!(!in_group(4_000_000, "root"), "an unknown uid is in no group");
    }
}
