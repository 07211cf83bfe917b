//! Lazy pagination of list operations.
//!
//! [`pages`] turns any "fetch page N" closure into a stream of [`Page`]s that requests the next page
//! only when the previous one has been consumed, and stops
//!
//! - at an empty page (not yielded),
//! - after a short page (fewer items than the page size),
//! - after the page that reaches the total, when the server reports one (offset ≥ total), and
//! - with an `Err` of kind [`ErrorKind::Service`] when the server answers the same non-empty page
//!   twice in a row (it ignores the paging parameters: following it would never end).
//!
//! [`items`] flattens a stream of pages into a stream of items. The `build` helpers
//! ([`jobs_by_project`], [`history`], [`period_history`], [`templates`]) know each Build list
//! operation's flavour of paging, as the spec declares it in `x-codearts-pagination` (checked by
//! `cargo xtask validate`; `tests/pagination.rs` drives every declared operation's helper against a
//! server that pages exactly as declared):
//!
//! | Operation | page parameter | size parameter | items, total |
//! |---|---|---|---|
//! | ShowJobListByProjectId | `page_index`, from 1 | `page_size` | `jobs`, `total` |
//! | ShowListHistory | `offset`, a page index from 0 | `limit` (1–100) | `history_records`, `total` |
//! | ShowListPeriodHistory | `offset`, a page index from 0 | `limit` (1–100) | `history_records`, `total` |
//! | ListTemplates | `page` (a string), from 1 | `page_size` (a string) | `result.items`, `result.total_size` |
//!
//! ```no_run
//! # async fn demo(client: &codearts::build::Client) -> Result<(), codearts::Error> {
//! use futures_util::StreamExt;
//! use codearts::paginate;
//!
//! let jobs = paginate::items(paginate::jobs_by_project(client, "6ecbc5bac7c8442fb3d2563d53c13582", 50));
//! let mut jobs = std::pin::pin!(jobs);
//! while let Some(job) = jobs.next().await {
//!     println!("{:?}", job?.job_name);
//! }
//! # Ok(()) }
//! ```
//!
//! The streams are not `Unpin`: pin them (`std::pin::pin!`, or `StreamExt::boxed`).

use std::future::Future;

use futures_core::Stream;
use futures_util::StreamExt;

use crate::error::{Error, ErrorKind};

/// Which page to fetch: its index counted from 0, and the page size. Each operation's helper
/// translates it to that operation's parameters (a 1-based `page_index`, an `offset`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageRequest {
    /// The page's index, from 0.
    pub index: u32,
    /// Items per page (at least 1).
    pub size: u32,
}

impl PageRequest {
    /// The first page, of `size` items.
    pub fn first(size: u32) -> Self {
        PageRequest { index: 0, size: size.max(1) }
    }

    /// The number of items before this page.
    pub fn offset(&self) -> u64 {
        u64::from(self.index) * u64::from(self.size)
    }

    /// The page after this one.
    pub fn next(&self) -> Self {
        PageRequest { index: self.index + 1, size: self.size }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The total number of items, if the server reports it.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// A page of `items` out of `total` (negative totals, as some servers send, count as unknown).
    pub fn new(items: Vec<T>, total: Option<i64>) -> Self {
        Page { items, total: total.and_then(|t| u64::try_from(t).ok()) }
    }
}

struct State<T, F> {
    fetch: F,
    next: Option<PageRequest>,
    previous: Option<Vec<T>>,
}

/// A lazy stream of the pages `fetch` returns, from `start` on, until one of the stop conditions of
/// the [module documentation](self). An `Err` from `fetch` is yielded and ends the stream (the
/// runtime has already retried it).
pub fn pages<T, F, Fut>(fetch: F, start: PageRequest) -> impl Stream<Item = Result<Page<T>, Error>>
where
    T: PartialEq + Clone,
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, Error>>,
{
    let start = PageRequest { size: start.size.max(1), ..start };
    let state = State { fetch, next: Some(start), previous: None };
    futures_util::stream::unfold(state, |mut state| async move {
        let request = state.next.take()?;
        let page = match (state.fetch)(request).await {
            Ok(page) => page,
            Err(e) => return Some((Err(e), state)),
        };
        if page.items.is_empty() {
            return None;
        }
        if state.previous.as_ref() == Some(&page.items) {
            let e = Error::new(
                ErrorKind::Service,
                format!(
                    "pagination does not advance: page {} has the same {} items as page {}; the server \
                     ignores the paging parameters, stopping",
                    request.index,
                    page.items.len(),
                    request.index.saturating_sub(1)
                ),
            );
            return Some((Err(e), state));
        }
        let short = page.items.len() < request.size as usize;
        let reached_total = page.total.is_some_and(|total| request.offset() + page.items.len() as u64 >= total);
        if !short && !reached_total {
            state.next = Some(request.next());
            state.previous = Some(page.items.clone());
        }
        Some((Ok(page), state))
    })
}

/// The items of a stream of pages, one by one; an `Err` page becomes one `Err` item.
pub fn items<T>(pages: impl Stream<Item = Result<Page<T>, Error>>) -> impl Stream<Item = Result<T, Error>> {
    pages
        .map(|page| {
            let items: Vec<Result<T, Error>> = match page {
                Ok(page) => page.items.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures_util::stream::iter(items)
        })
        .flatten()
}

#[cfg(feature = "build")]
pub use build_lists::{history, jobs_by_project, period_history, templates};

#[cfg(feature = "build")]
mod build_lists {
    use super::{Page, PageRequest, pages};
    use crate::build::{Client, types};
    use crate::error::Error;
    use crate::runtime::CallExt;
    use futures_core::Stream;
    use std::future::Future;

    fn int(value: u32) -> i32 {
        i32::try_from(value).unwrap_or(i32::MAX)
    }

    /// [`pages`] over one operation of `client`: `fetch` gets its own clones of the client and of
    /// `args` (the operation's other parameters) for each page.
    fn paged<A, T, F, Fut>(
        client: &Client,
        args: A,
        page_size: u32,
        fetch: F,
    ) -> impl Stream<Item = Result<Page<T>, Error>> + Send + 'static
    where
        A: Clone + Send + 'static,
        T: PartialEq + Clone + Send + 'static,
        F: Fn(Client, A, PageRequest) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Page<T>, Error>> + Send + 'static,
    {
        let client = client.clone();
        pages(move |request| fetch(client.clone(), args.clone(), request), PageRequest::first(page_size))
    }

    /// The jobs of CodeArts project `project_id` (ShowJobListByProjectId), `page_size` per page.
    pub fn jobs_by_project(
        client: &Client,
        project_id: impl Into<String>,
        page_size: u32,
    ) -> impl Stream<Item = Result<Page<types::BuildJobListItem>, Error>> + Send + 'static {
        paged(client, project_id.into(), page_size, |client, project_id, request| async move {
            let r = client
                .show_job_list_by_project_id()
                .project_id(project_id)
                .page_index(int(request.index.saturating_add(1)))
                .page_size(int(request.size))
                .call()
                .await?;
            Ok(Page::new(r.jobs, r.total.map(i64::from)))
        })
    }

    /// The builds of job `job_id` of the last `interval` days (ShowListHistory), newest first,
    /// `page_size` (1–100) per page.
    pub fn history(
        client: &Client,
        job_id: impl Into<String>,
        interval: i32,
        page_size: u32,
    ) -> impl Stream<Item = Result<Page<types::JobHistoryRecord>, Error>> + Send + 'static {
        paged(client, job_id.into(), page_size, move |client, job_id, request| async move {
            let r = client
                .show_list_history()
                .job_id(job_id)
                .interval(interval)
                .offset(int(request.index))
                .limit(int(request.size))
                .call()
                .await?;
            Ok(Page::new(r.history_records, r.total.map(i64::from)))
        })
    }

    /// The builds of job `job_id` that started between `start_time` and `end_time`
    /// (ShowListPeriodHistory; dates as `yyyy-MM-dd`, at most 30 days apart), `page_size` (1–100)
    /// per page.
    pub fn period_history(
        client: &Client,
        job_id: impl Into<String>,
        start_time: impl Into<String>,
        end_time: impl Into<String>,
        page_size: u32,
    ) -> impl Stream<Item = Result<Page<types::JobPeriodHistoryRecord>, Error>> + Send + 'static {
        let args = (job_id.into(), start_time.into(), end_time.into());
        paged(client, args, page_size, |client, (job_id, start_time, end_time), request| async move {
            let r = client
                .show_list_period_history()
                .job_id(job_id)
                .start_time(start_time)
                .end_time(end_time)
                .offset(int(request.index))
                .limit(int(request.size))
                .call()
                .await?;
            Ok(Page::new(r.history_records, r.total.map(i64::from)))
        })
    }

    /// The account's build templates (ListTemplates), `page_size` per page.
    pub fn templates(
        client: &Client,
        page_size: u32,
    ) -> impl Stream<Item = Result<Page<types::QueryTemplatesItems>, Error>> + Send + 'static {
        paged(client, (), page_size, |client, (), request| async move {
            let r = client
                .list_templates()
                .page(request.index.saturating_add(1).to_string())
                .page_size(request.size.to_string())
                .call()
                .await?;
            let result = r.result.unwrap_or_default();
            Ok(Page::new(result.items, result.total_size.map(i64::from)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().expect("a runtime").block_on(f)
    }

    /// A server of `n` items (0..n) that reports its total or not.
    fn collect_all(n: u32, size: u32, report_total: bool) -> (Vec<Vec<u32>>, Vec<PageRequest>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let stream = pages(
            move |r: PageRequest| {
                s.lock().unwrap().push(r);
                let items: Vec<u32> = (r.offset() as u32..n).take(r.size as usize).collect();
                async move { Ok(Page::new(items, report_total.then_some(i64::from(n)))) }
            },
            PageRequest::first(size),
        );
        let got: Vec<Vec<u32>> = block_on(stream.map(|p| p.unwrap().items).collect());
        let requests = seen.lock().unwrap().clone();
        (got, requests)
    }

    #[test]
    fn stops_on_short_page() {
        let (got, requests) = collect_all(7, 3, false);
        assert_eq!(got, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        assert_eq!(requests.len(), 3);
    }

    #[test]
    fn stops_at_total_without_an_extra_request() {
        let (got, requests) = collect_all(6, 3, true);
        assert_eq!(got, vec![vec![0, 1, 2], vec![3, 4, 5]]);
        assert_eq!(requests.len(), 2, "offset ≥ total: no third request");
    }

    #[test]
    fn stops_on_empty_page() {
        let (got, requests) = collect_all(6, 3, false);
        assert_eq!(got, vec![vec![0, 1, 2], vec![3, 4, 5]]);
        assert_eq!(requests.len(), 3, "the empty third page ends it");
        let (got, _) = collect_all(0, 3, true);
        assert!(got.is_empty());
    }

    #[test]
    fn a_server_that_repeats_a_page_is_an_error() {
        let calls = Arc::new(Mutex::new(0u32));
        let c = calls.clone();
        let stream = pages(
            move |_r: PageRequest| {
                *c.lock().unwrap() += 1;
                async { Ok(Page::new(vec!["a", "b"], None)) }
            },
            PageRequest::first(2),
        );
        let got: Vec<Result<Page<&str>, Error>> = block_on(stream.collect());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].as_ref().unwrap().items, vec!["a", "b"]);
        let e = got[1].as_ref().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Service);
        assert!(e.to_string().contains("does not advance"), "{e}");
        assert_eq!(*calls.lock().unwrap(), 2);
    }

    #[test]
    fn items_flatten_and_errors_end_the_stream() {
        let stream = pages(
            |r: PageRequest| async move {
                match r.index {
                    0 => Ok(Page::new(vec![1, 2], None)),
                    _ => Err(Error::new(ErrorKind::Transport, "boom")),
                }
            },
            PageRequest::first(2),
        );
        let got: Vec<Result<i32, Error>> = block_on(items(stream).collect());
        assert_eq!(got.len(), 3);
        assert_eq!(*got[1].as_ref().unwrap(), 2);
        assert_eq!(got[2].as_ref().unwrap_err().kind(), ErrorKind::Transport);
    }
}
