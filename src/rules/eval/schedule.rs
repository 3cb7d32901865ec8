//! Schedule expressions as AWS reads them (Secrets Manager rotation, EventBridge):
//! `rate(N unit)` and six-field `cron(minutes hours day-of-month month day-of-week year)`,
//! bounded by the longest time between two runs.

/// What a schedule expression says of the time between runs.
#[derive(Debug, PartialEq)]
pub(crate) enum Period {
    /// Runs at least this often, in days.
    AtMost(f64),
    /// A schedule whose longest gap payplat cannot bound (some months or years only).
    Unbounded(String),
    /// Not a schedule expression.
    NotASchedule,
}

pub(crate) fn period(expression: &str) -> Period {
    let expression = expression.trim();
    if let Some(rate) = expression
        .strip_prefix("rate(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let mut parts = rate.split_whitespace();
        let (Some(amount), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Period::NotASchedule;
        };
        let Ok(amount) = amount.parse::<f64>() else {
            return Period::NotASchedule;
        };
        let per_day = match unit.trim_end_matches('s') {
            "minute" => 24.0 * 60.0,
            "hour" => 24.0,
            "day" => 1.0,
            _ => return Period::NotASchedule,
        };
        return Period::AtMost(amount / per_day);
    }
    let Some(cron) = expression
        .strip_prefix("cron(")
        .and_then(|c| c.strip_suffix(')'))
    else {
        return Period::NotASchedule;
    };
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let [_, _, day_of_month, month, day_of_week, year] = fields.as_slice() else {
        return Period::NotASchedule;
    };
    let any = |field: &str| matches!(field, "*" | "?");
    if !any(month) || !any(year) {
        return Period::Unbounded(format!("`{expression}` runs in some months or years only"));
    }
    Period::AtMost(match (any(day_of_month), any(day_of_week)) {
        (true, true) => 1.0,
        // Some days of each week; or some days of each month, at most 31 days apart.
        (true, false) => 7.0,
        _ => 31.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_crons_are_bounded_as_aws_runs_them() {
        assert_eq!(period("rate(6 hours)"), Period::AtMost(0.25));
        assert_eq!(period("rate(1 day)"), Period::AtMost(1.0));
        assert_eq!(period("rate(10 days)"), Period::AtMost(10.0));
        assert_eq!(period("cron(0 16 1,15 * ? *)"), Period::AtMost(31.0));
        assert_eq!(period("cron(0 8 ? * MON *)"), Period::AtMost(7.0));
        assert_eq!(period("cron(0 8 * * ? *)"), Period::AtMost(1.0));
        assert!(matches!(period("cron(0 0 1 1 ? *)"), Period::Unbounded(_)));
        assert!(matches!(
            period("cron(0 0 1 * ? 2030)"),
            Period::Unbounded(_)
        ));
        assert_eq!(period("rate(6 weeks)"), Period::NotASchedule);
        assert_eq!(period("every day"), Period::NotASchedule);
        assert_eq!(period("cron(0 0 1 *)"), Period::NotASchedule);
    }
}
