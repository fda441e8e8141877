//! palisade-analysis.
