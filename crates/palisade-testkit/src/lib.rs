//! palisade-testkit.
