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
//! [`items`] flattens a stream of pages into a stream of items.
//!
//! Every operation whose spec declares `x-codearts-pagination` has a generated `into_paginator()`
//! on its builder (a [`Paginator`], as aws-sdk-rust's): set the operation's other parameters, then
//! stream `.items()` or `.pages()`. The generated [`Paginated`] impl knows the operation's flavour
//! of paging (a page number from 0 or 1, or an item offset; in the query or in the JSON body; the
//! dotted path of the items and of the total), so nothing here is written per operation:
//! `tests/pagination.rs` drives every declared operation against a server that pages exactly as
//! its spec declares.
//!
//! ```no_run
//! # #[cfg(feature = "build")]
//! # async fn demo(client: &codearts::build::Client) -> Result<(), codearts::Error> {
//! use futures_util::StreamExt;
//!
//! let history = client.show_list_history().job_id("f9d6c8466d614a9788e9a0acf6c15f46").interval(7);
//! let mut records = std::pin::pin!(history.into_paginator().page_size(20).items());
//! while let Some(record) = records.next().await {
//!     let record = record?;
//!     println!("#{:?} {:?}", record.build_number, record.record_id);
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

/// How an operation pages, as its spec's `x-codearts-pagination` declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// The operation's vendor name.
    pub operation: &'static str,
    /// What the page position counts.
    pub kind: PageKind,
    /// For [`PageKind::Page`], the number of the first page (0 or 1).
    pub first_page: u64,
    /// The largest page size the reference allows.
    pub max_size: Option<u32>,
}

/// What a page position counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// A page number, from [`Paging::first_page`].
    Page,
    /// The offset of the page's first item.
    Offset,
}

impl Paging {
    /// The value of the operation's page parameter for `request`.
    pub fn position(&self, request: PageRequest) -> u64 {
        match self.kind {
            PageKind::Page => self.first_page + u64::from(request.index),
            PageKind::Offset => request.offset(),
        }
    }

    /// The page size a paginator uses unless told otherwise: the largest the reference allows, up
    /// to 100.
    pub fn default_size(&self) -> u32 {
        self.max_size.unwrap_or(100).clamp(1, 100)
    }
}

/// Implemented (by generated code) for the builder of every operation that declares
/// `x-codearts-pagination`: how to ask for one page, and where the page's items and total are.
pub trait Paginated: crate::runtime::Operation + Clone {
    /// One item of the list.
    type Item: PartialEq + Clone + Send;
    /// How the operation pages.
    const PAGING: Paging;
    /// The builder with its page parameters set (`position` as [`Paging::position`] computes it).
    fn at(self, position: u64, size: u32) -> Self;
    /// The page an answer holds.
    fn page_of(output: Self::Output) -> Page<Self::Item>;
}

/// A paginator's pages with each item as JSON: what [`ByName`] walks.
pub type JsonPages<'a> = std::pin::Pin<Box<dyn Stream<Item = Result<Page<serde_json::Value>, Error>> + Send + 'a>>;

/// One list operation's paginator, reachable by its name (`codearts::<service>::operations::PAGINATED`):
/// its parameters other than the paging ones come from strings, by name. Generated for every
/// operation that declares `x-codearts-pagination`, for test suites that walk every list operation
/// and for command lines.
pub struct ByName<C: 'static> {
    /// How the operation pages.
    pub paging: Paging,
    /// Its pages of `size` items, its parameters and body set from a dynamic input as
    /// [`crate::dynamic`] reads it (`Err`: one that does not parse or fit, before anything is sent).
    pub pages: PagesFn<C>,
}

/// How a [`ByName`] starts its pages.
pub type PagesFn<C> = for<'a> fn(&'a C, &crate::dynamic::Input, u32) -> Result<JsonPages<'a>, Error>;

impl<C> std::fmt::Debug for ByName<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByName").field("paging", &self.paging).finish_non_exhaustive()
    }
}

/// `paginator`'s pages as [`JsonPages`].
pub fn json_pages<'a, B>(paginator: Paginator<B>) -> JsonPages<'a>
where
    B: Paginated + Send + 'a,
    B::Item: serde::Serialize,
    B::Output: Send,
{
    Box::pin(paginator.pages().map(|page| {
        page.map(|p| Page {
            items: p.items.iter().map(|i| serde_json::to_value(i).unwrap_or(serde_json::Value::Null)).collect(),
            total: p.total,
        })
    }))
}

/// The pages of one list operation, from the builder's `into_paginator()`: every parameter the
/// builder was given is sent with each page, the paging parameters are the paginator's.
///
/// ```no_run
/// # #[cfg(feature = "build")]
/// # async fn demo(client: &codearts::build::Client) -> Result<(), codearts::Error> {
/// use futures_util::StreamExt;
///
/// let jobs = client.show_job_list_by_project_id().project_id("6ecbc5bac7c8442fb3d2563d53c13582");
/// let mut jobs = std::pin::pin!(jobs.into_paginator().page_size(50).items());
/// while let Some(job) = jobs.next().await {
///     println!("{:?}", job?.job_name);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a paginator does nothing until its pages or items are polled"]
pub struct Paginator<B> {
    builder: B,
    size: Option<u32>,
    start: u32,
}

impl<B: Paginated> Paginator<B> {
    /// A paginator over `builder`'s operation (what `into_paginator()` returns).
    pub fn new(builder: B) -> Self {
        Paginator { builder, size: None, start: 0 }
    }

    /// Items per page (default [`Paging::default_size`]; at least 1, at most the reference's
    /// maximum).
    pub fn page_size(mut self, size: u32) -> Self {
        let max = B::PAGING.max_size.unwrap_or(u32::MAX);
        self.size = Some(size.clamp(1, max.max(1)));
        self
    }

    /// Starts at the page with this index (0 is the first page, whatever the operation numbers it).
    pub fn starting_at(mut self, index: u32) -> Self {
        self.start = index;
        self
    }

    /// The pages, fetched lazily (see the [module documentation](self) for when they stop).
    pub fn pages(self) -> impl Stream<Item = Result<Page<B::Item>, Error>> + Send
    where
        B: Send,
        B::Output: Send,
    {
        let Paginator { builder, size, start } = self;
        let size = size.unwrap_or_else(|| B::PAGING.default_size());
        pages(
            move |request: PageRequest| {
                let call = builder.clone().at(B::PAGING.position(request), request.size);
                async move { crate::runtime::CallExt::call(call).await.map(B::page_of) }
            },
            PageRequest { index: start, size },
        )
    }

    /// The items of every page, one by one.
    pub fn items(self) -> impl Stream<Item = Result<B::Item, Error>> + Send
    where
        B: Send,
        B::Output: Send,
    {
        items(self.pages())
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
