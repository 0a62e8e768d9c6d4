//! The newest records of each partition log and what its consumers receive now, with totals
//! over the whole log: what a player draws, at a cost that grows with the log only by one pass
//! over its records (views, with their key and value strings, are built for the newest `tail`
//! records only; a full [`Snapshot`](crate::Snapshot) builds one per record of every replica).

use std::collections::VecDeque;

use serde::Serialize;

use crate::engine::{LogBatch, LogRecord, Replica, Simulation};
use crate::message_map::MessageMap;
use crate::snapshot::{message_key, message_value, LogEntryView};
use crate::types::*;

/// One partition, read from the replica that stands for it (its leader, or else its first
/// replica, as the report does).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogTail {
    pub partition: PartitionId,
    pub broker: BrokerId,
    pub has_leader: bool,
    pub high_watermark: Offset,
    pub last_stable_offset: Offset,
    /// Records in the log (markers included).
    pub records: usize,
    /// The newest records, oldest first: the last `records - omitted` of the log.
    pub newest: Vec<LogEntryView>,
    /// Second copies of an application message in the whole log (aborted data aside, as in
    /// [`LogEntryView::duplicate_of`]).
    pub duplicates: usize,
    /// Of those, how many are older than `newest`.
    pub omitted_duplicates: usize,
    /// The newest second copy in the whole log, so a drawing of the newest cells can keep one
    /// in sight when it is older than they are.
    pub newest_duplicate: Option<LogEntryView>,
    /// Data records of aborted transactions.
    pub aborted: usize,
    /// What a consumer reading from the start with `isolation.level=read_uncommitted` receives:
    /// data up to the high watermark, aborted or not.
    pub read_uncommitted: ConsumerTail,
    /// With `read_committed`: data up to the last stable offset, aborted transactions skipped.
    pub read_committed: ConsumerTail,
}

impl LogTail {
    /// Records older than `newest`.
    pub fn omitted(&self) -> usize {
        self.records - self.newest.len()
    }
}

/// A consumer's list of values: how many, how many it received again, and the newest ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConsumerTail {
    pub count: usize,
    /// Values received for the second (third, …) time.
    pub repeats: usize,
    /// The newest values, oldest first.
    pub newest: Vec<Consumed>,
}

/// One value a consumer receives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consumed {
    /// Its place in the consumer's list, from 0.
    pub position: usize,
    pub offset: Offset,
    pub value: String,
    /// The place in the same list of the first copy, when this message was received before.
    pub repeat_of: Option<usize>,
    /// Data of an aborted transaction (only read_uncommitted receives it).
    pub aborted: bool,
    /// Data of a transaction not decided yet, at or above the last stable offset
    /// (read_committed does not receive it yet).
    pub undecided: bool,
}

/// A consumer's list as the log is read: values are kept as message ids until the end, when
/// only the newest become strings.
struct ConsumerList {
    keep: usize,
    count: usize,
    repeats: usize,
    first: MessageMap<usize>,
    /// The newest values received (their `value` still empty) and their message ids.
    newest: VecDeque<(Consumed, Option<(ProducerIndex, u32)>)>,
}

impl ConsumerList {
    fn new(keep: usize, first: MessageMap<usize>) -> ConsumerList {
        ConsumerList {
            keep,
            count: 0,
            repeats: 0,
            first,
            newest: VecDeque::new(),
        }
    }

    /// One data record read; `flags` are (aborted, undecided).
    fn receive(
        &mut self,
        offset: Offset,
        message: Option<(ProducerIndex, u32)>,
        (aborted, undecided): (bool, bool),
    ) {
        let position = self.count;
        self.count += 1;
        let repeat_of = message.and_then(|m| {
            let first = self.first.get_or_insert(m, position);
            (first != position).then_some(first)
        });
        self.repeats += usize::from(repeat_of.is_some());
        if self.keep == 0 {
            return;
        }
        if self.newest.len() == self.keep {
            self.newest.pop_front();
        }
        let consumed = Consumed {
            position,
            offset,
            value: String::new(),
            repeat_of,
            aborted,
            undecided,
        };
        self.newest.push_back((consumed, message));
    }

    fn finish(self) -> ConsumerTail {
        let value = |m: Option<(ProducerIndex, u32)>| {
            m.map_or_else(|| "crafted".to_string(), |m| message_value(m.0, m.1))
        };
        ConsumerTail {
            count: self.count,
            repeats: self.repeats,
            newest: self
                .newest
                .into_iter()
                .map(|(c, m)| Consumed {
                    value: value(m),
                    ..c
                })
                .collect(),
        }
    }
}

/// One record as drawn: key and value as the model names them, flags as the log decides them.
pub(crate) fn entry_view(
    batch: &LogBatch,
    record: &LogRecord,
    (aborted, log_start_offset): (bool, Offset),
    duplicate_of: Option<Offset>,
) -> LogEntryView {
    LogEntryView {
        deleted: record.offset < log_start_offset,
        offset: record.offset,
        producer_id: batch.producer_id,
        epoch: batch.epoch,
        sequence: record.sequence,
        producer: record.message.map(|m| m.0),
        message: record.message.map(|m| m.1),
        key: match (batch.control, record.message) {
            (Some(_), _) => "marker".into(),
            (None, Some(m)) => message_key(m.1),
            (None, None) => "crafted".into(),
        },
        value: match (batch.control, record.message) {
            (Some(marker), _) => crate::words::marker(marker).into(),
            (None, Some(m)) => message_value(m.0, m.1),
            (None, None) => "crafted".into(),
        },
        duplicate_of,
        transactional: batch.transactional,
        control: batch.control,
        batch_id: batch.client_batch,
        aborted,
    }
}

/// Data of a transaction that was aborted: read_committed consumers skip it.
pub(crate) fn is_aborted_record(replica: &Replica, batch: &LogBatch, record: &LogRecord) -> bool {
    batch.control.is_none()
        && batch.transactional
        && replica.is_aborted(batch.producer_id, record.offset)
}

/// Walks a log once: first copies (aborted data is neither a first copy nor a second one),
/// totals, the newest `keep` entries and both consumers' lists.
struct LogWalk {
    keep: usize,
    skip: usize,
    index: usize,
    first_seen: MessageMap<Offset>,
    newest: Vec<LogEntryView>,
    duplicates: usize,
    omitted_duplicates: usize,
    aborted: usize,
    /// The replica's log start offset: records below it are shown as deleted.
    log_start: Offset,
    /// The newest second copy so far: its offset and the first copy's (its view is built
    /// once, after the walk).
    newest_duplicate: Option<(Offset, Offset)>,
}

impl LogWalk {
    fn visit(&mut self, batch: &LogBatch, record: &LogRecord, aborted: bool) -> Option<Offset> {
        let duplicate_of = record.message.filter(|_| !aborted).and_then(|m| {
            let first = self.first_seen.get_or_insert(m, record.offset);
            (first != record.offset).then_some(first)
        });
        let omitted = self.index < self.skip;
        if let Some(first) = duplicate_of {
            self.newest_duplicate = Some((record.offset, first));
        }
        self.duplicates += usize::from(duplicate_of.is_some());
        self.omitted_duplicates += usize::from(duplicate_of.is_some() && omitted);
        self.aborted += usize::from(aborted);
        if !omitted && self.newest.len() < self.keep {
            self.newest.push(entry_view(
                batch,
                record,
                (aborted, self.log_start),
                duplicate_of,
            ));
        }
        self.index += 1;
        duplicate_of
    }
}

/// The view of the second copy at `offset` (never aborted data: that is no copy).
fn duplicate_view(replica: &Replica, offset: Offset, first: Offset) -> Option<LogEntryView> {
    let i = replica.log.partition_point(|b| b.last_offset() < offset);
    let batch = replica.log.get(i)?;
    let record = batch.records.iter().find(|r| r.offset == offset)?;
    let flags = (false, replica.log_start_offset);
    Some(entry_view(batch, record, flags, Some(first)))
}

impl Simulation {
    /// Every partition's [`LogTail`], with at most `tail` records and `tail` values per
    /// consumer list.
    pub fn log_tails(&self, tail: usize) -> Vec<LogTail> {
        self.partitions
            .iter()
            .map(|meta| self.log_tail(meta.id, meta.leader.is_some(), tail))
            .collect()
    }

    fn log_tail(&self, partition: PartitionId, has_leader: bool, tail: usize) -> LogTail {
        let broker = self.reference_broker(partition);
        let replica = self.brokers[broker as usize].replica(partition);
        let records = replica.record_count();
        let (hw, lso) = (replica.high_watermark, replica.last_stable_offset());
        let mut walk = LogWalk {
            keep: tail,
            skip: records.saturating_sub(tail),
            index: 0,
            first_seen: self.message_map(),
            newest: Vec::with_capacity(tail.min(records)),
            duplicates: 0,
            omitted_duplicates: 0,
            aborted: 0,
            log_start: replica.log_start_offset,
            newest_duplicate: None,
        };
        let mut uncommitted = ConsumerList::new(tail, self.message_map());
        let mut committed = ConsumerList::new(tail, self.message_map());
        for batch in &replica.log {
            for record in &batch.records {
                let aborted = is_aborted_record(replica, batch, record);
                walk.visit(batch, record, aborted);
                if batch.control.is_some() {
                    continue;
                }
                if record.offset < replica.log_start_offset {
                    continue;
                }
                if record.offset < hw {
                    let undecided = !aborted && batch.transactional && record.offset >= lso;
                    uncommitted.receive(record.offset, record.message, (aborted, undecided));
                }
                if record.offset < lso && !aborted {
                    committed.receive(record.offset, record.message, (false, false));
                }
            }
        }
        LogTail {
            partition,
            broker,
            has_leader,
            high_watermark: hw,
            last_stable_offset: lso,
            records,
            newest: walk.newest,
            duplicates: walk.duplicates,
            omitted_duplicates: walk.omitted_duplicates,
            newest_duplicate: walk
                .newest_duplicate
                .and_then(|(offset, first)| duplicate_view(replica, offset, first)),
            aborted: walk.aborted,
            read_uncommitted: uncommitted.finish(),
            read_committed: committed.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ConsumerTail, LogTail};
    use crate::report::consumer_views;
    use crate::{presets, Simulation};

    fn finished(id: &str) -> Simulation {
        let mut sim = Simulation::new(presets::get(id).unwrap()).unwrap();
        sim.run_to_end();
        sim
    }

    /// The tail agrees with the full snapshot's log and with the report's consumer lists, for
    /// every preset and tails shorter and longer than the logs.
    #[test]
    fn a_tail_is_the_end_of_the_whole_log() {
        for id in presets::ids() {
            let sim = finished(id);
            let snap = sim.snapshot();
            for keep in [0, 1, 3, 1000] {
                for t in sim.log_tails(keep) {
                    let full = &snap.brokers[t.broker as usize]
                        .replicas
                        .iter()
                        .find(|r| r.partition == t.partition)
                        .unwrap()
                        .log;
                    assert_eq!(t.records, full.len(), "{id}");
                    assert_eq!(
                        t.newest,
                        full[full.len() - t.newest.len()..],
                        "{id} keep {keep}"
                    );
                    assert_eq!(t.newest.len(), keep.min(full.len()));
                    let dups = full.iter().filter(|e| e.duplicate_of.is_some());
                    assert_eq!(t.duplicates, dups.clone().count(), "{id}");
                    assert_eq!(
                        t.newest_duplicate.as_ref(),
                        dups.clone().next_back(),
                        "{id}"
                    );
                    assert_eq!(
                        t.omitted_duplicates,
                        full[..t.omitted()]
                            .iter()
                            .filter(|e| e.duplicate_of.is_some())
                            .count()
                    );
                    assert_eq!(t.aborted, full.iter().filter(|e| e.aborted).count());
                    let (u, c) = consumer_views(full, t.high_watermark, t.last_stable_offset);
                    for (list, values) in [(&t.read_uncommitted, u), (&t.read_committed, c)] {
                        assert_eq!(list.count, values.len(), "{id}");
                        let shown: Vec<&str> =
                            list.newest.iter().map(|v| v.value.as_str()).collect();
                        let expected: Vec<&str> = values[values.len() - shown.len()..]
                            .iter()
                            .map(String::as_str)
                            .collect();
                        assert_eq!(shown, expected, "{id} keep {keep}");
                        for v in &list.newest {
                            if let Some(first) = v.repeat_of {
                                assert_eq!(
                                    values[first], v.value,
                                    "{id}: a repeat points at its first copy"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn duplicates_written_without_idempotence_are_counted_and_received_twice() {
        let sim = finished("lost-ack-no-idempotence");
        let tails = sim.log_tails(2);
        let t = &tails[0];
        assert_eq!(t.duplicates, 5);
        assert_eq!(t.read_uncommitted.repeats, 5);
        assert_eq!(t.read_committed.repeats, 5);
        assert_eq!(t.newest.len(), 2);
        let last = t.read_uncommitted.newest.last().unwrap();
        assert_eq!(last.position, t.read_uncommitted.count - 1);
    }

    #[test]
    fn abort_hides_records_from_read_committed_only() {
        let tails = finished("abort-hides-records").log_tails(100);
        let p0 = &tails[0];
        let (u, c) = (&p0.read_uncommitted, &p0.read_committed);
        assert_eq!((u.count, c.count), (6, 4));
        assert_eq!(u.repeats, 0);
        let aborted: Vec<&str> = u
            .newest
            .iter()
            .filter(|v| v.aborted)
            .map(|v| v.value.as_str())
            .collect();
        assert_eq!(aborted.len(), 2);
        assert!(c
            .newest
            .iter()
            .all(|v| !aborted.contains(&v.value.as_str())));
        assert!(u.newest.iter().all(|v| !v.undecided));
    }

    #[test]
    fn a_restarted_transactional_producer_is_read_once_by_read_committed() {
        let tails = finished("restart-with-transactional-id").log_tails(100);
        let repeats =
            |f: fn(&LogTail) -> &ConsumerTail| tails.iter().map(|t| f(t).repeats).sum::<usize>();
        assert!(
            repeats(|t| &t.read_uncommitted) > 0,
            "the raw log has both copies"
        );
        assert_eq!(repeats(|t| &t.read_committed), 0);
    }

    #[test]
    fn records_of_an_open_transaction_are_undecided() {
        let mut sim = Simulation::new(presets::get("multi-partition-commit").unwrap()).unwrap();
        // Until the COMMIT markers are written, read_committed waits for the open transaction.
        let mut seen = false;
        while sim.step() {
            for t in sim.log_tails(100) {
                let u = &t.read_uncommitted;
                let undecided = u.newest.iter().filter(|v| v.undecided).count();
                assert_eq!(undecided, u.count - t.read_committed.count);
                seen |= undecided > 0;
            }
        }
        assert!(seen, "some moment shows undecided records");
    }
}
