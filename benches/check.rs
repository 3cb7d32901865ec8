//! Load, evaluate and report on generated plans of about 1k and 10k resources
//! (`payplat generate --format plan-json --copies N`); `bench/run.sh` times whole runs up to 100k.

use payplat::generate::{self, Options};
use payplat::load::load_bytes;
use payplat::report::{self, Format, Report, Summary};
use payplat::rules::RuleSet;
use payplat::rules::evaluate;
use std::path::Path;

fn main() {
    divan::main();
}

/// Copies of the 63-resource platform: about 1k and 10k resources.
const COPIES: &[u32] = &[16, 159];

fn plan(copies: u32) -> Vec<u8> {
    serde_json::to_vec(&generate::plan_json(&Options {
        copies,
        ..Options::default()
    }))
    .unwrap()
}

#[divan::bench(args = COPIES, sample_count = 20)]
fn parse_only(bencher: divan::Bencher, copies: u32) {
    let bytes = plan(copies);
    bencher
        .counter(divan::counter::BytesCount::new(bytes.len()))
        .bench(|| serde_json::from_slice::<serde_json::Value>(&bytes).unwrap());
}

#[divan::bench(args = COPIES, sample_count = 20)]
fn load(bencher: divan::Bencher, copies: u32) {
    let bytes = plan(copies);
    bencher
        .counter(divan::counter::BytesCount::new(bytes.len()))
        .with_inputs(|| bytes.clone())
        .bench_local_values(|bytes| load_bytes(Path::new("plan.json"), bytes).unwrap());
}

#[divan::bench(args = COPIES, sample_count = 20)]
fn evaluate_rules(bencher: divan::Bencher, copies: u32) {
    let documents = [load_bytes(Path::new("plan.json"), plan(copies)).unwrap()];
    let rules = RuleSet::load(&[]).unwrap().rules;
    bencher.bench(|| evaluate(&rules, &documents, &[vec![0]]).findings.len());
}

#[divan::bench(args = COPIES, consts = [0, 1], sample_count = 20)]
fn report<const SARIF: usize>(bencher: divan::Bencher, copies: u32) {
    let documents = [load_bytes(Path::new("plan.json"), plan(copies)).unwrap()];
    let rules = RuleSet::load(&[]).unwrap().rules;
    let evaluation = evaluate(&rules, &documents, &[vec![0]]);
    let format = if SARIF == 1 {
        Format::Sarif
    } else {
        Format::Json
    };
    bencher.bench(|| {
        let report = Report {
            findings: &evaluation.findings,
            checks: &evaluation.checks,
            documents: &documents,
            rules: &rules,
            errors: &[],
            fail_on: payplat::finding::Severity::Info,
            summary: Summary::new(
                &documents,
                &evaluation.findings,
                evaluation.resources_checked,
                0,
            ),
        };
        report::write(format, &report, &mut std::io::sink(), false).unwrap();
    });
}
