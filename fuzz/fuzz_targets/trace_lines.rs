//! The `palisade eval --trace` line parser (`palisade_trace`) on arbitrary text, replayed as
//! the binary does over the example snapshot (`examples/snapshot/`): packets go through the
//! flow table, changes through `palisade_ec2`'s `IpPermissions` conversion and the group's
//! authorize/revoke. Nothing may panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use palisade_engine::flow::FlowTable;
use palisade_model::{AuthorizeCtx, Quotas, SeqIdGen, Snapshot, Timestamp};
use palisade_trace::Event;

fn snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let docs = [
            (
                "vpcs",
                include_str!("../../examples/snapshot/describe-vpcs.json"),
            ),
            (
                "subnets",
                include_str!("../../examples/snapshot/describe-subnets.json"),
            ),
            (
                "peerings",
                include_str!("../../examples/snapshot/describe-vpc-peering-connections.json"),
            ),
            (
                "prefix-lists",
                include_str!("../../examples/snapshot/describe-managed-prefix-lists.json"),
            ),
            (
                "groups",
                include_str!("../../examples/snapshot/describe-security-groups.json"),
            ),
            (
                "enis",
                include_str!("../../examples/snapshot/describe-network-interfaces.json"),
            ),
        ];
        let quotas = Quotas::new(60, 16).expect("within EC2's limit");
        let (snapshot, errors) = palisade_ec2::import_texts(&docs, &quotas);
        assert!(
            errors.is_empty(),
            "the example snapshot imports: {errors:?}"
        );
        snapshot
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut table = FlowTable::new(snapshot().clone(), 8);
    let mut ids = SeqIdGen::starting_at(1 << 64);
    let mut last = Timestamp::ZERO;
    for line in text.lines().take(64) {
        let Ok(line) = palisade_trace::parse_line(line) else {
            continue;
        };
        let _ = line.t().to_string();
        // The replay refuses time going backwards; so does this one.
        if line.at() < last {
            continue;
        }
        last = line.at();
        match line.event() {
            Ok(Event::Packet(pkt)) => {
                let _ = table.observe(last, &pkt);
            }
            Ok(Event::SetLimit(limit)) => table.set_max_tracked_per_interface(limit.min(64)),
            Ok(Event::Change {
                group_id,
                direction,
                authorize,
                permissions,
            }) => {
                let Ok(rules) = palisade_ec2::parse_ip_permissions_value(&permissions, direction)
                else {
                    continue;
                };
                let ids = &mut ids;
                table.change(std::slice::from_ref(&group_id), |snapshot| {
                    let Some(group) = snapshot.groups.get_mut(&group_id) else {
                        return;
                    };
                    if authorize {
                        let quotas = Quotas::default();
                        let ctx = AuthorizeCtx {
                            quotas: &quotas,
                            prefix_list_weight: &|_| Some(5),
                        };
                        let _ = group.authorize(rules, &ctx, ids);
                    } else {
                        let specs: Vec<_> = rules.into_iter().map(|r| r.spec).collect();
                        let _ = group.revoke_matching(&specs);
                    }
                });
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
        table.expire(last);
    }
});
