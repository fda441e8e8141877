//! Security groups associated with other VPCs of the same account and region
//! ("Associate security groups with multiple VPCs", VPC UG): an associated group may be
//! attached to interfaces in that VPC. The association takes effect at once here, so the
//! call answers `associating` (or `disassociating`) and reads show `associated`.

use super::ops::{GroupVpcAssociation, PageRequest, Response, Select};
use super::{AccountError, AccountState};
use crate::error::Ec2ErrorCode;
use crate::group::SecurityGroup;
use crate::ids::{GroupId, VpcId};

fn err(code: Ec2ErrorCode, message: impl Into<String>) -> AccountError {
    AccountError::new(code, message)
}

impl AccountState {
    /// AssociateSecurityGroupVpc: another VPC of this account and region; not the group's
    /// own, not twice, not a default group.
    pub fn associate_group_vpc(
        &mut self,
        group: &GroupId,
        vpc: &VpcId,
    ) -> Result<Response, AccountError> {
        self.vpc(vpc)?;
        let g = self.group(group)?;
        if g.is_default() {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("The default security group {group} cannot be associated with another VPC"),
            ));
        }
        if g.usable_in(vpc) {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("Security group {group} is already associated with {vpc}"),
            ));
        }
        self.group_mut(group)?.associated_vpcs.push(vpc.clone());
        Ok(Response::GroupVpcAssociationState("associating"))
    }

    /// DisassociateSecurityGroupVpc: not while an interface in that VPC uses the group.
    pub fn disassociate_group_vpc(
        &mut self,
        group: &GroupId,
        vpc: &VpcId,
    ) -> Result<Response, AccountError> {
        if !self.group(group)?.associated_vpcs.contains(vpc) {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("Security group {group} is not associated with {vpc}"),
            ));
        }
        let used = self
            .snapshot
            .enis
            .values()
            .any(|e| &e.vpc_id == vpc && e.has_group(group));
        if used {
            return Err(err(
                Ec2ErrorCode::DependencyViolation,
                format!("Security group {group} is in use by network interfaces in {vpc}"),
            ));
        }
        self.group_mut(group)?.associated_vpcs.retain(|v| v != vpc);
        Ok(Response::GroupVpcAssociationState("disassociating"))
    }

    /// DescribeSecurityGroupVpcAssociations, ordered by (group, VPC).
    pub(crate) fn group_vpc_associations(
        &self,
        select: &Select<GroupVpcAssociation>,
        page_req: &PageRequest,
    ) -> Response {
        let mut all: Vec<(String, GroupVpcAssociation)> = self
            .snapshot
            .groups
            .values()
            .flat_map(|g| {
                g.associated_vpcs.iter().map(|v| {
                    (
                        format!("{} {v}", g.id),
                        GroupVpcAssociation {
                            group_id: g.id.clone(),
                            group_owner: g.owner.clone(),
                            vpc_id: v.clone(),
                            vpc_owner: self.owner.clone(),
                            state: "associated",
                        },
                    )
                })
            })
            .collect();
        all.retain(|(_, a)| select.keeps(a, self));
        Response::GroupVpcAssociations(super::ops::page_sorted(all, page_req, |_| true))
    }

    /// GetSecurityGroupsForVpc: the groups interfaces in `vpc` may use.
    pub(crate) fn groups_for_vpc(
        &self,
        vpc: &VpcId,
        select: &Select<SecurityGroup>,
        page_req: &PageRequest,
    ) -> Result<Response, AccountError> {
        self.vpc(vpc)?;
        let groups: Vec<(String, SecurityGroup)> = self
            .snapshot
            .groups
            .values()
            .filter(|g| g.usable_in(vpc) && select.keeps(g, self))
            .map(|g| (g.id.to_string(), g.clone()))
            .collect();
        Ok(Response::GroupsForVpc(super::ops::page_sorted(
            groups,
            page_req,
            |_| true,
        )))
    }
}
