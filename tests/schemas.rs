//! Our XSDs (`schemas/`) are generated from the model and must accept what the encoder writes
//! and every receipt `check` produces. xmllint (libxml2-utils) does the validating.
//!
//! Set `CEB_OFFICIAL_XSD_DIR` to a directory holding the customs-published
//! `export-business-2022.xsd`, `import-business-2022.xsd` and `terminal-dxpmsg-2022.xsd` (with
//! `xmldsig-core-schema.xsd`) to validate the same output against the official schemas too.

mod common;

use chrono::NaiveDate;
use common::{Entropy, fill};
use single_window::ceb::{encode, wrap_dxp, xsd::all_schemas};
use single_window::check::check_bytes;
use single_window::model::{Message, MessageType};
use std::path::{Path, PathBuf};
use std::process::Command;

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

/// Validates files against one XSD; `Err` carries xmllint's complaint.
fn xmllint(xsd: &Path, files: &[PathBuf]) -> Result<(), String> {
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd)
        .args(files)
        .output()
        .map_err(|e| format!("cannot run xmllint (install libxml2-utils): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The official schema a root is declared in, when `CEB_OFFICIAL_XSD_DIR` is set.
fn official_xsd(root: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("CEB_OFFICIAL_XSD_DIR")?);
    let file = match root {
        "CEB900Message" => "import-business-2022.xsd",
        "DxpMsg" => "terminal-dxpmsg-2022.xsd",
        _ => "export-business-2022.xsd",
    };
    Some(dir.join(file))
}

/// Validates `files` (all with root `root`) against our schema and, if configured, the official one.
fn validate(root: &str, files: &[PathBuf]) {
    let ours = schemas_dir().join(format!("{root}.xsd"));
    if let Err(e) = xmllint(&ours, files) {
        panic!("{root}: output rejected by schemas/{root}.xsd:\n{e}");
    }
    if let Some(official) = official_xsd(root)
        && let Err(e) = xmllint(&official, files)
    {
        panic!(
            "{root}: output rejected by the official {}:\n{e}",
            official.display()
        );
    }
}

fn write(dir: &Path, name: String, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("temp file written");
    path
}

/// Deterministic entropy so a failure names a reproducible case.
fn seed_bytes(kind: MessageType, n: u64) -> Vec<u8> {
    let mut x = (kind as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ n;
    (0..1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn generated(kind: MessageType, n: u64) -> String {
    let mut m = Message::new(kind);
    fill(
        m.as_element_mut(),
        &mut Entropy::new(&seed_bytes(kind, n)),
        0,
    );
    encode(m.as_element())
}

#[test]
fn shipped_schemas_are_generated_from_the_model() {
    let expected = all_schemas();
    for (name, text) in &expected {
        let path = schemas_dir().join(format!("{name}.xsd"));
        let shipped = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            shipped == *text,
            "{} is out of date: run `cargo run -- schemas schemas`",
            path.display()
        );
    }
    let shipped = std::fs::read_dir(schemas_dir())
        .expect("schemas/ exists")
        .count();
    assert_eq!(
        shipped,
        expected.len(),
        "schemas/ holds files the model does not generate"
    );
}

#[test]
fn encoder_output_of_every_message_type_validates() {
    let dir = tempfile::tempdir().expect("temp dir");
    for kind in MessageType::ALL {
        let files: Vec<PathBuf> = (0..8)
            .map(|n| {
                write(
                    dir.path(),
                    format!("{}-{n}.xml", kind.root_name()),
                    &generated(kind, n),
                )
            })
            .collect();
        validate(kind.root_name(), &files);
    }
}

#[test]
fn receipts_from_check_validate() {
    let now = NaiveDate::from_ymd_opt(2025, 3, 10)
        .and_then(|d| d.and_hms_milli_opt(9, 30, 0, 123))
        .expect("valid time");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut by_root: std::collections::BTreeMap<&str, Vec<PathBuf>> = Default::default();
    let mut inputs: Vec<String> = Vec::new();
    for kind in MessageType::ALL.into_iter().filter(|k| !k.is_receipt()) {
        inputs.extend((0..4).map(|n| generated(kind, n)));
    }
    // Unreadable, unknown and misshapen input is answered with CEB900.
    inputs.push("<ceb:CEB603Message xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\"><oops".into());
    inputs.push("<CEB999Message/>".into());
    inputs.push(
        generated(MessageType::Ceb603, 1)
            .replace("<ceb:BaseTransfer>", "<ceb:BaseTransfer><ceb:x/>"),
    );
    for (i, input) in inputs.iter().enumerate() {
        let receipt = check_bytes(input.as_bytes(), now)
            .receipt
            .expect("every input is answered");
        by_root.entry(receipt.root).or_default().push(write(
            dir.path(),
            format!("{i}-{}.xml", receipt.root),
            &receipt.xml,
        ));
    }
    assert!(
        by_root.contains_key("CEB900Message"),
        "format errors answered with CEB900"
    );
    assert!(
        by_root.len() > 10,
        "receipts of most types were produced: {:?}",
        by_root.keys()
    );
    for (root, files) in &by_root {
        validate(root, files);
    }
}

#[test]
fn dxp_wrapper_validates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let inner = generated(MessageType::Ceb603, 0);
    let wrapped = wrap_dxp(
        &inner,
        "CEB603Message",
        "MSG-0001",
        "DXPENT0000022561",
        "DXPEDCCEB0000003",
        "2025-03-10T09:30:00",
    );
    validate("DxpMsg", &[write(dir.path(), "dxp.xml".into(), &wrapped)]);
}

/// One edit of an encoded message, applied to its `index`-th single-line simple element.
#[derive(Debug, Clone, Copy)]
enum Mutation {
    Delete,
    Duplicate,
    TooLong,
    NotANumber,
    SwapWithNext,
    UnknownSibling,
}

fn mutate(xml: &str, mutation: Mutation, index: usize) -> String {
    let mut lines: Vec<String> = xml.lines().map(str::to_string).collect();
    let simple: Vec<usize> = (0..lines.len())
        .filter(|&i| {
            let l = lines[i].trim();
            l.starts_with("<ceb:")
                && l.ends_with('>')
                && l.matches("</ceb:").count() == 1
                && !l.contains("<ds:")
        })
        .collect();
    let Some(&at) = simple.get(index % simple.len().max(1)) else {
        return xml.to_string();
    };
    let line = lines[at].clone();
    let (open_end, close_start) = (
        line.find('>').unwrap_or(0) + 1,
        line.rfind("</").unwrap_or(line.len()),
    );
    let with_value = |v: &str| format!("{}{v}{}", &line[..open_end], &line[close_start..]);
    match mutation {
        Mutation::Delete => {
            lines.remove(at);
        }
        Mutation::Duplicate => lines.insert(at, line.clone()),
        Mutation::TooLong => lines[at] = with_value(&"9".repeat(1001)),
        Mutation::NotANumber => lines[at] = with_value("1,5"),
        Mutation::SwapWithNext if at + 1 < lines.len() => lines.swap(at, at + 1),
        Mutation::SwapWithNext => {}
        Mutation::UnknownSibling => lines.insert(at, "<ceb:colour>red</ceb:colour>".into()),
    }
    lines.join("\n")
}

/// Which of `files` xmllint accepts.
fn xmllint_verdicts(xsd: &Path, files: &[PathBuf]) -> Vec<bool> {
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd)
        .args(files)
        .output()
        .expect("xmllint runs (install libxml2-utils)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    files
        .iter()
        .map(|f| stderr.contains(&format!("{} validates", f.display())))
        .collect()
}

#[test]
fn decoder_and_schema_agree_on_damaged_messages() {
    use Mutation::*;
    let dir = tempfile::tempdir().expect("temp dir");
    let mutations = [
        Delete,
        Duplicate,
        TooLong,
        NotANumber,
        SwapWithNext,
        UnknownSibling,
    ];
    let (mut compared, mut rejected) = (0, 0);
    for kind in MessageType::ALL {
        let mut cases = Vec::new();
        for n in 0..12u64 {
            let mutation = mutations[n as usize % mutations.len()];
            let xml = mutate(
                &generated(kind, n),
                mutation,
                (n as usize).wrapping_mul(7919),
            );
            let decoded = single_window::ceb::decode_str(&xml);
            let ours = !decoded.diagnostics.iter().any(|d| d.is_error());
            let file = write(dir.path(), format!("{}-{n}.xml", kind.root_name()), &xml);
            cases.push((file, ours, mutation, decoded.diagnostics));
        }
        let files: Vec<PathBuf> = cases.iter().map(|c| c.0.clone()).collect();
        let mut schemas = vec![schemas_dir().join(format!("{}.xsd", kind.root_name()))];
        schemas.extend(official_xsd(kind.root_name()));
        for xsd in schemas {
            for ((file, ours, mutation, diags), xsd_ok) in
                cases.iter().zip(xmllint_verdicts(&xsd, &files))
            {
                assert_eq!(
                    *ours,
                    xsd_ok,
                    "{mutation:?} on {}: decoder says valid={ours}, {} says valid={xsd_ok}\n{diags:#?}",
                    file.display(),
                    xsd.display()
                );
                compared += 1;
                rejected += usize::from(!xsd_ok);
            }
        }
    }
    // Most edits break the message, some (swapping two equal siblings …) do not: both must occur.
    assert!(compared >= MessageType::ALL.len() * 12);
    assert!(
        rejected > compared / 2 && rejected < compared,
        "{rejected} of {compared} rejected"
    );
    eprintln!("{rejected} of {compared} damaged messages rejected by both");
}

#[test]
fn customs_receipts_of_the_engine_validate() {
    use single_window::check::{check_bytes, run_lifecycle};
    use single_window::engine::{EngineConfig, Profile, SingleWindow};
    use single_window::rules::Params;
    // The valid seed folder, played through customs with review and inspection for every
    // list, so that every kind of receipt the engine writes comes out.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/messages/valid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("seeds")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let now = NaiveDate::from_ymd_opt(2025, 3, 10)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("valid time");
    let inputs: Vec<(Vec<u8>, _)> = files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).expect("seed readable");
            let report = check_bytes(&bytes, now);
            (bytes, report)
        })
        .collect();
    let refs: Vec<(&[u8], _)> = inputs.iter().map(|(b, r)| (b.as_slice(), r)).collect();
    let config = EngineConfig {
        profile: Profile {
            review_per_mille: 1000,
            inspection_per_mille: 1000,
            ..Profile::default()
        },
        ..EngineConfig::default()
    };
    let mut engine = SingleWindow::new(config, Params::default());
    let out = run_lifecycle(&refs, &mut engine, chrono::Duration::days(7));
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut by_root: std::collections::BTreeMap<&str, Vec<PathBuf>> = Default::default();
    for (i, o) in out.iter().enumerate() {
        by_root.entry(o.root).or_default().push(write(
            tmp.path(),
            format!("{i}-{}.xml", o.root),
            &o.xml(),
        ));
    }
    for root in [
        "CEB304Message",
        "CEB404Message",
        "CEB506Message",
        "CEB508Message",
        "CEB510Message",
        "CEB604Message",
        "CEB606Message",
        "CEB608Message",
    ] {
        assert!(
            by_root.contains_key(root),
            "no {root} among {:?}",
            by_root.keys()
        );
    }
    let statuses: Vec<&str> = out
        .iter()
        .filter(|o| o.root == "CEB604Message")
        .map(|o| o.status)
        .collect();
    assert!(
        statuses.contains(&"300") && statuses.contains(&"500") && statuses.contains(&"899"),
        "{statuses:?}"
    );
    for (root, files) in &by_root {
        validate(root, files);
    }
    // People read each receipt's text in English too; the receipt itself carries the Chinese.
    for o in &out {
        let (zh, en) = (o.info(), o.english());
        assert!(
            !en.is_empty() && en != zh,
            "{} {}: {zh} has no English",
            o.root,
            o.status
        );
        assert!(
            !en.contains(|c: char| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{en}"
        );
    }
}
