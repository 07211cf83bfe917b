//! The paginators against the spec's `x-codearts-pagination` declarations: for every declared
//! operation, a loopback server pages exactly as the declaration says (page parameter, first page
//! number, size parameter, items and total paths), and the SDK's helper must walk it across page
//! boundaries to the last item without skipping, repeating or overshooting. A declared operation
//! with no helper fails here, so the spec and `codearts::paginate` cannot drift apart.

#![cfg(feature = "build")]

mod support;

use codearts::build::Client;
use codearts::paginate::{self, Page};
use codearts::region::Service;
use codearts::{Config, Error};
use futures::{Stream, StreamExt};
use secrecy::SecretString;
use serde_json::{Value, json};
use support::loopback::{Recorded, Reply, Server};

fn query_pairs(r: &Recorded) -> Vec<(String, String)> {
    url::form_urlencoded::parse(r.query.as_deref().unwrap_or("").as_bytes()).into_owned().collect()
}

const JOB: &str = "f9d6c8466d614a9788e9a0acf6c15f46";
const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";

/// One operation's declaration, read from the spec.
#[derive(Debug, Clone)]
struct Declared {
    operation: String,
    path: String,
    page: String,
    first_page: u64,
    size: String,
    items: String,
    total: Option<String>,
}

fn declarations() -> Vec<Declared> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/codearts-build.yaml")).unwrap();
    let spec: Value = serde_norway::from_str(&text).unwrap();
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            let Some(d) = op.get("x-codearts-pagination") else { continue };
            let text = |k: &str| d[k].as_str().unwrap().to_string();
            out.push(Declared {
                operation: op["operationId"].as_str().unwrap().to_string(),
                path: path.clone(),
                page: text("page"),
                first_page: d["first-page"].as_u64().unwrap(),
                size: text("size"),
                items: text("items"),
                total: d.get("total").map(|_| text("total")),
            });
        }
    }
    out
}

/// Puts `value` at dotted `path` in `doc`.
fn put(doc: &mut Value, path: &str, value: Value) {
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

/// One distinct item of each operation's list, recognisable by `n`.
fn item(operation: &str, n: u64) -> Value {
    match operation {
        "ShowListHistory" | "ShowListPeriodHistory" => json!({ "record_id": format!("record-{n}"), "build_number": n }),
        "ShowJobListByProjectId" => json!({ "id": format!("job-{n}"), "job_name": format!("job {n}") }),
        "ListTemplates" => json!({ "id": format!("template-{n}"), "name": format!("template {n}") }),
        other => panic!("add an item shape for {other}"),
    }
}

/// Which of the declared behaviours the server keeps to.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Pages as declared, reporting the total.
    Honest,
    /// Pages as declared but never reports a total (the client must stop on a short page).
    NoTotal,
    /// Ignores the page parameter and always answers the first page.
    Repeats,
}

/// A server of `count` items paging as `decl` declares.
async fn serve(decl: &Declared, count: u64, behaviour: Behaviour) -> Server {
    let decl = decl.clone();
    Server::start(move |req: &Recorded, _| {
        let query: Vec<(String, String)> = query_pairs(req);
        let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let (Some(page), Some(size)) = (get(&decl.page), get(&decl.size)) else {
            return Reply::error(400, "CB.00060001", "paging parameters missing");
        };
        let (Ok(page), Ok(size)) = (page.parse::<u64>(), size.parse::<u64>()) else {
            return Reply::error(400, "CB.00060001", "paging parameters not numbers");
        };
        let Some(index) = page.checked_sub(decl.first_page) else {
            return Reply::error(400, "CB.00060001", "page before the first page");
        };
        let index = if matches!(behaviour, Behaviour::Repeats) { 0 } else { index };
        let items: Vec<Value> = (index * size..count).take(size as usize).map(|n| item(&decl.operation, n)).collect();
        let mut body = json!({});
        put(&mut body, &decl.items, Value::Array(items));
        if let (Some(total), false) = (&decl.total, matches!(behaviour, Behaviour::NoTotal)) {
            put(&mut body, total, json!(count));
        }
        Reply::json(200, body)
    })
    .await
}

fn client(base: &str) -> Client {
    let config = Config::builder()
        .endpoint(Service::Build, base)
        .credentials(codearts::credentials::Credentials::Token(SecretString::from("test-token".to_string())))
        .build()
        .unwrap();
    Client::from_config(&config).unwrap()
}

/// The identifiers of every item the operation's paginator yields, or the first error.
async fn walk(client: &Client, operation: &str, page_size: u32) -> Result<Vec<String>, Error> {
    async fn ids<T, S>(pages: S, id: impl Fn(T) -> Option<String>) -> Result<Vec<String>, Error>
    where
        S: Stream<Item = Result<Page<T>, Error>>,
    {
        let mut items = std::pin::pin!(paginate::items(pages));
        let mut out = Vec::new();
        while let Some(item) = items.next().await {
            out.push(id(item?).unwrap_or_default());
        }
        Ok(out)
    }
    match operation {
        "ShowListHistory" => ids(paginate::history(client, JOB, 30, page_size), |r| r.record_id).await,
        "ShowListPeriodHistory" => {
            ids(paginate::period_history(client, JOB, "2021-01-04", "2021-01-14", page_size), |r| r.record_id).await
        }
        "ShowJobListByProjectId" => ids(paginate::jobs_by_project(client, PROJECT, page_size), |j| j.id).await,
        "ListTemplates" => ids(paginate::templates(client, page_size), |t| t.id).await,
        other => panic!("{other} declares x-codearts-pagination but codearts::paginate has no helper for it"),
    }
}

fn expected_ids(operation: &str, count: u64) -> Vec<String> {
    let key = if operation.contains("History") { "record_id" } else { "id" };
    (0..count).map(|n| item(operation, n)[key].as_str().unwrap().to_string()).collect()
}

#[test]
fn every_list_operation_of_the_spec_declares_pagination() {
    let declared: Vec<String> = declarations().into_iter().map(|d| d.operation).collect();
    for op in ["ShowListHistory", "ShowListPeriodHistory", "ShowJobListByProjectId", "ListTemplates"] {
        assert!(declared.contains(&op.to_string()), "{op} is not declared: {declared:?}");
    }
}

#[tokio::test]
async fn each_declared_operation_is_walked_across_page_boundaries_exactly_as_declared() {
    for decl in declarations() {
        // 23 items in pages of 5: four full pages and a short one; the total says stop after it.
        let server = serve(&decl, 23, Behaviour::Honest).await;
        let ids = walk(&client(&server.base), &decl.operation, 5).await.unwrap();
        assert_eq!(ids, expected_ids(&decl.operation, 23), "{}", decl.operation);

        let requests = server.requests();
        assert_eq!(requests.len(), 5, "{}: one request per page, none after the last", decl.operation);
        for (k, r) in requests.iter().enumerate() {
            let template_prefix = decl.path.split('{').next().unwrap();
            assert!(r.path.starts_with(template_prefix), "{}: path {}", decl.operation, r.path);
            let pairs = query_pairs(r);
            let value = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            let page = (decl.first_page + k as u64).to_string();
            assert_eq!(value(&decl.page), Some(page.as_str()), "{}: request {k}", decl.operation);
            assert_eq!(value(&decl.size), Some("5"), "{}: request {k}", decl.operation);
        }
    }
}

#[tokio::test]
async fn without_a_total_the_walk_stops_at_the_short_page_or_the_empty_one() {
    for decl in declarations() {
        // 12 items in pages of 4: the last page is full, so only an empty fourth page ends the walk.
        let server = serve(&decl, 12, Behaviour::NoTotal).await;
        let ids = walk(&client(&server.base), &decl.operation, 4).await.unwrap();
        assert_eq!(ids, expected_ids(&decl.operation, 12), "{}", decl.operation);
        assert_eq!(server.count(), 4, "{}: three full pages, then one empty page", decl.operation);

        let server = serve(&decl, 10, Behaviour::NoTotal).await;
        let ids = walk(&client(&server.base), &decl.operation, 4).await.unwrap();
        assert_eq!(ids.len(), 10, "{}", decl.operation);
        assert_eq!(server.count(), 3, "{}: the short third page ends the walk", decl.operation);
    }
}

#[tokio::test]
async fn a_server_that_ignores_the_page_parameter_is_an_error_not_an_endless_walk() {
    for decl in declarations() {
        let server = serve(&decl, 50, Behaviour::Repeats).await;
        let err = walk(&client(&server.base), &decl.operation, 5).await.unwrap_err();
        assert!(err.to_string().contains("does not advance"), "{}: {err}", decl.operation);
        assert_eq!(server.count(), 2, "{}: the repeat is noticed on the second page", decl.operation);
    }
}
