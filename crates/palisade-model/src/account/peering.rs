//! VPC peering connections as EC2 runs them, within one account and region or across
//! accounts and regions ("VPC peering process", VPC Peering Guide): a connection is recorded
//! in the state of both sides (each side keeps its own tags), and every call that changes it
//! changes both records, so the store runs it over both states in one transaction
//! ([`AccountState::peering_counterpart`] names the other state, [`AccountState::execute_pair`]
//! runs the call on both).
//!
//! Statuses and messages follow `VpcPeeringConnectionStateReason`: the create call answers
//! `initiating-request`, the request then waits `pending-acceptance` (expiring after 7 days),
//! the accepter accepts (`active`) or rejects (`rejected`), either side deletes (`deleted`);
//! overlapping blocks fail the request (`failed`). Ended connections stay describable.

use super::ops::{PeeringSide, PeeringView, Request, Response};
use super::{AccountError, AccountState, Resource};
use crate::error::Ec2ErrorCode;
use crate::ids::{AccountId, IdGen, PeeringId, VpcId};
use crate::network::{Peering, PeeringDetail, PeeringStatus, Tag, VpcBlocks};
use crate::time::Timestamp;

/// How long a request waits for acceptance ("The VPC peering connection request expires
/// after 7 days", VPC Peering Guide).
const EXPIRY_SECS: u64 = 7 * 24 * 3600;

/// EC2's message for a failed request ("VPC peering connection lifecycle").
const FAILED: &str = "Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range";

fn err(code: Ec2ErrorCode, message: impl Into<String>) -> AccountError {
    AccountError::new(code, message)
}

/// An (account, region): where one side of a connection lives.
pub type Side = (AccountId, String);

impl AccountState {
    pub fn peering(&self, id: &PeeringId) -> Result<&Peering, AccountError> {
        self.snapshot.peerings.get(id).ok_or_else(|| {
            err(
                Ec2ErrorCode::InvalidVpcPeeringConnectionIdNotFound,
                format!("The vpcPeeringConnection ID '{id}' does not exist"),
            )
        })
    }

    /// The other account/region a peering call touches, when it is not this state's own:
    /// the caller must then run it with [`AccountState::execute_pair`] over both states.
    pub fn peering_counterpart(&self, request: &Request) -> Option<Side> {
        let own = (self.owner.clone(), self.region.clone());
        let other = match request {
            Request::CreateVpcPeeringConnection {
                peer_owner,
                peer_region,
                ..
            } => (
                peer_owner.clone().unwrap_or_else(|| self.owner.clone()),
                peer_region.clone().unwrap_or_else(|| self.region.clone()),
            ),
            Request::AcceptVpcPeeringConnection { id }
            | Request::RejectVpcPeeringConnection { id }
            | Request::DeleteVpcPeeringConnection { id }
            | Request::ModifyVpcPeeringConnectionOptions { id, .. } => {
                let p = self.snapshot.peerings.get(id)?;
                let (requester, accepter) = self.sides(p);
                if requester == own {
                    accepter
                } else {
                    requester
                }
            }
            _ => return None,
        };
        (other != own).then_some(other)
    }

    /// Runs a peering call whose connection joins this state and `other` (another account
    /// or region), changing both records in step.
    pub fn execute_pair(
        &mut self,
        other: &mut Self,
        request: Request,
        ids: &mut dyn IdGen,
    ) -> Result<Response, AccountError> {
        let wanted = self.peering_counterpart(&request);
        if wanted.as_ref() != Some(&(other.owner.clone(), other.region.clone())) {
            return Err(err(
                Ec2ErrorCode::InternalError,
                format!("{request:?} does not join these two states"),
            ));
        }
        run(self, Some(other), request, ids)
    }

    /// A peering call on this state alone; one that needs another account's or region's
    /// state is refused (the store must run it through [`AccountState::execute_pair`]).
    pub(crate) fn execute_peering(
        &mut self,
        request: Request,
        ids: &mut dyn IdGen,
    ) -> Result<Response, AccountError> {
        if self.peering_counterpart(&request).is_some() {
            return Err(err(
                Ec2ErrorCode::InternalError,
                format!("{request:?} needs the other side's state"),
            ));
        }
        run(self, None, request, ids)
    }

    /// CreateVpcPeeringConnection between two VPCs of this state (tests and tools): the
    /// connection waits `pending-acceptance`.
    pub fn create_peering(
        &mut self,
        vpc: &VpcId,
        peer_vpc: &VpcId,
        ids: &mut dyn IdGen,
    ) -> Result<PeeringId, AccountError> {
        let request = Request::CreateVpcPeeringConnection {
            vpc: vpc.clone(),
            peer_vpc: peer_vpc.clone(),
            peer_owner: None,
            peer_region: None,
            tags: Vec::new(),
            now: Timestamp::ZERO,
        };
        match self.execute_peering(request, ids)? {
            Response::Peering(v) => Ok(v.peering.id),
            other => Err(err(
                Ec2ErrorCode::InternalError,
                format!("CreateVpcPeeringConnection answered {other:?}"),
            )),
        }
    }

    /// AcceptVpcPeeringConnection on a connection within this state.
    pub fn accept_peering(&mut self, id: &PeeringId) -> Result<(), AccountError> {
        let request = Request::AcceptVpcPeeringConnection { id: id.clone() };
        self.execute_peering(request, &mut crate::ids::SeqIdGen::default())
            .map(drop)
    }

    /// DeleteVpcPeeringConnection on a connection within this state.
    pub fn delete_peering(&mut self, id: &PeeringId) -> Result<(), AccountError> {
        let request = Request::DeleteVpcPeeringConnection { id: id.clone() };
        self.execute_peering(request, &mut crate::ids::SeqIdGen::default())
            .map(drop)
    }

    /// Both sides of a connection recorded in this state: (requester, accepter).
    fn sides(&self, p: &Peering) -> (Side, Side) {
        let region = |r: &Option<String>| r.clone().unwrap_or_else(|| self.region.clone());
        (
            (
                p.requester_owner.clone(),
                region(&p.detail.requester_region),
            ),
            (p.accepter_owner.clone(), region(&p.detail.accepter_region)),
        )
    }

    /// A connection as describes report it from this state.
    pub fn peering_view(&self, p: &Peering) -> PeeringView {
        let (requester, accepter) = self.sides(p);
        let blocks = |recorded: &Option<VpcBlocks>, vpc: &VpcId| {
            recorded.clone().unwrap_or_else(|| {
                self.snapshot
                    .vpcs
                    .get(vpc)
                    .map(|v| VpcBlocks {
                        v4: v.cidrs_v4.clone(),
                        v6: v.cidrs_v6.clone(),
                    })
                    .unwrap_or_default()
            })
        };
        let active = p.status == PeeringStatus::Active;
        PeeringView {
            message: p
                .detail
                .message
                .clone()
                .unwrap_or_else(|| default_message(p.status).to_owned()),
            requester: PeeringSide {
                region: requester.1,
                blocks: blocks(&p.detail.requester_blocks, &p.requester_vpc),
                allow_dns: active.then_some(p.detail.requester_dns),
            },
            accepter: PeeringSide {
                region: accepter.1,
                blocks: blocks(&p.detail.accepter_blocks, &p.accepter_vpc),
                allow_dns: active.then_some(p.detail.accepter_dns),
            },
            peering: p.clone(),
        }
    }

    fn is_side(&self, side: &Side) -> bool {
        self.owner == side.0 && self.region == side.1
    }
}

/// The text of a status that carries no actor.
fn default_message(status: PeeringStatus) -> &'static str {
    match status {
        PeeringStatus::InitiatingRequest => "Initiating Request",
        PeeringStatus::PendingAcceptance => "Pending Acceptance",
        PeeringStatus::Provisioning => "Provisioning",
        PeeringStatus::Active => "Active",
        PeeringStatus::Deleting => "Deleting",
        PeeringStatus::Deleted => "Deleted",
        PeeringStatus::Rejected => "Rejected",
        PeeringStatus::Failed => FAILED,
        PeeringStatus::Expired => "Expired",
    }
}

fn invalid_transition(id: &PeeringId, from: PeeringStatus, to: &str) -> AccountError {
    err(
        Ec2ErrorCode::InvalidStateTransition,
        format!(
            "Invalid state transition for {id}, attempted to transition from {} to {to}",
            from.aws_name()
        ),
    )
}

/// The caller's state and, for a connection across scopes, the other side's.
struct Sides<'a> {
    caller: &'a mut AccountState,
    other: Option<&'a mut AccountState>,
}

impl Sides<'_> {
    /// The state of `side`, when it is one of the two.
    fn state(&self, side: &Side) -> Option<&AccountState> {
        if self.caller.is_side(side) {
            return Some(self.caller);
        }
        self.other.as_deref().filter(|o| o.is_side(side))
    }

    /// Writes the connection to both records; each keeps its own tags (the other side's
    /// record starts untagged).
    fn put(&mut self, p: Peering) {
        if let Some(other) = self.other.as_deref_mut() {
            let mut copy = p.clone();
            copy.tags = other
                .snapshot
                .peerings
                .get(&p.id)
                .map(|o| o.tags.clone())
                .unwrap_or_default();
            other.put(Resource::Peering(copy));
        }
        self.caller.put(Resource::Peering(p));
    }
}

fn run(
    caller: &mut AccountState,
    other: Option<&mut AccountState>,
    request: Request,
    ids: &mut dyn IdGen,
) -> Result<Response, AccountError> {
    let mut sides = Sides { caller, other };
    Ok(match request {
        Request::CreateVpcPeeringConnection {
            vpc,
            peer_vpc,
            peer_owner,
            peer_region,
            tags,
            now,
        } => {
            let accepter = (
                peer_owner.unwrap_or_else(|| sides.caller.owner.clone()),
                peer_region.unwrap_or_else(|| sides.caller.region.clone()),
            );
            create(&mut sides, &vpc, &peer_vpc, accepter, tags, now, ids)?
        }
        Request::AcceptVpcPeeringConnection { id } => {
            let mut p = accepter_action(sides.caller, &id, "accept")?;
            if p.status != PeeringStatus::PendingAcceptance {
                return Err(invalid_transition(&id, p.status, "active"));
            }
            p.status = PeeringStatus::Active;
            p.detail.message = Some("Active".to_owned());
            p.detail.expires = None;
            sides.put(p.clone());
            Response::Peering(Box::new(sides.caller.peering_view(&p)))
        }
        Request::RejectVpcPeeringConnection { id } => {
            let mut p = accepter_action(sides.caller, &id, "reject")?;
            if p.status != PeeringStatus::PendingAcceptance {
                return Err(invalid_transition(&id, p.status, "rejected"));
            }
            p.status = PeeringStatus::Rejected;
            p.detail.message = Some(format!("Rejected by {}", sides.caller.owner));
            p.detail.expires = None;
            sides.put(p);
            Response::Done
        }
        Request::DeleteVpcPeeringConnection { id } => {
            let mut p = sides.caller.peering(&id)?.clone();
            let (requester, _) = sides.caller.sides(&p);
            let deletable = match p.status {
                PeeringStatus::Active | PeeringStatus::Provisioning => true,
                // "The owner of the requester VPC can delete a VPC peering connection in the
                // pending-acceptance state" (DeleteVpcPeeringConnection); the accepter rejects.
                PeeringStatus::PendingAcceptance | PeeringStatus::InitiatingRequest => {
                    if !sides.caller.is_side(&requester) {
                        return Err(err(
                            Ec2ErrorCode::OperationNotPermitted,
                            format!(
                                "The accepter of {id} cannot delete it while it is pending acceptance; reject it instead"
                            ),
                        ));
                    }
                    true
                }
                _ => false,
            };
            if !deletable {
                return Err(invalid_transition(&id, p.status, "deleting"));
            }
            p.status = PeeringStatus::Deleted;
            p.detail.message = Some(format!("Deleted by {}", sides.caller.owner));
            p.detail.expires = None;
            sides.put(p);
            Response::Done
        }
        Request::ModifyVpcPeeringConnectionOptions {
            id,
            requester_dns,
            accepter_dns,
        } => {
            let mut p = sides.caller.peering(&id)?.clone();
            if p.status != PeeringStatus::Active {
                return Err(err(
                    Ec2ErrorCode::OperationNotPermitted,
                    format!(
                        "Peering {id} is not active. Peering options can be added only to active peerings."
                    ),
                ));
            }
            let (requester, accepter) = sides.caller.sides(&p);
            // Each side's options are set by that side's owner, in its own region.
            for (asked, side, name) in [
                (requester_dns.is_some(), &requester, "requester"),
                (accepter_dns.is_some(), &accepter, "accepter"),
            ] {
                if asked && !sides.caller.is_side(side) {
                    return Err(err(
                        Ec2ErrorCode::OperationNotPermitted,
                        format!(
                            "Account {} in {} cannot modify the {name} options of {id}",
                            sides.caller.owner, sides.caller.region
                        ),
                    ));
                }
            }
            if let Some(v) = requester_dns {
                p.detail.requester_dns = v;
            }
            if let Some(v) = accepter_dns {
                p.detail.accepter_dns = v;
            }
            sides.put(p);
            Response::PeeringOptions {
                requester_dns,
                accepter_dns,
            }
        }
        other => {
            return Err(err(
                Ec2ErrorCode::InternalError,
                format!("{other:?} is not a peering call"),
            ));
        }
    })
}

/// The connection, when the caller is its accepter in the accepter's region ("The owner of
/// the accepter VPC must accept", and in that VPC's region).
fn accepter_action(
    caller: &AccountState,
    id: &PeeringId,
    verb: &str,
) -> Result<Peering, AccountError> {
    let p = caller.peering(id)?.clone();
    let (_, accepter) = caller.sides(&p);
    if !caller.is_side(&accepter) {
        return Err(err(
            Ec2ErrorCode::OperationNotPermitted,
            format!(
                "Only the accepter ({} in {}) can {verb} {id}",
                accepter.0, accepter.1
            ),
        ));
    }
    Ok(p)
}

fn create(
    sides: &mut Sides<'_>,
    vpc: &VpcId,
    peer_vpc: &VpcId,
    accepter: Side,
    tags: Vec<Tag>,
    now: Timestamp,
    ids: &mut dyn IdGen,
) -> Result<Response, AccountError> {
    let caller = &*sides.caller;
    let requester_vpc = caller.vpc(vpc)?;
    caller.check_new_tags(&tags)?;
    let requester_blocks = VpcBlocks {
        v4: requester_vpc.cidrs_v4.clone(),
        v6: requester_vpc.cidrs_v6.clone(),
    };
    let peer = sides.state(&accepter).ok_or_else(|| {
        err(
            Ec2ErrorCode::InternalError,
            format!(
                "the state of {} in {} is not at hand",
                accepter.0, accepter.1
            ),
        )
    })?;
    let accepter_vpc = peer.snapshot.vpcs.get(peer_vpc);
    // In the caller's own account a missing VPC is an error; another account's VPC is not
    // the caller's to see, so the request fails instead.
    if accepter_vpc.is_none() && accepter.0 == caller.owner {
        peer.vpc(peer_vpc)?;
    }
    let accepter_blocks = accepter_vpc.map(|v| VpcBlocks {
        v4: v.cidrs_v4.clone(),
        v6: v.cidrs_v6.clone(),
    });
    let overlaps = accepter_blocks.as_ref().is_none_or(|b| {
        b.v4.iter().any(|a| {
            requester_blocks
                .v4
                .iter()
                .any(|r| a.contains(r) || r.contains(a))
        })
    });
    let (status, message, expires) = if overlaps {
        (PeeringStatus::Failed, FAILED.to_owned(), None)
    } else {
        (
            PeeringStatus::PendingAcceptance,
            format!("Pending Acceptance by {}", accepter.0),
            Some(now.plus_secs(EXPIRY_SECS)),
        )
    };
    let same_region = accepter.1 == caller.region;
    let p = Peering {
        id: PeeringId::generate(ids),
        requester_vpc: vpc.clone(),
        requester_owner: caller.owner.clone(),
        accepter_vpc: peer_vpc.clone(),
        accepter_owner: accepter.0.clone(),
        status,
        tags,
        detail: PeeringDetail {
            requester_region: (!same_region).then(|| caller.region.clone()),
            accepter_region: (!same_region).then(|| accepter.1.clone()),
            requester_blocks: Some(requester_blocks),
            accepter_blocks,
            requester_dns: false,
            accepter_dns: false,
            message: Some(message),
            expires,
        },
    };
    let mut answer = sides.caller.peering_view(&p);
    if status == PeeringStatus::Failed {
        // A failed request is the requester's alone to see.
        sides.caller.put(Resource::Peering(p));
    } else {
        sides.put(p);
        // The call itself answers the first status ("initiating-request").
        answer.peering.status = PeeringStatus::InitiatingRequest;
        answer.message = format!("Initiating Request to {}", accepter.0);
    }
    Ok(Response::Peering(Box::new(answer)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Quotas;
    use crate::ids::SeqIdGen;

    fn account(owner: &str, region: &str, ids: &mut SeqIdGen) -> (AccountState, VpcId) {
        let mut st =
            AccountState::bootstrap(owner.parse().unwrap(), region, Quotas::default(), ids);
        let vpc = st
            .create_vpc("10.0.0.0/16".parse().unwrap(), None, vec![], ids)
            .unwrap();
        (st, vpc)
    }

    fn status(st: &AccountState, id: &PeeringId) -> (PeeringStatus, String) {
        let v = st.peering_view(st.peering(id).unwrap());
        (v.peering.status, v.message)
    }

    #[test]
    fn a_cross_account_peering_moves_both_records_in_step() {
        let mut ids = SeqIdGen::default();
        let (mut a, a_vpc) = account("111111111111", "us-east-1", &mut ids);
        let (mut b, _) = account("222222222222", "eu-west-1", &mut ids);
        let b_vpc = b
            .create_vpc("10.1.0.0/16".parse().unwrap(), None, vec![], &mut ids)
            .unwrap();
        let create = Request::CreateVpcPeeringConnection {
            vpc: a_vpc,
            peer_vpc: b_vpc,
            peer_owner: Some(b.owner().clone()),
            peer_region: Some("eu-west-1".into()),
            tags: vec![Tag {
                key: "Name".into(),
                value: "a-to-b".into(),
            }],
            now: Timestamp::from_secs(1_000),
        };
        assert_eq!(
            a.peering_counterpart(&create),
            Some((b.owner().clone(), "eu-west-1".to_owned()))
        );
        let Response::Peering(v) = a.execute_pair(&mut b, create, &mut ids).unwrap() else {
            panic!("not a peering")
        };
        assert_eq!(v.peering.status, PeeringStatus::InitiatingRequest);
        assert_eq!(v.message, "Initiating Request to 222222222222");
        assert_eq!(v.accepter.region, "eu-west-1");
        let id = v.peering.id;
        assert_eq!(
            status(&b, &id),
            (
                PeeringStatus::PendingAcceptance,
                "Pending Acceptance by 222222222222".into()
            )
        );
        assert!(b.peering(&id).unwrap().tags.is_empty(), "tags are per side");
        // Only the accepter accepts.
        let accept = Request::AcceptVpcPeeringConnection { id: id.clone() };
        let e = a
            .execute_pair(&mut b, accept.clone(), &mut ids)
            .unwrap_err();
        assert_eq!(e.code(), Ec2ErrorCode::OperationNotPermitted);
        b.execute_pair(&mut a, accept.clone(), &mut ids).unwrap();
        assert_eq!(status(&a, &id).0, PeeringStatus::Active);
        let e = b.execute_pair(&mut a, accept, &mut ids).unwrap_err();
        assert_eq!(e.code(), Ec2ErrorCode::InvalidStateTransition);
        // Options: each side by its owner.
        let mut modify = Request::ModifyVpcPeeringConnectionOptions {
            id: id.clone(),
            requester_dns: None,
            accepter_dns: Some(true),
        };
        let e = a
            .execute_pair(&mut b, modify.clone(), &mut ids)
            .unwrap_err();
        assert_eq!(e.code(), Ec2ErrorCode::OperationNotPermitted);
        b.execute_pair(&mut a, modify, &mut ids).unwrap();
        assert_eq!(
            a.peering_view(a.peering(&id).unwrap()).accepter.allow_dns,
            Some(true)
        );
        modify = Request::DeleteVpcPeeringConnection { id: id.clone() };
        b.execute_pair(&mut a, modify, &mut ids).unwrap();
        assert_eq!(
            status(&a, &id),
            (PeeringStatus::Deleted, "Deleted by 222222222222".into())
        );
        // A single-state call on a cross-scope connection is refused.
        let e = a
            .execute(Request::DeleteVpcPeeringConnection { id }, &mut ids)
            .unwrap_err();
        assert_eq!(e.code(), Ec2ErrorCode::InternalError);
    }

    #[test]
    fn overlapping_blocks_fail_and_rejects_are_the_accepters() {
        let mut ids = SeqIdGen::default();
        let (mut a, a_vpc) = account("111111111111", "us-east-1", &mut ids);
        let (mut b, b_vpc) = account("222222222222", "us-east-1", &mut ids);
        let create = |vpc: &VpcId, peer: &VpcId| Request::CreateVpcPeeringConnection {
            vpc: vpc.clone(),
            peer_vpc: peer.clone(),
            peer_owner: Some("222222222222".parse().unwrap()),
            peer_region: None,
            tags: vec![],
            now: Timestamp::ZERO,
        };
        let Response::Peering(v) = a
            .execute_pair(&mut b, create(&a_vpc, &b_vpc), &mut ids)
            .unwrap()
        else {
            panic!("not a peering")
        };
        assert_eq!(v.peering.status, PeeringStatus::Failed);
        assert!(b.peering(&v.peering.id).is_err());
        let b_vpc2 = b
            .create_vpc("10.9.0.0/16".parse().unwrap(), None, vec![], &mut ids)
            .unwrap();
        let Response::Peering(v) = a
            .execute_pair(&mut b, create(&a_vpc, &b_vpc2), &mut ids)
            .unwrap()
        else {
            panic!("not a peering")
        };
        let id = v.peering.id;
        let reject = Request::RejectVpcPeeringConnection { id: id.clone() };
        let e = a
            .execute_pair(&mut b, reject.clone(), &mut ids)
            .unwrap_err();
        assert_eq!(e.code(), Ec2ErrorCode::OperationNotPermitted);
        b.execute_pair(&mut a, reject, &mut ids).unwrap();
        assert_eq!(
            status(&a, &id),
            (PeeringStatus::Rejected, "Rejected by 222222222222".into())
        );
        let e = a
            .execute_pair(&mut b, Request::DeleteVpcPeeringConnection { id }, &mut ids)
            .unwrap_err();
        assert_eq!(e.code(), Ec2ErrorCode::InvalidStateTransition);
    }
}
