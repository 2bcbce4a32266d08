//! The house rules that can be checked by reading the source: every file says what it is for,
//! the pure modules do no I/O and read no clock, and stringly errors do not spread.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Every `.rs` file under `src`, with its text up to its test module (tests may do anything).
fn files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    sources(&root.join("src"), &mut paths);
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("source is UTF-8");
            let code = text
                .split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .to_string();
            let name = p.strip_prefix(root).unwrap_or(p).display().to_string();
            (name.replace('\\', "/"), code)
        })
        .collect()
}

#[test]
fn every_file_says_what_it_is_for() {
    let bare: Vec<String> = files()
        .into_iter()
        .filter(|(_, code)| !code.starts_with("//!"))
        .map(|(name, _)| name)
        .collect();
    assert!(bare.is_empty(), "files without a `//!` comment: {bare:?}");
}

#[test]
fn the_pure_modules_do_no_io_and_read_no_clock() {
    const PURE: [&str; 6] = [
        "src/model/",
        "src/ceb/",
        "src/rules/",
        "src/engine/",
        "src/tax/",
        "src/check.rs",
    ];
    const IMPURE: [&str; 8] = [
        "std::fs",
        "File::",
        "Local::now",
        "Utc::now",
        "SystemTime",
        "Instant::now",
        "std::thread",
        "tokio::",
    ];
    // The one exception: a registry names the file it is read from (`Registry::load`).
    let allowed = |name: &str, what: &str| name == "src/model/registry.rs" && what == "std::fs";
    let mut found = Vec::new();
    for (name, code) in files() {
        if !PURE.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        for what in IMPURE {
            if code.contains(what) && !allowed(&name, what) {
                found.push(format!("{name}: {what}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "I/O, clocks or threads in pure modules: {found:?}"
    );
}

/// How many `Result<…, String>` a text names (the error type being the last argument).
fn stringly_results(code: &str) -> usize {
    let mut count = 0;
    for (at, _) in code.match_indices("Result<") {
        let mut depth = 0;
        for (i, c) in code[at + "Result".len()..].char_indices() {
            match c {
                '<' => depth += 1,
                '>' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                let inner = &code[at + "Result<".len()..at + "Result".len() + i];
                count += usize::from(inner.trim_end().ends_with(", String"));
                break;
            }
        }
    }
    count
}

#[test]
fn stringly_errors_do_not_spread() {
    // What there is today; a new one should be a typed error. Lower this as they go.
    const AT_MOST: usize = 11;
    let counted: Vec<(String, usize)> = files()
        .into_iter()
        .map(|(name, code)| (name, stringly_results(&code)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let count: usize = counted.iter().map(|(_, n)| n).sum();
    assert!(
        count <= AT_MOST,
        "{count} `Result<_, String>`, at most {AT_MOST}: {counted:?}"
    );
    assert_eq!(
        stringly_results("fn f() -> Result<HashMap<String, String>, E>"),
        0
    );
    assert_eq!(stringly_results("fn f() -> Result<(), String> {"), 1);
}
