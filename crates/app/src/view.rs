//! Pure helpers that shape a snapshot for the panels: which replica stands for a partition,
//! what consumers would receive now, and where the high watermark and last stable offset fall
//! among the drawn log cells. No DOM; the core decides everything, these only arrange it.

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

/// Colours a producer batch is drawn in (`bh0`…): batches made one after another get
/// different ones, and the same batch has the same one on the producer, on the wire, in the
/// broker's memory and in the log.
pub const BATCH_HUES: u64 = 6;

/// The class giving a producer batch its colour.
pub fn batch_hue(batch_id: u64) -> &'static str {
    const CLASSES: [&str; BATCH_HUES as usize] = ["bh0", "bh1", "bh2", "bh3", "bh4", "bh5"];
    CLASSES[(batch_id % BATCH_HUES) as usize]
}

/// Whether any producer of the run has a `transactional.id`.
pub fn transactional(snap: &Snapshot) -> bool {
    snap.producers.iter().any(|p| p.transaction.is_some()) || !snap.transactions.is_empty()
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
