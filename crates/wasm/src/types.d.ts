// Typed shapes of the objects the Lab API takes and returns. Appended to
// idempotence_wasm.d.ts by wasm-bindgen (typescript_custom_section in lib.rs).
// Numbers are simulated milliseconds, offsets, ids; all are plain JS numbers.

/** `acks`: "0", "1" or "all" ("-1" is accepted as "all"). */
export type Acks = "0" | "1" | "all" | "-1";

/** Producer client configuration, with Kafka's property names (all optional). */
export interface ProducerConfig {
  "enable.idempotence"?: boolean;
  acks?: Acks;
  retries?: number;
  "max.in.flight.requests.per.connection"?: number;
  /** Counted in records (1 to 100), not bytes. */
  "batch.size"?: number;
  "linger.ms"?: number;
  "request.timeout.ms"?: number;
  "delivery.timeout.ms"?: number;
  "retry.backoff.ms"?: number;
  "retry.backoff.max.ms"?: number;
  /** Makes the producer transactional (needs idempotence). */
  "transactional.id"?: string;
  "transaction.timeout.ms"?: number;
}

/** Brokers, the topic and broker-side settings (all optional). */
export interface ClusterConfig {
  brokers?: number;
  partitions?: number;
  "replication.factor"?: number;
  "min.insync.replicas"?: number;
  "unclean.leader.election.enable"?: boolean;
  "producer.id.expiration.ms"?: number;
  "producer.id.expiration.check.interval.ms"?: number;
  "replica.lag.time.max.ms"?: number;
  "replica.fetch.wait.max.ms"?: number;
  sequence_max?: number;
  dedup_rule?: "kafka" | "textbook";
  new_partition_requires_sequence_zero?: boolean;
}

export interface NetworkConfig {
  latency_ms?: number;
  jitter_ms?: number;
}

export interface Workload {
  messages: number;
  start_ms?: number;
  /** 0 sends every message at start_ms in one burst. */
  interval_ms?: number;
  /** A fixed partition; round-robin when absent. */
  partition?: number;
  bursts?: { at_ms: number; messages: number }[];
  /** With transactional.id: messages k*size..(k+1)*size-1 form transaction k; `abort` lists the ones aborted. */
  transactions?: { size: number; abort?: number[] };
}

export interface ProducerSpec {
  config?: ProducerConfig;
  workload: Workload;
}

/** Picks produce requests/responses by their batches; every given field must match. */
export interface BatchMatcher {
  producer?: number;
  partition?: number;
  batch?: number;
  base_sequence?: number;
  /** 1 = first send, 2 = first retry, ... */
  attempt?: number;
}

export type Trigger = { at_ms: number } | { request: BatchMatcher } | { response: BatchMatcher };

/** A fault: for `Lab.inject()` and in a scenario's `faults`. */
export type Fault =
  | { type: "drop_request" }
  | { type: "drop_response" }
  | { type: "corrupt_request" }
  | { type: "cut_link"; producer: number; broker: number; duration_ms: number }
  | { type: "crash_broker"; broker: number; clean?: boolean; down_ms: number }
  | { type: "crash_leader"; partition: number; clean?: boolean; down_ms: number }
  | { type: "stall_replication"; broker: number; duration_ms: number }
  | { type: "shrink_isr"; partition: number; broker: number }
  | { type: "restart_producer"; producer: number; down_ms?: number }
  | { type: "expire_producer_state"; partition: number }
  | {
      type: "inject_produce";
      partition: number;
      producer_id: number;
      epoch: number;
      base_sequence: number;
      record_count: number;
    };

export interface ScriptedFault {
  when: Trigger;
  fault: Fault;
}

/** A scenario as written (see docs/scenario-format.md); only `producers` is required. */
export interface Scenario {
  name?: string;
  caption?: string;
  seed?: number;
  duration_ms?: number;
  cluster?: ClusterConfig;
  network?: NetworkConfig;
  producers: ProducerSpec[];
  faults?: ScriptedFault[];
  random_faults?: { drop_request?: number; drop_response?: number };
  /** The story told as the run goes (see `Beat`). */
  beats?: Beat[];
}

/** One beat of a scenario's story: shown from the event its `when` pattern matches on. */
export interface Beat {
  /** Fields the event must have, as `events()` returns them; must include `type`. */
  when: { type: LabEvent["type"] } & Record<string, unknown>;
  /** Which matching event starts the beat, counting after the previous beat's (default 1). */
  nth?: number;
  text: string;
  /** A guided player stops here until the reader continues. */
  pause?: boolean;
}

/** A beat the run has reached. */
export interface ReachedBeat {
  /** Its index in the scenario's `beats`. */
  beat: number;
  /** The index of the event that started it. */
  event: number;
  time_ms: number;
  text: string;
}

/** A preset id, e.g. "lost-ack"; `presets()` lists them. */
export type PresetId = string;

export interface Preset {
  id: PresetId;
  caption: string;
}

/** Kafka error names as in produce responses ("NONE" is success). */
export type KafkaError =
  | "NONE"
  | "CORRUPT_MESSAGE"
  | "UNKNOWN_TOPIC_OR_PARTITION"
  | "LEADER_NOT_AVAILABLE"
  | "NOT_LEADER_OR_FOLLOWER"
  | "REQUEST_TIMED_OUT"
  | "NETWORK_EXCEPTION"
  | "NOT_ENOUGH_REPLICAS"
  | "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
  | "OUT_OF_ORDER_SEQUENCE_NUMBER"
  | "DUPLICATE_SEQUENCE_NUMBER"
  | "INVALID_PRODUCER_EPOCH"
  | "UNKNOWN_PRODUCER_ID"
  | "INVALID_TXN_STATE"
  | "CONCURRENT_TRANSACTIONS"
  | "PRODUCER_FENCED"
  | "DELIVERY_TIMEOUT";

/** What an application's send() was told. */
export type MessageOutcome =
  | { status: "pending" }
  | { status: "acked"; offset: number }
  | { status: "failed"; error: KafkaError }
  | { status: "abandoned" };

/** The producer fields of one batch on the wire. */
export interface BatchRef {
  batch_id: number;
  producer: number | null;
  partition: number;
  producer_id: number;
  epoch: number;
  base_sequence: number;
  last_sequence: number;
  record_count: number;
  attempt: number;
}

/** One record of a partition log. */
export interface LogEntry {
  offset: number;
  producer_id: number;
  epoch: number;
  sequence: number;
  producer: number | null;
  message: number | null;
  key: string;
  value: string;
  /** An earlier offset already holds the same application message. */
  duplicate_of: number | null;
  /** Written inside a transaction. */
  transactional: boolean;
  /** A transaction marker rather than data. */
  control: "commit" | "abort" | null;
  /** Data of an aborted transaction (read_committed consumers skip it). */
  aborted: boolean;
  /** The producer's batch these records were sent in (BatchRef.batch_id); null for markers. */
  batch_id: number | null;
}

/** The client side of a transactional producer. */
export type ClientTxnState =
  | { state: "awaiting_producer_id" }
  | { state: "ready" }
  | { state: "in_transaction" }
  | { state: "ending"; commit: boolean }
  | { state: "fatal"; error: KafkaError };

export interface TxnOutcome {
  index: number;
  attempt: number;
  producer_id: number;
  epoch: number;
  result: "committed" | "aborted" | "fenced" | "abandoned";
  messages: number[];
}

/** The transaction coordinator's record of one transactional id. */
export interface TxnMetadata {
  transactional_id: string;
  producer_id: number;
  epoch: number;
  status: "empty" | "ongoing" | "prepare_commit" | "prepare_abort" | "complete_commit" | "complete_abort";
  partitions: number[];
  pending_markers: number[];
  started_ms: number | null;
  timeout_ms: number;
  /** `[producer, position]` pairs: each application's input position committed with its transactions. */
  committed_positions: [number, number][];
}

/** What caused a violation: a Kafka rule, a fault of the scenario, or (never expected) a model bug. */
export type Mechanism =
  | "idempotence_off" | "retry_overtook" | "producer_restart" | "epoch_bump_after_expiry"
  | "state_expired" | "state_expired_by_fault" | "snapshot_keeps_last_batch" | "crafted_request"
  | "new_partition_race" | "acks_not_all" | "unclean_election" | "textbook_rule"
  | "small_sequence_space" | "model_bug";

/** One entry of the simulation's event log. `type` names the event; other fields depend on it. */
export interface LabEvent {
  index: number;
  time_ms: number;
  type:
    | "record_sent" | "producer_id_assigned" | "request_sent" | "request_lost"
    | "batch_verdict" | "response_sent" | "response_lost" | "connection_closed" | "response_received"
    | "batch_acked" | "batch_retrying" | "batch_failed" | "epoch_bumped" | "sequence_unresolved"
    | "sequence_resolved" | "replica_fetched" | "high_watermark_advanced" | "isr_changed"
    | "leader_elected" | "log_truncated" | "broker_stopped" | "broker_started"
    | "producer_state_expired" | "producer_restarted" | "fault_injected" | "link_healed"
    | "run_finished" | "transaction_begun" | "transaction_ended" | "transaction_prepared"
    | "transaction_fenced" | "transaction_completed" | "marker_written" | "producer_fenced"
    | (string & {});
  [field: string]: unknown;
}

export type NodeRef = { kind: "producer"; id: number } | { kind: "broker"; id: number } | { kind: "injector" };

export interface Snapshot {
  time_ms: number;
  /** Why the run ended, or null while it runs. */
  finished: string | null;
  event_count: number;
  producers: {
    index: number;
    alive: boolean;
    idempotent: boolean;
    producer_id: number;
    epoch: number;
    partitions: {
      partition: number;
      next_sequence: number;
      last_acked_sequence: number;
      unresolved_next_sequence: number | null;
      queued: BatchRef[];
      /** While the head batch waits out its retry backoff: [began, ends] in simulated ms. */
      backoff: [number, number] | null;
      in_flight: BatchRef[];
      /** The oldest unfinished batch's delivery.timeout.ms: [created, fails at] in simulated ms. */
      delivery_timeout: [number, number] | null;
    }[];
    outcomes: MessageOutcome[];
    messages_sent: number;
    messages_total: number;
    /** Present for a producer with transactional.id. */
    transaction: ({ transactional_id: string; index: number; attempt: number; added_partitions: number[]; outcomes: TxnOutcome[] } & ClientTxnState) | null;
    /** The next request.timeout.ms to run out: [oldest unanswered request sent, gives up at]. */
    request_timeout: [number, number] | null;
  }[];
  brokers: {
    id: number;
    alive: boolean;
    /** While stopped: [when it stopped, when it restarts] in simulated ms; null while up. */
    down: [number, number] | null;
    replicas: {
      partition: number;
      is_leader: boolean;
      in_isr: boolean;
      log_end_offset: number;
      high_watermark: number;
      /** read_committed consumers read up to here. */
      last_stable_offset: number;
      log: LogEntry[];
      producer_state: {
        producer_id: number;
        epoch: number;
        batches: { first_seq: number; last_seq: number; first_offset: number; last_offset: number; timestamp_ms: number }[];
        last_timestamp_ms: number;
        current_txn_first_offset: number | null;
      }[];
      /** When each producer id's state is forgotten unless a batch of it arrives first
       *  (producer.id.expiration.ms after its last batch, at the next periodic check). */
      expiries: { producer_id: number; since_ms: number; at_ms: number }[];
    }[];
  }[];
  partitions: { id: number; replicas: number[]; leader: number | null; isr: number[]; leader_epoch: number }[];
  messages: {
    id: number;
    from: NodeRef;
    to: NodeRef;
    sent_ms: number;
    arrive_ms: number;
    kind: "produce" | "response" | "init_producer_id" | "reset" | "fetch" | "txn" | "marker" | (string & {});
    label: string;
    request: number | null;
    doomed: boolean;
  }[];
  /** The coordinator's state for every transactional id. */
  transactions: TxnMetadata[];
  /** Producer–broker links cut now: nothing passes between `since_ms` and `until_ms`. */
  links_cut: { producer: number; broker: number; since_ms: number; until_ms: number }[];
}

export interface Counters {
  requests_sent: number;
  batches_sent: number;
  retries: number;
  duplicates_prevented: number;
  duplicates_written: number;
  reorderings: number;
  acked: number;
  failed: number;
  lost: number;
  epoch_bumps: number;
}

export interface InvariantResult {
  id: string;
  description: string;
  /** False when the run does not meet the invariant's preconditions (it then holds vacuously). */
  applicable: boolean;
  holds: boolean;
  violation_count: number;
  violations: { event: number | null; explanation: string; mechanism: Mechanism }[];
}

export interface Report {
  scenario: string;
  seed: number;
  finished_at_ms: number;
  finished_because: string;
  event_count: number;
  responses: {
    time_ms: number;
    producer: number | null;
    producer_id: number;
    epoch: number;
    partition: number;
    base_sequence: number;
    last_sequence: number;
    attempt: number;
    broker: number;
    error: KafkaError;
    base_offset: number;
    delivered: boolean;
  }[];
  partitions: {
    partition: number;
    leader: number | null;
    high_watermark: number;
    last_stable_offset: number;
    log: LogEntry[];
    /** Values a read_uncommitted consumer receives. */
    read_uncommitted: string[];
    /** Values a read_committed consumer receives (no aborted data, nothing past the LSO). */
    read_committed: string[];
  }[];
  records: ({ producer: number; message: number; key: string; value: string; partition: number } & MessageOutcome)[];
  counters: Counters;
  invariants: InvariantResult[];
  /** Transactional runs only: every transaction's outcome. */
  transactions?: ({ producer: number; transactional_id: string } & TxnOutcome)[];
  /** Scenarios with a story only: the beats the run reached. */
  beats?: ReachedBeat[];
}
