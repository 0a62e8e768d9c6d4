//! Transactions: the transaction coordinator (`TransactionCoordinator`, `TransactionMetadata`)
//! and the transactional side of the client (`TransactionManager`).
//!
//! What is modelled (KIP-98, transactions v1 as in brokers 2.5–3.x):
//! - `InitProducerId(transactional.id)` maps the id to one producer id and bumps its epoch on
//!   every call, fencing older instances; an open transaction of the previous instance is first
//!   aborted with the epoch raised by one, and the caller gets CONCURRENT_TRANSACTIONS until the
//!   abort is complete (`prepareInitProducerIdTransit`, `PrepareEpochFence`);
//! - `AddPartitionsToTxn` before the first write to a partition;
//! - `EndTxn(COMMIT|ABORT)`: PrepareCommit/PrepareAbort, then a marker is written to every
//!   partition of the transaction, then CompleteCommit/CompleteAbort; the client is answered once
//!   the Prepare state is recorded, and a retried EndTxn with the same result is answered NONE;
//!   Markers are written like an acks=-1 produce: answered once replicated to the ISR, and
//!   sent again by the coordinator when a leader fails first;
//! - an older epoch gets PRODUCER_FENCED from the coordinator (fatal for the client);
//! - `transaction.timeout.ms`: the coordinator aborts and fences a transaction left open;
//! - KIP-360: a transaction with a failed batch is aborted and then the epoch is bumped through
//!   InitProducerId with the current producer id and epoch; sequences restart at 0;
//! - KIP-890 part 1 (brokers 3.6+): a transaction's first write to a partition is verified with
//!   the coordinator (in `broker.rs`).
//!
//! The application's input position, which a real consume-transform-produce loop commits with
//! `sendOffsetsToTransaction`, travels in EndTxn here; a restarted instance resumes from it.
//! Not modelled: transactions v2 (KIP-890 part 2).

use std::collections::BTreeSet;

use super::{
    Action, ClientTxnState, ControlMarker, LogBatch, LogRecord, MarkerSend, Node, Payload,
    PendingMarker, Simulation, TxnMetadata, TxnOutcome, TxnRequest, TxnStatus,
};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::types::*;

/// One marker a WriteTxnMarkers request asks a partition leader to write.
pub(crate) struct MarkerWrite {
    pub transactional_id: String,
    pub partition: PartitionId,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    pub marker: ControlMarker,
}

/// The fields of a coordinator's answer.
pub(crate) struct TxnAnswer {
    pub error: KafkaError,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    /// The committed input position of the asking application.
    pub position: u32,
}

/// How often the coordinator looks for transactions past `transaction.timeout.ms`, and how
/// long it waits before re-sending an unanswered marker.
pub(crate) const COORDINATOR_TICK_MS: TimeMs = 1_000;

/// The WriteTxnMarkers request timeout: the coordinator broker's `request.timeout.ms` default.
pub(crate) const MARKER_TIMEOUT_MS: TimeMs = 30_000;

impl Simulation {
    /// The broker coordinating a transactional id: a fixed hash of the id picks its
    /// `__transaction_state` partition, whose leader is the first live broker from there.
    pub(crate) fn coordinator_of(&self, transactional_id: &str) -> Option<BrokerId> {
        let n = self.brokers.len() as u32;
        let start = transactional_id.bytes().map(u32::from).sum::<u32>() % n;
        (0..n)
            .map(|i| (start + i) % n)
            .find(|&b| self.brokers[b as usize].alive)
    }

    // -----------------------------------------------------------------------------------------
    // Client side.

    /// One step of the transactional sender, before draining. Returns whether draining may
    /// go on for the partitions already added to the transaction.
    pub(crate) fn txn_sender_step(&mut self, producer: ProducerIndex) -> bool {
        let p = &self.producers[producer as usize];
        let Some(txn) = &p.txn else { return true };
        if matches!(txn.state, ClientTxnState::Fatal { .. }) {
            return false;
        }
        if txn.request_in_flight.is_some() {
            return txn.state == ClientTxnState::InTransaction;
        }
        match txn.state.clone() {
            ClientTxnState::AwaitingProducerId => {
                let expected = txn.bumping_from.map(|(pid, epoch, _)| (pid, epoch));
                // The application calls initTransactions() when it starts, at its first send.
                let start = p.send_times_ms.first().copied().unwrap_or(0);
                if expected.is_none() && p.incarnation == 0 && self.now_ms < start {
                    self.wake_producer_at(producer, start);
                    return false;
                }
                self.send_txn_request(producer, TxnRequest::InitProducerId { expected });
                false
            }
            ClientTxnState::Ready | ClientTxnState::Fatal { .. } => false,
            ClientTxnState::Ending { commit } => {
                // EndTxn could not be sent (no coordinator was reachable): send it now.
                self.send_end_txn(producer, commit);
                false
            }
            ClientTxnState::InTransaction => {
                let (pid, epoch) = (p.producer_id, p.epoch);
                // Partitions with data waiting that the coordinator does not know of yet.
                let wanted: Vec<PartitionId> = p
                    .partitions
                    .iter()
                    .enumerate()
                    .filter(|(i, part)| {
                        !part.deque.is_empty() && !txn.added.contains(&(*i as PartitionId))
                    })
                    .map(|(i, _)| i as PartitionId)
                    .collect();
                if txn.abortable_error.is_none() && !wanted.is_empty() {
                    self.producers[producer as usize]
                        .txn
                        .as_mut()
                        .expect("transactional")
                        .adding = wanted.clone();
                    self.send_txn_request(
                        producer,
                        TxnRequest::AddPartitions {
                            producer_id: pid,
                            epoch,
                            partitions: wanted,
                        },
                    );
                    return true;
                }
                let busy = p.partitions.iter().any(|part| !part.in_flight.is_empty())
                    || p.connections.iter().any(|c| !c.in_flight.is_empty());
                let pending = p.partitions.iter().any(|part| !part.deque.is_empty());
                let abort = txn.abortable_error.is_some();
                if abort && !busy {
                    // abortUndrainedBatches: what was never sent is dropped with the transaction.
                    self.abort_undrained(producer);
                    self.end_transaction(producer, false);
                    return false;
                }
                if txn.all_sent && !busy && !pending {
                    let commit = !txn.planned_aborts.contains(&txn.index);
                    self.end_transaction(producer, commit);
                    return false;
                }
                true
            }
        }
    }

    fn abort_undrained(&mut self, producer: ProducerIndex) {
        let queued: Vec<u64> = self.producers[producer as usize]
            .partitions
            .iter()
            .flat_map(|part| part.deque.iter().copied())
            .collect();
        for id in queued {
            self.fail_batch_now(id, KafkaError::InvalidTxnState);
        }
    }

    fn end_transaction(&mut self, producer: ProducerIndex, commit: bool) {
        let p = &mut self.producers[producer as usize];
        let txn = p.txn.as_mut().expect("transactional");
        txn.state = ClientTxnState::Ending { commit };
        if txn.added.is_empty() {
            // Nothing was written: the client completes the transaction without the coordinator.
            self.complete_transaction(producer, commit);
            return;
        }
        self.send_end_txn(producer, commit);
    }

    /// EndTxn for the current transaction, carrying the application's next input position.
    fn send_end_txn(&mut self, producer: ProducerIndex, commit: bool) {
        let p = &self.producers[producer as usize];
        let txn = p.txn.as_ref().expect("transactional");
        let request = TxnRequest::EndTxn {
            producer_id: p.producer_id,
            epoch: p.epoch,
            commit,
            next_position: txn.index + 1,
        };
        self.send_txn_request(producer, request);
    }

    fn send_txn_request(&mut self, producer: ProducerIndex, request: TxnRequest) {
        let p = &self.producers[producer as usize];
        let txn = p.txn.as_ref().expect("transactional");
        let incarnation = p.incarnation;
        let timeout = p.config.request_timeout_ms;
        let id = self.next_txn_request_id;
        self.next_txn_request_id += 1;
        let Some(coordinator) = self.coordinator_of(&txn.transactional_id) else {
            let backoff = p.config.retry_backoff_ms.max(1);
            self.wake_producer_at(producer, self.now_ms + backoff);
            return;
        };
        self.producers[producer as usize]
            .txn
            .as_mut()
            .expect("transactional")
            .request_in_flight = Some(id);
        self.send_message(
            Node::Producer(producer),
            Node::Broker(coordinator),
            Payload::TxnRequest {
                producer,
                incarnation,
                id,
                request,
            },
        );
        self.schedule(
            self.now_ms + timeout,
            Action::TxnRequestTimeout {
                producer,
                incarnation,
                id,
            },
        );
    }

    /// The coordinator did not answer in time (it may have failed over): ask again.
    pub(crate) fn txn_request_timeout(
        &mut self,
        producer: ProducerIndex,
        incarnation: u32,
        id: u64,
    ) {
        let p = &mut self.producers[producer as usize];
        if p.incarnation != incarnation {
            return;
        }
        let Some(txn) = p.txn.as_mut() else { return };
        if txn.request_in_flight != Some(id) {
            return;
        }
        txn.request_in_flight = None;
        if let ClientTxnState::Ending { commit } = txn.state {
            // EndTxn is retried with the same result; the coordinator answers it idempotently.
            self.send_end_txn(producer, commit);
            return;
        }
        self.wake_producer_at(producer, self.now_ms);
    }

    pub(crate) fn txn_response_arrived(
        &mut self,
        producer: ProducerIndex,
        incarnation: u32,
        id: u64,
        answer: TxnAnswer,
    ) {
        let TxnAnswer {
            error,
            producer_id,
            epoch,
            position,
        } = answer;
        let p = &mut self.producers[producer as usize];
        if p.incarnation != incarnation || !p.alive {
            return;
        }
        let backoff = p.config.retry_backoff_ms.max(1);
        let Some(txn) = p.txn.as_mut() else { return };
        if txn.request_in_flight != Some(id) {
            return;
        }
        txn.request_in_flight = None;
        if error == KafkaError::ProducerFenced {
            self.fence_producer(producer, error);
            return;
        }
        if error == KafkaError::ConcurrentTransactions {
            // The coordinator is still completing a transaction: try again after the backoff.
            if let ClientTxnState::Ending { commit } = txn.state {
                self.send_end_txn(producer, commit);
            } else {
                self.wake_producer_at(producer, self.now_ms + backoff);
            }
            return;
        }
        match txn.state.clone() {
            ClientTxnState::AwaitingProducerId
                if error == KafkaError::None && txn.bumping_from.is_some() =>
            {
                self.epoch_bumped(producer, producer_id, epoch);
                return;
            }
            ClientTxnState::AwaitingProducerId if error == KafkaError::None => {
                p.producer_id = producer_id;
                p.epoch = epoch;
                // On start the application resumes from its committed input position: a
                // transaction whose commit it never heard about may have committed after all.
                let total = p.total_messages;
                while txn.index < position {
                    let messages: Vec<u32> = txn.messages_of(txn.index, total).collect();
                    txn.outcomes.push(TxnOutcome {
                        index: txn.index,
                        attempt: txn.attempt,
                        producer_id: p.producer_id,
                        epoch: p.epoch,
                        result: "committed".into(),
                        messages,
                    });
                    txn.index += 1;
                    txn.attempt = 1;
                }
                let resume = txn.messages_of(txn.index, total).start;
                if p.next_message < resume {
                    p.next_message = resume;
                }
                for part in &mut p.partitions {
                    part.producer_id = producer_id;
                    part.epoch = epoch;
                    part.next_sequence = 0;
                    part.last_acked_sequence = -1;
                }
                txn.state = ClientTxnState::Ready;
                self.emit(EventKind::ProducerIdAssigned {
                    producer,
                    producer_id,
                    epoch,
                });
                let incarnation = self.producers[producer as usize].incarnation;
                self.schedule(
                    self.now_ms,
                    Action::AppSend {
                        producer,
                        incarnation,
                    },
                );
            }
            ClientTxnState::InTransaction => {
                if error == KafkaError::None {
                    // AddPartitionsToTxn answered: those partitions may be drained now.
                    let adding = std::mem::take(&mut txn.adding);
                    txn.added.extend(adding);
                } else {
                    txn.abortable_error = Some(error);
                }
            }
            ClientTxnState::Ending { commit } => {
                if error == KafkaError::None {
                    self.complete_transaction(producer, commit);
                } else {
                    self.fence_producer(producer, error);
                }
                return;
            }
            _ => {}
        }
        self.wake_producer_at(producer, self.now_ms);
    }

    /// EndTxn accepted: the application learns the transaction's fate and moves on.
    fn complete_transaction(&mut self, producer: ProducerIndex, commit: bool) {
        let p = &mut self.producers[producer as usize];
        let total = p.total_messages;
        let (pid, epoch) = (p.producer_id, p.epoch);
        let txn = p.txn.as_mut().expect("transactional");
        let planned = !commit && txn.planned_aborts.contains(&txn.index);
        let rerun = !commit && !planned;
        let bump = !commit && txn.epoch_bump_required;
        let messages: Vec<u32> = txn.messages_of(txn.index, total).collect();
        txn.outcomes.push(TxnOutcome {
            index: txn.index,
            attempt: txn.attempt,
            producer_id: pid,
            epoch,
            result: if commit {
                "committed".into()
            } else {
                "aborted".into()
            },
            messages: messages.clone(),
        });
        txn.added.clear();
        txn.all_sent = false;
        txn.abortable_error = None;
        let index = txn.index;
        // The application is done with this transaction's input unless it runs it again; an
        // abort after an error may come before it handed every record to send().
        let sent_up_to = p.next_message;
        if !commit && !rerun {
            let range = txn.messages_of(index, total);
            p.next_message = p.next_message.max(range.end);
            for m in sent_up_to.max(range.start)..range.end {
                p.outcomes[m as usize] = super::MessageOutcome::Abandoned;
            }
        }
        let txn = p.txn.as_mut().expect("transactional");
        if bump {
            // beginCompletingTransaction: with epochBumpRequired, EndTxn(ABORT) is followed by
            // InitProducerId carrying the current producer id and epoch.
            txn.epoch_bump_required = false;
            txn.bumping_from = Some((pid, epoch, rerun));
            txn.state = ClientTxnState::AwaitingProducerId;
            if rerun {
                txn.attempt += 1;
            } else {
                txn.index += 1;
                txn.attempt = 1;
            }
        } else if rerun {
            // The application runs the failed transaction again (consume-transform-produce).
            txn.attempt += 1;
            txn.state = ClientTxnState::InTransaction;
        } else {
            txn.index += 1;
            txn.attempt = 1;
            txn.state = ClientTxnState::Ready;
        }
        self.emit(EventKind::TransactionEnded {
            producer,
            transaction: index,
            committed: commit,
            producer_id: pid,
            epoch,
        });
        if bump {
            self.wake_producer_at(producer, self.now_ms);
            return;
        }
        if rerun {
            self.rerun_transaction(producer, &messages);
        }
        self.resume_application(producer);
    }

    /// The application runs the failed transaction again (consume-transform-produce): every
    /// record of it, including those it had not reached when the transaction failed.
    fn rerun_transaction(&mut self, producer: ProducerIndex, messages: &[u32]) {
        if let Some(&last) = messages.last() {
            let p = &mut self.producers[producer as usize];
            p.next_message = p.next_message.max(last + 1);
        }
        for &m in messages {
            self.accumulate(producer, m, true);
        }
        if let Some(txn) = self.producers[producer as usize].txn.as_mut() {
            txn.all_sent = true;
        }
    }

    /// InitProducerId answered a bump: the new epoch, every partition's sequence from 0
    /// (`InitProducerIdHandler`: `resetSequenceNumbers` when `isEpochBump`), then the
    /// application carries on.
    fn epoch_bumped(&mut self, producer: ProducerIndex, producer_id: ProducerId, epoch: Epoch) {
        let p = &mut self.producers[producer as usize];
        p.producer_id = producer_id;
        p.epoch = epoch;
        for part in &mut p.partitions {
            part.producer_id = producer_id;
            part.epoch = epoch;
            part.next_sequence = 0;
            part.last_acked_sequence = -1;
            part.unresolved_next_sequence = None;
        }
        let total = p.total_messages;
        let txn = p.txn.as_mut().expect("transactional");
        let rerun = txn.bumping_from.take().is_some_and(|(_, _, rerun)| rerun);
        let partitions: Vec<PartitionId> = (0..p.partitions.len() as PartitionId).collect();
        let messages: Vec<u32> = txn.messages_of(txn.index, total).collect();
        txn.state = if rerun {
            ClientTxnState::InTransaction
        } else {
            ClientTxnState::Ready
        };
        self.emit(EventKind::EpochBumped {
            producer,
            producer_id,
            epoch,
            partitions,
            why: "the aborted transaction had a failed batch: InitProducerId bumped the epoch, and sequences restart at 0 (KIP-360)".into(),
        });
        if rerun {
            self.emit(EventKind::TransactionBegun {
                producer,
                transaction: self.producers[producer as usize]
                    .txn
                    .as_ref()
                    .map_or(0, |t| t.index),
            });
            self.rerun_transaction(producer, &messages);
        }
        self.resume_application(producer);
    }

    /// PRODUCER_FENCED (or another fatal error): a newer instance owns the transactional id.
    fn fence_producer(&mut self, producer: ProducerIndex, error: KafkaError) {
        let p = &mut self.producers[producer as usize];
        let (pid, epoch) = (p.producer_id, p.epoch);
        let total = p.total_messages;
        let txn = p.txn.as_mut().expect("transactional");
        let index = txn.index;
        let messages: Vec<u32> = txn.messages_of(index, total).collect();
        txn.outcomes.push(TxnOutcome {
            index,
            attempt: txn.attempt,
            producer_id: pid,
            epoch,
            result: "fenced".into(),
            messages,
        });
        txn.state = ClientTxnState::Fatal { error };
        txn.request_in_flight = None;
        // Every record not yet answered fails; nothing more will be sent.
        let live: Vec<u64> = p.live_batches.iter().map(|&(_, id)| id).collect();
        p.next_message = p.total_messages;
        for id in live {
            self.fail_batch_now(id, error);
        }
        let p = &mut self.producers[producer as usize];
        for outcome in p.outcomes.iter_mut() {
            if *outcome == super::MessageOutcome::Pending {
                *outcome = super::MessageOutcome::Failed { error };
            }
        }
        self.emit(EventKind::ProducerFenced {
            producer,
            producer_id: pid,
            epoch,
            error,
        });
    }

    /// Whether message `message` may be handed to `send()` now; begins its transaction.
    pub(crate) fn txn_may_send(&mut self, producer: ProducerIndex, message: u32) -> bool {
        let p = &mut self.producers[producer as usize];
        let total = p.total_messages;
        let Some(txn) = p.txn.as_mut() else {
            return true;
        };
        let index = message / txn.size.max(1);
        let ok = match txn.state {
            ClientTxnState::Ready if index == txn.index => {
                txn.state = ClientTxnState::InTransaction;
                let begin = txn.index;
                self.emit(EventKind::TransactionBegun {
                    producer,
                    transaction: begin,
                });
                true
            }
            ClientTxnState::InTransaction => index == txn.index,
            _ => false,
        };
        if ok {
            let txn = self.producers[producer as usize]
                .txn
                .as_mut()
                .expect("transactional");
            if message + 1 == txn.messages_of(index, total).end {
                txn.all_sent = true;
            }
        }
        ok
    }

    /// A transactional batch failed for good: the transaction must be aborted
    /// (`maybeTransitionToErrorState`), and unless the transaction is already completing, the
    /// epoch is bumped after the abort (brokers 2.5+ support InitProducerId v3, so
    /// `canBumpEpoch`), because the failed batch's sequence may or may not be in the log.
    pub(crate) fn txn_batch_failed(&mut self, producer: ProducerIndex, error: KafkaError) {
        if let Some(txn) = self.producers[producer as usize].txn.as_mut() {
            if matches!(txn.state, ClientTxnState::Fatal { .. }) {
                return;
            }
            if !matches!(txn.state, ClientTxnState::Ending { .. }) {
                txn.epoch_bump_required = true;
            }
            if txn.abortable_error.is_none() {
                txn.abortable_error = Some(error);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Coordinator side.

    pub(crate) fn handle_txn_request(
        &mut self,
        coordinator: BrokerId,
        producer: ProducerIndex,
        incarnation: u32,
        id: u64,
        request: TxnRequest,
    ) {
        let transactional_id = match self.producers[producer as usize]
            .config
            .transactional_id
            .clone()
        {
            Some(t) => t,
            None => return,
        };
        if self.coordinator_of(&transactional_id) != Some(coordinator) {
            // NOT_COORDINATOR: the client finds the coordinator again after its timeout.
            return;
        }
        let timeout_ms = self.producers[producer as usize]
            .config
            .transaction_timeout_ms;
        let (error, producer_id, epoch) = match request {
            TxnRequest::InitProducerId { expected } => {
                self.coordinator_init(&transactional_id, timeout_ms, expected)
            }
            TxnRequest::AddPartitions {
                producer_id,
                epoch,
                partitions,
            } => self.coordinator_add_partitions(&transactional_id, producer_id, epoch, partitions),
            TxnRequest::EndTxn {
                producer_id,
                epoch,
                commit,
                next_position,
            } => self.coordinator_end(
                &transactional_id,
                producer,
                producer_id,
                epoch,
                commit,
                next_position,
            ),
        };
        let position = self
            .coordinator
            .get(&transactional_id)
            .map_or(0, |m| m.position_of(producer));
        self.send_message(
            Node::Broker(coordinator),
            Node::Producer(producer),
            Payload::TxnResponse {
                producer,
                incarnation,
                id,
                error,
                producer_id,
                epoch,
                position,
            },
        );
    }

    /// `TransactionCoordinator.handleInitProducerId` / `prepareInitProducerIdTransit`. A new
    /// instance (`expected` none) always gets the next epoch, fencing the previous one; a bump
    /// from a known producer id and epoch (KIP-360) gets the next epoch if the epoch is current,
    /// the current one again if it is the one just bumped from (a retried bump), and
    /// PRODUCER_FENCED otherwise.
    fn coordinator_init(
        &mut self,
        transactional_id: &str,
        timeout_ms: TimeMs,
        expected: Option<(ProducerId, Epoch)>,
    ) -> (KafkaError, ProducerId, Epoch) {
        let Some(meta) = self.coordinator.get_mut(transactional_id) else {
            let producer_id = self.next_producer_id;
            self.next_producer_id += 1;
            self.coordinator.insert(
                transactional_id.to_string(),
                TxnMetadata {
                    transactional_id: transactional_id.to_string(),
                    producer_id,
                    epoch: 0,
                    last_epoch: NO_PRODUCER_EPOCH,
                    status: TxnStatus::Empty,
                    partitions: BTreeSet::new(),
                    pending_markers: BTreeSet::new(),
                    started_ms: None,
                    timeout_ms,
                    committed_positions: Vec::new(),
                },
            );
            self.ensure_coordinator_tick();
            return (KafkaError::None, producer_id, 0);
        };
        if expected.is_some_and(|(pid, _)| pid != meta.producer_id) {
            return (KafkaError::ProducerFenced, -1, -1);
        }
        meta.timeout_ms = timeout_ms;
        match meta.status {
            TxnStatus::PrepareCommit | TxnStatus::PrepareAbort => {
                (KafkaError::ConcurrentTransactions, -1, -1)
            }
            TxnStatus::Ongoing => {
                // Fence the previous instance: abort its transaction with the epoch raised by one.
                let id = transactional_id.to_string();
                self.begin_abort_with_fence(&id, "a new instance called InitProducerId");
                (KafkaError::ConcurrentTransactions, -1, -1)
            }
            TxnStatus::Empty | TxnStatus::CompleteCommit | TxnStatus::CompleteAbort => {
                let current = meta.epoch;
                match expected.map(|(_, e)| e) {
                    // prepareIncrementProducerEpoch: a retry of the bump just made.
                    Some(e) if e != current && e == meta.last_epoch => {}
                    Some(e) if e != current => return (KafkaError::ProducerFenced, -1, -1),
                    _ if current == Epoch::MAX => {
                        // prepareProducerIdRotation: the epoch is exhausted, a new producer id.
                        meta.producer_id = self.next_producer_id;
                        self.next_producer_id += 1;
                        meta.epoch = 0;
                        meta.last_epoch = NO_PRODUCER_EPOCH;
                    }
                    bump => {
                        meta.epoch = current + 1;
                        meta.last_epoch = if bump.is_some() {
                            current
                        } else {
                            NO_PRODUCER_EPOCH
                        };
                    }
                }
                meta.status = TxnStatus::Empty;
                meta.partitions.clear();
                meta.started_ms = None;
                (KafkaError::None, meta.producer_id, meta.epoch)
            }
        }
    }

    fn coordinator_add_partitions(
        &mut self,
        transactional_id: &str,
        producer_id: ProducerId,
        epoch: Epoch,
        partitions: Vec<PartitionId>,
    ) -> (KafkaError, ProducerId, Epoch) {
        let now = self.now_ms;
        let Some(meta) = self.coordinator.get_mut(transactional_id) else {
            return (KafkaError::ProducerFenced, -1, -1);
        };
        if producer_id != meta.producer_id || epoch < meta.epoch {
            return (KafkaError::ProducerFenced, meta.producer_id, meta.epoch);
        }
        match meta.status {
            TxnStatus::PrepareCommit | TxnStatus::PrepareAbort => {
                (KafkaError::ConcurrentTransactions, producer_id, epoch)
            }
            _ => {
                if meta.status != TxnStatus::Ongoing {
                    meta.status = TxnStatus::Ongoing;
                    meta.partitions.clear();
                    meta.started_ms = Some(now);
                }
                meta.partitions.extend(partitions);
                (KafkaError::None, producer_id, epoch)
            }
        }
    }

    fn coordinator_end(
        &mut self,
        transactional_id: &str,
        producer: ProducerIndex,
        producer_id: ProducerId,
        epoch: Epoch,
        commit: bool,
        next_position: u32,
    ) -> (KafkaError, ProducerId, Epoch) {
        let Some(meta) = self.coordinator.get_mut(transactional_id) else {
            return (KafkaError::ProducerFenced, -1, -1);
        };
        if producer_id != meta.producer_id || epoch < meta.epoch {
            return (KafkaError::ProducerFenced, meta.producer_id, meta.epoch);
        }
        let same = |status: TxnStatus| {
            matches!(
                (status, commit),
                (TxnStatus::PrepareCommit | TxnStatus::CompleteCommit, true)
                    | (TxnStatus::PrepareAbort | TxnStatus::CompleteAbort, false)
            )
        };
        match meta.status {
            TxnStatus::Ongoing => {
                meta.status = if commit {
                    TxnStatus::PrepareCommit
                } else {
                    TxnStatus::PrepareAbort
                };
                if commit {
                    // The input offsets commit with the transaction (decided once prepared).
                    meta.advance_position(producer, next_position);
                }
                meta.pending_markers = meta.partitions.clone();
                let id = transactional_id.to_string();
                self.emit(EventKind::TransactionPrepared {
                    transactional_id: id.clone(),
                    commit,
                    partitions: self.coordinator[&id].partitions.iter().copied().collect(),
                });
                self.send_markers(&id);
                (KafkaError::None, producer_id, epoch)
            }
            status if same(status) => (KafkaError::None, producer_id, epoch),
            _ => (KafkaError::InvalidTxnState, producer_id, epoch),
        }
    }

    /// `PrepareEpochFence`: abort the open transaction under the next epoch.
    fn begin_abort_with_fence(&mut self, transactional_id: &str, why: &str) {
        let Some(meta) = self.coordinator.get_mut(transactional_id) else {
            return;
        };
        if meta.status != TxnStatus::Ongoing {
            return;
        }
        meta.epoch = meta.epoch.saturating_add(1);
        meta.last_epoch = NO_PRODUCER_EPOCH;
        meta.status = TxnStatus::PrepareAbort;
        meta.pending_markers = meta.partitions.clone();
        let (pid, epoch) = (meta.producer_id, meta.epoch);
        self.emit(EventKind::TransactionFenced {
            transactional_id: transactional_id.to_string(),
            producer_id: pid,
            epoch,
            why: why.to_string(),
        });
        self.send_markers(transactional_id);
    }

    fn send_markers(&mut self, transactional_id: &str) {
        let meta = &self.coordinator[transactional_id];
        let marker = if meta.status == TxnStatus::PrepareCommit {
            ControlMarker::Commit
        } else {
            ControlMarker::Abort
        };
        let (pid, epoch) = (meta.producer_id, meta.epoch);
        let pending: Vec<PartitionId> = meta.pending_markers.iter().copied().collect();
        if pending.is_empty() {
            self.finish_markers(transactional_id);
            return;
        }
        let Some(coordinator) = self.coordinator_of(transactional_id) else {
            return;
        };
        for partition in pending {
            let key = (transactional_id.to_string(), partition);
            if self
                .marker_sends
                .get(&key)
                .is_some_and(|send| self.marker_send_alive(send, coordinator))
            {
                continue;
            }
            let Some(leader) = self.partitions[partition as usize].leader else {
                continue;
            };
            self.marker_sends.insert(
                key,
                MarkerSend {
                    leader,
                    coordinator,
                    sent_ms: self.now_ms,
                },
            );
            self.send_message(
                Node::Broker(coordinator),
                Node::Broker(leader),
                Payload::WriteTxnMarker {
                    transactional_id: transactional_id.to_string(),
                    partition,
                    producer_id: pid,
                    epoch,
                    marker,
                },
            );
        }
    }

    /// Whether an unanswered marker may still be answered: its coordinator still coordinates,
    /// the broker it went to is up, and the request has not timed out (a connection lost with
    /// a stopped broker fails the request at once in Kafka's NetworkClient).
    fn marker_send_alive(&self, send: &MarkerSend, coordinator: BrokerId) -> bool {
        send.coordinator == coordinator
            && self.brokers[send.leader as usize].alive
            && self.now_ms < send.sent_ms + MARKER_TIMEOUT_MS + COORDINATOR_TICK_MS
    }

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
        let min_isr = self.scenario.cluster.min_insync_replicas as usize;
        if meta.leader != Some(broker) {
            self.answer_marker(
                broker,
                coordinator,
                transactional_id,
                partition,
                epoch,
                KafkaError::NotLeaderOrFollower,
            );
            return;
        }
        if meta.isr.len() < min_isr {
            self.answer_marker(
                broker,
                coordinator,
                transactional_id,
                partition,
                epoch,
                KafkaError::NotEnoughReplicas,
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

    /// `TransactionMarkerRequestCompletionHandler`: NONE completes the partition; a retriable
    /// error (not the leader, not enough replicas, timed out) leaves it pending, and the next
    /// coordinator tick sends it again to whoever leads the partition then.
    pub(crate) fn handle_marker_response(
        &mut self,
        transactional_id: String,
        partition: PartitionId,
        leader: BrokerId,
        epoch: Epoch,
        error: KafkaError,
    ) {
        let key = (transactional_id, partition);
        if self
            .marker_sends
            .get(&key)
            .is_some_and(|send| send.leader == leader)
        {
            self.marker_sends.remove(&key);
        }
        let Some(meta) = self.coordinator.get_mut(&key.0) else {
            return;
        };
        if meta.epoch != epoch
            || !matches!(
                meta.status,
                TxnStatus::PrepareCommit | TxnStatus::PrepareAbort
            )
            || error != KafkaError::None
        {
            return;
        }
        meta.pending_markers.remove(&partition);
        if meta.pending_markers.is_empty() {
            self.finish_markers(&key.0);
        }
    }

    fn finish_markers(&mut self, transactional_id: &str) {
        let Some(meta) = self.coordinator.get_mut(transactional_id) else {
            return;
        };
        let commit = meta.status == TxnStatus::PrepareCommit;
        meta.status = if commit {
            TxnStatus::CompleteCommit
        } else {
            TxnStatus::CompleteAbort
        };
        meta.started_ms = None;
        self.emit(EventKind::TransactionCompleted {
            transactional_id: transactional_id.to_string(),
            committed: commit,
        });
    }

    fn ensure_coordinator_tick(&mut self) {
        if !self.coordinator_tick_scheduled {
            self.coordinator_tick_scheduled = true;
            self.schedule(self.now_ms + COORDINATOR_TICK_MS, Action::CoordinatorTick);
        }
    }

    /// Re-sends unanswered markers and aborts transactions past `transaction.timeout.ms`.
    pub(crate) fn coordinator_tick(&mut self) {
        let now = self.now_ms;
        let ids: Vec<String> = self.coordinator.keys().cloned().collect();
        for id in ids {
            let meta = &self.coordinator[&id];
            match meta.status {
                TxnStatus::PrepareCommit | TxnStatus::PrepareAbort => self.send_markers(&id),
                TxnStatus::Ongoing
                    if meta.started_ms.is_some_and(|t| now >= t + meta.timeout_ms) =>
                {
                    self.begin_abort_with_fence(&id, "transaction.timeout.ms expired");
                }
                _ => {}
            }
        }
        self.schedule(now + COORDINATOR_TICK_MS, Action::CoordinatorTick);
    }

    /// Transactions still being completed keep the run going.
    pub(crate) fn coordinator_busy(&self) -> bool {
        self.coordinator.values().any(|m| {
            matches!(
                m.status,
                TxnStatus::PrepareCommit | TxnStatus::PrepareAbort | TxnStatus::Ongoing
            )
        })
    }
}
