//! The floor `bench/run.sh` measures payplat against: read a file and parse it into a
//! `serde_json::Value`, nothing else.

fn main() {
    let path = std::env::args().nth(1).expect("usage: parse_only FILE");
    let bytes = std::fs::read(&path).expect("readable file");
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    println!("{}", value.as_object().map_or(0, |o| o.len()));
}
