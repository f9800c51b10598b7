"""modelseal: sign machine-learning models and verify them before loading.

Verify in the loader's own process, then load the same files::

    import modelseal

    report = modelseal.verify("my-model", key="publisher.pub")  # raises if tampered
    print(report.root_digest)

    tensors = modelseal.load_safetensors(
        "my-model/model.safetensors", signature="my-model/model.sig", key="publisher.pub"
    )  # dict of NumPy arrays, from bytes read once and hashed on the way in

Every function runs the same code as the ``modelseal`` command line (in
this process, with the GIL released), and every report is the command's
``--format json`` document: ``Report.to_dict()`` equals it field for
field. A model that is not proven to be the signed one raises
:class:`VerificationError`, carrying the report: files that differ, a
signature that does not verify with the trust given (a malformed or
forged one included), a failing policy rule, each an exit 1 of the
command line. Anything that stopped the check (a missing file, an
unreadable key, arguments that do not make sense together) raises
:class:`Error`, ``FileNotFoundError`` or ``ValueError``, never
``VerificationError``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from modelseal import _native

__all__ = [
    "Error",
    "Finding",
    "Report",
    "VerificationError",
    "hash",
    "hub_snapshot",
    "inspect",
    "load_safetensors",
    "sign",
    "verify",
]

__version__: str = _native.__version__

#: An error that stopped modelseal before a verdict (I/O, a bad key file).
Error = _native.Error

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Finding:
    """One way the files differ from the signature, or a file problem.

    ``kind`` is the JSON ``kind`` (``modified``, ``missing``, ``unsigned``,
    ``renamed``, ``size-changed``, ``unsafe-format``, ...); ``name`` the
    file (``path`` for path problems, ``to`` for a rename, whose signed
    name is ``data["from"]``); ``expected`` and ``actual`` the hex
    digests of a ``modified`` file. ``data`` is the whole JSON object.
    """

    kind: str
    name: Optional[str]
    expected: Optional[str]
    actual: Optional[str]
    data: Mapping[str, Any]

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> "Finding":
        def text(key: str) -> Optional[str]:
            value = data.get(key)
            return value if isinstance(value, str) else None

        return cls(
            kind=data["kind"],
            # A rename is named by where the signed content is now.
            name=text("name") or text("path") or text("to"),
            expected=text("expected"),
            actual=text("actual"),
            data=data,
        )


class Report:
    """A command's JSON document, with the fields most callers want as
    attributes. ``to_dict()`` returns the document itself."""

    def __init__(self, document: Dict[str, Any]) -> None:
        self._document = document

    def to_dict(self) -> Dict[str, Any]:
        """The document, as the command line's ``--format json`` prints it."""
        return self._document

    @property
    def kind(self) -> str:
        """``verify``, ``sign``, ``hash`` or ``inspect``."""
        return self._document["kind"]

    @property
    def verified(self) -> bool:
        """For ``verify``: the files match a trusted signature (and the
        policy passes, with one)."""
        return bool(self._document.get("verified", False))

    @property
    def partial(self) -> bool:
        """For ``verify`` with ``only=``: only the named files were checked;
        the rest of the model was not."""
        return bool(self._document.get("partial", False))

    @property
    def root_digest(self) -> Optional[str]:
        """The OMS root digest, hex."""
        digest = self._document.get("root_digest")
        return digest.get("digest") if isinstance(digest, dict) else digest

    @property
    def signer(self) -> Optional[Dict[str, Any]]:
        """Who signed: ``{"method": "key", "key_id": ...}``, a certificate
        subject and issuer, or a Sigstore identity and issuer."""
        return self._document.get("signer")

    @property
    def findings(self) -> List[Finding]:
        """What differs, or what is wrong with a file."""
        return [Finding._from_json(f) for f in self._document.get("findings", [])]

    def __getitem__(self, key: str) -> Any:
        return self._document[key]

    def __repr__(self) -> str:
        return f"<modelseal.Report {self.kind} verified={self.verified} findings={len(self.findings)}>"


class VerificationError(Exception):
    """The model is not proven to be the signed one: its files differ from
    the signature, the signature does not verify with the trust given
    (wrong key, untrusted certificate, another Sigstore identity), or a
    policy rule fails. The command line exits 1 for each.

    ``report`` is the full :class:`Report`: ``report.findings`` says what
    differs; ``report["error"]`` (``message`` and ``stage``) why a
    signature was refused."""

    def __init__(self, report: Report) -> None:
        self.report = report
        error = report.to_dict().get("error")
        if isinstance(error, dict):
            why = f"the signature does not verify ({error.get('stage')}): {error.get('message')}"
        else:
            failed = [
                r["rule"]
                for r in (report.to_dict().get("policy") or {}).get("rules", [])
                if not r.get("passed")
            ]
            why = ", ".join(f"{f.kind} {f.name}" for f in report.findings) or (
                "policy rules failed: " + ", ".join(failed) if failed else "see the report"
            )
        super().__init__(f"verification failed for {report['model']}: {why}")


def _run(argv: Sequence[str]) -> "tuple[int, Report]":
    code, out = _native.run(["modelseal", *argv])
    try:
        document = json.loads(out)
    except ValueError:
        raise Error(f"modelseal printed no JSON document (exit {code})") from None
    return code, Report(document)


def _flag(argv: List[str], name: str, value: Optional[PathLike]) -> None:
    if value is not None:
        argv += [name, os.fspath(value)]


def _paths(name: str, values: Sequence[PathLike]) -> List[str]:
    """A sequence argument as paths; one path given alone is a mistake (a
    string would be split into characters)."""
    if isinstance(values, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} takes a list of paths, not one path: {name}=[{values!r}]")
    return [os.fspath(v) for v in values]


def verify(
    model: PathLike,
    *,
    signature: Optional[PathLike] = None,
    key: Optional[PathLike] = None,
    cert_chain: Sequence[PathLike] = (),
    identity: Optional[str] = None,
    issuer: Optional[str] = None,
    identity_regex: Optional[str] = None,
    issuer_regex: Optional[str] = None,
    trust_root: Optional[PathLike] = None,
    policy: Optional[PathLike] = None,
    ignore: Sequence[PathLike] = (),
    only: Sequence[str] = (),
    ignore_unsigned_files: bool = False,
    allow_symlinks: bool = False,
    unsafe_formats: str = "warn",
) -> Report:
    """Verifies ``model`` (a directory, one file, or a Hugging Face hub
    snapshot) against its signature, as ``modelseal verify`` does.

    Trust is explicit: ``key`` (a public key PEM), ``cert_chain`` (root
    certificate PEM files), ``identity``/``issuer`` (or the ``*_regex``
    forms) for a Sigstore keyless signature, or ``policy`` (a policy TOML).

    Returns the :class:`Report` when the model verifies; raises
    :class:`VerificationError` (with the report) when it does not. With
    ``only``, just those files are checked (``report.partial`` is true).

    >>> modelseal.verify("my-model", key="publisher.pub").verified  # doctest: +SKIP
    True
    """
    argv = ["verify", os.fspath(model), "--format", "json"]
    _flag(argv, "--signature", signature)
    _flag(argv, "--key", key)
    for root in _paths("cert_chain", cert_chain):
        _flag(argv, "--cert-chain", root)
    _flag(argv, "--identity", identity)
    _flag(argv, "--issuer", issuer)
    _flag(argv, "--identity-regex", identity_regex)
    _flag(argv, "--issuer-regex", issuer_regex)
    _flag(argv, "--trust-root", trust_root)
    _flag(argv, "--policy", policy)
    for path in _paths("ignore", ignore):
        _flag(argv, "--ignore", path)
    only = _paths("only", only)
    if only:
        argv += ["--only", *only]
    if ignore_unsigned_files:
        argv.append("--ignore-unsigned-files")
    if allow_symlinks:
        argv.append("--allow-symlinks")
    argv += ["--unsafe-formats", unsafe_formats]
    code, report = _run(argv)
    if code == 1:
        raise VerificationError(report)
    if code != 0:
        raise Error(f"verify exited {code}: {report.to_dict().get('error', report.to_dict())}")
    return report


def sign(
    model: PathLike,
    *,
    key: PathLike,
    signature: Optional[PathLike] = None,
    cert: Optional[PathLike] = None,
    cert_chain: Sequence[PathLike] = (),
    hash: str = "sha256",
    shard_size: Optional[int] = None,
    ignore: Sequence[PathLike] = (),
    allow_symlinks: bool = False,
    force: bool = False,
) -> Report:
    """Signs ``model`` with the private key ``key``, as ``modelseal sign``
    does; never replaces an existing signature unless ``force``. An
    encrypted key reads its password from ``MODELSEAL_PASSWORD``."""
    argv = ["sign", os.fspath(model), "--key", os.fspath(key), "--format", "json", "--hash", hash]
    _flag(argv, "--signature", signature)
    _flag(argv, "--cert", cert)
    for chain in _paths("cert_chain", cert_chain):
        _flag(argv, "--cert-chain", chain)
    if shard_size is not None:
        argv += ["--shard-size", str(shard_size)]
    for path in _paths("ignore", ignore):
        _flag(argv, "--ignore", path)
    if allow_symlinks:
        argv.append("--allow-symlinks")
    if force:
        argv.append("--force")
    code, report = _run(argv)
    if code != 0:
        raise Error(f"sign exited {code}")
    return report


def hash(
    model: PathLike,
    *,
    algorithm: str = "sha256",
    shard_size: Optional[int] = None,
    ignore: Sequence[PathLike] = (),
) -> Report:
    """The OMS manifest of ``model`` (resources and root digest), as
    ``modelseal hash`` computes it."""
    argv = ["hash", os.fspath(model), "--format", "json", "--hash", algorithm]
    if shard_size is not None:
        argv += ["--shard-size", str(shard_size)]
    for path in _paths("ignore", ignore):
        _flag(argv, "--ignore", path)
    _, report = _run(argv)
    return report


def inspect(path: PathLike) -> Report:
    """What each file of a model is (format, tensors, pickle imports), as
    ``modelseal inspect`` reports it. A dangerous file is a finding in the
    report, not an exception."""
    _, report = _run(["inspect", os.fspath(path), "--format", "json"])
    return report


_NUMPY_DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U64": "<u8",
    "U32": "<u4",
    "U16": "<u2",
    "U8": "u1",
    "BOOL": "?",
}


def load_safetensors(
    path: PathLike,
    *,
    signature: PathLike,
    key: Optional[PathLike] = None,
    cert_chain: Sequence[PathLike] = (),
    model: Optional[PathLike] = None,
    framework: str = "np",
    max_size: int = 64 << 30,
) -> Dict[str, Any]:
    """Loads a safetensors file of a signed model, verified: returns
    ``{name: array}`` only after the bytes it read were hashed and matched
    the signed digest.

    Each byte is read from disk once, into one buffer the arrays then view
    (no second read, no window for a swap between check and use); on a
    mismatch :class:`Error` is raised and nothing is returned. ``path`` is
    the file; ``model`` the signed model it belongs to (default: the
    file's folder, or the file itself when the signature is ``PATH.sig``;
    for a single-file model signed elsewhere pass ``model=path``). Trust
    is ``key`` or ``cert_chain`` (keyless and policy trust: use
    :func:`verify`).
    ``framework="pt"`` returns torch tensors (torch must be installed).
    """
    path = os.fspath(path)
    signature = os.fspath(signature)
    if model is None:
        single = os.path.abspath(signature) == os.path.abspath(path) + ".sig"
        model = path if single else os.path.dirname(os.path.abspath(path))
    model = os.fspath(model)
    name = os.path.basename(path) if os.path.isfile(model) else os.path.relpath(path, model)
    buffer, tensors = _native.load_safetensors(
        model,
        name,
        signature=signature,
        key=None if key is None else os.fspath(key),
        cert_chain=_paths("cert_chain", cert_chain),
        max_size=max_size,
    )
    if framework == "np":
        import numpy

        def array(dtype: str, shape: List[int], start: int, end: int) -> Any:
            if dtype not in _NUMPY_DTYPES:
                raise ValueError(f"dtype {dtype} has no NumPy equivalent: use framework='pt'")
            kind = numpy.dtype(_NUMPY_DTYPES[dtype])
            count = (end - start) // kind.itemsize
            return numpy.frombuffer(buffer, dtype=kind, count=count, offset=start).reshape(shape)

    elif framework == "pt":
        import torch

        torch_dtypes = {
            "F64": torch.float64, "F32": torch.float32, "F16": torch.float16,
            "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32,
            "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
        }

        def array(dtype: str, shape: List[int], start: int, end: int) -> Any:
            if dtype not in torch_dtypes:
                raise ValueError(f"dtype {dtype} has no torch equivalent here")
            kind = torch_dtypes[dtype]
            count = (end - start) // kind.itemsize
            if count == 0:
                return torch.empty(shape, dtype=kind)
            if start % kind.itemsize:
                # Misaligned for its dtype: a copy of the verified bytes.
                return torch.frombuffer(bytearray(buffer[start:end]), dtype=kind).reshape(shape)
            return torch.frombuffer(buffer, dtype=kind, count=count, offset=start).reshape(shape)

    else:
        raise ValueError(f"framework must be 'np' or 'pt', not {framework!r}")
    return {name: array(dtype, list(shape), start, end) for name, dtype, shape, start, end in tensors}


def hub_snapshot(repo_id: str, *, revision: str = "main", cache_dir: Optional[PathLike] = None) -> str:
    """The local snapshot folder of a Hugging Face hub model repository, as
    the hub library lays out its cache (no network): ``HF_HUB_CACHE`` (or
    ``HUGGINGFACE_HUB_CACHE``), else ``HF_HOME/hub``, else
    ``XDG_CACHE_HOME/huggingface/hub`` (``~/.cache``); ``revision`` a
    branch or tag (through ``refs/``) or a commit hash. Pass it to
    :func:`verify`, then to ``from_pretrained``.

    Raises ``FileNotFoundError`` when the repository or revision is not in
    the cache."""
    if cache_dir is None:
        # huggingface_hub's order: HF_HUB_CACHE, the older
        # HUGGINGFACE_HUB_CACHE, then HF_HOME/hub, XDG_CACHE_HOME/huggingface/hub.
        cache_dir = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
        if not cache_dir:
            home = os.environ.get("HF_HOME") or os.path.join(
                os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "huggingface"
            )
            cache_dir = os.path.join(home, "hub")
    cache_dir = os.path.expanduser(os.fspath(cache_dir))
    if repo_id.count("/") > 1 or any(p in ("", ".", "..") for p in repo_id.split("/")):
        raise ValueError(f"not a hub repository id: {repo_id!r}")
    # Model repositories: `models--OWNER--NAME`.
    folder = os.path.join(cache_dir, "models--" + repo_id.replace("/", "--"))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{repo_id} is not in the hub cache {cache_dir} ({folder})")
    if os.path.isabs(revision) or ".." in revision.split("/"):
        raise ValueError(f"not a revision: {revision!r}")
    ref = os.path.join(folder, "refs", revision)
    commit = revision
    if os.path.isfile(ref):
        with open(ref, encoding="utf-8") as f:
            commit = f.read().strip()
    if not commit or "/" in commit or commit in (".", ".."):
        raise ValueError(f"{ref} does not name a commit: {commit!r}")
    snapshot = os.path.join(folder, "snapshots", commit)
    if not os.path.isdir(snapshot):
        raise FileNotFoundError(f"{repo_id} revision {revision} is not in the hub cache ({snapshot})")
    return snapshot
