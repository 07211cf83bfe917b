//! CodeArts Check: the handlers of its operations, by vendor name, and the service's state.

use crate::dispatch::Handler;

/// Check's resources (tasks, runs, defects, rulesets), kept in the emulator's [`crate::state::Data`].
#[derive(Debug, Default)]
pub(crate) struct CheckData {}

/// The handler of Check operation `id`.
pub(crate) fn handler(id: &str) -> Option<Handler> {
    let _ = id;
    None
}
