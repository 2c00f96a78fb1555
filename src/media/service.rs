//! Keeps the TV's listings: the lineup, the guide and the film catalogue (with posters), read
//! from the head-end on a thread of its own at start and every [`REFRESH`], and handed to the UI
//! whole. The UI never waits for them: until they arrive Watch says the channels are loading.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::catalogue::Catalogue;
use super::m3u::{self, Lineup};
use super::source::Fetcher;
use super::xmltv::Guide;
use crate::config;
use crate::domain::record::Photo;

/// How often the listings are read again.
pub const REFRESH: Duration = Duration::from_secs(15 * 60);
/// How soon a lineup that could not be read is asked for again.
pub const RETRY: Duration = Duration::from_secs(30);
const PLAYLIST_LIMIT: u64 = 4 << 20;
const GUIDE_LIMIT: u64 = 64 << 20;
const CATALOGUE_LIMIT: u64 = 4 << 20;
const POSTER_LIMIT: u64 = 4 << 20;
/// Posters are kept this tall (shown about 360 px tall at 1080p).
const POSTER_HEIGHT: u32 = 480;
const LOGO_LIMIT: u64 = 1 << 20;
/// Channel logos are kept at most this big (shown at most 180x90 at 1080p).
const LOGO_BOX: (u32, u32) = (240, 120);

/// Everything Watch shows besides the pictures themselves.
#[derive(Clone, Debug, Default)]
pub struct Listings {
    pub lineup: Lineup,
    /// None when there is no guide or it cannot be read: channel names only, then.
    pub guide: Option<Arc<Guide>>,
    pub catalogue: Catalogue,
    /// Posters by catalogue item id, decoded and made small.
    pub posters: HashMap<String, Photo>,
    /// Channel logos (`tvg-logo`) by channel key, decoded and made small.
    pub logos: HashMap<String, Photo>,
    /// Some of it is the kept copy: the head-end could not be reached.
    pub stale: bool,
    /// Why the playlist could not be read at all (Watch shows it to staff in the log only).
    pub lineup_error: Option<String>,
}

/// Reads everything once (blocking). `now` sets the guide's window.
pub fn load(tv: &config::Tv, cache: Option<PathBuf>, now: Timestamp) -> Listings {
    let mut listings = Listings::default();
    let fetcher = match Fetcher::new(tv.ca_file.as_deref(), cache) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the TV sources");
            listings.lineup_error = Some(e.to_string());
            return listings;
        }
    };
    match fetcher.fetch(&tv.playlist.0, "lineup.m3u", PLAYLIST_LIMIT) {
        Ok(got) => {
            listings.stale |= got.stale;
            listings.lineup =
                m3u::parse(&String::from_utf8_lossy(&got.bytes), Some(&tv.playlist.0));
            for p in &listings.lineup.problems {
                tracing::warn!(line = p.line, problem = %p.what, "playlist line skipped");
            }
            tracing::info!(
                channels = listings.lineup.channels.len(),
                problems = listings.lineup.problems.len(),
                stale = got.stale,
                "channel lineup read"
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "no channel lineup");
            listings.lineup_error = Some(e.to_string());
        }
    }
    let guide_source = tv
        .guide
        .as_ref()
        .map(|g| g.0.clone())
        .or_else(|| listings.lineup.guide_url.clone());
    if let Some(source) = guide_source {
        let from = now - SignedDuration::from_hours(6);
        let until = now + SignedDuration::from_hours(30);
        match fetcher.fetch(&source, "guide.xml", GUIDE_LIMIT) {
            Ok(got) => {
                listings.stale |= got.stale;
                match Guide::parse(&got.bytes[..], from, until) {
                    Ok(guide) => {
                        tracing::info!(skipped = guide.skipped, "programme guide read");
                        listings.guide = Some(Arc::new(guide));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the guide cannot be used; channel names only")
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "no programme guide; channel names only"),
        }
    }
    if let Some(source) = &tv.catalogue {
        match fetcher.fetch(&source.0, "catalogue.json", CATALOGUE_LIMIT) {
            Ok(got) => match Catalogue::parse(&String::from_utf8_lossy(&got.bytes), &source.0) {
                Ok(c) => {
                    for p in &c.problems {
                        tracing::warn!(problem = %p, "catalogue item skipped");
                    }
                    listings.stale |= got.stale;
                    listings.catalogue = c;
                }
                Err(e) => tracing::warn!(error = %e, "the film catalogue cannot be used"),
            },
            Err(e) => tracing::warn!(error = %e, "no film catalogue"),
        }
    }
    listings.logos = logos(&fetcher, &listings.lineup, &tv.playlist.0);
    for item in &listings.catalogue.items {
        let Some(url) = &item.poster else { continue };
        let name = format!("poster-{}", sanitize(&item.id));
        match fetcher.fetch(url, &name, POSTER_LIMIT) {
            Ok(got) => match poster(&got.bytes) {
                Some(p) => {
                    listings.posters.insert(item.id.clone(), p);
                }
                None => tracing::warn!(item = %item.id, "a poster cannot be decoded"),
            },
            Err(e) => tracing::warn!(error = %e, "a poster cannot be read"),
        }
    }
    listings
}

/// The lineup's logos, by channel key. A logo is fetched once and then read from the kept copy
/// (named by its address: a new address is a new logo); channels sharing one share the work.
fn logos(fetcher: &Fetcher, lineup: &Lineup, playlist: &str) -> HashMap<String, Photo> {
    use std::hash::{Hash, Hasher};
    let mut by_url: HashMap<String, Option<Photo>> = HashMap::new();
    let mut logos = HashMap::new();
    let mut failed = 0;
    // After one logo cannot be fetched, the others come from kept copies only this time: a
    // logo server that is down must not hold the lineup back by a timeout per channel.
    let mut reachable = true;
    for c in &lineup.channels {
        let Some(logo) = c.logo.as_deref().map(str::trim).filter(|l| !l.is_empty()) else {
            continue;
        };
        let url = super::source::resolve(logo, playlist);
        let photo = by_url.entry(url.clone()).or_insert_with(|| {
            let mut hasher = std::hash::DefaultHasher::new();
            url.hash(&mut hasher);
            let name = format!("logo-{:016x}", hasher.finish());
            let bytes = if reachable {
                match fetcher.fetch_kept(&url, &name, LOGO_LIMIT) {
                    Ok(got) => Some(got.bytes),
                    // The server is there; only this logo is missing or too big.
                    Err(
                        e @ (super::source::SourceError::Status(..)
                        | super::source::SourceError::TooLarge(..)
                        | super::source::SourceError::File(..)),
                    ) => {
                        tracing::debug!(error = %e, "a channel logo cannot be read");
                        None
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "a channel logo cannot be fetched; kept copies only");
                        reachable = false;
                        None
                    }
                }
            } else {
                fetcher.kept(&name, LOGO_LIMIT)
            };
            let photo = bytes.and_then(|b| {
                crate::picture::thumbnail(&b, None, LOGO_BOX.0, LOGO_BOX.1)
            });
            if photo.is_none() {
                failed += 1;
            }
            photo
        });
        if let Some(p) = photo {
            logos.insert(c.key().to_owned(), p.clone());
        }
    }
    if failed > 0 {
        // One line, not one per channel: a head-end with SVG logos has hundreds.
        tracing::warn!(
            failed,
            "channel logos that cannot be read or decoded (PNG and JPEG are)"
        );
    }
    logos
}

fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect()
}

/// Decodes a poster (PNG or JPEG, at most 4096 px a side) and makes it small.
pub fn poster(bytes: &[u8]) -> Option<Photo> {
    crate::picture::thumbnail(bytes, None, u32::MAX, POSTER_HEIGHT)
}

/// Reads the listings now and every [`REFRESH`] on a thread of its own; `deliver` gets each.
/// A failure while reading (a bug in a parser, say) is logged and the reading starts again
/// ([`crate::supervise`]); what was delivered before stays on screen meanwhile.
pub fn spawn(
    tv: config::Tv,
    cache: Option<PathBuf>,
    deliver: impl Fn(Listings) + Send + 'static,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("tv-listings".into())
        .spawn(move || {
            crate::supervise::run(
                "tv-listings",
                || {
                    loop {
                        let listings = load(&tv, cache.clone(), Timestamp::now());
                        // Without a lineup, ask again soon: the head-end may just be starting.
                        let again = if listings.lineup_error.is_some() {
                            RETRY
                        } else {
                            REFRESH
                        };
                        deliver(listings);
                        std::thread::sleep(again);
                    }
                },
                || {},
                |pause| {
                    std::thread::sleep(pause);
                    true
                },
            )
        })
        .map(|_| ())
}
