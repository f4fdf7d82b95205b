//! The web console (issue 18, `../shared/console-design.md`): pages at `/app` served by the
//! same binary, calling the same engine commands and reads as the API.
//!
//! Built in steps: so far the embedded front-end files ([`assets`]) and how values read per
//! language ([`format`]); the router, sign-in and the pages come next (the forms' codec is
//! `enspace_domain::html_form`).

pub mod assets;
pub mod format;
