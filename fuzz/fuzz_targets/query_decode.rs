//! The EC2 Query decoder on arbitrary form bodies: bytes → `form_urlencoded::parse` →
//! `Params::from_pairs` → every decoder of `palisade_ec2::query`, the permissions converted to
//! model rules and applied to a group as the handlers do. Nothing may panic, and rules →
//! permissions → rules is the identity (DescribeSecurityGroups' grouping loses nothing).
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_ec2::query::{self, Params};
use palisade_ec2::{IpPermission, permissions_to_rules, rules_to_permissions};
use palisade_model::{
    AccountId, AuthorizeCtx, Direction, EniId, GroupId, NewRule, Quotas, RuleSpec, SecurityGroup,
    SeqIdGen, SubnetId, VpcId,
};

fuzz_target!(|data: &[u8]| {
    // The edge's strict parse, then the lenient one every decoder below is fed.
    let _ = Params::parse(form_urlencoded::parse(data));
    let params = Params::from_pairs(form_urlencoded::parse(data));
    let action = params.get("Action").unwrap_or_default();
    typed(action, &params);
    scalars(&params);
    let mut group = group();
    permissions(&params, &mut group);
    changes(&params, &mut group);
    filters(&params, &group);
    addresses(&params);
    pages(&params);
});

/// The typed request decoder (`palisade_ec2::wire::decode`) under the form's own action,
/// then what the server does with a request: execute it on a fresh account (reads through
/// `query`) and encode the response. Nothing may panic.
fn typed(action: &str, params: &Params) {
    let Ok(Some(request)) = palisade_ec2::wire::decode(action, params) else {
        return;
    };
    let owner: AccountId = "111122223333".parse().expect("literal account");
    let mut ids = SeqIdGen::default();
    let mut state = palisade_model::account::AccountState::bootstrap(
        owner.clone(),
        "us-east-1",
        Quotas::default(),
        &mut ids,
    );
    let response = if request.is_read() {
        state.query(&request)
    } else {
        state.execute(request, &mut ids)
    };
    if let Ok(response) = response {
        let origin = palisade_ec2::wire::Origin {
            account: &owner,
            region: "us-east-1",
        };
        let _ = palisade_ec2::wire::encode(&response, &origin);
    }
}

fn scalars(params: &Params) {
    let _ = params.dry_run();
    let _ = params.bool("Force");
    let _ = params.int("MaxResults");
    let _ = params.required("GroupName");
    let _ = params.required_id::<GroupId>("GroupId");
    let _ = params.opt_id::<VpcId>("VpcId");
    let _ = params.opt_id::<SubnetId>("SubnetId");
    let _ = params.id_list::<GroupId>("GroupId");
    let _ = params.id_list::<GroupId>("SecurityGroupId");
    let _ = params.id_list::<EniId>("NetworkInterfaceId");
    let _ = params.list("GroupName");
    let _ = params.members("NetworkInterface");
    let _ = params.member("SecurityGroupRule");
    let _ = params.tag_specs("security-group");
    let _ = params.tags("Tag");
    let _ = params.is_empty();
}

fn group() -> SecurityGroup {
    let owner: AccountId = "123456789012".parse().expect("literal account id");
    SecurityGroup::empty(
        "sg-00000000000000001".parse().expect("literal group id"),
        "web".into(),
        "web".into(),
        "vpc-00000001".parse().expect("literal vpc id"),
        owner,
    )
}

fn permissions(params: &Params, group: &mut SecurityGroup) {
    let quotas = Quotas::default();
    let ctx = AuthorizeCtx {
        quotas: &quotas,
        prefix_list_weight: &|_| Some(5),
    };
    let mut ids = SeqIdGen::default();
    for direction in [Direction::Ingress, Direction::Egress] {
        let mut perms: Vec<IpPermission> = query::ip_permissions(params).unwrap_or_default();
        perms.extend(query::legacy_permission(params, direction).unwrap_or_default());
        let _ = query::resolve_group_names(&mut perms, |name| {
            (name == "web").then(|| "sg-00000000000000001".to_owned())
        });
        let Ok(rules) = permissions_to_rules(&perms, direction) else {
            continue;
        };
        round_trip(&rules, direction);
        let specs: Vec<RuleSpec> = rules.iter().map(|r| r.spec.clone()).collect();
        let _ = group.authorize(rules, &ctx, &mut ids);
        if params.get("Revoke").is_some() {
            let _ = group.revoke_matching(&specs);
        }
    }
}

/// DescribeSecurityGroups' grouping of rules into permissions converts back to the same rules.
fn round_trip(rules: &[NewRule], direction: Direction) {
    let perms = rules_to_permissions(rules);
    let back = permissions_to_rules(&perms, direction)
        .unwrap_or_else(|e| panic!("rendered permissions {perms:?} are refused: {e}"));
    let key = |r: &NewRule| (r.spec.clone(), r.description.clone());
    let mut want: Vec<_> = rules.iter().map(key).collect();
    let mut got: Vec<_> = back.iter().map(key).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "rules -> permissions {perms:?} -> rules");
}

fn changes(params: &Params, group: &mut SecurityGroup) {
    let quotas = Quotas::default();
    let ctx = AuthorizeCtx {
        quotas: &quotas,
        prefix_list_weight: &|_| Some(5),
    };
    if let Ok(updates) = query::rule_changes(params) {
        for u in updates {
            let _ = group.modify_rule(&u.rule_id, u.traffic, u.peer, u.description, &ctx);
        }
    }
    if let Ok(descriptions) = query::rule_descriptions(params) {
        for (id, description) in descriptions {
            let _ = group.set_rule_description(&id, description);
        }
    }
}

fn filters(params: &Params, group: &SecurityGroup) {
    let Ok(filters) = query::filters(params) else {
        return;
    };
    let _ = query::group_matches(group, &filters, &|id| Some(id.to_string()));
    for rule in group.rules() {
        let _ = query::rule_matches(rule, &filters);
    }
    for f in &filters {
        let _ = query::tag_filter(f, &group.tags);
        let _ = query::matches_any(f, &f.name);
        for v in &f.values {
            let _ = query::wildcard_match(v, &f.name);
        }
    }
}

fn addresses(params: &Params) {
    let _ = query::address_spec(params, "Ipv6Addresses");
    let nics = params.members("NetworkInterface");
    let _ = query::run_instances_spec(params, nics.first());
    if let Ok(v4) = query::ipv4_list(params, "PrivateIpAddress") {
        let _ = query::addresses_or_count(v4, "SecondaryPrivateIpAddressCount", params);
    }
    if let Ok(v6) = query::ipv6_list(params, "Ipv6Addresses") {
        let _ = query::addresses_or_count(v6, "Ipv6AddressCount", params);
    }
}

fn pages(params: &Params) {
    // Page keys are unique (resource ids), as the handlers' items are.
    let mut items: Vec<String> = params.list("Item");
    items.sort();
    items.dedup();
    let Ok(page) = query::paginate(items.clone(), String::clone, params, (5, 1000)) else {
        return;
    };
    let Some(token) = page.next_token else {
        return;
    };
    // The next page starts right after this one.
    let next = Params::from_pairs([("NextToken", token)]);
    let rest = query::paginate(items, String::clone, &next, (5, 1000))
        .expect("a token we issued is valid");
    let (Some(last), Some(first)) = (page.items.last(), rest.items.first()) else {
        panic!("a page with a next token, and a next page, are not empty");
    };
    assert!(last < first, "pages overlap: {last} then {first}");
}
