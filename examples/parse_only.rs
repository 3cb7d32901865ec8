//! The floor `bench/run.sh` measures payplat against: read the input and parse it, nothing
//! else. A file is parsed into a `serde_json::Value`; a directory's `.tf` files, found at any
//! depth, with hcl-edit.

use std::path::Path;

fn main() {
    let path = std::env::args().nth(1).expect("usage: parse_only FILE|DIR");
    let path = Path::new(&path);
    if path.is_dir() {
        let mut structures = 0;
        parse_tf_files(path, &mut structures);
        println!("{structures}");
        return;
    }
    let bytes = std::fs::read(path).expect("readable file");
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    println!("{}", value.as_object().map_or(0, |o| o.len()));
}

fn parse_tf_files(dir: &Path, structures: &mut usize) {
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            parse_tf_files(&path, structures);
        } else if path.extension().is_some_and(|e| e == "tf") {
            let text = std::fs::read_to_string(&path).expect("UTF-8");
            *structures += hcl_edit::parser::parse_body(&text).expect("HCL").len();
        }
    }
}
