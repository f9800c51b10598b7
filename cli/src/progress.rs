//! A progress bar on stderr for long runs, only when stderr is a terminal.

use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Below this much data a run is short enough that a bar would only flicker.
const MIN_BYTES_FOR_BAR: u64 = 256 << 20;

/// A byte-count progress bar, or nothing.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar for `total` bytes when stderr is a terminal and the run is long.
    pub fn for_bytes(total: u64) -> Self {
        if total < MIN_BYTES_FOR_BAR || !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} hashing [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        Self(Some(bar))
    }

    /// A bar for a model path, sized by a quick walk, when stderr is a
    /// terminal; the walk is skipped otherwise.
    pub fn for_model(model: &std::path::Path) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let options = modelseal_hash::WalkOptions {
            allow_symlinks: true,
            keep_going: true,
            ..modelseal_hash::WalkOptions::default()
        };
        let total = modelseal_hash::walk(model, &options)
            .map(|m| m.total_size())
            .unwrap_or(0);
        Self::for_bytes(total)
    }

    /// The callback the hashing engine calls with bytes hashed.
    pub fn callback(&self) -> Option<modelseal_hash::ProgressFn> {
        let bar = self.0.clone()?;
        Some(Arc::new(move |bytes| bar.inc(bytes)))
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
