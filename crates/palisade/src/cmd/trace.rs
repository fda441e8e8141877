//! `palisade eval --trace`: streams packet and configuration events through the stateful
//! engine.
