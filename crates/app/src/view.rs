//! Pure helpers that shape a snapshot for the panels: which replica stands for a partition,
//! what consumers would receive now, and where the high watermark and last stable offset fall
//! among the drawn log cells. No DOM; the core decides everything, these only arrange it.

use idempotence_sim::report::consumer_views;
use idempotence_sim::snapshot::ReplicaView;
use idempotence_sim::types::{BrokerId, Offset, PartitionId};
use idempotence_sim::Snapshot;

/// The replica whose log counts as the partition's: its leader, or else its first replica
/// (the same choice the core's report makes).
pub fn reference_replica(
    snap: &Snapshot,
    partition: PartitionId,
) -> Option<(BrokerId, &ReplicaView)> {
    let p = snap.partitions.iter().find(|p| p.id == partition)?;
    let broker = p.leader.or_else(|| p.replicas.first().copied())?;
    let replica = snap
        .brokers
        .get(broker as usize)?
        .replicas
        .iter()
        .find(|r| r.partition == partition)?;
    Some((broker, replica))
}

/// Whether any producer of the run has a `transactional.id`.
pub fn transactional(snap: &Snapshot) -> bool {
    snap.producers.iter().any(|p| p.transaction.is_some()) || !snap.transactions.is_empty()
}

/// One value a consumer receives.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Consumed {
    pub value: String,
    /// Position (in the same list) of the first copy, when this value was received before.
    pub repeat_of: Option<usize>,
    /// The log offset it was read from, when known.
    pub offset: Option<Offset>,
    /// Data of an aborted transaction (only read_uncommitted receives it).
    pub aborted: bool,
    /// Data of a transaction not decided yet, at or above the last stable offset (read_committed
    /// does not receive it yet).
    pub undecided: bool,
}

/// Marks every value received for the second (third, …) time.
pub fn mark_repeats(values: Vec<String>) -> Vec<Consumed> {
    let mut first: std::collections::HashMap<String, usize> = Default::default();
    values
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let at = *first.entry(value.clone()).or_insert(i);
            Consumed {
                value,
                repeat_of: (at != i).then_some(at),
                ..Consumed::default()
            }
        })
        .collect()
}

/// What consumers of one partition receive from its reference replica right now.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionConsumers {
    pub partition: PartitionId,
    pub broker: BrokerId,
    pub has_leader: bool,
    pub high_watermark: Offset,
    pub last_stable_offset: Offset,
    /// Data up to the high watermark, aborted or not.
    pub read_uncommitted: Vec<Consumed>,
    /// Data up to the last stable offset, without aborted transactions.
    pub read_committed: Vec<Consumed>,
}

/// Attaches the log entry each read_uncommitted value came from (its offset, aborted or not yet
/// decided). read_uncommitted receives the data records of the log in order from the start, so
/// the i-th value is the i-th data record; a value that does not match leaves its flags unset.
fn with_entries(mut values: Vec<Consumed>, r: &ReplicaView) -> Vec<Consumed> {
    let data = r.log.iter().filter(|e| e.control.is_none());
    for (c, e) in values.iter_mut().zip(data) {
        if c.value == e.value {
            c.offset = Some(e.offset);
            c.aborted = e.aborted;
            c.undecided = !e.aborted && e.transactional && e.offset >= r.last_stable_offset;
        }
    }
    values
}

/// Both isolation levels' views of every partition (`idempotence_sim::report::consumer_views`).
pub fn partition_consumers(snap: &Snapshot) -> Vec<PartitionConsumers> {
    snap.partitions
        .iter()
        .filter_map(|p| {
            let (broker, r) = reference_replica(snap, p.id)?;
            let (uncommitted, committed) =
                consumer_views(&r.log, r.high_watermark, r.last_stable_offset);
            Some(PartitionConsumers {
                partition: p.id,
                broker,
                has_leader: p.leader.is_some(),
                high_watermark: r.high_watermark,
                last_stable_offset: r.last_stable_offset,
                read_uncommitted: with_entries(mark_repeats(uncommitted), r),
                read_committed: mark_repeats(committed),
            })
        })
        .collect()
}

/// A line drawn between log cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogMark {
    /// The high watermark (and, in a non-transactional run, nothing else).
    Hw(Offset),
    /// The last stable offset, where it is below the high watermark.
    Lso(Offset),
    /// High watermark and last stable offset at the same offset.
    HwLso(Offset),
}

impl LogMark {
    pub fn offset(self) -> Offset {
        match self {
            LogMark::Hw(o) | LogMark::Lso(o) | LogMark::HwLso(o) => o,
        }
    }
}

/// Where the marks go among the drawn cells (`offsets`, ascending): each mark comes with the
/// index of the cell it precedes (`offsets.len()` = after the last cell). The LSO is shown only
/// for transactional runs (`show_lso`); in other runs it always equals the high watermark.
pub fn log_marks(
    offsets: &[Offset],
    hw: Offset,
    lso: Offset,
    show_lso: bool,
) -> Vec<(usize, LogMark)> {
    let at = |o: Offset| {
        offsets
            .iter()
            .position(|&x| x >= o)
            .unwrap_or(offsets.len())
    };
    if !show_lso {
        return vec![(at(hw), LogMark::Hw(hw))];
    }
    if lso >= hw {
        return vec![(at(hw), LogMark::HwLso(hw))];
    }
    vec![(at(lso), LogMark::Lso(lso)), (at(hw), LogMark::Hw(hw))]
}

#[cfg(test)]
mod tests {
    use super::*;
    use idempotence_sim::{presets, Simulation};

    fn finished(preset: &str) -> Snapshot {
        let mut sim = Simulation::new(presets::get(preset).unwrap()).unwrap();
        sim.run_to_end();
        sim.snapshot()
    }

    fn values(list: &[Consumed]) -> Vec<&str> {
        list.iter().map(|c| c.value.as_str()).collect()
    }

    #[test]
    fn repeats_point_at_the_first_copy() {
        let marked = mark_repeats(vec!["a".into(), "b".into(), "a".into(), "a".into()]);
        let repeats: Vec<Option<usize>> = marked.iter().map(|c| c.repeat_of).collect();
        assert_eq!(repeats, vec![None, None, Some(0), Some(0)]);
    }

    #[test]
    fn abort_hides_records_from_read_committed_only() {
        let snap = finished("abort-hides-records");
        assert!(transactional(&snap));
        let views = partition_consumers(&snap);
        assert_eq!(views.len(), 2);
        let p0 = &views[0];
        assert_eq!(p0.read_uncommitted.len(), 6);
        assert_eq!(p0.read_committed.len(), 4);
        assert!(p0.read_uncommitted.iter().all(|c| c.repeat_of.is_none()));
        // The two records read_committed skips are the aborted ones.
        let aborted: Vec<&str> = p0
            .read_uncommitted
            .iter()
            .filter(|c| c.aborted)
            .map(|c| c.value.as_str())
            .collect();
        assert_eq!(aborted.len(), 2);
        assert!(aborted
            .iter()
            .all(|v| !values(&p0.read_committed).contains(v)));
        assert!(p0
            .read_uncommitted
            .iter()
            .all(|c| c.offset.is_some() && !c.undecided));
        // Matches the core's own report.
        let mut sim = Simulation::new(presets::get("abort-hides-records").unwrap()).unwrap();
        sim.run_to_end();
        let report = sim.report();
        for (v, r) in views.iter().zip(&report.partitions) {
            assert_eq!(values(&v.read_committed), r.read_committed);
            assert_eq!(values(&v.read_uncommitted), r.read_uncommitted);
        }
    }

    #[test]
    fn every_preset_shows_what_the_core_reports() {
        for id in presets::ids() {
            let mut sim = Simulation::new(presets::get(id).unwrap()).unwrap();
            sim.run_to_end();
            let report = sim.report();
            let views = partition_consumers(&sim.snapshot());
            assert_eq!(views.len(), report.partitions.len(), "{id}");
            for (v, r) in views.iter().zip(&report.partitions) {
                assert_eq!(
                    values(&v.read_uncommitted),
                    r.read_uncommitted,
                    "{id} p{}",
                    r.partition
                );
                assert_eq!(
                    values(&v.read_committed),
                    r.read_committed,
                    "{id} p{}",
                    r.partition
                );
                // every read_uncommitted value is tied to its log offset
                assert!(
                    v.read_uncommitted.iter().all(|c| c.offset.is_some()),
                    "{id}"
                );
            }
        }
    }

    #[test]
    fn a_restarted_transactional_producer_is_read_once_by_read_committed() {
        let snap = finished("restart-with-transactional-id");
        let views = partition_consumers(&snap);
        let repeats = |f: fn(&PartitionConsumers) -> &Vec<Consumed>| {
            views
                .iter()
                .flat_map(|v| f(v).iter())
                .filter(|c| c.repeat_of.is_some())
                .count()
        };
        assert!(
            repeats(|v| &v.read_uncommitted) > 0,
            "the raw log has both copies"
        );
        assert_eq!(repeats(|v| &v.read_committed), 0);
    }

    #[test]
    fn a_non_transactional_run_has_equal_views() {
        let snap = finished("lost-ack-no-idempotence");
        assert!(!transactional(&snap));
        let v = &partition_consumers(&snap)[0];
        assert_eq!(values(&v.read_committed), values(&v.read_uncommitted));
        assert_eq!(
            v.read_uncommitted
                .iter()
                .filter(|c| c.repeat_of.is_some())
                .count(),
            5
        );
    }

    #[test]
    fn records_of_an_open_transaction_are_undecided() {
        let mut sim = Simulation::new(presets::get("multi-partition-commit").unwrap()).unwrap();
        // Until the COMMIT markers are written, read_committed waits for the open transaction.
        let mut seen = false;
        while sim.step() {
            let snap = sim.snapshot();
            for v in partition_consumers(&snap) {
                let undecided = v.read_uncommitted.iter().filter(|c| c.undecided).count();
                assert_eq!(undecided, v.read_uncommitted.len() - v.read_committed.len());
                seen |= undecided > 0;
            }
        }
        assert!(seen, "some moment shows undecided records");
    }

    #[test]
    fn marks_sit_before_the_first_cell_at_or_above_them() {
        let offsets = [3, 4, 5, 6];
        assert_eq!(log_marks(&offsets, 5, 5, false), vec![(2, LogMark::Hw(5))]);
        assert_eq!(
            log_marks(&offsets, 7, 7, true),
            vec![(4, LogMark::HwLso(7))]
        );
        assert_eq!(
            log_marks(&offsets, 6, 4, true),
            vec![(1, LogMark::Lso(4)), (3, LogMark::Hw(6))]
        );
        // Below the drawn cells (older ones hidden): at the start.
        assert_eq!(
            log_marks(&offsets, 5, 1, true),
            vec![(0, LogMark::Lso(1)), (2, LogMark::Hw(5))]
        );
        assert_eq!(log_marks(&[], 0, 0, true), vec![(0, LogMark::HwLso(0))]);
    }
}
