//! The sequence guarantees, read from the partition logs: per partition, producer id and epoch,
//! sequences are contiguous and never overlap (P1/P2); with acks=all, min.insync.replicas ≥ 2
//! and clean elections, nothing acknowledged is lost (P5).

use std::collections::BTreeMap;

use super::log::LogAnalysis;
use super::{Finding, Mechanism, Violation};
use crate::config::Acks;
use crate::engine::Simulation;
use crate::producer_state::DedupRule;
use crate::types::*;

impl Simulation {
    /// P1 and P2: within one (partition, pid, epoch) the leader's sequences are contiguous and
    /// never overlap, unless the broker had lost the producer's state in between.
    pub(crate) fn check_p1_p2(&self) -> Finding {
        let mut violations = Vec::new();
        for meta in &self.partitions {
            let log = &self.brokers[self.reference_broker(meta.id) as usize]
                .replica(meta.id)
                .log;
            let mut last: BTreeMap<(ProducerId, Epoch), Sequence> = BTreeMap::new();
            for batch in log
                .iter()
                .filter(|b| b.producer_id >= 0 && b.control.is_none())
            {
                let key = (batch.producer_id, batch.epoch);
                let end = self
                    .space
                    .last_of(batch.base_sequence, batch.records.len() as u32);
                if let Some(&prev) = last.get(&key) {
                    if !self.space.in_sequence(prev, batch.base_sequence)
                        && !batch.appended_without_state
                    {
                        let mechanism = self
                            .suspects(meta.id, batch)
                            .state_mechanism()
                            .unwrap_or(Mechanism::ModelBug);
                        violations.push(Violation::new(
                            Some(batch.appended_event),
                            format!(
                                "partition {}: pid {} epoch {} jumped from sequence {prev} to {} at offset {}",
                                meta.id, batch.producer_id, batch.epoch, batch.base_sequence, batch.base_offset
                            ),
                            mechanism,
                        ));
                    }
                }
                last.insert(key, end);
            }
        }
        Finding::of(true, violations)
    }

    /// P5: with acks=all, min ISR ≥ 2 and clean elections only, nothing acknowledged is lost.
    pub(crate) fn check_p5(&self, analysis: &LogAnalysis) -> Finding {
        let applicable = self.scenario.cluster.min_insync_replicas >= 2
            && self.history.conditions.unclean_election.is_none()
            && self.scenario.cluster.dedup_rule == DedupRule::Kafka
            && self.producers.iter().all(|p| p.config.acks == Acks::All);
        let violations = if applicable {
            analysis.lost_acked.clone()
        } else {
            Vec::new()
        };
        Finding::of(applicable, violations)
    }
}
