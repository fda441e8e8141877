//! `Engine::decide == reference::decide` (verdict and matched rules) and
//! `Engine::allows == verdict`, on random small snapshots and packets aimed at them.
//! The case count follows `PROPTEST_CASES` (CI sets 10,000).

use palisade_engine::{Verdict, compile, reference};
use palisade_testkit::strategies::snapshot_and_packets;
use palisade_testkit::{AccountConfig, PacketGen, account};
use proptest::prelude::*;

proptest! {
    #[test]
    fn compiled_agrees_with_reference((snap, packets) in snapshot_and_packets(8)) {
        let engine = compile(&snap);
        for pkt in &packets {
            let want = reference::decide(&snap, pkt);
            let got = engine.decide(pkt);
            prop_assert_eq!(&got, &want, "packet {:?}", pkt);
            let allows = engine.allows(pkt);
            prop_assert_eq!(allows, want.map(|d| d.verdict == Verdict::Allow), "packet {:?}", pkt);
        }
    }
}

/// A generated account of benchmark shape (group references to groups of hundreds of
/// interfaces, prefix lists, peerings), checked packet by packet.
#[test]
fn compiled_agrees_with_reference_on_generated_account() {
    let snap = account(AccountConfig {
        rules: 3_000,
        seed: 7,
    });
    let engine = compile(&snap);
    let packets = PacketGen::new(&snap).packets(11, 3_000);
    let mut allowed = 0;
    for pkt in &packets {
        let want = reference::decide(&snap, pkt).expect("generated packets name known interfaces");
        assert_eq!(engine.decide(pkt).as_ref(), Ok(&want), "packet {pkt:?}");
        assert_eq!(engine.allows(pkt), Ok(want.verdict == Verdict::Allow));
        allowed += usize::from(want.verdict == Verdict::Allow);
    }
    // The generator must exercise both outcomes, or this test proves little.
    assert!(
        allowed > packets.len() / 10 && allowed < packets.len() * 9 / 10,
        "{allowed} allowed"
    );
}
