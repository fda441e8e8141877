//! Empty: the test lives in tests/sdk.rs.
