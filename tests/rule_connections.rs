//! The rule language grown in general: connections both ways (`references`, `referenced-by`,
//! `transitive`), `when` preconditions, named predicates, placeholders in messages, profiles.

use payplat::finding::Verdict;
use payplat::load::load_bytes;
use payplat::rules::{RuleSet, evaluate};
use std::path::Path;

/// A rule directory holding these files.
fn rule_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// A rule on `aws_vpc` with these extra top-level keys (`when:`, `parameters:`) and this check.
fn vpc_rule(extra: &str, check: &str) -> String {
    let check: String = check.lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "code: ORG100\nname: vpc-rule\ntitle: t\nseverity: low\nhelp: h\ndoc: d\n\
         resources:\n  types: [aws_vpc]\n{extra}\ncheck:\n{check}"
    )
}

/// `(rule, address, verdict)` of the user rules in `dir` on a `.tf.json` configuration.
fn verdicts(dir: &Path, configuration: &str) -> Vec<(String, String, Verdict)> {
    let rules = RuleSet::load(&[dir.to_owned()]).unwrap_or_else(|e| panic!("{}", e[0]));
    let rules: Vec<_> = rules
        .rules
        .into_iter()
        .filter(|r| r.info.code.starts_with("ORG"))
        .collect();
    let document = load_bytes(Path::new("main.tf.json"), configuration.into()).unwrap();
    let documents = [document];
    let evaluation = evaluate(&rules, &documents, &[vec![0]]);
    evaluation
        .checks
        .iter()
        .map(|c| {
            (
                c.rule.code.clone(),
                c.resource.address.to_string(),
                c.verdict,
            )
        })
        .collect()
}

fn verdict_of(dir: &Path, configuration: &str) -> Verdict {
    let found = verdicts(dir, configuration);
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].2
}

const FLOW_LOG_CHECK: &str = "referenced-by: [aws_flow_log]\nvia: $.vpc_id";

#[test]
fn referenced_by_finds_the_resources_that_name_this_one() {
    let dir = rule_dir(&[("r.yaml", &vpc_rule("", FLOW_LOG_CHECK))]);
    let vpc = r#""aws_vpc": {"main": {"cidr_block": "10.0.0.0/16"}}"#;
    let with = |flow_log: &str| {
        format!(r#"{{"resource": {{{vpc}, "aws_flow_log": {{"f": {flow_log}}}}}}}"#)
    };
    // By reference.
    assert_eq!(
        verdict_of(dir.path(), &with(r#"{"vpc_id": "${aws_vpc.main.id}"}"#)),
        Verdict::Pass
    );
    // A flow log of another VPC, or at another attribute, does not count.
    assert_eq!(
        verdict_of(dir.path(), &with(r#"{"vpc_id": "vpc-0other"}"#)),
        Verdict::Fail
    );
    assert_eq!(
        verdict_of(
            dir.path(),
            &with(r#"{"vpc_id": "vpc-0other", "tags": {"of": "${aws_vpc.main.id}"}}"#)
        ),
        Verdict::Fail
    );
    // A variable may name it: the inputs do not decide.
    assert_eq!(
        verdict_of(dir.path(), &with(r#"{"vpc_id": "${var.vpc_id}"}"#)),
        Verdict::Undetermined
    );
    assert_eq!(
        verdict_of(dir.path(), &format!(r#"{{"resource": {{{vpc}}}}}"#)),
        Verdict::Fail
    );
}

#[test]
fn references_follow_depends_on_and_with_transitive_what_those_reference() {
    let rule = |transitive: bool| {
        vpc_rule(
            "",
            &format!(
                "references: [aws_internet_gateway]\ntransitive: {transitive}\ncheck:\n  path: $.tags.role\n  equals: edge"
            ),
        )
    };
    let direct = rule_dir(&[("r.yaml", &rule(false))]);
    let transitive = rule_dir(&[("r.yaml", &rule(true))]);
    let configuration = |vpc: &str| {
        format!(
            r#"{{"resource": {{"aws_vpc": {{"main": {vpc}}},
              "time_sleep": {{"wait": {{"depends_on": ["aws_internet_gateway.gw"]}}}},
              "aws_internet_gateway": {{"gw": {{"tags": {{"role": "edge"}}}}, "other": {{"tags": {{"role": "lab"}}}}}}}}}}"#
        )
    };
    let through_sleep = configuration(r#"{"depends_on": ["time_sleep.wait"]}"#);
    assert_eq!(verdict_of(direct.path(), &through_sleep), Verdict::Fail);
    assert_eq!(verdict_of(transitive.path(), &through_sleep), Verdict::Pass);
    // The check is on the resource at the other end: the lab gateway does not qualify.
    let to_lab = configuration(r#"{"depends_on": ["aws_internet_gateway.other"]}"#);
    assert_eq!(verdict_of(direct.path(), &to_lab), Verdict::Fail);
    let to_edge = configuration(r#"{"depends_on": ["aws_internet_gateway.gw"]}"#);
    assert_eq!(verdict_of(direct.path(), &to_edge), Verdict::Pass);
}

#[test]
fn when_decides_whether_the_rule_applies() {
    let rule = vpc_rule(
        "when:\n  path: $.tags.tier\n  equals: payments",
        "path: $.enable_dns_support\nequals: true",
    );
    let dir = rule_dir(&[("r.yaml", &rule)]);
    let vpc = |body: &str| format!(r#"{{"resource": {{"aws_vpc": {{"main": {body}}}}}}}"#);
    // Not applicable: not checked at all.
    assert!(verdicts(dir.path(), &vpc(r#"{"tags": {"tier": "lab"}}"#)).is_empty());
    assert_eq!(
        verdict_of(dir.path(), &vpc(r#"{"tags": {"tier": "payments"}}"#)),
        Verdict::Fail
    );
    // Whether it applies is not known: a failure is only undetermined, a pass still passes.
    assert_eq!(
        verdict_of(dir.path(), &vpc(r#"{"tags": {"tier": "${var.tier}"}}"#)),
        Verdict::Undetermined
    );
    assert_eq!(
        verdict_of(
            dir.path(),
            &vpc(r#"{"tags": {"tier": "${var.tier}"}, "enable_dns_support": true}"#)
        ),
        Verdict::Pass
    );
}

#[test]
fn predicates_are_shared_by_the_rules_of_a_directory_and_checked_when_they_load() {
    let predicates = "predicates:\n  dns-on:\n    path: $.enable_dns_support\n    equals: true\n  \
                      dns-and-hostnames:\n    all:\n      - predicate: dns-on\n      - path: $.enable_dns_hostnames\n        equals: true\n";
    let dir = rule_dir(&[
        ("predicates.yaml", predicates),
        ("r.yaml", &vpc_rule("", "predicate: dns-and-hostnames")),
    ]);
    let vpc = |body: &str| format!(r#"{{"resource": {{"aws_vpc": {{"main": {body}}}}}}}"#);
    assert_eq!(
        verdict_of(
            dir.path(),
            &vpc(r#"{"enable_dns_support": true, "enable_dns_hostnames": true}"#)
        ),
        Verdict::Pass
    );
    assert_eq!(
        verdict_of(dir.path(), &vpc(r#"{"enable_dns_hostnames": true}"#)),
        Verdict::Fail
    );
    for (predicates, expected) in [
        ("predicates: {}\n", "declares none"),
        ("predicates:\n  loop:\n    predicate: loop\n", "uses itself"),
    ] {
        let use_it = if expected == "uses itself" {
            "predicate: loop"
        } else {
            "predicate: dns-on"
        };
        let dir = rule_dir(&[
            ("predicates.yaml", predicates),
            ("r.yaml", &vpc_rule("", use_it)),
        ]);
        let errors = RuleSet::load(&[dir.path().to_owned()]).unwrap_err();
        let message = errors[0].to_string();
        assert!(message.contains(expected), "{message}");
        assert!(errors[0].position.is_some(), "{message}");
    }
}

#[test]
fn messages_name_parameters_and_an_undeclared_one_is_rejected() {
    let check =
        "message: keep at least {min} days, not less\npath: $.retention\nat-least: {param: min}";
    let dir = rule_dir(&[("r.yaml", &vpc_rule("parameters:\n  min: 30", check))]);
    let rules = RuleSet::load(&[dir.path().to_owned()]).unwrap();
    let document = load_bytes(
        Path::new("main.tf.json"),
        r#"{"resource": {"aws_vpc": {"main": {"retention": 3}}}}"#.into(),
    )
    .unwrap();
    let documents = [document];
    let evaluation = evaluate(&rules.rules, &documents, &[vec![0]]);
    let message = evaluation.findings[0].message();
    assert!(
        message.starts_with("keep at least 30 days, not less"),
        "{message}"
    );

    let undeclared = check.replace("{min} days", "{max} days");
    let dir = rule_dir(&[("r.yaml", &vpc_rule("parameters:\n  min: 30", &undeclared))]);
    let errors = RuleSet::load(&[dir.path().to_owned()]).unwrap_err();
    assert!(
        errors[0].to_string().contains("names `{max}`"),
        "{}",
        errors[0]
    );
}

#[test]
fn profiles_choose_rules_and_set_their_parameters() {
    let default = RuleSet::load(&[]).unwrap();
    let pci = RuleSet::load_profile(&[], "pci-dss").unwrap();
    let retention = |set: &RuleSet| set.find("PP501").unwrap().parameters["min_days"].clone();
    assert_eq!(retention(&default), 7);
    assert_eq!(retention(&pci), 365);
    // The PCI profile extends the platform invariants.
    for rule in &default.rules {
        assert!(pci.find(&rule.info.code).is_some(), "{}", rule.info.code);
    }
    let error = RuleSet::load_profile(&[], "sox").unwrap_err();
    assert!(
        error[0]
            .to_string()
            .contains("unknown profile `sox`; the profiles are default, pci-dss"),
        "{}",
        error[0]
    );
    let pci_only = vpc_rule("profile: pci-dss", "path: $.x\nexists: true");
    let dir = rule_dir(&[("r.yaml", &pci_only)]);
    assert!(
        RuleSet::load(&[dir.path().to_owned()])
            .unwrap()
            .find("ORG100")
            .is_none()
    );
    let with_pci = RuleSet::load_profile(&[dir.path().to_owned()], "pci-dss").unwrap();
    assert!(with_pci.find("ORG100").is_some());
    let unknown = rule_dir(&[(
        "r.yaml",
        &vpc_rule("profile: hipaa", "path: $.x\nexists: true"),
    )]);
    let errors = RuleSet::load(&[unknown.path().to_owned()]).unwrap_err();
    assert!(
        errors[0].to_string().contains("unknown profile `hipaa`"),
        "{}",
        errors[0]
    );
}

#[test]
fn a_reference_says_which_resource_is_meant_and_a_name_only_where_there_is_none() {
    // Two clusters of the same name (in two regions) and a node group that references one.
    let rule = "code: ORG100\nname: has-nodes\ntitle: t\nseverity: low\nhelp: h\ndoc: d\n\
                resources:\n  types: [aws_eks_cluster]\n\
                check:\n  referenced-by: [aws_eks_node_group]\n  via: $.cluster_name\n";
    let dir = rule_dir(&[("r.yaml", rule)]);
    let rules: Vec<_> = RuleSet::load(&[dir.path().to_owned()])
        .unwrap()
        .rules
        .into_iter()
        .filter(|r| r.info.code == "ORG100")
        .collect();
    let plan = |configuration: &str| {
        format!(
            r#"{{"format_version": "1.2", "planned_values": {{"root_module": {{"resources": [
              {{"address": "aws_eks_cluster.east", "mode": "managed", "type": "aws_eks_cluster", "name": "east", "values": {{"name": "payments"}}}},
              {{"address": "aws_eks_cluster.west", "mode": "managed", "type": "aws_eks_cluster", "name": "west", "values": {{"name": "payments"}}}},
              {{"address": "aws_eks_node_group.workers", "mode": "managed", "type": "aws_eks_node_group", "name": "workers", "values": {{"cluster_name": "payments"}}}}
            ]}}}}, "configuration": {{"root_module": {{"resources": [{configuration}]}}}}}}"#
        )
    };
    let verdicts = |text: String| {
        let documents = [load_bytes(Path::new("plan.json"), text.into()).unwrap()];
        evaluate(&rules, &documents, &[vec![0]])
            .checks
            .iter()
            .map(|c| (c.resource.address.to_string(), c.verdict))
            .collect::<Vec<_>>()
    };
    let referenced = plan(
        r#"{"address": "aws_eks_node_group.workers", "expressions": {"cluster_name": {"references": ["aws_eks_cluster.west.name", "aws_eks_cluster.west"]}}}"#,
    );
    assert_eq!(
        verdicts(referenced),
        [
            ("aws_eks_cluster.east".to_owned(), Verdict::Fail),
            ("aws_eks_cluster.west".to_owned(), Verdict::Pass)
        ]
    );
    // Written as a constant, the name is all there is: it names both.
    let constant = plan(
        r#"{"address": "aws_eks_node_group.workers", "expressions": {"cluster_name": {"constant_value": "payments"}}}"#,
    );
    assert_eq!(
        verdicts(constant),
        [
            ("aws_eks_cluster.east".to_owned(), Verdict::Pass),
            ("aws_eks_cluster.west".to_owned(), Verdict::Pass)
        ]
    );
}
