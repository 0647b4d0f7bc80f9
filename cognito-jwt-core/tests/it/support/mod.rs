//! Helpers shared by the test modules.

pub(crate) mod child_process;
pub(crate) mod fixtures;
pub(crate) mod key_server;
