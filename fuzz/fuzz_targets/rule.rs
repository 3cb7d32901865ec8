//! Any text as a rule file: a rule or an error with its place, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &str| {
    let _ = payplat::rules::parse_rule(Path::new("fuzz.yaml"), data);
});
