//! describe-* JSON import (`palisade_ec2::import_texts`) on arbitrary text, split into up to
//! seven documents at NUL bytes (as `-i DIR` hands over several files). Nothing may panic;
//! a snapshot imported without problems compiles into an engine, and exporting it and
//! importing the export gives the same snapshot with no problems.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_model::Quotas;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let names = [
        "a.json", "b.json", "c.json", "d.json", "e.json", "f.json", "g.json",
    ];
    let docs: Vec<(&str, &str)> = names.iter().copied().zip(text.split('\0')).collect();
    // The binary's import quotas (`crates/palisade/src/input.rs`).
    let quotas = Quotas::new(60, 16).expect("60 rules x 16 groups is within EC2's limit");
    let (snapshot, errors) = palisade_ec2::import_texts(&docs, &quotas);
    for e in &errors {
        let _ = (e.to_string(), e.code());
    }
    if !errors.is_empty() {
        return;
    }
    let _ = palisade_engine::compile(&snapshot);
    let exported = palisade_ec2::export(&snapshot);
    let again = palisade_ec2::import(
        &[palisade_ec2::Document {
            name: "export.json",
            json: &exported,
        }],
        &quotas,
    );
    assert_eq!(again.1, Vec::new(), "the export of {snapshot:?} is refused");
    assert_eq!(again.0, snapshot, "export then import is not the identity");
});
