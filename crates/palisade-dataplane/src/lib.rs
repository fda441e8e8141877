//! palisade-dataplane.
