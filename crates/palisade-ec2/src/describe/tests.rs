//! Tests of describe-* import and export.

use palisade_model::{Ec2ErrorCode, Quotas};
use serde_json::{Value, json};

use super::*;

fn sample() -> Value {
    json!({
        "Vpcs": [{"VpcId": "vpc-00000000000000001", "OwnerId": "123456789012", "CidrBlock": "10.0.0.0/16",
                  "CidrBlockAssociationSet": [{"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}}],
                  "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2001:db8::/56", "Ipv6CidrBlockState": {"State": "associated"}}]}],
        "Subnets": [{"SubnetId": "subnet-00000000000000001", "VpcId": "vpc-00000000000000001", "OwnerId": "123456789012",
                     "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "eu-west-1a"}],
        "SecurityGroups": [{
            "GroupId": "sg-00000000000000001", "GroupName": "web", "Description": "web", "VpcId": "vpc-00000000000000001",
            "OwnerId": "123456789012",
            "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                               "Ipv6Ranges": [{"CidrIpv6": "::/0"}], "PrefixListIds": [], "UserIdGroupPairs": []}],
            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            "Tags": [{"Key": "Name", "Value": "web"}]
        }],
        "SecurityGroupRules": [{"SecurityGroupRuleId": "sgr-0000000000000000a", "GroupId": "sg-00000000000000001",
                                "IsEgress": false, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv4": "0.0.0.0/0",
                                "Tags": [{"Key": "k", "Value": "v"}]}],
        "NetworkInterfaces": [{"NetworkInterfaceId": "eni-00000000000000001", "VpcId": "vpc-00000000000000001",
                               "SubnetId": "subnet-00000000000000001", "OwnerId": "123456789012",
                               "PrivateIpAddress": "10.0.1.10",
                               "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.11", "Primary": false},
                                                      {"PrivateIpAddress": "10.0.1.10", "Primary": true,
                                                       "Association": {"PublicIp": "198.51.100.7"}}],
                               "Ipv6Addresses": [{"Ipv6Address": "2001:db8::10"}],
                               "Groups": [{"GroupId": "sg-00000000000000001", "GroupName": "web"}],
                               "ConnectionTrackingConfiguration": {"TcpEstablishedTimeout": 3600, "UdpStreamTimeout": 120, "UdpTimeout": 30},
                               "TagSet": []}]
    })
}

#[track_caller]
fn import_ok(docs: &[(&str, Value)]) -> Snapshot {
    let docs: Vec<Document<'_>> = docs
        .iter()
        .map(|(name, json)| Document { name, json })
        .collect();
    let (snap, errors) = import(&docs, &Quotas::default());
    assert!(errors.is_empty(), "{errors:#?}");
    snap
}

#[track_caller]
fn import_errs(docs: &[(&str, Value)]) -> Vec<ImportError> {
    let docs: Vec<Document<'_>> = docs
        .iter()
        .map(|(name, json)| Document { name, json })
        .collect();
    let (_, errors) = import(&docs, &Quotas::default());
    assert!(!errors.is_empty());
    errors
}

use palisade_model::Snapshot;

#[test]
fn imports_every_kind() {
    let snap = import_ok(&[("all.json", sample())]);
    let eni = snap.enis.values().next().unwrap();
    assert_eq!(
        eni.private_ipv4
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["10.0.1.10", "10.0.1.11"]
    );
    assert_eq!(eni.public_ipv4.unwrap().to_string(), "198.51.100.7");
    assert_eq!(eni.conntrack.tcp_established(), 3600);
    let g = snap.groups.values().next().unwrap();
    let ids: Vec<_> = g.rules().iter().map(|r| r.id.to_string()).collect();
    // The row's id is kept, the other rules get stable hashed ids.
    assert_eq!(ids[0], "sgr-0000000000000000a");
    assert_eq!(g.rules()[0].tags.len(), 1);
    assert_eq!(ids.len(), 3);
    let again = import_ok(&[("all.json", sample())]);
    assert_eq!(snap, again, "re-import is stable");
}

#[test]
fn export_then_import_is_identity() {
    let snap = import_ok(&[("all.json", sample())]);
    let back = import_ok(&[("export.json", export(&snap))]);
    assert_eq!(back, snap);
}

#[test]
fn split_documents_merge() {
    let all = sample();
    let docs: Vec<(&str, Value)> = KEYS
        .iter()
        .filter_map(|k| all.get(*k).map(|v| (*k, json!({ *k: v }))))
        .collect();
    assert_eq!(import_ok(&docs), import_ok(&[("all.json", all)]));
}

#[test]
fn collects_every_problem() {
    let mut bad = sample();
    bad["SecurityGroups"][0]["IpPermissions"][0]["IpRanges"][0]["CidrIp"] = json!("10.0.0.0/33");
    bad["NetworkInterfaces"][0]["Groups"] = json!([{"GroupId": "sg-00000000000000009"}]);
    bad["Subnets"][0]["CidrBlock"] = json!(7);
    let errors = import_errs(&[("bad.json", bad)]);
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|e| e.contains("bad.json: SecurityGroups[0] (sg-00000000000000001): ip_permissions[0].ip_ranges[0].cidr_ip: CIDR block 10.0.0.0/33 is malformed")), "{text:#?}");
    assert!(
        text.iter().any(|e| e.contains("bad.json: Subnets[0]")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|e| e.contains("sg-00000000000000009")),
        "{text:#?}"
    );
    let cidr = errors
        .iter()
        .find(|e| e.field().ends_with("cidr_ip"))
        .unwrap();
    assert_eq!(cidr.code(), Some(Ec2ErrorCode::InvalidParameterValue));
}

#[test]
fn duplicate_ids_across_documents() {
    let errors = import_errs(&[("a.json", sample()), ("b.json", sample())]);
    assert!(
        errors.iter().any(|e| e.document() == "b.json"
            && e.message()
                .contains("duplicate id vpc-00000000000000001 (first seen in a.json")),
        "{errors:#?}"
    );
}

#[test]
fn validation_codes() {
    #[track_caller]
    fn check(patch: impl Fn(&mut Value), code: Ec2ErrorCode) {
        let mut doc = sample();
        patch(&mut doc);
        let errors = import_errs(&[("x.json", doc)]);
        assert!(
            errors.iter().any(|e| e.code() == Some(code)),
            "{code}: {errors:#?}"
        );
    }
    check(
        |d| {
            d["NetworkInterfaces"][0]["Groups"] = json!(
                (1..=6)
                    .map(|n| json!({"GroupId": format!("sg-{n:017x}")}))
                    .collect::<Vec<_>>()
            )
        },
        Ec2ErrorCode::SecurityGroupsPerInterfaceLimitExceeded,
    );
    check(
        |d| d["NetworkInterfaces"][0]["NetworkInterfaceId"] = json!("eni-x"),
        Ec2ErrorCode::InvalidNetworkInterfaceIdMalformed,
    );
    check(
        |d| d["NetworkInterfaces"][0]["SubnetId"] = json!("subnet-00000000000000009"),
        Ec2ErrorCode::InvalidSubnetIdNotFound,
    );
    check(
        |d| d["NetworkInterfaces"][0]["SubnetId"] = json!("subnet-x"),
        Ec2ErrorCode::InvalidSubnetIdMalformed,
    );
    check(
        |d| d["NetworkInterfaces"][0]["Attachment"] = json!({"InstanceId": "x-1"}),
        Ec2ErrorCode::InvalidInstanceIdMalformed,
    );
    check(
        |d| d["NetworkInterfaces"][0]["ConnectionTrackingConfiguration"]["UdpTimeout"] = json!(5),
        Ec2ErrorCode::InvalidParameterValue,
    );
    check(
        |d| d["SecurityGroups"][0]["VpcId"] = json!("vpc-00000000000000009"),
        Ec2ErrorCode::InvalidVpcIdNotFound,
    );
    check(
        |d| d["SecurityGroups"][0]["OwnerId"] = json!("me"),
        Ec2ErrorCode::InvalidParameterValue,
    );
    check(
        |d| d["SecurityGroups"][0]["OwnerId"] = Value::Null,
        Ec2ErrorCode::MissingParameter,
    );
    check(
        |d| {
            d["SecurityGroups"][0]["IpPermissions"][0]["IpRanges"] =
                json!([{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "0.0.0.1/0"}])
        },
        Ec2ErrorCode::InvalidPermissionDuplicate,
    );
    check(
        |d| d["SecurityGroups"][0]["IpPermissions"][0]["UserIdGroupPairs"] = json!([{"GroupId": "sg-00000000000000002", "VpcPeeringConnectionId": "pcx-00000000000000001"}]),
        Ec2ErrorCode::InvalidVpcPeeringConnectionIdNotFound,
    );
    check(
        |d| d["SecurityGroupRules"][0]["CidrIpv6"] = json!("::/0"),
        Ec2ErrorCode::InvalidParameterCombination,
    );
    check(
        |d| d["SecurityGroupRules"][0]["SecurityGroupRuleId"] = json!("sgr-zz"),
        Ec2ErrorCode::InvalidSecurityGroupRuleIdMalformed,
    );
    check(
        |d| d["Vpcs"][0]["VpcId"] = json!("vpc-q"),
        Ec2ErrorCode::InvalidVpcIdMalformed,
    );
    check(
        |d| {
            let mut twin = d["SecurityGroups"][0].clone();
            twin["GroupId"] = json!("sg-00000000000000002");
            twin["GroupName"] = json!("WEB");
            d["SecurityGroups"].as_array_mut().unwrap().push(twin);
        },
        Ec2ErrorCode::InvalidGroupDuplicate,
    );
    check(
        |d| d["Vpcs"][0]["OwnerId"] = json!("1"),
        Ec2ErrorCode::InvalidParameterValue,
    );
    check(
        |d| d["SecurityGroups"][0]["GroupId"] = json!("sg-q"),
        Ec2ErrorCode::InvalidGroupIdMalformed,
    );
    check(
        |d| d["PrefixLists"] = json!([{"PrefixListId": "pl-00000000000000001", "AddressFamily": "IPv4", "OwnerId": "123456789012", "Entries": [{"Cidr": "2001:db8::/32"}]}]),
        Ec2ErrorCode::InvalidParameterValue,
    );
    check(
        |d| {
            d["VpcPeeringConnections"] =
                json!([{"VpcPeeringConnectionId": "pcx-1", "Status": {"Code": "active"}}])
        },
        Ec2ErrorCode::InvalidVpcPeeringConnectionIdMalformed,
    );
}

#[test]
fn document_shape_errors() {
    let errors = import_errs(&[
        ("a.json", json!([1, 2])),
        ("b.json", json!({"Foo": []})),
        ("c.json", json!({"Vpcs": {}})),
    ]);
    let docs: Vec<&str> = errors.iter().map(ImportError::document).collect();
    assert_eq!(docs, ["a.json", "b.json", "c.json"]);
    let (_, errors) = import_texts(&[("d.json", "{\"Vpcs\": [")], &Quotas::default());
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].to_string().starts_with("d.json: malformed JSON"),
        "{}",
        errors[0]
    );
}

// --- routing ---

/// Route tables (every destination and target kind, main and subnet associations),
/// internet gateways, an associated Elastic IP and the default ACLs export and import back
/// unchanged.
#[test]
fn routing_export_then_import_is_identity() {
    use palisade_model::account::{AccountState, AddressSpec, AddressTarget, NewEni};
    use palisade_model::{RouteDestination, RouteTarget, SeqIdGen};
    let mut ids = SeqIdGen::default();
    let owner = "123456789012".parse().unwrap();
    let mut st = AccountState::bootstrap(owner, "us-east-1", Quotas::default(), &mut ids);
    let vpc = st
        .create_vpc("10.0.0.0/16".parse().unwrap(), None, vec![], &mut ids)
        .unwrap();
    let subnet = st
        .create_subnet(
            &vpc,
            palisade_model::account::SubnetBlocks {
                v4: Some("10.0.1.0/24".parse().unwrap()),
                v6: None,
                ipv6_native: false,
            },
            None,
            vec![],
            &mut ids,
        )
        .unwrap();
    let new = NewEni {
        subnet_id: subnet.clone(),
        groups: vec![],
        addresses: AddressSpec::default(),
        description: String::new(),
        tags: vec![],
        conntrack: Default::default(),
    };
    let eni = st.create_eni(new, &mut ids).unwrap();
    let rtb = st.create_route_table(&vpc, vec![], &mut ids).unwrap();
    let igw = st.create_internet_gateway(vec![], &mut ids).unwrap();
    st.attach_internet_gateway(&igw, &vpc).unwrap();
    let routes = [
        (
            RouteDestination::Ipv4("0.0.0.0/0".parse().unwrap()),
            RouteTarget::Gateway(igw),
        ),
        (
            RouteDestination::Ipv4("192.168.0.0/16".parse().unwrap()),
            RouteTarget::Eni(eni.clone()),
        ),
    ];
    for (d, t) in routes {
        st.put_route(&rtb, d, t, false).unwrap();
    }
    st.associate_route_table(&rtb, &subnet, &mut ids).unwrap();
    let alloc = st.allocate_address(vec![], &mut ids).unwrap();
    st.associate_address(&alloc, &AddressTarget::Eni(eni), None, false, &mut ids)
        .unwrap();
    let snap = st.snapshot().clone();
    let doc = export(&snap);
    assert_eq!(doc["RouteTables"].as_array().unwrap().len(), 3);
    let back = import_ok(&[("export.json", doc)]);
    assert_eq!(back.route_tables, snap.route_tables);
    assert_eq!(back.internet_gateways, snap.internet_gateways);
    assert_eq!(back.addresses, snap.addresses);
    assert_eq!(back.network_acls, snap.network_acls);
    assert_eq!(back.enis, snap.enis);
}

#[test]
fn routing_import_reports_bad_items() {
    let doc = json!({
        "RouteTables": [{"RouteTableId": "rtb-x", "VpcId": "vpc-00000000000000001", "OwnerId": "123456789012"},
                        {"RouteTableId": "rtb-00000000000000002", "VpcId": "vpc-00000000000000001", "OwnerId": "123456789012",
                         "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat 1"}]}],
        "Addresses": [{"AllocationId": "eipalloc-00000000000000001", "PublicIp": "not-an-ip"}],
    });
    let errors = import_errs(&[("r.json", doc)]);
    let codes: Vec<_> = errors.iter().map(ImportError::code).collect();
    assert_eq!(
        codes,
        [
            Some(Ec2ErrorCode::InvalidRouteTableIdMalformed),
            Some(Ec2ErrorCode::InvalidParameterValue),
            Some(Ec2ErrorCode::InvalidParameterValue)
        ],
        "{errors:#?}"
    );
}

#[test]
fn routes_to_targets_palisade_does_not_follow_import_and_export_as_described() {
    // One table as `aws ec2 describe-route-tables` prints it for a private subnet: the local
    // routes, a NAT gateway for IPv4, an egress-only gateway for IPv6, a transit gateway, a
    // virtual private gateway and an S3 gateway endpoint.
    let vpc = "vpc-00000000000000001";
    let doc = json!({
        "Vpcs": [{"VpcId": vpc, "OwnerId": "123456789012", "CidrBlock": "10.0.0.0/16",
                  "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:1:100::/56",
                                                   "Ipv6CidrBlockState": {"State": "associated"}}]}],
        "PrefixLists": [{"PrefixListId": "pl-63a5400a", "PrefixListName": "com.amazonaws.us-east-1.s3",
                         "Cidrs": ["52.216.0.0/15"]}],
        "RouteTables": [{"RouteTableId": "rtb-00000000000000002", "VpcId": vpc, "OwnerId": "123456789012",
            "Associations": [], "Tags": [],
            "Routes": [
                {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"},
                {"DestinationIpv6CidrBlock": "2600:1f18:1:100::/56", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"},
                {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0a1b2c3d4e5f60718", "Origin": "CreateRoute", "State": "active"},
                {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-0123456789abcdef0", "Origin": "CreateRoute", "State": "active"},
                {"DestinationCidrBlock": "172.16.0.0/12", "TransitGatewayId": "tgw-0123456789abcdef0", "Origin": "CreateRoute", "State": "active"},
                {"DestinationCidrBlock": "192.168.0.0/16", "GatewayId": "vgw-0123456789abcdef0", "Origin": "CreateRoute", "State": "active"},
                {"DestinationPrefixListId": "pl-63a5400a", "GatewayId": "vpce-0123456789abcdef0", "Origin": "CreateRoute", "State": "active"}
            ]}],
    });
    let snap = import_ok(&[("rtb.json", doc)]);
    let table = snap.route_tables.values().next().expect("the table");
    let targets: Vec<(String, &str)> = table
        .routes
        .iter()
        .map(|r| match &r.target {
            palisade_model::RouteTarget::Other(t) => (t.to_string(), t.kind().aws_field()),
            other => panic!("{other:?} is not an other target"),
        })
        .collect();
    assert_eq!(
        targets,
        [
            ("nat-0a1b2c3d4e5f60718".to_owned(), "NatGatewayId"),
            (
                "eigw-0123456789abcdef0".to_owned(),
                "EgressOnlyInternetGatewayId"
            ),
            ("tgw-0123456789abcdef0".to_owned(), "TransitGatewayId"),
            ("vgw-0123456789abcdef0".to_owned(), "GatewayId"),
            ("vpce-0123456789abcdef0".to_owned(), "GatewayId"),
        ]
    );
    // `describe-prefix-lists`' shape: an AWS-managed list of its CIDRs.
    let list = snap.prefix_lists.values().next().expect("the S3 list");
    assert!(list.owner.is_aws_managed());
    assert_eq!(list.family, palisade_model::AddressFamily::Ipv4);
    assert_eq!(list.entries.len(), 1);
    // Exported under the same fields, and read back the same.
    let out = export(&snap);
    let routes = &out["RouteTables"][0]["Routes"];
    assert!(
        routes
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["NatGatewayId"] == "nat-0a1b2c3d4e5f60718")
    );
    assert!(
        routes
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["GatewayId"] == "vpce-0123456789abcdef0")
    );
    let back = import_ok(&[("export.json", out)]);
    assert_eq!(back.route_tables, snap.route_tables);
}
