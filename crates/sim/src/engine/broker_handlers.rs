//! The world's side of the brokers: what arrives at a broker (a produce request, a fetch, a
//! marker, a timer) is handed to the [`super::Broker`], its [`super::Replica`]s, the
//! controller's [`super::PartitionMeta`] and the coordinator in the order Kafka handles it, and
//! what they decide is performed at once: events, responses, fetches, elections. The rules
//! themselves live in those modules; what stays here is the order, which is what makes runs
//! reproducible event for event.

use std::sync::Arc;

use super::broker::FetchAnswer;
use super::coordinator::MARKER_TIMEOUT_MS;
use super::network::Side;
use super::replica::ProduceRules;
use super::{
    Action, ControlMarker, LogBatch, LogRecord, Node, Payload, PendingMarker, ProduceRequest,
    Simulation, WireBatch,
};
use crate::config::Acks;
use crate::error::KafkaError;
use crate::event::{BatchRef, BrokerVerdict, EventKind, PartitionResult};
use crate::producer_state::RejectReason;
use crate::types::*;

/// One marker a WriteTxnMarkers request asks a partition leader to write.
pub(crate) struct MarkerWrite {
    pub transactional_id: String,
    pub partition: PartitionId,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    pub marker: ControlMarker,
}

fn explain(verdict: &BrokerVerdict) -> String {
    match verdict {
        BrokerVerdict::Appended { base_offset, last_offset, .. } => {
            format!("appended at offsets {base_offset}–{last_offset}")
        }
        BrokerVerdict::Duplicate { base_offset, last_offset } => format!(
            "duplicate of offsets {base_offset}–{last_offset}, answered NONE with offset {base_offset}; nothing appended"
        ),
        BrokerVerdict::Rejected { error, reason } => match reason {
            Some(RejectReason::OutOfOrder { expected, got }) => {
                format!("{error}: expected sequence {expected}, got {got}; nothing appended")
            }
            Some(RejectReason::UnknownProducerNotAtZero { got }) => {
                format!("{error}: brokers 4.5+ require a new producer on an empty partition to start at 0, got {got}")
            }
            Some(RejectReason::NewEpochNotAtZero { got }) => {
                format!("{error}: a new epoch must start at sequence 0, got {got}")
            }
            Some(RejectReason::StaleEpoch { current, got }) => {
                format!("{error}: epoch {got} is older than the current epoch {current}")
            }
            Some(RejectReason::NotInTransaction) => format!(
                "{error}: the coordinator says this partition is not in the producer's ongoing transaction (verification, KIP-890); nothing appended"
            ),
            Some(RejectReason::FencedByCoordinator) => format!(
                "{error}: the coordinator has fenced this producer epoch (verification, KIP-890); nothing appended"
            ),
            Some(RejectReason::TransactionOpen) => format!(
                "{error}: a non-transactional batch while this producer id has a transaction open here; nothing appended"
            ),
            None => match error {
                KafkaError::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS: the ISR is smaller than min.insync.replicas; nothing appended".into(),
                KafkaError::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER: this broker does not lead the partition".into(),
                KafkaError::CorruptMessage => "CORRUPT_MESSAGE: the batch failed its CRC check; nothing appended".into(),
                other => format!("{other}"),
            },
        },
        BrokerVerdict::TextbookDiscarded { last_seen } => format!(
            "textbook rule: sequence not above {last_seen}, discarded as a duplicate although it was never written"
        ),
    }
}

impl Simulation {
    /// The batches a produce request carries, as events name them.
    pub(crate) fn wire_refs(&self, request: &ProduceRequest) -> Vec<BatchRef> {
        (0..request.batches.len())
            .map(|i| self.wire_ref(request, i))
            .collect()
    }

    fn wire_ref(&self, r: &ProduceRequest, index: usize) -> BatchRef {
        let w = &r.batches[index];
        BatchRef {
            batch_id: w.batch_id,
            producer: r.producer,
            partition: w.partition,
            producer_id: w.producer_id,
            epoch: w.epoch,
            base_sequence: w.base_sequence,
            last_sequence: self.space.last_of_batch(w.base_sequence, w.record_count),
            record_count: w.record_count,
            attempt: w.attempt,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Produce path.

    pub(crate) fn produce_arrived(&mut self, request: Arc<ProduceRequest>) {
        let broker = request.broker;
        let Some(key) = request.connection() else {
            // Crafted request: its own connection, served at once.
            self.handle_produce(broker, request);
            return;
        };
        if let Some(next) = self.brokers[broker as usize].accept(key, request) {
            self.handle_produce(broker, next);
        }
    }

    fn handle_produce(&mut self, broker: BrokerId, request: Arc<ProduceRequest>) {
        let (acks, min_isr) = (request.acks, self.scenario.cluster.min_insync_replicas);
        let mut results = Vec::with_capacity(request.batches.len());
        let mut waiting = Vec::new();
        for (index, wire) in request.batches.iter().enumerate() {
            let partition = wire.partition;
            let meta = &self.partitions[partition as usize];
            let refusal = self.brokers[broker as usize].refuse_batch(
                request.corrupted,
                meta,
                (acks, min_isr),
                || self.transaction_verification(broker, &request, wire),
            );
            let verdict = match refusal {
                Some(refused) => refused,
                None => self.validate_and_append(broker, wire),
            };
            let (result, wait) = self.brokers[broker as usize].must_wait(partition, acks, &verdict);
            waiting.extend(wait.map(|offset| (partition, offset)));
            let batch = self.wire_ref(&request, index);
            let explanation = explain(&verdict);
            self.emit(EventKind::BatchVerdict {
                broker,
                request: request.id,
                batch,
                verdict,
                explanation,
            });
            results.push(result);
        }
        if acks == Acks::None {
            self.finish_request(broker, &request);
            return;
        }
        if waiting.is_empty() {
            self.respond(broker, request, results);
            return;
        }
        let (id, timeout_ms) = (request.id, request.timeout_ms);
        let partitions: Vec<PartitionId> = request.batches.iter().map(|b| b.partition).collect();
        self.brokers[broker as usize].park(request, results, waiting);
        self.schedule(
            self.now_ms + timeout_ms,
            Action::DelayedProduceTimeout {
                broker,
                request: id,
            },
        );
        // The HW may already be enough if followers are ahead (e.g. duplicate of replicated data).
        for p in partitions {
            self.complete_delayed_produces(broker, p);
        }
    }

    /// KIP-890 part 1: before a producer's first transactional batch on a partition is
    /// appended, the leader asks the coordinator whether the partition is in the producer's
    /// ongoing transaction ([`super::coordinator::TransactionCoordinator::verify`]), so a late
    /// batch of an ended transaction does not open one nobody will end.
    fn transaction_verification(
        &self,
        broker: BrokerId,
        request: &ProduceRequest,
        wire: &WireBatch,
    ) -> Option<(KafkaError, RejectReason)> {
        if !wire.transactional {
            return None;
        }
        let replica = self.brokers[broker as usize].replica(wire.partition);
        if replica
            .producer_state
            .has_open_transaction(wire.producer_id)
        {
            // Verified when the transaction's first batch came (the VerificationGuard).
            return None;
        }
        self.coordinator.verify(
            request.transactional_id.as_deref()?,
            (wire.producer_id, wire.epoch),
            wire.partition,
        )
    }

    /// The log's checks (duplicate, epoch, sequence), then the append.
    fn validate_and_append(&mut self, broker: BrokerId, wire: &WireBatch) -> BrokerVerdict {
        let partition = wire.partition;
        let rules = ProduceRules {
            space: self.space,
            dedup_rule: self.scenario.cluster.dedup_rule,
            new_partition_requires_sequence_zero: self
                .scenario
                .cluster
                .new_partition_requires_sequence_zero,
        };
        let replica = self.brokers[broker as usize].replica_mut(partition);
        if let Err(verdict) = replica.check_batch(wire, &rules) {
            return verdict;
        }
        let leader_epoch = self.partitions[partition as usize].leader_epoch;
        let verdict = replica.append_produced(wire, leader_epoch, self.event_count, rules.space);
        self.advance_high_watermark(broker, partition);
        self.answer_parked_fetches(broker, partition);
        verdict
    }

    /// Sends a produce response, unless the network loses it (the connection is then reset)
    /// or a fault it triggered stopped the broker; then the connection's next request is read.
    fn respond(
        &mut self,
        broker: BrokerId,
        request: Arc<ProduceRequest>,
        results: Vec<PartitionResult>,
    ) {
        self.emit(EventKind::ResponseSent {
            broker,
            producer: request.producer,
            request: request.id,
            results: results.clone(),
        });
        self.record_response(broker, &request, &results);
        let Some((producer, incarnation, generation)) = request.connection() else {
            self.close_request(request.id);
            return;
        };
        let reset = self.message_fate(Side::Response, &request).lost;
        if !self.brokers[broker as usize].alive {
            // A fault triggered by this response stopped the broker before it went out.
            self.emit(EventKind::ResponseLost {
                request: request.id,
            });
            return;
        }
        if reset {
            self.emit(EventKind::ResponseLost {
                request: request.id,
            });
            self.brokers[broker as usize].reset_connection((producer, incarnation, generation));
            self.send_reset(broker, (producer, incarnation, generation));
            return;
        }
        self.send_message(
            Node::Broker(broker),
            Node::Producer(producer),
            Payload::ProduceResponse {
                request: request.id,
                producer,
                incarnation,
                broker,
                generation,
                results,
            },
        );
        self.finish_request(broker, &request);
    }

    /// The report's rows for a response: one per batch, with its partition's answer.
    fn record_response(
        &mut self,
        broker: BrokerId,
        request: &ProduceRequest,
        results: &[PartitionResult],
    ) {
        for (index, wire) in request.batches.iter().enumerate() {
            let result = results.iter().find(|r| r.partition == wire.partition);
            let r = self.wire_ref(request, index);
            let row = self.responses.len();
            self.response_rows.entry(request.id).or_default().push(row);
            self.responses.push(super::ResponseRecord {
                time_ms: self.now_ms,
                producer: request.producer,
                producer_id: r.producer_id,
                epoch: r.epoch,
                partition: r.partition,
                base_sequence: r.base_sequence,
                last_sequence: r.last_sequence,
                attempt: r.attempt,
                broker,
                error: result.map_or(KafkaError::None, |x| x.error),
                base_offset: result.map_or(-1, |x| x.base_offset),
                delivered: false,
                request: request.id,
            });
        }
    }

    /// The client's FIN arrived: what the broker had not read yet is gone with the socket.
    pub(crate) fn client_closed_connection(
        &mut self,
        broker: BrokerId,
        key: (ProducerIndex, u32, u32),
    ) {
        for request in self.brokers[broker as usize].client_closed(key) {
            self.emit(EventKind::RequestLost {
                request,
                why: "the client closed the connection before the broker read it".into(),
            });
        }
    }

    fn finish_request(&mut self, broker: BrokerId, request: &ProduceRequest) {
        let Some(key) = request.connection() else {
            return;
        };
        if let Some(next) = self.brokers[broker as usize].finish_request(key, request.id) {
            self.handle_produce(broker, next);
        }
    }

    pub(crate) fn delayed_produce_timeout(&mut self, broker: BrokerId, request_id: u64) {
        if let Some((request, results)) = self.brokers[broker as usize].expire_delayed(request_id) {
            self.respond(broker, request, results);
        }
    }

    /// The leader's high watermark of `partition` may have moved: answer the produce requests
    /// and markers in `DelayedProduce` that it completes ([`super::Broker::complete_delayed`]).
    pub(crate) fn complete_delayed_produces(&mut self, broker: BrokerId, partition: PartitionId) {
        let hw = self.brokers[broker as usize]
            .replica(partition)
            .high_watermark;
        let isr_short = self.partitions[partition as usize].isr.len()
            < self.scenario.cluster.min_insync_replicas as usize;
        let ready = self.brokers[broker as usize].complete_delayed(partition, hw, isr_short);
        for request in ready {
            if let Some((request, results)) = self.brokers[broker as usize].take_completed(request)
            {
                self.respond(broker, request, results);
            }
        }
        let markers = self.brokers[broker as usize].complete_delayed_markers(partition, hw);
        for ((transactional_id, partition), marker) in markers {
            let error = if isr_short {
                KafkaError::NotEnoughReplicasAfterAppend
            } else {
                KafkaError::None
            };
            self.answer_marker(
                broker,
                marker.coordinator,
                transactional_id,
                partition,
                marker.epoch,
                error,
            );
        }
    }

    /// Leader: HW = the smallest log end among ISR members (followers as last fetched).
    pub(crate) fn advance_high_watermark(&mut self, leader: BrokerId, partition: PartitionId) {
        let meta = &self.partitions[partition as usize];
        if meta.leader != Some(leader) {
            return;
        }
        let replica = self.brokers[leader as usize].replica(partition);
        let hw = replica.high_watermark_for(leader, &meta.isr);
        if hw > replica.high_watermark {
            self.brokers[leader as usize]
                .replica_mut(partition)
                .high_watermark = hw;
            self.emit(EventKind::HighWatermarkAdvanced {
                broker: leader,
                partition,
                high_watermark: hw,
            });
        }
        self.complete_delayed_produces(leader, partition);
    }

    // -----------------------------------------------------------------------------------------
    // Replication.

    /// A follower's fetch of `partition` is due ([`super::Broker::on_fetch_due`]).
    pub(crate) fn follower_fetch(&mut self, broker: BrokerId, partition: PartitionId) {
        let leader = self.partitions[partition as usize].leader;
        let (now_ms, wait_ms) = (self.now_ms, self.scenario.cluster.replica_fetch_wait_max_ms);
        let mut out = self.take_out();
        self.brokers[broker as usize].on_fetch_due(partition, leader, (now_ms, wait_ms), &mut out);
        self.give_out(out);
    }

    pub(crate) fn handle_fetch(
        &mut self,
        leader: BrokerId,
        follower: BrokerId,
        partition: PartitionId,
        fetch_offset: Offset,
    ) {
        let meta = &self.partitions[partition as usize];
        if meta.leader != Some(leader) {
            self.send_fetch_response(leader, follower, partition, fetch_offset, None);
            return;
        }
        let divergence = self.brokers[leader as usize]
            .replica(partition)
            .divergence(self.brokers[follower as usize].replica(partition));
        if let Some(truncate_to) = divergence {
            self.send_fetch_response(leader, follower, partition, fetch_offset, Some(truncate_to));
            return;
        }
        let now = self.now_ms;
        let replica = self.brokers[leader as usize].replica_mut(partition);
        replica.record_fetch(follower, fetch_offset, now);
        let (leo, hw) = (replica.log_end_offset(), replica.high_watermark);
        let in_isr = self.partitions[partition as usize].isr.contains(&follower);
        if !in_isr
            && fetch_offset >= hw
            && fetch_offset >= leo
            && self.partitions[partition as usize].expand_isr(follower)
        {
            self.isr_changed(
                partition,
                format!("broker {follower} caught up and rejoined"),
            );
        }
        // Advancing the HW can answer a produce and let the next one append, so the log end
        // is read again before deciding to park.
        self.advance_high_watermark(leader, partition);
        let leo = self.brokers[leader as usize]
            .replica(partition)
            .log_end_offset();
        if fetch_offset >= leo {
            // Long poll: park until data arrives or replica.fetch.wait.max.ms passes.
            self.brokers[leader as usize]
                .replica_mut(partition)
                .parked_fetches
                .insert(follower);
            let wait = self.scenario.cluster.replica_fetch_wait_max_ms;
            self.schedule(
                now + wait,
                Action::FetchWaitExpired {
                    broker: leader,
                    partition,
                    follower,
                },
            );
            return;
        }
        self.send_fetch_response(leader, follower, partition, fetch_offset, None);
    }

    /// The leader's answer reached follower `follower` ([`super::Broker::on_fetch_response`]).
    pub(crate) fn handle_fetch_response(
        &mut self,
        follower: BrokerId,
        partition: PartitionId,
        answer: FetchAnswer,
    ) {
        let leader = self.partitions[partition as usize].leader;
        let (now_ms, space) = (self.now_ms, self.space);
        let mut out = self.take_out();
        self.brokers[follower as usize].on_fetch_response(
            partition,
            answer,
            (leader, now_ms, space),
            &mut out,
        );
        self.give_out(out);
    }

    /// A leader answers a follower's fetch ([`super::Broker::fetch_response`]).
    fn send_fetch_response(
        &mut self,
        leader: BrokerId,
        follower: BrokerId,
        partition: PartitionId,
        fetch_offset: Offset,
        truncate_to: Option<Offset>,
    ) {
        let mut out = self.take_out();
        let fetch = (follower, fetch_offset, truncate_to);
        self.brokers[leader as usize].fetch_response(partition, fetch, &mut out);
        self.give_out(out);
    }

    /// New data on the leader: the fetches parked on `partition` are answered.
    pub(crate) fn answer_parked_fetches(&mut self, leader: BrokerId, partition: PartitionId) {
        let mut out = self.take_out();
        self.brokers[leader as usize].answer_parked_fetches(partition, &mut out);
        self.give_out(out);
    }

    /// A parked fetch's `replica.fetch.wait.max.ms` is over.
    pub(crate) fn fetch_wait_expired(
        &mut self,
        leader: BrokerId,
        partition: PartitionId,
        follower: BrokerId,
    ) {
        let mut out = self.take_out();
        self.brokers[leader as usize].on_fetch_wait_expired(partition, follower, &mut out);
        self.give_out(out);
    }

    /// `producer.id.expiration.check.interval.ms`: every live broker drops the producer state
    /// past `producer.id.expiration.ms` ([`super::Broker::on_expiry_check`]).
    pub(crate) fn expiry_check(&mut self) {
        let cluster = &self.scenario.cluster;
        let (expiration, interval) = (
            cluster.producer_id_expiration_ms,
            cluster.producer_id_expiration_check_interval_ms,
        );
        let mut out = self.take_out();
        for broker in &mut self.brokers {
            broker.on_expiry_check(self.now_ms, expiration, &mut out);
        }
        out.schedule(self.now_ms + interval, Action::ExpiryCheck);
        self.give_out(out);
    }

    // -----------------------------------------------------------------------------------------
    // ISR and elections.

    pub(crate) fn isr_check(&mut self) {
        let lag_max = self.scenario.cluster.replica_lag_time_max_ms;
        for partition in 0..self.partitions.len() as PartitionId {
            let meta = &self.partitions[partition as usize];
            let Some(leader) = meta.leader else { continue };
            let replica = self.brokers[leader as usize].replica(partition);
            let lagging: Vec<BrokerId> = meta
                .isr
                .iter()
                .copied()
                .filter(|&b| b != leader)
                .filter(|b| {
                    self.now_ms
                        .saturating_sub(replica.follower_caught_up_ms.get(b).copied().unwrap_or(0))
                        > lag_max
                })
                .collect();
            for b in lagging {
                self.remove_from_isr(
                    partition,
                    b,
                    "fell behind for longer than replica.lag.time.max.ms",
                );
            }
        }
        let period = (lag_max / 2).max(1);
        self.schedule(self.now_ms + period, Action::IsrCheck);
    }

    /// Says that the partition's ISR changed (it already holds the new members) and why.
    pub(crate) fn isr_changed(&mut self, partition: PartitionId, why: String) {
        let isr = self.partitions[partition as usize].isr.clone();
        self.emit(EventKind::IsrChanged {
            partition,
            isr,
            why,
        });
    }

    /// Removes a follower from the ISR when the rules allow ([`super::PartitionMeta::shrink_isr`]);
    /// the high watermark may then move on without it.
    pub(crate) fn remove_from_isr(&mut self, partition: PartitionId, broker: BrokerId, why: &str) {
        let meta = &mut self.partitions[partition as usize];
        if !meta.shrink_isr(broker) {
            return;
        }
        let leader = meta.leader;
        self.isr_changed(partition, format!("broker {broker} {why}"));
        if let Some(leader) = leader {
            self.advance_high_watermark(leader, partition);
        }
    }

    /// Controller: elects a leader for the partition ([`super::PartitionMeta::elect`]), then
    /// tells the brokers: followers fetch from the new leader, which starts its view of them
    /// afresh.
    pub(crate) fn elect_leader(&mut self, partition: PartitionId) {
        let unclean_allowed = self.scenario.cluster.unclean_leader_election;
        let brokers = &self.brokers;
        let alive = |b: BrokerId| brokers[b as usize].alive;
        let Some(election) = self.partitions[partition as usize].elect(alive, unclean_allowed)
        else {
            return;
        };
        let (leader, unclean) = (election.leader, election.unclean);
        self.emit(EventKind::LeaderElected {
            partition,
            leader,
            leader_epoch: election.leader_epoch,
            unclean,
        });
        // Followers drop fetch sessions with the old leader and fetch from the new one.
        let followers: Vec<BrokerId> = self.partitions[partition as usize].followers().collect();
        for f in followers {
            if self.brokers[f as usize].alive
                && self.brokers[f as usize].fetching.remove(&partition)
            {
                self.schedule(
                    self.now_ms,
                    Action::FollowerFetch {
                        broker: f,
                        partition,
                    },
                );
            }
        }
        if let Some(l) = leader {
            let isr = &self.partitions[partition as usize].isr;
            self.brokers[l as usize]
                .replica_mut(partition)
                .become_leader(isr, self.now_ms);
            if unclean {
                self.isr_changed(
                    partition,
                    "unclean election: only the new leader is in sync".into(),
                );
            }
            self.advance_high_watermark(l, partition);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Transaction markers, written for the coordinator.

    /// `KafkaApis.handleWriteTxnMarkersRequest`: the marker is appended with `requiredAcks =
    /// -1`, so it takes the produce path's min-ISR check and then waits in a DelayedProduce
    /// until the high watermark passes it. Only then is it written for the coordinator: a
    /// leader that fails before replicating it loses it, and the coordinator sends it again.
    pub(crate) fn handle_write_marker(
        &mut self,
        (broker, coordinator): (BrokerId, BrokerId),
        write: MarkerWrite,
    ) {
        let MarkerWrite {
            transactional_id,
            partition,
            producer_id,
            epoch,
            marker,
        } = write;
        let meta = &self.partitions[partition as usize];
        let min_isr = self.scenario.cluster.min_insync_replicas;
        // A marker is written with acks=-1 and is not verified against the coordinator.
        let refusal =
            self.brokers[broker as usize].refuse_batch(false, meta, (Acks::All, min_isr), || None);
        if let Some(BrokerVerdict::Rejected { error, .. }) = refusal {
            self.answer_marker(
                broker,
                coordinator,
                transactional_id,
                partition,
                epoch,
                error,
            );
            return;
        }
        let offset = self.append_marker(broker, partition, producer_id, epoch, marker);
        let key = (transactional_id, partition);
        self.brokers[broker as usize].pending_markers.insert(
            key.clone(),
            PendingMarker {
                epoch,
                required: offset + 1,
                coordinator,
            },
        );
        self.schedule(
            self.now_ms + MARKER_TIMEOUT_MS,
            Action::MarkerTimeout {
                broker,
                transactional_id: key.0,
                partition,
            },
        );
        self.complete_delayed_produces(broker, partition);
    }

    /// The marker's DelayedProduce expired before the high watermark passed it.
    pub(crate) fn marker_timeout(
        &mut self,
        broker: BrokerId,
        transactional_id: String,
        partition: PartitionId,
    ) {
        let key = (transactional_id, partition);
        let Some(pending) = self.brokers[broker as usize].pending_markers.remove(&key) else {
            return;
        };
        self.answer_marker(
            broker,
            pending.coordinator,
            key.0,
            partition,
            pending.epoch,
            KafkaError::RequestTimedOut,
        );
    }

    pub(crate) fn answer_marker(
        &mut self,
        broker: BrokerId,
        coordinator: BrokerId,
        transactional_id: String,
        partition: PartitionId,
        epoch: Epoch,
        error: KafkaError,
    ) {
        self.send_message(
            Node::Broker(broker),
            Node::Broker(coordinator),
            Payload::WriteTxnMarkerResponse {
                transactional_id,
                partition,
                epoch,
                error,
            },
        );
    }

    fn append_marker(
        &mut self,
        broker: BrokerId,
        partition: PartitionId,
        producer_id: ProducerId,
        epoch: Epoch,
        marker: ControlMarker,
    ) -> Offset {
        let leader_epoch = self.partitions[partition as usize].leader_epoch;
        let appended_event = self.event_count;
        let now = self.now_ms;
        let space = self.space;
        let replica = self.brokers[broker as usize].replica_mut(partition);
        let base_offset = replica.log_end_offset();
        let batch = LogBatch {
            base_offset,
            producer_id,
            epoch,
            base_sequence: NO_SEQUENCE,
            leader_epoch,
            max_timestamp_ms: now,
            records: vec![LogRecord {
                offset: base_offset,
                sequence: NO_SEQUENCE,
                message: None,
            }],
            appended_event,
            appended_without_state: false,
            transactional: true,
            control: Some(marker),
            client_batch: None,
        };
        replica.append(batch, space);
        self.emit(EventKind::MarkerWritten {
            broker,
            partition,
            producer_id,
            epoch,
            marker,
            offset: base_offset,
        });
        self.advance_high_watermark(broker, partition);
        self.answer_parked_fetches(broker, partition);
        base_offset
    }
}
