//! A pickle opcode walker that executes nothing.
//!
//! It reads protocols 0 to 5, records every global the pickle would import
//! (`GLOBAL`, `STACK_GLOBAL`, `INST`) and every call-like opcode, and rates
//! each global against a table of known-dangerous and known-safe names.
//! `STACK_GLOBAL` takes its module and name from the stack, so the walker
//! keeps a symbolic stack and memo of string constants to resolve them.

use std::collections::HashMap;
use std::io::{self, Read};
use std::rc::Rc;

use serde::Serialize;

/// Limits for [`scan_pickle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PickleLimits {
    /// The most opcodes walked, over all pickles in the input.
    pub max_opcodes: u64,
    /// The longest newline-terminated argument (protocol 0 strings, names).
    pub max_line: usize,
    /// The deepest symbolic stack and the largest memo tracked.
    pub max_stack: usize,
    /// The most memory the walker's symbolic stack, memo and tracked
    /// strings may hold, in bytes (approximate: container capacities and
    /// string sizes as allocated). The input itself is streamed through a
    /// fixed window of about `max_line` bytes and never held whole.
    pub max_memory: usize,
}

impl Default for PickleLimits {
    fn default() -> Self {
        Self {
            max_opcodes: 10_000_000,
            max_line: 64 * 1024,
            max_stack: 1_000_000,
            max_memory: 32 << 20,
        }
    }
}

/// How dangerous one imported global is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GlobalRisk {
    /// Known to be needed for loading PyTorch or NumPy data and not to run
    /// arbitrary code by itself.
    KnownSafe,
    /// In neither table, but accepted by the caller's [`AllowGlobals`]
    /// (`--allow-global`): a project's own classes.
    Allowed,
    /// Not in either table: suspicious.
    Unknown,
    /// Can run code, spawn processes, touch files or the network, or its
    /// name could not be resolved.
    Dangerous,
}

/// The overall risk of a pickle. Every pickle runs code when loaded; this
/// says what the code it names can do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PickleRisk {
    /// Imports only known-safe (or allowed) globals.
    KnownSafe,
    /// Imports globals in neither table.
    Suspicious,
    /// Imports a dangerous global, an unresolved `STACK_GLOBAL`, an extension
    /// code, or could not be walked to the end.
    Dangerous,
}

/// One global a pickle imports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PickleGlobal {
    /// The module, or `unknown (dynamic)` for an unresolved `STACK_GLOBAL`.
    pub module: String,
    /// The attribute name, or `unknown (dynamic)`.
    pub name: String,
    /// The opcode that imported it: `GLOBAL`, `STACK_GLOBAL` or `INST`.
    pub opcode: &'static str,
    /// Byte offset of the opcode in the input.
    pub offset: u64,
    /// Its risk.
    pub risk: GlobalRisk,
}

/// What walking a pickle (or several concatenated pickles) found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PickleScan {
    /// Complete pickles (ending in `STOP`) walked.
    pub pickles: u32,
    /// The protocol of the first pickle (0 when it has no `PROTO`).
    pub protocol: u8,
    /// Opcodes walked.
    pub opcodes: u64,
    /// Every distinct imported global (module, name, opcode), at its first
    /// appearance; at most [`MAX_GLOBALS`].
    pub globals: Vec<PickleGlobal>,
    /// Imports not listed in `globals`: repeats, and any past the cap.
    pub repeated_globals: u64,
    /// `REDUCE` opcodes (calls).
    pub reduce: u64,
    /// `BUILD` opcodes (`__setstate__` calls).
    pub build: u64,
    /// `INST` and `OBJ` opcodes (class instantiation).
    pub inst_obj: u64,
    /// `NEWOBJ` and `NEWOBJ_EX` opcodes.
    pub newobj: u64,
    /// Persistent-id lookups (`PERSID`, `BINPERSID`), how PyTorch refers to
    /// tensor storages.
    pub persistent_ids: u64,
    /// Extension-registry codes (`EXT1/2/4`); none are registered by default.
    pub extension_codes: Vec<u32>,
    /// Bytes after the last complete pickle that were not walked.
    pub trailing_bytes: u64,
    /// Why walking stopped early, if it did.
    pub error: Option<String>,
    /// The overall risk.
    pub risk: PickleRisk,
}

/// The placeholder recorded for a `STACK_GLOBAL` whose operands are unknown.
pub const DYNAMIC: &str = "unknown (dynamic)";

/// The most distinct globals listed in a [`PickleScan`].
pub const MAX_GLOBALS: usize = 10_000;

/// A symbolic stack value: only short string constants are tracked, shared
/// so that `DUP` and memo copies cost no more than a pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sym {
    Mark,
    /// A thin pointer, so that a value is 16 bytes.
    Str(Rc<String>),
    /// A string constant whose value is not tracked: escaped, not UTF-8, or
    /// too long. As a `STACK_GLOBAL` operand it gives a dynamic global.
    Text,
    Other,
}

impl Sym {
    /// The heap bytes a string holds: the `Rc` box (two counts and the
    /// `String`) and its bytes. Shared copies are each counted, which only
    /// overstates.
    fn heap(&self) -> usize {
        match self {
            Sym::Str(s) => s.len() + 2 * size_of::<usize>() + size_of::<String>(),
            _ => 0,
        }
    }
}

/// The symbolic stack, counting the string bytes it holds.
#[derive(Default)]
struct Stack {
    items: Vec<Sym>,
    strings: usize,
}

impl Stack {
    fn push(&mut self, value: Sym) {
        self.strings += value.heap();
        self.items.push(value);
    }

    fn pop(&mut self) -> Option<Sym> {
        let value = self.items.pop()?;
        self.strings -= value.heap();
        Some(value)
    }

    fn last(&self) -> Option<&Sym> {
        self.items.last()
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    /// The bytes it holds, counting the doubling the next push may make.
    fn held(&self) -> usize {
        self.items.capacity().max(self.items.len() * 2) * size_of::<Sym>() + self.strings
    }
}

/// The unpickler's memo. Picklers number entries 0, 1, 2, ... so keys are
/// kept in a vector while they come in order (16 bytes an entry), and in a
/// map only when they jump ahead.
#[derive(Default)]
struct Memo {
    dense: Vec<Option<Sym>>,
    sparse: HashMap<u64, Sym>,
    len: usize,
    /// String bytes held by its values.
    strings: usize,
}

impl Memo {
    /// Keys within this distance past the end of `dense` extend it.
    const GAP: u64 = 1024;

    fn len(&self) -> usize {
        self.len
    }

    fn insert(&mut self, key: u64, value: Sym) {
        let end = self.dense.len() as u64;
        let index = usize::try_from(key).ok();
        let slot = match index {
            Some(i) if key < end => self.dense.get_mut(i),
            Some(i) if key - end < Self::GAP && self.sparse.is_empty() => {
                self.dense.resize(i + 1, None);
                self.dense.get_mut(i)
            }
            _ => None,
        };
        self.strings += value.heap();
        let old = match slot {
            Some(slot) => slot.replace(value),
            None => self.sparse.insert(key, value),
        };
        match old {
            Some(old) => self.strings -= old.heap(),
            None => self.len += 1,
        }
    }

    fn get(&self, key: u64) -> Option<&Sym> {
        match usize::try_from(key).ok().and_then(|k| self.dense.get(k)) {
            Some(slot) => slot.as_ref(),
            None => self.sparse.get(&key),
        }
    }

    /// The bytes its containers hold, counting the doubling the next
    /// insert may make.
    fn held(&self) -> usize {
        self.dense.capacity().max(self.dense.len() * 2) * size_of::<Option<Sym>>()
            + self.sparse.capacity().max(self.sparse.len() * 2) * (size_of::<(u64, Sym)>() + 1)
            + self.strings
    }
}

/// Strings longer than this are not tracked as possible global names.
const MAX_NAME: usize = 512;

enum Arg {
    None,
    Fixed(usize),
    Line,
    TwoLines,
    Len1,
    Len4,
    Len4Signed,
    Len8,
}

/// The argument layout of every opcode of protocols 0-5; `None` for a byte
/// that is not an opcode.
fn arg_of(op: u8) -> Option<Arg> {
    Some(match op {
        b'(' | b'.' | b'0' | b'1' | b'2' | b'N' | b'Q' | b'R' | b'a' | b'b' | b'd' | b'}'
        | b'e' | b'l' | b']' | b'o' | b's' | b't' | b')' | b'u' | 0x81 | 0x85 | 0x86 | 0x87
        | 0x88 | 0x89 | 0x8f | 0x90 | 0x91 | 0x92 | 0x93 | 0x94 | 0x97 | 0x98 => Arg::None,
        b'F' | b'I' | b'L' | b'P' | b'S' | b'V' | b'g' | b'p' => Arg::Line,
        b'c' | b'i' => Arg::TwoLines,
        b'J' | b'j' | b'r' => Arg::Fixed(4),
        b'K' | b'h' | b'q' | 0x80 | 0x82 => Arg::Fixed(1),
        b'M' | 0x83 => Arg::Fixed(2),
        0x84 => Arg::Fixed(4),
        b'G' | 0x95 => Arg::Fixed(8),
        b'T' | b'X' | b'B' => Arg::Len4,
        0x8b => Arg::Len4Signed,
        b'U' | b'C' | 0x8c | 0x8a => Arg::Len1,
        0x8d | 0x8e | 0x96 => Arg::Len8,
        _ => return None,
    })
}

/// Whether `byte` is a pickle opcode of protocols 0-5.
pub fn is_opcode(byte: u8) -> bool {
    arg_of(byte).is_some()
}

/// Globals that can run code, spawn processes, or reach files or the
/// network: `(module, name)`, where a name of `*` matches every name and a
/// trailing `*` matches a prefix.
const DANGEROUS: &[(&str, &str)] = &[
    ("os", "*"),
    ("posix", "*"),
    ("nt", "*"),
    ("subprocess", "*"),
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("builtins", "compile"),
    ("builtins", "__import__"),
    ("builtins", "getattr"),
    ("builtins", "setattr"),
    ("builtins", "delattr"),
    ("builtins", "open"),
    ("builtins", "breakpoint"),
    ("builtins", "input"),
    ("builtins", "globals"),
    ("builtins", "locals"),
    ("builtins", "vars"),
    ("__builtin__", "eval"),
    ("__builtin__", "exec"),
    ("__builtin__", "execfile"),
    ("__builtin__", "compile"),
    ("__builtin__", "__import__"),
    ("__builtin__", "getattr"),
    ("__builtin__", "setattr"),
    ("__builtin__", "delattr"),
    ("__builtin__", "open"),
    ("__builtin__", "file"),
    ("__builtin__", "input"),
    ("__builtin__", "reload"),
    ("runpy", "*"),
    ("pty", "*"),
    ("socket", "*"),
    ("shutil", "*"),
    ("importlib", "*"),
    ("pickle", "*"),
    ("_pickle", "*"),
    ("cPickle", "*"),
    ("dill", "*"),
    ("marshal", "*"),
    ("types", "CodeType"),
    ("types", "FunctionType"),
    ("types", "LambdaType"),
    ("types", "MethodType"),
    ("webbrowser", "*"),
    ("sys", "*"),
    ("code", "*"),
    ("codeop", "*"),
    ("commands", "*"),
    ("ctypes", "*"),
    ("multiprocessing", "*"),
    ("asyncio", "*"),
    ("operator", "attrgetter"),
    ("operator", "methodcaller"),
    ("operator", "getitem"),
    ("platform", "popen"),
    ("pip", "*"),
    ("http", "*"),
    ("urllib", "*"),
    ("requests", "*"),
    ("torch", "load"),
    ("torch.serialization", "load"),
    ("torch.storage", "_load_from_bytes"),
    ("numpy", "load"),
    ("numpy.testing._private.utils", "runstring"),
];

/// Globals PyTorch and NumPy checkpoints need and that run no arbitrary code
/// by themselves.
const KNOWN_SAFE: &[(&str, &str)] = &[
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor_v3"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch._utils", "_rebuild_qtensor"),
    ("torch._utils", "_rebuild_sparse_tensor"),
    ("torch._utils", "_rebuild_meta_tensor_no_storage"),
    ("torch._utils", "_rebuild_device_tensor_from_numpy"),
    ("torch._tensor", "_rebuild_from_type_v2"),
    ("torch", "*Storage"),
    ("torch", "Size"),
    ("torch", "device"),
    ("torch", "float16"),
    ("torch", "float32"),
    ("torch", "float64"),
    ("torch", "bfloat16"),
    ("torch", "int8"),
    ("torch", "int16"),
    ("torch", "int32"),
    ("torch", "int64"),
    ("torch", "uint8"),
    ("torch", "bool"),
    ("collections", "OrderedDict"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("_codecs", "encode"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "bytearray"),
    ("builtins", "slice"),
    ("builtins", "complex"),
    ("__builtin__", "set"),
    ("__builtin__", "frozenset"),
    ("__builtin__", "bytearray"),
    ("__builtin__", "slice"),
    ("__builtin__", "complex"),
];

fn matches(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        true
    } else if let Some(suffix) = pattern.strip_prefix('*') {
        value.ends_with(suffix) && !value.contains('.')
    } else if let Some(prefix) = pattern.strip_suffix('*') {
        value.starts_with(prefix)
    } else {
        pattern == value
    }
}

/// Rates one global. A module matches a table entry when it equals it or is
/// a submodule of it (`os.path` matches `os`); names with a dunder segment
/// (`x.__globals__`) are dangerous, since pickle resolves dotted names by
/// attribute traversal.
pub fn classify_global(module: &str, name: &str) -> GlobalRisk {
    if module == DYNAMIC || name == DYNAMIC {
        return GlobalRisk::Dangerous;
    }
    let dunder = name.split('.').skip(1).any(|seg| seg.starts_with("__"))
        || (name.starts_with("__") && name != "__import__");
    let in_module = |table_module: &str| {
        module == table_module
            || module
                .strip_prefix(table_module)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    if dunder
        || DANGEROUS
            .iter()
            .any(|(m, n)| in_module(m) && matches(n, name))
    {
        return GlobalRisk::Dangerous;
    }
    if KNOWN_SAFE
        .iter()
        .any(|(m, n)| *m == module && matches(n, name))
    {
        return GlobalRisk::KnownSafe;
    }
    GlobalRisk::Unknown
}

/// A malformed or dangerous [`AllowGlobals`] entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AllowGlobalError {
    /// The entry is not `MODULE.NAME` or `MODULE.*`.
    #[error("allowed global `{entry}` is not MODULE.NAME or MODULE.* (dotted Python names)")]
    Malformed {
        /// The entry.
        entry: String,
    },
    /// The entry names a global rated dangerous (`os.system`, `subprocess.*`).
    #[error(
        "allowed global `{entry}` is rated dangerous: an allow-list admits a project's own \
         classes, never a dangerous global"
    )]
    Dangerous {
        /// The entry.
        entry: String,
    },
}

/// Globals a project accepts beyond the known-safe table, such as its own
/// classes: entries `MODULE.NAME` (module and attribute joined by a dot,
/// matched against the pickle's `module.name`) or `MODULE.*` (every name of
/// the module and its submodules). A global the walker rates dangerous is
/// never admitted: [`AllowGlobals::new`] refuses an entry naming one, and
/// the dangerous rating wins over any entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowGlobals {
    entries: Vec<String>,
}

impl AllowGlobals {
    /// Checks and collects `entries`.
    ///
    /// # Errors
    /// An entry that is not a dotted Python name ending in a name or `*`,
    /// or that names a dangerous global.
    pub fn new<S: AsRef<str>>(
        entries: impl IntoIterator<Item = S>,
    ) -> Result<Self, AllowGlobalError> {
        let mut out = Self::default();
        for entry in entries {
            out.add(entry.as_ref())?;
        }
        Ok(out)
    }

    /// Adds one entry (see [`AllowGlobals::new`]).
    ///
    /// # Errors
    /// As [`AllowGlobals::new`].
    pub fn add(&mut self, entry: &str) -> Result<(), AllowGlobalError> {
        let malformed = || AllowGlobalError::Malformed {
            entry: entry.to_owned(),
        };
        let segments: Vec<&str> = entry.split('.').collect();
        let (last, module) = segments.split_last().ok_or_else(malformed)?;
        if module.is_empty()
            || !module.iter().all(|s| is_identifier(s))
            || !(*last == "*" || is_identifier(last))
        {
            return Err(malformed());
        }
        let dangerous = if *last == "*" {
            // A module whose every name is dangerous (`os.*`).
            classify_global(&module.join("."), "x") == GlobalRisk::Dangerous
        } else {
            // Every way of splitting `a.b.c` into module and name.
            (1..segments.len()).any(|k| {
                classify_global(&segments[..k].join("."), &segments[k..].join("."))
                    == GlobalRisk::Dangerous
            })
        };
        if dangerous {
            return Err(AllowGlobalError::Dangerous {
                entry: entry.to_owned(),
            });
        }
        if !self.entries.iter().any(|e| e == entry) {
            self.entries.push(entry.to_owned());
        }
        Ok(())
    }

    /// Adds every entry of `other`.
    pub fn extend(&mut self, other: &AllowGlobals) {
        for e in &other.entries {
            if !self.entries.contains(e) {
                self.entries.push(e.clone());
            }
        }
    }

    /// The entries, in the order given.
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Whether no entry was given.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether an entry matches the global `module.name`.
    pub fn allows(&self, module: &str, name: &str) -> bool {
        self.entries.iter().any(|e| match e.strip_suffix(".*") {
            Some(m) => {
                module == m
                    || module
                        .strip_prefix(m)
                        .is_some_and(|rest| rest.starts_with('.'))
            }
            None => e
                .strip_prefix(module)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|rest| rest == name),
        })
    }

    /// [`classify_global`], with unknown globals that an entry matches
    /// rated [`GlobalRisk::Allowed`].
    pub fn rate(&self, module: &str, name: &str) -> GlobalRisk {
        match classify_global(module, name) {
            GlobalRisk::Unknown if self.allows(module, name) => GlobalRisk::Allowed,
            risk => risk,
        }
    }
}

/// A Python identifier (ASCII or Unicode letters, digits, `_`; no leading
/// digit).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// A dotted Python name (`torch._utils`, `Outer.Inner`), as real pickles
/// import: random bytes almost never look like one.
fn is_dotted_name(s: &str) -> bool {
    s.len() <= MAX_NAME && s.split('.').all(is_identifier)
}

/// Why a walk stopped before a `STOP`.
#[derive(Debug)]
enum Stop {
    Truncated(&'static str),
    BadOpcode(u8),
    LineTooLong,
    OpcodeLimit,
    StackLimit,
    /// An opcode needs more values (or a mark) than the stack holds: the
    /// unpickler raises there.
    Underflow(&'static str),
    /// An argument the unpickler refuses (a memo key `int()` rejects, an
    /// unquoted `STRING`, a protocol above 5).
    BadArgument(&'static str),
    /// A memo load of a key never stored.
    MemoMissing(u64),
    /// The stack, memo and strings outgrew [`PickleLimits::max_memory`].
    MemoryLimit,
    /// Reading the input failed; the error is kept in the source.
    Io,
}

impl Stop {
    fn describe(&self, offset: u64) -> String {
        match self {
            Stop::Truncated(op) => format!("pickle truncated inside {op} at byte {offset}"),
            Stop::BadOpcode(b) => {
                format!("byte {b:#04x} at offset {offset} is not a pickle opcode")
            }
            Stop::LineTooLong => {
                format!("newline-terminated argument at byte {offset} is too long")
            }
            Stop::OpcodeLimit => format!("opcode limit reached at byte {offset}"),
            Stop::StackLimit => format!("stack or memo limit reached at byte {offset}"),
            Stop::Underflow(op) => format!("pickle stack underflow in {op} at byte {offset}"),
            Stop::BadArgument(op) => format!("bad {op} argument at byte {offset}"),
            Stop::MemoMissing(key) => {
                format!("memo key {key} loaded before it was stored, at byte {offset}")
            }
            Stop::MemoryLimit => format!("walker memory limit reached at byte {offset}"),
            Stop::Io => format!("read error at byte {offset}"),
        }
    }
}

/// Findings of one pickle, merged into the scan only when it is kept.
#[derive(Default)]
struct Segment {
    globals: Vec<PickleGlobal>,
    seen: std::collections::HashSet<(String, String, &'static str)>,
    repeated: u64,
    worst: Option<GlobalRisk>,
    reduce: u64,
    build: u64,
    inst_obj: u64,
    newobj: u64,
    persistent_ids: u64,
    extension_codes: Vec<u32>,
    protocol: u8,
    opcodes: u64,
    /// A global imported by a dotted name (or by string operands): what
    /// real pickles do and random bytes do not.
    named_import: bool,
}

impl Segment {
    fn record(
        &mut self,
        allow: &AllowGlobals,
        module: String,
        name: String,
        opcode: &'static str,
        offset: u64,
    ) {
        let risk = allow.rate(&module, &name);
        self.worst = self.worst.max(Some(risk));
        if self.globals.len() >= MAX_GLOBALS
            || !self.seen.insert((module.clone(), name.clone(), opcode))
        {
            self.repeated += 1;
            return;
        }
        self.globals.push(PickleGlobal {
            module,
            name,
            opcode,
            offset,
            risk,
        });
    }
}

/// A forward-only window over the input: the walker never holds more of it
/// than the longest argument it must see whole (a newline-terminated line,
/// or a name of at most [`MAX_NAME`] bytes). Longer length-prefixed
/// arguments (tensor bytes in `BINBYTES`, long strings) are skipped.
struct Source<R> {
    reader: R,
    buf: Vec<u8>,
    /// The first unconsumed byte of `buf`.
    start: usize,
    /// The end of the bytes read into `buf`.
    end: usize,
    /// The input offset of `buf[0]`.
    base: u64,
    eof: bool,
    error: Option<io::Error>,
}

impl<R: Read> Source<R> {
    fn new(reader: R, window: usize) -> Self {
        Self {
            reader,
            buf: vec![0; window],
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            error: None,
        }
    }

    /// The input offset of the next unconsumed byte.
    fn pos(&self) -> u64 {
        self.base + self.start as u64
    }

    /// Makes at least `n` bytes (at most the window) available unless the
    /// input ends first; says whether they are.
    fn fill(&mut self, n: usize) -> Result<bool, Stop> {
        while self.end - self.start < n {
            if self.eof {
                return Ok(false);
            }
            if self.start > 0 && self.buf.len() - self.start < n {
                self.buf.copy_within(self.start..self.end, 0);
                self.base += self.start as u64;
                self.end -= self.start;
                self.start = 0;
            }
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    return Err(Stop::Io);
                }
            }
        }
        Ok(true)
    }

    fn peek(&mut self) -> Result<Option<u8>, Stop> {
        Ok(if self.fill(1)? {
            Some(self.buf[self.start])
        } else {
            None
        })
    }

    fn take(&mut self, n: usize, op: &'static str) -> Result<&[u8], Stop> {
        if n > self.buf.len() || !self.fill(n)? {
            return Err(Stop::Truncated(op));
        }
        let out = &self.buf[self.start..self.start + n];
        self.start += n;
        Ok(out)
    }

    /// Consumes `n` bytes without keeping them.
    fn skip(&mut self, n: u64, op: &'static str) -> Result<(), Stop> {
        let buffered = (self.end - self.start).min(usize::try_from(n).unwrap_or(usize::MAX));
        self.start += buffered;
        let rest = n - buffered as u64;
        if rest == 0 {
            return Ok(());
        }
        let copied = match io::copy(&mut (&mut self.reader).take(rest), &mut io::sink()) {
            Ok(k) => k,
            Err(e) => {
                self.error = Some(e);
                return Err(Stop::Io);
            }
        };
        self.base += (self.end as u64) + copied;
        self.start = 0;
        self.end = 0;
        if copied < rest {
            self.eof = true;
            return Err(Stop::Truncated(op));
        }
        Ok(())
    }

    /// Reads a line of at most `max` bytes, without its newline.
    fn line(&mut self, max: usize, op: &'static str) -> Result<&[u8], Stop> {
        let window = max.saturating_add(1).min(self.buf.len());
        let mut searched = 0;
        loop {
            let have = (self.end - self.start).min(window);
            if let Some(i) = self.buf[self.start + searched..self.start + have]
                .iter()
                .position(|&b| b == b'\n')
            {
                let i = searched + i;
                let out = &self.buf[self.start..self.start + i];
                self.start += i + 1;
                return Ok(out);
            }
            searched = have;
            if have >= window {
                return Err(Stop::LineTooLong);
            }
            if !self.fill(have + 1)? {
                return Err(Stop::Truncated(op));
            }
        }
    }

    /// Reads to the end of the input.
    fn drain(&mut self) -> Result<(), Stop> {
        self.start = self.end;
        if self.eof {
            return Ok(());
        }
        match io::copy(&mut self.reader, &mut io::sink()) {
            Ok(k) => {
                self.base += k;
                self.eof = true;
                Ok(())
            }
            Err(e) => {
                self.error = Some(e);
                Err(Stop::Io)
            }
        }
    }
}

/// A length-prefixed argument: its bytes when it is short enough for the
/// walker to use, or only its length.
enum Payload<'b> {
    Bytes(&'b [u8]),
    Skipped,
}

/// The bytes of a payload, or none (and `skipped` set) when it was skipped.
fn payload_bytes<'b>(payload: Payload<'b>, skipped: &mut bool) -> &'b [u8] {
    match payload {
        Payload::Bytes(b) => b,
        Payload::Skipped => {
            *skipped = true;
            &[]
        }
    }
}

struct Walker<'a, R> {
    src: Source<R>,
    limits: PickleLimits,
    opcodes_before: u64,
    allow: &'a AllowGlobals,
}

impl<R: Read> Source<R> {
    fn len_prefixed(
        &mut self,
        width: usize,
        signed: bool,
        op: &'static str,
    ) -> Result<Payload<'_>, Stop> {
        let raw = self.take(width, op)?;
        let mut buf = [0u8; 8];
        buf[..width].copy_from_slice(raw);
        let len = u64::from_le_bytes(buf);
        if signed && width == 4 && len >= 1 << 31 {
            return Err(Stop::Truncated(op));
        }
        match usize::try_from(len) {
            Ok(short) if short <= MAX_NAME => Ok(Payload::Bytes(self.take(short, op)?)),
            _ => {
                self.skip(len, op)?;
                Ok(Payload::Skipped)
            }
        }
    }
}

impl<R: Read> Walker<'_, R> {
    /// Walks one pickle from `self.pos` to its `STOP`.
    fn walk_one(&mut self, seg: &mut Segment) -> Result<(), Stop> {
        let mut stack = Stack::default();
        let mut memo = Memo::default();
        loop {
            if self.opcodes_before + seg.opcodes >= self.limits.max_opcodes {
                return Err(Stop::OpcodeLimit);
            }
            if stack.len() > self.limits.max_stack || memo.len() > self.limits.max_stack {
                return Err(Stop::StackLimit);
            }
            // Capacities rather than lengths: what is allocated, including
            // the doubling a push or insert is about to make.
            if stack.held() + memo.held() > self.limits.max_memory {
                return Err(Stop::MemoryLimit);
            }
            let op = read_op(&mut self.src, &self.limits)?;
            seg.opcodes += 1;
            if apply(&op, &mut stack, &mut memo, seg, self.allow)? == Flow::End {
                return Ok(());
            }
        }
    }
}

/// One opcode as read: its byte, name, offset and argument.
struct Op<'b> {
    code: u8,
    name: &'static str,
    offset: u64,
    /// GLOBAL and INST take two lines: the first is copied out of the
    /// window before the second is read. Empty for other opcodes.
    first_line: Vec<u8>,
    /// The argument (the second line of a two-line one); empty for none.
    payload: &'b [u8],
    /// The argument was longer than the walker keeps (its value unknown).
    skipped: bool,
}

/// Whether the pickle's STOP was reached.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    End,
}

/// Reads the next opcode and its argument.
fn read_op<'s, R: Read>(src: &'s mut Source<R>, limits: &PickleLimits) -> Result<Op<'s>, Stop> {
    let offset = src.pos();
    let code = src.peek()?.ok_or(Stop::Truncated("opcode"))?;
    let arg = arg_of(code).ok_or(Stop::BadOpcode(code))?;
    src.skip(1, "opcode")?;
    let name = opcode_name(code);
    let mut first_line = Vec::new();
    let mut skipped = false;
    let payload: &[u8] = match arg {
        Arg::None => &[],
        Arg::Fixed(n) => src.take(n, name)?,
        Arg::Line => src.line(limits.max_line, name)?,
        Arg::TwoLines => {
            first_line = src.line(limits.max_line, name)?.to_vec();
            src.line(limits.max_line, name)?
        }
        Arg::Len1 => payload_bytes(src.len_prefixed(1, false, name)?, &mut skipped),
        Arg::Len4 => payload_bytes(src.len_prefixed(4, false, name)?, &mut skipped),
        Arg::Len4Signed => payload_bytes(src.len_prefixed(4, true, name)?, &mut skipped),
        Arg::Len8 => payload_bytes(src.len_prefixed(8, false, name)?, &mut skipped),
    };
    Ok(Op {
        code,
        name,
        offset,
        first_line,
        payload,
        skipped,
    })
}

// Stack effects as CPython's `_pickle.c` checks them: a value popped from an
// empty stack, or from below the last mark, is an underflow, and so is a
// mark that is not there.

fn pop(stack: &mut Stack, name: &'static str) -> Result<Sym, Stop> {
    match stack.pop() {
        Some(Sym::Mark) | None => Err(Stop::Underflow(name)),
        Some(s) => Ok(s),
    }
}

fn top(stack: &Stack, name: &'static str) -> Result<Sym, Stop> {
    match stack.last() {
        Some(Sym::Mark) | None => Err(Stop::Underflow(name)),
        Some(s) => Ok(s.clone()),
    }
}

/// Pops everything down to the last mark, and the mark: how many items.
fn pop_mark(stack: &mut Stack, name: &'static str) -> Result<usize, Stop> {
    let mut items = 0usize;
    loop {
        match stack.pop() {
            Some(Sym::Mark) => return Ok(items),
            Some(_) => items += 1,
            None => return Err(Stop::Underflow(name)),
        }
    }
}

/// Applies one opcode's effect: imports are recorded in `seg`, strings
/// tracked for STACK_GLOBAL, everything else a shape on the stack.
fn apply(
    op: &Op<'_>,
    stack: &mut Stack,
    memo: &mut Memo,
    seg: &mut Segment,
    allow: &AllowGlobals,
) -> Result<Flow, Stop> {
    let (name, payload) = (op.name, op.payload);
    match op.code {
        b'.' => {
            pop(stack, name)?;
            return Ok(Flow::End);
        }
        0x80 => {
            seg.protocol = payload.first().copied().unwrap_or(0);
            if seg.protocol > 5 {
                return Err(Stop::BadArgument(name));
            }
        }
        b'S' | b'V' | b'X' | 0x8c | 0x8d | b'U' | b'T' => stack.push(string_sym(op)?),
        b'c' | b'i' | 0x93 => record_global(op, stack, seg, allow)?,
        b'p' | b'q' | b'r' | 0x94 | b'g' | b'h' | b'j' => memo_op(op, stack, memo)?,
        _ => stack_effect(op, stack, seg)?,
    }
    Ok(Flow::Continue)
}

/// What a string push leaves on the stack: a known string, or a string of
/// unknown value (escaped, non-ASCII, or too long to keep).
fn string_sym(op: &Op<'_>) -> Result<Sym, Stop> {
    let payload = op.payload;
    Ok(match op.code {
        b'S' => {
            let inner = quoted(payload).ok_or(Stop::BadArgument(op.name))?;
            // Escapes are decoded by the unpickler (`\x6fs` is `os`): such
            // a string is a string of unknown value.
            if inner.contains(&b'\\') || !inner.is_ascii() {
                Sym::Text
            } else {
                text_sym(inner)
            }
        }
        // raw-unicode-escape: `\u` escapes, other bytes Latin-1.
        b'V' if payload.contains(&b'\\') || !payload.is_ascii() => Sym::Text,
        _ if op.skipped => Sym::Text,
        _ => text_sym(payload),
    })
}

/// GLOBAL, INST and STACK_GLOBAL: the import is recorded (a STACK_GLOBAL
/// whose operands are not known strings as `DYNAMIC`).
fn record_global(
    op: &Op<'_>,
    stack: &mut Stack,
    seg: &mut Segment,
    allow: &AllowGlobals,
) -> Result<(), Stop> {
    let name = op.name;
    let (module, gname) = if op.code == 0x93 {
        let gname = pop(stack, name)?;
        let module = pop(stack, name)?;
        match (module, gname) {
            (Sym::Str(m), Sym::Str(n)) => {
                seg.named_import |= is_dotted_name(&m) && is_dotted_name(&n);
                (m.to_string(), n.to_string())
            }
            (m @ (Sym::Str(_) | Sym::Text), n @ (Sym::Str(_) | Sym::Text)) => {
                seg.named_import |= m == Sym::Text || n == Sym::Text;
                (DYNAMIC.to_owned(), DYNAMIC.to_owned())
            }
            _ => (DYNAMIC.to_owned(), DYNAMIC.to_owned()),
        }
    } else {
        let (module, gname) = match (
            std::str::from_utf8(&op.first_line),
            std::str::from_utf8(op.payload),
        ) {
            (Ok(m), Ok(n)) => (m, n),
            // The unpickler decodes both as strict UTF-8.
            _ => return Err(Stop::BadArgument(name)),
        };
        if op.code == b'i' {
            pop_mark(stack, name)?;
            seg.inst_obj += 1;
        }
        seg.named_import |= is_dotted_name(module) && is_dotted_name(gname);
        (module.to_owned(), gname.to_owned())
    };
    seg.record(allow, module, gname, name, op.offset);
    stack.push(Sym::Other);
    Ok(())
}

/// Memo stores and loads. Text keys follow `int()`: see `memo_key`.
fn memo_op(op: &Op<'_>, stack: &mut Stack, memo: &mut Memo) -> Result<(), Stop> {
    let (name, payload) = (op.name, op.payload);
    match op.code {
        b'p' | b'q' | b'r' | 0x94 => {
            let key = match op.code {
                b'p' => memo_key(payload).ok_or(Stop::BadArgument(name))?,
                0x94 => memo.len() as u64,
                _ => le(payload),
            };
            let value = top(stack, name)?;
            memo.insert(key, value);
        }
        _ => {
            let key = if op.code == b'g' {
                memo_key(payload).ok_or(Stop::BadArgument(name))?
            } else {
                le(payload)
            };
            let value = memo.get(key).ok_or(Stop::MemoMissing(key))?;
            stack.push(value.clone());
        }
    }
    Ok(())
}

/// Every other opcode: its shape on the stack, and the counts of calls,
/// object builds, persistent ids and extension codes.
fn stack_effect(op: &Op<'_>, stack: &mut Stack, seg: &mut Segment) -> Result<(), Stop> {
    let (name, payload) = (op.name, op.payload);
    match op.code {
        b'(' => stack.push(Sym::Mark),
        b'0' => {
            // POP drops the top value, or else the last mark.
            stack.pop().ok_or(Stop::Underflow(name))?;
        }
        b'1' => {
            pop_mark(stack, name)?;
        }
        b'2' => {
            let value = top(stack, name)?;
            stack.push(value);
        }
        b'I' | b'L' | b'F' => {
            if !number_like(payload, op.code == b'F') {
                return Err(Stop::BadArgument(name));
            }
            stack.push(Sym::Other);
        }
        b'R' => {
            pop(stack, name)?;
            pop(stack, name)?;
            seg.reduce += 1;
            stack.push(Sym::Other);
        }
        b'b' => {
            pop(stack, name)?;
            top(stack, name)?;
            seg.build += 1;
        }
        b'o' => {
            if pop_mark(stack, name)? == 0 {
                return Err(Stop::Underflow(name));
            }
            seg.inst_obj += 1;
            stack.push(Sym::Other);
        }
        0x81 => {
            pop(stack, name)?;
            pop(stack, name)?;
            seg.newobj += 1;
            stack.push(Sym::Other);
        }
        0x92 => {
            for _ in 0..3 {
                pop(stack, name)?;
            }
            seg.newobj += 1;
            stack.push(Sym::Other);
        }
        b'P' => {
            seg.persistent_ids += 1;
            stack.push(Sym::Other);
        }
        b'Q' => {
            pop(stack, name)?;
            seg.persistent_ids += 1;
            stack.push(Sym::Other);
        }
        0x82..=0x84 => {
            seg.extension_codes
                .push(u32::try_from(le(payload)).unwrap_or(u32::MAX));
            stack.push(Sym::Other);
        }
        // Collections built from everything above the mark.
        b't' | b'l' | b'd' | 0x91 => {
            pop_mark(stack, name)?;
            stack.push(Sym::Other);
        }
        // Items above the mark added to the collection below it.
        b'e' | b'u' | 0x90 => {
            pop_mark(stack, name)?;
            top(stack, name)?;
        }
        b'a' => {
            pop(stack, name)?;
            top(stack, name)?;
        }
        b's' => {
            pop(stack, name)?;
            pop(stack, name)?;
            top(stack, name)?;
        }
        0x85..=0x87 => {
            for _ in 0..(op.code - 0x84) {
                pop(stack, name)?;
            }
            stack.push(Sym::Other);
        }
        // No stack effect.
        0x95 => {}
        0x98 => {
            top(stack, name)?;
        }
        // Every other opcode pushes one non-string value.
        _ => stack.push(Sym::Other),
    }
    Ok(())
}

/// The inside of a `STRING` argument, which the unpickler requires to be
/// quoted with matching quotes.
fn quoted(s: &[u8]) -> Option<&[u8]> {
    match s {
        [q, inner @ .., q2] if q == q2 && (*q == b'\'' || *q == b'"') => Some(inner),
        _ => None,
    }
}

/// A pushed string: tracked when it is short UTF-8.
fn text_sym(bytes: &[u8]) -> Sym {
    match std::str::from_utf8(bytes) {
        Ok(s) if s.len() <= MAX_NAME => Sym::Str(Rc::new(s.to_owned())),
        _ => Sym::Text,
    }
}

/// Whether an `INT`, `LONG` or `FLOAT` argument could be a number to
/// Python's `int(s, 0)` / `float(s)` (`0x1f`, `1_000`, `12L`, `-inf`,
/// `1e-05`): what text that merely starts with `I`, `L` or `F` is not.
fn number_like(line: &[u8], float: bool) -> bool {
    let s = line.trim_ascii();
    let s = s
        .strip_prefix(b"-")
        .or_else(|| s.strip_prefix(b"+"))
        .unwrap_or(s);
    !s.is_empty()
        && s.iter().all(|&b| {
            b.is_ascii_alphanumeric() || b == b'_' || (float && matches!(b, b'.' | b'+' | b'-'))
        })
}

fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// A `PUT`/`GET` memo key as CPython's unpickler reads it (`int()` rules:
/// `PyLong_FromString` in base 10 on the line up to a NUL): ASCII
/// whitespace around, an optional sign, decimal digits with single `_`
/// between them (`1_0` is 10), leading zeros allowed; it must fit a
/// `Py_ssize_t` and not be negative (`PUT` refuses one, and no `GET` can
/// find one).
fn memo_key(line: &[u8]) -> Option<u64> {
    let line = line.split(|&b| b == 0).next().unwrap_or_default();
    // Py_ISSPACE: space, \t, \n, \v, \f, \r.
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let start = line.iter().position(|b| !space(b))?;
    let end = line.iter().rposition(|b| !space(b))? + 1;
    let s = &line[start..end];
    let (negative, digits) = match s.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, s),
    };
    if !digits.first()?.is_ascii_digit() || !digits.last()?.is_ascii_digit() {
        return None;
    }
    let mut value: u64 = 0;
    let mut previous_underscore = false;
    for &b in digits {
        match b {
            b'_' if !previous_underscore => previous_underscore = true,
            b'0'..=b'9' => {
                previous_underscore = false;
                value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            }
            _ => return None,
        }
    }
    if value > i64::MAX as u64 || (negative && value != 0) {
        return None;
    }
    Some(value)
}

fn opcode_name(op: u8) -> &'static str {
    match op {
        b'c' => "GLOBAL",
        b'i' => "INST",
        0x93 => "STACK_GLOBAL",
        b'S' => "STRING",
        b'T' => "BINSTRING",
        b'U' => "SHORT_BINSTRING",
        b'V' => "UNICODE",
        b'X' => "BINUNICODE",
        0x8c => "SHORT_BINUNICODE",
        0x8d => "BINUNICODE8",
        b'B' => "BINBYTES",
        b'C' => "SHORT_BINBYTES",
        0x8e => "BINBYTES8",
        0x96 => "BYTEARRAY8",
        0x8a => "LONG1",
        0x8b => "LONG4",
        0x95 => "FRAME",
        b'.' => "STOP",
        0x80 => "PROTO",
        b'0' => "POP",
        b'1' => "POP_MARK",
        b'2' => "DUP",
        b'I' => "INT",
        b'L' => "LONG",
        b'F' => "FLOAT",
        b'p' => "PUT",
        b'q' => "BINPUT",
        b'r' => "LONG_BINPUT",
        0x94 => "MEMOIZE",
        b'g' => "GET",
        b'h' => "BINGET",
        b'j' => "LONG_BINGET",
        b'R' => "REDUCE",
        b'b' => "BUILD",
        b'o' => "OBJ",
        0x81 => "NEWOBJ",
        0x92 => "NEWOBJ_EX",
        b'Q' => "BINPERSID",
        b't' => "TUPLE",
        b'l' => "LIST",
        b'd' => "DICT",
        0x91 => "FROZENSET",
        b'e' => "APPENDS",
        b'u' => "SETITEMS",
        0x90 => "ADDITEMS",
        b'a' => "APPEND",
        b's' => "SETITEM",
        0x85 => "TUPLE1",
        0x86 => "TUPLE2",
        0x87 => "TUPLE3",
        0x98 => "READONLY_BUFFER",
        _ => "opcode",
    }
}

/// Walks `data` as one or more concatenated pickles without executing
/// anything.
///
/// After each `STOP` the walk goes on while the next byte is an opcode (and,
/// when the first pickle began with `PROTO`, is `PROTO` too): legacy PyTorch
/// files hold several pickles followed by raw tensor data. A later segment
/// that does not reach `STOP` is taken to be that data: its findings are
/// dropped and its bytes counted in `trailing_bytes`. A first pickle that
/// does not reach `STOP` is reported with `error` set.
pub fn scan_pickle(data: &[u8], limits: &PickleLimits) -> PickleScan {
    scan(data, limits, &AllowGlobals::default()).0
}

/// [`scan_pickle`], rating the globals `allow` matches
/// [`GlobalRisk::Allowed`] instead of unknown.
pub fn scan_pickle_allowing(
    data: &[u8],
    limits: &PickleLimits,
    allow: &AllowGlobals,
) -> PickleScan {
    scan(data, limits, allow).0
}

/// [`scan_pickle_allowing`] on a stream, read once to its end through a
/// window of about [`PickleLimits::max_line`] bytes: memory does not grow
/// with the input (see [`PickleLimits::max_memory`]). Bytes after the last
/// pickle are read to count them.
///
/// # Errors
///
/// A read error of `reader`.
pub fn scan_pickle_reader<R: Read>(
    reader: R,
    limits: &PickleLimits,
    allow: &AllowGlobals,
) -> io::Result<PickleScan> {
    let (scan, _, error) = scan_source(Source::new(reader, window(limits, None)), limits, allow);
    match error {
        Some(e) => Err(e),
        None => Ok(scan),
    }
}

/// The window for a walk: one line and its newline, within 4 KiB..16 MiB,
/// and no bigger than an input of known length needs.
fn window(limits: &PickleLimits, len: Option<usize>) -> usize {
    let w = limits.max_line.saturating_add(1).clamp(4096, 16 << 20);
    len.map_or(w, |n| w.min(n.saturating_add(1)))
}

/// What identification needs beyond a [`PickleScan`].
pub(crate) struct Sniff {
    /// The first pickle imports a global by a dotted name (or by string
    /// operands of unknown value).
    pub named_import: bool,
    /// It calls something (`REDUCE`, `BUILD`, `INST`, `OBJ`, `NEWOBJ`).
    pub calls: bool,
}

pub(crate) fn scan(
    data: &[u8],
    limits: &PickleLimits,
    allow: &AllowGlobals,
) -> (PickleScan, Sniff) {
    // Reading a slice cannot fail.
    let (scan, sniff, _) = scan_source(
        Source::new(data, window(limits, Some(data.len()))),
        limits,
        allow,
    );
    (scan, sniff)
}

fn scan_source<R: Read>(
    src: Source<R>,
    limits: &PickleLimits,
    allow: &AllowGlobals,
) -> (PickleScan, Sniff, Option<io::Error>) {
    let mut sniff = Sniff {
        named_import: false,
        calls: false,
    };
    let mut scan = PickleScan {
        pickles: 0,
        protocol: 0,
        opcodes: 0,
        globals: Vec::new(),
        repeated_globals: 0,
        reduce: 0,
        build: 0,
        inst_obj: 0,
        newobj: 0,
        persistent_ids: 0,
        extension_codes: Vec::new(),
        trailing_bytes: 0,
        error: None,
        risk: PickleRisk::KnownSafe,
    };
    let mut walker = Walker {
        src,
        limits: *limits,
        opcodes_before: 0,
        allow,
    };
    let first_is_proto = matches!(walker.src.peek(), Ok(Some(0x80)));
    let mut worst: Option<GlobalRisk> = None;
    loop {
        let start = walker.src.pos();
        let mut seg = Segment::default();
        let result = walker.walk_one(&mut seg);
        let keep = scan.pickles == 0 || result.is_ok();
        if keep {
            if scan.pickles == 0 {
                scan.protocol = seg.protocol;
                sniff.named_import = seg.named_import;
                sniff.calls = seg.reduce + seg.build + seg.inst_obj + seg.newobj > 0;
            }
            walker.opcodes_before += seg.opcodes;
            scan.opcodes += seg.opcodes;
            for g in seg.globals {
                if scan.globals.len() < MAX_GLOBALS {
                    scan.globals.push(g);
                } else {
                    scan.repeated_globals += 1;
                }
            }
            scan.repeated_globals += seg.repeated;
            worst = worst.max(seg.worst);
            scan.reduce += seg.reduce;
            scan.build += seg.build;
            scan.inst_obj += seg.inst_obj;
            scan.newobj += seg.newobj;
            scan.persistent_ids += seg.persistent_ids;
            scan.extension_codes.extend(seg.extension_codes);
        }
        match result {
            Ok(()) => scan.pickles += 1,
            Err(stop) => {
                if keep {
                    scan.error = Some(stop.describe(walker.src.pos()));
                } else {
                    let _ = walker.src.drain();
                    scan.trailing_bytes = walker.src.pos() - start;
                }
                break;
            }
        }
        match walker.src.peek() {
            Ok(None) | Err(_) => break,
            Ok(Some(b)) if is_opcode(b) && (!first_is_proto || b == 0x80) => {}
            Ok(Some(_)) => {
                let here = walker.src.pos();
                let _ = walker.src.drain();
                scan.trailing_bytes = walker.src.pos() - here;
                break;
            }
        }
    }
    let unresolved_risk = worst;
    scan.risk = if scan.error.is_some()
        || !scan.extension_codes.is_empty()
        || unresolved_risk == Some(GlobalRisk::Dangerous)
    {
        PickleRisk::Dangerous
    } else if unresolved_risk == Some(GlobalRisk::Unknown) {
        PickleRisk::Suspicious
    } else {
        PickleRisk::KnownSafe
    };
    (scan, sniff, walker.src.error)
}

#[cfg(test)]
#[path = "pickle_tests.rs"]
mod tests;
