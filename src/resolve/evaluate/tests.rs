use super::*;
use serde_json::json;

/// `var.azs` and `var.enabled` are set.
struct Fixture;

impl Names for Fixture {
    fn variable(&self, name: &str) -> Evaluated {
        match name {
            "azs" => Ok(Partial::known(json!(["a", "b", "c"]))),
            "enabled" => Ok(Partial::known(json!(false))),
            _ => Err(Stop::Unknown),
        }
    }

    fn local(&self, _: &str) -> Evaluated {
        Err(Stop::Unknown)
    }
}

fn value(text: &str) -> Value {
    evaluate_string(text, &Fixture)
        .unwrap_or_else(|stop| panic!("{text}: {stop:?}"))
        .value
}

#[test]
fn known_values_are_computed() {
    assert_eq!(value("${length(var.azs) + 1}"), json!(4));
    assert_eq!(value("${var.enabled ? 1 : 0}"), json!(0));
    assert_eq!(
        value("${[for i, az in var.azs : \"${az}-${i}\" if az != \"b\"]}"),
        json!(["a-0", "c-2"])
    );
    assert_eq!(
        value("${{for az in var.azs : az => upper(az)}}"),
        json!({"a": "A", "b": "B", "c": "C"})
    );
    assert_eq!(
        value("zone ${var.azs[1]} of ${length(var.azs)}"),
        json!("zone b of 3")
    );
    assert_eq!(value("${try(var.azs[7], \"none\")}"), json!("none"));
    assert_eq!(value("${can(var.azs[7])}"), json!(false));
    assert_eq!(
        value("$${not.an.expression}"),
        json!("$${not.an.expression}")
    );
}

#[test]
fn unknown_parts_stay_references_inside_known_structure() {
    assert_eq!(
        value(
            "${jsonencode({Principal = {Federated = aws_iam_openid_connect_provider.eks.arn}, N = 2})}"
        ),
        json!(r#"{"N":2,"Principal":{"Federated":"${aws_iam_openid_connect_provider.eks.arn}"}}"#)
    );
    assert_eq!(
        value("${[for az in var.azs : aws_subnet.private[az].id]}"),
        json!([
            "${aws_subnet.private[\"a\"].id}",
            "${aws_subnet.private[\"b\"].id}",
            "${aws_subnet.private[\"c\"].id}"
        ])
    );
    assert_eq!(
        value("${replace(aws_x.y.url, \"https://\", \"\")}:sub"),
        json!("${replace(aws_x.y.url, \"https://\", \"\")}:sub")
    );
    // What stays unknown is written back with its known parts in.
    assert_eq!(
        value("${upper(aws_x.y.name)}"),
        json!("${upper(aws_x.y.name)}")
    );
    assert_eq!(value("${var.unset ? 1 : 0}"), json!("${var.unset ? 1 : 0}"));
    assert_eq!(
        value("${element(data.aws_availability_zones.all.names, length(var.azs) - 1)}"),
        json!("${element(data.aws_availability_zones.all.names, 2)}")
    );
    // A whole unknown argument may be a list of any length.
    assert_eq!(value("${length(var.unset)}"), json!("${length(var.unset)}"));
    assert_eq!(
        value("${length(aws_subnet.x[*].id)}"),
        json!("${length(aws_subnet.x[*].id)}")
    );
}

#[test]
fn what_terraform_would_reject_is_invalid_not_guessed() {
    assert!(matches!(
        evaluate_string("${var.azs[7]}", &Fixture),
        Err(Stop::Invalid(_))
    ));
    assert!(matches!(
        evaluate_string("${1 +}", &Fixture),
        Err(Stop::Invalid(_))
    ));
    let deep = format!("${{{}1{}}}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(matches!(
        evaluate_string(&deep, &Fixture),
        Err(Stop::Invalid(_))
    ));
}
