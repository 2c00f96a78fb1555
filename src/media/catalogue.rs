//! Films and relaxation videos on demand: a catalogue the hospital publishes as JSON (from the
//! backend or a local directory), in this shape:
//!
//! ```json
//! {"items": [
//!   {"id": "bbb", "kind": "film", "title": "Big Buck Bunny",
//!    "synopsis": "A giant rabbit…", "poster": "posters/bbb.jpg", "rating": "U",
//!    "duration_minutes": 10, "languages": ["en"],
//!    "captions": [{"language": "en", "url": "captions/bbb.en.vtt"}],
//!    "url": "films/bigbuckbunny.mp4"},
//!   {"id": "waves", "kind": "relaxation", "title": "Ocean waves", "url": "relax/waves.webm"}
//! ]}
//! ```
//!
//! Relative addresses are resolved against the catalogue's own location. An item without an id,
//! a title or an address is left out and reported; unknown fields are fine (the hospital's
//! system may add its own).

use serde::Deserialize;

/// Most items kept.
pub const MAX_ITEMS: usize = 2000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Film,
    /// Calm pictures and sound, played in a loop.
    Relaxation,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CaptionTrack {
    pub language: String,
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Item {
    pub id: String,
    #[serde(default)]
    pub kind: Kind,
    pub title: String,
    #[serde(default)]
    pub synopsis: String,
    #[serde(default)]
    pub poster: Option<String>,
    #[serde(default)]
    pub rating: Option<String>,
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub captions: Vec<CaptionTrack>,
    pub url: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalogue {
    pub items: Vec<Item>,
    /// Items left out, and why (with their position in the list).
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogueError {
    #[error("the film catalogue is not JSON with an `items` list: {0}")]
    Shape(String),
}

impl Catalogue {
    pub fn parse(text: &str, base: &str) -> Result<Catalogue, CatalogueError> {
        #[derive(Deserialize)]
        struct Doc {
            items: Vec<serde_json::Value>,
        }
        let doc: Doc =
            serde_json::from_str(text).map_err(|e| CatalogueError::Shape(e.to_string()))?;
        let mut catalogue = Catalogue::default();
        for (i, value) in doc.items.into_iter().enumerate() {
            if catalogue.items.len() >= MAX_ITEMS {
                catalogue.problems.push(format!(
                    "more than {MAX_ITEMS} items; the rest are left out"
                ));
                break;
            }
            match serde_json::from_value::<Item>(value) {
                Ok(mut item)
                    if !item.id.trim().is_empty()
                        && !item.title.trim().is_empty()
                        && !item.url.trim().is_empty() =>
                {
                    item.url = super::source::resolve(item.url.trim(), base);
                    item.poster = item.poster.map(|p| super::source::resolve(&p, base));
                    for c in &mut item.captions {
                        c.url = super::source::resolve(&c.url, base);
                    }
                    if catalogue.items.iter().any(|o| o.id == item.id) {
                        catalogue
                            .problems
                            .push(format!("item {i}: id `{}` is used twice", item.id));
                        continue;
                    }
                    catalogue.items.push(item);
                }
                Ok(_) => catalogue
                    .problems
                    .push(format!("item {i}: an empty id, title or url")),
                Err(e) => catalogue.problems.push(format!("item {i}: {e}")),
            }
        }
        Ok(catalogue)
    }

    pub fn films(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| i.kind == Kind::Film)
    }

    pub fn relaxation(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| i.kind == Kind::Relaxation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_resolve_relative_addresses_and_bad_ones_are_reported() {
        let text = r#"{"items": [
            {"id": "bbb", "title": "Big Buck Bunny", "url": "films/bbb.mp4", "poster": "p/bbb.jpg",
             "captions": [{"language": "en", "url": "c/bbb.vtt"}], "duration_minutes": 10, "extra": 1},
            {"id": "waves", "kind": "relaxation", "title": "Ocean waves", "url": "https://cdn.example.org/w.webm"},
            {"id": "", "title": "No id", "url": "x.mp4"},
            {"id": "bbb", "title": "Twice", "url": "y.mp4"},
            {"title": "Missing fields"},
            {"id": "k", "kind": "karaoke", "title": "Unknown kind", "url": "k.mp4"}
        ]}"#;
        let c = Catalogue::parse(text, "http://media.example.org/tv/catalogue.json").unwrap();
        assert_eq!(c.items.len(), 2);
        assert_eq!(c.items[0].url, "http://media.example.org/tv/films/bbb.mp4");
        assert_eq!(
            c.items[0].poster.as_deref(),
            Some("http://media.example.org/tv/p/bbb.jpg")
        );
        assert_eq!(
            c.items[0].captions[0].url,
            "http://media.example.org/tv/c/bbb.vtt"
        );
        assert_eq!(c.films().count(), 1);
        assert_eq!(
            c.relaxation().next().unwrap().url,
            "https://cdn.example.org/w.webm"
        );
        assert_eq!(c.problems.len(), 4, "{:?}", c.problems);
    }

    #[test]
    fn a_local_catalogue_gives_file_addresses() {
        let c = Catalogue::parse(
            r#"{"items":[{"id":"a","title":"A","url":"a.mp4"}]}"#,
            "/nonexistent/films/catalogue.json",
        )
        .unwrap();
        assert_eq!(c.items[0].url, "file:///nonexistent/films/a.mp4");
    }

    #[test]
    fn not_a_catalogue_is_an_error() {
        assert!(Catalogue::parse("[]", "/x").is_err());
        assert!(Catalogue::parse("<html>", "/x").is_err());
    }
}
