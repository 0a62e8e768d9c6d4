//! The controller's record of each partition (Kafka's `PartitionRegistration` in KRaft, or the
//! ZooKeeper-era `LeaderAndIsr`): where its replicas are, who leads, which replicas are in
//! sync, and the leader epoch. Brokers read it as metadata; only these rules change it.
//!
//! The rules, in the order a failure meets them:
//! - replicas are placed round-robin when the topic is created ([`replica_placement`]);
//! - a leader drops a follower that lags, or the controller fences a stopped broker
//!   ([`PartitionMeta::shrink_isr`], [`PartitionMeta::drop_stopped_leader`]);
//! - a new leader is elected from the live ISR, or from any live replica when unclean
//!   election is on ([`PartitionMeta::elect`]); with none, the partition is offline
//!   ([`PartitionMeta::go_offline`]);
//! - a follower that caught up rejoins ([`PartitionMeta::expand_isr`]).

use serde::{Deserialize, Serialize};

use crate::types::{BrokerId, PartitionId};

/// Replicas of partition `id`, placed round-robin: brokers id, id+1, ... (mod brokers); the
/// first is the preferred leader.
pub(crate) fn replica_placement(
    id: PartitionId,
    brokers: u32,
    replication_factor: u32,
) -> Vec<BrokerId> {
    (0..replication_factor)
        .map(|i| (id + i) % brokers)
        .collect()
}

/// The controller's view of a partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PartitionMeta {
    pub id: PartitionId,
    pub replicas: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub isr: Vec<BrokerId>,
    pub leader_epoch: u32,
}

/// A leader change the controller made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Election {
    pub leader: Option<BrokerId>,
    pub leader_epoch: u32,
    /// Chosen from outside the ISR (`unclean.leader.election.enable`): it may lack
    /// acknowledged records, and it is now the only member of the ISR.
    pub unclean: bool,
}

impl PartitionMeta {
    /// A new partition: every replica in sync, the first one leading.
    pub fn initial(id: PartitionId, brokers: u32, replication_factor: u32) -> PartitionMeta {
        let replicas = replica_placement(id, brokers, replication_factor);
        PartitionMeta {
            id,
            leader: Some(replicas[0]),
            isr: replicas.clone(),
            replicas,
            leader_epoch: 0,
        }
    }

    pub fn followers(&self) -> impl Iterator<Item = BrokerId> + '_ {
        let leader = self.leader;
        self.replicas
            .iter()
            .copied()
            .filter(move |&b| Some(b) != leader)
    }

    /// Picks a leader: the first live replica in the ISR (in replica order, so the preferred
    /// leader when it can); with none, the first live replica if unclean election is allowed.
    /// A change of leader bumps the leader epoch; an unclean leader is left alone in the ISR.
    /// `None` when the leader stays the same.
    pub fn elect(
        &mut self,
        alive: impl Fn(BrokerId) -> bool,
        unclean_allowed: bool,
    ) -> Option<Election> {
        let clean = self
            .replicas
            .iter()
            .copied()
            .find(|&b| alive(b) && self.isr.contains(&b));
        let (leader, unclean) = match clean {
            Some(b) => (Some(b), false),
            None if unclean_allowed => (self.replicas.iter().copied().find(|&b| alive(b)), true),
            None => (None, false),
        };
        if leader == self.leader {
            return None;
        }
        self.leader = leader;
        self.leader_epoch += 1;
        let unclean = leader.is_some() && unclean;
        if let (Some(l), true) = (leader, unclean) {
            self.isr = vec![l];
        }
        Some(Election {
            leader,
            leader_epoch: self.leader_epoch,
            unclean,
        })
    }

    /// The leader `lost` stopped and no one could take over: the partition has no leader now
    /// (a new leader epoch). Returns the epoch, or `None` if `lost` no longer leads.
    pub fn go_offline(&mut self, lost: BrokerId) -> Option<u32> {
        if self.leader != Some(lost) {
            return None;
        }
        self.leader = None;
        self.leader_epoch += 1;
        Some(self.leader_epoch)
    }

    /// Removes a follower from the ISR. Only a partition with a leader shrinks its ISR (the
    /// leader's `Partition.maybeShrinkIsr`, or the controller fencing a stopped broker), the
    /// leader never leaves it, and the last member always stays, as the controller keeps it
    /// (so a clean election can wait for that replica). Returns whether it changed.
    pub fn shrink_isr(&mut self, broker: BrokerId) -> bool {
        if self.leader.is_none_or(|l| l == broker)
            || !self.isr.contains(&broker)
            || self.isr.len() <= 1
        {
            return false;
        }
        self.isr.retain(|&b| b != broker);
        true
    }

    /// The leader stopped: the controller takes it out of the ISR when another live member
    /// can take over or unclean election may pick one; otherwise it stays, the last member,
    /// so the partition waits for it. Returns whether the ISR changed.
    pub fn drop_stopped_leader(
        &mut self,
        broker: BrokerId,
        alive: impl Fn(BrokerId) -> bool,
        unclean_allowed: bool,
    ) -> bool {
        let others_in_isr = self.isr.iter().any(|&b| b != broker && alive(b));
        if !others_in_isr && !unclean_allowed {
            return false;
        }
        self.isr.retain(|&b| b != broker);
        true
    }

    /// A follower caught up with the leader's log end and high watermark: it rejoins the ISR.
    /// Returns whether it changed.
    pub fn expand_isr(&mut self, follower: BrokerId) -> bool {
        if self.isr.contains(&follower) {
            return false;
        }
        self.isr.push(follower);
        self.isr.sort_unstable();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Partition 0 on brokers 0, 1, 2; broker 0 leads.
    fn partition() -> PartitionMeta {
        PartitionMeta::initial(0, 3, 3)
    }

    #[test]
    fn replicas_are_placed_round_robin_from_the_partition_id() {
        assert_eq!(replica_placement(0, 3, 2), vec![0, 1]);
        assert_eq!(replica_placement(2, 3, 2), vec![2, 0]);
        let p = PartitionMeta::initial(1, 3, 3);
        assert_eq!((p.leader, p.isr.clone()), (Some(1), vec![1, 2, 0]));
        assert_eq!(p.followers().collect::<Vec<_>>(), vec![2, 0]);
    }

    #[test]
    fn a_clean_election_picks_the_first_live_isr_member_and_bumps_the_epoch() {
        let mut p = partition();
        assert_eq!(p.elect(|_| true, false), None, "the leader is still fine");
        let up = |b: BrokerId| b != 0;
        p.drop_stopped_leader(0, up, false);
        assert_eq!(
            p.elect(up, false),
            Some(Election {
                leader: Some(1),
                leader_epoch: 1,
                unclean: false
            })
        );
        assert_eq!(p.isr, vec![1, 2]);
    }

    #[test]
    fn an_unclean_election_takes_any_live_replica_and_leaves_it_alone_in_the_isr() {
        let mut p = partition();
        assert!(p.shrink_isr(2));
        assert!(p.shrink_isr(1));
        assert!(!p.shrink_isr(0), "the leader never leaves the ISR");
        let only_2 = |b: BrokerId| b == 2;
        assert!(
            !p.drop_stopped_leader(0, only_2, false),
            "kept: no one can take over"
        );
        assert_eq!(
            p.elect(only_2, false),
            Some(Election {
                leader: None,
                leader_epoch: 1,
                unclean: false
            })
        );
        assert_eq!(
            p.isr,
            vec![0],
            "the partition waits for its last in-sync replica"
        );
        assert_eq!(
            p.elect(only_2, true),
            Some(Election {
                leader: Some(2),
                leader_epoch: 2,
                unclean: true
            })
        );
        assert_eq!(p.isr, vec![2]);
    }

    #[test]
    fn the_last_member_and_a_leaderless_partition_keep_their_isr() {
        let mut p = partition();
        assert_eq!(p.go_offline(1), None, "broker 1 does not lead");
        assert_eq!(p.go_offline(0), Some(1));
        assert!(!p.shrink_isr(1), "no leader: the ISR is frozen");
        let mut q = PartitionMeta::initial(0, 1, 1);
        assert!(!q.shrink_isr(0));
    }

    #[test]
    fn a_follower_that_caught_up_rejoins_in_order() {
        let mut p = partition();
        p.shrink_isr(1);
        assert!(!p.expand_isr(2), "already in sync");
        assert!(p.expand_isr(1));
        assert_eq!(p.isr, vec![0, 1, 2]);
    }
}
