//! A node's timers (quinn-proto's `TimerTable`): for each timer, the deadline of the wake-up
//! already in the world's queue, if any. The queue cannot cancel an action, so a node asks its
//! timer whether a new wake-up is needed, and a wake-up that finds its timer disarmed or moved
//! does nothing.

use crate::types::TimeMs;

/// One timer: disarmed, or armed for a deadline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timer(Option<TimeMs>);

impl Timer {
    pub fn is_armed(self) -> bool {
        self.0.is_some()
    }

    pub fn arm(&mut self, deadline: TimeMs) {
        self.0 = Some(deadline);
    }

    pub fn disarm(&mut self) {
        self.0 = None;
    }

    /// Whether a wake-up wanted at `at` is already covered: this timer fires between `now`
    /// and then.
    pub fn covers(self, now: TimeMs, at: TimeMs) -> bool {
        self.0.is_some_and(|t| t >= now && t <= at)
    }

    /// A wake-up ran at `now`: the timer is disarmed if it was due (a later deadline set since
    /// stays armed).
    pub fn expire(&mut self, now: TimeMs) {
        if self.0.is_some_and(|t| t <= now) {
            self.0 = None;
        }
    }
}

/// The producer client's own timers (a connection's `request.timeout.ms` timer lives with the
/// connection).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientTimers {
    /// The sender thread's next run (`Sender.runOnce` after linger, backoff or a poll).
    pub sender_wake: Timer,
    /// The check for the oldest live batch's `delivery.timeout.ms`. The earliest deadline only
    /// moves later (the oldest live batch is the next to expire), so one pending check is enough.
    pub delivery_check: Timer,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wake_up_is_covered_only_by_an_armed_deadline_between_now_and_then() {
        let mut t = Timer::default();
        assert!(!t.covers(0, 100));
        t.arm(50);
        assert!(t.covers(0, 100) && t.covers(50, 50));
        assert!(
            !t.covers(0, 40),
            "fires too late for a wake-up wanted at 40"
        );
        assert!(!t.covers(60, 100), "already past");
    }

    #[test]
    fn expiring_disarms_only_a_due_deadline() {
        let mut t = Timer::default();
        t.arm(50);
        t.expire(40);
        assert!(t.covers(40, 50), "still armed for 50");
        t.expire(50);
        assert!(!t.is_armed());
    }
}
