//! Action handlers: each decodes its parameters, runs one model operation inside one store
//! transaction (or a read), and encodes the result. No business rule lives here.

mod addresses;
mod groups;
mod network;
mod rules;
mod tags;

use axum::http::StatusCode;
use axum::response::Response;
use palisade_ec2::query::Params;

use crate::ctx::Ctx;
use crate::error::{ApiError, xml_response};
use crate::sigv4::Caller;
use crate::xml::{Xml, escape};

/// A handler: parameters in, response body elements out.
pub(crate) type Handler = fn(&mut Ctx, &Params) -> Result<Xml, ApiError>;

/// The handler of an EC2 action.
pub(crate) fn lookup(action: &str) -> Option<Handler> {
    Some(match action {
        "CreateSecurityGroup" => groups::create,
        "DeleteSecurityGroup" => groups::delete,
        "DescribeSecurityGroups" => groups::describe,
        "DescribeSecurityGroupReferences" => groups::references,
        "DescribeStaleSecurityGroups" => groups::stale,
        "AuthorizeSecurityGroupIngress" => rules::authorize_ingress,
        "AuthorizeSecurityGroupEgress" => rules::authorize_egress,
        "RevokeSecurityGroupIngress" => rules::revoke_ingress,
        "RevokeSecurityGroupEgress" => rules::revoke_egress,
        "DescribeSecurityGroupRules" => rules::describe,
        "ModifySecurityGroupRules" => rules::modify,
        "UpdateSecurityGroupRuleDescriptionsIngress" => rules::descriptions_ingress,
        "UpdateSecurityGroupRuleDescriptionsEgress" => rules::descriptions_egress,
        "CreateVpc" => network::create_vpc,
        "DescribeVpcs" => network::describe_vpcs,
        "DeleteVpc" => network::delete_vpc,
        "CreateSubnet" => network::create_subnet,
        "DescribeSubnets" => network::describe_subnets,
        "DeleteSubnet" => network::delete_subnet,
        "CreateNetworkInterface" => network::create_eni,
        "DescribeNetworkInterfaces" => network::describe_enis,
        "DeleteNetworkInterface" => network::delete_eni,
        "ModifyNetworkInterfaceAttribute" => network::modify_eni,
        "RunInstances" => network::run_instances,
        "DescribeInstances" => network::describe_instances,
        "TerminateInstances" => network::terminate_instances,
        "ModifyInstanceAttribute" => network::modify_instance,
        "CreateVpcPeeringConnection" => network::create_peering,
        "AcceptVpcPeeringConnection" => network::accept_peering,
        "DeleteVpcPeeringConnection" => network::delete_peering,
        "DescribeVpcPeeringConnections" => network::describe_peerings,
        "CreateManagedPrefixList" => network::create_prefix_list,
        "ModifyManagedPrefixList" => network::modify_prefix_list,
        "DescribeManagedPrefixLists" => network::describe_prefix_lists,
        "GetManagedPrefixListEntries" => network::prefix_list_entries,
        "DeleteManagedPrefixList" => network::delete_prefix_list,
        "AssignPrivateIpAddresses" => addresses::assign_private,
        "UnassignPrivateIpAddresses" => addresses::unassign_private,
        "AssignIpv6Addresses" => addresses::assign_ipv6,
        "UnassignIpv6Addresses" => addresses::unassign_ipv6,
        "AssociateSubnetCidrBlock" => addresses::associate_subnet_cidr,
        "CreateTags" => tags::create,
        "DeleteTags" => tags::delete,
        "DescribeTags" => tags::describe,
        _ => return None,
    })
}

/// STS (API 2011-06-15) on the same endpoint: GetCallerIdentity, so tools that first ask
/// "who am I" work.
pub(crate) fn sts(caller: &Caller, action: &str, request_id: &str) -> Response {
    if action != "GetCallerIdentity" {
        let e = ApiError::other(
            "InvalidAction",
            StatusCode::BAD_REQUEST,
            format!("Could not find operation {action} for version 2011-06-15"),
        );
        return e.into_sts_response(request_id);
    }
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{acct}:user/palisade</Arn><UserId>{key}</UserId><Account>{acct}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        acct = caller.account,
        key = escape(&caller.access_key),
    );
    xml_response(StatusCode::OK, body, request_id)
}

/// `<return>true</return>`.
pub(crate) fn ok_return() -> Xml {
    let mut x = Xml::new();
    x.leaf("return", "true");
    x
}
