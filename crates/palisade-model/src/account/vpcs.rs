//! VPC and subnet attributes, CIDR block associations and the default VPC: what
//! DescribeVpcAttribute/ModifyVpcAttribute, ModifyVpcTenancy, Associate/DisassociateVpcCidrBlock,
//! DisassociateSubnetCidrBlock, ModifySubnetAttribute, CreateDefaultVpc and
//! CreateDefaultSubnet change, with EC2's restrictions ("IPv4 CIDR block association
//! restrictions", "Default VPCs", VPC UG). No I/O; new ids and IPv6 blocks come from the
//! caller's [`IdGen`].

use std::net::Ipv4Addr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::{AccountError, AccountState, Resource};
use crate::error::Ec2ErrorCode;
use crate::ids::{IdGen, SubnetId, VpcId};
use crate::network::{HostnameType, Subnet, SubnetAttributes, Tenancy, VpcAttributes};
use crate::zones;

/// "IPv4 CIDR blocks per VPC" (Amazon VPC quotas): the primary and four more.
const IPV4_CIDRS_PER_VPC: usize = 5;
/// One Amazon-provided IPv6 block per VPC.
const IPV6_CIDRS_PER_VPC: usize = 1;
/// Default subnets are /20s of the default VPC's `172.31.0.0/16`, one per zone; bootstrap
/// creates them in the region's first three zones.
const DEFAULT_SUBNET_PREFIX: u8 = 20;
const BOOTSTRAP_DEFAULT_SUBNETS: usize = 3;

/// One attribute of DescribeVpcAttribute/ModifyVpcAttribute (EC2 takes one per call).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VpcAttribute {
    DnsSupport,
    DnsHostnames,
    NetworkAddressUsageMetrics,
}

impl VpcAttribute {
    /// The `Attribute` value (and the response element) EC2 uses.
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::DnsSupport => "enableDnsSupport",
            Self::DnsHostnames => "enableDnsHostnames",
            Self::NetworkAddressUsageMetrics => "enableNetworkAddressUsageMetrics",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::DnsSupport,
            Self::DnsHostnames,
            Self::NetworkAddressUsageMetrics,
        ]
        .into_iter()
        .find(|a| a.aws_name() == s)
    }
    pub fn get(self, attributes: &VpcAttributes) -> bool {
        match self {
            Self::DnsSupport => attributes.dns_support,
            Self::DnsHostnames => attributes.dns_hostnames,
            Self::NetworkAddressUsageMetrics => attributes.network_address_usage_metrics,
        }
    }
}

/// One change of ModifySubnetAttribute (EC2 takes one per call).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubnetAttributeChange {
    MapPublicIpOnLaunch(bool),
    AssignIpv6AddressOnCreation(bool),
    EnableDns64(bool),
    HostnameType(HostnameType),
    ResourceNameDnsARecord(bool),
    ResourceNameDnsAaaaRecord(bool),
    /// Customer-owned addresses are an Outposts feature: only `false` is accepted.
    MapCustomerOwnedIpOnLaunch(bool),
}

fn err(code: Ec2ErrorCode, message: impl Into<String>) -> AccountError {
    AccountError::new(code, message)
}

/// The private range a block belongs to, for the association restrictions; `None` for a
/// publicly routable block or one of `100.64.0.0/10`, which any VPC may add.
fn private_range(cidr: Ipv4Net) -> Option<Ipv4Net> {
    [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "198.19.0.0/16",
    ]
    .iter()
    .map(|r| r.parse::<Ipv4Net>().expect("literal CIDR is valid"))
    .find(|r| r.contains(&cidr.network()))
}

impl AccountState {
    /// The default VPC `172.31.0.0/16` with its default security group and a default `/20`
    /// subnet in each of the region's first three zones ("Default VPCs", VPC UG): what
    /// bootstrap and CreateDefaultVpc build. Everything a default VPC comes with is added here.
    pub(super) fn insert_default_vpc(&mut self, ids: &mut dyn IdGen) -> VpcId {
        let cidr: Ipv4Net = "172.31.0.0/16".parse().expect("literal CIDR is valid");
        let vpc_id = self.insert_vpc(
            cidr,
            None,
            true,
            Vec::new(),
            VpcAttributes::default_vpc(),
            ids,
        );
        for zone in zones::zones(&self.region)
            .iter()
            .take(BOOTSTRAP_DEFAULT_SUBNETS)
        {
            // A fresh /16 has room for every zone's /20.
            let _ = self.insert_default_subnet(&vpc_id, &zone.name, ids);
        }
        vpc_id
    }

    /// A default subnet in `zone`: the first free /20 of the VPC's primary block.
    fn insert_default_subnet(
        &mut self,
        vpc_id: &VpcId,
        zone: &str,
        ids: &mut dyn IdGen,
    ) -> Result<SubnetId, AccountError> {
        let primary = self.vpc(vpc_id)?.cidrs_v4.first().copied().ok_or_else(|| {
            err(
                Ec2ErrorCode::InternalError,
                format!("{vpc_id} has no IPv4 block"),
            )
        })?;
        let taken: Vec<Ipv4Net> = self
            .snapshot
            .subnets
            .values()
            .filter(|s| &s.vpc_id == vpc_id)
            .filter_map(|s| s.cidr_v4)
            .collect();
        let cidr = primary
            .subnets(DEFAULT_SUBNET_PREFIX)
            .ok()
            .into_iter()
            .flatten()
            .find(|c| !taken.iter().any(|t| t.contains(c) || c.contains(t)))
            .ok_or_else(|| {
                err(
                    Ec2ErrorCode::InsufficientFreeAddressesInSubnet,
                    format!("The default VPC {vpc_id} has no free /20 for a default subnet"),
                )
            })?;
        let subnet = Subnet {
            id: SubnetId::generate(ids),
            vpc_id: vpc_id.clone(),
            owner: self.owner.clone(),
            cidr_v4: Some(cidr),
            cidr_v6: None,
            availability_zone: zone.to_owned(),
            tags: Vec::new(),
            attributes: SubnetAttributes::default_subnet(),
        };
        let id = subnet.id.clone();
        self.put(Resource::Subnet(subnet));
        Ok(id)
    }

    /// CreateDefaultVpc: only when the account has none ("Create a default VPC", VPC UG).
    pub fn create_default_vpc(&mut self, ids: &mut dyn IdGen) -> Result<VpcId, AccountError> {
        if let Some(v) = self.default_vpc() {
            return Err(err(
                Ec2ErrorCode::DefaultVpcAlreadyExists,
                format!(
                    "A Default VPC already exists for this account in this region ({}).",
                    v.id
                ),
            ));
        }
        if self.snapshot.vpcs.len() >= self.quotas.vpcs_per_region() as usize {
            return Err(err(
                Ec2ErrorCode::VpcLimitExceeded,
                "The maximum number of VPCs has been reached.",
            ));
        }
        Ok(self.insert_default_vpc(ids))
    }

    /// CreateDefaultSubnet: a default subnet in `zone` (a name or zone id) of the default VPC,
    /// if the zone has none.
    pub fn create_default_subnet(
        &mut self,
        zone: &str,
        ids: &mut dyn IdGen,
    ) -> Result<SubnetId, AccountError> {
        let zone = self.zone_name(zone)?;
        let vpc_id = self.default_vpc().map(|v| v.id.clone()).ok_or_else(|| {
            err(
                Ec2ErrorCode::NoDefaultVpcForSubnet,
                "No default VPC exists for this account in this region.",
            )
        })?;
        let exists = self.snapshot.subnets.values().any(|s| {
            s.vpc_id == vpc_id && s.availability_zone == zone && s.attributes.default_for_az
        });
        if exists {
            return Err(err(
                Ec2ErrorCode::DefaultSubnetAlreadyExistsInAvailabilityZone,
                format!("A Default Subnet already exists in availability zone {zone}."),
            ));
        }
        self.insert_default_subnet(&vpc_id, &zone, ids)
    }

    /// The zone name for a zone name or zone id of this region; EC2's message lists the
    /// valid zones (CreateSubnet "Value (…) for parameter availabilityZone is invalid").
    pub(super) fn zone_name(&self, name_or_id: &str) -> Result<String, AccountError> {
        if let Some(z) = zones::zone(&self.region, name_or_id) {
            return Ok(z.name);
        }
        let valid: Vec<String> = zones::zones(&self.region)
            .into_iter()
            .map(|z| z.name)
            .collect();
        Err(err(
            Ec2ErrorCode::InvalidParameterValue,
            format!(
                "Value ({name_or_id}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: {}.",
                valid.join(", ")
            ),
        ))
    }

    /// ModifyVpcAttribute: DNS hostnames need DNS support.
    pub fn set_vpc_attribute(
        &mut self,
        id: &VpcId,
        attribute: VpcAttribute,
        value: bool,
    ) -> Result<(), AccountError> {
        let mut vpc = self.vpc(id)?.clone();
        let a = &mut vpc.attributes;
        match attribute {
            VpcAttribute::DnsHostnames if value && !a.dns_support => {
                return Err(err(
                    Ec2ErrorCode::InvalidParameterValue,
                    "Invalid value 'true' for enableDnsHostnames: DNS hostnames cannot be enabled while enableDnsSupport is disabled",
                ));
            }
            VpcAttribute::DnsHostnames => a.dns_hostnames = value,
            VpcAttribute::DnsSupport => a.dns_support = value,
            VpcAttribute::NetworkAddressUsageMetrics => a.network_address_usage_metrics = value,
        }
        self.put(Resource::Vpc(vpc));
        Ok(())
    }

    /// CreateVpc's `InstanceTenancy`, set on the VPC just created.
    pub(super) fn init_vpc_tenancy(
        &mut self,
        id: &VpcId,
        tenancy: Tenancy,
    ) -> Result<(), AccountError> {
        let mut vpc = self.vpc(id)?.clone();
        vpc.attributes.tenancy = tenancy;
        self.put(Resource::Vpc(vpc));
        Ok(())
    }

    /// ModifyVpcTenancy: only `dedicated` → `default` ("You can only change the instance
    /// tenancy attribute of a VPC to default").
    pub fn set_vpc_tenancy(&mut self, id: &VpcId, tenancy: Tenancy) -> Result<(), AccountError> {
        let mut vpc = self.vpc(id)?.clone();
        if tenancy != Tenancy::Default {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "Invalid value '{}' for InstanceTenancy: a VPC's tenancy can only be changed to default",
                    tenancy.aws_name()
                ),
            ));
        }
        vpc.attributes.tenancy = tenancy;
        self.put(Resource::Vpc(vpc));
        Ok(())
    }

    /// AssociateVpcCidrBlock (IPv4): /16–/28, overlapping none of the VPC's blocks, from the
    /// primary block's private range or a public one, at most five blocks.
    pub fn associate_vpc_cidr(
        &mut self,
        id: &VpcId,
        cidr: Ipv4Net,
    ) -> Result<Ipv4Net, AccountError> {
        let mut vpc = self.vpc(id)?.clone();
        let cidr = cidr.trunc();
        if !(16..=28).contains(&cidr.prefix_len()) {
            return Err(err(
                Ec2ErrorCode::InvalidVpcRange,
                format!("The CIDR '{cidr}' is invalid."),
            ));
        }
        if vpc.cidrs_v4.len() >= IPV4_CIDRS_PER_VPC {
            return Err(cidr_limit(id, IPV4_CIDRS_PER_VPC));
        }
        if let Some(other) = vpc
            .cidrs_v4
            .iter()
            .find(|c| c.contains(&cidr) || cidr.contains(*c))
        {
            return Err(err(
                Ec2ErrorCode::InvalidVpcRange,
                format!(
                    "The CIDR '{cidr}' conflicts with another CIDR block ({other}) associated with this VPC."
                ),
            ));
        }
        let primary = vpc.cidrs_v4.first().copied().and_then(private_range);
        if let Some(range) = private_range(cidr)
            && Some(range) != primary
        {
            return Err(err(
                Ec2ErrorCode::InvalidVpcRange,
                format!(
                    "The CIDR '{cidr}' is restricted. Use a CIDR from the same private address range as the current VPC CIDR, or use a publicly-routable CIDR."
                ),
            ));
        }
        vpc.cidrs_v4.push(cidr);
        self.put(Resource::Vpc(vpc));
        Ok(cidr)
    }

    /// AssociateVpcCidrBlock (`AmazonProvidedIpv6CidrBlock`): `block` is the /56 the caller
    /// chose; one per VPC.
    pub fn associate_vpc_ipv6(
        &mut self,
        id: &VpcId,
        block: Ipv6Net,
    ) -> Result<Ipv6Net, AccountError> {
        let mut vpc = self.vpc(id)?.clone();
        if vpc.cidrs_v6.len() >= IPV6_CIDRS_PER_VPC {
            return Err(cidr_limit(id, IPV6_CIDRS_PER_VPC));
        }
        vpc.cidrs_v6.push(block);
        self.put(Resource::Vpc(vpc));
        Ok(block)
    }

    /// DisassociateVpcCidrBlock: not the primary IPv4 block, not a block a subnet uses.
    /// Returns the VPC and the block.
    pub fn disassociate_vpc_cidr(
        &mut self,
        association_id: &str,
    ) -> Result<(VpcId, IpNet), AccountError> {
        let found = self
            .snapshot
            .vpcs
            .values()
            .find_map(|v| Some((v.clone(), v.cidr_by_association(association_id)?)));
        let Some((mut vpc, cidr)) = found else {
            return Err(err(
                Ec2ErrorCode::InvalidVpcCidrBlockAssociationIdNotFound,
                format!("The vpc CIDR block association ID '{association_id}' does not exist"),
            ));
        };
        if vpc.cidrs_v4.first().map(|c| IpNet::V4(*c)) == Some(cidr) {
            return Err(err(
                Ec2ErrorCode::OperationNotPermitted,
                format!(
                    "The vpc CIDR block with association ID {association_id} may not be disassociated. It is the primary IPv4 CIDR block of the VPC"
                ),
            ));
        }
        let in_use = self.snapshot.subnets.values().any(|s| {
            s.vpc_id == vpc.id
                && match cidr {
                    IpNet::V4(c) => s.cidr_v4.is_some_and(|n| c.contains(&n)),
                    IpNet::V6(c) => s.cidr_v6.is_some_and(|n| c.contains(&n)),
                }
        });
        if in_use {
            return Err(err(
                Ec2ErrorCode::InvalidCidrBlockInUse,
                format!(
                    "The vpc {} currently has a subnet within CIDR block {cidr}",
                    vpc.id
                ),
            ));
        }
        vpc.cidrs_v4.retain(|c| IpNet::V4(*c) != cidr);
        vpc.cidrs_v6.retain(|c| IpNet::V6(*c) != cidr);
        let id = vpc.id.clone();
        self.put(Resource::Vpc(vpc));
        Ok((id, cidr))
    }

    /// DisassociateSubnetCidrBlock: removes a subnet's IPv6 block, not while an interface
    /// has an address in it. Returns the subnet and the block.
    pub fn disassociate_subnet_cidr(
        &mut self,
        association_id: &str,
    ) -> Result<(SubnetId, Ipv6Net), AccountError> {
        let found = self.snapshot.subnets.values().find_map(|s| {
            let c = s.cidr_v6?;
            (s.ipv6_association_id(c) == association_id).then(|| (s.clone(), c))
        });
        let Some((mut subnet, cidr)) = found else {
            return Err(err(
                Ec2ErrorCode::InvalidSubnetCidrBlockAssociationIdNotFound,
                format!(
                    "The subnet CIDR block with association ID '{association_id}' does not exist"
                ),
            ));
        };
        if subnet.ipv6_native() {
            return Err(err(
                Ec2ErrorCode::OperationNotPermitted,
                format!(
                    "The IPv6 CIDR block of the IPv6-native subnet {} cannot be disassociated",
                    subnet.id
                ),
            ));
        }
        let in_use = self.snapshot.enis.values().any(|e| {
            e.subnet_id.as_ref() == Some(&subnet.id) && e.ipv6.iter().any(|a| cidr.contains(a))
        });
        if in_use {
            return Err(err(
                Ec2ErrorCode::InvalidCidrBlockInUse,
                format!(
                    "The subnet {} has network interfaces with addresses in CIDR block {cidr}",
                    subnet.id
                ),
            ));
        }
        subnet.cidr_v6 = None;
        subnet.attributes.assign_ipv6_address_on_creation = false;
        let id = subnet.id.clone();
        self.put(Resource::Subnet(subnet));
        Ok((id, cidr))
    }

    /// ModifySubnetAttribute.
    pub fn set_subnet_attribute(
        &mut self,
        id: &SubnetId,
        change: SubnetAttributeChange,
    ) -> Result<(), AccountError> {
        let mut subnet = self.subnet(id)?.clone();
        if subnet.ipv6_native() {
            check_native_attribute(id, change)?;
        }
        let a = &mut subnet.attributes;
        match change {
            SubnetAttributeChange::MapCustomerOwnedIpOnLaunch(false) => return Ok(()),
            SubnetAttributeChange::MapCustomerOwnedIpOnLaunch(true) => {
                return Err(err(
                    Ec2ErrorCode::InvalidParameterCombination,
                    "MapCustomerOwnedIpOnLaunch requires a CustomerOwnedIpv4Pool, which only an Outposts subnet has",
                ));
            }
            SubnetAttributeChange::MapPublicIpOnLaunch(v) => a.map_public_ip_on_launch = v,
            SubnetAttributeChange::AssignIpv6AddressOnCreation(v) => {
                a.assign_ipv6_address_on_creation = v;
            }
            SubnetAttributeChange::EnableDns64(v) => a.enable_dns64 = v,
            SubnetAttributeChange::HostnameType(v) => a.hostname_type = v,
            SubnetAttributeChange::ResourceNameDnsARecord(v) => a.resource_name_dns_a_record = v,
            SubnetAttributeChange::ResourceNameDnsAaaaRecord(v) => {
                a.resource_name_dns_aaaa_record = v;
            }
        }
        self.put(Resource::Subnet(subnet));
        Ok(())
    }

    /// A public IPv4 address for a launched instance's primary interface, unique in the
    /// account: from `192.0.2.0/24` (TEST-NET-1), host part from `ids`.
    pub(super) fn new_public_ipv4(&self, ids: &mut dyn IdGen) -> Option<Ipv4Addr> {
        let used: Vec<Ipv4Addr> = self
            .snapshot
            .enis
            .values()
            .filter_map(|e| e.public_ipv4)
            .collect();
        let start = ids.next_bits();
        (0..254u128)
            .map(|step| {
                let host = (start.wrapping_add(step) % 254) + 1;
                Ipv4Addr::new(192, 0, 2, u8::try_from(host).expect("1..=254 fits in a u8"))
            })
            .find(|ip| !used.contains(ip))
    }
}

/// What an IPv6-only subnet refuses: IPv4 launch settings, and turning off what it needs
/// (an IPv6 address on every interface, resource names).
fn check_native_attribute(
    id: &SubnetId,
    change: SubnetAttributeChange,
) -> Result<(), AccountError> {
    let refused = match change {
        SubnetAttributeChange::MapPublicIpOnLaunch(v) => v.then_some("map-public-ip-on-launch"),
        SubnetAttributeChange::ResourceNameDnsARecord(v) => {
            v.then_some("enable-resource-name-dns-a-record-on-launch")
        }
        SubnetAttributeChange::AssignIpv6AddressOnCreation(v) => {
            (!v).then_some("assign-ipv6-address-on-creation")
        }
        SubnetAttributeChange::HostnameType(h) => {
            (h != HostnameType::ResourceName).then_some("private-dns-hostname-type-on-launch")
        }
        _ => None,
    };
    match refused {
        Some(attribute) => Err(err(
            Ec2ErrorCode::InvalidParameterValue,
            format!("The value of {attribute} cannot be changed for the IPv6-native subnet {id}"),
        )),
        None => Ok(()),
    }
}

fn cidr_limit(id: &VpcId, limit: usize) -> AccountError {
    err(
        Ec2ErrorCode::CidrLimitExceeded,
        format!("This network '{id}' has met its maximum number of allowed CIDRs: {limit}"),
    )
}
