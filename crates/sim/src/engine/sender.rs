//! The producer client's accumulator and sender loop, as its own methods: what goes into a
//! batch, which batches a request to a broker carries, when the sender must wake next, and
//! what a restart of the application's process loses. The batches themselves are the world's
//! table (their ids name them in events and reports); a client touches only its own.
//!
//! In the order a record meets them:
//! 1. [`ProducerClient::append_record`], `RecordAccumulator.append`;
//! 2. [`ProducerClient::drain`], `RecordAccumulator.drain` for one broker, with
//!    `shouldStopDrainBatchesForPartition` ([`ProducerClient::may_drain_head`]) and the
//!    sequence given on a batch's first drain;
//! 3. after an attempt: [`ProducerClient::requeue`] for a retry (in sequence order when
//!    idempotent, at the front otherwise);
//! 4. on every wake-up: [`ProducerClient::resolve_sequences`]
//!    (`TransactionManager.maybeResolveSequences`) and [`ProducerClient::plan_wake`].
//!
//! And the process's life: [`ProducerClient::stop`] and [`ProducerClient::start`].

use super::accumulator::{BatchState, ClientBatch, ClientPartition};
use super::node::Out;
use super::state::{ClientTxnState, MessageOutcome, TxnOutcome, TxnResult};
use super::ProducerClient;
use crate::chunked::ChunkedVec;
use crate::event::EventKind;
use crate::sequence::SequenceSpace;
use crate::types::*;

/// What the sender reads, besides itself, when it drains batches for a broker.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DrainContext {
    pub now_ms: TimeMs,
    pub space: SequenceSpace,
    /// Whether the broker can be connected to.
    pub broker_alive: bool,
}

/// What one drain for a broker gives: the batches of a produce request, and whether the
/// client must ask where a partition's leader went ([`ProducerClient::request_metadata`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Drained {
    pub batches: super::BatchIds,
    pub needs_metadata: bool,
}

/// When the sender must run next ([`ProducerClient::plan_wake`]), with its timers armed:
/// the world puts each on its queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WakePlan {
    pub sender_wake: Option<TimeMs>,
    pub delivery_check: Option<TimeMs>,
}

impl ProducerClient {
    /// `RecordAccumulator.append`: `message` joins the open batch of its partition (never
    /// sent, not full), or starts a new batch, whose id is the next in `batches`. Returns
    /// whether `send()` wakes the sender: a new batch, or a batch now full or with another
    /// behind it (`KafkaProducer.doSend`: `result.batchIsFull || result.newBatchCreated`).
    /// Otherwise the sender sleeps on to the linger deadline it planned for that batch.
    pub fn append_record(
        &mut self,
        message: u32,
        batches: &mut ChunkedVec<ClientBatch>,
        now_ms: TimeMs,
    ) -> bool {
        let partition = self.message_partition[message as usize];
        let batch_size = self.config.batch_size_records as usize;
        let part = &mut self.partitions[partition as usize];
        let open = part.deque.back().copied().filter(|&id| {
            let b = &batches[id as usize];
            b.base_sequence.is_none() && b.attempts == 0 && b.messages.len() < batch_size
        });
        if let Some(id) = open {
            let b = &mut batches[id as usize];
            b.messages.push(message);
            b.max_timestamp_ms = now_ms;
            return b.messages.len() >= batch_size || part.deque.len() > 1;
        }
        let id = batches.len() as u64;
        let nth = part.batches_created;
        part.batches_created += 1;
        part.deque.push_back(id);
        self.live_batches.insert((now_ms, id));
        batches.push(ClientBatch {
            id,
            producer: self.index,
            incarnation: self.incarnation,
            partition,
            nth,
            messages: vec![message],
            created_ms: now_ms,
            max_timestamp_ms: now_ms,
            producer_id: NO_PRODUCER_ID,
            epoch: NO_PRODUCER_EPOCH,
            base_sequence: None,
            attempts: 0,
            retry_since_ms: now_ms,
            retry_at_ms: now_ms,
            in_retry: false,
            state: BatchState::Queued,
            sent_as: None,
        });
        true
    }

    /// `RecordAccumulator.drain` for `broker`: the head batch of every partition it leads
    /// (as the client last heard) that is ready and may go, taken off its deque and given its
    /// sequence if it has none: the batches of one produce request. None when
    /// `max.in.flight.requests.per.connection` requests are already out. A leader that cannot
    /// be reached, or a partition with no known leader, needs fresh metadata.
    pub fn drain(
        &mut self,
        broker: BrokerId,
        batches: &mut ChunkedVec<ClientBatch>,
        cx: DrainContext,
    ) -> Drained {
        let mut drained = Drained::default();
        if self.connections[broker as usize].in_flight.len() as u32 >= self.config.max_in_flight {
            return drained;
        }
        for partition in 0..self.partitions.len() as PartitionId {
            let Some(&head) = self.partitions[partition as usize].deque.front() else {
                continue;
            };
            // A transactional producer writes only to partitions added to the transaction.
            if self
                .txn
                .as_ref()
                .is_some_and(|t| !t.added.contains(&partition))
            {
                continue;
            }
            match self.leader_cache[partition as usize] {
                Some(leader) if leader == broker => {
                    if !cx.broker_alive {
                        // Cannot connect: find out where the partition went.
                        drained.needs_metadata = true;
                        continue;
                    }
                }
                Some(_) => continue,
                None => {
                    drained.needs_metadata |= broker == 0;
                    continue;
                }
            }
            let part = &self.partitions[partition as usize];
            let (batch_size, linger_ms) = (self.config.batch_size_records, self.config.linger_ms);
            if !batches[head as usize].is_ready(cx.now_ms, batch_size, linger_ms, part.deque.len())
            {
                continue;
            }
            if !self.may_drain_head(partition, head, batches) {
                continue;
            }
            self.partitions[partition as usize].deque.pop_front();
            self.assign_sequence_if_new(&mut batches[head as usize], cx.space);
            drained.batches.push(head);
        }
        drained
    }

    /// `shouldStopDrainBatchesForPartition` for the head batch of a partition: a retry goes
    /// out only as the lowest sequence in flight; a new batch waits while the partition's
    /// sequences are unresolved, or while batches of an older producer id or epoch are still
    /// in flight. A partition left behind by an epoch bump starts again at 0
    /// (`maybeUpdateProducerIdAndEpoch`).
    pub fn may_drain_head(
        &mut self,
        partition: PartitionId,
        head: u64,
        batches: &ChunkedVec<ClientBatch>,
    ) -> bool {
        if !self.config.idempotent {
            return true;
        }
        let (producer_id, epoch) = (self.producer_id, self.epoch);
        let part = &mut self.partitions[partition as usize];
        if batches[head as usize].base_sequence.is_some() {
            return part.first_in_flight(batches) == Some(head);
        }
        if part.unresolved_next_sequence.is_some() {
            return false;
        }
        let stale = part.producer_id != producer_id || part.epoch != epoch;
        if stale && !part.in_flight.is_empty() {
            return false;
        }
        if stale {
            part.producer_id = producer_id;
            part.epoch = epoch;
            part.next_sequence = 0;
            part.last_acked_sequence = -1;
        }
        true
    }

    /// A batch's sequence is given when it is first drained and kept on every retry.
    fn assign_sequence_if_new(&mut self, batch: &mut ClientBatch, space: SequenceSpace) {
        if !self.config.idempotent || batch.base_sequence.is_some() {
            return;
        }
        let ids = (self.producer_id, self.epoch);
        self.partitions[batch.partition as usize].assign_sequence(batch, ids, space);
    }

    /// A retriable failure: the batch waits `retry.backoff.ms` (growing with its attempts)
    /// and goes back on its deque, in sequence order when idempotent (`insertInSequenceOrder`),
    /// at the front otherwise (`addFirst`, where a retry may overtake the batches behind).
    /// Returns the backoff.
    pub fn requeue(
        &mut self,
        batch_id: u64,
        batches: &mut ChunkedVec<ClientBatch>,
        now_ms: TimeMs,
    ) -> TimeMs {
        let b = &mut batches[batch_id as usize];
        let backoff = self.config.backoff_ms(b.attempts);
        b.state = BatchState::Queued;
        b.in_retry = true;
        b.retry_since_ms = now_ms;
        b.retry_at_ms = now_ms + backoff;
        let part = &mut self.partitions[b.partition as usize];
        if self.config.idempotent {
            part.insert_in_sequence_order(batch_id, batches);
        } else {
            part.deque.push_front(batch_id);
        }
        backoff
    }

    /// `RecordAccumulator.splitAndReenqueue` after MESSAGE_TOO_LARGE: the batch is replaced by
    /// two halves (Kafka sizes the parts by `batch.size` with its compression estimate reset;
    /// the model has no bytes, so it halves). They keep the batch's creation time (its
    /// `delivery.timeout.ms` runs on), producer id and epoch, and take consecutive sequences
    /// from its base (`ProducerBatch.split`): safe, because the broker wrote nothing of it.
    /// They go back at the front of the deque as if never tried, and count in flight.
    /// Returns their ids.
    pub fn split(
        &mut self,
        batch_id: u64,
        batches: &mut ChunkedVec<ClientBatch>,
        now_ms: TimeMs,
        space: SequenceSpace,
    ) -> Vec<u64> {
        let big = batches[batch_id as usize].clone();
        batches[batch_id as usize].state = BatchState::Done;
        self.live_batches.remove(&(big.created_ms, big.id));
        let part = &mut self.partitions[big.partition as usize];
        part.in_flight.remove(&big.id);
        let half = big.messages.len().div_ceil(2).max(1);
        let mut sequence = big.base_sequence;
        let mut ids = Vec::new();
        for messages in big.messages.chunks(half) {
            let id = batches.len() as u64;
            let nth = part.batches_created;
            part.batches_created += 1;
            batches.push(ClientBatch {
                id,
                nth,
                messages: messages.to_vec(),
                base_sequence: sequence,
                attempts: 0,
                retry_since_ms: now_ms,
                retry_at_ms: now_ms,
                in_retry: false,
                state: BatchState::Queued,
                sent_as: None,
                ..big.clone()
            });
            sequence = sequence.map(|s| space.increment(s, messages.len() as i32));
            self.live_batches.insert((big.created_ms, id));
            if sequence.is_some() {
                part.in_flight.insert(id);
            }
            ids.push(id);
        }
        if self.config.idempotent {
            for &id in &ids {
                part.insert_in_sequence_order(id, batches);
            }
        } else {
            for &id in ids.iter().rev() {
                part.deque.push_front(id);
            }
        }
        ids
    }

    /// `TransactionManager.maybeResolveSequences`: once nothing is in flight on a partition
    /// whose next sequence was left unresolved by an expired retry, either the last
    /// acknowledged sequence says where to go on, or the partition needs an epoch bump.
    pub fn resolve_sequences(&mut self, out: &mut Out) {
        for (partition, part) in self.partitions.iter_mut().enumerate() {
            if part.unresolved_next_sequence.is_none() || !part.in_flight.is_empty() {
                continue;
            }
            part.unresolved_next_sequence = None;
            let partition = partition as PartitionId;
            if part.is_next_sequence(part.next_sequence) {
                out.emit(EventKind::SequenceResolved {
                    producer: self.index,
                    partition,
                });
            } else {
                self.epoch_bump_partitions.insert(partition);
            }
        }
    }

    /// When the sender must run next: when the first batch is ready to send (the last batch
    /// of a deque at `linger.ms`, a retry when its backoff ends), and when the oldest live
    /// batch reaches `delivery.timeout.ms` (one delivery check armed at a time). Only the
    /// timers not armed for that time already are returned.
    pub fn plan_wake(&mut self, batches: &ChunkedVec<ClientBatch>, now_ms: TimeMs) -> WakePlan {
        let delivery_deadline = self
            .live_batches
            .first()
            .map(|&(created_ms, _)| created_ms + self.config.delivery_timeout_ms)
            .filter(|_| !self.timers.delivery_check.is_armed());
        let sender_wake = self
            .next_send_time(batches, now_ms)
            .filter(|&t| self.arm_wake(now_ms, t));
        let delivery_check = delivery_deadline.map(|deadline| deadline.max(now_ms));
        if let Some(at) = delivery_check {
            self.timers.delivery_check.arm(at);
        }
        WakePlan {
            sender_wake,
            delivery_check,
        }
    }

    /// The earliest time after `now_ms` a batch becomes sendable.
    fn next_send_time(&self, batches: &ChunkedVec<ClientBatch>, now_ms: TimeMs) -> Option<TimeMs> {
        let mut next: Option<TimeMs> = None;
        let mut consider = |t: TimeMs| {
            if t > now_ms {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        for part in &self.partitions {
            // Only the last batch of a deque can be waiting for linger.ms; retried batches wait
            // for their backoff and are tracked in flight (idempotent) or sit at the front.
            if let Some(&last) = part.deque.back() {
                let b = &batches[last as usize];
                if b.attempts == 0 {
                    consider(b.created_ms + self.config.linger_ms);
                }
            }
            let retries = part
                .deque
                .iter()
                .take_while(|&&id| batches[id as usize].attempts > 0);
            for &id in part.in_flight.iter().chain(retries) {
                let b = &batches[id as usize];
                if b.state == BatchState::Queued && b.attempts > 0 {
                    consider(b.retry_at_ms);
                }
            }
        }
        next
    }

    /// The application's process dies: what it held in memory is gone (batches, requests in
    /// flight, connections), its batches are done for good, and what it sent without an
    /// answer is abandoned. A transactional application will start its uncommitted
    /// transaction over; any other returns the messages to send again, in order.
    pub fn stop(&mut self, batches: &mut ChunkedVec<ClientBatch>) -> Vec<u32> {
        self.alive = false;
        self.incarnation += 1;
        let unacknowledged = match self.txn.is_some() {
            true => {
                self.abandon_transaction();
                Vec::new()
            }
            false => self.abandon_unacknowledged(),
        };
        for part in &mut self.partitions {
            part.deque.clear();
            part.in_flight.clear();
        }
        self.live_batches.clear();
        for conn in &mut self.connections {
            conn.in_flight.clear();
            conn.generation += 1;
            conn.stalled = false;
            conn.request_timeout.disarm();
        }
        for b in batches.iter_mut().filter(|b| b.producer == self.index) {
            b.state = BatchState::Done;
        }
        unacknowledged
    }

    /// A transactional application starts its uncommitted transaction over: every record of
    /// it is sent again, acknowledged or not, under the new instance.
    fn abandon_transaction(&mut self) {
        let (pid, epoch, total) = (self.producer_id, self.epoch, self.total_messages);
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        let range = txn.messages_of(txn.index, total);
        if !matches!(txn.state, ClientTxnState::Fatal { .. }) {
            if txn.state != ClientTxnState::Ready {
                txn.outcomes.push(TxnOutcome {
                    index: txn.index,
                    attempt: txn.attempt,
                    producer_id: pid,
                    epoch,
                    result: TxnResult::Abandoned,
                    messages: range.clone().collect(),
                });
                txn.attempt += 1;
            }
            txn.state = ClientTxnState::AwaitingProducerId;
        }
        txn.added.clear();
        txn.request_in_flight = None;
        txn.all_sent = false;
        txn.abortable_error = None;
        self.next_message = self.next_message.min(range.start);
        for m in range {
            self.outcomes[m as usize] = MessageOutcome::Abandoned;
        }
    }

    /// The messages sent and never answered: abandoned, and returned in order.
    fn abandon_unacknowledged(&mut self) -> Vec<u32> {
        let mut unacknowledged = Vec::new();
        for (m, outcome) in self.outcomes.iter_mut().enumerate() {
            if (m as u32) < self.next_message && *outcome == MessageOutcome::Pending {
                *outcome = MessageOutcome::Abandoned;
                unacknowledged.push(m as u32);
            }
        }
        unacknowledged
    }

    /// The process is back: a new client with no producer id, the leaders as the controller
    /// has them now, and each partition's sequences forgotten (its batch count kept, so the
    /// n-th batch still names the same one).
    pub fn start(&mut self, leaders: Vec<Option<BrokerId>>) {
        self.alive = true;
        self.producer_id = NO_PRODUCER_ID;
        self.epoch = NO_PRODUCER_EPOCH;
        self.init_in_flight = false;
        self.epoch_bump_partitions.clear();
        self.bump_after_rejection = None;
        self.metadata_refresh_pending = false;
        self.leader_cache = leaders;
        for part in &mut self.partitions {
            let created = part.batches_created;
            *part = ClientPartition {
                batches_created: created,
                ..Default::default()
            };
        }
    }
}

#[cfg(test)]
mod tests {
    //! A client's accumulator and drain alone (Kafka's `RecordAccumulatorTest` and the
    //! `SenderTest` cases on retries after a disconnect): the world's part, putting a request
    //! on the wire, is played by [`send`].

    use super::*;
    use crate::engine::producer::tests::{client, client_of};
    use crate::engine::{Completion, InFlightRequest};
    use crate::error::KafkaError;

    fn cx(now_ms: TimeMs) -> DrainContext {
        DrainContext {
            now_ms,
            space: SequenceSpace::default(),
            broker_alive: true,
        }
    }

    /// An idempotent client with its producer id, and `records` records appended at 0.
    fn idempotent(records: u32, config: &str) -> (ProducerClient, ChunkedVec<ClientBatch>) {
        let mut p = client(config);
        (p.producer_id, p.epoch) = (1000, 0);
        let mut batches = ChunkedVec::default();
        for m in 0..records {
            p.append_record(m, &mut batches, 0);
        }
        (p, batches)
    }

    /// What the world does with a drained request: one more attempt of each batch, in flight
    /// on the connection to broker 0.
    fn send(
        p: &mut ProducerClient,
        batches: &mut ChunkedVec<ClientBatch>,
        ids: &[u64],
        request: u64,
    ) {
        for &id in ids {
            let b = &mut batches[id as usize];
            b.attempts += 1;
            b.state = BatchState::InFlight { request };
        }
        p.connections[0].in_flight.push_back(InFlightRequest {
            id: request,
            sent_ms: 0,
            batches: ids.into(),
        });
    }

    fn sequences(batches: &ChunkedVec<ClientBatch>, ids: &[u64]) -> Vec<Option<Sequence>> {
        ids.iter()
            .map(|&id| batches[id as usize].base_sequence)
            .collect()
    }

    #[test]
    fn records_fill_the_open_batch_and_a_sent_or_full_batch_is_not_reopened() {
        let (mut p, mut batches) =
            idempotent(5, r#"{"enable.idempotence": true, "batch.size": 2}"#);
        assert_eq!(batches.len(), 3, "2 + 2 + 1 records");
        assert_eq!(batches[2].messages, [4]);
        let drained = p.drain(0, &mut batches, cx(0)).batches.to_vec();
        assert_eq!(drained, [0], "one batch per partition per request");
        assert_eq!(
            sequences(&batches, &[0, 1]),
            [Some(0), None],
            "a sequence on first drain"
        );
        p.append_record(5, &mut batches, 1);
        assert_eq!(batches[2].messages, [4, 5], "the open batch takes it");
        p.append_record(6, &mut batches, 1);
        assert_eq!(batches.len(), 4, "a full batch is closed");
    }

    /// `KafkaProducer.doSend` wakes the sender for a new batch or a full one (or one with
    /// another behind it), not for a record joining an open batch, whose linger deadline the
    /// sender already planned.
    #[test]
    fn send_wakes_the_sender_for_a_new_or_full_batch_only() {
        let mut p = client(r#"{"enable.idempotence": true, "batch.size": 3, "linger.ms": 50}"#);
        let mut batches = ChunkedVec::default();
        let wakes: Vec<bool> = (0..4)
            .map(|m| p.append_record(m, &mut batches, 0))
            .collect();
        assert_eq!(wakes, [true, false, true, true], "new, joins, fills, new");
        let mut batches = ChunkedVec::default();
        let mut p = client(r#"{"enable.idempotence": true, "batch.size": 3}"#);
        p.append_record(0, &mut batches, 0);
        let sent = p.drain(0, &mut batches, cx(0)).batches.to_vec();
        assert_eq!(sent, [0]);
        assert!(
            p.append_record(1, &mut batches, 0),
            "a sent batch is not reopened: new"
        );
        assert!(
            !p.append_record(2, &mut batches, 0),
            "joins the new open batch"
        );
    }

    #[test]
    fn after_a_reset_the_retries_go_out_in_sequence_order_one_request_at_a_time() {
        let (mut p, mut batches) =
            idempotent(6, r#"{"enable.idempotence": true, "batch.size": 2}"#);
        for request in 0..3 {
            let ids = p.drain(0, &mut batches, cx(0)).batches.to_vec();
            send(&mut p, &mut batches, &ids, request);
        }
        assert_eq!(sequences(&batches, &[0, 1, 2]), [Some(0), Some(2), Some(4)]);
        // The connection resets: every request in flight fails, answered in any order.
        p.connections[0].in_flight.clear();
        for id in [2, 0, 1] {
            let decision = p.decide(&batches[id as usize], KafkaError::NetworkException, -1, 10);
            assert_eq!(decision, Completion::Retry);
            p.requeue(id, &mut batches, 10);
        }
        assert_eq!(
            Vec::from(p.partitions[0].deque.clone()),
            [0, 1, 2],
            "in sequence order"
        );
        assert!(
            p.drain(0, &mut batches, cx(10)).batches.is_empty(),
            "backing off"
        );
        let backoff = p.config.backoff_ms(1);
        let first = p.drain(0, &mut batches, cx(10 + backoff)).batches.to_vec();
        assert_eq!(first, [0], "only the lowest sequence in flight may go");
        send(&mut p, &mut batches, &first, 3);
        assert!(
            p.drain(0, &mut batches, cx(10 + backoff))
                .batches
                .to_vec()
                .is_empty(),
            "the next waits for it"
        );
        p.connections[0].in_flight.clear();
        p.record_ack(&batches[0], 1, 0);
        assert_eq!(
            p.drain(0, &mut batches, cx(10 + backoff)).batches.to_vec(),
            [1],
            "then the next, same sequence"
        );
        assert_eq!(sequences(&batches, &[1]), [Some(2)]);
    }

    #[test]
    fn without_idempotence_a_retry_goes_to_the_front_and_the_pipeline_stays_full() {
        let (mut p, mut batches) = idempotent(
            6,
            r#"{"enable.idempotence": false, "acks": "1", "batch.size": 2}"#,
        );
        let ids = p.drain(0, &mut batches, cx(0)).batches.to_vec();
        send(&mut p, &mut batches, &ids, 0);
        p.connections[0].in_flight.clear();
        p.requeue(0, &mut batches, 0);
        assert_eq!(Vec::from(p.partitions[0].deque.clone()), [0, 1, 2]);
        let backoff = p.config.backoff_ms(1);
        let mut sent = Vec::new();
        for request in 1..4 {
            let ids = p.drain(0, &mut batches, cx(backoff)).batches.to_vec();
            send(&mut p, &mut batches, &ids, request);
            sent.extend(ids);
        }
        assert_eq!(
            sent,
            [0, 1, 2],
            "no sequence, no waiting for the retry's answer"
        );
        assert_eq!(sequences(&batches, &sent), [None, None, None]);
    }

    #[test]
    fn an_unreachable_leader_or_an_unknown_one_needs_metadata_and_drains_nothing() {
        let (mut p, mut batches) = idempotent(2, r#"{"enable.idempotence": true}"#);
        let down = DrainContext {
            broker_alive: false,
            ..cx(0)
        };
        let drained = p.drain(0, &mut batches, down);
        assert_eq!((drained.batches.len(), drained.needs_metadata), (0, true));
        p.leader_cache[0] = None;
        assert!(
            p.drain(0, &mut batches, cx(0)).needs_metadata,
            "asked of broker 0"
        );
        p.leader_cache[0] = Some(0);
        assert_eq!(
            p.drain(0, &mut batches, cx(0)),
            Drained {
                batches: smallvec::smallvec![0],
                needs_metadata: false
            }
        );
    }

    #[test]
    fn an_expired_retry_is_resolved_by_the_last_acknowledged_sequence_or_needs_a_bump() {
        let (mut p, mut batches) =
            idempotent(2, r#"{"enable.idempotence": true, "batch.size": 1}"#);
        let mut out = Out::default();
        for request in 0..2 {
            let ids = p.drain(0, &mut batches, cx(0)).batches.to_vec();
            send(&mut p, &mut batches, &ids, request);
        }
        p.record_ack(&batches[0], 0, 0);
        p.partitions[0].in_flight.remove(&0);
        // Batch 1 (sequence 1) expired after a retry: its fate is unknown.
        p.mark_unresolved(&batches[1], SequenceSpace::default());
        p.resolve_sequences(&mut out);
        assert!(out.commands().is_empty(), "still in flight: wait");
        p.partitions[0].in_flight.remove(&1);
        p.resolve_sequences(&mut out);
        assert!(
            p.epoch_bump_partitions.contains(&0),
            "sequence 1 never acknowledged: bump"
        );
        let mut q = client_of(
            r#"{"producers": [{"config": {"enable.idempotence": true}, "workload": {"messages": 1}}]}"#,
        );
        q.partitions[0].unresolved_next_sequence = Some(3);
        (
            q.partitions[0].next_sequence,
            q.partitions[0].last_acked_sequence,
        ) = (3, 2);
        q.resolve_sequences(&mut out);
        assert!(q.epoch_bump_partitions.is_empty());
        assert!(matches!(
            out.events()[..],
            [EventKind::SequenceResolved { partition: 0, .. }]
        ));
    }

    #[test]
    fn a_restart_abandons_the_unanswered_messages_and_forgets_the_sequences() {
        let (mut p, mut batches) =
            idempotent(4, r#"{"enable.idempotence": true, "batch.size": 2}"#);
        p.next_message = 4;
        p.outcomes[0] = MessageOutcome::Acked { offset: 0 };
        let ids = p.drain(0, &mut batches, cx(0)).batches.to_vec();
        send(&mut p, &mut batches, &ids, 0);
        let resend = p.stop(&mut batches);
        assert_eq!(resend, [1, 2, 3], "what was never answered, in order");
        assert!(batches.iter().all(|b| b.state == BatchState::Done));
        assert_eq!(
            (p.alive, p.incarnation, p.connections[0].generation),
            (false, 1, 1)
        );
        p.start(vec![Some(0)]);
        assert_eq!((p.alive, p.producer_id), (true, NO_PRODUCER_ID));
        assert_eq!(p.partitions[0].next_sequence, 0);
        assert_eq!(
            p.partitions[0].batches_created, 2,
            "the n-th batch keeps its name"
        );
    }
}
