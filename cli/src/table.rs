//! Any JSON answer as a table for a person: a list (the operation's declared items, or the one list
//! the answer holds) becomes rows with the columns that fit the terminal, chosen by how telling
//! each field is (IDs, names and statuses first); anything else becomes `field  value` lines.

use serde_json::Value;

use crate::output::columns;

/// The terminal's width in columns (`COLUMNS` when set, else the terminal's, else 120).
pub fn terminal_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse().ok()) {
        return n;
    }
    terminal_size::terminal_size().map_or(120, |(w, _)| usize::from(w.0))
}

/// `value` as a table no wider than `width` (where the columns allow it).
pub fn render(value: &Value, items: Option<&str>, width: usize) -> String {
    match list_of(value, items) {
        Some((label, rows)) => {
            let mut out = rows_table(rows, width);
            let rest = scalars(value, "");
            let shown =
                |k: &str| k == label || k.starts_with(&format!("{label}.")) || k.rsplit('.').next() == Some(label);
            let rest: Vec<_> = rest.into_iter().filter(|(k, _)| !label.is_empty() && !shown(k)).collect();
            if !rest.is_empty() {
                out.push_str("\n\n");
                out.push_str(&fields_table(&rest, width));
            }
            out
        }
        None => fields_table(&scalars(value, ""), width),
    }
}

/// The list to show: at `items` (dotted), or the answer itself if it is an array, or the only
/// array of objects among the answer's fields (one level down too, as in `{"result": {"x": […]}}`).
fn list_of<'a>(value: &'a Value, items: Option<&'a str>) -> Option<(&'a str, &'a [Value])> {
    if let Some(path) = items {
        let mut at = value;
        for part in path.split('.').filter(|p| !p.is_empty()) {
            at = at.get(part)?;
        }
        return at.as_array().map(|a| (path, a.as_slice()));
    }
    if let Value::Array(a) = value {
        return Some(("", a.as_slice()));
    }
    let mut found = Vec::new();
    let obj = value.as_object()?;
    for (k, v) in obj {
        match v {
            Value::Array(a) if a.iter().any(Value::is_object) => found.push((k.as_str(), a.as_slice())),
            Value::Object(inner) => {
                for (k2, v2) in inner {
                    if let Value::Array(a) = v2
                        && a.iter().any(Value::is_object)
                    {
                        found.push((k2.as_str(), a.as_slice()));
                    }
                }
            }
            _ => {}
        }
    }
    (found.len() == 1).then(|| found[0])
}

/// The scalar fields of `value`, flattened with dotted names (arrays of scalars joined).
fn scalars(value: &Value, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                let name = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                match v {
                    Value::Object(_) => out.extend(scalars(v, &name)),
                    Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
                        out.push((name, a.iter().map(text).collect::<Vec<_>>().join(",")))
                    }
                    Value::Array(a) => out.push((name, format!("[{} items]", a.len()))),
                    other => out.push((name, text(other))),
                }
            }
        }
        Value::Array(_) => {}
        other => out.push((prefix.to_string(), text(other))),
    }
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// How telling a column is: lower first.
fn rank(name: &str) -> u8 {
    let leaf = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    match leaf.as_str() {
        "id" => 0,
        n if n.ends_with("_id") || n.ends_with("id") && n.len() <= 12 => 1,
        "name" | "job_name" | "task_name" | "pipeline_name" => 1,
        n if n.contains("name") => 2,
        n if n.contains("status") || n == "result" || n.contains("state") => 2,
        n if n.contains("time") || n.contains("date") || n.starts_with("create") || n.starts_with("update") => 4,
        n if n.contains("description") || n.contains("url") || n.contains("msg") || n.contains("message") => 6,
        _ => 5,
    }
}

fn clip(cell: &str, max: usize) -> String {
    if cell.chars().count() <= max {
        return cell.to_string();
    }
    let mut out: String = cell.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn rows_table(rows: &[Value], width: usize) -> String {
    if rows.is_empty() {
        return "(no items)".into();
    }
    let flat: Vec<Vec<(String, String)>> = rows.iter().map(|r| scalars(r, "")).collect();
    // Columns in first-seen order, then by rank; kept while they fit.
    let mut names: Vec<String> = Vec::new();
    for row in &flat {
        for (k, _) in row {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    let order: Vec<usize> = {
        let mut idx: Vec<usize> = (0..names.len()).collect();
        idx.sort_by_key(|&i| (rank(&names[i]), i));
        idx
    };
    let cell_of = |row: &Vec<(String, String)>, name: &str| {
        row.iter().find(|(k, _)| k == name).map_or_else(|| "-".to_string(), |(_, v)| clip(v, 40))
    };
    let mut chosen: Vec<usize> = Vec::new();
    let mut used = 0usize;
    for i in order {
        let w = flat.iter().map(|r| cell_of(r, &names[i]).chars().count()).max().unwrap_or(0).max(names[i].len());
        if !chosen.is_empty() && used + w + 2 > width {
            continue;
        }
        used += w + 2;
        chosen.push(i);
    }
    // Shown in rank order (IDs and names first), not the answer's (alphabetical) order.
    let header: Vec<String> = chosen.iter().map(|&i| names[i].to_ascii_uppercase()).collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let body: Vec<Vec<String>> = flat.iter().map(|r| chosen.iter().map(|&i| cell_of(r, &names[i])).collect()).collect();
    let hidden = names.len() - chosen.len();
    let mut out = columns(Some(&header), &body);
    if hidden > 0 {
        out.push_str(&format!("\n({} rows; {hidden} more field(s) with --output json)", rows.len()));
    }
    out
}

fn fields_table(fields: &[(String, String)], width: usize) -> String {
    if fields.is_empty() {
        return "(empty answer)".into();
    }
    let mut fields = fields.to_vec();
    fields.sort_by_key(|(k, _)| rank(k));
    let key = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let room = width.saturating_sub(key + 2).max(20);
    let rows: Vec<Vec<String>> = fields.iter().map(|(k, v)| vec![k.clone(), clip(v, room)]).collect();
    columns(None, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_declared_list_becomes_rows_with_the_telling_columns_first() {
        let answer = json!({"total": 2, "jobs": [
            {"id": "a1", "job_name": "one", "description": "long text", "last_build_status": "blue"},
            {"id": "b2", "job_name": "two", "description": "x", "last_build_status": "red"}
        ]});
        let out = render(&answer, Some("jobs"), 200);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("ID"), "{out}");
        assert!(lines[1].contains("a1") && lines[1].contains("one") && lines[1].contains("blue"), "{out}");
        assert!(out.contains("total"), "the other fields follow: {out}");
    }

    #[test]
    fn narrow_terminals_drop_the_least_telling_columns() {
        let answer = json!([{"id": "a1", "name": "n", "description": "a fairly long description of the thing"}]);
        let out = render(&answer, None, 12);
        assert!(out.contains("a1") && !out.contains("fairly"), "{out}");
        assert!(out.contains("more field(s)"), "{out}");
    }

    #[test]
    fn an_object_becomes_field_lines_and_the_only_list_is_found() {
        assert_eq!(render(&json!({"result": true, "info": {"x": 1}}), None, 80), "result  true\ninfo.x  1");
        let nested = json!({"result": {"items": [{"id": 1}]}, "status": "success"});
        assert!(render(&nested, None, 80).starts_with("ID\n1"), "{}", render(&nested, None, 80));
        assert_eq!(render(&json!([]), None, 80), "(no items)");
    }
}
