//! A Keras v3 archive's `config.json`, walked as it is inflated: the paths
//! of `Lambda` layers (they hold Python bytecode) and the modules custom
//! objects are loaded from. Nothing of the document is kept but what is
//! reported, within caps, so a hostile config costs a buffer, one string
//! and the depth of its nesting.

use std::fmt;
use std::io::{self, BufReader, Read};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::json::{Guard, GuardStop, MAX_JSON_STRING};

/// The longest path reported; deeper paths keep their first 1 KiB.
const MAX_PATH: usize = 1024;
/// The most Lambda layers and modules listed each; the rest are counted.
pub(crate) const MAX_LISTED: usize = 1000;

/// What walking a `config.json` found.
#[derive(Debug, Default)]
pub(crate) struct KerasConfig {
    /// Paths of `Lambda` layers (`$.config.layers[2]`), at most
    /// [`MAX_LISTED`].
    pub lambda_layers: Vec<String>,
    /// Lambda layers past [`MAX_LISTED`].
    pub more_lambda_layers: usize,
    /// Modules outside Keras, each once, at most [`MAX_LISTED`].
    pub custom_modules: Vec<String>,
    /// Module mentions past [`MAX_LISTED`].
    pub more_custom_modules: usize,
}

/// Why a `config.json` could not be walked to its end.
#[derive(Debug)]
pub(crate) enum ConfigProblem {
    /// The member is larger than the cap, or inflates to another size than
    /// it declares.
    Member(String),
    /// Not valid JSON.
    Json(serde_json::Error),
    /// A string longer than [`MAX_JSON_STRING`]: not walked further.
    StringTooLong,
    /// Reading it failed.
    Io(io::Error),
}

/// Walks `member`, a ZIP member declaring `declared` bytes, refusing more
/// than `cap`. The walk stops at the first problem; what it found until
/// then is returned beside it.
pub(crate) fn walk_config(
    member: impl Read,
    declared: u64,
    cap: u64,
) -> (KerasConfig, Option<ConfigProblem>) {
    let mut found = KerasConfig::default();
    if declared > cap {
        let problem = format!("config.json declares {declared} bytes, over the limit of {cap}");
        return (found, Some(ConfigProblem::Member(problem)));
    }
    let mut reader = BufReader::new(Guard::new(
        member.take(cap.saturating_add(1)),
        MAX_JSON_STRING,
        false,
    ));
    let mut de = serde_json::Deserializer::from_reader(&mut reader);
    let walked = Value {
        at: "$".to_owned(),
        key: None,
        parent: "$",
        found: &mut found,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    drop(de);
    // The rest is inflated too: its size is checked against the declared
    // one, and comes first, as a broken member explains broken JSON.
    let drained = io::copy(&mut reader, &mut io::sink());
    let guard = reader.get_ref();
    let problem = if guard.stop().is_none() && guard.offset() != declared && drained.is_ok() {
        let read = guard.offset();
        Some(ConfigProblem::Member(format!(
            "config.json declares {declared} bytes but inflates to {}{read}",
            if read > declared { "more than " } else { "" }
        )))
    } else if guard.stop() == Some(GuardStop::StringTooLong) {
        Some(ConfigProblem::StringTooLong)
    } else {
        match (walked, drained) {
            (Err(e), _) if e.is_io() => Some(ConfigProblem::Io(e.into())),
            (Err(e), _) => Some(ConfigProblem::Json(e)),
            (Ok(()), Err(e)) => Some(ConfigProblem::Io(e)),
            (Ok(()), Ok(_)) => None,
        }
    };
    (found, problem)
}

/// `at` followed by `segment`, within [`MAX_PATH`] bytes.
fn child_path(at: &str, segment: fmt::Arguments<'_>) -> String {
    if at.len() >= MAX_PATH {
        return at.to_owned();
    }
    let mut path = format!("{at}{segment}");
    if path.len() > MAX_PATH {
        let mut end = MAX_PATH;
        while !path.is_char_boundary(end) {
            end -= 1;
        }
        path.truncate(end);
        path.push_str("...");
    }
    path
}

/// One value of the document, at path `at`, under `key` of the object at
/// `parent` (or an array element, `key` `None`).
struct Value<'a> {
    at: String,
    key: Option<String>,
    parent: &'a str,
    found: &'a mut KerasConfig,
}

impl<'de> DeserializeSeed<'de> for Value<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let found = self.found;
        match self.key.as_deref() {
            Some("class_name") if v == "Lambda" => {
                if found.lambda_layers.len() < MAX_LISTED {
                    found.lambda_layers.push(self.parent.to_owned());
                } else {
                    found.more_lambda_layers += 1;
                }
            }
            Some("module")
                if !(v == "keras"
                    || v.starts_with("keras.")
                    || v == "builtins"
                    || found.custom_modules.iter().any(|m| m == v)) =>
            {
                if found.custom_modules.len() < MAX_LISTED {
                    found.custom_modules.push(v.to_owned());
                } else {
                    found.more_custom_modules += 1;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let element = Value {
                at: child_path(&self.at, format_args!("[{i}]")),
                key: None,
                parent: &self.at,
                found: &mut *self.found,
            };
            if seq.next_element_seed(element)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let value = Value {
                at: child_path(&self.at, format_args!(".{key}")),
                key: Some(key),
                parent: &self.at,
                found: &mut *self.found,
            };
            map.next_value_seed(value)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(text: &str) -> (KerasConfig, Option<ConfigProblem>) {
        walk_config(text.as_bytes(), text.len() as u64, 64 << 20)
    }

    #[test]
    fn finds_lambda_layers_and_custom_modules() {
        let config = r#"{"class_name":"Functional","config":{"layers":[
            {"class_name":"Dense","module":"keras.layers"},
            {"class_name":"Lambda","module":"keras.layers","config":{"function":{}}},
            {"class_name":"Custom","module":"evil.pkg"},
            {"class_name":"Custom","module":"evil.pkg"},
            {"module":"builtins"}]}}"#;
        let (found, problem) = walk(config);
        assert!(problem.is_none(), "{problem:?}");
        assert_eq!(found.lambda_layers, ["$.config.layers[1]"]);
        assert_eq!(found.custom_modules, ["evil.pkg"]);
    }

    #[test]
    fn hostile_configs_cost_no_more_than_their_caps() {
        // A million Lambda layers: the first MAX_LISTED listed, the rest
        // counted.
        let many = format!(
            "[{}]",
            vec![r#"{"class_name":"Lambda"}"#; MAX_LISTED + 5].join(",")
        );
        let (found, problem) = walk(&many);
        assert!(problem.is_none(), "{problem:?}");
        assert_eq!(
            (found.lambda_layers.len(), found.more_lambda_layers),
            (MAX_LISTED, 5)
        );
        // Long keys at every level: paths stop growing at MAX_PATH.
        let key = "k".repeat(4000);
        let deep = format!(
            "{}{}{}",
            format!(r#"{{"{key}":"#).repeat(50),
            r#"{"class_name":"Lambda"}"#,
            "}".repeat(50)
        );
        let (found, problem) = walk(&deep);
        assert!(problem.is_none(), "{problem:?}");
        assert!(found.lambda_layers[0].len() <= MAX_PATH + 3);
        // Broken documents, members and strings.
        assert!(matches!(walk(r#"{"a":"#).1, Some(ConfigProblem::Json(_))));
        let long = format!(r#"{{"a":"{}"}}"#, "x".repeat(MAX_JSON_STRING + 1));
        assert!(matches!(walk(&long).1, Some(ConfigProblem::StringTooLong)));
        assert!(matches!(
            walk_config(b"{}".as_slice(), 3, 10).1,
            Some(ConfigProblem::Member(_))
        ));
        assert!(matches!(
            walk_config(b"{}".as_slice(), 11, 10).1,
            Some(ConfigProblem::Member(_))
        ));
    }
}
