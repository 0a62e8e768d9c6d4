//! Applying faults: crashes and restarts, cut links, stalled replication, expiry, crafted
//! requests, producer restarts.

use super::{Action, LinkCut, Node, Payload, ProduceRequest, Simulation, WireBatch};
use crate::config::Acks;
use crate::event::EventKind;
use crate::fault::Fault;
use crate::types::*;

impl Simulation {
    /// Applies a fault now. `_cause` is the request whose sending or answer triggered it.
    pub(crate) fn apply_fault(&mut self, fault: &Fault, _cause: Option<u64>) {
        let description = match self.why_fault_has_no_effect(fault) {
            Some(why) => format!("{} (no effect: {why})", fault.describe()),
            None => fault.describe(),
        };
        self.emit(EventKind::FaultInjected {
            description,
            fault: Some(fault.clone()),
        });
        match *fault {
            Fault::DropRequest
            | Fault::DropResponse
            | Fault::CorruptRequest
            | Fault::RejectBatch { .. } => {}
            Fault::CutLink {
                producer,
                broker,
                duration_ms,
            } => {
                self.links_cut.push(LinkCut {
                    producer,
                    broker,
                    since_ms: self.now_ms,
                    until_ms: self.now_ms + duration_ms,
                });
                self.pending_recoveries += 1;
                self.schedule(
                    self.now_ms + duration_ms,
                    Action::LinkHeal { producer, broker },
                );
            }
            Fault::CrashBroker {
                broker,
                clean,
                down_ms,
            } => self.crash_broker(broker, clean, down_ms),
            Fault::CrashLeader {
                partition,
                clean,
                down_ms,
            } => {
                if let Some(leader) = self.partitions[partition as usize].leader {
                    self.crash_broker(leader, clean, down_ms);
                }
            }
            Fault::StallReplication {
                broker,
                duration_ms,
            } => {
                self.brokers[broker as usize].replication_stalled = true;
                self.pending_recoveries += 1;
                self.schedule(
                    self.now_ms + duration_ms,
                    Action::ReplicationResume { broker },
                );
            }
            Fault::ShrinkIsr { partition, broker } => {
                self.remove_from_isr(partition, broker, "was removed from the ISR by a fault");
            }
            Fault::RestartProducer { producer, down_ms } => {
                self.producer_restart_begin(producer, down_ms)
            }
            Fault::ExpireProducerState { partition } => self.expire_producer_state(partition),
            Fault::DeleteRecords { partition, offset } => self.delete_records(partition, offset),
            Fault::InjectProduce {
                partition,
                producer_id,
                epoch,
                base_sequence,
                record_count,
            } => {
                let header = (producer_id, epoch, base_sequence);
                self.inject_produce(partition, header, record_count)
            }
        }
    }

    /// `DeleteRecords`: the leader moves the log start offset up to `offset`, bounded by its
    /// high watermark (`UnifiedLog.maybeIncrementLogStartOffset`); the followers that are up
    /// follow at once (in Kafka with their next fetch response, which carries it).
    fn delete_records(&mut self, partition: PartitionId, offset: Option<Offset>) {
        let Some(leader) = self.partitions[partition as usize].leader else {
            return;
        };
        let hw = self.brokers[leader as usize]
            .replica(partition)
            .high_watermark;
        let start = offset.map_or(hw, |o| o.min(hw));
        let mut moved = false;
        for broker in self.brokers.iter_mut().filter(|b| b.alive) {
            if let Some(replica) = broker.replicas.get_mut(&partition) {
                moved |= replica.delete_records_before(start, self.now_ms);
            }
        }
        if moved {
            self.emit(EventKind::RecordsDeleted {
                partition,
                log_start_offset: start,
            });
        }
    }

    /// Every replica of the partition forgets its producers, as after `producer.id.expiration.ms`.
    fn expire_producer_state(&mut self, partition: PartitionId) {
        for b in 0..self.brokers.len() {
            let Some(replica) = self.brokers[b].replicas.get_mut(&partition) else {
                continue;
            };
            let expired = replica.producer_state.expire_all();
            for producer_id in expired {
                self.emit(EventKind::ProducerStateExpired {
                    broker: b as BrokerId,
                    partition,
                    producer_id,
                    by_fault: true,
                });
            }
        }
    }

    /// An expert's hand-made produce request to the partition's leader: one batch with the
    /// given producer id, epoch and base sequence, and records that belong to no application.
    fn inject_produce(
        &mut self,
        partition: PartitionId,
        (producer_id, epoch, base_sequence): (ProducerId, Epoch, Sequence),
        record_count: u32,
    ) {
        let Some(leader) = self.partitions[partition as usize].leader else {
            return;
        };
        let id = self.next_request_id;
        self.next_request_id += 1;
        let request = ProduceRequest {
            transactions_v2: false,
            id,
            producer: None,
            incarnation: 0,
            broker: leader,
            generation: 0,
            acks: Acks::Leader,
            timeout_ms: 30_000,
            batches: smallvec::smallvec![WireBatch {
                batch_id: u64::MAX,
                partition,
                producer_id,
                epoch,
                base_sequence,
                record_count,
                attempt: 1,
                max_timestamp_ms: self.now_ms,
                payload: smallvec::smallvec![None; record_count as usize],
                transactional: false,
            }],
            corrupted: false,
            rejected: None,
            transactional_id: None,
        };
        self.open_requests.insert(id, None);
        let batches = vec![crate::event::BatchRef {
            batch_id: u64::MAX,
            producer: None,
            partition,
            producer_id,
            epoch,
            base_sequence,
            last_sequence: self.space.last_of(base_sequence, record_count),
            record_count,
            attempt: 1,
        }];
        self.emit(EventKind::RequestSent {
            producer: None,
            broker: leader,
            request: id,
            batches,
        });
        self.send_message(
            Node::Injector,
            Node::Broker(leader),
            Payload::Produce {
                request: std::rc::Rc::new(request),
            },
        );
    }

    /// Why a fault changes nothing now, said in the event log rather than left silent.
    fn why_fault_has_no_effect(&self, fault: &Fault) -> Option<String> {
        match *fault {
            Fault::ShrinkIsr { partition, broker } => {
                let meta = &self.partitions[partition as usize];
                match meta.leader {
                    // Partition.maybeShrinkIsr runs on the leader; no leader, no shrink.
                    None => Some(format!(
                        "partition {partition} has no leader to shrink its ISR"
                    )),
                    Some(l) if l == broker => Some(format!(
                        "broker {broker} leads partition {partition}, and a leader never removes itself from the ISR"
                    )),
                    Some(_) if !meta.isr.contains(&broker) => Some(format!(
                        "broker {broker} is not in the ISR of partition {partition}"
                    )),
                    Some(_) => None,
                }
            }
            Fault::CrashBroker { broker, .. } if !self.brokers[broker as usize].alive => {
                Some(format!("broker {broker} is already stopped"))
            }
            Fault::CrashLeader { partition, .. }
                if self.partitions[partition as usize].leader.is_none() =>
            {
                Some(format!("partition {partition} has no leader"))
            }
            Fault::RestartProducer { producer, .. } if !self.producers[producer as usize].alive => {
                Some(format!("producer {producer} is already restarting"))
            }
            Fault::InjectProduce { partition, .. }
                if self.partitions[partition as usize].leader.is_none() =>
            {
                Some(format!("partition {partition} has no leader to send it to"))
            }
            Fault::DeleteRecords { partition, offset } => {
                let Some(leader) = self.partitions[partition as usize].leader else {
                    return Some(format!("partition {partition} has no leader to ask"));
                };
                let r = self.brokers[leader as usize].replica(partition);
                let start = offset.map_or(r.high_watermark, |o| o.min(r.high_watermark));
                (start <= r.log_start_offset).then(|| {
                    format!(
                        "the log of partition {partition} already starts at {}",
                        r.log_start_offset
                    )
                })
            }
            _ => None,
        }
    }

    fn crash_broker(&mut self, broker: BrokerId, clean: bool, down_ms: TimeMs) {
        if !self.brokers[broker as usize].alive {
            return;
        }
        self.brokers[broker as usize].stop(self.now_ms, down_ms, clean);
        self.emit(EventKind::BrokerStopped { broker, clean });
        // Clients see their connections to it drop.
        for producer in 0..self.producers.len() as ProducerIndex {
            let p = &self.producers[producer as usize];
            let conn = &p.connections[broker as usize];
            if !conn.in_flight.is_empty() {
                let (generation, incarnation) = (conn.generation, p.incarnation);
                self.send_reset(broker, (producer, incarnation, generation));
            }
        }
        // The controller drops it from every ISR and moves its leaderships.
        for partition in 0..self.partitions.len() as PartitionId {
            let meta = &self.partitions[partition as usize];
            if !meta.replicas.contains(&broker) {
                continue;
            }
            if meta.leader == Some(broker) {
                let brokers = &self.brokers;
                let alive = |b: BrokerId| brokers[b as usize].alive;
                let unclean_allowed = self.scenario.cluster.unclean_leader_election;
                if self.partitions[partition as usize].drop_stopped_leader(
                    broker,
                    alive,
                    unclean_allowed,
                ) {
                    self.isr_changed(partition, format!("broker {broker} stopped"));
                }
                self.elect_leader_after_loss(partition, broker);
            } else {
                self.remove_from_isr(partition, broker, "stopped");
            }
        }
        self.pending_recoveries += 1;
        self.schedule(
            self.now_ms + down_ms,
            Action::BrokerRestart { broker, clean },
        );
    }

    fn elect_leader_after_loss(&mut self, partition: PartitionId, lost: BrokerId) {
        self.elect_leader(partition);
        if let Some(leader_epoch) = self.partitions[partition as usize].go_offline(lost) {
            self.emit(EventKind::LeaderElected {
                partition,
                leader: None,
                leader_epoch,
                unclean: false,
            });
        }
    }

    pub(crate) fn broker_restart(&mut self, broker: BrokerId, clean: bool) {
        self.pending_recoveries -= 1;
        let expiration = self.scenario.cluster.producer_state_expiration_ms();
        let start_up = self.brokers[broker as usize].start(self.now_ms, expiration, self.space);
        self.emit(EventKind::BrokerStarted {
            broker,
            from_snapshot: clean || !start_up.snapshots_loaded.is_empty(),
            producer_state_from: producer_state_source(clean, &start_up.snapshots_loaded),
        });
        for (partition, producer_id) in start_up.expired {
            self.emit(EventKind::ProducerStateExpired {
                broker,
                partition,
                producer_id,
                by_fault: false,
            });
        }
        for partition in 0..self.partitions.len() as PartitionId {
            let meta = &self.partitions[partition as usize];
            if !meta.replicas.contains(&broker) {
                continue;
            }
            if meta.leader.is_none() {
                self.elect_leader(partition);
            }
            if self.partitions[partition as usize].leader != Some(broker) {
                self.schedule(self.now_ms, Action::FollowerFetch { broker, partition });
            }
        }
    }

    pub(crate) fn link_heal(&mut self, producer: ProducerIndex, broker: BrokerId) {
        self.pending_recoveries -= 1;
        let now = self.now_ms;
        self.links_cut
            .retain(|c| !(c.producer == producer && c.broker == broker && c.until_ms <= now));
        self.emit(EventKind::LinkHealed { producer, broker });
        self.wake_producer_at(producer, now);
    }

    pub(crate) fn replication_resume(&mut self, broker: BrokerId) {
        self.pending_recoveries -= 1;
        self.brokers[broker as usize].replication_stalled = false;
        for partition in 0..self.partitions.len() as PartitionId {
            let meta = &self.partitions[partition as usize];
            if meta.replicas.contains(&broker) && meta.leader != Some(broker) {
                self.schedule(self.now_ms, Action::FollowerFetch { broker, partition });
            }
        }
    }
}

/// Where a restarted broker's producer state came from, in words: after a clean stop, the
/// snapshot written at the log end; after an unclean one, the newest snapshot an earlier
/// start-up or clean stop left (if any), then the log after it.
fn producer_state_source(clean: bool, snapshots_loaded: &[(PartitionId, Offset)]) -> String {
    if clean {
        return "snapshot (last batch per producer)".into();
    }
    if snapshots_loaded.is_empty() {
        return "log replay (up to 5 batches per producer)".into();
    }
    let at: Vec<String> = snapshots_loaded
        .iter()
        .map(|(partition, offset)| format!("p{partition} @{offset}"))
        .collect();
    format!(
        "an earlier snapshot ({}: last batch per producer), then log replay after it",
        at.join(", ")
    )
}
