//! Printing results: JSON documents or aligned tables on stdout, notes on stderr, and progress
//! display only for a person at a terminal.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use serde::Serialize;

use crate::args::Format;
use crate::error::{CliError, io};

/// Where and how a command prints.
#[derive(Debug, Clone)]
pub struct Output {
    pub format: Format,
    progress: bool,
}

impl Output {
    pub fn new(format: Format) -> Self {
        // Progress is drawn on stderr, and only when a person is watching both streams: never in
        // JSON mode, and never when either stream goes to a pipe or a file.
        let progress = format == Format::Table && std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        Output { format, progress }
    }

    /// A format for scripts was asked for (`--output json` or `--output yaml`): commands print the
    /// service's typed answer with [`Output::json`] instead of a table.
    pub fn is_json(&self) -> bool {
        matches!(self.format, Format::Json | Format::Yaml)
    }

    /// Prints `value` as one document: pretty-printed JSON, or YAML with `--output yaml`.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), CliError> {
        let text = if self.format == Format::Yaml {
            serde_norway::to_string(value)
                .map(|t| t.trim_end().to_string())
                .map_err(|e| CliError::Unexpected(format!("cannot print the answer as YAML: {e}")))?
        } else {
            serde_json::to_string_pretty(value)
                .map_err(|e| CliError::Unexpected(format!("cannot print the answer as JSON: {e}")))?
        };
        self.text(&text)
    }

    /// Prints a JSON answer in the chosen format; as a table, `items` (a dotted path, `""` for the
    /// answer itself) names the list to show when the operation declares one.
    pub fn answer(&self, value: &serde_json::Value, items: Option<&str>) -> Result<(), CliError> {
        if self.is_json() {
            return self.json(value);
        }
        self.text(&crate::table::render(value, items, crate::table::terminal_width()))
    }

    /// Prints `text` and a line break on stdout.
    pub fn text(&self, text: &str) -> Result<(), CliError> {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{text}").and_then(|()| stdout.flush()).map_err(io("writing to stdout"))
    }

    /// Prints rows under a header, in columns.
    pub fn table(&self, header: &[&str], rows: &[Vec<String>]) -> Result<(), CliError> {
        self.text(&columns(Some(header), rows))
    }

    /// A spinner with `message` and the elapsed time while something slow runs; `None` when no
    /// progress is to be drawn. It is cleared when dropped.
    pub fn spinner(&self, message: impl Into<String>) -> Option<ProgressBar> {
        self.progress_bar("{spinner} {msg} ({elapsed})", message)
    }

    /// A byte counter for a download of unknown size.
    pub fn byte_counter(&self, message: impl Into<String>) -> Option<ProgressBar> {
        self.progress_bar("{spinner} {msg}: {binary_bytes} ({binary_bytes_per_sec})", message)
    }

    fn progress_bar(&self, template: &str, message: impl Into<String>) -> Option<ProgressBar> {
        if !self.progress {
            return None;
        }
        let style = ProgressStyle::with_template(template).ok()?;
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(message.into())
            .with_finish(ProgressFinish::AndClear);
        bar.enable_steady_tick(Duration::from_millis(120));
        Some(bar)
    }
}

/// Aligned columns, two spaces apart; the last column is not padded. Line breaks inside a cell
/// become spaces so that one row stays one line.
pub fn columns(header: Option<&[&str]>, rows: &[Vec<String>]) -> String {
    let clean = |cell: &str| cell.split(['\n', '\r']).collect::<Vec<_>>().join(" ");
    let mut all: Vec<Vec<String>> = Vec::with_capacity(rows.len() + 1);
    if let Some(header) = header {
        all.push(header.iter().map(|h| h.to_string()).collect());
    }
    all.extend(rows.iter().map(|row| row.iter().map(|c| clean(c)).collect()));
    let width = all.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; width];
    for row in &all {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &all {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.pop();
    out
}

/// An optional field for a table cell (`-` when absent).
pub fn cell<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_keep_rows_on_one_line() {
        let rows = vec![vec!["1".into(), "SUCCESS".into(), "x".into()], vec!["12".into(), "a\nb".into(), "y".into()]];
        assert_eq!(columns(Some(&["N", "RESULT", "ID"]), &rows), "N   RESULT   ID\n1   SUCCESS  x\n12  a b      y");
        assert_eq!(columns(None, &[]), "");
    }
}
