"""The Python package, against the command line it wraps and the libraries
it replaces: `modelseal` installed with `pip install .` (scripts/test.sh).

Expected values come from outside the package: digests from `hashlib`,
arrays from `safetensors.numpy.load_file`, documents from the installed
`modelseal` command run as a separate process.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import modelseal

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "fixtures" / "example-model"
KEYLESS = REPO / "fixtures" / "keyless" / "v1.1.0"
CHAIN = REPO / "crates" / "modelseal-oms" / "tests" / "data" / "chain"
# The console command `pip install .` put beside this interpreter.
CLI = str(Path(sys.executable).with_name("modelseal"))


def cli(*args: object, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def keys(tmp_path: Path) -> tuple[Path, Path]:
    key = tmp_path / "publisher.key"
    cli("keygen", "--out", key)
    return key, Path(str(key) + ".pub")


@pytest.fixture()
def signed(tmp_path: Path, keys: tuple[Path, Path]) -> tuple[Path, Path]:
    """A copy of the example model, signed; returns (model, public key)."""
    model = tmp_path / "model"
    shutil.copytree(EXAMPLE, model)
    modelseal.sign(model, key=keys[0])
    return model, keys[1]


def without_time(document: dict) -> dict:
    return {k: v for k, v in document.items() if k != "elapsed_ms"}


def test_the_console_command_is_the_cli() -> None:
    out = cli("--version")
    assert out.stdout.strip() == f"modelseal {modelseal.__version__}"
    assert cli("verify", check=False).returncode == 2


def test_a_signed_model_verifies_and_the_report_is_the_cli_document(signed) -> None:
    model, public = signed
    report = modelseal.verify(model, key=public)
    assert report.verified and report.kind == "verify"
    assert report.findings == []
    assert report.root_digest == modelseal.hash(model).root_digest
    assert report.signer["method"] == "key"
    document = json.loads(cli("verify", model, "--key", public, "--format", "json").stdout)
    assert without_time(report.to_dict()) == without_time(document)


def test_only_checks_the_named_files_and_says_so(signed) -> None:
    model, public = signed
    (model / "README.md").write_text("changed")
    report = modelseal.verify(model, key=public, only=[Path("config.json")])
    assert report.verified and report.partial
    assert report["checked_resource_count"] == 1
    assert not modelseal.verify(model / ".." / "model", key=public, only=["config.json"]).findings
    with pytest.raises(modelseal.VerificationError):
        modelseal.verify(model, key=public, only=["README.md"])
    assert not modelseal.hash(model).to_dict().get("partial", False)


def test_each_finding_kind_raises_verification_error_with_the_report(signed) -> None:
    model, public = signed
    config = model / "config.json"
    expected = sha256(config)
    config.write_bytes(b'{"tampered": true}\n')
    (model / "extra.bin").write_bytes(b"x")
    (model / "README.md").unlink()
    (model / "tokenizer.json").rename(model / "renamed.json")
    with pytest.raises(modelseal.VerificationError) as caught:
        modelseal.verify(model, key=public)
    report = caught.value.report
    assert not report.verified
    kinds = sorted((f.kind, f.name) for f in report.findings)
    assert kinds == [
        ("missing", "README.md"),
        ("modified", "config.json"),
        ("renamed", "renamed.json"),
        ("unsigned", "extra.bin"),
    ], kinds
    modified = next(f for f in report.findings if f.kind == "modified")
    assert (modified.expected, modified.actual) == (expected, sha256(config))
    assert "config.json" in str(caught.value)
    document = json.loads(
        cli("verify", model, "--key", public, "--format", "json", check=False).stdout
    )
    assert without_time(report.to_dict()) == without_time(document)


def test_problems_that_stop_the_check_are_errors_never_verification_errors(signed, tmp_path) -> None:
    model, public = signed
    with pytest.raises(FileNotFoundError):
        modelseal.verify(model, key=tmp_path / "no-such.pub")
    with pytest.raises(ValueError, match="whom to trust"):
        modelseal.verify(model)
    with pytest.raises(ValueError):
        modelseal.verify(model, key=public, unsafe_formats="sometimes")
    # One path where a list is wanted would be split into characters.
    with pytest.raises(TypeError, match="list of paths"):
        modelseal.verify(model, cert_chain="root.pem")
    with pytest.raises(TypeError, match="list of paths"):
        modelseal.verify(model, key=public, only=Path("config.json"))
    # Not a key file at all: an error about the key, not a verdict.
    with pytest.raises(modelseal.Error) as caught:
        modelseal.verify(model, key=model / "config.json")
    assert not isinstance(caught.value, modelseal.VerificationError)
    assert "config.json" in str(caught.value)


def test_a_signature_that_does_not_verify_is_a_verification_error(signed, tmp_path) -> None:
    """As the CLI's exit 1: the model is not proven to be the signed one."""
    model, public = signed
    other = tmp_path / "other.key"
    cli("keygen", "--out", other)
    modelseal.sign(model, key=other, force=True)
    with pytest.raises(modelseal.VerificationError, match="does not verify") as caught:
        modelseal.verify(model, key=public)
    report = caught.value.report
    assert not report.verified and report.findings == []
    assert report["error"]["stage"] == "trust"
    (model / "model.sig").write_text("{ not a bundle")
    with pytest.raises(modelseal.VerificationError, match="not valid Sigstore bundle JSON"):
        modelseal.verify(model, key=public)


def test_load_safetensors_returns_the_arrays_only_when_the_bytes_match(tmp_path, keys) -> None:
    key, public = keys
    model = tmp_path / "model"
    model.mkdir()
    arrays = {
        "f32": np.arange(24, dtype=np.float32).reshape(2, 3, 4),
        "f16": np.ones((5,), dtype=np.float16),
        "i64": np.array([-1, 2**40], dtype=np.int64),
        "u8": np.frombuffer(b"weights", dtype=np.uint8),
        "flag": np.array([True, False]),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }
    weights = model / "model.safetensors"
    save_file(arrays, str(weights))
    modelseal.sign(model, key=key)
    loaded = modelseal.load_safetensors(weights, signature=model / "model.sig", key=public)
    reference = load_file(str(weights))
    assert loaded.keys() == reference.keys()
    for name, array in reference.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape, name
        assert np.array_equal(loaded[name], array), name

    # One byte of one tensor changed: an error, and no arrays.
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    result = None
    with pytest.raises(modelseal.Error, match="digest"):
        result = modelseal.load_safetensors(weights, signature=model / "model.sig", key=public)
    assert result is None


def test_load_safetensors_of_a_single_file_model_and_a_certificate_chain(tmp_path) -> None:
    weights = tmp_path / "one.safetensors"
    save_file({"w": np.arange(6, dtype=np.float64)}, str(weights))
    signature = tmp_path / "one.safetensors.sig"
    modelseal.sign(
        weights,
        key=CHAIN / "p521-leaf.key",
        cert=CHAIN / "p521-leaf.pem",
        cert_chain=[CHAIN / "p521-intermediate.pem"],
    )
    assert signature.is_file()
    report = modelseal.verify(weights, cert_chain=[CHAIN / "rsa-root.pem"])
    assert report.signer["method"] == "certificate"
    loaded = modelseal.load_safetensors(
        weights, signature=signature, cert_chain=[CHAIN / "rsa-root.pem"]
    )
    assert np.array_equal(loaded["w"], np.arange(6, dtype=np.float64))
    # Another root (made here by openssl): the chain does not validate,
    # nothing is loaded.
    other = tmp_path / "other-root.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-subj", "/CN=other root", "-days", "2", "-keyout", str(tmp_path / "k.pem"),
         "-out", str(other)],
        check=True, capture_output=True,
    )
    with pytest.raises(modelseal.Error, match="does not verify"):
        modelseal.load_safetensors(weights, signature=signature, cert_chain=[other])


def test_an_encrypted_key_signs_with_its_password(tmp_path, monkeypatch) -> None:
    password = tmp_path / "password"
    password.write_text("correct horse\n")
    key = tmp_path / "enc.key"
    cli("keygen", "--out", key, "--password-file", password)
    assert b"ENCRYPTED" in key.read_bytes()
    model = tmp_path / "model"
    shutil.copytree(EXAMPLE, model)
    monkeypatch.setenv("MODELSEAL_PASSWORD", "wrong")
    with pytest.raises(modelseal.Error):
        modelseal.sign(model, key=key)
    monkeypatch.setenv("MODELSEAL_PASSWORD", "correct horse")
    modelseal.sign(model, key=key)
    assert modelseal.verify(model, key=str(key) + ".pub").verified


def test_keyless_bundles_verify_with_identity_and_issuer() -> None:
    model, signature = KEYLESS / "model", KEYLESS / "model.sig"
    report = modelseal.verify(
        model,
        signature=signature,
        identity="stefanb@us.ibm.com",
        issuer="https://sigstore.verify.ibm.com/oauth2",
    )
    assert report.signer["method"] == "sigstore"
    assert report.signer["identity"] == "stefanb@us.ibm.com"
    with pytest.raises(modelseal.VerificationError, match="identity"):
        modelseal.verify(
            model,
            signature=signature,
            identity="stefanb@us.ibm.co",
            issuer="https://sigstore.verify.ibm.com/oauth2",
        )


def test_threads_verify_in_parallel_and_keep_their_own_reports(tmp_path, keys) -> None:
    key, public = keys
    models = []
    for i in range(6):
        model = tmp_path / f"m{i}"
        shutil.copytree(EXAMPLE, model)
        modelseal.sign(model, key=key)
        if i % 2:
            (model / "config.json").write_text(f'{{"tampered": {i}}}\n')
        models.append(model)
    results: dict = {}

    def check(i: int, model: Path) -> None:
        try:
            results[i] = modelseal.verify(model, key=public)
        except modelseal.VerificationError as e:
            results[i] = e.report

    threads = [threading.Thread(target=check, args=(i, m)) for i, m in enumerate(models)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, model in enumerate(models):
        report = results[i]
        assert report["model"] == str(model)
        assert report.verified == (i % 2 == 0), i
        assert [f.kind for f in report.findings] == ([] if i % 2 == 0 else ["modified"])


def test_a_hub_snapshot_is_found_offline_and_verifies(tmp_path, keys, monkeypatch) -> None:
    key, public = keys
    cache = tmp_path / "hub"
    repo = cache / "models--acme--tiny"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = repo / "snapshots" / commit
    (repo / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    # As huggingface_hub lays it out: content-addressed blobs, relative links.
    for source in sorted(EXAMPLE.iterdir()):
        blob = repo / "blobs" / sha256(source)
        shutil.copyfile(source, blob)
        os.symlink(os.path.relpath(blob, snapshot), snapshot / source.name)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    found = modelseal.hub_snapshot("acme/tiny")
    assert Path(found) == snapshot
    assert Path(modelseal.hub_snapshot("acme/tiny", revision=commit)) == snapshot
    with pytest.raises(FileNotFoundError):
        modelseal.hub_snapshot("acme/other")
    # Names that would leave the cache are refused, not joined.
    with pytest.raises(ValueError):
        modelseal.hub_snapshot("acme/tiny", revision="../../../etc")
    with pytest.raises(ValueError):
        modelseal.hub_snapshot("../acme")
    (repo / "refs" / "evil").write_text("../../x")
    with pytest.raises(ValueError, match="does not name a commit"):
        modelseal.hub_snapshot("acme/tiny", revision="evil")
    signature = tmp_path / "tiny.sig"
    modelseal.sign(found, key=key, signature=signature)
    assert modelseal.verify(found, signature=signature, key=public).verified


def test_inspect_reports_a_dangerous_pickle_without_raising(tmp_path) -> None:
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))

    path = tmp_path / "weights.pt"
    path.write_bytes(pickle.dumps(Evil()))
    report = modelseal.inspect(path)
    assert report.kind == "inspect"
    text = json.dumps(report.to_dict())
    assert "system" in text and "dangerous" in text, text
