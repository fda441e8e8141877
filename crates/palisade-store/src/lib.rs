//! palisade-store.
