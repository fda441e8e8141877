//! `palisade serve` as a process: configuration refused at start-up (a bad quotas file or
//! region list), and the connection handling clients see (timeouts, shutdown).

use crate::fixture::{palisade, stderr};

#[test]
fn bad_quotas_files_and_region_lists_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("palisade.db");
    let quotas = dir.path().join("quotas");
    for (text, expected) in [
        (
            "vpcs_per_region = 5\nvpcs = 3\n",
            "line 2: unknown quota 'vpcs'",
        ),
        (
            "tags_per_resource = 0\n",
            "line 1: tags_per_resource: '0' is not a whole number",
        ),
        (
            "groups_per_interface = 17\n",
            "groups per interface (1..=16)",
        ),
    ] {
        std::fs::write(&quotas, text).unwrap();
        let out = palisade(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            db.to_str().unwrap(),
            "--quotas",
            quotas.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = stderr(&out);
        assert!(err.contains("parsing") && err.contains(expected), "{err}");
    }
    let missing = dir.path().join("nope");
    let out = palisade(&["serve", "--quotas", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("reading"), "{}", stderr(&out));
    let out = palisade(&["serve", "--regions", "us-east-1,EU-WEST-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("EU-WEST-1"), "{}", stderr(&out));
}
