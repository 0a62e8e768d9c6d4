//! The transactional guarantees, read from the partition logs and the coordinator: a
//! read_committed consumer sees each committed record exactly once and nothing else, and no
//! partition keeps a transaction open that the coordinator is not completing.

use std::collections::{BTreeMap, BTreeSet};

use super::{Finding, Mechanism, Violation};
use crate::engine::{Simulation, TxnStatus};
use crate::producer_state::DedupRule;
use crate::types::*;

impl Simulation {
    /// What can break a transactional guarantee in a run: an unclean election (a replica
    /// without the data or the marker leads), or the textbook rule (it discards batches).
    fn transactional_mechanism(&self) -> Mechanism {
        let transactional_ids: BTreeSet<ProducerId> = self
            .producers
            .iter()
            .filter_map(|p| p.txn.as_ref())
            .flat_map(|t| t.outcomes.iter().map(|o| o.producer_id))
            .chain(self.coordinator.transactions().map(|m| m.producer_id))
            .collect();
        let crafted = self
            .history
            .conditions
            .crafted
            .keys()
            .any(|(_, pid)| transactional_ids.contains(pid));
        if self.scenario.cluster.dedup_rule == DedupRule::Textbook {
            Mechanism::TextbookRule
        } else if crafted {
            Mechanism::CraftedRequest
        } else if self.space.max < crate::sequence::KAFKA_SEQUENCE_MAX {
            Mechanism::SmallSequenceSpace
        } else if self.history.conditions.unclean_election.is_some() {
            Mechanism::UncleanElection
        } else if !self.scenario.cluster.broker().verifies_transactions() {
            Mechanism::UnverifiedTransactionalWrite
        } else {
            Mechanism::ModelBug
        }
    }

    /// Transactions: a read_committed consumer sees every record of a committed transaction
    /// exactly once, and nothing of a transaction that never committed. Records below the log
    /// start (DeleteRecords) are read by no consumer any more, and whether they were aborted
    /// may be forgotten with their producer's state, so a message whose only copies were
    /// deleted is not judged.
    pub(crate) fn check_read_committed(&self) -> Finding {
        let mut seen: BTreeMap<(ProducerIndex, u32), u32> = BTreeMap::new();
        let mut deleted: BTreeSet<(ProducerIndex, u32)> = BTreeSet::new();
        for meta in &self.partitions {
            let replica = self.brokers[self.reference_broker(meta.id) as usize].replica(meta.id);
            let lso = replica.last_stable_offset();
            let data = replica
                .log
                .iter()
                .filter(|b| b.control.is_none() && b.transactional);
            for batch in data {
                let aborted = replica.is_aborted_batch(batch);
                for r in batch.records.iter().filter(|r| r.offset < lso) {
                    let Some(m) = r.message else { continue };
                    if r.offset < replica.log_start_offset {
                        deleted.insert(m);
                    } else if !aborted {
                        *seen.entry(m).or_default() += 1;
                    }
                }
            }
        }
        let mechanism = self.transactional_mechanism();
        let mut violations = Vec::new();
        let mut applicable = false;
        for p in &self.producers {
            let Some(txn) = &p.txn else { continue };
            applicable = true;
            let committed: BTreeSet<u32> = txn
                .outcomes
                .iter()
                .filter(|o| o.result == crate::engine::TxnResult::Committed)
                .flat_map(|o| o.messages.iter().copied())
                .collect();
            for m in 0..p.total_messages {
                let count = seen.get(&(p.index, m)).copied().unwrap_or(0);
                let expected = u32::from(committed.contains(&m));
                if count == 0 && deleted.contains(&(p.index, m)) {
                    continue;
                }
                if count != expected {
                    let what = if expected == 1 {
                        "committed, but read_committed sees it"
                    } else {
                        "never committed, but read_committed sees it"
                    };
                    violations.push(Violation::new(
                        None,
                        format!("producer {} message {m}: {what} {count} times", p.index),
                        mechanism,
                    ));
                }
            }
        }
        Finding::of(applicable, violations)
    }

    /// A transaction the coordinator has finished (or never heard of) leaves no partition with
    /// an open transaction: otherwise its last stable offset is stuck below the high watermark
    /// for good and read_committed consumers stall (a "hanging transaction", KIP-890).
    pub(crate) fn check_no_hanging_transactions(&self) -> Finding {
        let mut violations = Vec::new();
        let in_progress: BTreeSet<ProducerId> = self
            .coordinator
            .transactions()
            .filter(|m| {
                matches!(
                    m.status,
                    TxnStatus::Ongoing | TxnStatus::PrepareCommit | TxnStatus::PrepareAbort
                )
            })
            .map(|m| m.producer_id)
            .collect();
        let mechanism = self.transactional_mechanism();
        for meta in &self.partitions {
            let replica = self.brokers[self.reference_broker(meta.id) as usize].replica(meta.id);
            for entry in replica.producer_state.entries.values() {
                let Some(first) = entry.current_txn_first_offset else {
                    continue;
                };
                if in_progress.contains(&entry.producer_id) {
                    continue;
                }
                violations.push(Violation::new(
                    None,
                    format!(
                        "partition {}: producer id {} has a transaction open from offset {first} that the coordinator is not completing; the last stable offset stays at {} while the high watermark is {}",
                        meta.id,
                        entry.producer_id,
                        replica.last_stable_offset(),
                        replica.high_watermark
                    ),
                    mechanism,
                ));
            }
        }
        Finding::of(self.producers.iter().any(|p| p.txn.is_some()), violations)
    }
}
