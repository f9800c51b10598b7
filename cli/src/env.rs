//! Every environment variable the CLI reads, in one place.

/// Disables colour in diagnostics when set to any value (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";

/// The private key's password for `keygen`, `sign` and `attest` when no
/// `--password-file` is given. Without either, `sign` and `attest` ask for
/// an encrypted key's password on the terminal.
pub const MODELSEAL_PASSWORD: &str = "MODELSEAL_PASSWORD";

// RAYON_NUM_THREADS is read by rayon itself (the default for `--threads`);
// README documents it.

// MODELSEAL_CACHE_DIR (the digest cache's directory, default
// `$XDG_CACHE_HOME/modelseal` or `~/.cache/modelseal`) is read by the
// hashing library: `modelseal_hash::CACHE_DIR_ENV`; README documents it.
