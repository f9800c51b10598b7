//! `inspect_file` and `identify` over every committed fixture, and the JSON
//! shape of the report.

use modelseal_formats::{
    Details, FileFormat, InspectOptions, PickleRisk, Verdict, identify, inspect_file,
};

use crate::data;

/// The verdict tag each fixture must get.
const CASES: &[(&str, FileFormat, &str)] = &[
    ("good.safetensors", FileFormat::Safetensors, "safe"),
    ("st_gap.safetensors", FileFormat::Safetensors, "invalid"),
    (
        "st_header_too_large.safetensors",
        FileFormat::Safetensors,
        "invalid",
    ),
    ("good.gguf", FileFormat::Gguf, "safe"),
    ("gguf_huge_kv_count.gguf", FileFormat::Gguf, "invalid"),
    ("gguf_huge_tensor_count.gguf", FileFormat::Gguf, "invalid"),
    ("gguf_huge_string.gguf", FileFormat::Gguf, "invalid"),
    ("gguf_huge_array.gguf", FileFormat::Gguf, "invalid"),
    ("gguf_bad_version.gguf", FileFormat::Gguf, "invalid"),
    ("benign_ordereddict.pkl", FileFormat::Pickle, "unsafe"),
    ("benign_proto0.pkl", FileFormat::Pickle, "unsafe"),
    ("evil_global_os_system.pkl", FileFormat::Pickle, "unsafe"),
    ("evil_model.joblib", FileFormat::Joblib, "unsafe"),
    ("legacy_torch.pt", FileFormat::Pickle, "unsafe"),
    ("torch_zip.pt", FileFormat::PytorchZip, "unsafe"),
    ("good.npy", FileFormat::Npy, "safe"),
    ("object.npy", FileFormat::Npy, "unsafe"),
    ("good.npz", FileFormat::Npz, "safe"),
    ("lambda.keras", FileFormat::Keras, "unsafe"),
    ("plain.keras", FileFormat::Keras, "safe"),
    ("config.json", FileFormat::Json, "safe"),
    ("broken.json", FileFormat::Json, "invalid"),
    ("vocab.txt", FileFormat::Text, "safe"),
    ("model.h5", FileFormat::Hdf5, "unchecked"),
    ("model.onnx", FileFormat::Onnx, "unchecked"),
    ("make.py", FileFormat::Unknown, "unchecked"),
];

#[test]
fn every_fixture_gets_its_format_and_verdict() {
    for (name, format, verdict) in CASES {
        let path = data(name);
        assert_eq!(identify(&path).expect("identify"), *format, "{name}");
        let report = inspect_file(&path, &InspectOptions::default()).expect("inspect");
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["verdict"], *verdict, "{name}: {json:#}");
        assert_eq!(json["report_version"], 1);
    }
}

/// The pickle fixtures: `(file, risk, "module.name" of each global)`.
const PICKLES: &[(&str, PickleRisk, &[&str])] = &[
    (
        "benign_ordereddict.pkl",
        PickleRisk::KnownSafe,
        &["collections.OrderedDict"],
    ),
    ("benign_proto0.pkl", PickleRisk::KnownSafe, &[]),
    (
        "evil_global_os_system.pkl",
        PickleRisk::Dangerous,
        &["os.system"],
    ),
    (
        "evil_stack_global_memo.pkl",
        PickleRisk::Dangerous,
        &["posix.system"],
    ),
    (
        "evil_builtins_eval.pkl",
        PickleRisk::Dangerous,
        &["builtins.eval"],
    ),
    (
        "evil_subprocess_popen.pkl",
        PickleRisk::Dangerous,
        &["subprocess.Popen"],
    ),
    (
        "evil_dynamic.pkl",
        PickleRisk::Dangerous,
        &["unknown (dynamic).unknown (dynamic)"],
    ),
    ("evil_model.joblib", PickleRisk::Dangerous, &["os.system"]),
    ("legacy_torch.pt", PickleRisk::KnownSafe, &[]),
];

#[test]
fn pickle_globals_and_risk() {
    for (name, risk, globals) in PICKLES {
        let report = inspect_file(&data(name), &InspectOptions::default()).expect("inspect");
        let Details::Pickle(scan) = &report.details else {
            panic!("{name}: {:?}", report.details);
        };
        let got: Vec<_> = scan
            .globals
            .iter()
            .map(|g| format!("{}.{}", g.module, g.name))
            .collect();
        assert_eq!(&got, globals, "{name}");
        assert_eq!(scan.risk, *risk, "{name}");
    }
    let legacy = inspect_file(&data("legacy_torch.pt"), &InspectOptions::default()).expect("ok");
    let Details::Pickle(scan) = legacy.details else {
        panic!("not a pickle")
    };
    assert_eq!((scan.pickles, scan.trailing_bytes), (5, 16));
}

#[test]
fn torch_zip_members_are_walked() {
    let cases: &[(&str, PickleRisk, &str)] = &[
        (
            "torch_zip.pt",
            PickleRisk::KnownSafe,
            "torch._utils._rebuild_tensor_v2",
        ),
        ("torch_zip_evil.pt", PickleRisk::Dangerous, "os.system"),
    ];
    for (name, risk, global) in cases {
        let report = inspect_file(&data(name), &InspectOptions::default()).expect("inspect");
        let Details::PickleZip { members } = &report.details else {
            panic!("{name}: {:?}", report.details);
        };
        assert_eq!(members.len(), 1);
        assert_eq!(members[0].name, "archive/data.pkl");
        assert_eq!(members[0].scan.risk, *risk, "{name}");
        assert!(
            members[0]
                .scan
                .globals
                .iter()
                .any(|g| format!("{}.{}", g.module, g.name) == *global)
        );
        let Verdict::Unsafe { reasons } = &report.verdict else {
            panic!("{name}")
        };
        assert!(reasons[0].contains("pickle"), "{reasons:?}");
    }
}

#[test]
fn report_json_shape() {
    let report = inspect_file(&data("good.safetensors"), &InspectOptions::default()).expect("ok");
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["format"], "safetensors");
    assert_eq!(json["details"]["kind"], "safetensors");
    let t = &json["details"]["tensors"][0];
    for key in ["name", "dtype", "shape", "data_offsets", "file_offsets"] {
        assert!(t.get(key).is_some(), "{key}: {t}");
    }
    let bad =
        inspect_file(&data("st_overlap.safetensors"), &InspectOptions::default()).expect("ok");
    let json = serde_json::to_value(&bad).expect("json");
    assert_eq!(json["errors"][0]["code"], "overlap");
    let evil = inspect_file(&data("lambda.keras"), &InspectOptions::default()).expect("ok");
    let json = serde_json::to_value(&evil).expect("json");
    assert_eq!(
        json["details"]["lambda_layers"].as_array().map(Vec::len),
        Some(1)
    );
    let npz = inspect_file(&data("good.npz"), &InspectOptions::default()).expect("ok");
    let json = serde_json::to_value(&npz).expect("json");
    assert_eq!(
        json["details"]["members"][1]["header"]["shape"],
        serde_json::json!([2, 2])
    );
}

#[test]
fn zip_member_over_the_cap_is_refused() {
    let options = InspectOptions {
        max_member_size: 10,
        ..InspectOptions::default()
    };
    let report = inspect_file(&data("torch_zip.pt"), &options).expect("inspect");
    let Verdict::Unsafe { reasons } = &report.verdict else {
        panic!("verdict")
    };
    assert!(
        reasons.iter().any(|r| r.contains("over the limit")),
        "{reasons:?}"
    );
}
