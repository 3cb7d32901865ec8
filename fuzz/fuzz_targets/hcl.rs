//! Any bytes, loaded as a `.tf` file, resolved as a module and checked: an error or a result,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payplat::resolve::resolve;
use payplat::rules::{RuleSet, evaluate};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(document) = payplat::load::load_bytes(Path::new("/nonexistent-payplat-fuzz/main.tf"), data.to_vec()) {
        let rules = RuleSet::load(&[]).expect("the built-in rules load");
        let mut documents = vec![document];
        let resolved = resolve(&mut documents, &[]);
        let _ = evaluate(&rules.rules, &documents, &resolved.modules).findings.len();
    }
});
