//! The encrypted store: SQLite through rusqlite with SQLCipher, one file in the data directory.
//!
//! What lives here: the bed's resolved Location, the current admission (Encounter + Patient),
//! the patient's chart as the FHIR resources the backend sent (JSON, keyed by type and id), the
//! sync cursor, and the outbox of what the patient or a nurse produced until it is delivered.
//!
//! Durability rules: every change is one transaction; WAL with `synchronous = FULL`, so a
//! committed outbox item survives a power cut; `secure_delete` so erased rows are overwritten,
//! and the WAL is truncated after a purge. A database that cannot be read (damaged, or a key
//! that no longer matches) is set aside, its outbox salvaged if it can be read at all, and a
//! fresh store is built — the chart comes back from the backend on the next pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use serde_json::Value;

use super::key::DbKey;

pub const FILE_NAME: &str = "bedside.db";

/// The schema, one migration per entry; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
     CREATE TABLE resource (
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        version TEXT,
        last_updated TEXT,
        json TEXT NOT NULL,
        PRIMARY KEY (type, id)
     ) WITHOUT ROWID;
     CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        patient TEXT NOT NULL,
        type TEXT NOT NULL,
        id TEXT NOT NULL UNIQUE,
        json TEXT NOT NULL,
        created INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        rejected INTEGER NOT NULL DEFAULT 0
     );",
    // 2: how an item is delivered: `put` (the resource to its id) or `task-status` (a Task
    // moved on, read and written with If-Match at delivery: see `sync::engine`).
    "ALTER TABLE outbox ADD COLUMN op TEXT NOT NULL DEFAULT 'put';",
    // 3: Learn's material fetched ahead (see `learn::cache`): which address is kept in which
    // file of the cache folder. Which leaflets a patient was given says something about them,
    // so the index is here, encrypted, and erased with the rest at discharge.
    "CREATE TABLE learn_cache (
        url TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        pages TEXT NOT NULL DEFAULT '[]',
        used INTEGER NOT NULL
     ) WITHOUT ROWID;",
    // 4: what the server said of each piece (ETag, Last-Modified) and when the box last asked
    // whether it changed: a leaflet corrected at the same address is fetched again.
    "ALTER TABLE learn_cache ADD COLUMN etag TEXT;
     ALTER TABLE learn_cache ADD COLUMN modified TEXT;
     ALTER TABLE learn_cache ADD COLUMN checked INTEGER NOT NULL DEFAULT 0;",
];

/// The folder of Learn's cached material, in the data directory (see `learn::cache`).
pub const LEARN_CACHE_DIR: &str = "learn-cache";

/// One piece of Learn's material kept in the cache folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedMaterial {
    /// Where the record says it is.
    pub url: String,
    /// Its file (or, for a leaflet, its folder of page pictures) in the cache folder: a random
    /// name, so the folder says nothing about what is in it.
    pub name: String,
    /// `file` (a copy, as fetched) or `leaflet` (a PDF's pages as pictures).
    pub kind: String,
    /// What it takes on disk.
    pub bytes: u64,
    /// A leaflet's pages: each one's height at the wide width.
    pub pages: Vec<u32>,
    /// When it was last wanted (Unix seconds): the least recently used goes first.
    pub used: i64,
    /// What the server said identifies this version (its ETag, Last-Modified), to ask it
    /// later whether it changed; None when it said nothing.
    pub etag: Option<String>,
    pub modified: Option<String>,
    /// When the box last fetched it or heard it had not changed (Unix seconds).
    pub checked: i64,
}

/// Why the store could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The data directory could not be made or set aside files could not be moved.
    #[error("data directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// SQLite itself failed (disk full, I/O error, ...).
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file is newer than this program (a downgrade): refused rather than guessed at.
    #[error("database schema version {found} is newer than this program's {known}")]
    TooNew { found: i64, known: i64 },
    /// A stored resource is not valid JSON (should never happen: it was checked on the way in).
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl StoreError {
    /// The file is unreadable as a database with this key: damaged, or encrypted with another.
    fn is_damage(&self) -> bool {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                matches!(e.code, ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
            }
            StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows) => true,
            _ => false,
        }
    }
}

/// What happened when a damaged store was found at start.
#[derive(Debug, Clone)]
pub struct Recovery {
    /// Where the unreadable file now is (still encrypted; erased at the next purge).
    pub set_aside: PathBuf,
    /// Undelivered outbox items read back from it and queued again.
    pub outbox_salvaged: usize,
    /// Why it was set aside.
    pub reason: String,
}

/// Who is in the bed, as far as the store knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission {
    pub encounter: String,
    pub patient: String,
}

/// One undelivered item.
#[derive(Clone, Debug)]
pub struct OutboxItem {
    pub seq: i64,
    pub patient: String,
    pub kind: String,
    pub id: String,
    pub json: String,
    pub attempts: u32,
    /// How it is delivered ([`OP_PUT`], [`OP_TASK_STATUS`]).
    pub op: String,
}

/// An outbox item that is a resource PUT to its id.
pub const OP_PUT: &str = "put";
/// An outbox item that moves a Task on: `{"task": id, "status": ..., "at": ..., "outputs":
/// [...]}`, applied at delivery to the Task as the server has it then.
pub const OP_TASK_STATUS: &str = "task-status";
/// An outbox item delivered only if the server has no resource at its id yet (a Task the box
/// creates for a ServiceRequest: a Task already there, made by another box or by this one
/// earlier, is never overwritten).
pub const OP_CREATE: &str = "create";

/// One item to queue with others in one transaction ([`Store::enqueue_all`]).
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub op: &'static str,
    pub kind: String,
    /// The item's id: the resource's id for a PUT (given by the caller, so other items can
    /// point at it), any unique id otherwise.
    pub id: String,
    pub json: serde_json::Value,
}

/// The outbox at a glance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: u64,
    pub rejected: u64,
    pub delivered_total: u64,
}

pub struct Store {
    conn: Connection,
    dir: PathBuf,
}

impl Store {
    /// Opens (or creates) the store in `dir`. A damaged file is set aside and a fresh one made;
    /// the returned [`Recovery`] says so and must be logged.
    pub fn open(dir: &Path, key: &DbKey) -> Result<(Store, Option<Recovery>), StoreError> {
        make_private_dir(dir)?;
        let path = dir.join(FILE_NAME);
        match Store::open_file(&path, key) {
            Ok(conn) => Ok((
                Store {
                    conn,
                    dir: dir.to_owned(),
                },
                None,
            )),
            Err(e) if e.is_damage() => {
                let reason = e.to_string();
                let set_aside = set_aside(&path)?;
                let salvaged = salvage_outbox(&set_aside, key);
                let conn = Store::open_file(&path, key)?;
                let store = Store {
                    conn,
                    dir: dir.to_owned(),
                };
                let outbox_salvaged = store.requeue(&salvaged)?;
                Ok((
                    store,
                    Some(Recovery {
                        set_aside,
                        outbox_salvaged,
                        reason,
                    }),
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// A second connection to a store another thread keeps (clinician mode keeps its offline
    /// sign-ins, lockouts and audit events through one, so a slow sync pass never delays a
    /// nurse). It never sets a damaged file aside: that is the first connection's job; this one
    /// fails and is tried again later.
    pub fn open_shared(dir: &Path, key: &DbKey) -> Result<Store, StoreError> {
        // Never created here: a file that is not there yet (or is being set aside) is the
        // first connection's to make.
        Ok(Store {
            conn: Store::open_file_with(&dir.join(FILE_NAME), key, false)?,
            dir: dir.to_owned(),
        })
    }

    fn open_file(path: &Path, key: &DbKey) -> Result<Connection, StoreError> {
        Store::open_file_with(path, key, true)
    }

    fn open_file_with(path: &Path, key: &DbKey, create: bool) -> Result<Connection, StoreError> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags)?;
        // Another connection (clinician mode's, or the sync thread's) may hold a lock now.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // SQLCipher prints decryption failures to stderr itself; ours are named errors instead.
        conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()))
            .optional()?;
        conn.pragma_update(None, "key", key.pragma_value())?;
        // A wrong key or a damaged header only shows at the first read.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })?;
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(format!("quick_check: {check}")),
            )));
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        migrate(&conn)?;
        Ok(conn)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    // ---- meta -----------------------------------------------------------------------------

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// What clinician mode keeps under `name` ("offline", "lockouts"): staff data, not the
    /// patient's, so a discharge leaves it (it is encrypted with the rest).
    pub fn staff_kept(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.meta(&format!("staff.{name}"))
    }

    pub fn keep_staff(&self, name: &str, value: &str) -> Result<(), StoreError> {
        Store::set_meta(&self.conn, &format!("staff.{name}"), value)
    }

    /// The server id of the bed's Location, once resolved.
    pub fn bed_location(&self) -> Result<Option<String>, StoreError> {
        self.meta("bed.location")
    }

    pub fn forget_bed_location(&self) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM meta WHERE key = 'bed.location'", [])?;
        Ok(())
    }

    pub fn set_bed_location(&self, id: &str) -> Result<(), StoreError> {
        Store::set_meta(&self.conn, "bed.location", id)
    }

    pub fn admission(&self) -> Result<Option<Admission>, StoreError> {
        Ok(
            match (
                self.meta("admission.encounter")?,
                self.meta("admission.patient")?,
            ) {
                (Some(encounter), Some(patient)) => Some(Admission { encounter, patient }),
                _ => None,
            },
        )
    }

    /// The server's time of the last change seen: the next incremental pass asks from there.
    pub fn cursor(&self) -> Result<Option<String>, StoreError> {
        self.meta("sync.cursor")
    }

    /// When the store last matched the backend (Unix seconds, this box's clock), for "updated
    /// 5 minutes ago".
    pub fn fresh_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.meta("sync.fresh")?.and_then(|s| s.parse().ok()))
    }

    pub fn set_fresh_at(&self, unix: i64) -> Result<(), StoreError> {
        Store::set_meta(&self.conn, "sync.fresh", &unix.to_string())
    }

    /// When the chart was last loaded in full (Unix seconds), so a restarted box (or `bedside
    /// sync --once`) goes on incrementally.
    pub fn full_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.meta("sync.full")?.and_then(|s| s.parse().ok()))
    }

    // ---- the chart ------------------------------------------------------------------------

    /// Replaces everything known about the bed's occupant in one transaction: a first load.
    pub fn replace_chart(
        &mut self,
        admission: &Admission,
        resources: &[Value],
        cursor: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM resource", [])?;
        for r in resources {
            upsert(&tx, r)?;
        }
        Store::set_meta(&tx, "admission.encounter", &admission.encounter)?;
        Store::set_meta(&tx, "admission.patient", &admission.patient)?;
        Store::set_meta(&tx, "sync.cursor", cursor)?;
        Store::set_meta(
            &tx,
            "sync.full",
            &jiff::Timestamp::now().as_second().to_string(),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Applies one incremental pass: changed resources in, deleted ones out, the cursor moved.
    /// Returns how many rows actually changed (an unchanged version is not a change).
    pub fn apply_changes(
        &mut self,
        changed: &[Value],
        deleted: &[(String, String)],
        cursor: &str,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        for r in changed {
            n += upsert(&tx, r)?;
        }
        for (kind, id) in deleted {
            n += tx.execute(
                "DELETE FROM resource WHERE type = ?1 AND id = ?2",
                params![kind, id],
            )?;
        }
        Store::set_meta(&tx, "sync.cursor", cursor)?;
        tx.commit()?;
        Ok(n)
    }

    /// One stored resource.
    pub fn resource(&self, kind: &str, id: &str) -> Result<Option<Value>, StoreError> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT json FROM resource WHERE type = ?1 AND id = ?2",
                params![kind, id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
    }

    /// All stored resources of one type, in id order.
    pub fn resources(&self, kind: &str) -> Result<Vec<Value>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT json FROM resource WHERE type = ?1 ORDER BY id")?;
        let rows = stmt.query_map([kind], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for json in rows {
            out.push(serde_json::from_str(&json?)?);
        }
        Ok(out)
    }

    /// How many resources of each type are stored.
    pub fn counts(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT type, count(*) FROM resource GROUP BY type")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Erases every trace of the current occupant: chart rows, the admission, the cursor and
    /// set-aside damaged files; then truncates the WAL so no erased page lingers in it.
    /// Undelivered outbox items stay (encrypted) until delivered. Returns whether there was
    /// anything to erase.
    pub fn purge(&mut self) -> Result<bool, StoreError> {
        // Learn's cache folder first: if it cannot be erased, nothing else is yet, and the next
        // pass tries the whole purge again. (A file the cache thread is writing can make the
        // first try fail: tried twice.)
        let folder = self.dir.join(LEARN_CACHE_DIR);
        let files = folder.exists();
        if files
            && let Err(source) =
                std::fs::remove_dir_all(&folder).or_else(|_| std::fs::remove_dir_all(&folder))
            && folder.exists()
        {
            return Err(StoreError::Io {
                path: folder,
                source,
            });
        }
        let tx = self.conn.transaction()?;
        let rows = tx.execute("DELETE FROM resource", [])?;
        let meta = tx.execute(
            "DELETE FROM meta WHERE key IN ('admission.encounter', 'admission.patient', 'sync.cursor', 'sync.full')",
            [],
        )?;
        let cached = tx.execute("DELETE FROM learn_cache", [])?;
        tx.commit()?;
        self.checkpoint()?;
        let aside = self.erase_set_aside()?;
        Ok(rows + meta + aside + cached > 0 || files)
    }

    // ---- Learn's cache --------------------------------------------------------------------

    /// What Learn's cache holds, least recently used first.
    pub fn learn_cache(&self) -> Result<Vec<CachedMaterial>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT url, name, kind, bytes, pages, used, etag, modified, checked FROM learn_cache
             ORDER BY used, url",
        )?;
        let rows = stmt.query_map([], |r| {
            let pages: String = r.get(4)?;
            Ok(CachedMaterial {
                url: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                bytes: r.get::<_, i64>(3)?.max(0) as u64,
                pages: serde_json::from_str(&pages).unwrap_or_default(),
                used: r.get(5)?,
                etag: r.get(6)?,
                modified: r.get(7)?,
                checked: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records (or replaces) a piece of cached material.
    pub fn learn_cache_put(&self, m: &CachedMaterial) -> Result<(), StoreError> {
        put_cached(&self.conn, m)
    }

    /// Records a piece of cached material fetched for admission `encounter`, if that patient
    /// is still the one here (checked and written in one transaction, so a discharge cannot
    /// slip in between); false when they are not.
    pub fn learn_cache_put_for(
        &mut self,
        encounter: &str,
        m: &CachedMaterial,
    ) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let here: Option<String> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'admission.encounter'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if here.as_deref() != Some(encounter) {
            return Ok(false);
        }
        put_cached(&tx, m)?;
        tx.commit()?;
        Ok(true)
    }

    /// Marks these as wanted now (to the hour: an idle box writes nothing).
    pub fn learn_cache_touch(&mut self, urls: &[&str], now: i64) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for url in urls {
            tx.execute(
                "UPDATE learn_cache SET used = ?2 WHERE url = ?1 AND used < ?2 - 3600",
                rusqlite::params![url, now],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Notes that the server said a piece has not changed, at `now`.
    pub fn learn_cache_checked(&self, url: &str, now: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE learn_cache SET checked = ?2 WHERE url = ?1",
            rusqlite::params![url, now],
        )?;
        Ok(())
    }

    /// Forgets a piece of cached material (its file is the caller's to remove).
    pub fn learn_cache_forget(&self, url: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM learn_cache WHERE url = ?1", [url])?;
        Ok(())
    }

    fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    fn erase_set_aside(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        let entries = std::fs::read_dir(&self.dir).map_err(|source| StoreError::Io {
            path: self.dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().contains(".damaged-") {
                let _ = std::fs::remove_file(entry.path());
                n += 1;
            }
        }
        Ok(n)
    }

    // ---- the outbox -----------------------------------------------------------------------

    /// Queues a resource for delivery. Its `id` is assigned here, once, by the box: delivery is
    /// a PUT to that id, so a retry after a lost answer or a power cut can never make a second
    /// copy on the server. Committed (fsynced) before this returns.
    pub fn enqueue(&self, patient: &str, mut resource: Value) -> Result<String, StoreError> {
        let kind = resource
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let id = uuid::Uuid::new_v4().to_string();
        resource["id"] = Value::String(id.clone());
        self.conn.execute(
            "INSERT INTO outbox (patient, type, id, json, created) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                patient,
                kind,
                id,
                resource.to_string(),
                jiff::Timestamp::now().as_second()
            ],
        )?;
        Ok(id)
    }

    /// Queues several items in order, all or none (committed before this returns).
    pub fn enqueue_all(&mut self, patient: &str, items: &[Outgoing]) -> Result<(), StoreError> {
        self.enqueue_and_keep(patient, items, &[])
    }

    /// Queues `items` and writes `local` into the store as the server will have them (a Task
    /// this box made or moved on), ahead of the next sync pass, which brings the server's
    /// copies; in one transaction: a power cut leaves both or neither.
    pub fn enqueue_and_keep(
        &mut self,
        patient: &str,
        items: &[Outgoing],
        local: &[Value],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for r in local {
            upsert(&tx, r)?;
        }
        let now = jiff::Timestamp::now().as_second();
        for item in items {
            tx.execute(
                "INSERT INTO outbox (patient, type, id, json, created, op)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    patient,
                    item.kind,
                    item.id,
                    item.json.to_string(),
                    now,
                    item.op
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The next item due for delivery for each patient, oldest first; a patient's later items
    /// wait behind an earlier one that is not delivered yet (order per patient is kept).
    /// Rejected items are retried only when `with_rejected`.
    pub fn outbox_due(&self, now: i64, with_rejected: bool) -> Result<Vec<OutboxItem>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, patient, type, id, json, attempts, next_attempt, rejected, op FROM outbox
             WHERE seq IN (SELECT min(seq) FROM outbox WHERE rejected = 0 OR ?1 GROUP BY patient)
             ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![with_rejected], |r| {
            Ok((
                OutboxItem {
                    seq: r.get(0)?,
                    patient: r.get(1)?,
                    kind: r.get(2)?,
                    id: r.get(3)?,
                    json: r.get(4)?,
                    attempts: r.get(5)?,
                    op: r.get(8)?,
                },
                r.get::<_, i64>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (item, next) = row?;
            if next <= now {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// The item reached the server: erase it (it may hold patient data) and count it.
    pub fn delivered(&mut self, seq: i64) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        if tx.execute("DELETE FROM outbox WHERE seq = ?1", [seq])? == 1 {
            let total: u64 = tx
                .query_row(
                    "SELECT value FROM meta WHERE key = 'outbox.delivered'",
                    [],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            Store::set_meta(&tx, "outbox.delivered", &(total + 1).to_string())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Delivery failed: try again at `next_attempt` (Unix seconds). `rejected` marks an item the
    /// server refused as invalid: it is kept and reported, and no longer holds up later items.
    pub fn failed(
        &self,
        seq: i64,
        error: &str,
        next_attempt: i64,
        rejected: bool,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?2, last_error = ?3,
             rejected = ?4 WHERE seq = ?1",
            params![seq, next_attempt, error, rejected],
        )?;
        Ok(())
    }

    /// Undelivered items the patient made (everything but clinician mode's audit events).
    pub fn outbox_from_patient(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM outbox WHERE type != 'AuditEvent'",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    pub fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let (pending, rejected): (i64, i64) = self.conn.query_row(
            "SELECT count(*) FILTER (WHERE rejected = 0), count(*) FILTER (WHERE rejected = 1)
             FROM outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let delivered_total = self
            .meta("outbox.delivered")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Ok(OutboxCounts {
            pending: pending as u64,
            rejected: rejected as u64,
            delivered_total,
        })
    }

    fn requeue(&self, items: &[OutboxItem]) -> Result<usize, StoreError> {
        let now = jiff::Timestamp::now().as_second();
        let mut n = 0;
        for item in items {
            n += self.conn.execute(
                "INSERT OR IGNORE INTO outbox (patient, type, id, json, created, attempts, op)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    item.patient,
                    item.kind,
                    item.id,
                    item.json,
                    now,
                    item.attempts,
                    item.op
                ],
            )?;
        }
        Ok(n)
    }
}

/// Inserts or replaces one resource; returns 0 when the same version was already stored.
fn upsert(conn: &Connection, r: &Value) -> Result<usize, StoreError> {
    let kind = r["resourceType"].as_str().unwrap_or_default();
    let id = r["id"].as_str().unwrap_or_default();
    let version = r["meta"]["versionId"].as_str();
    let updated = r["meta"]["lastUpdated"].as_str();
    let json = r.to_string();
    Ok(conn.execute(
        "INSERT INTO resource (type, id, version, last_updated, json) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (type, id) DO UPDATE SET version = excluded.version,
            last_updated = excluded.last_updated, json = excluded.json
         WHERE resource.json IS NOT excluded.json",
        params![kind, id, version, updated, json],
    )?)
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        // IMMEDIATE, and the version read again inside: another connection (clinician mode's)
        // may be migrating the same file at the same moment.
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now > i as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn put_cached(conn: &Connection, m: &CachedMaterial) -> Result<(), StoreError> {
    conn.execute(
        "INSERT OR REPLACE INTO learn_cache
            (url, name, kind, bytes, pages, used, etag, modified, checked)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            m.url,
            m.name,
            m.kind,
            m.bytes as i64,
            serde_json::to_string(&m.pages)?,
            m.used,
            m.etag,
            m.modified,
            m.checked
        ],
    )?;
    Ok(())
}

fn make_private_dir(dir: &Path) -> Result<(), StoreError> {
    private_dir(dir).map_err(|source| StoreError::Io {
        path: dir.to_owned(),
        source,
    })
}

/// Makes `dir` (and its parents) if need be, for the service user alone whatever the umask
/// was: the data directory, and Learn's cache folder in it.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Moves the database and its WAL/SHM out of the way; returns the new database path.
fn set_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let stamp = jiff::Timestamp::now().as_second();
    let aside = path.with_extension(format!("db.damaged-{stamp}"));
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", path.display()));
        let to = PathBuf::from(format!("{}{suffix}", aside.display()));
        if from.exists() {
            std::fs::rename(&from, &to).map_err(|source| StoreError::Io {
                path: from.clone(),
                source,
            })?;
        }
    }
    Ok(aside)
}

/// Reads what it can of the outbox from a set-aside file; nothing if it is unreadable.
fn salvage_outbox(path: &Path, key: &DbKey) -> Vec<OutboxItem> {
    let read = || -> Result<Vec<OutboxItem>, rusqlite::Error> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()))
            .optional()?;
        conn.pragma_update(None, "key", key.pragma_value())?;
        // A file from before migration 2 has no `op`: its items are all PUTs.
        let mut stmt = conn
            .prepare("SELECT seq, patient, type, id, json, attempts, op FROM outbox ORDER BY seq")
            .or_else(|_| {
                conn.prepare(
                    "SELECT seq, patient, type, id, json, attempts, 'put' FROM outbox ORDER BY seq",
                )
            })?;
        let rows = stmt.query_map([], |r| {
            Ok(OutboxItem {
                seq: r.get(0)?,
                patient: r.get(1)?,
                kind: r.get(2)?,
                id: r.get(3)?,
                json: r.get(4)?,
                attempts: r.get(5)?,
                op: r.get(6)?,
            })
        })?;
        // Keep every row that reads; a damaged page loses only its own rows.
        Ok(rows.filter_map(Result::ok).collect())
    };
    read().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> DbKey {
        DbKey::from_text(&"5e".repeat(32)).unwrap()
    }

    fn obs(id: &str, v: &str) -> Value {
        json!({"resourceType": "Observation", "id": id, "meta": {"versionId": v},
               "subject": {"reference": "Patient/p1"}, "note": [{"text": "Zebediah"}]})
    }

    fn admission() -> Admission {
        Admission {
            encounter: "e1".into(),
            patient: "p1".into(),
        }
    }

    #[test]
    fn the_file_is_unreadable_without_the_key() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut store, rec) = Store::open(dir.path(), &key()).unwrap();
            assert!(rec.is_none());
            store
                .replace_chart(&admission(), &[obs("o1", "1")], "t0")
                .unwrap();
        }
        for name in [FILE_NAME, "bedside.db-wal"] {
            if let Ok(bytes) = std::fs::read(dir.path().join(name)) {
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains("Zebediah"), "{name} holds plain text");
                assert!(!text.contains("SQLite format"), "{name} has a plain header");
            }
        }
        let (store, _) = Store::open(dir.path(), &key()).unwrap();
        assert_eq!(store.counts().unwrap()["Observation"], 1);
        assert_eq!(store.admission().unwrap(), Some(admission()));
    }

    #[test]
    fn a_wrong_key_or_garbage_file_is_set_aside_and_a_fresh_store_made() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (store, _) = Store::open(dir.path(), &key()).unwrap();
            store.enqueue("p1", obs("", "1")).unwrap();
        }
        let other = DbKey::from_text(&"77".repeat(32)).unwrap();
        let (store, rec) = Store::open(dir.path(), &other).unwrap();
        let rec = rec.expect("recovery reported");
        assert!(rec.set_aside.exists());
        assert_eq!(rec.outbox_salvaged, 0, "another key cannot read the outbox");
        assert_eq!(store.outbox_counts().unwrap().pending, 0);
        drop(store);

        std::fs::write(dir.path().join(FILE_NAME), b"garbage garbage garbage").unwrap();
        let _ = std::fs::remove_file(dir.path().join("bedside.db-wal"));
        let (store, rec) = Store::open(dir.path(), &other).unwrap();
        assert!(rec.is_some());
        assert!(store.counts().unwrap().is_empty());
    }

    #[test]
    fn a_damaged_chart_keeps_its_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let id;
        {
            let (mut store, _) = Store::open(dir.path(), &key()).unwrap();
            let many: Vec<Value> = (0..400).map(|i| obs(&format!("o{i}"), "1")).collect();
            store.replace_chart(&admission(), &many, "t0").unwrap();
            id = store.enqueue("p1", obs("", "1")).unwrap();
            store.checkpoint().unwrap();
        }
        // Damage a page in the middle of the chart, as a bad sector or torn write would.
        let path = dir.path().join(FILE_NAME);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() / 2;
        bytes[at..at + 4096].fill(0xA5);
        std::fs::write(&path, bytes).unwrap();

        let (store, rec) = Store::open(dir.path(), &key()).unwrap();
        let rec = rec.expect("damage detected");
        assert_eq!(rec.outbox_salvaged, 1, "{rec:?}");
        let due = store.outbox_due(i64::MAX, false).unwrap();
        assert_eq!(
            due[0].id, id,
            "the same client id: delivery stays exactly-once"
        );
        assert!(
            store.admission().unwrap().is_none(),
            "rebuilt from the backend"
        );
    }

    #[test]
    fn changes_apply_and_purge_erases_everything_but_undelivered_items() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = Store::open(dir.path(), &key()).unwrap();
        store
            .replace_chart(&admission(), &[obs("o1", "1"), obs("o2", "1")], "t0")
            .unwrap();
        let n = store
            .apply_changes(
                &[obs("o1", "1"), obs("o3", "1")],
                &[("Observation".into(), "o2".into())],
                "t1",
            )
            .unwrap();
        assert_eq!(n, 2, "o1 unchanged, o3 new, o2 gone");
        assert_eq!(store.cursor().unwrap().as_deref(), Some("t1"));
        store.enqueue("p1", obs("", "1")).unwrap();

        assert!(store.purge().unwrap());
        assert!(store.counts().unwrap().is_empty());
        assert!(store.admission().unwrap().is_none());
        assert!(store.cursor().unwrap().is_none());
        assert_eq!(store.outbox_counts().unwrap().pending, 1);
        let wal = std::fs::metadata(dir.path().join("bedside.db-wal")).unwrap();
        assert_eq!(wal.len(), 0, "the WAL is truncated");
        assert!(!store.purge().unwrap(), "nothing left to erase");
    }

    #[test]
    fn the_outbox_keeps_order_per_patient_and_counts_deliveries() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = Store::open(dir.path(), &key()).unwrap();
        let a1 = store.enqueue("a", obs("", "1")).unwrap();
        let a2 = store.enqueue("a", obs("", "1")).unwrap();
        let b1 = store.enqueue("b", obs("", "1")).unwrap();
        let due: Vec<String> = store
            .outbox_due(i64::MAX, false)
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(
            due,
            [a1.clone(), b1.clone()],
            "one per patient, oldest first"
        );

        let first = &store.outbox_due(i64::MAX, false).unwrap()[0];
        store.failed(first.seq, "503", 100, false).unwrap();
        assert!(
            store
                .outbox_due(50, false)
                .unwrap()
                .iter()
                .all(|i| i.id != a1 && i.id != a2),
            "a2 waits behind a1's backoff"
        );
        store.failed(first.seq, "400 invalid", 100, true).unwrap();
        let due = store.outbox_due(50, false).unwrap();
        assert!(
            due.iter().any(|i| i.id == a2),
            "a rejected item does not block"
        );

        let seq = due.iter().find(|i| i.id == a2).unwrap().seq;
        store.delivered(seq).unwrap();
        store.delivered(seq).unwrap();
        let c = store.outbox_counts().unwrap();
        assert_eq!((c.pending, c.rejected, c.delivered_total), (1, 1, 1));
        let item: Value =
            serde_json::from_str(&store.outbox_due(i64::MAX, true).unwrap()[0].json).unwrap();
        assert_eq!(
            item["id"],
            a1.as_str(),
            "the id is written into the resource"
        );
    }
}
