//! A JSON pointer (the first line) and a text (the rest): a span inside the text, or none.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let (pointer, text) = data.split_once('\n').unwrap_or(("", data));
    if let Some(span) = payplat::locate::locate(text, pointer) {
        assert!(span.start <= span.end && span.end <= text.len());
        let _ = payplat::locate::position(text, span.start);
    }
});
