//! Finding PEM blocks in text: the one scanner behind keys and certificates.
//!
//! Key and certificate files in the wild carry more than one block and text
//! around them: `openssl ecparam -genkey` writes an `EC PARAMETERS` block
//! before the key, `openssl x509 -text` writes a dump before the
//! certificate, chain files hold several certificates. [`blocks`] yields
//! each `-----BEGIN L----- … -----END L-----` block in order with its
//! label; decoding its Base64 is left to `pkcs8::der::pem` (never done by
//! hand here).

/// One PEM block of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Block<'a> {
    /// What is between `-----BEGIN ` and `-----`, as `CERTIFICATE`.
    pub(crate) label: &'a str,
    /// The block from its `BEGIN` line to the end of its `END` line.
    pub(crate) text: &'a str,
}

impl Block<'_> {
    /// Decodes the block to its label and DER.
    pub(crate) fn decode(&self) -> Result<Vec<u8>, pkcs8::der::pem::Error> {
        pkcs8::der::pem::decode_vec(self.text.as_bytes()).map(|(_, der)| der)
    }
}

/// A `BEGIN` line whose block never ends (or whose label never closes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unterminated;

impl From<Unterminated> for pkcs8::der::pem::Error {
    fn from(_: Unterminated) -> Self {
        pkcs8::der::pem::Error::PostEncapsulationBoundary
    }
}

const BEGIN: &str = "-----BEGIN ";
const DASHES: &str = "-----";

/// Every PEM block of `text`, in order; text between blocks is skipped. An
/// unterminated block ends the iteration with [`Unterminated`].
pub(crate) fn blocks(text: &str) -> impl Iterator<Item = Result<Block<'_>, Unterminated>> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        let start = current.find(BEGIN)?;
        let block = &current[start..];
        let found = (|| {
            let label_len = block[BEGIN.len()..].find(DASHES)?;
            let label = &block[BEGIN.len()..BEGIN.len() + label_len];
            // The END line must carry the same label: "-----END " L "-----".
            let end_marker = format!("-----END {label}-----");
            let end = block.find(&end_marker)? + end_marker.len();
            Some((label, end))
        })();
        match found {
            Some((label, end)) => {
                rest = Some(&block[end..]);
                Some(Ok(Block {
                    label,
                    text: &block[..end],
                }))
            }
            None => {
                rest = None;
                Some(Err(Unterminated))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_block_with_its_label_and_skips_text_between() {
        let text = "dump\n-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n\
                    between\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\ntail";
        let found: Vec<_> = blocks(text).collect::<Result<_, _>>().expect("blocks");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].label, "EC PARAMETERS");
        assert!(found[0].text.starts_with("-----BEGIN EC PARAMETERS-----"));
        assert!(found[0].text.ends_with("-----END EC PARAMETERS-----"));
        assert_eq!(found[1].label, "CERTIFICATE");
        assert_eq!(
            found[1].text,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
        );
        assert_eq!(blocks("no pem here").count(), 0);
    }

    #[test]
    fn an_unterminated_block_or_a_mismatched_end_is_an_error_and_stops() {
        for text in [
            "-----BEGIN CERTIFICATE-----\nAAAA\n",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN CERTIFICATE\nAAAA",
        ] {
            let found: Vec<_> = blocks(text).collect();
            assert_eq!(found, vec![Err(Unterminated)], "{text:?}");
        }
        // A good block before the broken one is still returned first.
        let text = "-----BEGIN A-----\n-----END A-----\n-----BEGIN B-----\n";
        let found: Vec<_> = blocks(text).collect();
        assert_eq!(found.len(), 2);
        assert!(found[0].is_ok() && found[1].is_err());
    }
}
