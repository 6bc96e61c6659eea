//! TODO (being written)
pub struct SledStore;
