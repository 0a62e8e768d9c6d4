// Typed shapes of the objects the Lab API takes and returns, appended to
// idempotence_wasm.d.ts by wasm-bindgen (typescript_custom_section in crates/wasm/src/lib.rs).
// GENERATED from the Rust types by crates/sim/src/typescript.rs; do not edit by hand:
// UPDATE_TYPES=1 cargo test -p idempotence-sim --test typescript
// Numbers are simulated milliseconds, offsets, ids and counts: plain JS numbers below 2^53.

/**
 * A whole run: cluster, producers, workload, faults, seed.
 */
export type Scenario = {
  name?: string,
  /**
   * A paragraph for the UI explaining what the scenario shows.
   */
  caption?: string,
  seed?: number,
  /**
   * The run stops here at the latest, even if work remains.
   */
  duration_ms?: number,
  cluster?: ClusterConfig,
  network?: NetworkConfig,
  producers: Array<ProducerSpec>,
  faults?: Array<ScriptedFault>,
  random_faults?: FaultRates,
  /**
   * The story told as the run goes: each beat is shown from the event it names on.
   */
  beats?: Array<Beat>
};

/**
 * One producer application: its client configuration and what it sends.
 */
export type ProducerSpec = {
  /**
   * The Java client's release, `"3.0"` to `"4.5"` (a patch as `"3.0.1"`); `"3.9"` when left
   * out. What changes with it: `docs/versions.md`.
   */
  client_version?: string,
  config?: ProducerConfig,
  workload: Workload
};

/**
 * Producer configuration as a user writes it (Java client 3.2+ names and defaults).
 * `enable.idempotence` is optional so the model can tell "explicitly true" from "default".
 */
export type ProducerConfig = {
  "enable.idempotence"?: boolean,
  acks?: Acks,
  /**
   * Kafka's default is `Integer.MAX_VALUE`.
   */
  retries?: number,
  "max.in.flight.requests.per.connection"?: number,
  /**
   * Counted in records (not bytes) so a batch is easy to see.
   */
  "batch.size"?: number,
  /**
   * Unset: the client's default (0 before 4.0, 5 from 4.0, KIP-1030).
   */
  "linger.ms"?: number,
  "request.timeout.ms"?: number,
  "delivery.timeout.ms"?: number,
  "retry.backoff.ms"?: number,
  "retry.backoff.max.ms"?: number,
  /**
   * Makes the producer transactional: one producer id per id across restarts, fencing.
   */
  "transactional.id"?: string,
  "transaction.timeout.ms"?: number
};

/**
 * `acks`.
 */
export type Acks = "0" | "1" | "all" | "-1";

/**
 * Brokers, the topic and broker-side settings.
 */
export type ClusterConfig = {
  brokers?: number,
  partitions?: number,
  "replication.factor"?: number,
  "min.insync.replicas"?: number,
  "unclean.leader.election.enable"?: boolean,
  "producer.id.expiration.ms"?: number,
  "producer.id.expiration.check.interval.ms"?: number,
  "replica.lag.time.max.ms"?: number,
  "replica.fetch.wait.max.ms"?: number,
  /**
   * Top of the sequence space; Kafka's is 2147483647. Smaller values make wrap-around visible.
   */
  sequence_max?: number,
  /**
   * `kafka` (default) or `textbook` (the rule Kafka does not use, for teaching).
   */
  dedup_rule?: DedupRule,
  /**
   * The brokers' release, `"2.5"` to `"4.5"`; `"3.9"` when left out (or `"4.5"` with the
   * old switch below). What changes with it: `docs/versions.md`.
   */
  broker_version?: string,
  /**
   * The `transaction.version` feature the cluster finalized: 1, or 2 (KIP-890 part 2, brokers
   * 4.0+). Left out: what a new cluster of these brokers finalizes (2 from 4.0).
   */
  "transaction.version"?: number,
  /**
   * The switch from before versions, still read: `true` means brokers 4.5 (KAFKA-15591, an
   * unknown producer must start at sequence 0 on a partition that never held a record).
   * Write `"broker_version": "4.5"` instead.
   */
  new_partition_requires_sequence_zero?: boolean
};

/**
 * Which duplicate rule the leader applies.
 */
export type DedupRule = "kafka" | "textbook";

/**
 * Per-link network behaviour. All latencies are one-way.
 */
export type NetworkConfig = {
  latency_ms?: number,
  /**
   * Uniform jitter added to each message, drawn from the seed.
   */
  jitter_ms?: number
};

/**
 * The messages an application sends with `send()`.
 */
export type Workload = {
  messages: number,
  start_ms?: number,
  /**
   * 0 sends them all at `start_ms`, in one burst.
   */
  interval_ms?: number,
  /**
   * A fixed partition, or round-robin over all partitions when absent.
   */
  partition?: number,
  /**
   * Extra messages sent all at once at given times, after or between the regular ones.
   */
  bursts?: Array<Burst>,
  /**
   * For a producer with `transactional.id`: how messages are grouped into transactions.
   */
  transactions?: TransactionPlan
};

/**
 * Several messages sent in the same instant.
 */
export type Burst = { at_ms: number, messages: number };

/**
 * Messages `k*size .. (k+1)*size` form transaction `k`; the ones listed in `abort` are
 * aborted by the application instead of committed.
 */
export type TransactionPlan = { size: number, abort?: Array<number> };

/**
 * A fault in a scenario's script.
 */
export type ScriptedFault = { when: Trigger, fault: Fault };

/**
 * When a scripted fault fires.
 */
export type Trigger = { "at_ms": number }
  | { "request": BatchMatcher }
  | { "response": BatchMatcher }
  | { "read": BatchMatcher };

/**
 * Picks out batches of produce requests or responses. Every field given must match.
 */
export type BatchMatcher = {
  producer?: number,
  partition?: number,
  /**
   * The n-th batch (0-based) the producer created for the partition. Works with and without
   * idempotence (non-idempotent batches have no sequence).
   */
  batch?: number,
  base_sequence?: number,
  /**
   * 1 for the first send, 2 for the first retry, ...
   */
  attempt?: number
};

/**
 * Something that goes wrong, or a probe an expert sends.
 */
export type Fault = { "type": "drop_request" }
  | { "type": "drop_response" }
  | { "type": "corrupt_request" }
  | { "type": "reject_batch", error?: Rejection }
  | {
    "type": "cut_link",
    producer: number,
    broker: number,
    duration_ms: number
  }
  | {
    "type": "crash_broker",
    broker: number,
    clean?: boolean,
    down_ms: number
  }
  | {
    "type": "crash_leader",
    partition: number,
    clean?: boolean,
    down_ms: number
  }
  | { "type": "stall_replication", broker: number, duration_ms: number }
  | { "type": "shrink_isr", partition: number, broker: number }
  | { "type": "restart_producer", producer: number, down_ms?: number }
  | { "type": "expire_producer_state", partition: number }
  | { "type": "delete_records", partition: number, offset?: number }
  | {
    "type": "inject_produce",
    partition: number,
    producer_id: number,
    epoch: number,
    base_sequence: number,
    record_count: number
  };

/**
 * The non-retriable errors a `reject_batch` fault can answer with. The first two are checked
 * by `KafkaApis.handleProduceRequest` before the partition is looked at, so they come first,
 * before NOT_LEADER_OR_FOLLOWER or NOT_ENOUGH_REPLICAS; MESSAGE_TOO_LARGE is the log's, after
 * the partition's checks.
 */
export type Rejection = "INVALID_RECORD" | "TOPIC_AUTHORIZATION_FAILED" | "MESSAGE_TOO_LARGE";

/**
 * Random faults, drawn from the seed.
 */
export type FaultRates = {
  /**
   * Probability that a produce request is lost (stalling its connection until timeout).
   */
  drop_request?: number,
  /**
   * Probability that a produce response is lost (resetting its connection).
   */
  drop_response?: number,
  /**
   * Probability that a produce request arrives with a bad CRC: the leader answers
   * CORRUPT_MESSAGE (retriable) and appends nothing, while later requests on the
   * connection are handled as usual, so the log can see a gap in the sequences.
   */
  corrupt_request?: number
};

/**
 * One beat of a scenario's story.
 */
export type Beat = {
  /**
   * The event that starts this beat: an object whose fields must all equal the event's, as
   * in the JSON event log (nested objects match field by field), e.g.
   * `{"type": "batch_verdict", "verdict": "duplicate"}`.
   */
  when: { type: LabEvent["type"] } & Record<string, unknown>,
  /**
   * Which matching event starts it, counting from the previous beat's (1 = the first).
   */
  nth?: number,
  /**
   * What the reader should see now: one or two sentences.
   */
  text: string,
  /**
   * A guided player stops here until the reader continues.
   */
  pause?: boolean
};

/**
 * A preset id; `presets()` lists them with their captions.
 */
export type PresetId = "happy-path" | "lost-ack" | "lost-ack-no-idempotence" | "client-3-0-default" | "pipelined-retry" | "reorder-no-idempotence" | "failover-replicated" | "failover-unreplicated" | "producer-restart" | "state-expiry" | "records-deleted" | "epoch-bump" | "rejected-batch-duplicate" | "acks-1-loss" | "textbook-rule-loss" | "zombie-fencing" | "abort-hides-records" | "late-transactional-batch" | "restart-with-transactional-id" | "multi-partition-commit";

/**
 * `(id, caption)` of every preset.
 * A preset as the JS API lists it.
 */
export type Preset = { id: PresetId, caption: string };

/**
 * One thing that happened, at a simulated time. `index` is its position in the run.
 */
export type LabEvent = { index: number, time_ms: number } & EventKind;

export type EventKind = {
  "type": "record_sent",
  producer: number,
  message: number,
  partition: number,
  resend: boolean
}
  | {
    "type": "producer_id_assigned",
    producer: number,
    producer_id: number,
    epoch: number
  }
  | {
    "type": "request_sent",
    producer: number | null,
    broker: number,
    request: number,
    batches: Array<BatchRef>
  }
  | { "type": "request_lost", request: number, why: string }
  | {
    "type": "batch_verdict",
    broker: number,
    request: number,
    batch: BatchRef,
    /**
     * The verdict in plain words.
     */
    explanation: string
  } & ({
    "verdict": "appended",
    base_offset: number,
    last_offset: number,
    /**
     * The leader had no state for this producer id: any sequence was accepted (KIP-360).
     */
    unknown_producer: boolean
  }
    | { "verdict": "duplicate", base_offset: number, last_offset: number }
    | {
      "verdict": "rejected",
      error: KafkaError,
      reason: RejectReason | null
    }
    | { "verdict": "textbook_discarded", last_seen: number })
  | {
    "type": "response_sent",
    broker: number,
    producer: number | null,
    request: number,
    results: Array<PartitionResult>
  }
  | { "type": "response_lost", request: number }
  | {
    "type": "connection_closed",
    producer: number,
    broker: number,
    error: KafkaError,
    failed_requests: Array<number>
  }
  | {
    "type": "response_received",
    producer: number,
    request: number,
    results: Array<PartitionResult>
  }
  | {
    "type": "batch_acked",
    producer: number,
    batch: BatchRef,
    base_offset: number
  }
  | {
    "type": "batch_retrying",
    producer: number,
    batch: BatchRef,
    error: KafkaError,
    next_attempt: number,
    backoff_ms: number
  }
  | {
    "type": "batch_failed",
    producer: number,
    batch: BatchRef,
    error: KafkaError,
    /**
     * Whether the broker may have written it anyway (the fate is unknown to the client).
     */
    maybe_written: boolean
  }
  | {
    "type": "batch_split",
    producer: number,
    batch: BatchRef,
    into: Array<BatchRef>
  }
  | {
    "type": "epoch_bumped",
    producer: number,
    producer_id: number,
    epoch: number,
    partitions: Array<number>,
    why: string
  }
  | {
    "type": "sequence_unresolved",
    producer: number,
    partition: number,
    next_sequence: number
  }
  | { "type": "sequence_resolved", producer: number, partition: number }
  | {
    "type": "replica_fetched",
    follower: number,
    partition: number,
    from_offset: number,
    to_offset: number
  }
  | {
    "type": "high_watermark_advanced",
    broker: number,
    partition: number,
    high_watermark: number
  }
  | {
    "type": "isr_changed",
    partition: number,
    isr: Array<number>,
    why: string
  }
  | {
    "type": "leader_elected",
    partition: number,
    leader: number | null,
    leader_epoch: number,
    unclean: boolean
  }
  | {
    "type": "log_truncated",
    broker: number,
    partition: number,
    to_offset: number,
    removed_records: number
  }
  | { "type": "broker_stopped", broker: number, clean: boolean }
  | {
    "type": "broker_started",
    broker: number,
    /**
     * How producer state was rebuilt: "snapshot" (last batch only) or "log replay".
     */
    producer_state_from: string,
    /**
     * A clean shutdown's snapshot was loaded (it keeps the last batch of each producer).
     */
    from_snapshot: boolean
  }
  | {
    "type": "producer_state_expired",
    broker: number,
    partition: number,
    producer_id: number,
    /**
     * Forgotten by an `expire_producer_state` fault rather than `producer.id.expiration.ms`.
     */
    by_fault: boolean
  }
  | {
    "type": "records_deleted",
    partition: number,
    log_start_offset: number
  }
  | {
    "type": "producer_restarted",
    producer: number,
    unacknowledged_messages: number
  }
  | {
    "type": "fault_injected",
    description: string,
    /**
     * The scripted or injected fault; absent for random loss.
     */
    fault?: Fault | null
  }
  | { "type": "link_healed", producer: number, broker: number }
  | { "type": "run_finished", why: string }
  | { "type": "transaction_begun", producer: number, transaction: number }
  | {
    "type": "transaction_ended",
    producer: number,
    transaction: number,
    committed: boolean,
    producer_id: number,
    epoch: number
  }
  | {
    "type": "transaction_prepared",
    transactional_id: string,
    commit: boolean,
    partitions: Array<number>
  }
  | {
    "type": "transaction_fenced",
    transactional_id: string,
    producer_id: number,
    epoch: number,
    why: string
  }
  | {
    "type": "transaction_completed",
    transactional_id: string,
    committed: boolean
  }
  | {
    "type": "marker_written",
    broker: number,
    partition: number,
    producer_id: number,
    epoch: number,
    marker: ControlMarker,
    offset: number
  }
  | {
    "type": "producer_fenced",
    producer: number,
    producer_id: number,
    epoch: number,
    error: KafkaError
  };

/**
 * What an event is about, for filtering and colouring a log of events.
 */
export type EventCategory = "producer" | "network" | "broker" | "duplicate" | "ack" | "retry" | "fault" | "error" | "transaction";

/**
 * The producer fields of one batch as it travels in a request.
 */
export type BatchRef = {
  batch_id: number,
  producer: number | null,
  partition: number,
  producer_id: number,
  epoch: number,
  base_sequence: number,
  last_sequence: number,
  record_count: number,
  attempt: number
};

/**
 * The leader's decision on one batch, as said in the UI.
 */
export type BrokerVerdict = {
  "verdict": "appended",
  base_offset: number,
  last_offset: number,
  /**
   * The leader had no state for this producer id: any sequence was accepted (KIP-360).
   */
  unknown_producer: boolean
}
  | { "verdict": "duplicate", base_offset: number, last_offset: number }
  | {
    "verdict": "rejected",
    error: KafkaError,
    reason: RejectReason | null
  }
  | { "verdict": "textbook_discarded", last_seen: number };

/**
 * Why a batch was rejected, so the UI can say it in words.
 */
export type RejectReason = { "kind": "out_of_order", expected: number, got: number }
  | { "kind": "new_epoch_not_at_zero", got: number }
  | { "kind": "unknown_producer_not_at_zero", got: number }
  | { "kind": "stale_epoch", current: number, got: number }
  | { "kind": "not_in_transaction" }
  | { "kind": "fenced_by_coordinator" }
  | { "kind": "transaction_open" }
  | { "kind": "transaction_completing" };

/**
 * A per-partition result inside a produce response.
 */
export type PartitionResult = { partition: number, error: KafkaError, base_offset: number };

/**
 * The kind of a control batch: the end of a transaction.
 */
export type ControlMarker = "commit" | "abort";

/**
 * A Kafka error as it appears in a produce response. `None` is success.
 */
export type KafkaError = "NONE" | "CORRUPT_MESSAGE" | "UNKNOWN_TOPIC_OR_PARTITION" | "LEADER_NOT_AVAILABLE" | "NOT_LEADER_OR_FOLLOWER" | "REQUEST_TIMED_OUT" | "NETWORK_EXCEPTION" | "NOT_ENOUGH_REPLICAS" | "NOT_ENOUGH_REPLICAS_AFTER_APPEND" | "OUT_OF_ORDER_SEQUENCE_NUMBER" | "DUPLICATE_SEQUENCE_NUMBER" | "INVALID_PRODUCER_EPOCH" | "UNKNOWN_PRODUCER_ID" | "INVALID_TXN_STATE" | "CONCURRENT_TRANSACTIONS" | "PRODUCER_FENCED" | "DELIVERY_TIMEOUT" | "INVALID_RECORD" | "TOPIC_AUTHORIZATION_FAILED" | "MESSAGE_TOO_LARGE";

/**
 * An endpoint of the network.
 */
export type NodeRef = { "kind": "producer", "id": number }
  | { "kind": "broker", "id": number }
  | { "kind": "injector" };

export type Snapshot = {
  time_ms: number,
  finished: string | null,
  event_count: number,
  producers: Array<ProducerView>,
  brokers: Array<BrokerView>,
  partitions: Array<PartitionView>,
  messages: Array<MessageView>,
  /**
   * The transaction coordinator's state for every transactional id.
   */
  transactions: Array<TxnMetadata>,
  /**
   * Links between a producer and a broker that are cut now, and until when.
   */
  links_cut: Array<LinkCutView>
};

export type ProducerView = {
  index: number,
  alive: boolean,
  idempotent: boolean,
  producer_id: number,
  epoch: number,
  partitions: Array<ClientPartitionView>,
  /**
   * What the application was told for each message so far.
   */
  outcomes: Array<MessageOutcome>,
  messages_sent: number,
  messages_total: number,
  /**
   * For a transactional producer: its id, state, current transaction and past outcomes.
   */
  transaction: ClientTxnView | null,
  /**
   * The next `request.timeout.ms` to run out: the oldest produce request still unanswered on
   * any connection, from when it was sent to when the client gives up on it.
   */
  request_timeout: [number, number] | null,
  /**
   * The Java client's release when the scenario names one (`null`: the default, 3.9).
   */
  client_version: string | null
};

export type ClientPartitionView = {
  partition: number,
  next_sequence: number,
  last_acked_sequence: number,
  unresolved_next_sequence: number | null,
  /**
   * Batches in the accumulator, head first (retries included).
   */
  queued: Array<BatchRef>,
  /**
   * While the head batch waits out its retry backoff: when the wait began and when it ends.
   */
  backoff: [number, number] | null,
  /**
   * Batches on the wire, oldest first.
   */
  in_flight: Array<BatchRef>,
  /**
   * The oldest unfinished batch's `delivery.timeout.ms`: from its creation to when the
   * client fails it if it is still not acknowledged.
   */
  delivery_timeout: [number, number] | null
};

export type ClientTxnView = {
  transactional_id: string,
  index: number,
  attempt: number,
  added_partitions: Array<number>,
  outcomes: Array<TxnOutcome>
} & ({ "state": "awaiting_producer_id" }
  | { "state": "ready" }
  | { "state": "in_transaction" }
  | { "state": "ending", commit: boolean }
  | { "state": "fatal", error: KafkaError });

/**
 * The transactional client's state (`TransactionManager.State`), named by what it waits for.
 */
export type ClientTxnState = { "state": "awaiting_producer_id" }
  | { "state": "ready" }
  | { "state": "in_transaction" }
  | { "state": "ending", commit: boolean }
  | { "state": "fatal", error: KafkaError };

/**
 * What happened to one transaction of the application.
 */
export type TxnOutcome = {
  index: number,
  attempt: number,
  producer_id: number,
  epoch: number,
  result: TxnResult,
  messages: Array<number>
};

/**
 * How a transaction of the application ended.
 */
export type TxnResult = "committed" | "aborted" | "fenced" | "abandoned";

/**
 * What happened to one application message, as the application was told.
 */
export type MessageOutcome = { "status": "pending" }
  | { "status": "acked", offset: number }
  | { "status": "failed", error: KafkaError }
  | { "status": "abandoned" };

export type BrokerView = {
  id: number,
  alive: boolean,
  /**
   * While stopped: when it stopped and when it restarts.
   */
  down: [number, number] | null,
  replicas: Array<ReplicaView>,
  /**
   * The brokers' release when the scenario names one (it changes what they do).
   */
  broker_version: string | null
};

export type ReplicaView = {
  partition: number,
  is_leader: boolean,
  in_isr: boolean,
  log_end_offset: number,
  high_watermark: number,
  last_stable_offset: number,
  /**
   * The first offset consumers may read (moved up by DeleteRecords).
   */
  log_start_offset: number,
  log: Array<LogEntryView>,
  producer_state: Array<ProducerEntry>,
  /**
   * When each producer id's state will be forgotten if no batch of it arrives before.
   */
  expiries: Array<StateExpiryView>
};

/**
 * One record of a partition log, flattened for drawing.
 */
export type LogEntryView = {
  offset: number,
  producer_id: number,
  epoch: number,
  sequence: number,
  producer: number | null,
  message: number | null,
  key: string,
  value: string,
  /**
   * An earlier offset of this log already holds the same application message.
   */
  duplicate_of: number | null,
  /**
   * Written inside a transaction.
   */
  transactional: boolean,
  /**
   * A COMMIT or ABORT marker rather than data.
   */
  control: ControlMarker | null,
  /**
   * Data of an aborted transaction: read_committed consumers skip it.
   */
  aborted: boolean,
  /**
   * The producer's batch these records were sent in (`BatchRef::batch_id`), so a drawing can
   * give one batch one colour from the producer to the log; `None` for markers.
   */
  batch_id: number | null,
  /**
   * Below the log start offset (DeleteRecords): no consumer reads it any more.
   */
  deleted?: boolean
};

/**
 * `ProducerStateEntry`: the state of one producer id on one partition.
 */
export type ProducerEntry = {
  producer_id: number,
  epoch: number,
  /**
   * Oldest first, at most [`NUM_BATCHES_TO_RETAIN`].
   */
  batches: Array<CachedBatch>,
  /**
   * Max record timestamp of the last batch; expiry is measured from it.
   */
  last_timestamp_ms: number,
  /**
   * First offset of the producer's open transaction on this partition, if one is open.
   * Such a producer never expires, and the last stable offset cannot pass it.
   */
  current_txn_first_offset: number | null
};

/**
 * `BatchMetadata`: what the broker remembers of one appended batch.
 */
export type CachedBatch = {
  first_seq: number,
  last_seq: number,
  first_offset: number,
  last_offset: number,
  timestamp_ms: number
};

/**
 * A producer's state on a replica runs out `producer.id.expiration.ms` after its last batch's
 * timestamp and is removed by the first periodic check after that
 * (`ProducerStateManager.removeExpiredProducers`, every
 * `producer.id.expiration.check.interval.ms`). A producer with an open transaction never
 * expires, so it has none.
 */
export type StateExpiryView = {
  producer_id: number,
  /**
   * The last batch's timestamp: the clock starts here.
   */
  since_ms: number,
  /**
   * The check that will remove it.
   */
  at_ms: number
};

export type PartitionView = {
  id: number,
  replicas: Array<number>,
  leader: number | null,
  isr: Array<number>,
  leader_epoch: number
};

export type MessageView = {
  id: number,
  from: NodeRef,
  to: NodeRef,
  sent_ms: number,
  arrive_ms: number,
  kind: MessageKind,
  label: string,
  request: number | null,
  doomed: boolean
};

/**
 * What a message on the wire is, for drawing (serialized as its snake_case name).
 */
export type MessageKind = "produce" | "response" | "init_producer_id" | "reset" | "txn" | "marker" | "fetch";

/**
 * The coordinator's record of a transactional id (`TransactionMetadata`). It lives in the
 * replicated `__transaction_state` log, so it survives the coordinator broker.
 */
export type TxnMetadata = {
  transactional_id: string,
  producer_id: number,
  epoch: number,
  /**
   * The epoch before the last bump a client asked for (`lastProducerEpoch`): a retried bump
   * whose answer was lost gets the current epoch back instead of being fenced.
   */
  last_epoch: number,
  status: TxnStatus,
  partitions: Array<number>,
  /**
   * Partitions whose marker is not yet written.
   */
  pending_markers: Array<number>,
  started_ms: number | null,
  timeout_ms: number,
  /**
   * Each application's input position committed with its transactions (what
   * `sendOffsetsToTransaction` stores): the index of the transaction after its last commit.
   * Keyed by the scenario's producer: each producer spec is its own input stream.
   * Pairs `(producer, position)` (a list, so JS sees plain arrays rather than a map keyed by
   * numbers).
   */
  committed_positions: Array<[number, number]>,
  /**
   * Transactions v2: the producer id and epoch EndTxn bumped from, so a retried EndTxn
   * whose answer was lost gets the same answer (`TransactionMetadata.prevProducerId` and
   * `lastProducerEpoch`).
   */
  ended_from?: [number, number],
  /**
   * Transactions v2 with the epoch exhausted: the producer id the client continues with,
   * at epoch 0, once the markers are written (`TransactionMetadata.nextProducerId`).
   */
  next_producer_id?: number
};

export type TxnStatus = "empty" | "ongoing" | "prepare_commit" | "prepare_abort" | "complete_commit" | "complete_abort";

/**
 * A cut link between a producer and a broker: nothing passes until `until_ms`.
 */
export type LinkCutView = { producer: number, broker: number, since_ms: number, until_ms: number };

export type Report = {
  scenario: string,
  seed: number,
  finished_at_ms: number,
  finished_because: string,
  event_count: number,
  /**
   * Every produce response a broker sent, in order.
   */
  responses: Array<ResponseRecord>,
  /**
   * Each partition's final log on its leader (or, when it has none, its first replica).
   */
  partitions: Array<PartitionReport>,
  /**
   * What each application message's `send()` was finally told.
   */
  records: Array<RecordReport>,
  counters: Counters,
  invariants: Array<InvariantResult>,
  /**
   * Every transaction of every transactional producer, in order.
   */
  transactions?: Array<TransactionReport>,
  /**
   * The beats of the scenario's story the run reached, with their words.
   */
  beats?: Array<ReachedBeat>
};

/**
 * Every produce response a broker sent, for the report.
 */
export type ResponseRecord = {
  time_ms: number,
  producer: number | null,
  producer_id: number,
  epoch: number,
  partition: number,
  base_sequence: number,
  last_sequence: number,
  attempt: number,
  broker: number,
  error: KafkaError,
  base_offset: number,
  /**
   * Whether the client ever received it.
   */
  delivered: boolean
};

export type PartitionReport = {
  partition: number,
  leader: number | null,
  high_watermark: number,
  last_stable_offset: number,
  log: Array<LogEntryView>,
  /**
   * Values a read_uncommitted consumer receives: data up to the high watermark.
   */
  read_uncommitted: Array<string>,
  /**
   * Values a read_committed consumer receives: data up to the last stable offset, without
   * aborted transactions.
   */
  read_committed: Array<string>
};

export type RecordReport = {
  producer: number,
  message: number,
  key: string,
  value: string,
  partition: number
} & ({ "status": "pending" }
  | { "status": "acked", offset: number }
  | { "status": "failed", error: KafkaError }
  | { "status": "abandoned" });

export type TransactionReport = {
  producer: number,
  transactional_id: string,
  index: number,
  attempt: number,
  producer_id: number,
  epoch: number,
  result: TxnResult,
  messages: Array<number>
};

export type ReachedBeat = {
  text: string,
  /**
   * Its place in the scenario's `beats`.
   */
  beat: number,
  /**
   * The index of the event that started it.
   */
  event: number,
  time_ms: number
};

/**
 * Totals the UI shows as counters.
 */
export type Counters = {
  requests_sent: number,
  batches_sent: number,
  retries: number,
  duplicates_prevented: number,
  duplicates_written: number,
  reorderings: number,
  acked: number,
  failed: number,
  lost: number,
  epoch_bumps: number
};

export type InvariantResult = {
  id: string,
  description: string,
  /**
   * False when the run does not meet the invariant's preconditions (it then holds vacuously).
   */
  applicable: boolean,
  holds: boolean,
  violation_count: number,
  violations: Array<Violation>
};

export type Violation = {
  /**
   * The event where it happened, when one can be named.
   */
  event: number | null,
  explanation: string,
  /**
   * What caused it: a Kafka rule, a fault of the scenario, or `model_bug`.
   */
  mechanism: Mechanism
};

export type Mechanism = "idempotence_off" | "retry_overtook" | "producer_restart" | "epoch_bump_after_expiry" | "epoch_bump_after_rejection" | "split_after_write" | "state_expired" | "state_expired_by_fault" | "records_deleted" | "snapshot_keeps_last_batch" | "crafted_request" | "new_partition_race" | "acks_not_all" | "unclean_election" | "unverified_transactional_write" | "textbook_rule" | "small_sequence_space" | "model_bug";

/**
 * A sweep as a user writes it (`idempotence-sim sweep SPEC.json`, `docs/sweep.schema.json`).
 */
export type SweepSpec = {
  name?: string,
  /**
   * What the chart asks, as its title.
   */
  title?: string,
  /**
   * What the sweep shows, in one line (the presets' finding).
   */
  finding?: string,
  /**
   * The scenario every run starts from: a preset's name or a scenario object. Its scripted
   * faults and story are kept; its seed is replaced by each run's.
   */
  base: string | Record<string, unknown>,
  /**
   * Settings applied to the base before the series' and the axis'.
   */
  settings?: Array<Setting>,
  /**
   * What varies along the x axis.
   */
  x: Axis,
  /**
   * One line per series; none means one series with no settings of its own.
   */
  series?: Array<Series>,
  /**
   * Runs per point, each with its own seed.
   */
  seeds: number,
  /**
   * The measure a chart shows first (one of `duplicates_written`, `acked_then_lost`,
   * `reorderings`, `failed`, `latency_p50_ms`, `latency_p99_ms`).
   */
  measure?: string,
  /**
   * The first seed; run `k` of every point uses `explore::run_seed(seed, k)` (cut to 53
   * bits), so the same seed index meets the same network at every point.
   */
  seed?: number
};

/**
 * One change to the scenario: a knob (`drop_response`, `idempotence`, `acks`, …, or
 * `leader_crash_interval_ms`) or a JSON Pointer into the scenario (`/cluster/brokers`), and
 * its value.
 */
export type Setting = { set: string, to: unknown };

/**
 * The x axis: a knob and its values, listed or as an even range.
 */
export type Axis = {
  set: string,
  /**
   * How the chart labels the axis; the knob's name when left out.
   */
  label?: string,
  /**
   * The values, in order.
   */
  values?: Array<unknown>,
  /**
   * Or `steps` numbers evenly from `from` to `to`, both included.
   */
  range?: Range,
  /**
   * Suggest a logarithmic x scale to charts.
   */
  log?: boolean
};

export type Range = { from: number, to: number, steps: number };

/**
 * One line of the chart: a label and the settings that make it.
 */
export type Series = { label: string, settings?: Array<Setting> };

/**
 * A sweep preset as lists show it.
 */
export type SweepPreset = { name: string, title: string, finding: string };

/**
 * The measures of one run.
 */
export type RunMeasures = {
  /**
   * Records that are a second copy of a message in a partition log.
   */
  duplicates_written: number,
  /**
   * Messages `send()` was told were written that are not in the log at the end.
   */
  acked_then_lost: number,
  /**
   * Messages a consumer reads after a later message of the same producer.
   */
  reorderings: number,
  /**
   * Messages whose `send()` failed.
   */
  failed: number,
  /**
   * Milliseconds from `send()` to its acknowledgement, median and 99th percentile over the
   * run's acknowledged messages (0 when none was).
   */
  latency_p50_ms: number,
  latency_p99_ms: number
};

/**
 * A mean and its 95 % confidence interval (Student's t, cut at 0 below, as every measure
 * is a count or a duration; the interval is the mean itself when there is one run).
 */
export type Estimate = { mean: number, lo: number, hi: number };

/**
 * The statistics of one point of a sweep: every measure's estimate over its runs.
 */
export type PointStats = {
  runs: number,
  duplicates_written: Estimate,
  acked_then_lost: Estimate,
  reorderings: Estimate,
  failed: Estimate,
  latency_p50_ms: Estimate,
  latency_p99_ms: Estimate,
  /**
   * Runs with at least one duplicate written, lost acknowledgement or reordering: the
   * runs worth opening.
   */
  runs_with_anomalies: number
};

/**
 * The result of a whole sweep: per series, per x value, the point's statistics.
 */
export type SweepResult = {
  name: string,
  title: string,
  finding: string,
  x_label: string,
  x_log: boolean,
  /**
   * The measure a chart shows first.
   */
  measure: string,
  seeds: number,
  series: Array<SeriesResult>
};

export type SeriesResult = { label: string, points: Array<PointResult> };

export type PointResult = { x: unknown, stats: PointStats };
