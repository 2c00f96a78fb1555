//! One sync pass: deliver the outbox, find who is in the bed, then load or update their chart,
//! or erase the previous occupant's.
//!
//! The store changes only in whole transactions: a pass that fails half-way (a timeout on the
//! ninth search) leaves the store exactly as the last good pass left it.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::SyncError;
use super::client::{Client, Fetched, PAGE_SIZE};
use super::plan::{self, Owner, Query, Window};
use crate::config::{Config, Identifier};
use crate::store::db::{Admission, Recovery, Store};
use crate::store::key::DbKey;

/// A full reload every so often is the safety net for what incremental searches cannot see
/// (a resource deleted on the server). Donnell Green's whole chart loads in well under a second.
const FULL_EVERY: Duration = Duration::from_secs(10 * 60);

/// The most catalogue entries kept.
const CATALOGUE_CAP: usize = 200;

/// Subscriptions end by themselves an hour after they were last renewed, so a box that dies
/// leaves nothing behind for long; each full reload renews them.
const SUBSCRIPTION_LIFE: Duration = Duration::from_secs(60 * 60);

/// Where the backend sends rest-hook notifications, and the secret they must carry.
#[derive(Clone, Debug)]
pub struct Notify {
    pub url: String,
    pub token: String,
}

/// What one pass did.
#[derive(Clone, Debug, Default)]
pub struct PassReport {
    /// The occupant changed (admitted, discharged, another patient).
    pub occupant_changed: bool,
    /// Rows of the chart changed.
    pub chart_changed: usize,
    /// The previous occupant's data was erased.
    pub purged: bool,
    /// A full load (as opposed to incremental).
    pub full: bool,
    /// Outbox items delivered.
    pub delivered: u64,
    /// Requests made.
    pub requests: u64,
}

pub struct Engine {
    client: Client,
    store: Store,
    bed: Identifier,
    device: Identifier,
    data_dir: PathBuf,
    patient_etag: Option<String>,
    /// This box's Device id on the backend, resolved at each full load (None: not registered).
    device_ref: Option<String>,
    /// Subscribe to changes of the bed and patient, notified here (the running appliance).
    pub notify: Option<Notify>,
    /// What the current subscriptions cover (location, patient) and when they were made.
    subscribed: Option<(String, Option<String>, Instant)>,
    /// Try every undelivered item now, whatever its backoff says (an operator's `sync --once`).
    pub eager: bool,
    /// The store was found damaged at open and rebuilt; reported once.
    pub recovery: Option<Recovery>,
    /// Learn's catalogue: its searches, read at full loads.
    catalogue: Vec<String>,
}

/// Percent-encodes a query value (FHIR values carry `|`, `,`, `:` and `+`).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn id_of(r: &Value) -> Option<&str> {
    r["id"].as_str().filter(|s| !s.is_empty())
}

impl Engine {
    /// Opens the store and the backend client from the config (which must name a backend).
    pub fn open(config: &Config) -> Result<Engine, SyncError> {
        let backend = config
            .backend
            .as_ref()
            .ok_or_else(|| SyncError::Config("no [backend] in the config".into()))?;
        let store = open_store(config)?;
        let (store, recovery) = store;
        Ok(Engine {
            client: Client::new(backend)?,
            store,
            bed: config.bed.location.clone(),
            device: config.device.id.clone(),
            data_dir: config.store.data_dir.clone(),
            patient_etag: None,
            device_ref: None,
            eager: false,
            notify: None,
            subscribed: None,
            recovery,
            catalogue: config.learn.catalogue.0.clone(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// One whole pass. On error the store is as the last good pass left it (and outbox items
    /// delivered before the error stay delivered).
    pub fn pass(&mut self) -> Result<PassReport, SyncError> {
        let mut report = PassReport::default();
        let window = Window::now();
        let outbox = self.deliver_outbox(&mut report);

        let mut location = self.location()?;
        let mut current = self.current_encounter(&location)?;
        if current.is_none() {
            // Before calling the bed empty, make sure it is still the same Location: a bed
            // re-registered on the backend gets a new id, and the old one would look empty forever.
            self.store.forget_bed_location()?;
            let fresh = self.location()?;
            if fresh != location {
                tracing::info!("the bed's Location changed on the backend");
                location = fresh;
                current = self.current_encounter(&location)?;
            }
        }
        // The server's own clock at the start of the pass, less a margin: the next pass asks
        // for what changed since then (overlap is harmless, a gap would lose changes).
        let cursor = (jiff::Timestamp::now()
            + jiff::SignedDuration::from_secs(self.client.skew.unwrap_or(0) - 2))
        .to_string();
        let stored = self.store.admission()?;
        match (stored, current) {
            (None, None) => {}
            (Some(_), None) => {
                // Discharged or moved: deliver what they left first (done above), then erase.
                report.purged = self.purge()?;
                report.occupant_changed = true;
            }
            (Some(a), Some((enc, patient)))
                if a.encounter == id_of(&enc).unwrap_or_default() && a.patient == patient =>
            {
                let now = jiff::Timestamp::now().as_second();
                let due = self
                    .store
                    .full_at()?
                    .is_none_or(|t| now - t >= FULL_EVERY.as_secs() as i64 || now < t);
                let old_cursor = self.store.cursor()?;
                match old_cursor {
                    Some(since) if !due => {
                        report.chart_changed =
                            self.incremental(&window, enc, &patient, &since, &cursor)?;
                    }
                    _ => {
                        report.chart_changed = self.full_load(&window, enc, &patient, &cursor)?;
                        report.full = true;
                    }
                }
            }
            (old, Some((enc, patient))) => {
                if old.is_some() {
                    report.purged = self.purge()?;
                }
                report.occupant_changed = true;
                report.chart_changed = self.full_load(&window, enc, &patient, &cursor)?;
                report.full = true;
            }
        }
        if self.notify.is_some() {
            let patient = self.store.admission()?.map(|a| a.patient);
            if let Err(e) = self.subscribe(&location, patient.as_deref()) {
                // Polling still finds every change; only the shortcut is lost.
                tracing::warn!(error = %e, "cannot subscribe to changes; polling only");
            }
        }
        // Items the new occupant's admission may have unblocked, and a second try for anything
        // that failed on a dropped connection earlier in the pass.
        if outbox.is_err() {
            let _ = self.deliver_outbox(&mut report);
        }
        self.store
            .set_fresh_at(jiff::Timestamp::now().as_second())?;
        report.requests = self.client.take_request_count();
        Ok(report)
    }

    /// The bed's Location id, resolved once and kept.
    fn location(&mut self) -> Result<String, SyncError> {
        if let Some(id) = self.store.bed_location()? {
            return Ok(id);
        }
        let path = format!("Location?identifier={}", encode(&self.bed.to_string()));
        let found = self.search_all(&path, "Location", 2)?.0;
        let matching: Vec<&Value> = found
            .iter()
            .filter(|l| has_identifier(l, &self.bed))
            .collect();
        match matching.as_slice() {
            [one] => {
                let id = id_of(one)
                    .ok_or_else(|| SyncError::Malformed("Location without id".into()))?
                    .to_owned();
                self.store.set_bed_location(&id)?;
                Ok(id)
            }
            [] => Err(SyncError::Bed(format!(
                "{}: no Location with this identifier on the backend",
                self.bed
            ))),
            _ => Err(SyncError::Bed(format!(
                "{}: more than one Location has this identifier",
                self.bed
            ))),
        }
    }

    /// The in-progress inpatient encounter at the bed, and its patient's id.
    fn current_encounter(&mut self, location: &str) -> Result<Option<(Value, String)>, SyncError> {
        let path = format!(
            "Encounter?location={}&status=in-progress&_sort=-date",
            encode(&format!("Location/{location}"))
        );
        let (found, _) = self.search_all(&path, "Encounter", 20)?;
        let bed_ref = format!("Location/{location}");
        let mut here: Vec<(Value, String)> = found
            .into_iter()
            .filter(|e| e["status"].as_str() == Some("in-progress"))
            .filter(is_inpatient)
            .filter(|e| at_bed_now(e, &bed_ref))
            .filter_map(|e| {
                let patient = e["subject"]["reference"].as_str().and_then(patient_id)?;
                id_of(&e)?;
                Some((e, patient))
            })
            .collect();
        // Two open encounters in one bed is a registration error; the newest admission wins.
        here.sort_by(|a, b| {
            let start = |e: &Value| e["period"]["start"].as_str().unwrap_or("").to_owned();
            start(&b.0).cmp(&start(&a.0))
        });
        if here.len() > 1 {
            tracing::warn!(
                encounters = here.len(),
                "more than one in-progress encounter at this bed; showing the newest"
            );
        }
        Ok(here.into_iter().next())
    }

    fn device_id(&mut self) -> Result<Option<String>, SyncError> {
        let path = format!("Device?identifier={}", encode(&self.device.to_string()));
        let (found, _) = self.search_all(&path, "Device", 2)?;
        Ok(found
            .iter()
            .filter(|d| has_identifier(d, &self.device))
            .find_map(|d| id_of(d).map(str::to_owned)))
    }

    fn read_patient(&mut self, id: &str, etag: Option<&str>) -> Result<Option<Value>, SyncError> {
        match self.client.get(&format!("Patient/{id}"), etag)? {
            Fetched::NotModified => Ok(None),
            Fetched::Changed(answer) => {
                let p = answer.json;
                if p["resourceType"].as_str() != Some("Patient") || id_of(&p) != Some(id) {
                    return Err(SyncError::Lying(
                        "asked for the admitted Patient, got another resource".into(),
                    ));
                }
                self.patient_etag = answer.etag;
                Ok(Some(p))
            }
        }
    }

    fn full_load(
        &mut self,
        window: &Window,
        encounter: Value,
        patient: &str,
        cursor: &str,
    ) -> Result<usize, SyncError> {
        let started = Instant::now();
        let patient_json = self
            .read_patient(patient, None)?
            .ok_or_else(|| SyncError::Malformed("Patient read gave no body".into()))?;
        let device = self.device_id()?;
        self.device_ref = device.clone();
        let mut chart = vec![encounter.clone(), patient_json];
        let mut seen: HashSet<(String, String)> = HashSet::new();
        for query in plan::queries() {
            let owner = match query.owner {
                Owner::Patient => format!("Patient/{patient}"),
                Owner::Device => match &device {
                    Some(d) => format!("Device/{d}"),
                    None => continue,
                },
            };
            let found = self.run_query(&query, &owner, window, None)?;
            for r in found {
                if (query.keep)(&r, window) {
                    push_unique(&mut chart, &mut seen, r);
                }
            }
        }
        // Learn's catalogue, for staff to assign from (and the teach-back each item names). A
        // catalogue that cannot be read never holds up the patient's chart.
        match self.read_catalogue() {
            Ok(catalogue) => {
                for r in catalogue {
                    push_unique(&mut chart, &mut seen, r);
                }
            }
            Err(e) => {
                // The last catalogue stays: Tasks assigned from a definition read their
                // material and questions from it.
                tracing::warn!(error = %e, "Learn's catalogue cannot be read; the last one kept");
                for kind in ["ActivityDefinition", "PlanDefinition", "Questionnaire"] {
                    for r in self.store.resources(kind)? {
                        push_unique(&mut chart, &mut seen, r);
                    }
                }
            }
        }
        let referenced = self.fetch_referenced(&chart, &HashSet::new())?;
        for r in referenced {
            push_unique(&mut chart, &mut seen, r);
        }
        let admission = Admission {
            encounter: id_of(&encounter).unwrap_or_default().to_owned(),
            patient: patient.to_owned(),
        };
        self.store.replace_chart(&admission, &chart, cursor)?;
        tracing::info!(
            resources = chart.len(),
            ms = started.elapsed().as_millis() as u64,
            "chart loaded"
        );
        Ok(chart.len())
    }

    fn incremental(
        &mut self,
        window: &Window,
        encounter: Value,
        patient: &str,
        since: &str,
        cursor: &str,
    ) -> Result<usize, SyncError> {
        let mut changed = vec![encounter];
        let mut deleted = Vec::new();
        let etag = self.patient_etag.clone();
        if let Some(p) = self.read_patient(patient, etag.as_deref())? {
            changed.push(p);
        }
        let device = self.device_ref.clone();
        for query in plan::queries() {
            let owner = match query.owner {
                Owner::Patient => format!("Patient/{patient}"),
                Owner::Device => match &device {
                    Some(d) => format!("Device/{d}"),
                    None => continue,
                },
            };
            for r in self.run_query(&query, &owner, window, Some(since))? {
                if (query.keep)(&r, window) {
                    changed.push(r);
                } else if let Some(id) = id_of(&r) {
                    // It left the set (a medication stopped, a result entered in error).
                    deleted.push((query.kind.to_owned(), id.to_owned()));
                }
            }
        }
        let have: HashSet<(String, String)> = plan::REFERENCED
            .iter()
            .flat_map(|k| {
                self.store
                    .resources(k)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(move |r| id_of(&r).map(|id| (k.to_string(), id.to_owned())))
            })
            .collect();
        changed.extend(self.fetch_referenced(&changed, &have)?);
        Ok(self.store.apply_changes(&changed, &deleted, cursor)?)
    }

    /// One query of the plan, pages followed up to its cap; only resources that belong to the
    /// owner come back (whatever the server made of the parameters).
    fn run_query(
        &mut self,
        query: &Query,
        owner: &str,
        window: &Window,
        since: Option<&str>,
    ) -> Result<Vec<Value>, SyncError> {
        let mut path = format!("{}?{}={}", query.kind, query.owner_param, encode(owner));
        match since {
            None => {
                for (k, v) in (query.filters)(window) {
                    path.push_str(&format!("&{k}={}", encode(&v)));
                }
            }
            Some(since) => path.push_str(&format!("&_lastUpdated=ge{}", encode(since))),
        }
        if let Some(sort) = query.sort {
            path.push_str(&format!("&_sort={sort}"));
        }
        let (found, _) = self.search_all(&path, query.kind, query.cap)?;
        let total = found.len();
        let mine: Vec<Value> = found
            .into_iter()
            .filter(|r| plan::belongs(r, owner))
            .collect();
        if mine.len() < total {
            tracing::warn!(
                kind = query.kind,
                ignored = total - mine.len(),
                "the backend returned records of someone else; ignored"
            );
        }
        Ok(mine)
    }

    /// The catalogue searches of the config (at most [`CATALOGUE_CAP`] resources in all), and
    /// what they name by canonical URL, which the chart's references do not reach: the
    /// ActivityDefinitions a PlanDefinition's actions name, and the teach-back Questionnaires.
    fn read_catalogue(&mut self) -> Result<Vec<Value>, SyncError> {
        let mut out: Vec<Value> = Vec::new();
        for search in self.catalogue.clone() {
            let (kind, query) = search.split_once('?').unwrap_or((search.as_str(), ""));
            if !crate::config::Searches::KINDS.contains(&kind) {
                return Err(SyncError::Config(format!(
                    "[learn] catalogue: {kind} is not a search of {}",
                    crate::config::Searches::KINDS.join(", ")
                )));
            }
            let left = CATALOGUE_CAP.saturating_sub(out.len());
            if left == 0 {
                tracing::warn!(
                    cap = CATALOGUE_CAP,
                    "Learn's catalogue is full; searches left out"
                );
                break;
            }
            let query: Vec<String> = query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => format!("{k}={}", encode(v)),
                    None => p.to_owned(),
                })
                .collect();
            let url = format!("{kind}?{}", query.join("&"));
            let (found, _) = self.search_all(&url, kind, left)?;
            out.extend(found);
        }
        for kind in ["ActivityDefinition", "Questionnaire"] {
            let wanted = crate::fhir::catalogue::canonicals_wanted(&out, kind);
            for batch in wanted.chunks(20) {
                let path = format!("{kind}?url={}", encode(&batch.join(",")));
                let (found, _) = self.search_all(&path, kind, batch.len() * 4)?;
                out.extend(found.into_iter().filter(|r| {
                    r["url"]
                        .as_str()
                        .is_some_and(|u| batch.iter().any(|b| b == u))
                }));
            }
        }
        Ok(out)
    }

    /// Loads Practitioners, Medications, ... that the chart points to and `have` lacks.
    fn fetch_referenced(
        &mut self,
        chart: &[Value],
        have: &HashSet<(String, String)>,
    ) -> Result<Vec<Value>, SyncError> {
        let mut wanted = Vec::new();
        for r in chart {
            plan::references(r, plan::REFERENCED, &mut wanted);
        }
        let present: HashSet<(String, String)> = chart
            .iter()
            .filter_map(|r| Some((r["resourceType"].as_str()?.to_owned(), id_of(r)?.to_owned())))
            .collect();
        let mut unique: Vec<(String, String)> = Vec::new();
        for w in wanted {
            if !present.contains(&w) && !have.contains(&w) && !unique.contains(&w) {
                unique.push(w);
            }
        }
        unique.truncate(plan::REFERENCED_CAP);
        let mut out = Vec::new();
        for kind in plan::REFERENCED {
            let ids: Vec<&str> = unique
                .iter()
                .filter(|(k, _)| k == kind)
                .map(|(_, id)| id.as_str())
                .collect();
            for batch in ids.chunks(50) {
                let path = format!("{kind}?_id={}", encode(&batch.join(",")));
                let (found, _) = self.search_all(&path, kind, batch.len())?;
                out.extend(
                    found
                        .into_iter()
                        .filter(|r| id_of(r).is_some_and(|id| batch.contains(&id))),
                );
            }
        }
        Ok(out)
    }

    /// A search, following `next` links, keeping at most `cap` resources of `kind` (and the
    /// `_include`d ones separately). Each resource is checked for a type and an id.
    fn search_all(
        &mut self,
        path: &str,
        kind: &str,
        cap: usize,
    ) -> Result<(Vec<Value>, Vec<Value>), SyncError> {
        let mut url = format!("{path}&_count={}", PAGE_SIZE.min(cap.max(1)));
        let mut matches = Vec::new();
        let mut included = Vec::new();
        let mut visited = HashSet::new();
        loop {
            let bundle = self.client.get_json(&url)?.json;
            if bundle["resourceType"].as_str() != Some("Bundle") {
                return Err(SyncError::Malformed(format!(
                    "{kind} search: expected a Bundle, got {}",
                    bundle["resourceType"].as_str().unwrap_or("?")
                )));
            }
            for entry in bundle["entry"].as_array().into_iter().flatten() {
                let r = &entry["resource"];
                let rtype = r["resourceType"].as_str();
                match entry["search"]["mode"].as_str() {
                    Some("outcome") => continue,
                    Some("include") => {
                        if rtype.is_some() && id_of(r).is_some() {
                            included.push(r.clone());
                        }
                        continue;
                    }
                    _ => {}
                }
                if rtype == Some("OperationOutcome") {
                    continue;
                }
                if rtype != Some(kind) {
                    return Err(SyncError::Lying(format!(
                        "{kind} search returned a {}",
                        rtype.unwrap_or("resource without resourceType")
                    )));
                }
                if id_of(r).is_none() {
                    return Err(SyncError::Malformed(format!("a {kind} without an id")));
                }
                if matches.len() < cap {
                    matches.push(r.clone());
                }
            }
            if matches.len() >= cap {
                if bundle["total"].as_u64().is_some_and(|t| t as usize > cap) {
                    tracing::warn!(kind, cap, "more records than the box keeps; newest kept");
                }
                break;
            }
            let next = bundle["link"].as_array().and_then(|links| {
                links
                    .iter()
                    .find(|l| l["relation"].as_str() == Some("next"))
                    .and_then(|l| l["url"].as_str())
                    .map(str::to_owned)
            });
            match next {
                Some(n) if visited.insert(n.clone()) => url = n,
                Some(_) => {
                    return Err(SyncError::Lying(format!(
                        "{kind} search: a next link that loops"
                    )));
                }
                None => break,
            }
        }
        Ok((matches, included))
    }

    /// Keeps rest-hook Subscriptions for the bed's encounters and the patient's records, with
    /// ids derived from this box's identity (so a restart replaces, never piles up). The
    /// notifications carry no payload: they only wake the next pass, which fetches as usual.
    fn subscribe(&mut self, location: &str, patient: Option<&str>) -> Result<(), SyncError> {
        let renew_after = SUBSCRIPTION_LIFE / 2;
        if let Some((l, p, at)) = &self.subscribed
            && l == location
            && p.as_deref() == patient
            && at.elapsed() < renew_after
        {
            return Ok(());
        }
        let Some(notify) = self.notify.clone() else {
            return Ok(());
        };
        let slug: String = self
            .device
            .value
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(30)
            .collect();
        let end = (jiff::Timestamp::now()
            + jiff::SignedDuration::from_secs(
                SUBSCRIPTION_LIFE.as_secs() as i64 + self.client.skew.unwrap_or(0),
            ))
        .to_string();
        let mut slots: Vec<(String, Option<String>)> = vec![(
            "bed".into(),
            Some(format!("Encounter?location=Location/{location}")),
        )];
        let mut kinds: Vec<(&str, &str)> = vec![("Patient", "_id")];
        for q in plan::queries() {
            if q.owner == Owner::Patient && !kinds.iter().any(|(k, _)| *k == q.kind) {
                kinds.push((q.kind, q.owner_param));
            }
        }
        for (kind, param) in kinds {
            let criteria = patient.map(|p| {
                if param == "_id" {
                    format!("{kind}?_id={p}")
                } else {
                    format!("{kind}?{param}=Patient/{p}")
                }
            });
            slots.push((kind.to_ascii_lowercase(), criteria));
        }
        for (slot, criteria) in slots {
            let id = format!("bedside-{slug}-{slot}");
            match criteria {
                Some(criteria) => {
                    let sub = crate::fhir::outbound::subscription(
                        &id,
                        &criteria,
                        &end,
                        &notify.url,
                        &format!("Authorization: Bearer {}", notify.token),
                    );
                    self.client.put("Subscription", &id, &sub.to_string())?;
                }
                None => {
                    self.client.delete("Subscription", &id)?;
                }
            }
        }
        self.subscribed = Some((
            location.to_owned(),
            patient.map(str::to_owned),
            Instant::now(),
        ));
        tracing::info!(patient = patient.is_some(), "subscribed to changes");
        Ok(())
    }

    /// Delivers due outbox items, oldest first per patient. Stops at the first transient error
    /// (the backend is down: no point hammering it); a refused item is set aside (kept).
    fn deliver_outbox(&mut self, report: &mut PassReport) -> Result<(), SyncError> {
        let mut eager = self.eager;
        loop {
            let now = jiff::Timestamp::now().as_second();
            // Eager once: items that fail now get a backoff and end the loop like any other.
            let due = self
                .store
                .outbox_due(if eager { i64::MAX } else { now }, false)?;
            eager = false;
            if due.is_empty() {
                return Ok(());
            }
            for item in due {
                let sent = if item.op == crate::store::db::OP_TASK_STATUS {
                    self.move_task(&item.json)
                } else if item.op == crate::store::db::OP_CREATE {
                    self.create_if_missing(&item.kind, &item.id, &item.json)
                } else {
                    self.client
                        .put(&item.kind, &item.id, &item.json)
                        .map(|_| ())
                };
                match sent {
                    Ok(_) => {
                        self.store.delivered(item.seq)?;
                        report.delivered += 1;
                        tracing::info!(kind = item.kind, "outbox item delivered");
                    }
                    Err(e)
                        if e.is_transient()
                            || matches!(e, SyncError::Tls(_) | SyncError::Auth(_)) =>
                    {
                        let wait = e
                            .retry_after()
                            .map_or_else(|| backoff(item.attempts), |d| d.as_secs() as i64);
                        self.store
                            .failed(item.seq, &e.to_string(), now + wait, false)?;
                        tracing::warn!(kind = item.kind, error = %e, retry_in_s = wait, "outbox delivery failed");
                        return Err(e);
                    }
                    Err(e) => {
                        self.store
                            .failed(item.seq, &e.to_string(), now + 3600, true)?;
                        tracing::error!(kind = item.kind, error = %e, "outbox item refused by the backend; kept");
                    }
                }
            }
        }
    }

    /// Moves a Task on as the patient's learning says (an `OP_TASK_STATUS` item): reads the
    /// Task as it is now, applies the change to that (never backwards, never over a nurse's
    /// cancel), and writes it only if nobody changed it since (If-Match); a conflict reads it
    /// again. A Task gone from the server, or withdrawn by staff, has nothing left to do.
    /// PUTs a resource only if the server has none at its id (FHIR R4 has no create-if-absent
    /// for a client-chosen id: a read, then the write). What is there already stays.
    fn create_if_missing(&mut self, kind: &str, id: &str, json: &str) -> Result<(), SyncError> {
        match self.client.get_json(&format!("{kind}/{}", encode(id))) {
            Ok(_) => {
                tracing::info!(kind, "already on the server; not created again");
                Ok(())
            }
            Err(SyncError::Status {
                status: 404 | 410, ..
            }) => self.client.put(kind, id, json).map(|_| ()),
            Err(e) => Err(e),
        }
    }

    fn move_task(&mut self, json: &str) -> Result<(), SyncError> {
        let intent: Value = serde_json::from_str(json)
            .map_err(|e| SyncError::Malformed(format!("a queued Task change: {e}")))?;
        let (Some(task), Some(status), Some(at)) = (
            intent["task"].as_str(),
            intent["status"].as_str(),
            intent["at"]
                .as_str()
                .and_then(|s| s.parse::<jiff::Timestamp>().ok()),
        ) else {
            return Err(SyncError::Malformed(
                "a queued Task change lacks its parts".into(),
            ));
        };
        let to = match status {
            "completed" => Some(crate::domain::learn::Progress::Done),
            "cancelled" => None,
            _ => Some(crate::domain::learn::Progress::Started),
        };
        let outputs: Vec<String> = intent["outputs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        for _ in 0..4 {
            let current = match self.client.get_json(&format!("Task/{}", encode(task))) {
                Ok(a) => a,
                Err(SyncError::Status {
                    status: 404 | 410, ..
                }) => {
                    tracing::info!("an education Task is gone from the server; nothing to update");
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            if current.json["resourceType"] != "Task" || current.json["id"] != task {
                return Err(SyncError::Lying(
                    "asked for a Task, got something else".into(),
                ));
            }
            let etag = current.etag.clone().or_else(|| {
                current.json["meta"]["versionId"]
                    .as_str()
                    .map(|v| format!("W/\"{v}\""))
            });
            use crate::fhir::learn::{TaskChange, advance_task, cancel_task};
            let change = match to {
                Some(to) => advance_task(&current.json, to, at, &outputs),
                None => cancel_task(&current.json, at),
            };
            match change {
                TaskChange::Already => return Ok(()),
                TaskChange::Withdrawn(by) => {
                    tracing::info!(
                        status = by,
                        "an education Task was withdrawn by staff; left as it is"
                    );
                    return Ok(());
                }
                TaskChange::Update(body) => {
                    match self
                        .client
                        .put_if_match("Task", task, &body.to_string(), etag.as_deref())
                    {
                        Ok(_) => return Ok(()),
                        Err(SyncError::Status {
                            status: 409 | 412, ..
                        }) => {
                            tracing::info!(
                                "an education Task changed on the server meanwhile; read again"
                            );
                            continue;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        // Changed under the box four times running: try again later (never set aside).
        Err(SyncError::Protocol(
            "an education Task kept changing on the server; trying again later".into(),
        ))
    }

    /// Erases the occupant's data (store rows, the display settings they chose): at discharge,
    /// and when biomedical IT ask for it ([`super::service::Command::Purge`]).
    pub fn purge(&mut self) -> Result<bool, SyncError> {
        let started = Instant::now();
        let erased = self.store.purge()?;
        let settings = self.data_dir.join(crate::store::settings_file::FILE_NAME);
        let settings_erased = std::fs::remove_file(&settings).is_ok();
        self.patient_etag = None;
        self.device_ref = None;
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            "previous occupant's data erased"
        );
        Ok(erased || settings_erased)
    }
}

/// Seconds to wait after `attempts` failures: 5 s doubling to 5 minutes.
fn backoff(attempts: u32) -> i64 {
    (5i64 << attempts.min(6)).min(300)
}

fn push_unique(chart: &mut Vec<Value>, seen: &mut HashSet<(String, String)>, r: Value) {
    let key = (
        r["resourceType"].as_str().unwrap_or_default().to_owned(),
        id_of(&r).unwrap_or_default().to_owned(),
    );
    if seen.insert(key) {
        chart.push(r);
    }
}

fn has_identifier(r: &Value, id: &Identifier) -> bool {
    r["identifier"].as_array().is_some_and(|ids| {
        ids.iter().any(|i| {
            i["system"].as_str() == Some(id.system.as_str())
                && i["value"].as_str() == Some(id.value.as_str())
        })
    })
}

/// Encounter classes of a patient staying in a bed (v3 ActCode).
fn is_inpatient(e: &Value) -> bool {
    matches!(
        e["class"]["code"].as_str(),
        Some("IMP" | "ACUTE" | "NONAC" | "OBSENC")
    )
}

/// The encounter lists the bed and has not moved on from it (a transfer marks the old bed's
/// entry `completed` and adds the new one).
fn at_bed_now(e: &Value, bed: &str) -> bool {
    e["location"].as_array().is_some_and(|list| {
        list.iter().any(|l| {
            l["location"]["reference"]
                .as_str()
                .is_some_and(|r| plan::refers_to(r, bed))
                && matches!(l["status"].as_str(), None | Some("active"))
        })
    })
}

fn patient_id(reference: &str) -> Option<String> {
    let r = reference
        .split_once("/_history/")
        .map_or(reference, |(h, _)| h);
    let (head, id) = r.rsplit_once('/')?;
    (head.rsplit('/').next() == Some("Patient") && !id.is_empty()).then(|| id.to_owned())
}

/// Opens the store named by the config with its key.
pub fn open_store(config: &Config) -> Result<(Store, Option<Recovery>), SyncError> {
    let key_file = config.store.key_file.as_ref().ok_or_else(|| {
        SyncError::Config("no store.key_file in the config: the store is always encrypted".into())
    })?;
    let key = DbKey::from_file(key_file)?;
    Ok(Store::open(&config.store.data_dir, &key)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("urn:x|3W-12A"), "urn%3Ax%7C3W-12A");
        assert_eq!(
            encode("ge2026-11-25T00:00:00+01:00"),
            "ge2026-11-25T00%3A00%3A00%2B01%3A00"
        );
    }

    #[test]
    fn a_transfer_leaves_the_old_bed() {
        let e = json!({"location": [
            {"location": {"reference": "Location/old"}, "status": "completed"},
            {"location": {"reference": "Location/new"}, "status": "active"}]});
        assert!(!at_bed_now(&e, "Location/old"));
        assert!(at_bed_now(&e, "Location/new"));
    }

    #[test]
    fn patient_ids_from_references() {
        assert_eq!(patient_id("Patient/abc").as_deref(), Some("abc"));
        assert_eq!(
            patient_id("http://h/fhir/Patient/abc/_history/2").as_deref(),
            Some("abc")
        );
        assert_eq!(patient_id("Group/abc"), None);
        assert_eq!(patient_id("Patient/"), None);
    }

    #[test]
    fn backoff_grows_and_stops() {
        assert_eq!(backoff(0), 5);
        assert_eq!(backoff(1), 10);
        assert_eq!(backoff(10), 300);
    }
}
