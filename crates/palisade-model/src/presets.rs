//! Presets: the rules of every use case on the EC2 page "Security group rules for different
//! use cases" (`shared/USE-CASES.md`).
