//! The producer: Java client semantics (`Sender`, `RecordAccumulator`, `TransactionManager`).
//!
//! Rules and where they come from:
//! - sequences are assigned when a batch is first drained and kept on every retry
//!   (`RecordAccumulator.drainBatchesForOneNode`);
//! - a retried batch is re-enqueued in sequence order and drained only when it is the lowest
//!   sequence in flight, which brings the pipeline down to one request while retries are pending
//!   (`insertInSequenceOrder`, `shouldStopDrainBatchesForPartition`);
//! - without idempotence a retry goes to the front of the deque (`addFirst`) and may overtake;
//! - `OUT_OF_ORDER_SEQUENCE_NUMBER` bumps the epoch only for the batch right after the last
//!   acknowledged one (`TransactionManager.canRetry`);
//! - a batch that expires after being retried leaves its partition "unresolved"
//!   (`markSequenceUnresolved`, `maybeResolveSequences`).

use super::network::Side;
use super::sender::DrainContext;
use super::{
    Action, BatchIds, BatchState, Completion, InFlightRequest, MessageOutcome, Node, Payload,
    ProduceRequest, Simulation, WireBatch, WireBatches,
};
use crate::config::Acks;
use crate::error::KafkaError;
use crate::event::{BatchRef, EventKind, PartitionResult};
use crate::types::*;

impl Simulation {
    pub(crate) fn batch_ref(&self, batch_id: u64) -> BatchRef {
        let b = &self.batches[batch_id as usize];
        let base = b.base_sequence.unwrap_or(NO_SEQUENCE);
        BatchRef {
            batch_id,
            producer: Some(b.producer),
            partition: b.partition,
            producer_id: b.producer_id,
            epoch: b.epoch,
            base_sequence: base,
            last_sequence: self.space.last_of_batch(base, b.record_count()),
            record_count: b.record_count(),
            attempt: b.attempts,
        }
    }

    /// [`super::ProducerClient::wake_at`] without the command buffer: the sender is woken
    /// several times per batch, so this path schedules directly.
    pub(crate) fn wake_producer_at(&mut self, producer: ProducerIndex, at_ms: TimeMs) {
        if self.producers[producer as usize].arm_wake(self.now_ms, at_ms) {
            self.schedule(at_ms, Action::SenderWake { producer });
        }
    }

    // -----------------------------------------------------------------------------------------
    // The application.

    pub(crate) fn app_send(&mut self, producer: ProducerIndex, incarnation: u32) {
        let p = &self.producers[producer as usize];
        if p.incarnation != incarnation || !p.alive || p.next_message >= p.total_messages {
            return;
        }
        let mut wake = false;
        loop {
            let p = &mut self.producers[producer as usize];
            let message = p.next_message;
            if message >= p.total_messages {
                break;
            }
            let at = p.send_times_ms[message as usize];
            if at > self.now_ms {
                self.schedule(
                    at,
                    Action::AppSend {
                        producer,
                        incarnation,
                    },
                );
                break;
            }
            if !self.txn_may_send(producer, message) {
                // The next transaction starts once the current one has ended.
                break;
            }
            self.producers[producer as usize].next_message += 1;
            wake |= self.accumulate(producer, message, false);
        }
        if wake {
            self.wake_producer_at(producer, self.now_ms);
        }
    }

    /// A record reaches the accumulator ([`super::ProducerClient::append_record`]): whether
    /// `send()` wakes the sender for it.
    pub(crate) fn accumulate(
        &mut self,
        producer: ProducerIndex,
        message: u32,
        resend: bool,
    ) -> bool {
        let p = &mut self.producers[producer as usize];
        let partition = p.message_partition[message as usize];
        p.outcomes[message as usize] = MessageOutcome::Pending;
        self.emit(EventKind::RecordSent {
            producer,
            message,
            partition,
            resend,
        });
        let p = &mut self.producers[producer as usize];
        p.append_record(message, &mut self.batches, self.now_ms)
    }

    // -----------------------------------------------------------------------------------------
    // The sender loop (`Sender.runOnce`).

    pub(crate) fn sender_wake(&mut self, producer: ProducerIndex) {
        let p = &mut self.producers[producer as usize];
        p.timers.sender_wake.expire(self.now_ms);
        if !p.alive {
            return;
        }
        self.expire_batches(producer);
        if self.producers[producer as usize].txn.is_some() {
            // Transactional: the coordinator hands out ids and epochs; no local epoch bump.
            if self.txn_sender_step(producer) {
                for broker in 0..self.brokers.len() as BrokerId {
                    self.drain_to(producer, broker);
                }
            }
            self.schedule_next_wake(producer);
            return;
        }
        if self.producers[producer as usize].config.idempotent {
            if !self.producers[producer as usize].has_producer_id() {
                self.maybe_init_producer_id(producer);
                self.schedule_next_wake(producer);
                return;
            }
            self.maybe_resolve_sequences(producer);
            if !self.producers[producer as usize]
                .epoch_bump_partitions
                .is_empty()
            {
                self.bump_epoch(producer);
            }
        }
        for broker in 0..self.brokers.len() as BrokerId {
            self.drain_to(producer, broker);
        }
        self.schedule_next_wake(producer);
    }

    /// When the sender runs next ([`super::ProducerClient::plan_wake`]). It runs several
    /// times per batch, so the world schedules directly, without a command buffer.
    fn schedule_next_wake(&mut self, producer: ProducerIndex) {
        let p = &mut self.producers[producer as usize];
        let plan = p.plan_wake(&self.batches, self.now_ms);
        if let Some(at) = plan.sender_wake {
            self.schedule(at, Action::SenderWake { producer });
        }
        if let Some(at) = plan.delivery_check {
            self.schedule(at, Action::DeliveryCheck { producer });
        }
    }

    fn maybe_init_producer_id(&mut self, producer: ProducerIndex) {
        let p = &self.producers[producer as usize];
        if p.init_in_flight {
            return;
        }
        // Any broker will do (the least loaded node); pick the lowest live, reachable one.
        let target = (0..self.brokers.len() as BrokerId).find(|&b| {
            self.brokers[b as usize].alive
                && !self.link_is_cut(Node::Producer(producer), Node::Broker(b), self.now_ms)
        });
        let incarnation = p.incarnation;
        match target {
            Some(b) => {
                self.producers[producer as usize].init_in_flight = true;
                self.send_message(
                    Node::Producer(producer),
                    Node::Broker(b),
                    Payload::InitProducerIdRequest {
                        producer,
                        incarnation,
                    },
                );
            }
            None => {
                let backoff = self.producers[producer as usize]
                    .config
                    .retry_backoff_ms
                    .max(1);
                self.wake_producer_at(producer, self.now_ms + backoff);
            }
        }
    }

    pub(crate) fn receive_producer_id(
        &mut self,
        producer: ProducerIndex,
        incarnation: u32,
        producer_id: ProducerId,
    ) {
        let mut out = self.take_out();
        let p = &mut self.producers[producer as usize];
        p.on_producer_id(incarnation, producer_id, self.now_ms, &mut out);
        self.give_out(out);
    }

    /// `TransactionManager.bumpIdempotentProducerEpoch`: a local bump, then every in-flight
    /// batch of the affected partitions is renumbered from 0 under the new epoch.
    fn bump_epoch(&mut self, producer: ProducerIndex) {
        let p = &mut self.producers[producer as usize];
        let rejection = p.bump_after_rejection;
        let Some(partitions) = p.bump_epoch() else {
            return;
        };
        let (producer_id, epoch) = (p.producer_id, p.epoch);
        for &partition in &partitions {
            self.start_sequences_at_beginning(producer, partition);
        }
        let why = match rejection {
            Some(error) => format!(
                "a batch was refused for good ({error}); sequences restart at 0 under the new epoch, batches being retried included"
            ),
            None => {
                "a batch's fate could not be resolved; sequences restart at 0 under the new epoch"
                    .into()
            }
        };
        self.emit(EventKind::EpochBumped {
            producer,
            producer_id,
            epoch,
            partitions,
            why,
        });
    }

    fn start_sequences_at_beginning(&mut self, producer: ProducerIndex, partition: PartitionId) {
        let p = &mut self.producers[producer as usize];
        let ids = (p.producer_id, p.epoch);
        p.partitions[partition as usize].renumber_from_zero(&mut self.batches, ids, self.space);
    }

    /// `TransactionManager.maybeResolveSequences` ([`super::ProducerClient::resolve_sequences`]).
    fn maybe_resolve_sequences(&mut self, producer: ProducerIndex) {
        let p = &self.producers[producer as usize];
        if p.partitions
            .iter()
            .all(|part| part.unresolved_next_sequence.is_none())
        {
            // The common case, on every wake-up: nothing to resolve.
            return;
        }
        let mut out = self.take_out();
        self.producers[producer as usize].resolve_sequences(&mut out);
        self.give_out(out);
    }

    /// Fails batches whose `delivery.timeout.ms` has passed, queued or in flight.
    fn expire_batches(&mut self, producer: ProducerIndex) {
        let p = &self.producers[producer as usize];
        let timeout = p.config.delivery_timeout_ms;
        let expired: Vec<u64> = p
            .live_batches
            .iter()
            .take_while(|(created_ms, _)| self.now_ms >= created_ms + timeout)
            .map(|&(_, id)| id)
            .collect();
        for id in expired {
            let in_retry = self.batches[id as usize].in_retry;
            let was_sent = self.batches[id as usize].attempts > 0;
            if in_retry && self.producers[producer as usize].config.idempotent {
                let b = &self.batches[id as usize];
                let partition = b.partition;
                let next = self.producers[producer as usize].mark_unresolved(b, self.space);
                self.emit(EventKind::SequenceUnresolved {
                    producer,
                    partition,
                    next_sequence: next,
                });
            }
            self.fail_batch(id, KafkaError::DeliveryTimeout, was_sent, false);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Draining.

    /// Sends produce requests to `broker` while the client drains batches for it
    /// ([`super::ProducerClient::drain`]); each request's fate may change what comes next.
    fn drain_to(&mut self, producer: ProducerIndex, broker: BrokerId) {
        loop {
            let cx = DrainContext {
                now_ms: self.now_ms,
                space: self.space,
                broker_alive: self.brokers[broker as usize].alive,
            };
            let p = &mut self.producers[producer as usize];
            let drained = p.drain(broker, &mut self.batches, cx);
            if drained.needs_metadata {
                self.request_metadata_refresh(producer);
            }
            if drained.batches.is_empty() {
                return;
            }
            self.send_produce(producer, broker, drained.batches);
        }
    }

    fn send_produce(&mut self, producer: ProducerIndex, broker: BrokerId, batch_ids: BatchIds) {
        let request = self.produce_request(producer, broker, &batch_ids);
        let (request_id, acks, timeout_ms) = (request.id, request.acks, request.timeout_ms);
        // As the request was sent: a fault it triggers (a producer restart) may move the
        // connection on, and then its timer finds a newer generation and does nothing.
        let generation = request.generation;
        self.open_requests.insert(request_id, Some(producer));
        self.emit(EventKind::RequestSent {
            producer: Some(producer),
            broker,
            request: request_id,
            batches: batch_ids.iter().map(|&id| self.batch_ref(id)).collect(),
        });
        let fate = self.message_fate(Side::Request, &request);
        let request = ProduceRequest {
            corrupted: fate.corrupted,
            rejected: fate.rejected,
            ..request
        };
        let conn = &mut self.producers[producer as usize].connections[broker as usize];
        // TCP: once a segment is lost for good the stream stalls; later requests on this
        // connection never arrive either.
        conn.stalled |= fate.lost;
        let stalled = conn.stalled;
        let request = std::rc::Rc::new(request);
        let payload = Payload::Produce { request };
        self.send_on_stream(
            Node::Producer(producer),
            Node::Broker(broker),
            payload,
            stalled,
        );
        if acks == Acks::None {
            // acks=0: the batch is complete as soon as it is written to the socket, offset unknown.
            self.close_request(request_id);
            for id in batch_ids {
                self.complete_batch(id, KafkaError::None, -1);
            }
            return;
        }
        let conn = &mut self.producers[producer as usize].connections[broker as usize];
        conn.in_flight.push_back(InFlightRequest {
            id: request_id,
            sent_ms: self.now_ms,
            batches: batch_ids,
        });
        if !conn.request_timeout.is_armed() {
            let at = self.now_ms + timeout_ms;
            conn.request_timeout.arm(at);
            self.schedule(
                at,
                Action::RequestTimeout {
                    producer,
                    broker,
                    generation,
                },
            );
        }
    }

    /// The next produce request to `broker`, carrying `batch_ids` (each counted as one more
    /// attempt, and in flight in it).
    fn produce_request(
        &mut self,
        producer: ProducerIndex,
        broker: BrokerId,
        batch_ids: &[u64],
    ) -> ProduceRequest {
        let id = self.next_request_id;
        self.next_request_id += 1;
        let p = &self.producers[producer as usize];
        let transactional_id = p.config.transactional_id.clone();
        let mut batches = WireBatches::with_capacity(batch_ids.len());
        for &batch_id in batch_ids {
            let b = &mut self.batches[batch_id as usize];
            b.attempts += 1;
            b.state = BatchState::InFlight { request: id };
            batches.push(WireBatch {
                batch_id,
                partition: b.partition,
                producer_id: b.producer_id,
                epoch: b.epoch,
                base_sequence: b.base_sequence.unwrap_or(NO_SEQUENCE),
                record_count: b.record_count(),
                attempt: b.attempts,
                max_timestamp_ms: b.max_timestamp_ms,
                payload: b.messages.iter().map(|&m| Some((producer, m))).collect(),
                transactional: transactional_id.is_some(),
            });
        }
        let transactions_v2 = p.txn.as_ref().is_some_and(|t| t.v2);
        ProduceRequest {
            transactions_v2,
            id,
            producer: Some(producer),
            incarnation: p.incarnation,
            broker,
            generation: p.connections[broker as usize].generation,
            acks: p.config.acks,
            timeout_ms: p.config.request_timeout_ms,
            transactional_id,
            batches,
            corrupted: false,
            rejected: None,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Responses, disconnects, timeouts.

    /// A produce response arrived on connection `(producer, incarnation, broker, generation)`.
    pub(crate) fn response_arrived(
        &mut self,
        request_id: u64,
        (producer, incarnation, broker, generation): (ProducerIndex, u32, BrokerId, u32),
        results: Vec<PartitionResult>,
    ) {
        let p = &mut self.producers[producer as usize];
        if p.incarnation != incarnation || !p.alive {
            return;
        }
        let conn = &mut p.connections[broker as usize];
        if conn.generation != generation {
            return;
        }
        let Some(pos) = conn.in_flight.iter().position(|r| r.id == request_id) else {
            return;
        };
        let request = conn.in_flight.remove(pos).expect("found above");
        self.mark_response_delivered(request_id);
        self.close_request(request_id);
        // Each batch's answer, read before the event takes the results (no copy of them).
        let answers: smallvec::SmallVec<[(u64, KafkaError, Offset); 2]> = request
            .batches
            .iter()
            .map(|&batch_id| {
                let partition = self.batches[batch_id as usize].partition;
                let result = results.iter().find(|r| r.partition == partition);
                let (error, offset) = result.map_or((KafkaError::NetworkException, -1), |r| {
                    (r.error, r.base_offset)
                });
                (batch_id, error, offset)
            })
            .collect();
        self.emit(EventKind::ResponseReceived {
            producer,
            request: request_id,
            results,
        });
        for (batch_id, error, offset) in answers {
            self.complete_batch(batch_id, error, offset);
        }
        self.wake_producer_at(producer, self.now_ms);
    }

    pub(crate) fn connection_reset_arrived(
        &mut self,
        producer: ProducerIndex,
        broker: BrokerId,
        generation: u32,
        incarnation: u32,
    ) {
        let p = &self.producers[producer as usize];
        if p.incarnation != incarnation || p.connections[broker as usize].generation != generation {
            return;
        }
        self.close_connection(producer, broker, None, KafkaError::NetworkException);
    }

    /// The connection's timer: the oldest request in flight has had `request.timeout.ms`, or
    /// the timer is moved to when it will have.
    pub(crate) fn request_timeout(
        &mut self,
        producer: ProducerIndex,
        broker: BrokerId,
        generation: u32,
    ) {
        let p = &mut self.producers[producer as usize];
        let timeout_ms = p.config.request_timeout_ms;
        let conn = &mut p.connections[broker as usize];
        if conn.generation != generation {
            return;
        }
        conn.request_timeout.disarm();
        let Some(oldest) = conn.in_flight.front() else {
            return;
        };
        let (oldest, deadline) = (oldest.id, oldest.sent_ms + timeout_ms);
        if self.now_ms < deadline {
            conn.request_timeout.arm(deadline);
            self.schedule(
                deadline,
                Action::RequestTimeout {
                    producer,
                    broker,
                    generation,
                },
            );
            return;
        }
        // `NetworkClient.poll` handles the responses it received before it expires requests:
        // an answer arriving in this same millisecond is read first, then the timer looks again.
        let deferred = self.producers[producer as usize].connections[broker as usize]
            .timeout_deferred_at
            == Some(self.now_ms);
        if !deferred && self.response_arrives_now(producer, broker, generation) {
            let conn = &mut self.producers[producer as usize].connections[broker as usize];
            conn.timeout_deferred_at = Some(self.now_ms);
            conn.request_timeout.arm(self.now_ms);
            self.schedule(
                self.now_ms,
                Action::RequestTimeout {
                    producer,
                    broker,
                    generation,
                },
            );
            return;
        }
        // NetworkClient closes the connection to the node on a request timeout.
        self.close_connection(producer, broker, Some(oldest), KafkaError::NetworkException);
    }

    /// Whether a produce response on this connection arrives at the client in this millisecond
    /// (and so is read before the connection's requests are expired).
    fn response_arrives_now(
        &self,
        producer: ProducerIndex,
        broker: BrokerId,
        generation: u32,
    ) -> bool {
        let incarnation = self.producers[producer as usize].incarnation;
        self.messages.values().any(|m| {
            m.arrive_ms == self.now_ms
                && !m.doomed
                && matches!(&m.payload, Payload::ProduceResponse { producer: p, broker: b, generation: g, incarnation: i, .. }
                    if (*p, *b, *g, *i) == (producer, broker, generation, incarnation))
        })
    }

    /// Fails every request in flight on the connection; `timed_out` gets REQUEST_TIMED_OUT.
    fn close_connection(
        &mut self,
        producer: ProducerIndex,
        broker: BrokerId,
        timed_out: Option<u64>,
        error: KafkaError,
    ) {
        self.send_client_fin(producer, broker);
        let p = &mut self.producers[producer as usize];
        let conn = &mut p.connections[broker as usize];
        let failed: Vec<InFlightRequest> = conn.in_flight.drain(..).collect();
        conn.generation += 1;
        conn.stalled = false;
        conn.request_timeout.disarm();
        let error_of = |r: u64| {
            if Some(r) == timed_out {
                KafkaError::RequestTimedOut
            } else {
                error
            }
        };
        self.emit(EventKind::ConnectionClosed {
            producer,
            broker,
            error: timed_out.map_or(error, |_| KafkaError::RequestTimedOut),
            failed_requests: failed.iter().map(|r| r.id).collect(),
        });
        for request in failed {
            self.close_request(request.id);
            for batch_id in request.batches {
                self.complete_batch(batch_id, error_of(request.id), -1);
            }
        }
        self.request_metadata_refresh(producer);
        self.wake_producer_at(producer, self.now_ms);
    }

    /// Closing a connection sends a FIN after whatever is already on the wire; on a stalled
    /// connection it is stuck behind the lost segment like everything else.
    pub(crate) fn send_client_fin(&mut self, producer: ProducerIndex, broker: BrokerId) {
        let p = &self.producers[producer as usize];
        let conn = &p.connections[broker as usize];
        if conn.in_flight.is_empty() {
            return;
        }
        let (incarnation, generation, stalled) = (p.incarnation, conn.generation, conn.stalled);
        self.send_on_stream(
            Node::Producer(producer),
            Node::Broker(broker),
            Payload::ConnectionClosedByClient {
                producer,
                incarnation,
                generation,
            },
            stalled,
        );
    }

    pub(crate) fn request_metadata_refresh(&mut self, producer: ProducerIndex) {
        let mut out = self.take_out();
        let latency_ms = self.scenario.network.latency_ms;
        self.producers[producer as usize].request_metadata(self.now_ms, latency_ms, &mut out);
        self.give_out(out);
    }

    pub(crate) fn metadata_refreshed(&mut self, producer: ProducerIndex, incarnation: u32) {
        let leaders: Vec<Option<BrokerId>> = self.partitions.iter().map(|m| m.leader).collect();
        let mut out = self.take_out();
        let p = &mut self.producers[producer as usize];
        p.on_metadata(incarnation, leaders, self.now_ms, &mut out);
        self.give_out(out);
    }

    // -----------------------------------------------------------------------------------------
    // Completing batches (`Sender.completeBatch`).

    /// An attempt of a batch finished: the client decides ([`super::ProducerClient::decide`]) and
    /// the batch is acknowledged, queued again or failed.
    pub(crate) fn complete_batch(&mut self, batch_id: u64, error: KafkaError, base_offset: Offset) {
        let b = &self.batches[batch_id as usize];
        let p = &mut self.producers[b.producer as usize];
        if b.state == BatchState::Done || b.incarnation != p.incarnation {
            return;
        }
        match p.decide(b, error, base_offset, self.now_ms) {
            Completion::Acked { base_offset } => self.ack_batch(batch_id, base_offset),
            Completion::Retry => self.reenqueue(batch_id, error),
            Completion::Split => self.split_batch(batch_id),
            Completion::Failed {
                maybe_written,
                adjust_sequences,
            } => self.fail_batch(batch_id, error, maybe_written, adjust_sequences),
        }
    }

    fn ack_batch(&mut self, batch_id: u64, base_offset: Offset) {
        let batch_ref = self.batch_ref(batch_id);
        let b = &mut self.batches[batch_id as usize];
        b.state = BatchState::Done;
        let producer = b.producer;
        let p = &mut self.producers[producer as usize];
        p.record_ack(b, batch_ref.last_sequence, base_offset);
        for &m in &b.messages {
            let latency = self.now_ms.saturating_sub(p.send_times_ms[m as usize]);
            p.ack_latencies_ms
                .push(u32::try_from(latency).unwrap_or(u32::MAX));
        }
        self.emit(EventKind::BatchAcked {
            producer,
            batch: batch_ref,
            base_offset,
        });
    }

    /// A retry ([`super::ProducerClient::requeue`]); an error that says the leader moved
    /// asks for fresh metadata first.
    fn reenqueue(&mut self, batch_id: u64, error: KafkaError) {
        let producer = self.batches[batch_id as usize].producer;
        let p = &mut self.producers[producer as usize];
        let backoff = p.requeue(batch_id, &mut self.batches, self.now_ms);
        let batch = self.batch_ref(batch_id);
        self.emit(EventKind::BatchRetrying {
            producer,
            batch,
            error,
            next_attempt: self.batches[batch_id as usize].attempts + 1,
            backoff_ms: backoff,
        });
        if error.invalidates_metadata() {
            self.request_metadata_refresh(producer);
        }
        self.wake_producer_at(producer, self.now_ms + backoff);
    }

    /// MESSAGE_TOO_LARGE for a batch of several records ([`super::ProducerClient::split`]):
    /// its halves are queued and the sender runs at once.
    fn split_batch(&mut self, batch_id: u64) {
        let batch = self.batch_ref(batch_id);
        let producer = batch.producer.unwrap_or_default();
        let p = &mut self.producers[producer as usize];
        let parts = p.split(batch_id, &mut self.batches, self.now_ms, self.space);
        let into = parts.iter().map(|&id| self.batch_ref(id)).collect();
        self.emit(EventKind::BatchSplit {
            producer,
            batch,
            into,
        });
        self.wake_producer_at(producer, self.now_ms);
    }

    /// `Sender.failBatch` + `TransactionManager.handleFailedBatch`.
    fn fail_batch(
        &mut self,
        batch_id: u64,
        error: KafkaError,
        maybe_written: bool,
        adjust_sequences: bool,
    ) {
        let batch = self.batch_ref(batch_id);
        let b = &mut self.batches[batch_id as usize];
        let queued = b.state == BatchState::Queued;
        b.state = BatchState::Done;
        let producer = b.producer;
        let p = &mut self.producers[producer as usize];
        p.record_failure(b, queued, error, adjust_sequences);
        let transactional = p.txn.is_some();
        self.emit(EventKind::BatchFailed {
            producer,
            batch,
            error,
            maybe_written,
        });
        if transactional {
            self.txn_batch_failed(producer, error);
        }
    }

    /// Fails a batch at once (transaction aborted or producer fenced).
    pub(crate) fn fail_batch_now(&mut self, batch_id: u64, error: KafkaError) {
        if self.batches[batch_id as usize].state != BatchState::Done {
            self.fail_batch(batch_id, error, false, false);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Producer restart.

    pub(crate) fn producer_restart_begin(&mut self, producer: ProducerIndex, down_ms: TimeMs) {
        if !self.producers[producer as usize].alive {
            return;
        }
        // The process dies: its operating system closes every socket it had open.
        for broker in 0..self.brokers.len() as BrokerId {
            self.send_client_fin(producer, broker);
        }
        let p = &mut self.producers[producer as usize];
        let unacknowledged = p.stop(&mut self.batches);
        // Nobody will read the answers to the old process's requests.
        let open: Vec<u64> = self
            .open_requests
            .iter()
            .filter(|(_, from)| **from == Some(producer))
            .map(|(id, _)| id)
            .collect();
        for id in open {
            self.close_request(id);
        }
        self.producers[producer as usize].resend_queue = unacknowledged.iter().copied().collect();
        self.emit(EventKind::ProducerRestarted {
            producer,
            unacknowledged_messages: unacknowledged.len() as u32,
        });
        self.pending_recoveries += 1;
        self.schedule(self.now_ms + down_ms, Action::ProducerRestart { producer });
    }

    pub(crate) fn producer_restart_complete(&mut self, producer: ProducerIndex) {
        self.pending_recoveries -= 1;
        let leaders = self.partitions.iter().map(|m| m.leader).collect();
        self.producers[producer as usize].start(leaders);
        // The application re-sends what it never got an answer for: at-least-once by hand.
        let resend: Vec<u32> =
            std::mem::take(&mut self.producers[producer as usize].resend_queue).into();
        for m in resend {
            self.accumulate(producer, m, true);
        }
        self.resume_application(producer);
    }

    /// The application carries on sending now, and the sender runs.
    pub(crate) fn resume_application(&mut self, producer: ProducerIndex) {
        let incarnation = self.producers[producer as usize].incarnation;
        self.schedule(
            self.now_ms,
            Action::AppSend {
                producer,
                incarnation,
            },
        );
        self.wake_producer_at(producer, self.now_ms);
    }
}
