#!/usr/bin/env python3
"""Builds the modelseal-formats test fixtures in this directory.

Benign files come from the real libraries (safetensors, numpy, pickle,
zipfile). Hostile files are written byte by byte. Dangerous pickles are raw
opcode strings written here by hand: nothing is pickled from a callable and
nothing is ever loaded.

    python3 -m venv /tmp/msvenv && /tmp/msvenv/bin/pip install safetensors==0.8.0 numpy==2.4.6
    /tmp/msvenv/bin/python crates/modelseal-formats/tests/data/make.py
    /tmp/msvenv/bin/python crates/modelseal-formats/tests/data/make.py --check   # CI: exit 1 if stale
"""

import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
from safetensors.numpy import save

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = "--check" in sys.argv[1:]
STALE = []


def out(name, data):
    assert len(data) < 64 * 1024, name
    path = os.path.join(HERE, name)
    if CHECK:
        try:
            with open(path, "rb") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current != data:
            STALE.append(name)
        return
    with open(path, "wb") as f:
        f.write(data)


def zip_bytes(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


# --- safetensors: real files -------------------------------------------------
tensors = {
    "embed.weight": np.arange(12, dtype=np.float32).reshape(3, 4),
    "bias": np.array([1, -2], dtype=np.int64),
    "mask": np.array([True, False, True]),
}
# One metadata key: the library keeps metadata in a hash map, so several keys
# would come out in a different order on each run.
out("good.safetensors", save(tensors, metadata={"note": "fixture"}))

# --- safetensors: one hostile file per rule ----------------------------------


def st(header, data=b"", raw_len=None):
    hb = header.encode() if isinstance(header, str) else header
    n = len(hb) if raw_len is None else raw_len
    return struct.pack("<Q", n) + hb + data


def t(dtype, shape, b, e):
    return '{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}' % (dtype, shape, b, e)


HOSTILE_ST = {
    "header_too_large": st("{}", raw_len=100_000_001),
    "header_beyond_file": st("{}", raw_len=4096),
    "header_not_object_start": st('["a"]'),
    "header_not_utf8": st(b'{"\xff":1}'),
    "header_not_json": st('{"a":'),
    "duplicate_key": st('{"a":%s,"a":%s}' % (t("U8", "[1]", 0, 1), t("U8", "[1]", 1, 2)), b"\0\0"),
    "unknown_dtype": st('{"a":%s}' % t("F128", "[1]", 0, 16), b"\0" * 16),
    "size_mismatch": st('{"a":%s}' % t("F32", "[3]", 0, 8), b"\0" * 8),
    "shape_overflow": st('{"a":%s}' % t("F64", "[4294967296,4294967296]", 0, 8), b"\0" * 8),
    "gap": st('{"a":%s,"b":%s}' % (t("U8", "[1]", 0, 1), t("U8", "[1]", 2, 3)), b"\0" * 3),
    "overlap": st('{"a":%s,"b":%s}' % (t("U8", "[2]", 0, 2), t("U8", "[2]", 1, 3)), b"\0" * 3),
    "not_at_start": st('{"a":%s}' % t("U8", "[1]", 1, 2), b"\0" * 2),
    "trailing_data": st('{"a":%s}' % t("U8", "[1]", 0, 1), b"\0" * 5),
    "beyond_file": st('{"a":%s}' % t("U8", "[8]", 0, 8), b"\0" * 2),
    "metadata_not_string": st('{"__metadata__":{"epochs":3}}'),
}
for code, data in HOSTILE_ST.items():
    out("st_%s.safetensors" % code, data)

# --- GGUF ----------------------------------------------------------------------


def gs(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(n_tensors, n_kv, body, pad=0, version=3):
    return b"GGUF" + struct.pack("<IQQ", version, n_tensors, n_kv) + body + b"\0" * pad


kvs = (
    gs("general.architecture") + struct.pack("<I", 8) + gs("llama")
    + gs("general.alignment") + struct.pack("<II", 4, 32)
    + gs("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 3) + gs("a") + gs("b") + gs("<s>")
)
tinfo = gs("tok_embd.weight") + struct.pack("<IQQIQ", 2, 4, 2, 0, 0)
head = gguf(1, 3, kvs + tinfo)
pad = (-len(head)) % 32
out("good.gguf", head + b"\0" * pad + struct.pack("<8f", *range(8)))
out("gguf_huge_kv_count.gguf", gguf(0, 1 << 63, b"", 64))
out("gguf_huge_tensor_count.gguf", gguf(2**64 - 1, 0, b"", 64))
out("gguf_huge_string.gguf", gguf(0, 1, struct.pack("<Q", 2**63) + b"k", 64))
out("gguf_huge_array.gguf", gguf(0, 1, gs("k") + struct.pack("<IIQ", 9, 0, 2**62), 64))
out("gguf_bad_version.gguf", b"GGUF" + struct.pack("<I", 9) + b"\0" * 16)

# --- pickles -------------------------------------------------------------------
# Benign, from the standard library.
out("benign_ordereddict.pkl", pickle.dumps(collections.OrderedDict(a=1, b=[1, 2]), protocol=2))
out("benign_proto0.pkl", pickle.dumps({"a": [1, 2.5, "x"]}, protocol=0))
# Dangerous, raw opcodes only.
out("evil_global_os_system.pkl", b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.")
out(
    "evil_stack_global_memo.pkl",
    b"\x80\x04\x95\x20\x00\x00\x00\x00\x00\x00\x00"
    b"\x8c\x05posix\x94\x8c\x06system\x94h\x00h\x01\x93\x8c\x02id\x85R.",
)
out("evil_builtins_eval.pkl", b"\x80\x03cbuiltins\neval\nX\x08\x00\x00\x00print(1)\x85R.")
out("evil_subprocess_popen.pkl", b"\x80\x02csubprocess\nPopen\n]X\x02\x00\x00\x00id\x85\x85R.")
out("evil_dynamic.pkl", b"\x80\x04N\x8c\x04eval\x93.")
out("evil_model.joblib", b"\x80\x04cos\nsystem\nX\x02\x00\x00\x00id\x85R.")
# A legacy (non-zip) torch file: magic, protocol, sys-info pickles, main
# pickle, storage keys, then raw storage bytes.
legacy = b"".join(
    pickle.dumps(x, protocol=2)
    for x in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}, {"w": 1}, ["0"])
)
out("legacy_torch.pt", legacy + struct.pack("<Q", 2) + struct.pack("<2f", 1.0, 2.0))

# A torch-like zip checkpoint: data.pkl references _rebuild_tensor_v2 and a
# persistent storage id, as torch.save writes them (opcodes by hand).
data_pkl = (
    b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x06\x00\x00\x00weightq\x02"
    b"ctorch._utils\n_rebuild_tensor_v2\nq\x03("
    b"(X\x07\x00\x00\x00storageq\x04ctorch\nFloatStorage\nq\x05X\x01\x00\x00\x000q\x06"
    b"X\x03\x00\x00\x00cpuq\x07K\x04tq\x08QK\x00K\x04\x85K\x01\x85\x89h\x00)Rq\x09tq\x0aRq\x0bs."
)
out("torch_zip.pt", zip_bytes([
    ("archive/data.pkl", data_pkl),
    ("archive/data/0", struct.pack("<4f", 1, 2, 3, 4)),
    ("archive/version", b"3\n"),
]))
out("torch_zip_evil.pt", zip_bytes([
    ("archive/data.pkl", b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R."),
    ("archive/version", b"3\n"),
]))

# --- NumPy -----------------------------------------------------------------------


def npy(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


out("good.npy", npy(np.arange(6, dtype=np.float32).reshape(2, 3)))
# An object array's header (the pickle after it is never written here).
hdr = "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"
hdr = hdr + " " * ((-(len(hdr) + 11)) % 64) + "\n"
out("object.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
out("good.npz", zip_bytes([("a.npy", npy(np.ones(3))), ("b.npy", npy(np.zeros((2, 2), dtype=np.int8)))]))

# --- Keras v3 ----------------------------------------------------------------------
config = {
    "module": "keras",
    "class_name": "Sequential",
    "config": {"layers": [
        {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2}},
        {"module": "keras.layers", "class_name": "Lambda", "config": {"function": "4wEAAAAA"}},
    ]},
}
out("lambda.keras", zip_bytes([("config.json", json.dumps(config).encode()), ("metadata.json", b"{}")]))
del config["config"]["layers"][1]
out("plain.keras", zip_bytes([("config.json", json.dumps(config).encode()), ("metadata.json", b"{}")]))

# --- others ------------------------------------------------------------------------
out("config.json", b'{"hidden_size": 8, "architectures": ["Tiny"]}\n')
out("broken.json", b'{"hidden_size": 8,\n')
out("vocab.txt", b"[PAD]\n[UNK]\nhello\n")
out("model.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 24)
out("model.onnx", b"\x08\x07\x12\x07pytorch")

if CHECK:
    if STALE:
        print("stale fixtures (run make.py): " + ", ".join(STALE), file=sys.stderr)
        sys.exit(1)
    print("modelseal-formats fixtures are up to date", file=sys.stderr)
