//! Loading and locating on the largest real documents of `../shared/corpus`, against the floor
//! of merely parsing the same text with serde_json.

use payplat::load::load_bytes;
use payplat::locate::locate_all;
use std::path::{Path, PathBuf};

fn main() {
    divan::main();
}

const FILES: &[&str] = &[
    "corpus/plan/infracost__infracost__terraform_v0.14_plan.json",
    "corpus/plan/hashicorp__terraform__plan-json-full-plan-redacted.json",
    "reference/cdktf-synth/cdk.tf.json",
];

fn read(file: &str) -> (PathBuf, Vec<u8>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path, bytes)
}

#[divan::bench(args = FILES)]
fn parse_only(bencher: divan::Bencher, file: &str) {
    let (_, bytes) = read(file);
    bencher
        .counter(divan::counter::BytesCount::new(bytes.len()))
        .bench(|| serde_json::from_slice::<serde_json::Value>(&bytes).unwrap());
}

#[divan::bench(args = FILES)]
fn load(bencher: divan::Bencher, file: &str) {
    let (path, bytes) = read(file);
    bencher
        .counter(divan::counter::BytesCount::new(bytes.len()))
        .with_inputs(|| bytes.clone())
        .bench_local_values(|bytes| load_bytes(&path, bytes).unwrap());
}

#[divan::bench(args = FILES)]
fn locate_every_resource(bencher: divan::Bencher, file: &str) {
    let (path, bytes) = read(file);
    let document = load_bytes(&path, bytes).unwrap();
    bencher.bench(|| {
        locate_all(
            &document.text,
            document.resources.iter().map(|r| r.pointer.as_str()),
        )
        .len()
    });
}
