//! The world's side of the brokers: what arrives at a broker (a produce request, a fetch, a
//! marker, a timer) is handed to the [`super::Broker`], its [`super::Replica`]s, the
//! controller's [`super::PartitionMeta`] and the coordinator in the order Kafka handles it, and
//! what they decide is performed at once: events, responses, fetches, elections. The rules
//! themselves live in those modules; what stays here is the order, which is what makes runs
//! reproducible event for event.

use std::rc::Rc;

use super::broker::FetchAnswer;
use super::network::Side;
use super::node::FollowUp;
use super::produce_path::{MarkerWrite, ProduceContext, RequestRead};
use super::replica::ProduceRules;
use super::{Action, Node, Payload, ProduceRequest, Simulation};
use crate::error::KafkaError;
use crate::event::{EventKind, PartitionResult};
use crate::types::*;

impl Simulation {
    // -----------------------------------------------------------------------------------------
    // Produce path ([`super::produce_path`]).

    pub(crate) fn produce_arrived(&mut self, request: Rc<ProduceRequest>) {
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

    /// What a leader reads while it handles a batch.
    fn produce_context(&self) -> ProduceContext {
        let cluster = &self.scenario.cluster;
        ProduceContext {
            now_ms: self.now_ms,
            rules: ProduceRules {
                space: self.space,
                dedup_rule: cluster.dedup_rule,
                new_partition_requires_sequence_zero: cluster
                    .broker()
                    .new_partition_requires_sequence_zero(),
                v2_unknown_producer_requires_sequence_zero: cluster
                    .broker()
                    .v2_unknown_producer_requires_sequence_zero(),
            },
            min_insync_replicas: cluster.min_insync_replicas,
            verifies_transactions: cluster.broker().verifies_transactions(),
            event_count: self.event_count,
        }
    }

    /// Each batch in turn ([`super::Broker::on_produce_batch`]), what it set off performed
    /// before the next; then the request is answered or parked.
    fn handle_produce(&mut self, broker: BrokerId, request: Rc<ProduceRequest>) {
        if self.has_read_triggers {
            self.faults_on_read(&request);
            if !self.brokers[broker as usize].alive {
                // A fault on reading it stopped the broker: the request goes with it.
                return;
            }
        }
        let mut results = Vec::with_capacity(request.batches.len());
        let mut waiting = Vec::new();
        for index in 0..request.batches.len() {
            let mut out = self.take_out();
            let cx = self.produce_context();
            let coordinator = &mut self.coordinator;
            let now_ms = self.now_ms;
            let verify = |id: &str, ids, partition, v2| {
                coordinator.verify_or_add(now_ms, id, ids, partition, v2)
            };
            let leader = &mut self.brokers[broker as usize];
            let (verdict, event) = leader.on_produce_batch(
                (&request, index),
                (&cx, &self.partitions),
                verify,
                &mut out,
            );
            self.give_out(out);
            self.emit(event);
            let partition = request.batches[index].partition;
            let leader = &self.brokers[broker as usize];
            let (result, wait) = leader.must_wait(partition, request.acks, &verdict);
            waiting.extend(wait.map(|offset| (partition, offset)));
            results.push(result);
        }
        let mut out = self.take_out();
        let now_ms = self.now_ms;
        let leader = &mut self.brokers[broker as usize];
        let next = leader.on_request_read(request, (results, waiting), now_ms, &mut out);
        self.give_out(out);
        match next {
            RequestRead::Respond(request, results) => self.respond(broker, request, results),
            RequestRead::Serve(next) => self.handle_produce(broker, next),
            RequestRead::Wait => {}
        }
    }

    /// Does what a broker's handler left for its turn ([`FollowUp`]).
    pub(crate) fn follow_up(&mut self, follow_up: FollowUp) {
        match follow_up {
            FollowUp::CompleteDelayed { broker, partition } => {
                self.complete_delayed_produces(broker, partition)
            }
            FollowUp::AnswerParkedFetches { broker, partition } => {
                self.answer_parked_fetches(broker, partition)
            }
            FollowUp::AnswerParked { broker, request } => {
                if let Some((request, results)) =
                    self.brokers[broker as usize].take_completed(request)
                {
                    self.cancel_delayed_timeout(broker, request.id);
                    self.respond(broker, request, results);
                }
            }
            FollowUp::AnswerMarkers {
                broker,
                partition,
                hw,
                isr_short,
            } => {
                let mut out = self.take_out();
                let leader = &mut self.brokers[broker as usize];
                leader.answer_markers(partition, hw, isr_short, &mut out);
                self.give_out(out);
            }
            FollowUp::AnswerFetch {
                leader,
                fetch,
                wait_ms,
            } => {
                let mut out = self.take_out();
                let now_ms = self.now_ms;
                let broker = &mut self.brokers[leader as usize];
                broker.answer_fetch(fetch, (now_ms, wait_ms), &mut out);
                self.give_out(out);
            }
        }
    }

    /// Sends a produce response, unless the network loses it (the connection is then reset)
    /// or a fault it triggered stopped the broker; then the connection's next request is read.
    fn respond(
        &mut self,
        broker: BrokerId,
        request: Rc<ProduceRequest>,
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
        if let Some(next) = self.brokers[broker as usize].serve_next_after(&request) {
            self.handle_produce(broker, next);
        }
    }

    /// The report's rows for a response: one per batch, with its partition's answer.
    fn record_response(
        &mut self,
        broker: BrokerId,
        request: &ProduceRequest,
        results: &[PartitionResult],
    ) {
        // A request is answered once, so its rows are these, one after another.
        let first_row = self.responses.len();
        let replaced = self
            .response_rows
            .insert(request.id, first_row..first_row + request.batches.len());
        debug_assert!(replaced.is_none(), "request {} answered twice", request.id);
        for (index, wire) in request.batches.iter().enumerate() {
            let result = results.iter().find(|r| r.partition == wire.partition);
            let r = request.batch_ref(index, self.space);
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

    pub(crate) fn delayed_produce_timeout(&mut self, broker: BrokerId, request_id: u64) {
        if let Some((request, results)) = self.brokers[broker as usize].expire_delayed(request_id) {
            self.respond(broker, request, results);
        }
    }

    /// The leader's high watermark of `partition` may have moved: what it completes is
    /// answered ([`super::Broker::on_high_watermark`]).
    pub(crate) fn complete_delayed_produces(&mut self, broker: BrokerId, partition: PartitionId) {
        let isr_short = self.partitions[partition as usize].isr.len()
            < self.scenario.cluster.min_insync_replicas as usize;
        let mut out = self.take_out();
        self.brokers[broker as usize].on_high_watermark(partition, isr_short, &mut out);
        self.give_out(out);
    }

    /// The high-watermark rule on `leader` ([`super::Broker::advance_high_watermark`]).
    pub(crate) fn advance_high_watermark(&mut self, leader: BrokerId, partition: PartitionId) {
        let mut out = self.take_out();
        let meta = &self.partitions[partition as usize];
        self.brokers[leader as usize].advance_high_watermark(meta, &mut out);
        self.give_out(out);
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

    /// A follower's fetch reached `leader` ([`super::Broker::on_fetch`]); a follower that
    /// caught up rejoins the ISR (`Partition.maybeExpandIsr`), the high watermark may move,
    /// and then the fetch is answered or parked ([`super::Broker::answer_fetch`]).
    pub(crate) fn handle_fetch(
        &mut self,
        leader: BrokerId,
        follower: BrokerId,
        partition: PartitionId,
        fetch_offset: Offset,
    ) {
        let mut out = self.take_out();
        let meta = &self.partitions[partition as usize];
        let (leads, now_ms) = (meta.leader == Some(leader), self.now_ms);
        let divergence = leads
            .then(|| {
                let follower_log = self.brokers[follower as usize].replica(partition);
                self.brokers[leader as usize]
                    .replica(partition)
                    .divergence(follower_log)
            })
            .flatten();
        let fetch = (follower, partition, fetch_offset);
        if !self.brokers[leader as usize].on_fetch(fetch, (meta, divergence), now_ms, &mut out) {
            self.give_out(out);
            return;
        }
        // `on_fetch` pushed nothing when it returns true: what follows keeps the order.
        debug_assert!(out.is_empty());
        let meta = &mut self.partitions[partition as usize];
        if !meta.isr.contains(&follower)
            && self.brokers[leader as usize].caught_up(partition, fetch_offset)
            && meta.expand_isr(follower)
        {
            self.isr_changed(
                partition,
                format!("broker {follower} caught up and rejoined"),
            );
        }
        let wait_ms = self.scenario.cluster.replica_fetch_wait_max_ms;
        let meta = &self.partitions[partition as usize];
        let broker = &mut self.brokers[leader as usize];
        if broker.advance_high_watermark(meta, &mut out) {
            // Answering parked produce requests may let more be appended first.
            out.then(FollowUp::AnswerFetch {
                leader,
                fetch,
                wait_ms,
            });
        } else {
            broker.answer_fetch(fetch, (now_ms, wait_ms), &mut out);
        }
        self.give_out(out);
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
            cluster.producer_state_expiration_ms(),
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
            let lagging = replica.out_of_sync(leader, &meta.isr, (self.now_ms, lag_max));
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

    /// A WriteTxnMarkers request reached a leader ([`super::Broker::on_write_marker`]); once
    /// what the append set off is done, the marker waits for the high watermark.
    pub(crate) fn handle_write_marker(
        &mut self,
        (broker, coordinator): (BrokerId, BrokerId),
        write: MarkerWrite,
    ) {
        let mut out = self.take_out();
        let cx = self.produce_context();
        let leader = &mut self.brokers[broker as usize];
        let appended =
            leader.on_write_marker(coordinator, &write, (&cx, &self.partitions), &mut out);
        self.give_out(out);
        let Some(offset) = appended else { return };
        let mut out = self.take_out();
        let now_ms = self.now_ms;
        let leader = &mut self.brokers[broker as usize];
        leader.park_marker(coordinator, write, offset, now_ms, &mut out);
        self.give_out(out);
    }

    /// The marker's DelayedProduce expired before the high watermark passed it.
    pub(crate) fn marker_timeout(
        &mut self,
        broker: BrokerId,
        transactional_id: String,
        partition: PartitionId,
    ) {
        let mut out = self.take_out();
        let key = (transactional_id, partition);
        self.brokers[broker as usize].on_marker_timeout(key, &mut out);
        self.give_out(out);
    }
}
