//! The producer client (Kafka's `KafkaProducer` with its `Sender`) as a node: the
//! application's workload and what it was told, the client's producer id and epoch, its
//! partitions' deques and sequences, its connections and timers.
//!
//! The sender's decisions on a finished attempt live here, in the order a response meets them:
//! [`ProducerClient::decide`] (success, a retry, or a failure, and whether the batch may have
//! been written), [`ProducerClient::can_retry`] (`Sender.canRetry` and the
//! `TransactionManager`'s rules for OUT_OF_ORDER_SEQUENCE_NUMBER), and
//! [`ProducerClient::record_ack`]. The world's side (sending, scheduling, events) is
//! [`super::client`].

use std::collections::{BTreeSet, VecDeque};

use super::accumulator::{ClientBatch, ClientPartition};
use super::controller::PartitionMeta;
use super::node::Out;
use super::state::{
    ClientConnection, ClientTxn, ClientTxnState, MessageOutcome, TxnOutcome, TxnResult,
};
use super::timer::ClientTimers;
use super::Action;
use crate::config::EffectiveProducerConfig;
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::scenario::Scenario;
use crate::sequence::SequenceSpace;
use crate::types::*;

/// What a finished attempt of a batch leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completion {
    /// Acknowledged at this base offset (-1: unknown, as for DUPLICATE_SEQUENCE_NUMBER).
    Acked { base_offset: Offset },
    /// Sent again after the backoff.
    Retry,
    /// Too large: split in two and sent again, not counted as a retry.
    Split,
    /// Failed to the application.
    Failed {
        /// The broker may have written it (the client cannot know): a timeout, a lost
        /// connection, or too few replicas after the append.
        maybe_written: bool,
        /// Idempotent and not out of retries: the partition's sequences must be adjusted.
        adjust_sequences: bool,
    },
}

/// One producer application and its Java client.
#[derive(Debug, Clone)]
pub struct ProducerClient {
    pub index: ProducerIndex,
    pub config: EffectiveProducerConfig,
    /// Bumped on every restart; messages for an older incarnation are ignored.
    pub incarnation: u32,
    pub alive: bool,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    pub init_in_flight: bool,
    pub partitions: Vec<ClientPartition>,
    pub connections: Vec<ClientConnection>,
    /// The client's (possibly stale) view of each partition's leader.
    pub leader_cache: Vec<Option<BrokerId>>,
    pub metadata_refresh_pending: bool,
    pub epoch_bump_partitions: BTreeSet<PartitionId>,
    /// The broker's error that refused a batch for good since the last epoch bump, if one
    /// asked for it: the bump's reason in the event log.
    pub bump_after_rejection: Option<KafkaError>,
    /// Next message index the application will send in its workload.
    pub next_message: u32,
    pub total_messages: u32,
    pub outcomes: crate::chunked::ChunkedVec<MessageOutcome>,
    /// Partition chosen for each message.
    pub message_partition: Vec<PartitionId>,
    /// Messages to re-send after a restart, in order.
    pub resend_queue: VecDeque<u32>,
    /// When the application sends each message.
    pub send_times_ms: Vec<TimeMs>,
    /// For each acknowledgement, in order: milliseconds from its message's `send()` (as the
    /// workload scheduled it) to the acknowledgement (what a sweep reports as latency).
    pub ack_latencies_ms: Vec<u32>,
    /// Batches not yet done, by creation time: the next delivery timeout is the first.
    pub live_batches: super::in_flight::SortedSet<(TimeMs, u64)>,
    /// Present for a producer with `transactional.id`.
    pub txn: Option<ClientTxn>,
    pub timers: ClientTimers,
}

impl ProducerClient {
    pub fn new(
        index: ProducerIndex,
        config: EffectiveProducerConfig,
        scenario: &Scenario,
        partitions: &[PartitionMeta],
    ) -> ProducerClient {
        let spec = &scenario.producers[index as usize];
        let send_times_ms = spec.workload.send_times_ms();
        let total = send_times_ms.len() as u32;
        let partition_count = scenario.cluster.partitions;
        let message_partition = (0..total)
            .map(|m| spec.workload.partition.unwrap_or(m % partition_count))
            .collect();
        // KIP-890 part 2: a 4.x client runs transactions v2 when the cluster finalized
        // `transaction.version` 2 (`TransactionManager.isTransactionV2Enabled`).
        let v2 =
            spec.client().supports_transactions_v2() && scenario.cluster.transaction_version() == 2;
        let txn = config.transactional_id.clone().map(|transactional_id| {
            let plan = spec.workload.transactions.clone();
            ClientTxn {
                transactional_id,
                v2,
                size: plan.as_ref().map_or(total.max(1), |p| p.size),
                planned_aborts: plan
                    .map(|p| p.abort.into_iter().collect())
                    .unwrap_or_default(),
                state: ClientTxnState::AwaitingProducerId,
                index: 0,
                attempt: 1,
                added: BTreeSet::new(),
                request_in_flight: None,
                adding: Vec::new(),
                all_sent: false,
                abortable_error: None,
                epoch_bump_required: false,
                bumping_from: None,
                outcomes: Vec::new(),
            }
        });
        ProducerClient {
            index,
            config,
            incarnation: 0,
            alive: true,
            producer_id: NO_PRODUCER_ID,
            epoch: NO_PRODUCER_EPOCH,
            init_in_flight: false,
            partitions: (0..partition_count)
                .map(|_| ClientPartition::default())
                .collect(),
            connections: vec![ClientConnection::default(); scenario.cluster.brokers as usize],
            leader_cache: partitions.iter().map(|p| p.leader).collect(),
            metadata_refresh_pending: false,
            epoch_bump_partitions: BTreeSet::new(),
            bump_after_rejection: None,
            next_message: 0,
            total_messages: total,
            outcomes: std::iter::repeat_n(MessageOutcome::Pending, total as usize).collect(),
            message_partition,
            resend_queue: VecDeque::new(),
            txn,
            send_times_ms,
            ack_latencies_ms: Vec::new(),
            live_batches: Default::default(),
            timers: ClientTimers::default(),
        }
    }

    pub fn has_producer_id(&self) -> bool {
        self.producer_id != NO_PRODUCER_ID
    }

    /// Nothing left to send and nothing waiting for an answer.
    pub fn is_idle(&self) -> bool {
        if let Some(txn) = &self.txn {
            if matches!(txn.state, ClientTxnState::Fatal { .. }) {
                return true;
            }
            if txn.state != ClientTxnState::Ready || txn.request_in_flight.is_some() {
                return false;
            }
        }
        self.next_message >= self.total_messages
            && self.resend_queue.is_empty()
            && self.alive
            && self
                .partitions
                .iter()
                .all(|p| p.deque.is_empty() && p.in_flight.is_empty())
            && self.connections.iter().all(|c| c.in_flight.is_empty())
    }
}

impl ProducerClient {
    // -----------------------------------------------------------------------------------------
    // Handlers on the node contract ([`super::node`]): nothing here reaches back into the world.

    /// Asks for the sender to run at `at_ms`, unless a run is already due between now and then.
    pub fn wake_at(&mut self, now_ms: TimeMs, at_ms: TimeMs, out: &mut Out) {
        if self.arm_wake(now_ms, at_ms) {
            let producer = self.index;
            out.schedule(at_ms, Action::SenderWake { producer });
        }
    }

    /// The rule of [`ProducerClient::wake_at`]: arms the sender's timer for `at_ms` and says
    /// whether a wake-up must be scheduled (the world's hot path schedules it directly).
    pub fn arm_wake(&mut self, now_ms: TimeMs, at_ms: TimeMs) -> bool {
        if self.timers.sender_wake.covers(now_ms, at_ms) {
            return false;
        }
        self.timers.sender_wake.arm(at_ms);
        true
    }

    /// InitProducerId answered (idempotent, no transactional id): the new producer id, epoch 0.
    /// An answer meant for an earlier incarnation of the process is ignored.
    pub fn on_producer_id(
        &mut self,
        incarnation: u32,
        producer_id: ProducerId,
        now_ms: TimeMs,
        out: &mut Out,
    ) {
        if self.incarnation != incarnation || !self.alive {
            return;
        }
        self.init_in_flight = false;
        self.producer_id = producer_id;
        self.epoch = 0;
        out.emit(EventKind::ProducerIdAssigned {
            producer: self.index,
            producer_id,
            epoch: 0,
        });
        self.wake_at(now_ms, now_ms, out);
    }

    /// The client needs fresh metadata (a leader moved or is unreachable): one refresh at a
    /// time, answered after a round trip plus `retry.backoff.ms`.
    pub fn request_metadata(&mut self, now_ms: TimeMs, latency_ms: TimeMs, out: &mut Out) {
        if self.metadata_refresh_pending {
            return;
        }
        self.metadata_refresh_pending = true;
        let round_trip = 2 * latency_ms + self.config.retry_backoff_ms;
        let refreshed = Action::MetadataRefreshed {
            producer: self.index,
            incarnation: self.incarnation,
        };
        out.schedule(now_ms + round_trip.max(1), refreshed);
    }

    /// The metadata came back: the leaders as the controller has them now.
    pub fn on_metadata(
        &mut self,
        incarnation: u32,
        leaders: Vec<Option<BrokerId>>,
        now_ms: TimeMs,
        out: &mut Out,
    ) {
        if self.incarnation != incarnation {
            return;
        }
        self.metadata_refresh_pending = false;
        self.leader_cache = leaders;
        self.wake_at(now_ms, now_ms, out);
    }

    /// `initTransactions()` answered: the producer id and epoch to write with, every
    /// partition's sequences from 0, and the application resumes from the input position it
    /// last committed (what `sendOffsetsToTransaction` stored). Transactions before it are
    /// recorded as committed, even those whose commit this instance never heard about.
    pub fn start_transactions(&mut self, producer_id: ProducerId, epoch: Epoch, position: u32) {
        self.producer_id = producer_id;
        self.epoch = epoch;
        let total = self.total_messages;
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        while txn.index < position {
            let messages: Vec<u32> = txn.messages_of(txn.index, total).collect();
            txn.outcomes.push(TxnOutcome {
                index: txn.index,
                attempt: txn.attempt,
                producer_id,
                epoch,
                result: TxnResult::Committed,
                messages,
            });
            txn.index += 1;
            txn.attempt = 1;
        }
        let resume = txn.messages_of(txn.index, total).start;
        self.next_message = self.next_message.max(resume);
        for part in &mut self.partitions {
            part.producer_id = producer_id;
            part.epoch = epoch;
            part.next_sequence = 0;
            part.last_acked_sequence = -1;
        }
        txn.state = ClientTxnState::Ready;
    }

    // -----------------------------------------------------------------------------------------
    // The sender's decisions.

    /// `Sender.completeBatch`: what an answer (or a failure) to attempt `batch.attempts` of a
    /// batch leads to. DUPLICATE_SEQUENCE_NUMBER (brokers before 2.5) counts as success with an
    /// unknown offset.
    pub fn decide(
        &mut self,
        batch: &ClientBatch,
        error: KafkaError,
        base_offset: Offset,
        now_ms: TimeMs,
    ) -> Completion {
        match error {
            KafkaError::None => Completion::Acked { base_offset },
            KafkaError::DuplicateSequenceNumber => Completion::Acked { base_offset: -1 },
            KafkaError::MessageTooLarge if batch.record_count() > 1 => Completion::Split,
            _ if self.can_retry(batch, error, now_ms) => Completion::Retry,
            _ => Completion::Failed {
                maybe_written: matches!(
                    error,
                    KafkaError::RequestTimedOut
                        | KafkaError::NetworkException
                        | KafkaError::NotEnoughReplicasAfterAppend
                ),
                adjust_sequences: self.config.idempotent && batch.attempts <= self.config.retries,
            },
        }
    }

    /// `Sender.canRetry` + `TransactionManager.canRetry` (idempotent, non-transactional): a
    /// retriable error, retries left, and `delivery.timeout.ms` not passed. With idempotence,
    /// OUT_OF_ORDER_SEQUENCE_NUMBER is retried as is while a lower batch may fill the gap; for
    /// the batch right after the last acknowledged one (or the one whose fate was unknown) it
    /// also marks the partition for an epoch bump. A transactional producer does not retry it:
    /// its transaction aborts.
    pub fn can_retry(&mut self, batch: &ClientBatch, error: KafkaError, now_ms: TimeMs) -> bool {
        let config = &self.config;
        if !error.is_retriable()
            || batch.attempts > config.retries
            || now_ms >= batch.created_ms + config.delivery_timeout_ms
        {
            return false;
        }
        if !config.idempotent || error != KafkaError::OutOfOrderSequenceNumber {
            return true;
        }
        if self.txn.is_some() {
            return false;
        }
        let (partition, base) = (batch.partition, batch.base_sequence.unwrap_or(0));
        let reset = batch
            .sent_as
            .is_some_and(|sent| sent != (batch.epoch, base));
        let part = &self.partitions[partition as usize];
        let unresolved = part.unresolved_next_sequence;
        if unresolved.is_none() && (reset || !part.is_next_sequence(base)) {
            // A lower batch must fill the gap first: plain retry.
            return true;
        }
        if unresolved.is_none() || unresolved == Some(base) {
            self.epoch_bump_partitions.insert(partition);
        }
        true
    }

    /// A batch failed to the application: its messages' outcomes, and it leaves the deque and
    /// the partition's batches in flight. With idempotence, a failure that may leave a gap
    /// (`adjust_sequences`) or a fenced epoch marks the partition for an epoch bump
    /// (`TransactionManager.handleFailedBatch`).
    pub fn record_failure(
        &mut self,
        batch: &ClientBatch,
        was_queued: bool,
        error: KafkaError,
        adjust_sequences: bool,
    ) {
        self.live_batches.remove(&(batch.created_ms, batch.id));
        for &m in &batch.messages {
            self.outcomes[m as usize] = MessageOutcome::Failed { error };
        }
        let part = &mut self.partitions[batch.partition as usize];
        part.in_flight.remove(&batch.id);
        // Only a queued batch is in the deque; expired ones are the oldest, so usually at its
        // front, where taking them out costs nothing.
        if was_queued {
            if part.deque.front() == Some(&batch.id) {
                part.deque.pop_front();
            } else {
                part.deque.retain(|&id| id != batch.id);
            }
        }
        if self.config.idempotent && (adjust_sequences || error == KafkaError::InvalidProducerEpoch)
        {
            self.epoch_bump_partitions.insert(batch.partition);
            // A broker's non-retriable answer about this batch alone (INVALID_RECORD,
            // TOPIC_AUTHORIZATION_FAILED): nothing about the sequences was wrong.
            if error.is_refusal_of_the_batch() {
                self.bump_after_rejection = Some(error);
            }
        }
    }

    /// `markSequenceUnresolved`: a batch that was being retried expired, so whether the broker
    /// wrote it is unknown; the partition's next sequence is the one after it until a later
    /// answer settles it. Returns that sequence.
    pub fn mark_unresolved(&mut self, batch: &ClientBatch, space: SequenceSpace) -> Sequence {
        let last = space.last_of(batch.base_sequence.unwrap_or(0), batch.record_count());
        let next = space.increment(last, 1);
        self.partitions[batch.partition as usize].unresolved_next_sequence = Some(next);
        next
    }

    /// A transactional producer's new producer id and epoch from the coordinator (after
    /// InitProducerId bumped it, or with every EndTxn under transactions v2): every
    /// partition's sequence starts at 0 under it (`resetSequenceNumbers`).
    pub fn restart_sequences(&mut self, producer_id: ProducerId, epoch: Epoch) {
        self.producer_id = producer_id;
        self.epoch = epoch;
        for part in &mut self.partitions {
            part.producer_id = producer_id;
            part.epoch = epoch;
            part.next_sequence = 0;
            part.last_acked_sequence = -1;
            part.unresolved_next_sequence = None;
        }
    }

    /// `bumpIdempotentProducerEpoch`, the client's part: the next epoch, and the partitions whose
    /// sequences restart at 0 under it (taken from those marked). An exhausted epoch gives up
    /// the producer id instead (`resetIdempotentProducerId`): `None`, and a new id is asked for.
    pub fn bump_epoch(&mut self) -> Option<Vec<PartitionId>> {
        let partitions = std::mem::take(&mut self.epoch_bump_partitions);
        self.bump_after_rejection = None;
        if self.epoch == Epoch::MAX {
            self.producer_id = NO_PRODUCER_ID;
            self.epoch = NO_PRODUCER_EPOCH;
            return None;
        }
        self.epoch += 1;
        Some(partitions.into_iter().collect())
    }

    /// A batch was acknowledged: its messages' outcomes, and the partition's last acknowledged
    /// sequence when the batch belongs to its current producer id and epoch.
    pub fn record_ack(
        &mut self,
        batch: &ClientBatch,
        last_sequence: Sequence,
        base_offset: Offset,
    ) {
        self.live_batches.remove(&(batch.created_ms, batch.id));
        for (i, &m) in batch.messages.iter().enumerate() {
            let offset = if base_offset >= 0 {
                base_offset + i as Offset
            } else {
                -1
            };
            self.outcomes[m as usize] = MessageOutcome::Acked { offset };
        }
        let part = &mut self.partitions[batch.partition as usize];
        part.in_flight.remove(&batch.id);
        if self.config.idempotent
            && batch.producer_id == part.producer_id
            && batch.epoch == part.epoch
        {
            part.last_acked_sequence = part.last_acked_sequence.max(last_sequence as i64);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! The client's decisions on a finished attempt, with no world (the cases of Kafka's
    //! `SenderTest` and `TransactionManagerTest` on retries and sequence resolution).

    use super::*;
    use crate::engine::accumulator::BatchState;

    /// Producer 0 of a one-partition scenario with `config` (Kafka property names).
    pub(crate) fn client(config: &str) -> ProducerClient {
        client_of(&format!(
            r#"{{"producers": [{{"config": {config}, "workload": {{"messages": 10}}}}]}}"#
        ))
    }

    /// Producer 0 of a one-partition scenario written in full.
    pub(crate) fn client_of(scenario: &str) -> ProducerClient {
        let scenario = Scenario::from_json(scenario).expect("valid");
        let effective = scenario.producers[0]
            .config
            .validate()
            .expect("valid config");
        let partitions = vec![PartitionMeta::initial(0, 1, 1)];
        ProducerClient::new(0, effective, &scenario, &partitions)
    }

    /// Batch `id` of two records at `base_sequence`, sent `attempts` times, created at 0.
    fn batch(id: u64, base_sequence: Sequence, attempts: u32) -> ClientBatch {
        ClientBatch {
            id,
            producer: 0,
            incarnation: 0,
            partition: 0,
            nth: id as u32,
            messages: vec![2 * id as u32, 2 * id as u32 + 1],
            created_ms: 0,
            max_timestamp_ms: 0,
            producer_id: 1000,
            epoch: 0,
            base_sequence: Some(base_sequence),
            attempts,
            retry_since_ms: 0,
            retry_at_ms: 0,
            in_retry: false,
            state: BatchState::InFlight { request: id },
            sent_as: Some((0, base_sequence)),
        }
    }

    fn failed(maybe_written: bool, adjust_sequences: bool) -> Completion {
        Completion::Failed {
            maybe_written,
            adjust_sequences,
        }
    }

    #[test]
    fn success_and_legacy_duplicates_acknowledge_and_fatal_errors_fail_at_once() {
        let mut p = client(r#"{"enable.idempotence": true}"#);
        let b = batch(0, 0, 1);
        assert_eq!(
            p.decide(&b, KafkaError::None, 7, 10),
            Completion::Acked { base_offset: 7 }
        );
        assert_eq!(
            p.decide(&b, KafkaError::DuplicateSequenceNumber, 7, 10),
            Completion::Acked { base_offset: -1 }
        );
        assert_eq!(
            p.decide(&b, KafkaError::InvalidProducerEpoch, -1, 10),
            failed(false, true)
        );
    }

    #[test]
    fn a_retriable_error_is_retried_until_retries_or_the_delivery_timeout_run_out() {
        let mut p =
            client(r#"{"retries": 2, "delivery.timeout.ms": 1000, "request.timeout.ms": 500}"#);
        assert_eq!(
            p.decide(&batch(0, 0, 2), KafkaError::NetworkException, -1, 10),
            Completion::Retry
        );
        assert_eq!(
            p.decide(&batch(0, 0, 3), KafkaError::NetworkException, -1, 10),
            failed(true, false),
            "out of retries; the broker may have written it"
        );
        assert_eq!(
            p.decide(&batch(0, 0, 1), KafkaError::RequestTimedOut, -1, 1000),
            failed(true, true),
            "delivery.timeout.ms has passed"
        );
    }

    #[test]
    fn out_of_order_for_the_next_sequence_bumps_the_epoch_and_a_gap_is_plain_retried() {
        let mut p = client(r#"{"enable.idempotence": true}"#);
        p.partitions[0].last_acked_sequence = 1;
        // Batch at 4: batches 2–3 are still to come, so it waits for them (plain retry).
        assert!(p.can_retry(&batch(1, 4, 1), KafkaError::OutOfOrderSequenceNumber, 10));
        assert!(p.epoch_bump_partitions.is_empty());
        // Batch at 2 follows the last acknowledged one: the broker lost the producer's state.
        assert!(p.can_retry(&batch(0, 2, 1), KafkaError::OutOfOrderSequenceNumber, 10));
        assert_eq!(
            p.epoch_bump_partitions.iter().copied().collect::<Vec<_>>(),
            vec![0]
        );
    }

    #[test]
    fn a_transactional_producer_does_not_retry_out_of_order() {
        let mut p = client(r#"{"transactional.id": "t"}"#);
        assert!(!p.can_retry(&batch(0, 0, 1), KafkaError::OutOfOrderSequenceNumber, 10));
        assert!(p.can_retry(&batch(0, 0, 1), KafkaError::NotLeaderOrFollower, 10));
    }

    #[test]
    fn an_ack_records_offsets_and_moves_the_last_acknowledged_sequence() {
        let mut p = client(r#"{"enable.idempotence": true}"#);
        p.partitions[0].producer_id = 1000;
        p.partitions[0].epoch = 0;
        let b = batch(1, 2, 1);
        p.partitions[0].in_flight.insert(1);
        p.record_ack(&b, 3, 40);
        assert_eq!(p.outcomes[2], MessageOutcome::Acked { offset: 40 });
        assert_eq!(p.outcomes[3], MessageOutcome::Acked { offset: 41 });
        assert_eq!(p.partitions[0].last_acked_sequence, 3);
        assert!(p.partitions[0].in_flight.is_empty());
        // An ack from an older epoch leaves the sequences of the current one alone.
        let mut old = batch(2, 9, 1);
        old.epoch = 5;
        p.record_ack(&old, 10, -1);
        assert_eq!(p.partitions[0].last_acked_sequence, 3);
        assert_eq!(p.outcomes[4], MessageOutcome::Acked { offset: -1 });
    }

    #[test]
    fn a_failure_takes_the_batch_out_and_may_mark_the_partition_for_a_bump() {
        let mut p = client(r#"{"enable.idempotence": true}"#);
        let b = batch(3, 6, 1);
        p.partitions[0].deque.extend([3, 4]);
        p.record_failure(&b, true, KafkaError::DeliveryTimeout, false);
        assert_eq!(
            p.partitions[0].deque.iter().copied().collect::<Vec<_>>(),
            vec![4]
        );
        assert_eq!(
            p.outcomes[6],
            MessageOutcome::Failed {
                error: KafkaError::DeliveryTimeout
            }
        );
        assert!(
            p.epoch_bump_partitions.is_empty(),
            "an expiry alone does not bump"
        );
        p.record_failure(
            &batch(4, 8, 1),
            false,
            KafkaError::InvalidProducerEpoch,
            false,
        );
        assert!(p.epoch_bump_partitions.contains(&0), "a fenced epoch does");
        assert_eq!(
            p.bump_after_rejection, None,
            "and says nothing of a refusal"
        );
    }

    #[test]
    fn a_batch_refused_for_good_asks_for_a_bump_and_names_its_error() {
        let mut p = client(r#"{"enable.idempotence": true}"#);
        let b = batch(1, 5, 1);
        let failed = p.decide(&b, KafkaError::TopicAuthorizationFailed, -1, 10);
        assert_eq!(
            failed,
            self::failed(false, true),
            "not retriable, retries left"
        );
        p.record_failure(&b, false, KafkaError::TopicAuthorizationFailed, true);
        assert!(p.epoch_bump_partitions.contains(&0));
        assert_eq!(
            p.bump_after_rejection,
            Some(KafkaError::TopicAuthorizationFailed)
        );
        assert_eq!(p.bump_epoch(), Some(vec![0]));
        assert_eq!(p.bump_after_rejection, None, "the bump took it");
    }

    /// `Sender.completeBatch`: MESSAGE_TOO_LARGE splits a batch of several records, whatever
    /// its attempts; a batch of one record fails like any refusal. The halves keep the id,
    /// epoch and sequences, are in flight, and wait at the deque's front in sequence order.
    #[test]
    fn a_batch_too_large_is_split_in_halves_unless_it_holds_one_record() {
        let mut p = client(r#"{"enable.idempotence": true}"#);
        let mut all = crate::chunked::ChunkedVec::default();
        let mut big = batch(0, 5, 3);
        big.messages = vec![0, 1, 2];
        all.push(big.clone());
        p.partitions[0].in_flight.insert(0);
        p.live_batches.insert((0, 0));
        assert_eq!(
            p.decide(&big, KafkaError::MessageTooLarge, -1, 10),
            Completion::Split
        );
        let ids = p.split(0, &mut all, 10, SequenceSpace::default());
        assert_eq!(ids, vec![1, 2]);
        let parts: Vec<_> = ids
            .iter()
            .map(|&id| {
                let b = &all[id as usize];
                (
                    b.messages.clone(),
                    b.base_sequence,
                    b.epoch,
                    b.attempts,
                    b.created_ms,
                )
            })
            .collect();
        assert_eq!(
            parts,
            vec![(vec![0, 1], Some(5), 0, 0, 0), (vec![2], Some(7), 0, 0, 0)]
        );
        assert_eq!(all[0].state, BatchState::Done);
        let part = &p.partitions[0];
        assert_eq!(
            part.in_flight.iter().copied().collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(part.deque.iter().copied().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(
            part.first_in_flight(&all),
            Some(1),
            "one at a time, lowest first"
        );
        let single = all[2].clone();
        assert_eq!(
            p.decide(&single, KafkaError::MessageTooLarge, -1, 10),
            failed(false, true)
        );
    }

    #[test]
    fn an_expired_retry_leaves_the_next_sequence_unresolved() {
        let mut p = client(r#"{"enable.idempotence": true}"#);
        let next = p.mark_unresolved(&batch(0, 4, 1), SequenceSpace::default());
        assert_eq!(next, 6, "the batch held sequences 4 and 5");
        assert_eq!(p.partitions[0].unresolved_next_sequence, Some(6));
        let tiny = SequenceSpace { max: 5 };
        assert_eq!(
            p.mark_unresolved(&batch(0, 4, 1), tiny),
            0,
            "wraps past the top"
        );
    }

    #[test]
    fn an_epoch_bump_takes_the_marked_partitions_or_gives_up_an_exhausted_id() {
        let mut p = client(r#"{"enable.idempotence": true}"#);
        p.producer_id = 1000;
        p.epoch = 3;
        p.epoch_bump_partitions.insert(0);
        assert_eq!(p.bump_epoch(), Some(vec![0]));
        assert_eq!((p.epoch, p.epoch_bump_partitions.len()), (4, 0));
        p.epoch = Epoch::MAX;
        p.epoch_bump_partitions.insert(0);
        assert_eq!(p.bump_epoch(), None);
        assert_eq!(
            (p.producer_id, p.epoch),
            (NO_PRODUCER_ID, NO_PRODUCER_EPOCH)
        );
    }

    #[test]
    fn a_wake_up_already_due_is_not_asked_for_twice() {
        use crate::engine::node::Command;
        let mut p = client("{}");
        let mut out = Out::default();
        p.wake_at(0, 50, &mut out);
        p.wake_at(0, 80, &mut out);
        p.wake_at(0, 20, &mut out);
        let wakes: Vec<TimeMs> = out
            .commands()
            .iter()
            .filter_map(|c| match c {
                Command::Schedule {
                    at_ms,
                    action: Action::SenderWake { producer: 0 },
                } => Some(*at_ms),
                _ => None,
            })
            .collect();
        assert_eq!(wakes, vec![50, 20], "80 is covered by the run at 50");
    }

    #[test]
    fn a_producer_id_for_an_earlier_incarnation_is_ignored() {
        let mut p = client(r#"{"enable.idempotence": true}"#);
        p.incarnation = 1;
        let mut out = Out::default();
        p.on_producer_id(0, 1000, 5, &mut out);
        assert!(out.commands().is_empty() && !p.has_producer_id());
        p.on_producer_id(1, 1001, 5, &mut out);
        assert_eq!((p.producer_id, p.epoch), (1001, 0));
        assert!(matches!(
            out.events()[..],
            [EventKind::ProducerIdAssigned {
                producer_id: 1001,
                ..
            }]
        ));
    }

    #[test]
    fn one_metadata_refresh_at_a_time_then_the_new_leaders() {
        let mut p = client(r#"{"retry.backoff.ms": 100}"#);
        let mut out = Out::default();
        p.request_metadata(10, 5, &mut out);
        p.request_metadata(11, 5, &mut out);
        assert_eq!(out.commands().len(), 1, "one refresh pending");
        p.on_metadata(p.incarnation, vec![Some(2)], 120, &mut out);
        assert_eq!(p.leader_cache, vec![Some(2)]);
        assert!(!p.metadata_refresh_pending);
    }

    #[test]
    fn a_restarted_transactional_application_resumes_from_its_committed_position() {
        let mut p = client_of(
            r#"{"producers": [{"config": {"transactional.id": "t"},
                "workload": {"messages": 10, "transactions": {"size": 2}}}]}"#,
        );
        p.partitions[0].next_sequence = 7;
        p.start_transactions(1000, 3, 2);
        let txn = p.txn.as_ref().expect("transactional");
        let committed: Vec<(u32, Vec<u32>)> = txn
            .outcomes
            .iter()
            .map(|o| (o.index, o.messages.clone()))
            .collect();
        assert_eq!(committed, vec![(0, vec![0, 1]), (1, vec![2, 3])]);
        assert!(txn
            .outcomes
            .iter()
            .all(|o| o.result == TxnResult::Committed && o.epoch == 3));
        assert_eq!((txn.index, txn.state.clone()), (2, ClientTxnState::Ready));
        assert_eq!(p.next_message, 4, "message 4 opens transaction 2");
        assert_eq!((p.producer_id, p.epoch), (1000, 3));
        assert_eq!(
            (p.partitions[0].next_sequence, p.partitions[0].epoch),
            (0, 3)
        );
    }
}
