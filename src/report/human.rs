//! Diagnostics for people: each finding with the offending input underlined, the resource,
//! the construct path and the fix; then one summary line.
//!
//! Plans are often one line of many megabytes, so a finding shows an excerpt: the lines around
//! it, each cut to a window around the offending column.

use super::Report;
use crate::finding::{Finding, Status, Verdict};
use crate::locate::Span;
use crate::text::plural;
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};

/// The widest piece of one line an excerpt shows.
const WINDOW: usize = 100;
/// How much of the line before the offending column the window keeps.
const LEAD: usize = 30;
const WIDTH: usize = 110;

pub fn write(out: &mut dyn Write, report: &Report, color: bool) -> io::Result<()> {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false)
        .with_show_related_as_nested(true);
    let mut sensitive: HashMap<std::path::PathBuf, Vec<Span>> = HashMap::new();
    for finding in report
        .findings
        .iter()
        .filter(|f| f.status == Status::Active)
    {
        let mut masked = |document: &'_ crate::model::Document| -> Vec<Span> {
            sensitive
                .entry(document.path.clone())
                .or_insert_with(|| document.sensitive_spans())
                .clone()
        };
        let mut shown = Shown::new(finding, &masked(finding.document));
        for step in finding.trace.iter().take(TRACE_SHOWN) {
            let excerpt = excerpt_at(
                step.document,
                step.span,
                step.position,
                &masked(step.document),
            );
            shown.trace.push(Hop {
                label: step.label.clone(),
                file: step.document.path.display().to_string(),
                excerpt,
            });
        }
        if finding.trace.len() > TRACE_SHOWN {
            shown.trace.push(Hop {
                label: format!("… and {} more", finding.trace.len() - TRACE_SHOWN),
                file: String::new(),
                excerpt: None,
            });
        }
        let mut rendered = String::new();
        handler
            .render_report(&mut rendered, &shown)
            .map_err(io::Error::other)?;
        writeln!(out, "{rendered}")?;
    }
    let summary = &report.summary;
    let mut line = format!(
        "{} in {}, {} checked: {} failing",
        plural(summary.resources, "resource"),
        plural(summary.files, "file"),
        summary.checked,
        summary.failures
    );
    if !summary.by_severity.is_empty() {
        let by: Vec<String> = summary
            .by_severity
            .iter()
            .rev()
            .map(|(severity, n)| format!("{n} {severity}"))
            .collect();
        line.push_str(&format!(" ({})", by.join(", ")));
    }
    line.push_str(&format!(", {} undetermined", summary.undetermined));
    for (n, what) in [
        (summary.suppressed, "suppressed"),
        (summary.baselined, "in the baseline"),
    ] {
        if n > 0 {
            line.push_str(&format!(", {n} {what}"));
        }
    }
    if summary.errors > 0 {
        line.push_str(&format!(", {} not loaded", plural(summary.errors, "input")));
    }
    if let Some(elapsed) = summary.elapsed {
        line.push_str(&format!(" in {:.2}s", elapsed.as_secs_f64()));
    }
    writeln!(out, "{line}")
}

/// How many steps of a finding's trace the report shows.
const TRACE_SHOWN: usize = 8;

/// One finding as miette renders it, with the way its value came.
struct Shown<'f> {
    finding: &'f Finding<'f>,
    excerpt: Option<Excerpt>,
    trace: Vec<Hop>,
}

impl<'f> Shown<'f> {
    fn new(finding: &'f Finding<'f>, sensitive: &[Span]) -> Self {
        let excerpt = excerpt_at(finding.document, finding.span, finding.position, sensitive);
        Shown {
            finding,
            excerpt,
            trace: Vec::new(),
        }
    }
}

fn excerpt_at(
    document: &crate::model::Document,
    span: Option<Span>,
    position: Option<crate::locate::Position>,
    sensitive: &[Span],
) -> Option<Excerpt> {
    let name = document.path.display().to_string();
    span.zip(position).map(|(span, position)| {
        Excerpt::new(
            &document.text,
            span,
            name,
            (position.line, position.column),
            sensitive,
        )
    })
}

/// One step of a finding's trace, shown after it.
struct Hop {
    label: String,
    file: String,
    excerpt: Option<Excerpt>,
}

impl fmt::Debug for Hop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

impl fmt::Display for Hop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.excerpt, self.file.is_empty()) {
            (None, false) => write!(f, "{} ({})", self.label, self.file),
            _ => f.write_str(&self.label),
        }
    }
}

impl std::error::Error for Hop {}

impl Diagnostic for Hop {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.excerpt.as_ref().map(|e| e as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let excerpt = self.excerpt.as_ref()?;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(None, excerpt.label),
        )))
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.rule.code)
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let finding = self.finding;
        let what = finding.summary.as_deref().unwrap_or(&finding.rule.title);
        write!(f, "{}: {what}", finding.resource.address)?;
        if let Some(path) = &finding.resource.construct_path {
            write!(f, "\n  construct: {path}")?;
        }
        if self.excerpt.is_none() {
            write!(
                f,
                "\n  {} ({})",
                finding.detail,
                finding.document.path.display()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Shown<'_> {}

impl Diagnostic for Shown<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let rule = self.finding.rule;
        let verdict = match self.finding.verdict {
            Verdict::Undetermined => " undetermined",
            _ => "",
        };
        Some(Box::new(format!(
            "{} {} ({}){verdict}",
            rule.code, rule.name, rule.severity
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.verdict {
            Verdict::Fail => miette::Severity::Error,
            _ => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let fixable = |fix: &crate::finding::Fix| match (fix.edits.is_empty(), fix.safety) {
            (true, _) => format!("\nfix {}", fix.note.as_deref().unwrap_or_default()),
            (false, crate::finding::Safety::Safe) => {
                format!("\nfixable with `payplat fix`: {}", fix.title)
            }
            (false, crate::finding::Safety::Unsafe) => {
                format!("\nfixable with `payplat fix --unsafe-fixes`: {}", fix.title)
            }
        };
        match self.finding.verdict {
            Verdict::Fail => match &self.finding.fix {
                Some(fix) => Some(Box::new(format!(
                    "{}{}",
                    self.finding.rule.help,
                    fixable(fix)
                ))),
                None => Some(Box::new(&self.finding.rule.help)),
            },
            _ => Some(Box::new(
                "payplat cannot decide this before apply; check the value once it is known",
            )),
        }
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.excerpt.as_ref().map(|e| e as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let excerpt = self.excerpt.as_ref()?;
        let label =
            LabeledSpan::new_primary_with_span(Some(self.finding.detail.clone()), excerpt.label);
        Some(Box::new(std::iter::once(label)))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.trace.is_empty() {
            return None;
        }
        Some(Box::new(
            self.trace.iter().map(|hop| hop as &dyn Diagnostic),
        ))
    }
}

/// The lines around a finding, long lines cut to a window around its column.
struct Excerpt {
    name: String,
    /// 1-based line and column of the offending part in the file.
    position: (usize, usize),
    text: String,
    /// 0-based line number of the excerpt's first line.
    first_line: usize,
    /// The offending part, in excerpt coordinates.
    label: SourceSpan,
}

impl Excerpt {
    /// `position` is the 1-based line and column of `span.start`; `sensitive` are the spans of
    /// values never to be shown, masked with `*` wherever they fall in the excerpt.
    fn new(
        text: &str,
        span: Span,
        name: String,
        position: (usize, usize),
        sensitive: &[Span],
    ) -> Excerpt {
        // Each search looks at most REACH bytes away: a line longer than that (a plan on one
        // line) is cut anyway, and its context line is not shown.
        let back = |to: usize| {
            let from = floor_boundary(text, to.saturating_sub(REACH));
            match text[from..to].rfind('\n') {
                Some(at) => Some(from + at + 1),
                None => (from == 0).then_some(0),
            }
        };
        let ahead = |from: usize| {
            let to = floor_boundary(text, (from + REACH).min(text.len()));
            match text[from..to].find('\n') {
                Some(at) => Some(from + at),
                None => (to == text.len()).then_some(to),
            }
        };
        let (line_start, whole_start) = match back(span.start) {
            Some(at) => (at, true),
            None => (
                floor_boundary(text, span.start.saturating_sub(REACH)),
                false,
            ),
        };
        let (line_end, whole_end) = match ahead(span.start) {
            Some(at) => (at, true),
            None => (
                floor_boundary(text, (span.start + REACH).min(text.len())),
                false,
            ),
        };
        let region_start = match line_start {
            at if whole_start && at > 0 => back(at - 1).unwrap_or(at),
            at => at,
        };
        // The next line's start is all that is shown of it, however long it is.
        let region_end = match line_end {
            at if whole_end && at < text.len() => ahead(at + 1)
                .unwrap_or_else(|| floor_boundary(text, (at + 1 + REACH).min(text.len()))),
            at => at,
        };
        let region = mask(text, region_start..region_end, sensitive);
        // From here on, offsets are in the region.
        let (span_start, span_end) = (
            span.start - region_start,
            span.end.min(region_end) - region_start,
        );
        let (line_start, line_end) = (line_start - region_start, line_end - region_start);
        let window_start = floor_boundary(&region, span_start.saturating_sub(LEAD).max(line_start));
        let window_end = floor_boundary(&region, (window_start + WINDOW).min(line_end));
        let mut excerpt = String::new();
        let mut first_line = position.0 - 1;
        if line_start > 0 {
            excerpt.push_str(&cut(&region[..line_start - 1]));
            excerpt.push('\n');
            first_line -= 1;
        }
        if window_start > line_start {
            excerpt.push('…');
        }
        let label_start = excerpt.len() + (span_start - window_start);
        excerpt.push_str(&region[window_start..window_end]);
        if window_end < line_end {
            excerpt.push('…');
        }
        let label_len = (span_end.min(window_end).max(span_start + 1) - span_start)
            .min(excerpt.len() - label_start);
        if line_end < region.len() {
            excerpt.push('\n');
            excerpt.push_str(&cut(&region[line_end + 1..]));
        }
        Excerpt {
            name,
            position,
            text: excerpt,
            first_line,
            label: SourceSpan::new(label_start.into(), label_len),
        }
    }
}

/// The text of `range` with every byte of a sensitive value replaced by `*` (a string keeps its
/// quotes). Lengths do not change, so offsets stay valid.
fn mask(text: &str, range: std::ops::Range<usize>, sensitive: &[Span]) -> String {
    let mut bytes = text.as_bytes()[range.clone()].to_vec();
    for span in sensitive {
        let (mut start, mut end) = (span.start, span.end);
        if text.as_bytes().get(start) == Some(&b'"') && end > start + 1 {
            start += 1;
            end -= 1;
        }
        let (from, to) = (start.max(range.start), end.min(range.end));
        if from < to {
            bytes[from - range.start..to - range.start].fill(b'*');
        }
    }
    String::from_utf8(bytes).unwrap_or_default()
}

/// How far from a finding its excerpt looks for the ends of its lines.
const REACH: usize = 64 * 1024;

/// A context line, cut to the window.
fn cut(line: &str) -> String {
    match line.char_indices().nth(WINDOW) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
    }
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl SourceCode for Excerpt {
    /// With context, the whole excerpt; without (as for the `[file:line:column]` header), the
    /// offending line, placed at its true line and column in the file.
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, miette::MietteError> {
        let contents = if before == 0 && after == 0 {
            let start = self.text[..span.offset().min(self.text.len())]
                .rfind('\n')
                .map_or(0, |at| at + 1);
            let end = self.text[start..]
                .find('\n')
                .map_or(self.text.len(), |at| start + at);
            MietteSpanContents::new_named(
                self.name.clone(),
                &self.text.as_bytes()[start..end],
                SourceSpan::new(start.into(), end - start),
                self.position.0 - 1,
                self.position.1 - 1,
                1,
            )
        } else {
            MietteSpanContents::new_named(
                self.name.clone(),
                self.text.as_bytes(),
                SourceSpan::new(0.into(), self.text.len()),
                self.first_line,
                0,
                self.text.matches('\n').count() + 1,
            )
        };
        Ok(Box::new(contents))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt(text: &str, at: usize, position: (usize, usize)) -> String {
        let span = Span {
            start: at,
            end: at + 1,
            key_start: None,
        };
        Excerpt::new(text, span, "f".into(), position, &[]).text
    }

    #[test]
    fn an_excerpt_shows_the_lines_around_a_finding_however_long_the_file() {
        let text = "{\n  \"a\": 1,\n  \"b\": 2\n}\n";
        let at = text.find("\"a\"").unwrap();
        assert_eq!(excerpt(text, at, (2, 3)), "{\n  \"a\": 1,\n  \"b\": 2");
        // A plan on one line, far longer than the reach of a search: the window around the
        // finding, cut on both sides, with nothing of the file beyond it copied.
        let long = format!("[{}\"x\"{}]", "0,".repeat(REACH), ",0".repeat(REACH));
        let at = long.find('x').unwrap();
        let shown = excerpt(&long, at, (1, at + 1));
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert!(
            shown.contains("\"x\"") && shown.len() < 2 * WINDOW,
            "{shown}"
        );
        // A long line before the finding's: not shown, rather than found by a scan of it.
        let after_long = format!("{}\n  \"y\": 1\n", "0".repeat(2 * REACH));
        let at = after_long.find('y').unwrap();
        assert_eq!(excerpt(&after_long, at, (2, 4)), "  \"y\": 1\n");
    }
}
