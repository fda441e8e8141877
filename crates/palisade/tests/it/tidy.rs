//! Tidy checks that run as ordinary tests: file headers, ARCHITECTURE.md coverage, pure
//! crates' dependency allowlist, and no ignored, should-panic or debug-print leftovers.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root exists")
}

fn rust_files(dir: &Path, acc: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == ".git" || name == ".venv" {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, acc);
        } else if path.extension().is_some_and(|e| e == "rs") {
            acc.push(path);
        }
    }
}

fn crates() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("crates"))
        .expect("crates/ exists")
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_rust_file_opens_with_module_doc() {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    let bad: Vec<_> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .collect();
    assert!(bad.is_empty(), "files without a `//!` header: {bad:?}");
}

#[test]
fn architecture_names_every_crate() {
    let arch = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let missing: Vec<_> = crates()
        .into_iter()
        .filter(|c| !arch.contains(&format!("crates/{c}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not describe: {missing:?}"
    );
}

#[test]
fn pure_crates_depend_only_on_allowlisted_crates() {
    let allow: &[(&str, &[&str])] = &[
        ("palisade-model", &["ipnet", "thiserror"]),
        ("palisade-engine", &["ipnet", "thiserror", "palisade-model"]),
        (
            "palisade-analysis",
            &[
                "ipnet",
                "thiserror",
                "palisade-model",
                "palisade-engine",
                // Flow-log records (`flows.rs`) and the hash maps of their hot loop.
                "palisade-flowlog",
                "rustc-hash",
            ],
        ),
        ("palisade-flowlog", &["thiserror"]),
        (
            "palisade-ec2",
            &[
                "ipnet",
                "thiserror",
                "palisade-model",
                "serde",
                "serde_json",
                // XML text escaping for the response writer (`wire/xml.rs`).
                "quick-xml",
            ],
        ),
        (
            "palisade-sigv4",
            &[
                "thiserror",
                "palisade-model",
                "hmac",
                "sha2",
                "hex",
                "form_urlencoded",
                "percent-encoding",
            ],
        ),
        (
            "palisade-trace",
            &[
                "thiserror",
                "palisade-model",
                "palisade-engine",
                "serde",
                "serde_json",
            ],
        ),
    ];
    for (krate, allowed) in allow {
        let manifest =
            std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml"))
                .expect("manifest exists");
        let deps = manifest
            .split("\n[")
            .find(|section| section.starts_with("dependencies]"))
            .unwrap_or("");
        for line in deps.lines().skip(1) {
            let Some(name) = line
                .split(['=', '.', ' '])
                .next()
                .filter(|n| !n.is_empty() && !n.starts_with('#'))
            else {
                continue;
            };
            assert!(
                allowed.contains(&name),
                "pure crate {krate} depends on `{name}`, which is not allowlisted"
            );
        }
    }
}

#[test]
fn no_ignored_or_should_panic_tests_or_dbg() {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    let needles = [
        concat!("#[", "ignore"),
        concat!("#[", "should_panic"),
        concat!("dbg", "!("),
    ];
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for needle in needles {
            assert!(!text.contains(needle), "{} contains {needle}", f.display());
        }
    }
}
