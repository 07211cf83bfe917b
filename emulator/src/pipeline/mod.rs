//! CodeArts Pipeline: the handlers of its operations, by vendor name, and the service's state.

use crate::dispatch::Handler;

/// Pipeline's resources (pipelines, runs, templates, groups, rules, strategies, plug-ins), kept in
/// the emulator's [`crate::state::Data`].
#[derive(Debug, Default)]
pub(crate) struct PipelineData {}

/// The handler of Pipeline operation `id`.
pub(crate) fn handler(id: &str) -> Option<Handler> {
    let _ = id;
    None
}
