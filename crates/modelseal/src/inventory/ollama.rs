//! Ollama stores: `manifests/HOST/NAMESPACE/MODEL/TAG` files (OCI image
//! manifests) whose layers are `blobs/sha256-HEX` files, each named by the
//! SHA-256 of its content.

use std::fs;
use std::path::{Path, PathBuf};

use modelseal_hash::{Digest, HashAlgorithm, Links, ModelFile};
use serde::Deserialize;

use super::discover::{Candidate, Layout};

/// The registry Ollama names models of without a host.
const DEFAULT_REGISTRY: &str = "registry.ollama.ai";
/// The namespace Ollama names models of without a namespace.
const DEFAULT_NAMESPACE: &str = "library";
/// The largest manifest read (real ones are under 2 KiB).
const MAX_MANIFEST: u64 = 1 << 20;
/// The most layers one manifest may list.
const MAX_LAYERS: usize = 1024;

/// Every manifest of the store at `store` (a directory holding `manifests/`
/// and `blobs/`), named as `ollama list` names it: `MODEL:TAG` for the
/// default registry's library, `NAMESPACE/MODEL:TAG` for its other
/// namespaces, `HOST/NAMESPACE/MODEL:TAG` otherwise.
/// Directories that could not be listed are returned beside, with why.
pub(crate) fn store_models(store: &Path) -> Result<(Vec<Candidate>, Vec<Unread>), String> {
    let manifests = store.join("manifests");
    let mut found = Vec::new();
    let mut unread = Vec::new();
    let list = |dir: &Path, unread: &mut Vec<Unread>| match read_dirs(dir) {
        Ok(dirs) => dirs,
        Err(reason) => {
            unread.push((dir.to_owned(), reason));
            Vec::new()
        }
    };
    // HOST / NAMESPACE / MODEL / TAG: exactly four levels.
    for host in read_dirs(&manifests)? {
        for namespace in list(&host, &mut unread) {
            for model in list(&namespace, &mut unread) {
                let entries = match fs::read_dir(&model) {
                    Ok(entries) => entries,
                    Err(e) => {
                        unread.push((model.clone(), format!("cannot list: {e}")));
                        continue;
                    }
                };
                for tag in entries.flatten() {
                    if !tag.file_type().is_ok_and(|t| t.is_file()) {
                        continue;
                    }
                    let part = |p: &Path| {
                        p.file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    };
                    let (host, namespace, model) = (part(&host), part(&namespace), part(&model));
                    let tag_name = tag.file_name().to_string_lossy().into_owned();
                    let name = match (host.as_str(), namespace.as_str()) {
                        (DEFAULT_REGISTRY, DEFAULT_NAMESPACE) => format!("{model}:{tag_name}"),
                        (DEFAULT_REGISTRY, _) => format!("{namespace}/{model}:{tag_name}"),
                        _ => format!("{host}/{namespace}/{model}:{tag_name}"),
                    };
                    found.push(Candidate {
                        layout: Layout::Ollama,
                        path: tag.path(),
                        name,
                        refs: Vec::new(),
                        revision: Some(tag_name),
                        store: Some(store.to_owned()),
                    });
                }
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((found, unread))
}

/// A directory that could not be listed, and why.
pub(crate) type Unread = (PathBuf, String);

fn read_dirs(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list `{}`: {e}", dir.display()))?;
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    Ok(dirs)
}

#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    config: Option<Layer>,
    #[serde(default)]
    layers: Vec<Layer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Layer {
    media_type: String,
    digest: String,
}

/// An Ollama model as its manifest gives it.
#[derive(Debug)]
pub(crate) struct OllamaModel {
    /// The SHA-256 of the manifest: the model's identity (what
    /// `ollama list` shows the first 12 digits of as its ID).
    pub manifest_digest: Digest,
    /// Each layer present in the store, named by its media type
    /// (`model`, `template`, `license`, `params`, …), with the digest the
    /// manifest gives it.
    pub files: Vec<(ModelFile, Digest)>,
    /// Layers whose blob is not in the store, by name.
    pub missing: Vec<String>,
}

/// Reads the manifest at `path` from the store at `store`.
pub(crate) fn read_model(store: &Path, path: &Path) -> Result<OllamaModel, String> {
    let bytes = modelseal_hash::read_regular(path, Links::Refuse, MAX_MANIFEST)
        .map_err(|e| format!("cannot read the manifest: {e}"))?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| format!("not an Ollama manifest: {e}"))?;
    if manifest.layers.len() > MAX_LAYERS {
        return Err(format!(
            "the manifest lists {} layers (at most {MAX_LAYERS} are read)",
            manifest.layers.len()
        ));
    }
    let mut files = Vec::new();
    let mut missing = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let config = manifest.config.iter().map(|layer| (layer, true));
    for (layer, is_config) in config.chain(manifest.layers.iter().map(|layer| (layer, false))) {
        let hex = layer
            .digest
            .strip_prefix("sha256:")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| format!("a layer digest is not `sha256:HEX`: `{}`", layer.digest))?;
        let digest: Digest = hex
            .parse()
            .map_err(|_| format!("a layer digest is not `sha256:HEX`: `{}`", layer.digest))?;
        // `application/vnd.ollama.image.model` is the `model` layer.
        let short = if is_config {
            "config"
        } else {
            layer
                .media_type
                .rsplit(['.', '/'])
                .next()
                .filter(|s| !s.is_empty())
                .unwrap_or("layer")
        };
        let count = names
            .iter()
            .filter(|n| n.split('.').next() == Some(short))
            .count();
        let name = if count == 0 {
            short.to_owned()
        } else {
            format!("{short}.{count}")
        };
        names.push(name.clone());
        let blob = store
            .join("blobs")
            .join(format!("sha256-{}", hex.to_ascii_lowercase()));
        match fs::symlink_metadata(&blob) {
            Ok(meta) if meta.is_file() => files.push((
                ModelFile {
                    name,
                    path: blob,
                    target: None,
                    size: meta.len(),
                },
                digest,
            )),
            _ => missing.push(name),
        }
    }
    Ok(OllamaModel {
        manifest_digest: HashAlgorithm::Sha256.digest(&bytes),
        files,
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with(manifest: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir
            .path()
            .join("manifests/registry.ollama.ai/library/m/latest");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("blobs")).expect("mkdir");
        std::fs::write(&path, manifest).expect("write");
        (dir, path)
    }

    #[test]
    fn names_follow_ollama_list() {
        let dir = tempfile::tempdir().expect("tempdir");
        for rel in [
            "registry.ollama.ai/library/llama3/latest",
            "registry.ollama.ai/someone/tuned/q4",
            "hf.co/org/repo/Q4_K_M",
        ] {
            let path = dir.path().join("manifests").join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, b"{}").expect("write");
        }
        let names: Vec<String> = store_models(dir.path())
            .expect("store")
            .0
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            names,
            ["hf.co/org/repo:Q4_K_M", "llama3:latest", "someone/tuned:q4"]
        );
    }

    #[test]
    fn layer_digests_must_be_sha256_hex() {
        for digest in ["sha256:../../etc/passwd", "sha512:00", "sha256:zz", ""] {
            let manifest = format!(
                r#"{{"layers":[{{"mediaType":"application/vnd.ollama.image.model","digest":"{digest}"}}]}}"#
            );
            let (dir, path) = store_with(manifest.as_bytes());
            let error = read_model(dir.path(), &path).expect_err(digest);
            assert!(error.contains("not `sha256:HEX`"), "{error}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_manifest_bytes_read_or_fail_cleanly(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let (dir, path) = store_with(&bytes);
            let _ = read_model(dir.path(), &path);
        }
    }
}
