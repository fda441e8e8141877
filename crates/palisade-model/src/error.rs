//! Typed validation errors and the EC2 error codes they map to.
//!
//! Messages follow EC2's wording where it is known (see `shared/research/aws-api.md` §3);
//! callers branch on [`Ec2ErrorCode`], never on message text.

/// An EC2 API error code, as sent in `<Error><Code>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ec2ErrorCode {
    AuthFailure,
    CannotDelete,
    DependencyViolation,
    DryRunOperation,
    FilterLimitExceeded,
    IncorrectState,
    InsufficientFreeAddressesInSubnet,
    InvalidAction,
    InvalidClientTokenId,
    InvalidGroupDuplicate,
    InvalidGroupIdMalformed,
    InvalidGroupNotFound,
    InvalidGroupReserved,
    InvalidIpAddressInUse,
    InvalidInstanceIdMalformed,
    InvalidInstanceIdNotFound,
    InvalidNetworkInterfaceIdMalformed,
    InvalidNetworkInterfaceIdNotFound,
    InvalidNextToken,
    InvalidParameter,
    InvalidParameterCombination,
    InvalidParameterValue,
    InvalidPermissionDuplicate,
    InvalidPermissionNotFound,
    InvalidPrefixListIdMalformed,
    InvalidPrefixListIdNotFound,
    InvalidSecurityGroupRuleIdMalformed,
    InvalidSecurityGroupRuleIdNotFound,
    InvalidSubnetConflict,
    InvalidSubnetIdMalformed,
    InvalidSubnetIdNotFound,
    InvalidSubnetRange,
    InvalidVpcIdMalformed,
    InvalidVpcIdNotFound,
    InvalidVpcPeeringConnectionIdMalformed,
    InvalidVpcPeeringConnectionIdNotFound,
    InvalidVpcRange,
    MissingParameter,
    PrefixListVersionMismatch,
    PrivateIpAddressLimitExceeded,
    RulesPerSecurityGroupLimitExceeded,
    SecurityGroupLimitExceeded,
    SecurityGroupsPerInstanceLimitExceeded,
    SecurityGroupsPerInterfaceLimitExceeded,
    SignatureDoesNotMatch,
    TagLimitExceeded,
    InternalError,
    UnknownParameter,
    UnsupportedOperation,
    VpcLimitExceeded,
    // --- routing ---
    InvalidRouteTableIdMalformed,
    InvalidRouteTableIdNotFound,
    InvalidInternetGatewayIdMalformed,
    InvalidInternetGatewayIdNotFound,
    InvalidGatewayIdNotFound,
    InvalidAllocationIdMalformed,
    InvalidAllocationIdNotFound,
    InvalidAssociationIdMalformed,
    InvalidAssociationIdNotFound,
    InvalidAddressNotFound,
    InvalidNetworkAclIdMalformed,
    InvalidNetworkAclIdNotFound,
    InvalidRouteNotFound,
    RouteAlreadyExists,
    ResourceAlreadyAssociated,
    GatewayNotAttached,
    AddressLimitExceeded,
    // VPC and subnet attributes, CIDR associations, zones, default VPC/subnet.
    CidrLimitExceeded,
    DefaultSubnetAlreadyExistsInAvailabilityZone,
    DefaultVpcAlreadyExists,
    InvalidSubnetCidrBlockAssociationIdNotFound,
    InvalidVpcCidrBlockAssociationIdNotFound,
    NoDefaultVpcForSubnet,
    InvalidCidrBlockInUse,
    OperationNotPermitted,
    // VPC peering and prefix lists.
    InvalidStateTransition,
    UnauthorizedOperation,
    // Network interfaces and instances.
    IncorrectInstanceState,
    InvalidAmiIdMalformed,
    InvalidInstanceId,
    InvalidAttachmentIdNotFound,
    InvalidNetworkInterfaceInUse,
}

impl Ec2ErrorCode {
    /// Every code, for exhaustive tests.
    pub const ALL: &'static [Self] = &[
        Self::AuthFailure,
        Self::CannotDelete,
        Self::DependencyViolation,
        Self::DryRunOperation,
        Self::FilterLimitExceeded,
        Self::IncorrectState,
        Self::InsufficientFreeAddressesInSubnet,
        Self::InvalidAction,
        Self::InvalidClientTokenId,
        Self::InvalidGroupDuplicate,
        Self::InvalidGroupIdMalformed,
        Self::InvalidGroupNotFound,
        Self::InvalidGroupReserved,
        Self::InvalidIpAddressInUse,
        Self::InvalidInstanceIdMalformed,
        Self::InvalidInstanceIdNotFound,
        Self::InvalidNetworkInterfaceIdMalformed,
        Self::InvalidNetworkInterfaceIdNotFound,
        Self::InvalidNextToken,
        Self::InvalidParameter,
        Self::InvalidParameterCombination,
        Self::InvalidParameterValue,
        Self::InvalidPermissionDuplicate,
        Self::InvalidPermissionNotFound,
        Self::InvalidPrefixListIdMalformed,
        Self::InvalidPrefixListIdNotFound,
        Self::InvalidSecurityGroupRuleIdMalformed,
        Self::InvalidSecurityGroupRuleIdNotFound,
        Self::InvalidSubnetConflict,
        Self::InvalidSubnetIdMalformed,
        Self::InvalidSubnetIdNotFound,
        Self::InvalidSubnetRange,
        Self::InvalidVpcIdMalformed,
        Self::InvalidVpcIdNotFound,
        Self::InvalidVpcPeeringConnectionIdMalformed,
        Self::InvalidVpcPeeringConnectionIdNotFound,
        Self::InvalidVpcRange,
        Self::MissingParameter,
        Self::PrefixListVersionMismatch,
        Self::PrivateIpAddressLimitExceeded,
        Self::RulesPerSecurityGroupLimitExceeded,
        Self::SecurityGroupLimitExceeded,
        Self::SecurityGroupsPerInstanceLimitExceeded,
        Self::SecurityGroupsPerInterfaceLimitExceeded,
        Self::SignatureDoesNotMatch,
        Self::TagLimitExceeded,
        Self::InternalError,
        Self::UnknownParameter,
        Self::UnsupportedOperation,
        Self::VpcLimitExceeded,
        // --- routing ---
        Self::InvalidRouteTableIdMalformed,
        Self::InvalidRouteTableIdNotFound,
        Self::InvalidInternetGatewayIdMalformed,
        Self::InvalidInternetGatewayIdNotFound,
        Self::InvalidGatewayIdNotFound,
        Self::InvalidAllocationIdMalformed,
        Self::InvalidAllocationIdNotFound,
        Self::InvalidAssociationIdMalformed,
        Self::InvalidAssociationIdNotFound,
        Self::InvalidAddressNotFound,
        Self::InvalidNetworkAclIdMalformed,
        Self::InvalidNetworkAclIdNotFound,
        Self::InvalidRouteNotFound,
        Self::RouteAlreadyExists,
        Self::ResourceAlreadyAssociated,
        Self::GatewayNotAttached,
        Self::AddressLimitExceeded,
        // VPC and subnet attributes, CIDR associations, zones, default VPC/subnet.
        Self::CidrLimitExceeded,
        Self::DefaultSubnetAlreadyExistsInAvailabilityZone,
        Self::DefaultVpcAlreadyExists,
        Self::InvalidSubnetCidrBlockAssociationIdNotFound,
        Self::InvalidVpcCidrBlockAssociationIdNotFound,
        Self::NoDefaultVpcForSubnet,
        Self::InvalidCidrBlockInUse,
        Self::OperationNotPermitted,
        Self::InvalidStateTransition,
        Self::UnauthorizedOperation,
        // Network interfaces and instances.
        Self::IncorrectInstanceState,
        Self::InvalidAmiIdMalformed,
        Self::InvalidInstanceId,
        Self::InvalidAttachmentIdNotFound,
        Self::InvalidNetworkInterfaceInUse,
    ];

    /// The code exactly as EC2 spells it on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthFailure => "AuthFailure",
            Self::CannotDelete => "CannotDelete",
            Self::DependencyViolation => "DependencyViolation",
            Self::DryRunOperation => "DryRunOperation",
            Self::FilterLimitExceeded => "FilterLimitExceeded",
            Self::IncorrectState => "IncorrectState",
            Self::InsufficientFreeAddressesInSubnet => "InsufficientFreeAddressesInSubnet",
            Self::InvalidAction => "InvalidAction",
            Self::InvalidClientTokenId => "InvalidClientTokenId",
            Self::InvalidGroupDuplicate => "InvalidGroup.Duplicate",
            Self::InvalidGroupIdMalformed => "InvalidGroupId.Malformed",
            Self::InvalidGroupNotFound => "InvalidGroup.NotFound",
            Self::InvalidGroupReserved => "InvalidGroup.Reserved",
            Self::InvalidIpAddressInUse => "InvalidIPAddress.InUse",
            Self::InvalidInstanceIdMalformed => "InvalidInstanceID.Malformed",
            Self::InvalidInstanceIdNotFound => "InvalidInstanceID.NotFound",
            Self::InvalidNetworkInterfaceIdMalformed => "InvalidNetworkInterfaceID.Malformed",
            Self::InvalidNetworkInterfaceIdNotFound => "InvalidNetworkInterfaceID.NotFound",
            Self::InvalidNextToken => "InvalidNextToken",
            Self::InvalidParameter => "InvalidParameter",
            Self::InvalidParameterCombination => "InvalidParameterCombination",
            Self::InvalidParameterValue => "InvalidParameterValue",
            Self::InvalidPermissionDuplicate => "InvalidPermission.Duplicate",
            Self::InvalidPermissionNotFound => "InvalidPermission.NotFound",
            Self::InvalidPrefixListIdMalformed => "InvalidPrefixListId.Malformed",
            Self::InvalidPrefixListIdNotFound => "InvalidPrefixListID.NotFound",
            Self::InvalidSecurityGroupRuleIdMalformed => "InvalidSecurityGroupRuleId.Malformed",
            Self::InvalidSecurityGroupRuleIdNotFound => "InvalidSecurityGroupRuleId.NotFound",
            Self::InvalidSubnetConflict => "InvalidSubnet.Conflict",
            Self::InvalidSubnetIdMalformed => "InvalidSubnetID.Malformed",
            Self::InvalidSubnetIdNotFound => "InvalidSubnetID.NotFound",
            Self::InvalidSubnetRange => "InvalidSubnet.Range",
            Self::InvalidVpcIdMalformed => "InvalidVpcID.Malformed",
            Self::InvalidVpcIdNotFound => "InvalidVpcID.NotFound",
            Self::InvalidVpcPeeringConnectionIdMalformed => {
                "InvalidVpcPeeringConnectionId.Malformed"
            }
            Self::InvalidVpcPeeringConnectionIdNotFound => "InvalidVpcPeeringConnectionID.NotFound",
            Self::InvalidVpcRange => "InvalidVpc.Range",
            Self::MissingParameter => "MissingParameter",
            Self::PrefixListVersionMismatch => "PrefixListVersionMismatch",
            Self::PrivateIpAddressLimitExceeded => "PrivateIpAddressLimitExceeded",
            Self::RulesPerSecurityGroupLimitExceeded => "RulesPerSecurityGroupLimitExceeded",
            Self::SecurityGroupLimitExceeded => "SecurityGroupLimitExceeded",
            Self::SecurityGroupsPerInstanceLimitExceeded => {
                "SecurityGroupsPerInstanceLimitExceeded"
            }
            Self::SecurityGroupsPerInterfaceLimitExceeded => {
                "SecurityGroupsPerInterfaceLimitExceeded"
            }
            Self::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            Self::TagLimitExceeded => "TagLimitExceeded",
            Self::InternalError => "InternalError",
            Self::UnknownParameter => "UnknownParameter",
            Self::UnsupportedOperation => "UnsupportedOperation",
            Self::VpcLimitExceeded => "VpcLimitExceeded",
            // --- routing ---
            Self::InvalidRouteTableIdMalformed => "InvalidRouteTableId.Malformed",
            Self::InvalidRouteTableIdNotFound => "InvalidRouteTableID.NotFound",
            Self::InvalidInternetGatewayIdMalformed => "InvalidInternetGatewayId.Malformed",
            Self::InvalidInternetGatewayIdNotFound => "InvalidInternetGatewayID.NotFound",
            Self::InvalidGatewayIdNotFound => "InvalidGatewayID.NotFound",
            Self::InvalidAllocationIdMalformed => "InvalidAllocationID.Malformed",
            Self::InvalidAllocationIdNotFound => "InvalidAllocationID.NotFound",
            Self::InvalidAssociationIdMalformed => "InvalidAssociationID.Malformed",
            Self::InvalidAssociationIdNotFound => "InvalidAssociationID.NotFound",
            Self::InvalidAddressNotFound => "InvalidAddress.NotFound",
            Self::InvalidNetworkAclIdMalformed => "InvalidNetworkAclId.Malformed",
            Self::InvalidNetworkAclIdNotFound => "InvalidNetworkAclID.NotFound",
            Self::InvalidRouteNotFound => "InvalidRoute.NotFound",
            Self::RouteAlreadyExists => "RouteAlreadyExists",
            Self::ResourceAlreadyAssociated => "Resource.AlreadyAssociated",
            Self::GatewayNotAttached => "Gateway.NotAttached",
            Self::AddressLimitExceeded => "AddressLimitExceeded",
            // VPC and subnet attributes, CIDR associations, zones, default VPC/subnet.
            Self::CidrLimitExceeded => "CidrLimitExceeded",
            Self::DefaultSubnetAlreadyExistsInAvailabilityZone => {
                "DefaultSubnetAlreadyExistsInAvailabilityZone"
            }
            Self::DefaultVpcAlreadyExists => "DefaultVpcAlreadyExists",
            Self::InvalidSubnetCidrBlockAssociationIdNotFound => {
                "InvalidSubnetCidrBlockAssociationID.NotFound"
            }
            Self::InvalidVpcCidrBlockAssociationIdNotFound => {
                "InvalidVpcCidrBlockAssociationID.NotFound"
            }
            Self::NoDefaultVpcForSubnet => "NoDefaultVpcForSubnet",
            Self::InvalidCidrBlockInUse => "InvalidCidrBlock.InUse",
            Self::OperationNotPermitted => "OperationNotPermitted",
            Self::InvalidStateTransition => "InvalidStateTransition",
            Self::UnauthorizedOperation => "UnauthorizedOperation",
            // Network interfaces and instances.
            Self::IncorrectInstanceState => "IncorrectInstanceState",
            Self::InvalidAmiIdMalformed => "InvalidAMIID.Malformed",
            Self::InvalidInstanceId => "InvalidInstanceID",
            Self::InvalidAttachmentIdNotFound => "InvalidAttachmentID.NotFound",
            Self::InvalidNetworkInterfaceInUse => "InvalidNetworkInterface.InUse",
        }
    }
}

impl std::fmt::Display for Ec2ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Declares an error type that carries an EC2 error code and a message: the shape of every
/// validation error (model, account operations, Query decoding), so each stays a distinct,
/// named type while sharing one definition.
#[macro_export]
macro_rules! ec2_error {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, ::thiserror::Error)]
        #[error("{message}")]
        pub struct $name {
            code: $crate::Ec2ErrorCode,
            message: String,
        }

        impl $name {
            pub fn new(code: $crate::Ec2ErrorCode, message: impl Into<String>) -> Self {
                Self { code, message: message.into() }
            }
            /// The EC2 error code clients see.
            pub fn code(&self) -> $crate::Ec2ErrorCode {
                self.code
            }
            pub fn message(&self) -> &str {
                &self.message
            }
        }
    };
}

ec2_error!(
    /// A malformed resource id.
    IdError
);
ec2_error!(
    /// Why a rule (or a set of rules) was refused.
    RuleError
);
ec2_error!(
    /// Why a group could not be created, named or changed.
    GroupError
);
ec2_error!(
    /// Why a VPC, subnet, interface, peering or prefix list was refused.
    NetworkError
);

impl From<IdError> for RuleError {
    fn from(e: IdError) -> Self {
        Self::new(e.code, e.message)
    }
}
