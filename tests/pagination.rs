//! The generated paginators against the specs' `x-codearts-pagination` declarations: for every
//! declared operation of every service (`codearts::<service>::operations::PAGINATED`, generated
//! from the same declarations), a loopback server pages exactly as the declaration says (the page
//! position in the query or the JSON body, a page number from 0 or 1 or an item offset, the size,
//! the dotted paths of the items and the total), and the paginator must walk it across page
//! boundaries to the last item without skipping, repeating or overshooting. Nothing here is written
//! per operation: the other parameters come from each operation's example request line.

#![cfg(all(feature = "build", feature = "check", feature = "pipeline"))]

mod support;

use codearts::paginate::{ByName, PageKind};
use codearts::region::Service;
use codearts::{Config, Error};
use futures::StreamExt;
use secrecy::SecretString;
use serde_json::{Value, json};
use support::loopback::{Recorded, Reply, Server};

/// One operation's declaration and what the test needs of its spec.
#[derive(Debug, Clone)]
struct Declared {
    operation: String,
    page: String,
    kind: PageKind,
    first_page: u64,
    size: String,
    items: String,
    total: Option<String>,
    /// An item of the list as the spec's schema has it, and the field that tells items apart.
    item: Value,
    marker: Marker,
    /// The operation's parameters, from its example request line (`support::args`).
    args: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
enum Marker {
    /// Items are objects; this string field tells them apart.
    Field(String),
    /// Items are objects; this integer field tells them apart.
    Number(String),
    /// Items are strings.
    Itself,
}

fn spec(file: &str) -> Value {
    let text = std::fs::read_to_string(format!("{}/spec/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    serde_norway::from_str(&text).unwrap()
}

fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    codearts_codegen::spec::resolve(spec, node)
}

fn declarations(file: &str) -> Vec<Declared> {
    let spec = spec(file);
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            let Some(decl) = codearts_codegen::spec::Pagination::of(op) else { continue };
            let decl = decl.unwrap();
            let body = codearts_codegen::spec::json_media(op.pointer("/responses/200/content").unwrap()).unwrap();
            let items = codearts_codegen::spec::walk(&spec, body, &decl.items).unwrap();
            let schema = resolve(&spec, &items["items"]);
            let property = |ty: &str| {
                schema.get("properties").and_then(Value::as_object).and_then(|props| {
                    props.iter().find(|(_, s)| resolve(&spec, s).get("type").and_then(Value::as_str) == Some(ty))
                })
            };
            let (item, marker) = if schema.get("type").and_then(Value::as_str) == Some("string") {
                (json!(""), Marker::Itself)
            } else if let Some((name, _)) = property("string") {
                (json!({}), Marker::Field(name.clone()))
            } else if let Some((name, _)) = property("integer") {
                (json!({}), Marker::Number(name.clone()))
            } else {
                panic!("{}: the items have no string or integer field to tell them apart", op["operationId"])
            };
            out.push(Declared {
                operation: op["operationId"].as_str().unwrap().to_string(),
                page: decl.page,
                kind: match decl.kind {
                    codearts_codegen::spec::PageKind::Page => PageKind::Page,
                    codearts_codegen::spec::PageKind::Offset => PageKind::Offset,
                },
                first_page: decl.first_page.unwrap_or(0),
                size: decl.size,
                items: decl.items,
                total: decl.total,
                item,
                marker,
                args: support::args::arguments(&spec, op, path),
            });
        }
    }
    out
}

impl Declared {
    /// The `n`th item of the list.
    fn item(&self, n: u64) -> Value {
        match &self.marker {
            Marker::Itself => json!(format!("item-{n}")),
            Marker::Field(f) => {
                let mut v = self.item.clone();
                v[f] = json!(format!("item-{n}"));
                v
            }
            Marker::Number(f) => {
                let mut v = self.item.clone();
                v[f] = json!(n);
                v
            }
        }
    }

    fn id_of(&self, item: &Value) -> String {
        match &self.marker {
            Marker::Itself => item.as_str().unwrap_or_default().to_string(),
            Marker::Field(f) => item[f].as_str().unwrap_or_default().to_string(),
            Marker::Number(f) => format!("item-{}", item[f]),
        }
    }

    fn expected(&self, count: u64) -> Vec<String> {
        (0..count).map(|n| self.id_of(&self.item(n))).collect()
    }

    /// The page position and size a request carries, where the declaration puts them.
    fn position(&self, r: &Recorded) -> Option<(u64, u64)> {
        let query: Vec<(String, String)> =
            url::form_urlencoded::parse(r.query.as_deref().unwrap_or("").as_bytes()).into_owned().collect();
        let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        let get = |key: &str| match key.strip_prefix("body.") {
            Some(field) => match &body[field] {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            },
            None => query.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.parse().ok()),
        };
        Some((get(&self.page)?, get(&self.size)?))
    }
}

/// Puts `value` at dotted `path` in `doc` (`''`: `doc` becomes `value`).
fn put(doc: &mut Value, path: &str, value: Value) {
    if path.is_empty() {
        *doc = value;
        return;
    }
    let mut node = doc;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            node[part] = value;
            return;
        }
        node = &mut node[part];
    }
}

/// Which of the declared behaviours the server keeps to.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Pages as declared, reporting the total.
    Honest,
    /// Pages as declared but never reports a total (the client must stop on a short page).
    NoTotal,
    /// Ignores the page position and always answers the first page.
    Repeats,
}

/// A server of `count` items paging as `decl` declares.
async fn serve(decl: &Declared, count: u64, behaviour: Behaviour) -> Server {
    let decl = decl.clone();
    Server::start(move |req: &Recorded, _| {
        let Some((position, size)) = decl.position(req) else {
            return Reply::error(400, "TEST.400", "paging parameters missing or not numbers");
        };
        let index = match decl.kind {
            PageKind::Page => match position.checked_sub(decl.first_page) {
                Some(index) => index,
                None => return Reply::error(400, "TEST.400", "page before the first page"),
            },
            PageKind::Offset if size > 0 && position % size == 0 => position / size,
            PageKind::Offset => return Reply::error(400, "TEST.400", "offset not at a page boundary"),
        };
        let index = if matches!(behaviour, Behaviour::Repeats) { 0 } else { index };
        let items: Vec<Value> = (index * size..count).take(size as usize).map(|n| decl.item(n)).collect();
        let mut body = json!({});
        put(&mut body, &decl.items, Value::Array(items));
        if let (Some(total), false) = (&decl.total, matches!(behaviour, Behaviour::NoTotal)) {
            put(&mut body, total, json!(count));
        }
        Reply::json(200, body)
    })
    .await
}

fn config(base: &str) -> Config {
    Config::builder()
        .endpoint(Service::Build, base)
        .endpoint(Service::Check, base)
        .endpoint(Service::Pipeline, base)
        .credentials(codearts::credentials::Credentials::Token(SecretString::from("test-token".to_string())))
        .build()
        .unwrap()
}

/// The identifiers of every item the operation's generated paginator yields, or the first error.
async fn walk<C>(client: &C, by_name: &ByName<C>, decl: &Declared, size: u32) -> Result<Vec<String>, Error> {
    let input = decl.args.iter().fold(codearts::dynamic::Input::new(), |input, (n, v)| input.arg(n, v));
    let pages = (by_name.pages)(client, &input, size).unwrap_or_else(|e| panic!("{}: {e}", decl.operation));
    let mut pages = std::pin::pin!(pages);
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        out.extend(page?.items.iter().map(|i| decl.id_of(i)));
    }
    Ok(out)
}

/// Every declared operation of one service: its generated table matches the spec, and each one
/// walks the three servers correctly.
async fn service<C>(file: &str, table: &[ByName<C>], client: impl Fn(&Config) -> C) {
    let declared = declarations(file);
    let names: Vec<&str> = declared.iter().map(|d| d.operation.as_str()).collect();
    let generated: Vec<&str> = table.iter().map(|b| b.paging.operation).collect();
    assert_eq!(
        generated.iter().copied().collect::<std::collections::BTreeSet<_>>(),
        names.iter().copied().collect(),
        "{file}: the generated paginators are the declared ones"
    );
    for decl in &declared {
        let by_name = table.iter().find(|b| b.paging.operation == decl.operation).unwrap();
        assert_eq!(
            (by_name.paging.kind, by_name.paging.first_page),
            (decl.kind, decl.first_page),
            "{}",
            decl.operation
        );

        // 23 items in pages of 5: four full pages and a short one; the total says stop after it.
        let server = serve(decl, 23, Behaviour::Honest).await;
        let ids = walk(&client(&config(&server.base)), by_name, decl, 5).await.unwrap();
        assert_eq!(ids, decl.expected(23), "{}", decl.operation);
        let positions: Vec<(u64, u64)> = server.requests().iter().filter_map(|r| decl.position(r)).collect();
        let expected: Vec<(u64, u64)> = (0..5)
            .map(|k| match decl.kind {
                PageKind::Page => (decl.first_page + k, 5),
                PageKind::Offset => (5 * k, 5),
            })
            .collect();
        assert_eq!(positions, expected, "{}: one request per page, none after the last", decl.operation);

        // Without a total: 12 items in pages of 4 end with an empty fourth page; 10 with a short third.
        let server = serve(decl, 12, Behaviour::NoTotal).await;
        let ids = walk(&client(&config(&server.base)), by_name, decl, 4).await.unwrap();
        assert_eq!(ids, decl.expected(12), "{}", decl.operation);
        assert_eq!(server.count(), 4, "{}: three full pages, then one empty page", decl.operation);
        let server = serve(decl, 10, Behaviour::NoTotal).await;
        let ids = walk(&client(&config(&server.base)), by_name, decl, 4).await.unwrap();
        assert_eq!(ids.len(), 10, "{}", decl.operation);
        assert_eq!(server.count(), 3, "{}: the short third page ends the walk", decl.operation);

        // A server that ignores the page position: an error, not an endless walk.
        let server = serve(decl, 50, Behaviour::Repeats).await;
        let err = walk(&client(&config(&server.base)), by_name, decl, 5).await.unwrap_err();
        assert!(err.to_string().contains("does not advance"), "{}: {err}", decl.operation);
        assert_eq!(server.count(), 2, "{}: the repeat is noticed on the second page", decl.operation);
    }
}

#[tokio::test]
async fn every_build_list_operation_pages_as_declared() {
    service("codearts-build.yaml", codearts::build::operations::PAGINATED, |c| {
        codearts::build::Client::from_config(c).unwrap()
    })
    .await;
}

#[tokio::test]
async fn every_check_list_operation_pages_as_declared() {
    service("codearts-check.yaml", codearts::check::operations::PAGINATED, |c| {
        codearts::check::Client::from_config(c).unwrap()
    })
    .await;
}

#[tokio::test]
async fn every_pipeline_list_operation_pages_as_declared() {
    service("codearts-pipeline.yaml", codearts::pipeline::operations::PAGINATED, |c| {
        codearts::pipeline::Client::from_config(c).unwrap()
    })
    .await;
}
