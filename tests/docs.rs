//! The rules reference in docs/rules/ is `payplat explain CODE --format markdown` of every
//! built-in rule, one file each, and nothing else: a stale or missing page fails here.
//! `PAYPLAT_UPDATE_DOCS=1 cargo test --test docs` writes them.

use std::path::Path;

#[test]
fn the_rules_reference_is_what_explain_writes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pages = root.join("docs/rules");
    let update = std::env::var_os("PAYPLAT_UPDATE_DOCS").is_some();
    let rules = payplat::rules::RuleSet::load_every_profile(&[]).unwrap();
    let mut expected = Vec::new();
    let mut stale = Vec::new();
    for rule in &rules.rules {
        let code = &rule.info.code;
        let output = assert_cmd::Command::cargo_bin("payplat")
            .unwrap()
            .args(["explain", code, "--format", "markdown"])
            .output()
            .unwrap();
        assert!(output.status.success(), "explain {code} failed");
        let page = pages.join(format!("{code}.md"));
        expected.push(format!("{code}.md"));
        if update {
            std::fs::write(&page, &output.stdout).unwrap();
        } else if std::fs::read(&page).ok().as_deref() != Some(&output.stdout[..]) {
            stale.push(page.display().to_string());
        }
    }
    // The index: one row a rule, by profile and code.
    let mut rows: Vec<&payplat::rules::Rule> = rules.rules.iter().collect();
    rows.sort_by(|a, b| (&a.profile, &a.info.code).cmp(&(&b.profile, &b.info.code)));
    let mut index = String::from(
        "<!-- Written by tests/docs.rs from the built-in rules; `PAYPLAT_UPDATE_DOCS=1 cargo test --test docs` writes it. -->\n\n\
         # Rules\n\nThe built-in rules. `default` is the platform's invariants; `pci-dss` adds what an\n\
         assessor asks for. `payplat explain CODE` prints a page in the terminal.\n\n\
         | rule | title | severity | profile | fix |\n|---|---|---|---|---|\n",
    );
    for rule in rows {
        let info = &rule.info;
        index.push_str(&format!(
            "| [{code} {name}]({code}.md) | {title} | {severity} | `{profile}` | {fix} |\n",
            code = info.code,
            name = info.name,
            title = info.title,
            severity = info.severity,
            profile = rule.profile,
            fix = if rule.fix.is_some() { "yes" } else { "" },
        ));
    }
    let index_page = pages.join("README.md");
    if update {
        std::fs::write(&index_page, &index).unwrap();
    } else if std::fs::read_to_string(&index_page).ok().as_deref() != Some(index.as_str()) {
        stale.push(index_page.display().to_string());
    }
    let mut present: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md") && name != "README.md")
        .collect();
    present.sort();
    expected.sort();
    assert!(
        stale.is_empty(),
        "stale or missing: {stale:?}; run PAYPLAT_UPDATE_DOCS=1 cargo test --test docs"
    );
    assert_eq!(present, expected, "pages of rules that do not exist");
    assert!(expected.len() >= 17, "only {} rules", expected.len());
}
