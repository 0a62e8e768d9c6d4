//! How simulated time is shown: a piecewise-linear map from simulated milliseconds to
//! presentation milliseconds through the run's moments (the times at which something happens),
//! where each gap between two moments is shown for at most `cap` ms. Long waits (backoffs,
//! timeouts, a broker's down time) then take a moment to watch, not minutes, while everything in
//! between keeps its proportions, and a message in flight moves at one steady speed between the
//! presentation times of its departure and its arrival (what the stage's CSS animations use).

/// Monotone points `(simulated ms, presentation ms)`; beyond the last one, time runs 1:1.
#[derive(Debug, Clone, PartialEq)]
pub struct Pacing {
    points: Vec<(u64, f64)>,
    cap: f64,
}

impl Pacing {
    pub fn new(cap: f64) -> Pacing {
        Pacing {
            points: vec![(0, 0.0)],
            cap: cap.max(1.0),
        }
    }

    /// Adds a moment; moments must come in order (earlier or equal ones are ignored).
    pub fn push(&mut self, sim_ms: u64) {
        let &(last_sim, last_disp) = self.points.last().expect("the origin");
        if sim_ms <= last_sim {
            return;
        }
        let gap = (sim_ms - last_sim) as f64;
        self.points.push((sim_ms, last_disp + gap.min(self.cap)));
    }

    /// The last moment known, in both clocks.
    pub fn last(&self) -> (u64, f64) {
        *self.points.last().expect("the origin")
    }

    /// Presentation time of a simulated time.
    pub fn display(&self, sim_ms: f64) -> f64 {
        let i = self.points.partition_point(|&(t, _)| (t as f64) <= sim_ms);
        if i == 0 {
            return sim_ms.max(0.0);
        }
        let (t0, d0) = self.points[i - 1];
        match self.points.get(i) {
            None => d0 + (sim_ms - t0 as f64),
            Some(&(t1, d1)) => d0 + (sim_ms - t0 as f64) * (d1 - d0) / (t1 - t0) as f64,
        }
    }

    /// Simulated time of a presentation time (the inverse of [`Pacing::display`]).
    pub fn sim(&self, display_ms: f64) -> f64 {
        let i = self.points.partition_point(|&(_, d)| d <= display_ms);
        if i == 0 {
            return display_ms.max(0.0);
        }
        let (t0, d0) = self.points[i - 1];
        match self.points.get(i) {
            None => t0 as f64 + (display_ms - d0),
            Some(&(t1, d1)) => t0 as f64 + (display_ms - d0) * (t1 - t0) as f64 / (d1 - d0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_gaps_keep_their_length_and_long_ones_are_capped() {
        let mut p = Pacing::new(60.0);
        for t in [10, 20, 1_020, 1_030] {
            p.push(t);
        }
        assert_eq!(p.display(10.0), 10.0);
        assert_eq!(p.display(20.0), 20.0);
        assert_eq!(p.display(1_020.0), 80.0);
        assert_eq!(p.display(520.0), 50.0);
        assert_eq!(p.display(1_030.0), 90.0);
        // Beyond the last moment time runs 1:1.
        assert_eq!(p.display(1_040.0), 100.0);
    }

    #[test]
    fn sim_inverts_display() {
        let mut p = Pacing::new(60.0);
        for t in [3, 7, 500, 501, 9_000, 9_050] {
            p.push(t);
        }
        for t in [0.0, 2.0, 5.5, 100.0, 500.5, 4_000.0, 9_025.0, 9_100.0] {
            let back = p.sim(p.display(t));
            assert!((back - t).abs() < 1e-6, "{t} → {back}");
        }
    }

    #[test]
    fn moments_out_of_order_are_ignored() {
        let mut p = Pacing::new(60.0);
        p.push(100);
        p.push(50);
        p.push(100);
        assert_eq!(p.last(), (100, 60.0));
    }
}
