//! The transactional side of the client (Kafka's `TransactionManager`): InitProducerId with
//! the transactional id, AddPartitionsToTxn before the first write to a partition, EndTxn
//! when the application commits or aborts, one request to the coordinator at a time, and
//! KIP-360's epoch bump after a failed batch (sequences restart at 0). The coordinator it
//! talks to is [`super::coordinator`].
//!
//! The application's input position, which a real consume-transform-produce loop commits with
//! `sendOffsetsToTransaction`, travels in EndTxn here; a restarted instance resumes from it.

use super::{Action, ClientTxnState, Node, Payload, Simulation, TxnOutcome, TxnRequest, TxnResult};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::types::*;

/// The fields of a coordinator's answer.
pub(crate) struct TxnAnswer {
    pub error: KafkaError,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    /// The committed input position of the asking application.
    pub position: u32,
}

impl Simulation {
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
                if txn.v2 && !wanted.is_empty() {
                    // v2: no AddPartitionsToTxn; the leader adds each partition on its first
                    // write (`maybeAddPartition` marks it in the transaction at once).
                    let txn = self.producers[producer as usize]
                        .txn
                        .as_mut()
                        .expect("transactional");
                    txn.added.extend(wanted);
                    return true;
                }
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
            self.complete_transaction(producer, commit, None);
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
            v2: txn.v2,
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
        let p = &self.producers[producer as usize];
        let transactional_id = p
            .txn
            .as_ref()
            .expect("transactional")
            .transactional_id
            .clone();
        let transaction_timeout_ms = p.config.transaction_timeout_ms;
        self.send_message(
            Node::Producer(producer),
            Node::Broker(coordinator),
            Payload::TxnRequest {
                producer,
                incarnation,
                id,
                transactional_id,
                transaction_timeout_ms,
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
        let error = answer.error;
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
            // The coordinator is still completing a transaction: try again after the backoff
            // (an EndTxn too: the sender sends it again from the Ending state).
            self.wake_producer_at(producer, self.now_ms + backoff);
            return;
        }
        let state = txn.state.clone();
        if self.txn_answer_in(producer, state, answer) {
            self.wake_producer_at(producer, self.now_ms);
        }
    }

    /// What the answer means in the transaction's state: a producer id and epoch (new, or
    /// bumped), partitions added or an abortable error, a transaction ended or a fenced
    /// producer. Returns whether the sender should run now.
    fn txn_answer_in(
        &mut self,
        producer: ProducerIndex,
        state: ClientTxnState,
        answer: TxnAnswer,
    ) -> bool {
        let TxnAnswer {
            error,
            producer_id,
            epoch,
            position,
        } = answer;
        let p = &mut self.producers[producer as usize];
        let Some(txn) = p.txn.as_mut() else {
            return false;
        };
        match state {
            ClientTxnState::AwaitingProducerId
                if error == KafkaError::None && txn.bumping_from.is_some() =>
            {
                self.epoch_bumped(producer, producer_id, epoch);
                false
            }
            ClientTxnState::AwaitingProducerId if error == KafkaError::None => {
                p.start_transactions(producer_id, epoch, position);
                self.emit(EventKind::ProducerIdAssigned {
                    producer,
                    producer_id,
                    epoch,
                });
                let incarnation = self.producers[producer as usize].incarnation;
                let app_send = Action::AppSend {
                    producer,
                    incarnation,
                };
                self.schedule(self.now_ms, app_send);
                true
            }
            ClientTxnState::InTransaction => {
                if error == KafkaError::None {
                    // AddPartitionsToTxn answered: those partitions may be drained now.
                    let adding = std::mem::take(&mut txn.adding);
                    txn.added.extend(adding);
                } else {
                    txn.abortable_error = Some(error);
                }
                true
            }
            ClientTxnState::Ending { commit } => {
                let next = txn.v2.then_some((producer_id, epoch));
                if error == KafkaError::None {
                    self.complete_transaction(producer, commit, next);
                } else {
                    self.fence_producer(producer, error);
                }
                false
            }
            _ => true,
        }
    }

    /// EndTxn accepted: the application learns the transaction's fate and moves on, under the
    /// `next` producer id and epoch the answer carried (transactions v2).
    fn complete_transaction(
        &mut self,
        producer: ProducerIndex,
        commit: bool,
        next: Option<(ProducerId, Epoch)>,
    ) {
        let p = &mut self.producers[producer as usize];
        let total = p.total_messages;
        let (pid, epoch) = (p.producer_id, p.epoch);
        let txn = p.txn.as_mut().expect("transactional");
        let planned = !commit && txn.planned_aborts.contains(&txn.index);
        let rerun = !commit && !planned;
        // v2: EndTxn itself bumps the epoch, so no InitProducerId follows an abort.
        let bump = !commit && txn.epoch_bump_required && !txn.v2;
        if txn.v2 {
            txn.epoch_bump_required = false;
        }
        let messages: Vec<u32> = txn.messages_of(txn.index, total).collect();
        txn.outcomes.push(TxnOutcome {
            index: txn.index,
            attempt: txn.attempt,
            producer_id: pid,
            epoch,
            result: if commit {
                TxnResult::Committed
            } else {
                TxnResult::Aborted
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
        if let Some((next_id, next_epoch)) = next {
            self.next_epoch_from_end_txn(producer, next_id, next_epoch);
        }
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
        p.restart_sequences(producer_id, epoch);
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

    /// Transactions v2: the EndTxn answer carries the epoch the next transaction runs under
    /// (or a new producer id at epoch 0 once the epoch is exhausted). Every partition's
    /// sequence starts at 0 again (`TransactionManager` in `EndTxnHandler`: the new producer id
    /// and epoch, `resetSequenceNumbers`).
    fn next_epoch_from_end_txn(
        &mut self,
        producer: ProducerIndex,
        producer_id: ProducerId,
        epoch: Epoch,
    ) {
        let p = &mut self.producers[producer as usize];
        if (p.producer_id, p.epoch) == (producer_id, epoch) || !p.alive {
            return;
        }
        p.restart_sequences(producer_id, epoch);
        let partitions: Vec<PartitionId> = (0..p.partitions.len() as PartitionId).collect();
        let why = if epoch == 0 {
            "transactions v2: the epoch was exhausted, so EndTxn handed out a new producer id; sequences restart at 0"
        } else {
            "transactions v2: EndTxn bumped the epoch, which fences any late batch of the ended transaction; sequences restart at 0"
        };
        self.emit(EventKind::EpochBumped {
            producer,
            producer_id,
            epoch,
            partitions,
            why: why.into(),
        });
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
            result: TxnResult::Fenced,
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
}
