//! The console's HTTP, driven with `oneshot` over `mount(router, console)`: sign-in and its
//! refusals, the session cookie's flags, CSRF, account isolation, the preview that saves
//! nothing, and a form's EC2 error compared with the API's answer to the same input.
#![allow(clippy::unwrap_used)]

mod harness;
mod http;
