//! A pickle opcode walker that executes nothing.
//!
//! It reads protocols 0 to 5, records every global the pickle would import
//! (`GLOBAL`, `STACK_GLOBAL`, `INST`) and every call-like opcode, and rates
//! each global against a table of known-dangerous and known-safe names.
//! `STACK_GLOBAL` takes its module and name from the stack, so the walker
//! keeps a symbolic stack and memo of string constants to resolve them.

use std::collections::HashMap;
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
}

impl Default for PickleLimits {
    fn default() -> Self {
        Self {
            max_opcodes: 10_000_000,
            max_line: 64 * 1024,
            max_stack: 1_000_000,
        }
    }
}

/// How dangerous one imported global is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GlobalRisk {
    /// Known to be needed for loading PyTorch or NumPy data and not to run
    /// arbitrary code by itself.
    KnownSafe,
    /// Not in either table: suspicious.
    Unknown,
    /// Can run code, spawn processes, touch files or the network, or its
    /// name could not be resolved.
    Dangerous,
}

/// The overall risk of a pickle. Every pickle runs code when loaded; this
/// says what the code it names can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PickleRisk {
    /// Imports only known-safe globals.
    KnownSafe,
    /// Imports globals in neither table.
    Suspicious,
    /// Imports a dangerous global, an unresolved `STACK_GLOBAL`, an extension
    /// code, or could not be walked to the end.
    Dangerous,
}

/// One global a pickle imports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    Str(Rc<str>),
    Other,
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

/// Why a walk stopped before a `STOP`.
#[derive(Debug)]
enum Stop {
    Truncated(&'static str),
    BadOpcode(u8),
    LineTooLong,
    OpcodeLimit,
    StackLimit,
}

impl Stop {
    fn describe(&self, offset: usize) -> String {
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
}

impl Segment {
    fn record(&mut self, module: String, name: String, opcode: &'static str, offset: u64) {
        let risk = classify_global(&module, &name);
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

struct Walker<'a> {
    data: &'a [u8],
    pos: usize,
    limits: PickleLimits,
    opcodes_before: u64,
}

impl<'a> Walker<'a> {
    fn take(&mut self, n: usize, op: &'static str) -> Result<&'a [u8], Stop> {
        let end = self.pos.checked_add(n).ok_or(Stop::Truncated(op))?;
        let out = self.data.get(self.pos..end).ok_or(Stop::Truncated(op))?;
        self.pos = end;
        Ok(out)
    }

    fn line(&mut self, op: &'static str) -> Result<&'a [u8], Stop> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let window = &rest[..rest.len().min(self.limits.max_line.saturating_add(1))];
        match window.iter().position(|&b| b == b'\n') {
            Some(i) => {
                self.pos += i + 1;
                Ok(&window[..i])
            }
            None if window.len() > self.limits.max_line => Err(Stop::LineTooLong),
            None => Err(Stop::Truncated(op)),
        }
    }

    fn len_prefixed(
        &mut self,
        width: usize,
        signed: bool,
        op: &'static str,
    ) -> Result<&'a [u8], Stop> {
        let raw = self.take(width, op)?;
        let mut buf = [0u8; 8];
        buf[..width].copy_from_slice(raw);
        let len = u64::from_le_bytes(buf);
        if signed && width == 4 && len >= 1 << 31 {
            return Err(Stop::Truncated(op));
        }
        // Capped against the bytes left before anything is sliced.
        let len = usize::try_from(len).map_err(|_| Stop::Truncated(op))?;
        self.take(len, op)
    }

    /// Walks one pickle from `self.pos` to its `STOP`.
    fn walk_one(&mut self, seg: &mut Segment) -> Result<(), Stop> {
        let mut stack: Vec<Sym> = Vec::new();
        let mut memo: HashMap<u64, Sym> = HashMap::new();
        loop {
            if self.opcodes_before + seg.opcodes >= self.limits.max_opcodes {
                return Err(Stop::OpcodeLimit);
            }
            if stack.len() > self.limits.max_stack || memo.len() > self.limits.max_stack {
                return Err(Stop::StackLimit);
            }
            let offset = self.pos;
            let op = *self.data.get(self.pos).ok_or(Stop::Truncated("opcode"))?;
            let arg = arg_of(op).ok_or(Stop::BadOpcode(op))?;
            self.pos += 1;
            seg.opcodes += 1;
            let name = opcode_name(op);
            let mut lines = [&[][..], &[][..]];
            let payload: &[u8] = match arg {
                Arg::None => &[],
                Arg::Fixed(n) => self.take(n, name)?,
                Arg::Line => self.line(name)?,
                Arg::TwoLines => {
                    lines[0] = self.line(name)?;
                    lines[1] = self.line(name)?;
                    &[]
                }
                Arg::Len1 => self.len_prefixed(1, false, name)?,
                Arg::Len4 => self.len_prefixed(4, false, name)?,
                Arg::Len4Signed => self.len_prefixed(4, true, name)?,
                Arg::Len8 => self.len_prefixed(8, false, name)?,
            };
            let pop = |stack: &mut Vec<Sym>| stack.pop().unwrap_or(Sym::Other);
            let pop_mark = |stack: &mut Vec<Sym>| {
                while let Some(s) = stack.pop() {
                    if s == Sym::Mark {
                        break;
                    }
                }
            };
            match op {
                b'.' => return Ok(()),
                0x80 => seg.protocol = payload.first().copied().unwrap_or(0),
                b'(' => stack.push(Sym::Mark),
                b'0' => {
                    pop(&mut stack);
                }
                b'1' => pop_mark(&mut stack),
                b'2' => {
                    let top = stack.last().cloned().unwrap_or(Sym::Other);
                    stack.push(top);
                }
                // String pushes: the candidates for STACK_GLOBAL operands.
                b'X' | 0x8c | 0x8d | b'U' | b'T' | b'V' | b'S' => {
                    let text = if op == b'S' {
                        strip_quotes(payload)
                    } else {
                        payload
                    };
                    stack.push(match std::str::from_utf8(text) {
                        Ok(s) if s.len() <= MAX_NAME => Sym::Str(Rc::from(s)),
                        _ => Sym::Other,
                    });
                }
                b'c' | b'i' => {
                    let module = String::from_utf8_lossy(lines[0]).into_owned();
                    let gname = String::from_utf8_lossy(lines[1]).into_owned();
                    if op == b'i' {
                        seg.inst_obj += 1;
                        pop_mark(&mut stack);
                    }
                    seg.record(module, gname, name, offset as u64);
                    stack.push(Sym::Other);
                }
                0x93 => {
                    let gname = pop(&mut stack);
                    let module = pop(&mut stack);
                    let (module, gname) = match (module, gname) {
                        (Sym::Str(m), Sym::Str(n)) => (m.to_string(), n.to_string()),
                        _ => (DYNAMIC.to_owned(), DYNAMIC.to_owned()),
                    };
                    seg.record(module, gname, name, offset as u64);
                    stack.push(Sym::Other);
                }
                // Memo stores and loads.
                b'p' | b'q' | b'r' | 0x94 => {
                    let key = match op {
                        b'p' => parse_decimal(payload),
                        0x94 => Some(memo.len() as u64),
                        _ => Some(le(payload)),
                    };
                    if let Some(key) = key {
                        memo.insert(key, stack.last().cloned().unwrap_or(Sym::Other));
                    }
                }
                b'g' | b'h' | b'j' => {
                    let key = if op == b'g' {
                        parse_decimal(payload)
                    } else {
                        Some(le(payload))
                    };
                    let value = key.and_then(|k| memo.get(&k).cloned());
                    stack.push(value.unwrap_or(Sym::Other));
                }
                b'R' => {
                    seg.reduce += 1;
                    pop(&mut stack);
                    pop(&mut stack);
                    stack.push(Sym::Other);
                }
                b'b' => {
                    seg.build += 1;
                    pop(&mut stack);
                }
                b'o' => {
                    seg.inst_obj += 1;
                    pop_mark(&mut stack);
                    stack.push(Sym::Other);
                }
                0x81 => {
                    seg.newobj += 1;
                    pop(&mut stack);
                    pop(&mut stack);
                    stack.push(Sym::Other);
                }
                0x92 => {
                    seg.newobj += 1;
                    for _ in 0..3 {
                        pop(&mut stack);
                    }
                    stack.push(Sym::Other);
                }
                b'P' => {
                    seg.persistent_ids += 1;
                    stack.push(Sym::Other);
                }
                b'Q' => {
                    seg.persistent_ids += 1;
                    pop(&mut stack);
                    stack.push(Sym::Other);
                }
                0x82..=0x84 => {
                    seg.extension_codes
                        .push(u32::try_from(le(payload)).unwrap_or(u32::MAX));
                    stack.push(Sym::Other);
                }
                // Collections built from everything above the mark.
                b't' | b'l' | b'd' | 0x91 => {
                    pop_mark(&mut stack);
                    stack.push(Sym::Other);
                }
                b'e' | b'u' | 0x90 => pop_mark(&mut stack),
                b'a' => {
                    pop(&mut stack);
                }
                b's' => {
                    pop(&mut stack);
                    pop(&mut stack);
                }
                0x85..=0x87 => {
                    for _ in 0..(op - 0x84) {
                        pop(&mut stack);
                    }
                    stack.push(Sym::Other);
                }
                // No stack effect.
                0x95 | 0x98 => {}
                // Every other opcode pushes one non-string value.
                _ => stack.push(Sym::Other),
            }
        }
    }
}

fn strip_quotes(s: &[u8]) -> &[u8] {
    match s {
        [q, inner @ .., q2] if q == q2 && (*q == b'\'' || *q == b'"') => inner,
        _ => s,
    }
}

fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

fn parse_decimal(bytes: &[u8]) -> Option<u64> {
    std::str::from_utf8(bytes).ok()?.trim().parse().ok()
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
        data,
        pos: 0,
        limits: *limits,
        opcodes_before: 0,
    };
    let first_is_proto = data.first() == Some(&0x80);
    let mut worst: Option<GlobalRisk> = None;
    loop {
        let start = walker.pos;
        let mut seg = Segment::default();
        let result = walker.walk_one(&mut seg);
        let keep = scan.pickles == 0 || result.is_ok();
        if keep {
            if scan.pickles == 0 {
                scan.protocol = seg.protocol;
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
                    scan.error = Some(stop.describe(walker.pos));
                } else {
                    scan.trailing_bytes = (data.len() - start) as u64;
                }
                break;
            }
        }
        match data.get(walker.pos) {
            None => break,
            Some(&b) if is_opcode(b) && (!first_is_proto || b == 0x80) => {}
            Some(_) => {
                scan.trailing_bytes = (data.len() - walker.pos) as u64;
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
    scan
}

#[cfg(test)]
#[path = "pickle_tests.rs"]
mod tests;
