//! The discrete-event engine: one queue of scheduled actions, processed in (time, order).
//!
//! Sans-IO: the engine never reads a clock or an entropy source. Time is a value it advances
//! to the next scheduled action; randomness comes from a ChaCha8 generator seeded by the
//! scenario. The same scenario therefore yields the same events on every platform.
//!
//! Each Kafka component is a module that owns its state and its rules, and can be tested
//! without a world:
//! - [`broker`]: a broker's connections, the checks before the log, `DelayedProduce`, its life;
//! - [`replica`]: one partition's copy: append, duplicate and sequence checks, high watermark,
//!   divergence, truncation, producer state rebuilt from the log;
//! - [`controller`]: placement, elections, the ISR;
//! - [`coordinator`]: the transaction coordinator and producer id manager, a node driven through
//!   [`node`]'s contract (handlers that read a cluster view and push commands);
//! - [`accumulator`]: the producer's batches, their readiness and their sequences;
//! - [`transaction_manager`] and [`client`]: the producer client's transactional side and its
//!   sender (application, draining, responses, retries, restarts);
//! - [`timer`]: the client's timer table;
//! - [`network`]: latency, cut links, delivery to the node a message reaches, and the faults
//!   that act on a message; [`faults`]: the fault script (crashes, restarts, stalls, expiry,
//!   crafted requests).
//!
//! This module is the world: the clock, the queue, the generator, and the order in which
//! arriving messages and timers reach the components ([`broker_handlers`] for the brokers).
//! That order is what the golden traces pin, event for event.

mod accumulator;
mod agenda;
mod broker;
mod broker_handlers;
mod client;
mod controller;
mod coordinator;
mod faults;
mod in_flight;
mod network;
mod node;
mod produce_path;
mod producer;
mod replica;
mod sender;
mod state;
mod timer;
mod transaction_manager;

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::config::EffectiveProducerConfig;
use crate::event::{Event, EventKind};
use crate::fault::Fault;
use crate::scenario::{Scenario, ScenarioError};
use crate::sequence::SequenceSpace;
use crate::types::{BrokerId, PartitionId, ProducerIndex, TimeMs};

pub(crate) use accumulator::{BatchState, ClientBatch};
pub(crate) use broker::Broker;
pub(crate) use controller::{replica_placement, PartitionMeta};
pub(crate) use producer::{Completion, ProducerClient};
pub(crate) use replica::*;
pub use replica::{AbortedTxn, ControlMarker, LogBatch};
use state::Payload as WirePayload;
pub(crate) use state::TxnRequest as TxnRequestPublic;
pub(crate) use state::*;
pub use state::{
    ClientTxnState, MessageOutcome, Node, ResponseRecord, TxnMetadata, TxnOutcome, TxnResult,
    TxnStatus,
};

pub use crate::limits::MAX_STEPS;
use coordinator::TransactionCoordinator;
pub(crate) use coordinator::COORDINATOR_TICK_MS;
use node::{ClusterView, Command, Out};

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunEnd {
    /// Every message is resolved, nothing is on the wire and every replica is in sync.
    Settled,
    /// The queue ran dry before that (nothing can happen any more).
    NothingLeft,
    /// The scenario's `duration_ms` came first.
    DurationReached,
    /// [`MAX_STEPS`] came first.
    StepLimit,
}

impl RunEnd {
    /// How the report, the event log and the app say it.
    pub fn sentence(self) -> &'static str {
        match self {
            RunEnd::Settled => "every message is resolved and every replica is in sync",
            RunEnd::NothingLeft => "nothing left to do",
            RunEnd::DurationReached => "duration_ms reached",
            RunEnd::StepLimit => "step limit reached",
        }
    }
}

/// Something scheduled to happen at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// The application calls `send()` for its next message.
    AppSend {
        producer: ProducerIndex,
        incarnation: u32,
    },
    /// The producer's sender thread runs once.
    SenderWake {
        producer: ProducerIndex,
    },
    /// The oldest live batch may have reached `delivery.timeout.ms`.
    DeliveryCheck {
        producer: ProducerIndex,
    },
    /// A message reaches its destination.
    Deliver {
        message: u64,
    },
    /// The client's `request.timeout.ms` check for the oldest request on a connection.
    RequestTimeout {
        producer: ProducerIndex,
        broker: BrokerId,
        generation: u32,
    },
    /// The broker's `DelayedProduce` timeout.
    DelayedProduceTimeout {
        broker: BrokerId,
        request: u64,
    },
    /// The client's metadata refresh completes.
    MetadataRefreshed {
        producer: ProducerIndex,
        incarnation: u32,
    },
    /// A follower sends its next fetch.
    FollowerFetch {
        broker: BrokerId,
        partition: PartitionId,
    },
    /// A parked (long-poll) fetch hits `replica.fetch.wait.max.ms`.
    FetchWaitExpired {
        broker: BrokerId,
        partition: PartitionId,
        follower: BrokerId,
    },
    /// Leaders drop lagging followers from the ISR.
    IsrCheck,
    /// `producer.id.expiration.check.interval.ms`.
    ExpiryCheck,
    /// A scripted fault with a time trigger.
    ScriptedAt {
        index: usize,
    },
    BrokerRestart {
        broker: BrokerId,
        clean: bool,
    },
    ProducerRestart {
        producer: ProducerIndex,
    },
    LinkHeal {
        producer: ProducerIndex,
        broker: BrokerId,
    },
    ReplicationResume {
        broker: BrokerId,
    },
    /// The client's request timeout for a request to the transaction coordinator.
    TxnRequestTimeout {
        producer: ProducerIndex,
        incarnation: u32,
        id: u64,
    },
    /// The coordinator re-sends markers and expires transactions.
    CoordinatorTick,
    /// A WriteTxnMarkers append's DelayedProduce expires.
    MarkerTimeout {
        broker: BrokerId,
        transactional_id: String,
        partition: PartitionId,
    },
}

/// An action taken from the queue, with when it was due.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Scheduled {
    time_ms: TimeMs,
    order: u64,
    action: Action,
}

/// A running simulation.
#[derive(Debug, Clone)]
pub struct Simulation {
    pub(crate) scenario: Scenario,
    pub(crate) space: SequenceSpace,
    pub(crate) now_ms: TimeMs,
    queue: agenda::Agenda,
    /// `DelayedProduce` timeouts, by `(time, order)`, kept out of `queue`: nearly every one is
    /// cancelled (its request completes first), and thousands of dead timers in the heap made
    /// every pop slower. They are taken in the same `(time, order)` order as the queue's.
    delayed_timeouts: BTreeMap<(TimeMs, u64), Action>,
    /// Where each `(broker, request)`'s timeout is in `delayed_timeouts`.
    delayed_timeout_keys: BTreeMap<(BrokerId, u64), (TimeMs, u64)>,
    next_order: u64,
    pub(crate) rng: ChaCha8Rng,
    /// Every event so far, when the run keeps them (see [`Simulation::keep_events`]).
    pub(crate) events: Vec<Event>,
    /// Events emitted so far, kept or not: the next event's index.
    pub(crate) event_count: u64,
    keep_events: bool,
    /// Counters, per-response checks and explaining conditions, fed every event.
    pub(crate) history: crate::invariants::history::History,
    /// The beats of the scenario's story reached so far.
    story: crate::story::Story,
    pub(crate) producers: Vec<ProducerClient>,
    pub(crate) brokers: Vec<Broker>,
    pub(crate) partitions: Vec<PartitionMeta>,
    pub(crate) batches: crate::chunked::ChunkedVec<ClientBatch>,
    pub(crate) messages: in_flight::InFlight<Message>,
    pub(crate) scripted_fired: Vec<bool>,
    /// Some scripted fault fires when a leader reads a request (checked per request only then).
    pub(crate) has_read_triggers: bool,
    /// Produce requests not yet answered, failed or abandoned, with the producer that sent
    /// them (`None`: crafted). Kept apart so the end check is cheap.
    pub(crate) open_requests: in_flight::InFlight<Option<ProducerIndex>>,
    /// For the report: the rows of `responses` each request's answer fills, until the client
    /// receives it.
    pub(crate) response_rows: in_flight::InFlight<std::ops::Range<usize>>,
    pub(crate) links_cut: Vec<LinkCut>,
    /// Last arrival time per link: TCP delivers in order, so jitter never reorders a link.
    pub(crate) link_clocks: network::LinkClocks,
    pub(crate) responses: crate::chunked::ChunkedVec<ResponseRecord>,
    pub(crate) next_message_id: u64,
    pub(crate) next_request_id: u64,
    pub(crate) pending_recoveries: u32,
    /// The transaction coordinator, which also hands out producer ids.
    pub(crate) coordinator: TransactionCoordinator,
    pub(crate) next_txn_request_id: u64,
    steps: u64,
    finished: Option<RunEnd>,
    /// The command buffer node handlers push into (see [`Simulation::take_out`]).
    /// Command buffers for nodes' handlers, reused: a follow-up calls handlers while its own
    /// buffer is being performed, so there is one per level of nesting.
    outs: Vec<Out>,
}

impl Simulation {
    /// Builds a simulation from a validated scenario.
    pub fn new(scenario: Scenario) -> Result<Simulation, ScenarioError> {
        scenario.validate()?;
        let configs: Vec<EffectiveProducerConfig> = scenario
            .producers
            .iter()
            .map(|p| p.config.validate_for(p.client()).expect("validated above"))
            .collect();
        let cluster = &scenario.cluster;
        let partitions: Vec<PartitionMeta> = (0..cluster.partitions)
            .map(|p| PartitionMeta::initial(p, cluster.brokers, cluster.replication_factor))
            .collect();
        let brokers: Vec<Broker> = (0..cluster.brokers)
            .map(|b| Broker::new(b, &partitions))
            .collect();
        let history_producers: Vec<(bool, bool)> = configs
            .iter()
            .map(|c| (c.idempotent, c.transactional_id.is_some()))
            .collect();
        let producers: Vec<ProducerClient> = configs
            .into_iter()
            .enumerate()
            .map(|(i, config)| {
                ProducerClient::new(i as ProducerIndex, config, &scenario, &partitions)
            })
            .collect();
        let mut sim = Simulation {
            space: SequenceSpace {
                max: cluster.sequence_max,
            },
            now_ms: 0,
            queue: agenda::Agenda::default(),
            delayed_timeouts: BTreeMap::new(),
            delayed_timeout_keys: BTreeMap::new(),
            next_order: 0,
            rng: ChaCha8Rng::seed_from_u64(scenario.seed),
            events: Vec::new(),
            event_count: 0,
            keep_events: true,
            history: crate::invariants::history::History::new(history_producers),
            story: Default::default(),
            producers,
            brokers,
            partitions,
            batches: Default::default(),
            messages: Default::default(),
            scripted_fired: vec![false; scenario.faults.len()],
            has_read_triggers: scenario
                .faults
                .iter()
                .any(|f| matches!(f.when, crate::fault::Trigger::Read(_))),
            open_requests: Default::default(),
            response_rows: Default::default(),
            links_cut: Vec::new(),
            link_clocks: network::LinkClocks::new(
                scenario.producers.len(),
                cluster.brokers as usize,
            ),
            responses: Default::default(),
            next_message_id: 0,
            next_request_id: 0,
            pending_recoveries: 0,
            coordinator: Default::default(),
            next_txn_request_id: 0,
            steps: 0,
            finished: None,
            outs: Vec::new(),
            scenario,
        };
        // Most runs produce several events per message; reserving up front avoids repeated
        // reallocation and copying as the run grows (the chunked histories need none).
        let messages: usize = sim
            .producers
            .iter()
            .map(|p| p.total_messages as usize)
            .sum();
        // (Capped: a player drains the list often, and a headless run may not keep it.)
        sim.events.reserve(messages.saturating_mul(8).min(1 << 16));
        sim.schedule_start();
        Ok(sim)
    }

    fn schedule_start(&mut self) {
        for i in 0..self.producers.len() {
            if let Some(&first) = self.producers[i].send_times_ms.first() {
                self.schedule(
                    first,
                    Action::AppSend {
                        producer: i as ProducerIndex,
                        incarnation: 0,
                    },
                );
            }
            self.schedule(
                0,
                Action::SenderWake {
                    producer: i as ProducerIndex,
                },
            );
        }
        let timed: Vec<(usize, TimeMs)> = self
            .scenario
            .faults
            .iter()
            .enumerate()
            .filter_map(|(index, f)| match f.when {
                crate::fault::Trigger::AtMs(t) => Some((index, t)),
                _ => None,
            })
            .collect();
        for (index, t) in timed {
            self.schedule(t, Action::ScriptedAt { index });
        }
        for p in 0..self.partitions.len() {
            let followers: Vec<BrokerId> = self.partitions[p].followers().collect();
            for b in followers {
                self.schedule(
                    0,
                    Action::FollowerFetch {
                        broker: b,
                        partition: p as PartitionId,
                    },
                );
            }
        }
        if self.scenario.cluster.replication_factor > 1 {
            let period = (self.scenario.cluster.replica_lag_time_max_ms / 2).max(1);
            self.schedule(period, Action::IsrCheck);
        }
        let interval = self
            .scenario
            .cluster
            .producer_id_expiration_check_interval_ms;
        self.schedule(interval, Action::ExpiryCheck);
    }

    pub(crate) fn schedule(&mut self, time_ms: TimeMs, action: Action) {
        debug_assert!(time_ms >= self.now_ms, "scheduling in the past");
        let order = self.next_order;
        self.next_order += 1;
        if let Action::DelayedProduceTimeout { broker, request } = action {
            self.delayed_timeouts.insert((time_ms, order), action);
            self.delayed_timeout_keys
                .insert((broker, request), (time_ms, order));
            return;
        }
        self.queue.push(time_ms, order, action);
    }

    /// The request completed before its `DelayedProduce` timed out: the timeout will not fire
    /// (firing, it would have found nothing to expire).
    pub(crate) fn cancel_delayed_timeout(&mut self, broker: BrokerId, request: u64) {
        if let Some(at) = self.delayed_timeout_keys.remove(&(broker, request)) {
            self.delayed_timeouts.remove(&at);
        }
    }

    /// The next scheduled action's `(time, order)`, from the queue or the timeouts.
    fn peek_next(&self) -> Option<(TimeMs, u64)> {
        let queued = self.queue.peek();
        let delayed = self.delayed_timeouts.first_key_value().map(|(at, _)| *at);
        match (queued, delayed) {
            (Some(q), Some(d)) => Some(q.min(d)),
            (q, d) => q.or(d),
        }
    }

    /// Takes the next scheduled action, in `(time, order)` order over both.
    fn pop_next(&mut self) -> Option<Scheduled> {
        let next = self.peek_next()?;
        if self.delayed_timeouts.first_key_value().map(|(at, _)| *at) == Some(next) {
            return self.pop_delayed();
        }
        let (time_ms, order, action) = self.queue.pop()?;
        Some(Scheduled {
            time_ms,
            order,
            action,
        })
    }

    fn pop_delayed(&mut self) -> Option<Scheduled> {
        let ((time_ms, order), action) = self.delayed_timeouts.pop_first()?;
        if let Action::DelayedProduceTimeout { broker, request } = action {
            self.delayed_timeout_keys.remove(&(broker, request));
        }
        Some(Scheduled {
            time_ms,
            order,
            action,
        })
    }

    pub(crate) fn emit(&mut self, mut kind: EventKind) {
        if self.keep_events {
            if let EventKind::BatchVerdict {
                verdict,
                explanation,
                ..
            } = &mut kind
            {
                *explanation = crate::words::verdict(verdict);
            }
        }
        let index = self.event_count;
        self.event_count += 1;
        self.history.observe(index, &kind);
        let has_story = !self.scenario.beats.is_empty();
        if !(self.keep_events || has_story) {
            // Nobody reads the event itself: it is counted and observed, not built.
            return;
        }
        let event = Event {
            index,
            time_ms: self.now_ms,
            kind,
        };
        if has_story {
            self.story.observe(&self.scenario.beats, &event);
        }
        if self.keep_events {
            self.events.push(event);
        }
    }

    /// Whether the run keeps every event (the default; the UI and `events()` need them). A long
    /// headless run can switch it off: counters, invariants and the report do not need the
    /// list, so memory then grows with the logs, not with the events. Events emitted while it
    /// is off are not recovered by switching it on again.
    pub fn keep_events(&mut self, keep: bool) {
        self.keep_events = keep;
        if !keep {
            self.events = Vec::new();
        }
    }

    /// The beats of the scenario's story the run has reached, in order (see [`crate::story`]).
    pub fn beats_reached(&self) -> &[crate::story::ReachedBeat] {
        self.story.reached()
    }

    /// The beat the run is in now, with its text.
    pub fn current_beat(&self) -> Option<(&crate::story::Beat, crate::story::ReachedBeat)> {
        let reached = *self.story.reached().last()?;
        Some((self.scenario.beats.get(reached.beat)?, reached))
    }

    /// How many events the run has emitted, kept or not.
    pub fn event_count(&self) -> u64 {
        self.event_count
    }

    /// Takes the events kept since the last call, leaving none behind (their indexes go on
    /// counting). A player records a run's events once this way, and its checkpoints, cloned
    /// right after, carry no event list.
    pub fn drain_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// [`Simulation::drain_events`] into `out`, keeping this run's buffer for the next events.
    pub fn drain_events_into(&mut self, out: &mut Vec<Event>) {
        out.append(&mut self.events);
    }

    /// Roughly how many bytes this run holds (its logs, batches, requests, responses, events
    /// and messages), counting its share of the history chunks it shares with its clones: what a
    /// player budgets its checkpoints by. An estimate, not a count.
    pub fn footprint_bytes(&self) -> usize {
        use std::mem::size_of;
        let logs: usize = self
            .brokers
            .iter()
            .flat_map(|b| b.replicas.values())
            .map(|r| {
                r.log
                    .fair_share_bytes(|b| b.records.capacity() * size_of::<LogRecord>())
            })
            .sum();
        let batches = self
            .batches
            .fair_share_bytes(|b| b.messages.capacity() * size_of::<u32>());
        let outcomes: usize = self
            .producers
            .iter()
            .map(|p| p.outcomes.fair_share_bytes(|_| 0))
            .sum();
        logs + batches
            + outcomes
            + self.responses.fair_share_bytes(|_| 0)
            + self.events.len() * (size_of::<Event>() + 48)
            + self.messages.len() * (size_of::<Message>() + 64)
            + (self.queue.len() + self.delayed_timeouts.len()) * size_of::<Scheduled>()
    }

    /// How many scheduled actions the run has processed: a position in the run that, unlike
    /// the event count, also moves on steps that emit nothing (a follower's fetch, a timer).
    pub fn step_count(&self) -> u64 {
        self.steps
    }

    /// The scenario this run was built from.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Current simulated time.
    pub fn now_ms(&self) -> TimeMs {
        self.now_ms
    }

    /// How many messages other than replication are on the wire now (sent, not yet delivered
    /// or dropped): whether a picture of this moment has something moving in it that the run's
    /// story follows. Followers' fetches run all the time, so they do not count.
    pub fn client_messages_in_flight(&self) -> usize {
        self.messages
            .values()
            .filter(|m| {
                !matches!(
                    m.payload,
                    Payload::Fetch { .. } | Payload::FetchResponse { .. }
                )
            })
            .count()
    }

    /// Every event so far, in order (empty when the run does not keep them).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Why the run ended, once it has.
    pub fn finished(&self) -> Option<&'static str> {
        self.finished.map(RunEnd::sentence)
    }

    /// Why the run ended, once it has, as a value.
    pub fn end(&self) -> Option<RunEnd> {
        self.finished
    }

    /// Processes the next scheduled action. Returns false once the run has finished.
    pub fn step(&mut self) -> bool {
        if self.finished.is_some() {
            return false;
        }
        if self.is_quiescent() {
            self.finish(RunEnd::Settled);
            return false;
        }
        let Some(next) = self.pop_next() else {
            self.finish(RunEnd::NothingLeft);
            return false;
        };
        if next.time_ms > self.scenario.duration_ms {
            self.now_ms = self.scenario.duration_ms.max(self.now_ms);
            self.finish(RunEnd::DurationReached);
            return false;
        }
        self.steps += 1;
        if self.steps > MAX_STEPS {
            self.finish(RunEnd::StepLimit);
            return false;
        }
        debug_assert!(next.time_ms >= self.now_ms);
        self.now_ms = next.time_ms;
        self.dispatch(next.action);
        true
    }

    /// Steps until the simulated time passes `time_ms` or the run ends.
    pub fn run_until(&mut self, time_ms: TimeMs) {
        while self.finished.is_none() {
            match self.peek_next() {
                Some((next_ms, _)) if next_ms <= time_ms => {
                    self.step();
                }
                next => {
                    if self.is_quiescent() || next.is_none() {
                        self.step();
                    }
                    break;
                }
            }
        }
        if self.finished.is_none() {
            self.now_ms = self.now_ms.max(time_ms.min(self.scenario.duration_ms));
        }
    }

    /// Steps until the run ends.
    pub fn run_to_end(&mut self) {
        while self.step() {}
    }

    /// The time of the next scheduled action, if any.
    pub fn next_time_ms(&self) -> Option<TimeMs> {
        self.peek_next().map(|(time_ms, _)| time_ms)
    }

    fn finish(&mut self, end: RunEnd) {
        self.finished = Some(end);
        self.emit(EventKind::RunFinished {
            why: end.sentence().to_string(),
        });
    }

    fn dispatch(&mut self, action: Action) {
        match action {
            Action::AppSend {
                producer,
                incarnation,
            } => self.app_send(producer, incarnation),
            Action::SenderWake { producer } => self.sender_wake(producer),
            Action::DeliveryCheck { producer } => {
                self.producers[producer as usize]
                    .timers
                    .delivery_check
                    .disarm();
                self.sender_wake(producer);
            }
            Action::Deliver { message } => self.deliver(message),
            Action::RequestTimeout {
                producer,
                broker,
                generation,
            } => self.request_timeout(producer, broker, generation),
            Action::DelayedProduceTimeout { broker, request } => {
                self.delayed_produce_timeout(broker, request)
            }
            Action::MetadataRefreshed {
                producer,
                incarnation,
            } => self.metadata_refreshed(producer, incarnation),
            Action::FollowerFetch { broker, partition } => self.follower_fetch(broker, partition),
            Action::FetchWaitExpired {
                broker,
                partition,
                follower,
            } => self.fetch_wait_expired(broker, partition, follower),
            Action::IsrCheck => self.isr_check(),
            Action::ExpiryCheck => self.expiry_check(),
            Action::ScriptedAt { index } => {
                let fault = self.scenario.faults[index].fault.clone();
                self.scripted_fired[index] = true;
                self.apply_fault(&fault, None);
            }
            Action::BrokerRestart { broker, clean } => self.broker_restart(broker, clean),
            Action::ProducerRestart { producer } => self.producer_restart_complete(producer),
            Action::LinkHeal { producer, broker } => self.link_heal(producer, broker),
            Action::ReplicationResume { broker } => self.replication_resume(broker),
            Action::TxnRequestTimeout {
                producer,
                incarnation,
                id,
            } => self.txn_request_timeout(producer, incarnation, id),
            Action::CoordinatorTick => {
                self.with_coordinator(|coordinator, cluster, out| coordinator.on_tick(cluster, out))
            }
            Action::MarkerTimeout {
                broker,
                transactional_id,
                partition,
            } => self.marker_timeout(broker, transactional_id, partition),
        }
    }

    /// Done when every producer has resolved every message, nothing is on the wire, no
    /// recovery is pending and every live replica has caught up with its leader.
    fn is_quiescent(&self) -> bool {
        // Cheapest and most often decisive first: this runs before every step.
        if self.pending_recoveries > 0 || !self.open_requests.is_empty() {
            return false;
        }
        if !self.producers.iter().all(|p| p.is_idle()) || self.coordinator.is_busy() {
            return false;
        }
        if self.scripted_fired.iter().enumerate().any(|(i, fired)| {
            !fired && matches!(self.scenario.faults[i].when, crate::fault::Trigger::AtMs(_))
        }) {
            return false;
        }
        // acks=0 requests are complete for the client while still on the wire.
        if self.messages.values().any(|m| {
            !matches!(
                m.payload,
                WirePayload::Fetch { .. } | WirePayload::FetchResponse { .. }
            )
        }) {
            return false;
        }
        self.partitions.iter().all(|meta| {
            let Some(leader) = meta.leader else {
                return true;
            };
            let leader_replica = self.brokers[leader as usize].replica(meta.id);
            let leo = leader_replica.log_end_offset();
            leader_replica.high_watermark == leo
                && meta.replicas.iter().all(|&b| {
                    let broker = &self.brokers[b as usize];
                    !broker.alive || broker.replica(meta.id).log_end_offset() == leo
                })
        })
    }

    /// Performs what a node's handler asked for, in order.
    pub(crate) fn perform(&mut self, out: &mut Out) {
        for command in out.take() {
            match command {
                Command::Emit(event) => self.emit(event),
                Command::Send { from, to, payload } => {
                    self.send_message(from, to, payload);
                }
                Command::Schedule { at_ms, action } => self.schedule(at_ms, action),
                Command::Then(follow_up) => self.follow_up(follow_up),
            }
        }
    }

    /// A command buffer for a node's handler: the world keeps them, so handlers called on
    /// every step do not allocate. Hand it back with [`Simulation::give_out`].
    pub(crate) fn take_out(&mut self) -> Out {
        self.outs.pop().unwrap_or_default()
    }

    /// Performs what the handler pushed into `out`, then keeps the buffer for the next one.
    pub(crate) fn give_out(&mut self, mut out: Out) {
        if !out.is_empty() {
            self.perform(&mut out);
        }
        self.outs.push(out);
    }

    /// Calls the transaction coordinator with a view of the cluster, then performs what it
    /// asked for.
    pub(crate) fn with_coordinator<R>(
        &mut self,
        handle: impl FnOnce(&mut TransactionCoordinator, &ClusterView, &mut Out) -> R,
    ) -> R {
        let mut out = self.take_out();
        let cluster = ClusterView {
            now_ms: self.now_ms,
            brokers: &self.brokers,
            partitions: &self.partitions,
        };
        let result = handle(&mut self.coordinator, &cluster, &mut out);
        self.give_out(out);
        result
    }

    /// The broker coordinating a transactional id now.
    pub(crate) fn coordinator_of(&self, transactional_id: &str) -> Option<BrokerId> {
        let cluster = ClusterView {
            now_ms: self.now_ms,
            brokers: &self.brokers,
            partitions: &self.partitions,
        };
        coordinator::coordinator_of(&cluster, transactional_id)
    }

    pub(crate) fn close_request(&mut self, request: u64) {
        self.open_requests.remove(request);
        self.response_rows.remove(request);
    }

    /// The client received the answer to `request`: its rows in the report say so.
    pub(crate) fn mark_response_delivered(&mut self, request: u64) {
        for i in self.response_rows.remove(request).unwrap_or_default() {
            self.responses[i].delivered = true;
        }
    }

    /// Applies a fault now (from a UI button, a script, or a test).
    pub fn inject(&mut self, fault: Fault) -> Result<(), ScenarioError> {
        let mut probe = self.scenario.clone();
        probe.faults = vec![crate::fault::ScriptedFault {
            when: crate::fault::Trigger::AtMs(self.now_ms),
            fault: fault.clone(),
        }];
        probe.validate()?;
        if fault.acts_on_message() {
            return Err(ScenarioError {
                path: "fault".into(),
                message: "this fault acts on a message: add it to the scenario with a request or response trigger".into(),
            });
        }
        if self.finished.is_none() {
            self.apply_fault(&fault, None);
        }
        Ok(())
    }
}
