//! The console's front-end files, embedded in the binary (one binary, nothing fetched at run
//! time): the vendored htmx, its SSE extension and Pico CSS (`assets/vendor/VENDOR.md`).
//!
//! Each file is served under a URL that names its content (`?v=` the first 8 hex digits of
//! its SHA-256), so it can be cached as immutable; its SHA-384 is what the pages' Content
//! Security Policy and `integrity` attributes name. `include_bytes!` over a short fixed list
//! rather than a directory-embedding crate: five files do not need one (design §3.3). Our own
//! `console.css` (layout) and `console.js` (keyboard shortcuts) sit beside the vendored ones.

use std::sync::LazyLock;

use base64::Engine as _;
use sha2::{Digest, Sha256, Sha384};

/// An embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Its name under `/app/static/`.
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
    /// `sha384-<base64>`: for CSP `script-src` and `integrity`.
    pub sri: String,
    /// The first 8 hex digits of its SHA-256: the cache-busting version and the `ETag`.
    pub version: String,
}

impl Asset {
    /// The URL pages link it by.
    pub fn url(&self) -> String {
        format!("/app/static/{}?v={}", self.name, self.version)
    }
}

/// The vendored files (`assets/vendor/VENDOR.md`), then ours.
const FILES: [(&str, &str, &[u8]); 5] = [
    ("htmx-2.0.11.min.js", "text/javascript; charset=utf-8", include_bytes!("../assets/vendor/htmx-2.0.11.min.js")),
    (
        "htmx-ext-sse-2.2.4.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/htmx-ext-sse-2.2.4.min.js"),
    ),
    ("pico-2.1.1.min.css", "text/css; charset=utf-8", include_bytes!("../assets/vendor/pico-2.1.1.min.css")),
    ("console.css", "text/css; charset=utf-8", include_bytes!("../assets/console.css")),
    ("console.js", "text/javascript; charset=utf-8", include_bytes!("../assets/console.js")),
];
#[cfg(test)]
const VENDORED: usize = 3;

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|&(name, content_type, bytes)| Asset {
            name,
            content_type,
            bytes,
            sri: format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))),
            version: hex::encode(&Sha256::digest(bytes)[..4]),
        })
        .collect()
});

/// Every embedded file.
pub fn all() -> &'static [Asset] {
    &ASSETS
}

/// The embedded file of that name.
pub fn get(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// VENDOR.md names every vendored file with its size and SHA-384, and they are the bytes
    /// the binary carries: an update that forgets its row, or a row that does not match, fails.
    #[test]
    fn every_vendored_file_matches_its_row_in_vendor_md() {
        let vendor = include_str!("../assets/vendor/VENDOR.md");
        let rows: Vec<Vec<String>> = vendor
            .lines()
            .filter(|l| l.starts_with("| `"))
            .map(|l| l.split('|').map(|c| c.trim().trim_matches('`').to_string()).collect())
            .collect();
        assert_eq!(rows.len(), VENDORED, "one row per vendored file");
        for asset in &all()[..VENDORED] {
            let row = rows.iter().find(|r| r[1] == asset.name).unwrap_or_else(|| panic!("no row for {}", asset.name));
            assert_eq!(row[6].replace(',', ""), asset.bytes.len().to_string(), "{}: size", asset.name);
            assert_eq!(row[7], asset.sri, "{}: sha384", asset.name);
        }
    }

    #[test]
    fn urls_name_the_content() {
        let htmx = get("htmx-2.0.11.min.js").unwrap();
        assert_eq!(htmx.version.len(), 8);
        assert_eq!(htmx.url(), format!("/app/static/htmx-2.0.11.min.js?v={}", htmx.version));
        assert!(htmx.bytes.starts_with(b"var htmx=function()"), "the htmx file");
        assert_eq!(get("pico-2.1.1.min.css").unwrap().content_type, "text/css; charset=utf-8");
        assert!(get("missing.js").is_none());
        let versions: std::collections::HashSet<&str> = all().iter().map(|a| a.version.as_str()).collect();
        assert_eq!(versions.len(), all().len(), "distinct files, distinct versions");
    }
}
