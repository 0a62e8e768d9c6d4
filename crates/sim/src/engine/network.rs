//! Messages on the wire: latency and jitter from the seed, cut links, delivery, and the faults
//! that act on a message (TigerBeetle's packet simulator owns its faults the same way): a
//! produce request lost or corrupted, a response lost with its connection, scripted by a
//! trigger that matches the batches a message carries, or drawn at the scenario's random rates.
//! Protocol code asks [`Simulation::message_fate`] and knows nothing of triggers or rates.

use rand::Rng;

use super::{Action, Message, Node, Payload, ProduceRequest, Simulation};
use crate::error::KafkaError;
use crate::event::{BatchRef, EventKind};
use crate::fault::{BatchMatcher, Fault, Rejection, ScriptedFault, Trigger};
use crate::types::{BrokerId, PartitionId, ProducerIndex, TimeMs};

/// Which way a produce message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// Client to leader.
    Request,
    /// Leader to client.
    Response,
}

/// What the network does to a produce request or response as it is written to the socket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct MessageFate {
    /// Lost: a request stalls its TCP stream; a response resets its connection.
    pub lost: bool,
    /// A request whose CRC will not match.
    pub corrupted: bool,
    /// A request with a batch the leader refuses for good: its partition and the error.
    pub rejected: Option<(PartitionId, KafkaError)>,
}

/// The last arrival time on each link `(from, to)`: TCP delivers in order, so a message never
/// arrives before the one sent ahead of it on its link, whatever the jitter drew. A table with
/// one cell per ordered pair of nodes (producers, brokers, the injector), as sends happen on
/// every step and a map's walk was a measurable share of them.
#[derive(Debug, Clone, Default)]
pub(crate) struct LinkClocks {
    producers: usize,
    nodes: usize,
    last_arrival_ms: Vec<TimeMs>,
}

impl LinkClocks {
    pub(crate) fn new(producers: usize, brokers: usize) -> LinkClocks {
        let nodes = producers + brokers + 1;
        LinkClocks {
            producers,
            nodes,
            last_arrival_ms: vec![0; nodes * nodes],
        }
    }

    fn index(&self, node: Node) -> usize {
        match node {
            Node::Producer(p) => p as usize,
            Node::Broker(b) => self.producers + b as usize,
            Node::Injector => self.nodes - 1,
        }
    }

    /// When a message sent now on `(from, to)` arrives, at the earliest at `earliest_ms`.
    fn arrival(&mut self, from: Node, to: Node, earliest_ms: TimeMs) -> TimeMs {
        let cell = self.index(from) * self.nodes + self.index(to);
        let last = &mut self.last_arrival_ms[cell];
        *last = earliest_ms.max(*last);
        *last
    }
}

impl Simulation {
    /// The faults aimed at a produce message carrying `refs`, applied as it is sent: each
    /// scripted fault whose trigger matches one of its batches fires once (a fault that does
    /// not act on a message, such as a crash, is applied through the fault script), then the
    /// random loss rate of its side is drawn.
    pub(crate) fn message_fate(&mut self, side: Side, request: &ProduceRequest) -> MessageFate {
        let mut fate = MessageFate::default();
        // The batches are read once, and only when a trigger may match them (most messages
        // meet none).
        let mut refs: Option<Vec<BatchRef>> = None;
        for index in 0..self.scenario.faults.len() {
            if self.scripted_fired[index] {
                continue;
            }
            let matcher = match (&self.scenario.faults[index].when, side) {
                (Trigger::Request(m), Side::Request) | (Trigger::Response(m), Side::Response) => m,
                _ => continue,
            };
            let refs = refs.get_or_insert_with(|| request.batch_refs(self.space));
            let Some(matched) = refs.iter().find(|r| self.matches(matcher, r)) else {
                continue;
            };
            let fault = &self.scenario.faults[index].fault;
            // One refused batch per request: a second rejection waits for a later request.
            if matches!(fault, Fault::RejectBatch { .. }) && fate.rejected.is_some() {
                continue;
            }
            let partition = matched.partition;
            self.scripted_fired[index] = true;
            let fault = fault.clone();
            match (&fault, side) {
                (Fault::DropRequest, Side::Request) | (Fault::DropResponse, Side::Response) => {
                    fate.lost = true
                }
                (Fault::CorruptRequest, Side::Request) => fate.corrupted = true,
                (Fault::RejectBatch { error }, Side::Request) => {
                    fate.rejected = Some((partition, error.error()))
                }
                _ => {
                    self.apply_fault(&fault, Some(request.id));
                    continue;
                }
            }
            self.emit(EventKind::FaultInjected {
                description: fault.describe(),
                fault: Some(fault),
            });
        }
        let (rate, what) = match side {
            Side::Request => (self.scenario.random_faults.drop_request, "request"),
            Side::Response => (self.scenario.random_faults.drop_response, "response"),
        };
        if rate > 0.0 && self.rng.random_bool(rate) {
            self.emit(EventKind::FaultInjected {
                description: format!("random fault: {what} lost"),
                fault: None,
            });
            fate.lost = true;
        }
        let corrupt = self.scenario.random_faults.corrupt_request;
        if matches!(side, Side::Request)
            && !fate.lost
            && corrupt > 0.0
            && self.rng.random_bool(corrupt)
        {
            self.emit(EventKind::FaultInjected {
                description: "random fault: request corrupted (bad CRC)".into(),
                fault: None,
            });
            fate.corrupted = true;
        }
        fate
    }

    /// The scripted faults with a `read` trigger that match a batch of `request`, fired as
    /// the leader reads it, before it handles it.
    pub(crate) fn faults_on_read(&mut self, request: &ProduceRequest) {
        let refs = request.batch_refs(self.space);
        for index in 0..self.scenario.faults.len() {
            let Trigger::Read(matcher) = &self.scenario.faults[index].when else {
                continue;
            };
            if self.scripted_fired[index] || !refs.iter().any(|r| self.matches(matcher, r)) {
                continue;
            }
            self.scripted_fired[index] = true;
            let fault = self.scenario.faults[index].fault.clone();
            self.apply_fault(&fault, Some(request.id));
        }
    }

    /// The scripted fault that drops produce request `request` (or its response) if the run is
    /// replayed from the start. `None` unless the request is on the wire or awaiting its answer
    /// now, or if the fault injector sent it.
    pub fn fault_dropping(&self, request: u64, response: bool) -> Option<ScriptedFault> {
        let matcher = self.matcher_of(request)?;
        Some(if response {
            ScriptedFault {
                when: Trigger::Response(matcher),
                fault: Fault::DropResponse,
            }
        } else {
            ScriptedFault {
                when: Trigger::Request(matcher),
                fault: Fault::DropRequest,
            }
        })
    }

    /// The scripted fault that makes the leader refuse the first batch of produce request
    /// `request` for good, with `error`, if the run is replayed from the start (`None` as for
    /// [`Simulation::fault_dropping`]).
    pub fn fault_refusing(&self, request: u64, error: Rejection) -> Option<ScriptedFault> {
        Some(ScriptedFault {
            when: Trigger::Request(self.matcher_of(request)?),
            fault: Fault::RejectBatch { error },
        })
    }

    /// A matcher for the first batch of request `request`: its producer, partition, n-th batch
    /// and attempt, which pick the same message again in a replay whatever else changes
    /// (idempotence on or off, other faults later).
    fn matcher_of(&self, request: u64) -> Option<BatchMatcher> {
        let (batch_id, attempt) = self.first_batch_of(request)?;
        let batch = self.batches.get(batch_id as usize)?;
        Some(BatchMatcher {
            producer: Some(batch.producer),
            partition: Some(batch.partition),
            batch: Some(batch.nth),
            base_sequence: None,
            attempt: Some(attempt),
        })
    }

    /// The first client batch of a produce request still on the wire or awaiting its answer,
    /// with the attempt the request carried it as.
    fn first_batch_of(&self, request: u64) -> Option<(u64, u32)> {
        let on_wire = self.messages.values().find_map(|m| match &m.payload {
            Payload::Produce { request: r } if r.id == request && r.producer.is_some() => {
                r.batches.first().map(|b| (b.batch_id, b.attempt))
            }
            _ => None,
        });
        on_wire.or_else(|| {
            let awaiting = self
                .producers
                .iter()
                .flat_map(|p| p.connections.iter())
                .flat_map(|c| c.in_flight.iter())
                .find(|r| r.id == request)?;
            let &first = awaiting.batches.first()?;
            Some((first, self.batches.get(first as usize)?.attempts))
        })
    }

    /// Whether a trigger's matcher names this batch.
    pub(crate) fn matches(&self, m: &BatchMatcher, r: &BatchRef) -> bool {
        let nth = self.batches.get(r.batch_id as usize).map(|b| b.nth);
        m.producer.is_none_or(|p| Some(p) == r.producer)
            && m.partition.is_none_or(|p| p == r.partition)
            && m.batch
                .is_none_or(|n| Some(n) == nth && r.producer.is_some())
            && m.base_sequence.is_none_or(|s| s == r.base_sequence)
            && m.attempt.is_none_or(|a| a == r.attempt)
    }

    /// One-way latency of a message sent now: base latency plus seeded jitter.
    fn latency_ms(&mut self) -> TimeMs {
        let network = &self.scenario.network;
        let jitter = if network.jitter_ms > 0 {
            self.rng.random_range(0..=network.jitter_ms)
        } else {
            0
        };
        network.latency_ms + jitter
    }

    /// Puts a message on the wire and schedules its arrival. Returns its id.
    pub(crate) fn send_message(&mut self, from: Node, to: Node, payload: Payload) -> u64 {
        let id = self.next_message_id;
        self.next_message_id += 1;
        let earliest = self.now_ms + self.latency_ms().max(1);
        let arrive_ms = self.link_clocks.arrival(from, to, earliest);
        let doomed = self.link_is_cut(from, to, self.now_ms);
        let incarnation = |node: Node| match node {
            Node::Broker(b) => self.brokers[b as usize].incarnation,
            _ => 0,
        };
        let (from_incarnation, to_incarnation) = (incarnation(from), incarnation(to));
        self.messages.insert(
            id,
            Message {
                id,
                from,
                to,
                sent_ms: self.now_ms,
                arrive_ms,
                payload,
                doomed,
                from_incarnation,
                to_incarnation,
            },
        );
        self.schedule(arrive_ms, Action::Deliver { message: id });
        id
    }

    /// Sends on a client's TCP stream; on a stream that has stalled (a segment lost for good)
    /// the message never arrives.
    pub(crate) fn send_on_stream(&mut self, from: Node, to: Node, payload: Payload, stalled: bool) {
        let id = self.send_message(from, to, payload);
        if stalled {
            if let Some(m) = self.messages.get_mut(id) {
                m.doomed = true;
            }
        }
    }

    /// A TCP reset from `broker` on the client connection `(producer, incarnation,
    /// generation)`: the client fails what it has in flight there when it arrives.
    pub(crate) fn send_reset(
        &mut self,
        broker: BrokerId,
        (producer, incarnation, generation): (ProducerIndex, u32, u32),
    ) {
        let reset = Payload::ConnectionReset {
            producer,
            broker,
            generation,
            incarnation,
        };
        self.send_message(Node::Broker(broker), Node::Producer(producer), reset);
    }

    fn cut_between(&self, producer: ProducerIndex, broker: BrokerId, at_ms: TimeMs) -> bool {
        self.links_cut
            .iter()
            .any(|c| c.producer == producer && c.broker == broker && at_ms < c.until_ms)
    }

    pub(crate) fn link_is_cut(&self, from: Node, to: Node, at_ms: TimeMs) -> bool {
        match (from, to) {
            (Node::Producer(p), Node::Broker(b)) | (Node::Broker(b), Node::Producer(p)) => {
                self.cut_between(p, b, at_ms)
            }
            _ => false,
        }
    }

    /// A message reaches its destination, unless the network lost it on the way.
    pub(crate) fn deliver(&mut self, id: u64) {
        let Some(message) = self.messages.remove(id) else {
            return;
        };
        if message.doomed || self.link_is_cut(message.from, message.to, self.now_ms) {
            self.message_lost(message);
            return;
        }
        if !self.connection_survived(&message) {
            self.message_lost(message);
            return;
        }
        match message.to {
            Node::Broker(at) => self.arrive_at_broker(at, message.from, message.payload),
            Node::Producer(_) | Node::Injector => self.arrive_at_producer(message.payload),
        }
    }

    /// What a broker receives: from clients, from the coordinator, from other brokers.
    fn arrive_at_broker(&mut self, at: BrokerId, from: Node, payload: Payload) {
        match payload {
            Payload::InitProducerIdRequest {
                producer,
                incarnation,
            } => self.with_coordinator(|coordinator, _, out| {
                coordinator.on_init_producer_id(at, producer, incarnation, out)
            }),
            Payload::Produce { request } => self.produce_arrived(request),
            Payload::TxnRequest {
                producer,
                incarnation,
                id,
                transactional_id,
                transaction_timeout_ms,
                request,
            } => {
                let caller = super::coordinator::Caller {
                    producer,
                    incarnation,
                    request: id,
                };
                let call = super::coordinator::TxnCall {
                    transactional_id,
                    transaction_timeout_ms,
                    request,
                };
                self.with_coordinator(|coordinator, cluster, out| {
                    coordinator.on_request(cluster, at, caller, call, out)
                })
            }
            Payload::WriteTxnMarker {
                transactional_id,
                partition,
                producer_id,
                epoch,
                marker,
            } => {
                let Node::Broker(coordinator) = from else {
                    return;
                };
                let write = super::produce_path::MarkerWrite {
                    transactional_id,
                    partition,
                    producer_id,
                    epoch,
                    marker,
                };
                self.handle_write_marker((at, coordinator), write)
            }
            Payload::WriteTxnMarkerResponse {
                transactional_id,
                partition,
                epoch,
                error,
            } => {
                let Node::Broker(leader) = from else {
                    return;
                };
                self.with_coordinator(|coordinator, _, out| {
                    let marker = (transactional_id, partition);
                    coordinator.on_marker_response(marker, leader, epoch, error, out)
                })
            }
            Payload::ConnectionClosedByClient {
                producer,
                incarnation,
                generation,
            } => self.client_closed_connection(at, (producer, incarnation, generation)),
            Payload::Fetch {
                follower,
                partition,
                fetch_offset,
            } => self.handle_fetch(at, follower, partition, fetch_offset),
            Payload::FetchResponse {
                follower,
                partition,
                batches,
                high_watermark,
                truncate_to,
            } => {
                let answer = super::broker::FetchAnswer {
                    batches,
                    high_watermark,
                    truncate_to,
                };
                self.handle_fetch_response(follower, partition, answer)
            }
            // Only producers receive these.
            Payload::InitProducerIdResponse { .. }
            | Payload::TxnResponse { .. }
            | Payload::ProduceResponse { .. }
            | Payload::ConnectionReset { .. } => {}
        }
    }

    /// What a producer receives: answers from brokers and the coordinator, and resets.
    fn arrive_at_producer(&mut self, payload: Payload) {
        match payload {
            Payload::InitProducerIdResponse {
                producer,
                incarnation,
                producer_id,
            } => self.receive_producer_id(producer, incarnation, producer_id),
            Payload::TxnResponse {
                producer,
                incarnation,
                id,
                error,
                producer_id,
                epoch,
                position,
            } => {
                let answer = super::transaction_manager::TxnAnswer {
                    error,
                    producer_id,
                    epoch,
                    position,
                };
                self.txn_response_arrived(producer, incarnation, id, answer)
            }
            Payload::ProduceResponse {
                request,
                producer,
                incarnation,
                broker,
                generation,
                results,
            } => self.response_arrived(
                request,
                (producer, incarnation, broker, generation),
                results,
            ),
            Payload::ConnectionReset {
                producer,
                broker,
                generation,
                incarnation,
            } => self.connection_reset_arrived(producer, broker, generation, incarnation),
            // Only brokers receive these.
            Payload::InitProducerIdRequest { .. }
            | Payload::Produce { .. }
            | Payload::TxnRequest { .. }
            | Payload::WriteTxnMarker { .. }
            | Payload::WriteTxnMarkerResponse { .. }
            | Payload::ConnectionClosedByClient { .. }
            | Payload::Fetch { .. }
            | Payload::FetchResponse { .. } => {}
        }
    }

    /// Whether the TCP connection a message travels on is still there: the receiving broker
    /// has not stopped since it was sent, and between brokers neither end has (a stopped
    /// follower's fetch dies with its process, as does its fetch session).
    fn connection_survived(&self, message: &Message) -> bool {
        let up = |node: Node, incarnation: u32| match node {
            Node::Broker(b) => {
                let b = &self.brokers[b as usize];
                b.alive && b.incarnation == incarnation
            }
            _ => true,
        };
        if !up(message.to, message.to_incarnation) {
            return false;
        }
        match (message.from, message.to) {
            (Node::Broker(_), Node::Broker(_)) => up(message.from, message.from_incarnation),
            _ => true,
        }
    }

    /// A message vanished (cut link, dead broker, doomed by a fault).
    fn message_lost(&mut self, message: Message) {
        match message.payload {
            Payload::Produce { request } => {
                let crafted = request.producer.is_none();
                let request = request.id;
                if crafted {
                    // Nobody waits for a crafted request's answer.
                    self.emit(crate::event::EventKind::RequestLost {
                        request,
                        why: "lost in the network".into(),
                    });
                    self.close_request(request);
                    return;
                }
                // The TCP stream stalls: the client learns nothing until its request timeout.
                self.emit(crate::event::EventKind::RequestLost {
                    request,
                    why: "lost in the network; the client will time out".into(),
                });
            }
            Payload::Fetch {
                follower,
                partition,
                ..
            }
            | Payload::FetchResponse {
                follower,
                partition,
                ..
            } => {
                // The follower's fetch session times out; it fetches again after the long-poll wait.
                self.brokers[follower as usize].fetching.remove(&partition);
                let wait = self.scenario.cluster.replica_fetch_wait_max_ms;
                self.schedule(
                    self.now_ms + wait,
                    Action::FollowerFetch {
                        broker: follower,
                        partition,
                    },
                );
            }
            Payload::InitProducerIdRequest {
                producer,
                incarnation,
            }
            | Payload::InitProducerIdResponse {
                producer,
                incarnation,
                ..
            } => {
                // The client retries InitProducerId after its backoff.
                if self.producers[producer as usize].incarnation == incarnation {
                    self.producers[producer as usize].init_in_flight = false;
                    let backoff = self.producers[producer as usize].config.retry_backoff_ms;
                    self.wake_producer_at(producer, self.now_ms + backoff.max(1));
                }
            }
            Payload::ProduceResponse { request, .. } => {
                self.emit(crate::event::EventKind::ResponseLost { request });
            }
            Payload::ConnectionReset { .. } | Payload::ConnectionClosedByClient { .. } => {}
            // The client's request timeout and the coordinator's tick resend these.
            Payload::TxnRequest { .. }
            | Payload::TxnResponse { .. }
            | Payload::WriteTxnMarker { .. }
            | Payload::WriteTxnMarkerResponse { .. } => {}
        }
    }
}
