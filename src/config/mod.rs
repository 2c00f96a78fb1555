//! The one configuration file (`/etc/bedside/bedside.toml` on the appliance, `--config FILE`
//! anywhere). Every key is documented in docs/config.md; unknown keys are refused with their name,
//! so a typo never silently falls back to a default. Sections are added as features land.

mod staff;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::clock::ClockStyle;

pub use staff::{LdapsUrl, Staff};

/// Where the appliance looks when no `--config` is given.
pub const DEFAULT_PATH: &str = "/etc/bedside/bedside.toml";

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub device: Device,
    pub bed: Bed,
    /// The hospital's FHIR R4 server. Without it the box shows the empty bed (or `--demo`).
    pub backend: Option<Backend>,
    #[serde(default)]
    pub store: Store,
    #[serde(default)]
    pub ui: Ui,
    #[serde(default)]
    pub input: Input,
    /// Live TV, the guide, films and relaxation. Without it, Watch says TV is not set up.
    pub tv: Option<Tv>,
    /// Video calls with the care team. Without it, Call says calls are not set up.
    pub call: Option<Call>,
    /// The staff directory for clinician sign-in. Without it, a badge read says staff sign-in
    /// is not set up on this TV.
    pub staff: Option<Staff>,
    /// Learn: where staff assign from.
    #[serde(default)]
    pub learn: Learn,
}

/// Learn's settings.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Learn {
    /// The hospital's catalogue of patient education: one FHIR search, or a list of them
    /// (relative to the backend's base), each of DocumentReferences, ActivityDefinitions or
    /// PlanDefinitions (docs/learn.md says what is read of each). Read at each full load
    /// (every ten minutes), never on an idle poll. Default: the current DocumentReferences in
    /// SNOMED CT's "Patient education" category.
    #[serde(default = "Learn::default_catalogue")]
    pub catalogue: Searches,
    /// How much disk (MB) the material fetched ahead may take: videos, captions and PDF
    /// leaflets at a URL, so Learn works with the backend down. The least recently wanted goes
    /// first when it is full. 0 fetches nothing ahead (videos then play from their URL, PDFs
    /// are not shown). Erased at discharge whatever its size. Default 1024.
    #[serde(default = "Learn::default_cache_mb")]
    pub cache_mb: u64,
}

/// FHIR searches, written as one string or a list of them in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Searches(pub Vec<String>);

impl Searches {
    /// The resource types a catalogue search may be of.
    pub const KINDS: [&str; 3] = ["DocumentReference", "ActivityDefinition", "PlanDefinition"];
}

impl<'de> Deserialize<'de> for Searches {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        let list = match OneOrMany::deserialize(d)? {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        };
        for search in &list {
            let kind = search.split('?').next().unwrap_or_default();
            if !Searches::KINDS.contains(&kind) {
                return Err(serde::de::Error::custom(format!(
                    "`{search}` is not a search of {}",
                    Searches::KINDS.join(", ")
                )));
            }
        }
        Ok(Searches(list))
    }
}

impl Learn {
    fn default_catalogue() -> Searches {
        Searches(vec![
            "DocumentReference?category=http://snomed.info/sct|311401005&status=current".into(),
        ])
    }

    fn default_cache_mb() -> u64 {
        1024
    }
}

impl Default for Learn {
    fn default() -> Self {
        Learn {
            catalogue: Learn::default_catalogue(),
            cache_mb: Learn::default_cache_mb(),
        }
    }
}

/// This box.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// FHIR Device identifier, `system|value`.
    pub id: Identifier,
}

/// The bed this box serves.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bed {
    /// FHIR Location identifier of the bed, `system|value`.
    pub location: Identifier,
    /// Shown in the header, e.g. "3 West, Room 12, Bed A".
    pub name: NonEmpty,
}

/// The hospital's FHIR R4 server and how the box signs in to it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backend {
    /// Base URL, e.g. `https://fhir.example.org/r4`. `http://` is accepted only for loopback
    /// addresses (a test or demo server on the box itself).
    pub url: BaseUrl,
    /// PEM file of the certificate authorities to trust for `https://`. Without it, the public
    /// web roots are trusted. There is deliberately no way to turn certificate checks off.
    pub ca_file: Option<PathBuf>,
    /// Seconds between polls for changes (default 15, at least 2).
    #[serde(default = "Backend::default_poll")]
    pub poll_seconds: PollSeconds,
    /// Seconds a whole request may take before it is given up (default 20).
    #[serde(default = "Backend::default_timeout")]
    pub timeout_seconds: PollSeconds,
    /// SMART Backend Services credentials; omit for an open test server.
    pub auth: Option<Auth>,
    /// Where to listen for FHIR rest-hook notifications, e.g. `0.0.0.0:8765`. With it (and
    /// `notify_url`) the box subscribes to changes of its bed and patient, and a change reaches
    /// the screen at once instead of at the next poll; polling goes on as the safety net.
    pub notify_listen: Option<std::net::SocketAddr>,
    /// The URL the backend posts notifications to: this box as the backend reaches it.
    pub notify_url: Option<NotifyUrl>,
}

/// An `http(s)://` URL.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct NotifyUrl(String);

impl TryFrom<String> for NotifyUrl {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        if text.starts_with("http://") || text.starts_with("https://") {
            Ok(NotifyUrl(text))
        } else {
            Err(format!("`{text}` is not an http(s):// URL"))
        }
    }
}

impl NotifyUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Backend {
    fn default_poll() -> PollSeconds {
        PollSeconds(15)
    }
    fn default_timeout() -> PollSeconds {
        PollSeconds(20)
    }
}

/// SMART Backend Services: OAuth2 client credentials with a signed JWT client assertion.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// The client id the hospital registered for this box.
    pub client_id: NonEmpty,
    /// PEM private key (PKCS#8, RSA or P-384 EC) the assertion is signed with; in production a
    /// systemd credential.
    pub key_file: PathBuf,
    /// Key id (`kid`) the hospital registered the public key under, if it asks for one.
    pub key_id: Option<String>,
    /// Scopes to ask for (default: read everything, write what the box sends).
    #[serde(default = "Auth::default_scope")]
    pub scope: String,
}

impl Auth {
    fn default_scope() -> String {
        "system/*.read system/Observation.write system/Communication.write \
         system/QuestionnaireResponse.write system/AuditEvent.write"
            .to_owned()
    }
}

/// A FHIR base URL: `https://`, or `http://` to a loopback address; no trailing slash kept.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct BaseUrl(String);

impl TryFrom<String> for BaseUrl {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let url = text.trim().trim_end_matches('/');
        let loopback = [
            "http://127.",
            "http://localhost:",
            "http://localhost/",
            "http://[::1]",
        ];
        let https = url.starts_with("https://") && url.len() > "https://".len();
        if https || loopback.iter().any(|p| url.starts_with(p)) {
            Ok(BaseUrl(url.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a usable FHIR base URL: use https:// (http:// only to a loopback test server)"
            ))
        }
    }
}

impl BaseUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A whole number of seconds from 2 to 3600.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u64")]
pub struct PollSeconds(pub u64);

impl TryFrom<u64> for PollSeconds {
    type Error = &'static str;

    fn try_from(n: u64) -> Result<Self, Self::Error> {
        if (2..=3600).contains(&n) {
            Ok(PollSeconds(n))
        } else {
            Err("must be between 2 and 3600 seconds")
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// Where the appliance keeps its state: the encrypted database and the display settings.
    pub data_dir: PathBuf,
    /// The file holding the database key (in production a systemd credential): 64 hex digits
    /// (a raw 256-bit key, e.g. from `openssl rand -hex 32`) or a passphrase of 16+ characters.
    /// Needed when a backend is configured.
    pub key_file: Option<PathBuf>,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            data_dir: PathBuf::from("/var/lib/bedside"),
            key_file: None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ui {
    /// `"24h"` (default) or `"12h"`.
    #[serde(default)]
    pub clock: ClockStyle,
}

/// The hospital's IPTV head-end and film library.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tv {
    /// The channel lineup: an M3U playlist, by `http(s)://` URL or file path.
    pub playlist: Source,
    /// The programme guide (XMLTV), by URL or path. Default: the playlist's `x-tvg-url`.
    pub guide: Option<Source>,
    /// Films and relaxation videos: a JSON catalogue (docs/watch.md), by URL or path.
    pub catalogue: Option<Source>,
    /// PEM file of the certificate authorities to trust for `https://` sources (default: the
    /// public web roots).
    pub ca_file: Option<PathBuf>,
    /// The loudest the patient can set, 0-100 (shared rooms). Default 100.
    #[serde(default = "Tv::default_max_volume")]
    pub max_volume: Percent,
    /// Hours when the volume is capped at `quiet_volume`, e.g. `"22:00-07:00"`.
    pub quiet_hours: Option<QuietHours>,
    /// The cap during quiet hours, 0-100. Default 30.
    #[serde(default = "Tv::default_quiet_volume")]
    pub quiet_volume: Percent,
    /// Fast channel change: how many channels each way (and the last one) are received ahead
    /// while TV plays, 0-5, 0 for none. Each costs one channel's bandwidth on the box's port.
    /// Default 2.
    #[serde(default = "Tv::default_receive_ahead")]
    pub receive_ahead: ReceiveAhead,
}

/// Channels received ahead each way, 0-5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u8")]
pub struct ReceiveAhead(pub u8);

impl TryFrom<u8> for ReceiveAhead {
    type Error = String;

    fn try_from(n: u8) -> Result<Self, Self::Error> {
        if n <= 5 {
            Ok(ReceiveAhead(n))
        } else {
            Err(format!("receive_ahead is {n}: at most 5 channels each way"))
        }
    }
}

impl Tv {
    fn default_max_volume() -> Percent {
        Percent(100)
    }
    fn default_quiet_volume() -> Percent {
        Percent(30)
    }
    fn default_receive_ahead() -> ReceiveAhead {
        ReceiveAhead(2)
    }
}

/// An `http://`/`https://` URL or a file path.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Source(pub String);

impl TryFrom<String> for Source {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let t = text.trim();
        if t.is_empty() {
            return Err("an empty address: give an http(s):// URL or a file path".into());
        }
        if let Some((scheme, _)) = t.split_once("://")
            && !matches!(scheme, "http" | "https" | "file")
        {
            return Err(format!(
                "`{t}`: only http://, https:// or a file path can be read"
            ));
        }
        Ok(Source(t.strip_prefix("file://").unwrap_or(t).to_owned()))
    }
}

/// A whole number from 0 to 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct Percent(pub u8);

impl TryFrom<i64> for Percent {
    type Error = &'static str;

    fn try_from(n: i64) -> Result<Self, Self::Error> {
        u8::try_from(n)
            .ok()
            .filter(|n| *n <= 100)
            .map(Percent)
            .ok_or("must be between 0 and 100")
    }
}

/// `"HH:MM-HH:MM"`, local time; the end may be the next morning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct QuietHours {
    pub start: jiff::civil::Time,
    pub end: jiff::civil::Time,
}

impl QuietHours {
    /// Whether `at` falls inside.
    pub fn contains(&self, at: jiff::civil::Time) -> bool {
        if self.start <= self.end {
            self.start <= at && at < self.end
        } else {
            at >= self.start || at < self.end
        }
    }
}

impl TryFrom<String> for QuietHours {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let bad = || format!("`{text}` is not a time range: write it as \"22:00-07:00\"");
        let (a, b) = text.split_once('-').ok_or_else(bad)?;
        let time = |s: &str| jiff::civil::Time::strptime("%H:%M", s.trim()).map_err(|_| bad());
        let (start, end) = (time(a)?, time(b)?);
        if start == end {
            return Err(format!(
                "`{text}`: the quiet hours start and end at the same time"
            ));
        }
        Ok(QuietHours { start, end })
    }
}

/// Video calls: the signalling server, ICE servers, the camera and microphone.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// The signalling server, `wss://` (or `ws://` on a closed test network). The box only
    /// ever connects out to it and takes calls only through it.
    pub signalling_url: SignallingUrl,
    /// STUN and TURN servers: `stun:host:port`, `turn://user:password@host:port`.
    #[serde(default)]
    pub ice_servers: Vec<IceServer>,
    /// Calls go only through the TURN servers of `ice_servers` (a network that lets nothing
    /// else through, or that must not show the box's address to the far end). Default false.
    #[serde(default)]
    pub relay_only: bool,
    /// PEM file of the certificate authorities to trust for `wss://` (default: the public web
    /// roots).
    pub ca_file: Option<PathBuf>,
    /// The box's own certificate and key (PEM), when the server (or the proxy in front of it)
    /// asks for one: how the box proves which box it is.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// `"auto"` (default: `/dev/video0` when there is one, else audio-only), `"none"`,
    /// `"test"` (a moving test picture), or a V4L2 device path.
    #[serde(default)]
    pub camera: CameraChoice,
    /// `"auto"` (default) or `"test"` (a tone).
    #[serde(default)]
    pub microphone: MicrophoneChoice,
    /// Virtual observation: calls from people with one of these roles (as the care-team page
    /// sends them, any case) are answered without a press, with a banner on screen for the
    /// whole call and a chime when it connects. Empty (the default): every call waits for the
    /// patient. Only for a signalling server that authenticates the people who use it.
    #[serde(default)]
    pub observation_roles: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum CameraChoice {
    #[default]
    Auto,
    None,
    Test,
    Device(PathBuf),
}

impl TryFrom<String> for CameraChoice {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        match text.trim() {
            "auto" => Ok(CameraChoice::Auto),
            "none" => Ok(CameraChoice::None),
            "test" => Ok(CameraChoice::Test),
            path if path.starts_with("/dev/") => Ok(CameraChoice::Device(path.into())),
            other => Err(format!(
                "camera `{other}`: give \"auto\", \"none\", \"test\" or a device like /dev/video0"
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MicrophoneChoice {
    #[default]
    Auto,
    Test,
}

/// A `ws://` or `wss://` URL.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct SignallingUrl(pub String);

impl TryFrom<String> for SignallingUrl {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let t = text.trim();
        let rest = t
            .strip_prefix("wss://")
            .or_else(|| t.strip_prefix("ws://"))
            .ok_or_else(|| format!("signalling_url `{t}`: give a wss:// (or ws://) URL"))?;
        if rest.split('/').next().is_none_or(str::is_empty) {
            return Err(format!("signalling_url `{t}` has no host"));
        }
        Ok(SignallingUrl(t.to_owned()))
    }
}

/// A STUN or TURN server, kept in the form GStreamer's webrtcbin takes
/// (`stun://host:port`, `turn://user:password@host:port`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum IceServer {
    Stun(String),
    Turn(String),
}

impl TryFrom<String> for IceServer {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let t = text.trim();
        let (scheme, rest) = t.split_once(':').ok_or_else(|| {
            format!("ice server `{t}`: give stun:host:port or turn://user:password@host:port")
        })?;
        let rest = rest.trim_start_matches("//");
        if rest.is_empty() {
            return Err(format!("ice server `{t}` has no host"));
        }
        match scheme {
            "stun" => Ok(IceServer::Stun(format!("stun://{rest}"))),
            "turn" | "turns" if rest.contains('@') => {
                Ok(IceServer::Turn(format!("{scheme}://{rest}")))
            }
            "turn" | "turns" => Err(format!(
                "ice server `{t}`: a TURN server needs its user and password (turn://user:password@host:port)"
            )),
            _ => Err(format!(
                "ice server `{t}`: only stun: and turn: servers are known"
            )),
        }
    }
}

/// Remotes, pillow speakers, keyboards and badge readers.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// A folder of keymap files that add to or replace the built-in ones (assets/keymaps);
    /// reloaded when it changes.
    pub keymaps: Option<PathBuf>,
    /// Read `/dev/input` devices: `"auto"` (default: yes, unless a desktop session is there, so
    /// a developer's own keyboard is never grabbed), `"on"` or `"off"`.
    #[serde(default)]
    pub evdev: Evdev,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Evdev {
    #[default]
    Auto,
    On,
    Off,
}

/// A FHIR identifier written `system|value`, both parts non-empty.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Identifier {
    pub system: String,
    pub value: String,
}

impl TryFrom<String> for Identifier {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        match text.split_once('|') {
            Some((system, value))
                if !system.trim().is_empty()
                    && !value.trim().is_empty()
                    && !value.contains('|') =>
            {
                Ok(Identifier {
                    system: system.trim().to_owned(),
                    value: value.trim().to_owned(),
                })
            }
            _ => Err(format!(
                "`{text}` is not a FHIR identifier: write it as `system|value`, e.g. `urn:example:bed|3W-12A`"
            )),
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}", self.system, self.value)
    }
}

/// A string that holds more than white space.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct NonEmpty(String);

impl TryFrom<String> for NonEmpty {
    type Error = &'static str;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            Err("must not be empty")
        } else {
            Ok(NonEmpty(trimmed.to_owned()))
        }
    }
}

impl NonEmpty {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a key is missing, unknown or has a bad value. The message
    /// names the key and shows the line.
    #[error("config file {path}: {source}")]
    Invalid {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|source| ConfigError::Invalid {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }

    pub fn parse(text: &str) -> Result<Config, toml::de::Error> {
        let config: Config = toml::from_str(text)?;
        if let Some(b) = &config.backend
            && b.notify_listen.is_some() != b.notify_url.is_some()
        {
            return Err(serde::de::Error::custom(
                "`backend.notify_listen` and `backend.notify_url` go together: give both or neither",
            ));
        }
        if config.backend.is_some() && config.store.key_file.is_none() {
            // Patient data is only ever kept encrypted: a backend needs the database key.
            return Err(serde::de::Error::custom(
                "missing field `store.key_file`: a [backend] needs the database key file (see README)",
            ));
        }
        Ok(config)
    }

    /// The configuration `--demo` runs with when no file is given: a demo bed and no data
    /// directory, so nothing is written anywhere.
    pub fn demo() -> Config {
        Config {
            device: Device {
                id: Identifier {
                    system: "urn:bedside:demo:device".into(),
                    value: "TV-DEMO".into(),
                },
            },
            bed: Bed {
                location: Identifier {
                    system: "urn:bedside:demo:bed".into(),
                    value: "3W-12A".into(),
                },
                name: NonEmpty("3 West · Room 12 · Bed A".into()),
            },
            backend: None,
            store: Store::default(),
            ui: Ui::default(),
            input: Input::default(),
            tv: None,
            call: None,
            staff: None,
            learn: Learn::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[device]
id = "urn:example:device|TV-3W-12A"
[bed]
location = "urn:example:bed|3W-12A"
name = "3 West, Room 12, Bed A"
[backend]
url = "https://fhir.example.org/r4/"
ca_file = "/etc/bedside/ca.pem"
poll_seconds = 30
[backend.auth]
client_id = "bedside-3w-12a"
key_file = "/run/credentials/bedside.service/client-key.pem"
[store]
data_dir = "/tmp/bedside"
key_file = "/run/credentials/bedside.service/db-key"
[ui]
clock = "12h"
[input]
keymaps = "/etc/bedside/keymaps"
evdev = "on"
[tv]
playlist = "http://iptv.example.org/lineup.m3u"
guide = "/var/lib/iptv/guide.xml"
catalogue = "file:///srv/films/catalogue.json"
max_volume = 80
quiet_hours = "22:00-07:00"
quiet_volume = 25
"#;

    #[test]
    fn learns_catalogue_is_one_search_or_several_of_the_three_kinds() {
        let with = |learn: &str| Config::parse(&format!("{GOOD}[learn]\n{learn}\n"));
        assert_eq!(
            Config::parse(GOOD).unwrap().learn.catalogue.0,
            ["DocumentReference?category=http://snomed.info/sct|311401005&status=current"]
        );
        let one =
            with(r#"catalogue = "ActivityDefinition?topic=http://snomed.info/sct|311401005""#);
        assert_eq!(one.unwrap().learn.catalogue.0.len(), 1);
        let two = with(r#"catalogue = ["DocumentReference?status=current", "PlanDefinition"]"#);
        assert_eq!(
            two.unwrap().learn.catalogue.0,
            ["DocumentReference?status=current", "PlanDefinition"]
        );
        let bad = with(r#"catalogue = ["Patient?name=x"]"#)
            .unwrap_err()
            .to_string();
        assert!(
            bad.contains("catalogue") && bad.contains("Patient?name=x"),
            "{bad}"
        );
    }

    #[test]
    fn reads_the_documented_shape() {
        let c = Config::parse(GOOD).unwrap();
        assert_eq!(c.device.id.value, "TV-3W-12A");
        assert_eq!(c.bed.location.to_string(), "urn:example:bed|3W-12A");
        assert_eq!(c.bed.name.as_str(), "3 West, Room 12, Bed A");
        assert_eq!(c.store.data_dir, PathBuf::from("/tmp/bedside"));
        assert_eq!(c.ui.clock, ClockStyle::TwelveHour);
        assert_eq!(c.input.keymaps, Some(PathBuf::from("/etc/bedside/keymaps")));
        assert_eq!(c.input.evdev, Evdev::On);
        let b = c.backend.unwrap();
        assert_eq!(b.url.as_str(), "https://fhir.example.org/r4");
        assert_eq!(b.poll_seconds, PollSeconds(30));
        assert_eq!(b.timeout_seconds, PollSeconds(20));
        assert_eq!(b.auth.unwrap().client_id.as_str(), "bedside-3w-12a");
        let tv = c.tv.unwrap();
        assert_eq!(tv.playlist.0, "http://iptv.example.org/lineup.m3u");
        assert_eq!(tv.catalogue.unwrap().0, "/srv/films/catalogue.json");
        assert_eq!((tv.max_volume, tv.quiet_volume), (Percent(80), Percent(25)));
        let quiet = tv.quiet_hours.unwrap();
        assert!(quiet.contains(jiff::civil::time(23, 30, 0, 0)));
        assert!(quiet.contains(jiff::civil::time(6, 59, 0, 0)));
        assert!(!quiet.contains(jiff::civil::time(7, 0, 0, 0)));
        assert!(!quiet.contains(jiff::civil::time(12, 0, 0, 0)));
    }

    #[test]
    fn bad_tv_values_are_named() {
        let base = GOOD.split("[tv]").next().unwrap().to_owned();
        for (tv, needle) in [
            ("[tv]\nplaylist = \"rtsp://x/y\"\n", "only http://"),
            (
                "[tv]\nplaylist = \"/a\"\nmax_volume = 120\n",
                "between 0 and 100",
            ),
            (
                "[tv]\nplaylist = \"/a\"\nquiet_hours = \"late\"\n",
                "not a time range",
            ),
            ("[tv]\nguide = \"/a\"\n", "playlist"),
            (
                "[tv]\nplaylist = \"/a\"\nreceive_ahead = 9\n",
                "at most 5 channels each way",
            ),
            (
                "[tv]\nplaylist = \"/a\"\nvolume = 3\n",
                "unknown field `volume`",
            ),
        ] {
            let err = Config::parse(&format!("{base}{tv}"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{tv}: {err}");
        }
    }

    #[test]
    fn backend_settings_are_checked() {
        let e = error_of(&GOOD.replace("https://fhir.example.org/r4/", "http://fhir.example.org"));
        assert!(e.contains("https://") && e.contains("url ="), "{e}");
        assert!(
            Config::parse(
                &GOOD.replace("https://fhir.example.org/r4/", "http://127.0.0.1:8090/fhir")
            )
            .is_ok()
        );
        let e = error_of(&GOOD.replace("poll_seconds = 30", "poll_seconds = 0"));
        assert!(e.contains("between 2 and 3600"), "{e}");
        let e =
            error_of(&GOOD.replace("key_file = \"/run/credentials/bedside.service/db-key\"", ""));
        assert!(e.contains("store.key_file"), "{e}");
        let e = error_of(&GOOD.replace("client_id = \"bedside-3w-12a\"\n", ""));
        assert!(e.contains("missing field `client_id`"), "{e}");
    }

    #[test]
    fn optional_sections_take_defaults() {
        let c =
            Config::parse("[device]\nid = \"a|b\"\n[bed]\nlocation = \"c|d\"\nname = \"Bed 1\"\n")
                .unwrap();
        assert_eq!(c.store.data_dir, PathBuf::from("/var/lib/bedside"));
        assert_eq!(c.ui.clock, ClockStyle::TwentyFourHour);
    }

    fn error_of(text: &str) -> String {
        Config::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn the_call_section_takes_its_servers_and_refuses_what_cannot_work() {
        let call = format!(
            "{GOOD}\n[call]\nsignalling_url = \"wss://video.example.org/signalling\"\n\
             ice_servers = [\"stun:stun.example.org:3478\", \"turn://u:p@turn.example.org:3478\"]\n\
             camera = \"/dev/video2\"\n"
        );
        let c = Config::parse(&call).expect("valid").call.expect("call");
        assert_eq!(
            c.ice_servers,
            vec![
                IceServer::Stun("stun://stun.example.org:3478".into()),
                IceServer::Turn("turn://u:p@turn.example.org:3478".into())
            ]
        );
        assert_eq!(c.camera, CameraChoice::Device("/dev/video2".into()));
        assert_eq!(c.microphone, MicrophoneChoice::Auto);
        for (bad, says) in [
            ("signalling_url = \"https://x/\"", "wss://"),
            ("signalling_url = \"wss://\"", "no host"),
            (
                "signalling_url = \"ws://h/\"\nice_servers = [\"turn:t:3478\"]",
                "user and password",
            ),
            (
                "signalling_url = \"ws://h/\"\nice_servers = [\"http://x\"]",
                "only stun",
            ),
            (
                "signalling_url = \"ws://h/\"\ncamera = \"webcam\"",
                "camera `webcam`",
            ),
        ] {
            let e = error_of(&format!("{GOOD}\n[call]\n{bad}\n"));
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let e = error_of(&format!("{GOOD}\n[calls]\nsignalling_url = \"x\"\n"));
        assert!(e.contains("unknown field `calls`"), "{e}");
        let e = error_of(&GOOD.replace("clock =", "clok ="));
        assert!(e.contains("unknown field `clok`"), "{e}");
    }

    #[test]
    fn missing_and_bad_fields_are_named() {
        let e = error_of("[device]\nid = \"a|b\"\n");
        assert!(e.contains("missing field `bed`"), "{e}");
        let e = error_of(&GOOD.replace("urn:example:bed|3W-12A", "3W-12A"));
        assert!(e.contains("location = \"3W-12A\""), "shows the line: {e}");
        assert!(e.contains("system|value"), "{e}");
        let e = error_of(&GOOD.replace("\"3 West, Room 12, Bed A\"", "\"  \""));
        assert!(
            e.contains("name = \"  \"") && e.contains("must not be empty"),
            "{e}"
        );
        let e = error_of(&GOOD.replace("\"12h\"", "\"13h\""));
        assert!(e.contains("clock = \"13h\""), "{e}");
    }

    #[test]
    fn identifiers_need_both_halves() {
        for bad in ["", "|", "a|", "|b", "a", "a|b|c", " | "] {
            assert!(Identifier::try_from(bad.to_owned()).is_err(), "{bad:?}");
        }
        let id = Identifier::try_from(" urn:x | 12 ".to_owned()).unwrap();
        assert_eq!((id.system.as_str(), id.value.as_str()), ("urn:x", "12"));
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let e = Config::load(Path::new("/nonexistent/bedside.toml")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/bedside.toml"), "{e}");
    }
}
