//! Every environment variable the CLI reads, in one place.

/// Disables colour in diagnostics when set to any value (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";

// RAYON_NUM_THREADS is read by rayon itself (the default for `--threads`);
// README documents it.
