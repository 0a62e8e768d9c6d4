//! A leader's produce path, as the broker's handlers on the node contract ([`super::node`]).
//!
//! For each produce request read off a connection the world calls, in this order:
//! 1. [`Broker::on_produce_batch`] for each batch, in request order: the checks before the
//!    log ([`Broker::refuse_batch`]), the replica's checks and the append, the high-watermark
//!    rule, and the batch's verdict event. The world performs one batch's commands before it
//!    calls the next: an append that moves the high watermark completes other parked
//!    requests at once, depth first (Kafka tries to complete its delayed produces inside the
//!    call that appended), and their answers can stop this broker or let another connection
//!    append to the log the next batch meets.
//! 2. [`Broker::must_wait`] for that batch's answer, read after the batch's commands ran;
//! 3. [`Broker::on_request_read`]: acks=0 reads the next request at once, otherwise the
//!    response goes out now or the request waits in `DelayedProduce`.
//!
//! Whenever the log ends of the in-sync replicas may have moved (an append, a fetch, an ISR
//! change, an election), [`Broker::advance_high_watermark`] applies the high-watermark rule;
//! [`Broker::on_high_watermark`] then answers the parked requests and markers it passed.
//!
//! Transaction markers take the same path: [`Broker::on_write_marker`], then, once its
//! commands ran, [`Broker::park_marker`].

use std::rc::Rc;

use super::broker::PendingMarker;
use super::controller::PartitionMeta;
use super::coordinator::MARKER_TIMEOUT_MS;
use super::node::{FollowUp, Out};
use super::replica::ProduceRules;
use super::{
    Action, Broker, ControlMarker, LogBatch, LogRecord, Node, Payload, ProduceRequest, WireBatch,
};
use crate::config::Acks;
use crate::error::KafkaError;
use crate::event::{BrokerVerdict, EventKind, PartitionResult};
use crate::producer_state::RejectReason;
use crate::types::*;

/// What a leader reads, besides itself and the partitions' records, while it handles a batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProduceContext {
    pub now_ms: TimeMs,
    pub rules: ProduceRules,
    pub min_insync_replicas: u32,
    /// Brokers 3.6+ (KIP-890 part 1) ask the coordinator before a transaction's first write
    /// to a partition; older brokers append whatever comes.
    pub verifies_transactions: bool,
    /// The index the next event gets: a batch's append remembers it.
    pub event_count: u64,
}

/// What follows a request once all its batches were handled ([`Broker::on_request_read`]).
#[derive(Debug)]
pub(crate) enum RequestRead {
    /// Send this response (through the network, which decides its fate).
    Respond(Rc<ProduceRequest>, Vec<PartitionResult>),
    /// acks=0: no response; handle the connection's next request.
    Serve(Rc<ProduceRequest>),
    /// Nothing now: parked in `DelayedProduce`, or acks=0 with nothing behind it.
    Wait,
}

/// One marker a WriteTxnMarkers request asks a partition leader to write.
pub(crate) struct MarkerWrite {
    pub transactional_id: String,
    pub partition: PartitionId,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    pub marker: ControlMarker,
}

impl Broker {
    /// Handles batch `index` of `request`: refused before the log, refused by the log, or
    /// appended. Returns the verdict and its event, which is recorded after the commands the
    /// append pushed (the last thing this handler says, so the world records it directly: it
    /// is the most frequent event of a run). KIP-890's
    /// verification asks the coordinator (`verify_transaction`, given the transactional id,
    /// the producer's id and epoch and the partition) only for a transactional batch whose
    /// producer has no transaction open on this partition yet.
    pub fn on_produce_batch(
        &mut self,
        (request, index): (&ProduceRequest, usize),
        (cx, partitions): (&ProduceContext, &[PartitionMeta]),
        verify_transaction: impl FnOnce(
            &str,
            (ProducerId, Epoch),
            PartitionId,
            bool,
        ) -> Option<(KafkaError, RejectReason)>,
        out: &mut Out,
    ) -> (BrokerVerdict, EventKind) {
        let wire = &request.batches[index];
        let meta = &partitions[wire.partition as usize];
        let rejected = request
            .rejected
            .filter(|&(partition, _)| partition == wire.partition)
            .map(|(_, error)| error);
        let refusal = self.refuse_batch(
            (rejected, request.corrupted),
            meta,
            (request.acks, cx.min_insync_replicas),
            || {
                if !cx.verifies_transactions {
                    return None;
                }
                self.transaction_verification(request, wire, verify_transaction)
            },
        );
        let verdict = match refusal {
            Some(refused) => refused,
            None => self.validate_and_append((wire, request.transactions_v2), meta, cx, out),
        };
        let event = EventKind::BatchVerdict {
            broker: self.id,
            request: request.id,
            batch: request.batch_ref(index, cx.rules.space),
            verdict: verdict.clone(),
            // Written when the run keeps its events (`Simulation::emit`): a run that only
            // counts would format a sentence per batch for nobody.
            explanation: String::new(),
        };
        (verdict, event)
    }

    /// KIP-890 part 1: before a producer's first transactional batch on a partition is
    /// appended, the leader asks the coordinator whether the partition is in the producer's
    /// ongoing transaction, so a late batch of an ended transaction does not open one nobody
    /// will end. Once one was verified, the transaction is open here (the VerificationGuard).
    fn transaction_verification(
        &self,
        request: &ProduceRequest,
        wire: &WireBatch,
        verify: impl FnOnce(
            &str,
            (ProducerId, Epoch),
            PartitionId,
            bool,
        ) -> Option<(KafkaError, RejectReason)>,
    ) -> Option<(KafkaError, RejectReason)> {
        if !wire.transactional {
            return None;
        }
        let replica = self.replica(wire.partition);
        if replica
            .producer_state
            .has_open_transaction_in_epoch(wire.producer_id, wire.epoch)
        {
            return None;
        }
        verify(
            request.transactional_id.as_deref()?,
            (wire.producer_id, wire.epoch),
            wire.partition,
            request.transactions_v2,
        )
    }

    /// The log's checks (duplicate, epoch, sequence), then the append, the high watermark and
    /// the fetches parked on the new data.
    fn validate_and_append(
        &mut self,
        (wire, transactions_v2): (&WireBatch, bool),
        meta: &PartitionMeta,
        cx: &ProduceContext,
        out: &mut Out,
    ) -> BrokerVerdict {
        let partition = wire.partition;
        let replica = self.replica_mut(partition);
        if let Err(verdict) = replica.check_batch(wire, &cx.rules, transactions_v2) {
            return verdict;
        }
        let verdict =
            replica.append_produced(wire, meta.leader_epoch, cx.event_count, cx.rules.space);
        self.advance_high_watermark(meta, out);
        self.answer_parked_fetches_later(partition, out);
        verdict
    }

    /// Every batch of `request` was handled, with these answers and, for acks=all, the offsets
    /// the high watermark must pass first. Returns what comes next, the handler's last word:
    /// the response now, or for acks=0 no response and the connection's next request; or
    /// nothing, the request waiting in `DelayedProduce` with its timeout.
    pub fn on_request_read(
        &mut self,
        request: Rc<ProduceRequest>,
        (results, waiting): (Vec<PartitionResult>, Vec<(PartitionId, Offset)>),
        now_ms: TimeMs,
        out: &mut Out,
    ) -> RequestRead {
        if request.acks == Acks::None {
            return match self.serve_next_after(&request) {
                Some(next) => RequestRead::Serve(next),
                None => RequestRead::Wait,
            };
        }
        if waiting.is_empty() {
            return RequestRead::Respond(request, results);
        }
        let (id, at_ms) = (request.id, now_ms.saturating_add(request.timeout_ms));
        let timeout = Action::DelayedProduceTimeout {
            broker: self.id,
            request: id,
        };
        out.schedule(at_ms, timeout);
        // The high watermark may already pass it, if the followers were ahead (a duplicate of
        // replicated data).
        self.park(request, results, waiting);
        for wire in &self.pending[&id].request.batches {
            self.complete_delayed_later(wire.partition, out);
        }
        RequestRead::Wait
    }

    /// The response to `request` is out, or none is due: the connection's next request, if
    /// one waits, is to be handled now.
    pub fn serve_next_after(&mut self, request: &ProduceRequest) -> Option<Rc<ProduceRequest>> {
        let key = request.connection()?;
        self.finish_request(key, request.id)
    }

    /// The high-watermark rule, on the leader: the smallest log end among the ISR (followers
    /// as last fetched). Whether it moved or not, what waits on it is then looked at: returns
    /// whether that was left for its turn ([`FollowUp::CompleteDelayed`]).
    pub fn advance_high_watermark(&mut self, meta: &PartitionMeta, out: &mut Out) -> bool {
        if meta.leader != Some(self.id) {
            return false;
        }
        let (partition, leader) = (meta.id, self.id);
        let replica = self.replica_mut(partition);
        let hw = replica.high_watermark_for(leader, &meta.isr);
        if hw > replica.high_watermark {
            replica.high_watermark = hw;
            out.emit(EventKind::HighWatermarkAdvanced {
                broker: leader,
                partition,
                high_watermark: hw,
            });
        }
        self.complete_delayed_later(partition, out)
    }

    /// Asks for [`Broker::on_high_watermark`] in its turn, if the high watermark has passed
    /// anything that waits on `partition`. Until that turn, only events of this handler are
    /// performed, so what it would find is what is found now; and a high watermark that moves
    /// later, inside another handler, is followed by a look of its own.
    fn complete_delayed_later(&self, partition: PartitionId, out: &mut Out) -> bool {
        let hw = self.replica(partition).high_watermark;
        let passed = |&(p, required): &(PartitionId, Offset)| p == partition && hw >= required;
        let requests = self.pending.values().any(|r| r.waiting.iter().any(passed));
        let markers = self
            .pending_markers
            .iter()
            .any(|(&(_, p), m)| passed(&(p, m.required)));
        let ready = requests || markers;
        if ready {
            out.then(FollowUp::CompleteDelayed {
                broker: self.id,
                partition,
            });
        }
        ready
    }

    /// Asks for the fetches parked on `partition` to be answered in their turn, if any is
    /// (fetches are parked only when they arrive).
    fn answer_parked_fetches_later(&self, partition: PartitionId, out: &mut Out) {
        if !self.replica(partition).parked_fetches.is_empty() {
            out.then(FollowUp::AnswerParkedFetches {
                broker: self.id,
                partition,
            });
        }
    }

    /// `checkEnoughReplicasReachOffset`: the parked requests and markers of `partition` the
    /// high watermark has passed are answered, each in its turn (answering one can stop the
    /// broker before the next, which is then lost with it).
    pub fn on_high_watermark(&mut self, partition: PartitionId, isr_short: bool, out: &mut Out) {
        let hw = self.replica(partition).high_watermark;
        for request in self.complete_delayed(partition, hw, isr_short) {
            out.then(FollowUp::AnswerParked {
                broker: self.id,
                request,
            });
        }
        if self.pending_markers.keys().any(|&(_, p)| p == partition) {
            out.then(FollowUp::AnswerMarkers {
                broker: self.id,
                partition,
                hw,
                isr_short,
            });
        }
    }

    /// The markers of `partition` the high watermark `hw` passed are written: each
    /// coordinator is told, NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below its
    /// minimum meanwhile.
    pub fn answer_markers(
        &mut self,
        partition: PartitionId,
        hw: Offset,
        isr_short: bool,
        out: &mut Out,
    ) {
        let error = if isr_short {
            KafkaError::NotEnoughReplicasAfterAppend
        } else {
            KafkaError::None
        };
        for ((transactional_id, partition), marker) in self.complete_delayed_markers(partition, hw)
        {
            self.answer_marker(
                marker.coordinator,
                (transactional_id, partition),
                marker.epoch,
                error,
                out,
            );
        }
    }

    /// A marker's answer to its coordinator.
    pub fn answer_marker(
        &self,
        coordinator: BrokerId,
        (transactional_id, partition): (String, PartitionId),
        epoch: Epoch,
        error: KafkaError,
        out: &mut Out,
    ) {
        out.send(
            Node::Broker(self.id),
            Node::Broker(coordinator),
            Payload::WriteTxnMarkerResponse {
                transactional_id,
                partition,
                epoch,
                error,
            },
        );
    }

    /// `KafkaApis.handleWriteTxnMarkersRequest`: the marker is appended with `requiredAcks =
    /// -1`, so it takes the produce path's min-ISR check (not the transaction's verification).
    /// Returns its offset, or `None` if it was refused (the coordinator is told at once).
    pub fn on_write_marker(
        &mut self,
        coordinator: BrokerId,
        write: &MarkerWrite,
        (cx, partitions): (&ProduceContext, &[PartitionMeta]),
        out: &mut Out,
    ) -> Option<Offset> {
        let meta = &partitions[write.partition as usize];
        let refusal = self.refuse_batch(
            (None, false),
            meta,
            (Acks::All, cx.min_insync_replicas),
            || None,
        );
        if let Some(BrokerVerdict::Rejected { error, .. }) = refusal {
            let key = (write.transactional_id.clone(), write.partition);
            self.answer_marker(coordinator, key, write.epoch, error, out);
            return None;
        }
        let replica = self.replica_mut(write.partition);
        let offset = replica.log_end_offset();
        replica.append(
            marker_batch(write, offset, meta.leader_epoch, cx),
            cx.rules.space,
        );
        out.emit(EventKind::MarkerWritten {
            broker: self.id,
            partition: write.partition,
            producer_id: write.producer_id,
            epoch: write.epoch,
            marker: write.marker,
            offset,
        });
        self.advance_high_watermark(meta, out);
        self.answer_parked_fetches_later(write.partition, out);
        Some(offset)
    }

    /// The appended marker at `offset` waits in a DelayedProduce until the high watermark
    /// passes it: only then is it written for the coordinator. A leader that fails before
    /// replicating it loses it, and the coordinator sends it again.
    pub fn park_marker(
        &mut self,
        coordinator: BrokerId,
        write: MarkerWrite,
        offset: Offset,
        now_ms: TimeMs,
        out: &mut Out,
    ) {
        let (partition, epoch) = (write.partition, write.epoch);
        let pending = PendingMarker {
            epoch,
            required: offset + 1,
            coordinator,
        };
        let key = (write.transactional_id, partition);
        self.pending_markers.insert(key.clone(), pending);
        out.schedule(
            now_ms.saturating_add(MARKER_TIMEOUT_MS),
            Action::MarkerTimeout {
                broker: self.id,
                transactional_id: key.0,
                partition,
            },
        );
        self.complete_delayed_later(partition, out);
    }

    /// The marker's DelayedProduce expired before the high watermark passed it.
    pub fn on_marker_timeout(&mut self, key: (String, PartitionId), out: &mut Out) {
        let Some(pending) = self.pending_markers.remove(&key) else {
            return;
        };
        let error = KafkaError::RequestTimedOut;
        self.answer_marker(pending.coordinator, key, pending.epoch, error, out);
    }
}

/// The control batch a marker is written as: one record, no sequence.
fn marker_batch(
    write: &MarkerWrite,
    base_offset: Offset,
    leader_epoch: u32,
    cx: &ProduceContext,
) -> LogBatch {
    LogBatch {
        base_offset,
        producer_id: write.producer_id,
        epoch: write.epoch,
        base_sequence: NO_SEQUENCE,
        leader_epoch,
        max_timestamp_ms: cx.now_ms,
        records: vec![LogRecord {
            offset: base_offset,
            sequence: NO_SEQUENCE,
            message: None,
        }],
        appended_event: cx.event_count,
        appended_without_state: false,
        transactional: true,
        control: Some(write.marker),
        client_batch: None,
    }
}

#[cfg(test)]
mod tests {
    //! A leader alone answering produce requests and markers: what it pushes, in order, with
    //! no world to perform it (Kafka's `ReplicaManagerTest` produce cases and
    //! `DelayedProduceTest`).

    use super::*;
    use crate::engine::node::Command;
    use crate::event::ControlMarker;
    use crate::sequence::SequenceSpace;

    fn context() -> ProduceContext {
        ProduceContext {
            now_ms: 100,
            rules: ProduceRules {
                space: SequenceSpace::default(),
                dedup_rule: Default::default(),
                new_partition_requires_sequence_zero: false,
                v2_unknown_producer_requires_sequence_zero: false,
            },
            min_insync_replicas: 1,
            verifies_transactions: true,
            event_count: 7,
        }
    }

    /// Broker 0 leading partition 0 with `replicas` replicas, all in sync.
    fn leader(replicas: u32) -> (Broker, Vec<PartitionMeta>) {
        let meta = vec![PartitionMeta::initial(0, replicas, replicas)];
        (Broker::new(0, &meta), meta)
    }

    fn request(
        id: u64,
        acks: Acks,
        base_sequence: Sequence,
        transactional: bool,
    ) -> ProduceRequest {
        ProduceRequest {
            transactions_v2: false,
            id,
            producer: Some(0),
            incarnation: 0,
            broker: 0,
            generation: 0,
            acks,
            timeout_ms: 30_000,
            transactional_id: transactional.then(|| "tx".to_string()),
            batches: smallvec::smallvec![WireBatch {
                batch_id: id,
                partition: 0,
                producer_id: 1000,
                epoch: 0,
                base_sequence,
                record_count: 3,
                attempt: 1,
                max_timestamp_ms: 0,
                payload: (0..3).map(|i| Some((0, i))).collect(),
                transactional,
            }],
            corrupted: false,
            rejected: None,
        }
    }

    /// The leader handles the request's one batch (no coordinator to ask), then its answer.
    fn handle(
        broker: &mut Broker,
        meta: &[PartitionMeta],
        r: ProduceRequest,
        out: &mut Out,
    ) -> (BrokerVerdict, Vec<String>) {
        let cx = context();
        let (verdict, event) =
            broker.on_produce_batch((&r, 0), (&cx, meta), |_, _, _, _| None, out);
        out.emit(event);
        let (result, wait) = broker.must_wait(0, r.acks, &verdict);
        let waiting = wait.map(|offset| vec![(0, offset)]).unwrap_or_default();
        let next = broker.on_request_read(Rc::new(r), (vec![result], waiting), cx.now_ms, out);
        (verdict, trace(out, next))
    }

    /// The commands pushed, then what the handler returned as its last word.
    fn trace(out: &Out, next: RequestRead) -> Vec<String> {
        let mut names = names(out);
        match next {
            RequestRead::Respond(request, results) => {
                let r = &results[0];
                names.push(format!(
                    "respond to {} with {} at {}",
                    request.id, r.error, r.base_offset
                ));
            }
            RequestRead::Serve(next) => names.push(format!("handle {}", next.id)),
            RequestRead::Wait => {}
        }
        names
    }

    /// The commands, named: what a test compares.
    fn names(out: &Out) -> Vec<String> {
        out.commands()
            .iter()
            .map(|c| match c {
                Command::Emit(EventKind::HighWatermarkAdvanced { high_watermark, .. }) => {
                    format!("emit HW {high_watermark}")
                }
                Command::Emit(EventKind::BatchVerdict { verdict, .. }) => match verdict {
                    BrokerVerdict::Appended { base_offset, .. } => {
                        format!("emit appended at {base_offset}")
                    }
                    BrokerVerdict::Duplicate { base_offset, .. } => {
                        format!("emit duplicate of {base_offset}")
                    }
                    BrokerVerdict::Rejected { error, .. } => format!("emit rejected {error}"),
                    other => format!("emit {other:?}"),
                },
                Command::Emit(EventKind::MarkerWritten { offset, .. }) => {
                    format!("emit marker at {offset}")
                }
                Command::Emit(other) => format!("emit {other:?}"),
                Command::Send {
                    payload: Payload::WriteTxnMarkerResponse { error, .. },
                    ..
                } => {
                    format!("send marker answer {error}")
                }
                Command::Send { payload, .. } => format!("send {payload:?}"),
                Command::Schedule { at_ms, action } => format!("at {at_ms} {action:?}"),
                Command::Then(FollowUp::AnswerParked { request, .. }) => {
                    format!("answer parked {request}")
                }
                Command::Then(f) => format!("{f:?}")
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string(),
            })
            .collect()
    }

    #[test]
    fn a_lone_replica_appends_moves_its_high_watermark_and_answers_at_once() {
        let (mut broker, meta) = leader(1);
        let mut out = Out::default();
        let (verdict, trace) = handle(
            &mut broker,
            &meta,
            request(1, Acks::All, 0, false),
            &mut out,
        );
        assert!(matches!(
            verdict,
            BrokerVerdict::Appended { base_offset: 0, .. }
        ));
        assert_eq!(
            trace,
            [
                "emit HW 3",
                "emit appended at 0",
                "respond to 1 with NONE at 0"
            ],
            "nothing waits on the partition: no follow-up"
        );
        assert_eq!(
            broker.replica(0).log[0].appended_event,
            7,
            "the append remembers its event"
        );
    }

    #[test]
    fn an_acks_all_request_waits_in_delayed_produce_until_the_follower_has_fetched() {
        let (mut broker, meta) = leader(2);
        let mut out = Out::default();
        let (_, trace) = handle(
            &mut broker,
            &meta,
            request(1, Acks::All, 0, false),
            &mut out,
        );
        assert_eq!(
            trace,
            [
                "emit appended at 0",
                "at 30100 DelayedProduceTimeout { broker: 0, request: 1 }",
            ],
            "no high watermark yet: parked, with its timeout"
        );
        // The follower waits at the log end; the next append answers it, after what waits on
        // the partition has had its turn.
        broker.replica_mut(0).parked_fetches.insert(1);
        let mut out = Out::default();
        let (_, trace) = handle(
            &mut broker,
            &meta,
            request(2, Acks::All, 3, false),
            &mut out,
        );
        assert_eq!(
            trace,
            [
                "AnswerParkedFetches",
                "emit appended at 3",
                "at 30100 DelayedProduceTimeout { broker: 0, request: 2 }",
            ],
            "request 1 waits, but the high watermark has not passed it"
        );
        let mut out = Out::default();
        broker.on_high_watermark(0, false, &mut out);
        assert!(names(&out).is_empty(), "the follower has not fetched");
        broker.replica_mut(0).record_fetch(1, 3, 200);
        broker.advance_high_watermark(&meta[0], &mut out);
        broker.on_high_watermark(0, false, &mut out);
        assert_eq!(
            names(&out),
            ["emit HW 3", "CompleteDelayed", "answer parked 1"],
            "request 2 waits for offset 6"
        );
    }

    #[test]
    fn a_retry_of_a_written_batch_is_answered_with_the_original_offset_and_nothing_appended() {
        let (mut broker, meta) = leader(1);
        let mut out = Out::default();
        handle(
            &mut broker,
            &meta,
            request(1, Acks::Leader, 0, false),
            &mut out,
        );
        let mut out = Out::default();
        let (_, trace) = handle(
            &mut broker,
            &meta,
            request(2, Acks::Leader, 0, false),
            &mut out,
        );
        assert_eq!(
            trace,
            ["emit duplicate of 0", "respond to 2 with NONE at 0"]
        );
        assert_eq!(broker.replica(0).log_end_offset(), 3);
        let mut out = Out::default();
        let (_, trace) = handle(
            &mut broker,
            &meta,
            request(3, Acks::Leader, 5, false),
            &mut out,
        );
        assert_eq!(
            trace,
            [
                "emit rejected OUT_OF_ORDER_SEQUENCE_NUMBER",
                "respond to 3 with OUT_OF_ORDER_SEQUENCE_NUMBER at -1"
            ]
        );
    }

    #[test]
    fn acks_0_gets_no_response_and_the_connection_reads_its_next_request() {
        let (mut broker, meta) = leader(1);
        let key = (0, 0, 0);
        let first = Rc::new(request(1, Acks::None, 0, false));
        let served = broker.accept(key, first.clone()).expect("served at once");
        assert!(
            broker
                .accept(key, Rc::new(request(2, Acks::None, 3, false)))
                .is_none(),
            "waits behind 1"
        );
        let mut out = Out::default();
        let cx = context();
        let (verdict, _) =
            broker.on_produce_batch((&served, 0), (&cx, &meta), |_, _, _, _| None, &mut out);
        let (result, _) = broker.must_wait(0, Acks::None, &verdict);
        let next = broker.on_request_read(served, (vec![result], Vec::new()), cx.now_ms, &mut out);
        assert_eq!(
            trace(&out, next).last().map(String::as_str),
            Some("handle 2")
        );
    }

    #[test]
    fn the_coordinator_is_asked_only_about_a_transactions_first_batch_on_a_partition() {
        let (mut broker, meta) = leader(1);
        let cx = context();
        let mut asked = 0;
        let mut ask = |late: bool| {
            let r = request(1, Acks::Leader, 0, true);
            let mut out = Out::default();
            let verify = |id: &str, _, _, _| {
                asked += 1;
                assert_eq!(id, "tx");
                late.then_some((KafkaError::InvalidTxnState, RejectReason::NotInTransaction))
            };
            broker
                .on_produce_batch((&r, 0), (&cx, &meta), verify, &mut out)
                .0
        };
        let late = ask(true);
        assert!(matches!(
            late,
            BrokerVerdict::Rejected {
                error: KafkaError::InvalidTxnState,
                reason: Some(RejectReason::NotInTransaction)
            }
        ));
        assert!(matches!(ask(false), BrokerVerdict::Appended { .. }));
        assert!(
            matches!(ask(false), BrokerVerdict::Duplicate { .. }),
            "the transaction is open here: not asked"
        );
        assert_eq!(asked, 2);
    }

    #[test]
    fn a_marker_is_answered_once_the_high_watermark_passes_it_or_when_it_expires() {
        let (mut broker, meta) = leader(2);
        let cx = context();
        let write = || MarkerWrite {
            transactional_id: "tx".into(),
            partition: 0,
            producer_id: 1000,
            epoch: 0,
            marker: ControlMarker::Commit,
        };
        let mut out = Out::default();
        let offset = broker.on_write_marker(9, &write(), (&cx, &meta), &mut out);
        assert_eq!(offset, Some(0));
        broker.park_marker(9, write(), 0, cx.now_ms, &mut out);
        assert_eq!(
            names(&out),
            [
                "emit marker at 0",
                "at 30100 MarkerTimeout { broker: 0, transactional_id: \"tx\", partition: 0 }",
            ]
        );
        let mut out = Out::default();
        broker.replica_mut(0).record_fetch(1, 1, 200);
        broker.advance_high_watermark(&meta[0], &mut out);
        broker.on_high_watermark(0, false, &mut out);
        broker.answer_markers(0, 1, false, &mut out);
        assert_eq!(
            names(&out),
            [
                "emit HW 1",
                "CompleteDelayed",
                "AnswerMarkers",
                "send marker answer NONE"
            ]
        );
        // A second marker the followers never fetch: its DelayedProduce expires.
        let mut out = Out::default();
        broker.on_write_marker(9, &write(), (&cx, &meta), &mut out);
        broker.park_marker(9, write(), 1, cx.now_ms, &mut out);
        let mut out = Out::default();
        broker.on_marker_timeout(("tx".into(), 0), &mut out);
        broker.on_marker_timeout(("tx".into(), 0), &mut out);
        assert_eq!(
            names(&out),
            ["send marker answer REQUEST_TIMED_OUT"],
            "answered once"
        );
    }
}
