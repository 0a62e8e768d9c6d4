//! The contract between the world and its nodes (stateright's `Actor`/`Out`, quinn-proto's
//! `handle_*`/`poll_*`): a node's handler is called with what arrived and a read-only view of
//! the cluster, changes only the node's own state, and says what should happen next by
//! pushing commands into an [`Out`] buffer. The world performs them in the order they were
//! pushed: events get their index, messages their latency from the seeded generator, timers
//! their place in the queue, exactly as if the handler had done each itself.
//!
//! So a node can be driven alone in a unit test: call a handler, read its `Out`.

use super::{Action, Broker, Node, PartitionMeta, Payload};
use crate::event::EventKind;
use crate::types::{BrokerId, Offset, PartitionId, TimeMs};

/// Something a handler asks the world to do.
#[derive(Debug, Clone)]
pub(crate) enum Command {
    /// Record an event.
    Emit(EventKind),
    /// Put a message on the wire.
    Send {
        from: Node,
        to: Node,
        payload: Payload,
    },
    /// Run an action at a time (a timer, or the node's next step).
    Schedule { at_ms: TimeMs, action: Action },
    /// Work that calls handlers again, done when its turn comes (see [`FollowUp`]).
    Then(FollowUp),
}

/// Work a broker's handler leaves to the world because it calls other handlers, done when
/// its turn in the buffer comes, after the commands pushed before it. This is how an append
/// completes other requests depth first, as Kafka's purgatory does inside the call that
/// appended: each follow-up reads the broker as it is when its turn comes, so a broker that
/// an earlier answer stopped answers nothing more.
#[derive(Debug, Clone)]
pub(crate) enum FollowUp {
    /// The high watermark of `partition` may have moved: answer what it passed
    /// ([`Broker::on_high_watermark`]).
    CompleteDelayed {
        broker: BrokerId,
        partition: PartitionId,
    },
    /// New data on the leader: answer the fetches parked at its log end.
    AnswerParkedFetches {
        broker: BrokerId,
        partition: PartitionId,
    },
    /// A parked request the high watermark completed: answer it, if the broker still has it.
    AnswerParked { broker: BrokerId, request: u64 },
    /// Tell the coordinators of the markers that the high watermark `hw` passed.
    AnswerMarkers {
        broker: BrokerId,
        partition: PartitionId,
        hw: Offset,
        isr_short: bool,
    },
    /// Answer or park a follower's fetch `(follower, partition, fetch offset)` once the high
    /// watermark it moved has done its work ([`Broker::answer_fetch`]).
    AnswerFetch {
        leader: BrokerId,
        fetch: (BrokerId, PartitionId, Offset),
        wait_ms: TimeMs,
    },
}

/// The commands a handler pushed, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Out {
    commands: Vec<Command>,
}

impl Out {
    pub fn emit(&mut self, event: EventKind) {
        self.commands.push(Command::Emit(event));
    }

    pub fn send(&mut self, from: Node, to: Node, payload: Payload) {
        self.commands.push(Command::Send { from, to, payload });
    }

    pub fn schedule(&mut self, at_ms: TimeMs, action: Action) {
        self.commands.push(Command::Schedule { at_ms, action });
    }

    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    pub fn then(&mut self, follow_up: FollowUp) {
        self.commands.push(Command::Then(follow_up));
    }

    /// Takes the commands pushed so far, in order.
    pub fn take(&mut self) -> std::vec::Drain<'_, Command> {
        self.commands.drain(..)
    }

    /// The commands pushed so far (what a unit test reads).
    #[cfg(test)]
    pub fn commands(&self) -> &[Command] {
        &self.commands
    }

    #[cfg(test)]
    pub fn events(&self) -> Vec<&EventKind> {
        self.commands
            .iter()
            .filter_map(|c| match c {
                Command::Emit(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    #[cfg(test)]
    pub fn sent(&self) -> Vec<(&Node, &Node, &Payload)> {
        self.commands
            .iter()
            .filter_map(|c| match c {
                Command::Send { from, to, payload } => Some((from, to, payload)),
                _ => None,
            })
            .collect()
    }
}

/// What a node may read of the rest of the cluster when it handles something: the time, which
/// brokers are up and who leads each partition (what Kafka's brokers learn from the controller's
/// metadata). Read-only: a node changes only itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClusterView<'a> {
    pub now_ms: TimeMs,
    pub brokers: &'a [Broker],
    pub partitions: &'a [PartitionMeta],
}

impl ClusterView<'_> {
    pub fn alive(&self, broker: BrokerId) -> bool {
        self.brokers.get(broker as usize).is_some_and(|b| b.alive)
    }

    pub fn leader(&self, partition: PartitionId) -> Option<BrokerId> {
        self.partitions.get(partition as usize)?.leader
    }

    pub fn broker_count(&self) -> u32 {
        self.brokers.len() as u32
    }
}
