//! Any bytes, loaded as an input file, then checked and reported: an error or a result, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payplat::rules::RuleSet;
use payplat::rules::evaluate;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(document) = payplat::load::load_bytes(Path::new("fuzz.json"), data.to_vec()) {
        let rules = RuleSet::load(&[]).expect("the built-in rules load");
        let documents = [document];
        let _ = evaluate(&rules.rules, &documents, &[vec![0]]).findings.len();
    }
});
