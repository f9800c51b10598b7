//! What a model card declares: `license`, `base_model` and `datasets` from
//! the YAML front matter of a Hugging Face `README.md`, else from
//! `config.json`. Declarations, not evidence: nothing here is signed.

use std::path::Path;

use modelseal_hash::Links;
use serde::Serialize;
use yaml_rust2::{Yaml, YamlLoader};

/// The most of a `README.md` or `config.json` read for its declarations.
const MAX_CARD: u64 = 1 << 20;
/// The most values one list field keeps.
const MAX_VALUES: usize = 64;
/// The longest value kept.
const MAX_VALUE_LEN: usize = 512;

/// What a model card declares about a model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ModelCard {
    /// The file the declarations were read from (`README.md` or
    /// `config.json`, model-relative).
    pub source: String,
    /// `license`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// `base_model` (one or several).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub base_model: Vec<String>,
    /// `datasets`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<String>,
}

impl ModelCard {
    fn is_empty(&self) -> bool {
        self.license.is_none() && self.base_model.is_empty() && self.datasets.is_empty()
    }
}

/// The declarations of a model directory, from its `README.md` and
/// `config.json` as the model walk found them (`(path, is_link_target)`:
/// a hub snapshot's links resolved into its own blobs; a plain file opened
/// refusing links), or `None` when it has none. A card that cannot be read
/// or parsed is a problem, returned as the error text.
pub(crate) fn read_card(
    readme: Option<&Path>,
    config: Option<&Path>,
) -> Result<Option<ModelCard>, String> {
    let read = |path: &Path| {
        modelseal_hash::read_regular(path, Links::Refuse, MAX_CARD)
            .map_err(|e| format!("`{}`: {e}", path.display()))
    };
    if let Some(readme) = readme {
        let bytes = read(readme)?;
        if let Some(card) = from_readme(&String::from_utf8_lossy(&bytes))
            .map_err(|e| format!("`{}`: front matter: {e}", readme.display()))?
            .filter(|c| !c.is_empty())
        {
            return Ok(Some(card));
        }
    }
    if let Some(config) = config {
        let bytes = read(config)?;
        // A config that is not JSON is `inspect`'s business, not the card's.
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            let card = from_config(&value);
            if !card.is_empty() {
                return Ok(Some(card));
            }
        }
    }
    Ok(None)
}

/// The front matter of a model card: YAML between a first line `---` and
/// the next `---` line.
fn from_readme(text: &str) -> Result<Option<ModelCard>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok(None);
    };
    let mut end = None;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            end = Some(offset);
            break;
        }
        offset += line.len();
    }
    let Some(end) = end else {
        return Ok(None);
    };
    let yaml = &rest[..end];
    refuse_aliases(yaml)?;
    let docs = YamlLoader::load_from_str(yaml).map_err(|e| e.to_string())?;
    let Some(doc) = docs.first() else {
        return Ok(None);
    };
    Ok(Some(ModelCard {
        source: "README.md".to_owned(),
        license: yaml_strings(&doc["license"]).into_iter().next(),
        base_model: yaml_strings(&doc["base_model"]),
        datasets: yaml_strings(&doc["datasets"]),
    }))
}

/// The YAML loader expands an alias by copying what it names: nine
/// aliases of nine aliases of … make a card of a few hundred bytes cost
/// gigabytes ("billion laughs"); and it builds (and drops) the tree
/// recursively, so `- - - - …` half a million levels deep would overflow
/// the stack. Model cards use no anchors and little nesting: one with an
/// alias, or nested deeper than [`MAX_NESTING`], is refused before it is
/// loaded.
fn refuse_aliases(yaml: &str) -> Result<(), String> {
    use yaml_rust2::Event;
    use yaml_rust2::parser::Parser;
    let mut parser = Parser::new_from_str(yaml);
    let mut depth = 0usize;
    loop {
        match parser.next_token().map_err(|e| e.to_string())? {
            (Event::StreamEnd, _) => return Ok(()),
            (Event::Alias(_), mark) => {
                return Err(format!(
                    "line {}: YAML aliases are not accepted in a model card",
                    mark.line()
                ));
            }
            (Event::SequenceStart(..) | Event::MappingStart(..), mark) => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(format!(
                        "line {}: nested deeper than {MAX_NESTING} levels",
                        mark.line()
                    ));
                }
            }
            (Event::SequenceEnd | Event::MappingEnd, _) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
}

/// How deep a model card's YAML may nest (real ones: 3 or 4).
const MAX_NESTING: usize = 64;

fn yaml_strings(value: &Yaml) -> Vec<String> {
    let one = |v: &Yaml| match v {
        Yaml::String(s) => Some(clip(s)),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Real(r) => Some(clip(r)),
        _ => None,
    };
    match value {
        Yaml::Array(items) => items.iter().filter_map(one).take(MAX_VALUES).collect(),
        other => one(other).into_iter().collect(),
    }
}

fn from_config(value: &serde_json::Value) -> ModelCard {
    let strings = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![clip(s)],
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(clip))
                .take(MAX_VALUES)
                .collect(),
            _ => Vec::new(),
        }
    };
    ModelCard {
        source: "config.json".to_owned(),
        license: strings(&value["license"]).into_iter().next(),
        base_model: strings(&value["base_model"]),
        datasets: strings(&value["datasets"]),
    }
}

fn clip(s: &str) -> String {
    let mut end = s.len().min(MAX_VALUE_LEN);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_fields_in_both_shapes() {
        let card = from_readme(
            "---\nlicense: apache-2.0\nbase_model: meta-llama/Llama-3.1-8B\ndatasets:\n  - squad\n  - glue\n---\n# Model\n",
        )
        .expect("parses")
        .expect("has front matter");
        assert_eq!(card.license.as_deref(), Some("apache-2.0"));
        assert_eq!(card.base_model, ["meta-llama/Llama-3.1-8B"]);
        assert_eq!(card.datasets, ["squad", "glue"]);
        let card = from_readme("---\nbase_model: [a/b, c/d]\ndatasets: one\n---\n")
            .expect("parses")
            .expect("has front matter");
        assert_eq!(card.base_model, ["a/b", "c/d"]);
        assert_eq!(card.datasets, ["one"]);
    }

    #[test]
    fn no_or_unclosed_front_matter_is_no_card_and_bad_yaml_an_error() {
        assert_eq!(from_readme("# Title\n---\nlicense: mit\n---\n"), Ok(None));
        assert_eq!(from_readme("---\nlicense: mit\n"), Ok(None));
        assert!(from_readme("---\nlicense: [unclosed\n---\n").is_err());
    }

    proptest::proptest! {
        // Whatever follows the opening `---`, parsing ends in a card, no
        // card or an error: never a panic.
        #[test]
        fn any_front_matter_parses_or_fails_cleanly(body in ".{0,400}", end in proptest::bool::ANY) {
            let text = format!("---\n{body}{}", if end { "\n---\n" } else { "" });
            let _ = from_readme(&text);
        }

        #[test]
        fn yaml_like_front_matter_parses_or_fails_cleanly(
            lines in proptest::collection::vec("[-a-z_ :\\[\\]{},&*!|>'\"#0-9]{0,30}", 0..20)
        ) {
            let text = format!("---\n{}\n---\n", lines.join("\n"));
            let _ = from_readme(&text);
        }
    }

    #[test]
    fn deep_nesting_is_refused_before_loading() {
        let deep = format!("---\n{}x\n---\n", "- ".repeat(100_000));
        let error = from_readme(&deep).expect_err("refused");
        assert!(error.contains("nested deeper than 64"), "{error}");
        let fine = format!("---\n{}x\n---\n", "- ".repeat(10));
        assert!(from_readme(&fine).is_ok());
    }

    #[test]
    fn aliases_are_refused_not_expanded() {
        // A "billion laughs" card: each level nine aliases of the last.
        let mut yaml = String::from("---\na0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            yaml.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        yaml.push_str("datasets: *a11\n---\n");
        let error = from_readme(&yaml).expect_err("refused");
        assert!(error.contains("aliases are not accepted"), "{error}");
    }
}
