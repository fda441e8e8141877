//! `--help` of the binary and of every subcommand, pinned as snapshots: a diff here is a
//! reviewable change to the command-line interface (`UPDATE_EXPECT=1` rewrites them).

use expect_test::expect_file;

use crate::fixture::{palisade, stdout};

#[track_caller]
fn check(args: &[&str], file: expect_test::ExpectFile) {
    let out = palisade(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    file.assert_eq(&stdout(&out));
}

#[test]
fn top_level_help() {
    check(&["--help"], expect_file!["snapshots/help.txt"]);
}

#[test]
fn subcommand_help() {
    check(&["eval", "--help"], expect_file!["snapshots/eval.txt"]);
    check(&["serve", "--help"], expect_file!["snapshots/serve.txt"]);
    check(&["render", "--help"], expect_file!["snapshots/render.txt"]);
    check(&["agent", "--help"], expect_file!["snapshots/agent.txt"]);
    check(&["reach", "--help"], expect_file!["snapshots/reach.txt"]);
    check(&["audit", "--help"], expect_file!["snapshots/audit.txt"]);
    check(&["preset", "--help"], expect_file!["snapshots/preset.txt"]);
}
