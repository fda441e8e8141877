//! The network-interface and instance reads and attribute edits behind
//! [`super::Request`]'s interface and instance variants (the rules themselves live in
//! `account::instances`).

use std::net::Ipv4Addr;

use super::request::EniAttribute;
use super::response::{ImageView, InstanceTypeInfo};
use crate::account::catalog::{default_cpu_credits, instance_type_info};
use crate::account::{AccountError, AccountState};
use crate::error::Ec2ErrorCode;
use crate::ids::{EniId, InstanceId};

fn err(code: Ec2ErrorCode, message: impl Into<String>) -> AccountError {
    AccountError::new(code, message)
}

/// DescribeInstanceTypes: every named type must be one the catalogue knows
/// (`InvalidInstanceType` in EC2, spelled here as `InvalidParameterValue`).
pub(super) fn instance_types(types: &[String]) -> Result<Vec<InstanceTypeInfo>, AccountError> {
    types
        .iter()
        .map(|t| {
            instance_type_info(t).ok_or_else(|| {
                err(
                    Ec2ErrorCode::InvalidParameterValue,
                    format!("The following supplied instance types do not exist: [{t}]"),
                )
            })
        })
        .collect()
}

impl AccountState {
    /// `ip-10-0-1-5.ec2.internal` in us-east-1, `ip-10-0-1-5.REGION.compute.internal`
    /// elsewhere ("Amazon EC2 instance hostname types", EC2 UG).
    pub(super) fn private_dns_name(&self, ip: Option<Ipv4Addr>) -> String {
        let Some(ip) = ip.filter(|ip| !ip.is_unspecified()) else {
            return String::new();
        };
        let host = ip.to_string().replace('.', "-");
        if self.region() == "us-east-1" {
            format!("ip-{host}.ec2.internal")
        } else {
            format!("ip-{host}.{}.compute.internal", self.region())
        }
    }

    /// ModifyNetworkInterfaceAttribute, one attribute.
    pub(super) fn modify_eni_attribute(
        &mut self,
        eni: &EniId,
        attribute: Option<EniAttribute>,
    ) -> Result<(), AccountError> {
        match attribute {
            None => drop(self.eni(eni)?),
            Some(EniAttribute::Groups(groups)) => self.set_eni_groups(eni, groups)?,
            Some(EniAttribute::Description(text)) => self.set_eni_description(eni, text)?,
            Some(EniAttribute::DeleteOnTermination { attachment, value }) => {
                self.set_delete_on_termination(eni, &attachment, value)?;
            }
            Some(EniAttribute::ConnectionTracking {
                tcp_established,
                udp_stream,
                udp,
            }) => self.set_eni_conntrack(eni, [tcp_established, udp_stream, udp])?,
            Some(EniAttribute::SourceDestCheck(value)) => {
                // Kept per instance: the check of an instance's primary interface.
                let primary = self
                    .attachment_of(eni)
                    .filter(|(i, _)| &i.primary_eni == eni)
                    .map(|(i, _)| i.id.clone());
                match primary {
                    Some(instance) => self.modify_instance(
                        &instance,
                        crate::account::InstanceAttribute::SourceDestCheck(value),
                    )?,
                    None if value => drop(self.eni(eni)?),
                    None => {
                        return Err(err(
                            Ec2ErrorCode::UnsupportedOperation,
                            format!(
                                "Disabling the source/destination check of {eni} is supported only on an instance's primary interface"
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// DescribeImages: the named `ami-` ids, or those the account's instances use.
    pub(super) fn images(&self, ids: &[String]) -> Result<Vec<ImageView>, AccountError> {
        let mut names: Vec<String> = if ids.is_empty() {
            self.instances()
                .values()
                .map(|i| i.image_id.clone())
                .collect()
        } else {
            ids.to_vec()
        };
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|id| {
                let hex = id.strip_prefix("ami-").unwrap_or_default();
                let ok = (hex.len() == 8 || hex.len() == 17)
                    && hex.bytes().all(|b| b.is_ascii_hexdigit());
                if !ok {
                    return Err(err(
                        Ec2ErrorCode::InvalidAmiIdMalformed,
                        format!("Invalid id: \"{id}\" (expecting \"ami-...\")"),
                    ));
                }
                Ok(ImageView {
                    id,
                    owner: self.owner().to_string(),
                })
            })
            .collect()
    }

    /// DescribeInstanceCreditSpecifications: the burstable instances among `ids` (all of
    /// them when empty) with their CPU credit option.
    pub(super) fn credit_specifications(
        &self,
        ids: &[InstanceId],
    ) -> Result<Vec<(InstanceId, String)>, AccountError> {
        for id in ids {
            self.instance(id)?;
        }
        Ok(self
            .instances()
            .values()
            .filter(|i| ids.is_empty() || ids.contains(&i.id))
            .filter(|i| instance_type_info(&i.instance_type).is_some_and(|t| t.burstable))
            .map(|i| {
                let credits = i
                    .launch
                    .cpu_credits
                    .clone()
                    .unwrap_or_else(|| default_cpu_credits(&i.instance_type).to_owned());
                (i.id.clone(), credits)
            })
            .collect())
    }
}
