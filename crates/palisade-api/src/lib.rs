//! palisade-api.
