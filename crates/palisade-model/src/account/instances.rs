//! Instances and their interfaces: RunInstances with several network interfaces,
//! Attach/DetachNetworkInterface, the attributes Terraform reads and changes, and
//! TerminateInstances' treatment of each attachment ("Network interface attachments",
//! EC2 UG "Elastic network interfaces").
//!
//! What protects an instance is the union over its attached interfaces' groups: the engine
//! and data plane never look at instances, only at each interface's own groups, so an
//! attachment changes what protects the instance without any derived state to keep in step.
//! DescribeInstances' `groupSet` is the primary interface's, as EC2 reports it.

use std::net::Ipv4Addr;

use super::{AccountError, AccountState, AddressSpec, NewEni, Resource, ResourceKey};
use crate::error::Ec2ErrorCode;
use crate::ids::{EniId, GroupId, IdGen, InstanceId, SubnetId, VpcId};
use crate::network::{ConntrackConfig, Subnet, Tag};
use crate::time::Timestamp;

/// An instance: what security groups, Terraform and a lab need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub id: InstanceId,
    pub image_id: String,
    pub instance_type: String,
    pub subnet_id: SubnetId,
    pub vpc_id: VpcId,
    pub primary_eni: EniId,
    pub private_ip: Ipv4Addr,
    pub state: InstanceState,
    pub tags: Vec<Tag>,
    /// Every attached interface, the primary (device index 0) first.
    pub interfaces: Vec<Attachment>,
    pub launch_time: Timestamp,
    pub launch: LaunchOptions,
    /// The primary interface's source/destination check (EC2 keeps it per interface; only
    /// the instance-level attribute is modelled).
    pub source_dest_check: bool,
    /// Interfaces detached from this instance, each until it is attached again:
    /// DescribeNetworkInterfaces reports such an attachment with status `detached`, which is
    /// what Terraform's detach waiter polls for (by `attachment.attachment-id`).
    pub detached: Vec<Attachment>,
}

/// The RunInstances options EC2 keeps and reports back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchOptions {
    /// `UserData` exactly as given (base64, as EC2 keeps it).
    pub user_data: Option<String>,
    pub key_name: Option<String>,
    pub disable_api_termination: bool,
    pub disable_api_stop: bool,
    pub shutdown_behavior: ShutdownBehavior,
    pub ebs_optimized: bool,
    pub monitoring: bool,
    /// `CreditSpecification.CpuCredits` (burstable types); `None` is the type's default.
    pub cpu_credits: Option<String>,
}

/// `InstanceInitiatedShutdownBehavior`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ShutdownBehavior {
    #[default]
    Stop,
    Terminate,
}

impl ShutdownBehavior {
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Terminate => "terminate",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "stop" => Some(Self::Stop),
            "terminate" => Some(Self::Terminate),
            _ => None,
        }
    }
}

/// One interface attached to an instance (`NetworkInterfaceAttachment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub eni: EniId,
    /// `eni-attach-` and 17 hex digits.
    pub id: String,
    pub device_index: u32,
    pub network_card_index: u32,
    /// True for the primary interface RunInstances creates; false for attached ones.
    pub delete_on_termination: bool,
    pub attach_time: Timestamp,
}

/// Running or terminated. EC2's transient states are reported, not stored: RunInstances
/// answers `pending` and TerminateInstances `shutting-down`, later reads the stored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstanceState {
    Running,
    Terminated,
}

impl InstanceState {
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Terminated => "terminated",
        }
    }
    /// EC2's numeric state code.
    pub fn code(self) -> u16 {
        match self {
            Self::Running => 16,
            Self::Terminated => 48,
        }
    }
}

/// RunInstances' inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInstances {
    pub image_id: String,
    pub instance_type: String,
    pub count: u32,
    /// `None` means the first default subnet.
    pub subnet_id: Option<SubnetId>,
    pub groups: Vec<GroupId>,
    pub group_names: Vec<String>,
    /// The primary interface's addresses (named ones only with `count == 1`).
    pub addresses: AddressSpec,
    pub tags: Vec<Tag>,
    pub launch: LaunchOptions,
    /// `NetworkInterface.N` entries other than the primary's addresses, subnet and groups
    /// (which the fields above carry): an existing primary, its description, and the
    /// interfaces at device index 1 and above.
    pub interfaces: Vec<NicSpec>,
    /// `TagSpecification` for `network-interface`: tags of the interfaces created.
    pub eni_tags: Vec<Tag>,
    /// `NetworkInterface.N.AssociatePublicIpAddress`; `None` follows the subnet's
    /// `MapPublicIpOnLaunch`.
    pub associate_public_ip: Option<bool>,
}

/// One `NetworkInterface.N` of RunInstances.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NicSpec {
    pub device_index: u32,
    pub network_card_index: u32,
    /// Attach this existing interface instead of creating one.
    pub eni: Option<EniId>,
    pub subnet_id: Option<SubnetId>,
    pub groups: Vec<GroupId>,
    pub addresses: AddressSpec,
    pub description: String,
    /// Default: true for a created interface, false for an existing one.
    pub delete_on_termination: Option<bool>,
    /// `ConnectionTrackingSpecification` of a created interface.
    pub conntrack: ConntrackConfig,
}

/// One attribute ModifyInstanceAttribute changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstanceAttribute {
    Groups(Vec<GroupId>),
    SourceDestCheck(bool),
    DisableApiTermination(bool),
    DisableApiStop(bool),
    ShutdownBehavior(ShutdownBehavior),
    /// Only on a stopped instance (`IncorrectInstanceState` otherwise).
    InstanceType(String),
    /// Only on a stopped instance.
    UserData(String),
    /// Only on a stopped instance.
    EbsOptimized(bool),
}

fn err(code: Ec2ErrorCode, message: impl Into<String>) -> AccountError {
    AccountError::new(code, message)
}

/// A fresh `eni-attach-` id.
fn attachment_id(ids: &mut dyn IdGen) -> String {
    let bits = ids.next_bits() & ((1u128 << 68) - 1);
    format!("eni-attach-{bits:017x}")
}

impl AccountState {
    /// RunInstances: a primary interface per instance (created, or an existing one named by
    /// `NetworkInterface.N.NetworkInterfaceId` at device index 0) and the secondary
    /// interfaces of `NetworkInterface.N`, created or attached.
    pub fn run_instances(
        &mut self,
        new: NewInstances,
        ids: &mut dyn IdGen,
    ) -> Result<Vec<InstanceId>, AccountError> {
        let now = ids.now();
        let primary_nic = new.interfaces.iter().find(|n| n.device_index == 0).cloned();
        let existing_primary = primary_nic.as_ref().and_then(|n| n.eni.clone());
        let subnet_id = match (&existing_primary, new.subnet_id.clone()) {
            (Some(eni), _) => self.eni(eni)?.subnet_id.clone().ok_or_else(|| {
                err(
                    Ec2ErrorCode::InvalidParameterValue,
                    format!("Network interface {eni} has no subnet"),
                )
            })?,
            (None, Some(id)) => id,
            (None, None) => self.first_default_subnet()?,
        };
        let subnet = self.subnet(&subnet_id)?;
        let vpc = subnet.vpc_id.clone();
        // Launch effects of the subnet's attributes ("IP addressing for your VPCs and
        // subnets", VPC UG): a public IPv4 address and one IPv6 address on a created primary.
        let public_ip = existing_primary.is_none()
            && !subnet.ipv6_native()
            && new
                .associate_public_ip
                .unwrap_or(subnet.attributes.map_public_ip_on_launch);
        let mut addresses = new.addresses.clone();
        if subnet.attributes.assign_ipv6_address_on_creation
            && subnet.cidr_v6.is_some()
            && addresses.ipv6.is_empty()
            && addresses.ipv6_count == 0
        {
            addresses.ipv6_count = 1;
        }
        let mut groups = new.groups.clone();
        for name in &new.group_names {
            let g = self.group_by_name(&vpc, name).ok_or_else(|| {
                err(
                    Ec2ErrorCode::InvalidGroupNotFound,
                    format!("The security group '{name}' does not exist in VPC '{vpc}'"),
                )
            })?;
            groups.push(g.id.clone());
        }
        if groups.len() > self.quotas.groups_per_interface() as usize {
            return Err(err(
                Ec2ErrorCode::SecurityGroupsPerInstanceLimitExceeded,
                "The maximum number of security groups per instance has been reached.",
            ));
        }
        if new.count == 0 || new.count > 100 {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("Invalid value '{}' for MaxCount", new.count),
            ));
        }
        self.check_new_tags(&new.tags)?;
        self.check_new_tags(&new.eni_tags)?;
        // `RunInstancesRequest.PrivateIpAddress`: "You cannot specify this option if you're
        // launching more than one instance in the request" (so too `Ipv6Addresses`, and an
        // existing interface can go to one instance only).
        let names_interfaces = new.interfaces.iter().any(|n| n.eni.is_some());
        if new.count > 1 && (new.addresses.names_addresses() || names_interfaces) {
            return Err(err(
                Ec2ErrorCode::InvalidParameterCombination,
                "Specific addresses cannot be specified when launching more than one instance",
            ));
        }
        let mut indices: Vec<u32> = new.interfaces.iter().map(|n| n.device_index).collect();
        indices.sort_unstable();
        if indices.windows(2).any(|w| w[0] == w[1]) {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                "Each network interface requires a unique device index.",
            ));
        }
        if let Some(eni) = &existing_primary {
            self.check_attachable(eni)?;
        }
        let mut out = Vec::new();
        for _ in 0..new.count {
            let primary_eni = match &existing_primary {
                Some(eni) => eni.clone(),
                None => self.create_eni(
                    NewEni {
                        subnet_id: subnet_id.clone(),
                        groups: groups.clone(),
                        addresses: addresses.clone(),
                        description: primary_nic
                            .as_ref()
                            .map(|n| n.description.clone())
                            .unwrap_or_default(),
                        tags: new.eni_tags.clone(),
                        conntrack: primary_nic
                            .as_ref()
                            .map(|n| n.conntrack)
                            .unwrap_or_default(),
                    },
                    ids,
                )?,
            };
            if public_ip {
                let public = self.new_public_ipv4(ids);
                self.eni_mut(&primary_eni)?.public_ipv4 = public;
            }
            let instance_id = InstanceId::generate(ids);
            let mut interfaces = vec![Attachment {
                eni: primary_eni.clone(),
                id: attachment_id(ids),
                device_index: 0,
                network_card_index: 0,
                delete_on_termination: primary_nic
                    .as_ref()
                    .and_then(|n| n.delete_on_termination)
                    .unwrap_or(existing_primary.is_none()),
                attach_time: now,
            }];
            for nic in new.interfaces.iter().filter(|n| n.device_index != 0) {
                let eni = match &nic.eni {
                    Some(eni) => {
                        self.check_attachable(eni)?;
                        eni.clone()
                    }
                    None => self.create_eni(
                        NewEni {
                            subnet_id: nic.subnet_id.clone().unwrap_or_else(|| subnet_id.clone()),
                            groups: nic.groups.clone(),
                            addresses: nic.addresses.clone(),
                            description: nic.description.clone(),
                            tags: new.eni_tags.clone(),
                            conntrack: nic.conntrack,
                        },
                        ids,
                    )?,
                };
                self.check_same_zone(&eni, &subnet_id)?;
                interfaces.push(Attachment {
                    eni,
                    id: attachment_id(ids),
                    device_index: nic.device_index,
                    network_card_index: nic.network_card_index,
                    delete_on_termination: nic.delete_on_termination.unwrap_or(nic.eni.is_none()),
                    attach_time: now,
                });
            }
            for a in &interfaces {
                self.forget_detachment(&a.eni);
                self.eni_mut(&a.eni)?.instance_id = Some(instance_id.clone());
            }
            let private_ip = self
                .eni(&primary_eni)?
                .private_ipv4
                .first()
                .copied()
                .unwrap_or(Ipv4Addr::UNSPECIFIED);
            self.put(Resource::Instance(Instance {
                id: instance_id.clone(),
                image_id: new.image_id.clone(),
                instance_type: new.instance_type.clone(),
                subnet_id: subnet_id.clone(),
                vpc_id: vpc.clone(),
                primary_eni,
                private_ip,
                state: InstanceState::Running,
                tags: new.tags.clone(),
                interfaces,
                launch_time: now,
                launch: new.launch.clone(),
                source_dest_check: true,
                detached: Vec::new(),
            }));
            out.push(instance_id);
        }
        Ok(out)
    }

    fn first_default_subnet(&self) -> Result<SubnetId, AccountError> {
        let vpc = self.default_vpc().ok_or_else(|| {
            err(
                Ec2ErrorCode::MissingParameter,
                "No default VPC for this user. The request must contain the parameter SubnetId",
            )
        })?;
        let mut subnets: Vec<&Subnet> = self
            .snapshot
            .subnets
            .values()
            .filter(|s| s.vpc_id == vpc.id)
            .collect();
        subnets.sort_by(|a, b| a.availability_zone.cmp(&b.availability_zone));
        subnets.first().map(|s| s.id.clone()).ok_or_else(|| {
            err(
                Ec2ErrorCode::MissingParameter,
                "The default VPC has no subnet. The request must contain the parameter SubnetId",
            )
        })
    }

    pub fn instance(&self, id: &InstanceId) -> Result<&Instance, AccountError> {
        self.instances.get(id).ok_or_else(|| {
            err(
                Ec2ErrorCode::InvalidInstanceIdNotFound,
                format!("The instance ID '{id}' does not exist"),
            )
        })
    }

    /// The instance's groups as DescribeInstances reports them: its primary interface's
    /// ("changing the security groups associated with the instance … changes the security
    /// groups associated with the primary network interface (eth0)", VPC UG "Security
    /// groups"). What protects the instance is each interface's own set, which the engine
    /// and data plane read per interface.
    pub fn instance_groups(&self, instance: &Instance) -> Vec<GroupId> {
        self.snapshot
            .enis
            .get(&instance.primary_eni)
            .map(|e| e.groups.clone())
            .unwrap_or_default()
    }

    /// The attachment of an interface, with its instance.
    pub fn attachment_of(&self, eni: &EniId) -> Option<(&Instance, &Attachment)> {
        let instance = self
            .instances
            .get(self.snapshot.enis.get(eni)?.instance_id.as_ref()?)?;
        let a = instance.interfaces.iter().find(|a| &a.eni == eni)?;
        Some((instance, a))
    }

    /// An interface's last attachment once it is detached (no instance uses it).
    pub fn last_detachment(&self, eni: &EniId) -> Option<(&Instance, &Attachment)> {
        if self.snapshot.enis.get(eni)?.instance_id.is_some() {
            return None;
        }
        self.instances.values().find_map(|i| {
            let a = i.detached.iter().find(|a| &a.eni == eni)?;
            Some((i, a))
        })
    }

    /// Drops the `detached` record of an interface being attached again.
    fn forget_detachment(&mut self, eni: &EniId) {
        let holders: Vec<Instance> = self
            .instances
            .values()
            .filter(|i| i.detached.iter().any(|a| &a.eni == eni))
            .cloned()
            .collect();
        for mut i in holders {
            i.detached.retain(|a| &a.eni != eni);
            self.put(Resource::Instance(i));
        }
    }

    /// TerminateInstances: the instance stays, terminated; interfaces with
    /// DeleteOnTermination go, the others are detached. Returns (id, previous state) pairs.
    pub fn terminate_instances(
        &mut self,
        ids: &[InstanceId],
    ) -> Result<Vec<(InstanceId, InstanceState)>, AccountError> {
        for id in ids {
            if self.instance(id)?.launch.disable_api_termination {
                return Err(err(
                    Ec2ErrorCode::OperationNotPermitted,
                    format!(
                        "The instance '{id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again."
                    ),
                ));
            }
        }
        let mut out = Vec::new();
        for id in ids {
            let mut instance = self.instance(id)?.clone();
            out.push((id.clone(), instance.state));
            if instance.state != InstanceState::Running {
                continue;
            }
            for a in std::mem::take(&mut instance.interfaces) {
                if a.delete_on_termination {
                    // --- routing ---: the deleted interface's Elastic IP is disassociated.
                    self.remove_eni_addresses(&a.eni);
                    self.remove(&ResourceKey::Eni(a.eni));
                } else if let Ok(eni) = self.eni_mut(&a.eni) {
                    eni.instance_id = None;
                    instance.detached.push(a);
                }
            }
            instance.state = InstanceState::Terminated;
            self.put(Resource::Instance(instance));
        }
        Ok(out)
    }

    fn running_instance(&self, id: &InstanceId) -> Result<&Instance, AccountError> {
        let instance = self.instance(id)?;
        if instance.state != InstanceState::Running {
            return Err(err(
                Ec2ErrorCode::IncorrectInstanceState,
                format!("The instance '{id}' is not in a state from which it can be modified"),
            ));
        }
        Ok(instance)
    }

    /// ModifyInstanceAttribute (groups): replaces the primary interface's set, on an
    /// instance with one interface only (EC2: "There are multiple interfaces attached to
    /// instance 'i-…'. Please specify an interface ID for the operation instead.").
    pub fn set_instance_groups(
        &mut self,
        id: &InstanceId,
        groups: Vec<GroupId>,
    ) -> Result<(), AccountError> {
        let instance = self.running_instance(id)?;
        if instance.interfaces.len() > 1 {
            return Err(err(
                Ec2ErrorCode::InvalidInstanceId,
                format!(
                    "There are multiple interfaces attached to instance '{id}'. Please specify an interface ID for the operation instead."
                ),
            ));
        }
        let eni = instance.primary_eni.clone();
        self.set_eni_groups(&eni, groups)
    }

    /// ModifyInstanceAttribute, one attribute.
    pub fn modify_instance(
        &mut self,
        id: &InstanceId,
        attribute: InstanceAttribute,
    ) -> Result<(), AccountError> {
        use InstanceAttribute as A;
        if let A::Groups(groups) = attribute {
            return self.set_instance_groups(id, groups);
        }
        let mut instance = self.running_instance(id)?.clone();
        match attribute {
            A::Groups(_) => {}
            A::SourceDestCheck(v) => instance.source_dest_check = v,
            A::DisableApiTermination(v) => instance.launch.disable_api_termination = v,
            A::DisableApiStop(v) => instance.launch.disable_api_stop = v,
            A::ShutdownBehavior(v) => instance.launch.shutdown_behavior = v,
            // "To modify some attributes, the instance must be stopped"
            // (ModifyInstanceAttribute); instances here are never stopped.
            A::InstanceType(_) | A::UserData(_) | A::EbsOptimized(_) => {
                return Err(err(
                    Ec2ErrorCode::IncorrectInstanceState,
                    format!("The instance '{id}' is not in the 'stopped' state."),
                ));
            }
        }
        self.put(Resource::Instance(instance));
        Ok(())
    }

    /// An interface that may be attached: it exists and no instance uses it.
    fn check_attachable(&self, eni: &EniId) -> Result<(), AccountError> {
        if let Some(instance) = &self.eni(eni)?.instance_id {
            return Err(err(
                Ec2ErrorCode::InvalidNetworkInterfaceInUse,
                format!("Interface: [{eni}] in use by instance {instance}."),
            ));
        }
        Ok(())
    }

    /// "The network interface and the instance must be in the same Availability Zone"
    /// (EC2 UG "Attach a network interface").
    fn check_same_zone(&self, eni: &EniId, subnet: &SubnetId) -> Result<(), AccountError> {
        let zone = |s: Option<&SubnetId>| {
            s.and_then(|s| self.snapshot.subnets.get(s))
                .map(|s| s.availability_zone.clone())
        };
        let eni_zone = zone(self.eni(eni)?.subnet_id.as_ref());
        if eni_zone != zone(Some(subnet)) {
            return Err(err(
                Ec2ErrorCode::InvalidParameterCombination,
                format!(
                    "You may not attach a network interface to an instance if they are not in the same availability zone ({eni})"
                ),
            ));
        }
        Ok(())
    }

    /// AttachNetworkInterface: returns the attachment id.
    pub fn attach_eni(
        &mut self,
        eni: &EniId,
        instance: &InstanceId,
        device_index: u32,
        network_card_index: u32,
        ids: &mut dyn IdGen,
    ) -> Result<String, AccountError> {
        self.eni(eni)?;
        let inst = self.instance(instance)?.clone();
        if inst.state != InstanceState::Running {
            return Err(err(
                Ec2ErrorCode::IncorrectInstanceState,
                format!("The instance '{instance}' is not in a valid state for this operation."),
            ));
        }
        self.check_attachable(eni)?;
        if self.eni(eni)?.vpc_id != inst.vpc_id {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!("Network interface {eni} and instance {instance} are in different VPCs"),
            ));
        }
        self.check_same_zone(eni, &inst.subnet_id)?;
        if inst
            .interfaces
            .iter()
            .any(|a| a.device_index == device_index && a.network_card_index == network_card_index)
        {
            return Err(err(
                Ec2ErrorCode::InvalidParameterValue,
                format!(
                    "Instance '{instance}' already has an interface attached at device index '{device_index}'."
                ),
            ));
        }
        self.forget_detachment(eni);
        let mut inst = self.instance(instance)?.clone();
        let id = attachment_id(ids);
        inst.interfaces.push(Attachment {
            eni: eni.clone(),
            id: id.clone(),
            device_index,
            network_card_index,
            delete_on_termination: false,
            attach_time: ids.now(),
        });
        inst.interfaces
            .sort_by_key(|a| (a.network_card_index, a.device_index));
        self.eni_mut(eni)?.instance_id = Some(instance.clone());
        self.put(Resource::Instance(inst));
        Ok(id)
    }

    fn find_attachment(&self, attachment: &str) -> Result<(InstanceId, Attachment), AccountError> {
        self.instances
            .values()
            .filter(|i| i.state == InstanceState::Running)
            .find_map(|i| {
                let a = i.interfaces.iter().find(|a| a.id == attachment)?;
                Some((i.id.clone(), a.clone()))
            })
            .ok_or_else(|| {
                err(
                    Ec2ErrorCode::InvalidAttachmentIdNotFound,
                    format!("The attachment ID '{attachment}' does not exist"),
                )
            })
    }

    /// DetachNetworkInterface: not the primary interface ("You cannot detach a primary
    /// network interface from an instance", EC2 UG).
    pub fn detach_eni(&mut self, attachment: &str) -> Result<(), AccountError> {
        let (instance, a) = self.find_attachment(attachment)?;
        if a.device_index == 0 && a.network_card_index == 0 {
            return Err(err(
                Ec2ErrorCode::OperationNotPermitted,
                format!(
                    "The network interface at device index 0 cannot be detached ({attachment})."
                ),
            ));
        }
        let mut inst = self.instance(&instance)?.clone();
        inst.interfaces.retain(|x| x.id != attachment);
        inst.detached.retain(|x| x.eni != a.eni);
        inst.detached.push(a.clone());
        self.put(Resource::Instance(inst));
        self.eni_mut(&a.eni)?.instance_id = None;
        Ok(())
    }

    /// ModifyNetworkInterfaceAttribute `Attachment.DeleteOnTermination`.
    pub fn set_delete_on_termination(
        &mut self,
        eni: &EniId,
        attachment: &str,
        value: bool,
    ) -> Result<(), AccountError> {
        self.eni(eni)?;
        let (instance, a) = self.find_attachment(attachment)?;
        if &a.eni != eni {
            return Err(err(
                Ec2ErrorCode::InvalidAttachmentIdNotFound,
                format!("The attachment ID '{attachment}' does not belong to {eni}"),
            ));
        }
        let mut inst = self.instance(&instance)?.clone();
        for x in &mut inst.interfaces {
            if x.id == attachment {
                x.delete_on_termination = value;
            }
        }
        self.put(Resource::Instance(inst));
        Ok(())
    }

    /// ModifyNetworkInterfaceAttribute `Description`.
    pub fn set_eni_description(&mut self, eni: &EniId, value: String) -> Result<(), AccountError> {
        self.eni_mut(eni)?.description = value;
        Ok(())
    }

    /// ModifyNetworkInterfaceAttribute `ConnectionTrackingSpecification`: TCP established,
    /// UDP stream and UDP timeouts in seconds, each in EC2's range; one not given keeps its
    /// current value ("Idle connection tracking timeout", EC2 UG).
    pub fn set_eni_conntrack(
        &mut self,
        eni: &EniId,
        [tcp_established, udp_stream, udp]: [Option<i64>; 3],
    ) -> Result<(), AccountError> {
        let current = self.eni(eni)?.conntrack;
        let secs = |name: &str, v: Option<i64>, cur: u32| -> Result<Option<u32>, AccountError> {
            match v {
                None => Ok(Some(cur)),
                Some(v) => u32::try_from(v).map(Some).map_err(|_| {
                    AccountError::new(
                        Ec2ErrorCode::InvalidParameterValue,
                        format!("{name} ({v}) is out of range"),
                    )
                }),
            }
        };
        let config = ConntrackConfig::new(
            secs(
                "TcpEstablishedTimeout",
                tcp_established,
                current.tcp_established(),
            )?,
            secs("UdpStreamTimeout", udp_stream, current.udp_stream())?,
            secs("UdpTimeout", udp, current.udp())?,
        )?;
        self.eni_mut(eni)?.conntrack = config;
        Ok(())
    }
}
