//! How simulated time is shown: a piecewise-linear map from simulated milliseconds to wall
//! milliseconds at 1×, paced by what there is to see rather than by the run's length.
//!
//! - While a message is on the wire (other than followers' fetches, which never stop), time
//!   runs at `scale`, chosen so that one network hop takes
//!   [`FLIGHT_MS`] on screen whatever the scenario's latency: every flight can be followed.
//! - While nothing moves, the stretch up to the next moment at which something happens (an
//!   event, or a message leaving) is shown for at most [`STILL_MS`], however long it is in
//!   simulated time: a retry backoff, a timeout or a broker's down time takes a moment to watch
//!   (their countdown arcs say how long they really are), not minutes. Moments at which nothing
//!   visible happens (a timer that emits nothing) do not split a stretch.
//! - A stretch in which something moves is still capped at [`MOVING_MS`], so a message delayed
//!   behind a long queue does not crawl.
//!
//! Short runs are therefore short and busy runs long; the speed control divides both.

/// Wall ms at 1× for one network hop (the scenario's latency plus half its jitter).
pub const FLIGHT_MS: f64 = 700.0;
/// Longest wall ms at 1× of a stretch in which nothing moves.
pub const STILL_MS: f64 = 1_200.0;
/// Longest wall ms at 1× between two moments while something moves.
pub const MOVING_MS: f64 = 2.0 * FLIGHT_MS;

/// Monotone points `(simulated ms, wall ms at 1×)`; beyond the last one, time runs at `scale`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pacing {
    points: Vec<(u64, f64)>,
    scale: f64,
}

impl Pacing {
    /// A pacing for a network whose typical hop takes `hop_ms` simulated ms.
    pub fn for_hop(hop_ms: f64) -> Pacing {
        Pacing {
            points: vec![(0, 0.0)],
            scale: FLIGHT_MS / hop_ms.max(1.0),
        }
    }

    /// Adds a moment at which something can be seen to happen; `moving` says whether a message
    /// was on the wire during the whole stretch since the previous one (else nothing moved).
    /// Moments must come in order (earlier or equal ones are ignored).
    pub fn push(&mut self, sim_ms: u64, moving: bool) {
        let &(last_sim, last_wall) = self.points.last().expect("the origin");
        if sim_ms <= last_sim {
            return;
        }
        let cap = if moving { MOVING_MS } else { STILL_MS };
        let natural = (sim_ms - last_sim) as f64 * self.scale;
        self.points.push((sim_ms, last_wall + natural.min(cap)));
    }

    /// Wall ms at 1× of a simulated time.
    pub fn display(&self, sim_ms: f64) -> f64 {
        let i = self.points.partition_point(|&(t, _)| (t as f64) <= sim_ms);
        if i == 0 {
            return sim_ms.max(0.0) * self.scale;
        }
        let (t0, d0) = self.points[i - 1];
        match self.points.get(i) {
            None => d0 + (sim_ms - t0 as f64) * self.scale,
            Some(&(t1, d1)) => d0 + (sim_ms - t0 as f64) * (d1 - d0) / (t1 - t0) as f64,
        }
    }

    /// Simulated time of a wall time (the inverse of [`Pacing::display`]).
    pub fn sim(&self, display_ms: f64) -> f64 {
        let i = self.points.partition_point(|&(_, d)| d <= display_ms);
        if i == 0 {
            return display_ms.max(0.0) / self.scale;
        }
        let (t0, d0) = self.points[i - 1];
        match self.points.get(i) {
            None => t0 as f64 + (display_ms - d0) / self.scale,
            Some(&(t1, d1)) => t0 as f64 + (display_ms - d0) * (t1 - t0) as f64 / (d1 - d0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hop_takes_the_flight_time_whatever_the_latency() {
        for hop in [1.0, 10.0, 37.0] {
            let mut p = Pacing::for_hop(hop);
            p.push(hop as u64, true);
            assert!((p.display(hop) - FLIGHT_MS).abs() < 1e-9, "hop {hop}");
        }
    }

    #[test]
    fn a_still_stretch_is_capped_and_a_short_one_keeps_its_length() {
        let mut p = Pacing::for_hop(10.0);
        p.push(10, true);
        p.push(5_010, false); // a 5 s backoff: at most STILL_MS
        assert_eq!(p.display(5_010.0), FLIGHT_MS + STILL_MS);
        p.push(5_011, false); // 1 ms of nothing: its natural length
        assert_eq!(p.display(5_011.0), FLIGHT_MS + STILL_MS + FLIGHT_MS / 10.0);
        // Halfway through the capped stretch is halfway on screen.
        assert_eq!(p.display(2_510.0), FLIGHT_MS + STILL_MS / 2.0);
    }

    #[test]
    fn a_long_moving_stretch_is_capped_too() {
        let mut p = Pacing::for_hop(10.0);
        p.push(1_000, true);
        assert_eq!(p.display(1_000.0), MOVING_MS);
    }

    #[test]
    fn beyond_the_last_moment_time_runs_at_the_flight_scale() {
        let mut p = Pacing::for_hop(10.0);
        p.push(10, true);
        assert_eq!(p.display(15.0), FLIGHT_MS * 1.5);
    }

    #[test]
    fn sim_inverts_display() {
        let mut p = Pacing::for_hop(7.0);
        for (t, moving) in [
            (3, true),
            (7, true),
            (500, false),
            (501, true),
            (9_000, false),
        ] {
            p.push(t, moving);
        }
        for t in [0.0, 2.0, 5.5, 100.0, 500.5, 4_000.0, 9_000.0, 9_100.0] {
            let back = p.sim(p.display(t));
            assert!((back - t).abs() < 1e-6, "{t} → {back}");
        }
    }

    #[test]
    fn moments_out_of_order_are_ignored() {
        let mut p = Pacing::for_hop(10.0);
        p.push(100, false);
        let at = p.display(100.0);
        p.push(50, true);
        p.push(100, true);
        assert_eq!(p.display(100.0), at);
    }
}
