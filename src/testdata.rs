//! Where the shared test data lives: `../shared/testdata` beside the project (as on every build
//! machine and in CI), or wherever `BEDSIDE_TESTDATA` points.

use std::path::PathBuf;

/// The path of `rel` inside the shared test data. Panics with instructions when the data is not
/// there: tests that need it must fail loudly, not pass by skipping.
pub fn path(rel: &str) -> PathBuf {
    let root = std::env::var_os("BEDSIDE_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata"))
        });
    assert!(
        root.is_dir(),
        "the shared test data is not at {} (it belongs in ../shared/testdata beside the project; \
         set BEDSIDE_TESTDATA to its path)",
        root.display()
    );
    root.join(rel)
}

pub fn read(rel: &str) -> String {
    let p = path(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
