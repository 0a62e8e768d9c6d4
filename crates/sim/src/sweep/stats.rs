//! What a sweep measures in each run, and the mean with its 95 % confidence interval over the
//! runs of one point.

use serde::{Deserialize, Serialize};

/// The measures of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunMeasures {
    /// Records that are a second copy of a message in a partition log.
    pub duplicates_written: u64,
    /// Messages `send()` was told were written that are not in the log at the end.
    pub acked_then_lost: u64,
    /// Messages a consumer reads after a later message of the same producer.
    pub reorderings: u64,
    /// Messages whose `send()` failed.
    pub failed: u64,
    /// Milliseconds from `send()` to its acknowledgement, median and 99th percentile over the
    /// run's acknowledged messages (0 when none was).
    pub latency_p50_ms: u64,
    pub latency_p99_ms: u64,
}

/// The measures, by the names reports and CSV columns use.
pub const MEASURES: [&str; 6] = [
    "duplicates_written",
    "acked_then_lost",
    "reorderings",
    "failed",
    "latency_p50_ms",
    "latency_p99_ms",
];

impl RunMeasures {
    /// The measures in the order of [`MEASURES`].
    pub fn values(&self) -> [u64; 6] {
        [
            self.duplicates_written,
            self.acked_then_lost,
            self.reorderings,
            self.failed,
            self.latency_p50_ms,
            self.latency_p99_ms,
        ]
    }
}

/// A mean and its 95 % confidence interval (Student's t, cut at 0 below, as every measure
/// is a count or a duration; the interval is the mean itself when there is one run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Estimate {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

/// The statistics of one point of a sweep: every measure's estimate over its runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PointStats {
    pub runs: u64,
    pub duplicates_written: Estimate,
    pub acked_then_lost: Estimate,
    pub reorderings: Estimate,
    pub failed: Estimate,
    pub latency_p50_ms: Estimate,
    pub latency_p99_ms: Estimate,
    /// Runs with at least one duplicate written, lost acknowledgement or reordering: the
    /// runs worth opening.
    pub runs_with_anomalies: u64,
}

impl PointStats {
    /// The estimates in the order of [`MEASURES`].
    pub fn estimates(&self) -> [Estimate; 6] {
        [
            self.duplicates_written,
            self.acked_then_lost,
            self.reorderings,
            self.failed,
            self.latency_p50_ms,
            self.latency_p99_ms,
        ]
    }
}

/// Summarises the runs of one point. The sums run in the order given, so the same runs give
/// the same numbers on every platform.
pub fn summarise(runs: &[RunMeasures]) -> PointStats {
    let column = |i: usize| estimate(runs.iter().map(|r| r.values()[i] as f64));
    PointStats {
        runs: runs.len() as u64,
        duplicates_written: column(0),
        acked_then_lost: column(1),
        reorderings: column(2),
        failed: column(3),
        latency_p50_ms: column(4),
        latency_p99_ms: column(5),
        runs_with_anomalies: runs
            .iter()
            .filter(|r| r.duplicates_written + r.acked_then_lost + r.reorderings > 0)
            .count() as u64,
    }
}

fn estimate(values: impl Iterator<Item = f64> + Clone) -> Estimate {
    let n = values.clone().count();
    if n == 0 {
        return Estimate::default();
    }
    let mean = values.clone().sum::<f64>() / n as f64;
    if n == 1 {
        return Estimate {
            mean,
            lo: mean,
            hi: mean,
        };
    }
    let variance = values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    let half = t_975(n - 1) * (variance / n as f64).sqrt();
    // Every measure is a count or a duration: an interval below 0 says nothing more than 0.
    Estimate {
        mean,
        lo: (mean - half).max(0.0),
        hi: mean + half,
    }
}

/// The 97.5th percentile of Student's t with `df` degrees of freedom (two-sided 95 %).
fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        31..=60 => 2.000,
        61..=120 => 1.980,
        _ => 1.960,
    }
}

/// The `q`-quantile (0..=1) of sorted values, nearest rank; 0 for none.
pub fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[nearest_rank(sorted.len(), q)]
}

/// [`quantile`] of values in any order, which it reorders: a selection in linear time, where
/// sorting first costs n log n (a sweep takes two quantiles of every run's latencies).
pub fn quantile_unsorted(values: &mut [u64], q: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    *values.select_nth_unstable(nearest_rank(values.len(), q)).1
}

/// The index of the nearest-rank `q`-quantile among `len` sorted values (`len` > 0).
fn nearest_rank(len: usize, q: f64) -> usize {
    let rank = (q * len as f64).ceil() as usize;
    rank.clamp(1, len) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dups(values: &[u64]) -> Vec<RunMeasures> {
        values
            .iter()
            .map(|&d| RunMeasures {
                duplicates_written: d,
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn a_quantile_of_unsorted_values_is_the_sorted_one() {
        let mut state = 7u64;
        for len in [1usize, 2, 3, 10, 99, 1000] {
            let values: Vec<u64> = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (state >> 33) % 500
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_unstable();
            for q in [0.0, 0.01, 0.5, 0.9, 0.99, 1.0] {
                let mut shuffled = values.clone();
                assert_eq!(
                    quantile_unsorted(&mut shuffled, q),
                    quantile(&sorted, q),
                    "{len} {q}"
                );
            }
        }
        assert_eq!(quantile_unsorted(&mut [], 0.5), 0);
    }

    #[test]
    fn the_interval_is_students_t_around_the_mean() {
        let s = summarise(&dups(&[1, 2, 3, 4]));
        assert_eq!(s.runs, 4);
        assert_eq!(s.duplicates_written.mean, 2.5);
        // sd = 1.291, se = 0.6455, t(3) = 3.182.
        let half = 3.182 * (5.0f64 / 3.0 / 4.0).sqrt();
        assert!((s.duplicates_written.hi - (2.5 + half)).abs() < 1e-9);
        assert!((s.duplicates_written.lo - (2.5 - half)).abs() < 1e-9);
        assert_eq!(s.runs_with_anomalies, 4);
        assert_eq!(s.failed, Estimate::default());
    }

    #[test]
    fn one_run_or_equal_runs_have_no_width_and_none_is_zero() {
        let one = summarise(&dups(&[7]));
        assert_eq!(
            (one.duplicates_written.lo, one.duplicates_written.hi),
            (7.0, 7.0)
        );
        let same = summarise(&dups(&[0, 0, 0]));
        assert_eq!(same.duplicates_written, Estimate::default());
        assert_eq!(same.runs_with_anomalies, 0);
        assert_eq!(summarise(&[]).runs, 0);
    }

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&v, 0.5), 50);
        assert_eq!(quantile(&v, 0.99), 99);
        assert_eq!(quantile(&[5], 0.99), 5);
        assert_eq!(quantile(&[], 0.5), 0);
    }
}
