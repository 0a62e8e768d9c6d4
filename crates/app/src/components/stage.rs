//! The animated picture: producers, brokers and the messages between them, in SVG.
//!
//! Wide screens put producers left and brokers right; narrow ones put producers on top.
//! A message's position is interpolated by simulated time between `sent_ms` and `arrive_ms`.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::presentation::{CheckOutcome, Checked, Shared};

use idempotence_sim::event::EventKind;
use idempotence_sim::log_tail::LogTail;
use idempotence_sim::snapshot::{
    BrokerView, ClientPartitionView, ClientTxnView, MessageKind, MessageView, ProducerView,
    ReplicaView,
};
use idempotence_sim::{Event, KafkaError, MessageOutcome, Node, Snapshot};
use yew::prelude::*;

use crate::describe;
use crate::hooks::use_element_width;
use crate::txn::{ClientState, ClientStateText};
use crate::view;

#[derive(Properties, PartialEq)]
pub struct StageProps {
    pub snapshot: Shared<Snapshot>,
    pub events: Shared<Vec<Event>>,
    pub clock_ms: f64,
    pub narrow: bool,
    pub reduced_motion: bool,
    /// What the user clicked (highlighted), and where clicks go. `None` = not interactive.
    #[prop_or_default]
    pub selected: Option<Selected>,
    #[prop_or_default]
    pub on_select: Option<Callback<Selected>>,
    /// Element id (compare mode shows two stages).
    #[prop_or(AttrValue::Static("stage"))]
    pub id: AttrValue,
    /// The batch the newest verdict is about (lit up in its leader's memory).
    #[prop_or_default]
    pub checked: Option<Checked>,
    /// Little room (an embed, a phone): a broker shows a one-line summary of what it
    /// remembers for the partitions it does not lead (the leader's memory stays in full).
    #[prop_or_default]
    pub compact: bool,
    /// The newest records of each partition: which producer batch each cached batch came from.
    #[prop_or_default]
    pub logs: Option<Shared<Vec<Rc<LogTail>>>>,
}

/// A clickable thing on the stage: the intervention bar offers actions for it.
#[derive(Debug, Clone, PartialEq)]
pub enum Selected {
    Producer(u32),
    Broker(u32),
    /// The network link between a producer and a broker.
    Link {
        producer: u32,
        broker: u32,
    },
    /// A produce request, or the response to one, on the wire.
    Message {
        request: u64,
        response: bool,
        label: String,
    },
}

/// Click and keyboard (Enter/Space) handlers that select `what`.
fn select_handlers(
    on_select: &Option<Callback<Selected>>,
    what: Selected,
) -> (Callback<MouseEvent>, Callback<KeyboardEvent>) {
    let Some(cb) = on_select.clone() else {
        return (Callback::noop(), Callback::noop());
    };
    let w = what.clone();
    let c = cb.clone();
    let click = Callback::from(move |e: MouseEvent| {
        e.stop_propagation();
        c.emit(w.clone())
    });
    let key = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            e.stop_propagation();
            cb.emit(what.clone());
        }
    });
    (click, key)
}

const LINE: f64 = 17.0;
/// Characters of an 11-unit line that fit inside a 270-unit node box.
const LINE_CHARS: usize = 40;
/// The wide stage's width in units when there is room: text at its CSS size on a desktop.
pub const WIDE_ROOM: f64 = 820.0;
/// The narrowest wide stage. Where its element is narrower (an embed, a tablet, a desktop window
/// beside the side column) the layout is drawn this many units wide and scaled down.
const LEAST_ROOM: f64 = 640.0;
/// The wide stage's boxes: as wide as the room allows up to this, the rest goes to the wire.
const WIDE_BOX: f64 = 270.0;
/// The wire between the columns keeps at least this much room for a message's pill.
const LEAST_WIRE: f64 = 150.0;

/// The wide layout's width in units for a stage element `px` CSS pixels wide: one unit per
/// pixel, so stage text keeps its CSS size, between [`LEAST_ROOM`] and [`WIDE_ROOM`]. Rounded
/// down to 20 px so a window resized by a pixel does not redraw the stage.
pub fn room_for(px: f64) -> f64 {
    if px.is_finite() {
        ((px / 20.0).floor() * 20.0).clamp(LEAST_ROOM, WIDE_ROOM)
    } else {
        WIDE_ROOM
    }
}

/// Characters of a box's plain line that fit in a box `w` units wide (40 at the widest).
/// Characters a box line holds: 12 px of margin on each side, so a full line never touches
/// the border.
fn line_chars(w: f64) -> usize {
    (((w - 24.0) / 6.4) as usize).min(LINE_CHARS)
}
const CHIP: f64 = 22.0;
const MAX_CHIPS: usize = 4;
/// How long (simulated ms) a "lost" marker stays on a link.
const MARK_MS: u64 = 40;

#[derive(Clone, Copy)]
struct BoxGeom {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

struct Layout {
    width: f64,
    height: f64,
    narrow: bool,
    producers: Vec<BoxGeom>,
    brokers: Vec<BoxGeom>,
}

/// Batch chips drawn per partition before "+N more" (fewer on a compact stage).
fn max_chips(compact: bool) -> usize {
    if compact {
        2
    } else {
        MAX_CHIPS
    }
}

fn producer_height(p: &ProducerView, compact: bool, chars: usize) -> f64 {
    // A compact stage says "idle" on the partition's line instead of a line of its own.
    let least = usize::from(!compact);
    let chips: usize = p
        .partitions
        .iter()
        .map(|c| (c.in_flight.len() + c.queued.len()).clamp(least, max_chips(compact) + 1))
        .sum();
    3.0 * LINE
        + 16.0
        + p.partitions.len() as f64 * LINE
        + chips as f64 * CHIP
        + 8.0
        + txn_lines(p, chars) as f64 * LINE
}

/// Extra lines a transactional producer's box shows: its id, its state, and why it is fenced
/// (wrapped to the box's `chars`).
fn txn_lines(p: &ProducerView, chars: usize) -> usize {
    let Some(t) = &p.transaction else {
        return 0;
    };
    match ClientState::of(&t.state)
        .as_ref()
        .and_then(ClientState::fatal_error)
    {
        Some(error) => 2 + wrap(describe::fatal_reason(error), chars).len(),
        None => 2,
    }
}

/// `s` in lines of at most `chars` characters, broken between words (SVG text does not wrap).
fn wrap(s: &str, chars: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in s.split(' ') {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= chars => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

fn broker_height(b: &BrokerView, compact: bool) -> f64 {
    let lines: usize = b
        .replicas
        .iter()
        .map(|r| 1 + memory_lines(r, None, None, compact && !r.is_leader, &|_| None).len())
        .sum();
    // A stopped broker keeps a row for its countdown, and so does each producer state about
    // to expire (drawn by the wire layer).
    let countdown = broker_timers(b).len();
    LINE + 16.0 + (lines + countdown) as f64 * LINE + 6.0
}

/// A piece of a line of text, with the class that lights it up, if any.
#[derive(Clone)]
enum Span {
    Plain(String),
    /// A cached batch `[sequences→@offset]`: lit when the newest check is about it, marked with
    /// the colour of the producer batch that wrote it when that is known.
    Slot {
        text: String,
        lit: Option<&'static str>,
        batch: Option<u64>,
    },
}

fn plain(s: String) -> Vec<Span> {
    vec![Span::Plain(s)]
}

/// A producer-state expiry is counted down when `producer.id.expiration.ms` is this short or
/// shorter: Kafka's default (a day) never runs out in a run worth watching.
const SHORT_EXPIRY_MS: u64 = 15 * 60_000;

/// A broker's timers, one row each at the bottom of its box: its restart while it is down,
/// and each producer state that will soon be forgotten.
fn broker_timers(b: &BrokerView) -> Vec<(u64, u64, String, &'static str)> {
    let mut timers = Vec::new();
    if let Some((since, until)) = b.down {
        timers.push((since, until, "restarts".to_string(), "broker-down"));
    }
    if b.alive {
        for r in &b.replicas {
            for x in r
                .expiries
                .iter()
                .filter(|x| x.at_ms.saturating_sub(x.since_ms) <= SHORT_EXPIRY_MS)
            {
                let what = format!("p{} forgets pid {}", r.partition, x.producer_id);
                timers.push((x.since_ms, x.at_ms, what, "state-expiry"));
            }
        }
    }
    timers
}

/// Producers a replica's memory is drawn in full for (more get a one-line summary).
const MAX_PRODUCERS_IN_FULL: usize = 2;
/// Cached batches drawn per line of a broker's memory.
const BATCHES_PER_LINE: usize = 3;

/// A line of a broker's box: its spans and its CSS class.
type BoxLine = (Vec<Span>, &'static str);

/// What a replica remembers of each producer, in full (the dedup rule's whole input): per
/// producer id and epoch, its cached batches as `sequences→offsets`, a few per line.
fn memory_lines(
    r: &ReplicaView,
    forgot: Option<&Forgotten>,
    checked: Option<&Checked>,
    summary_only: bool,
    batch_at: &dyn Fn(i64) -> Option<u64>,
) -> Vec<BoxLine> {
    if r.producer_state.is_empty() {
        return empty_memory(r, forgot, summary_only);
    }
    if let Some(summary) = memory_summary(r, summary_only) {
        return vec![(plain(summary), "node-line muted")];
    }
    let mut lines = Vec::new();
    for e in &r.producer_state {
        lines.extend(producer_memory(r.partition, e, checked, batch_at));
    }
    lines
}

/// A replica that remembers no producer: the one it forgot and why, or that it knows none
/// (the same one line either way, so the box keeps its height).
fn empty_memory(r: &ReplicaView, forgot: Option<&Forgotten>, summary_only: bool) -> Vec<BoxLine> {
    if let Some(f) = forgot {
        let why = if f.by_fault {
            "state deleted by a fault"
        } else {
            "expired"
        };
        let line = format!("forgot pid {}: {why} at {} ms", f.producer_id, f.time_ms);
        return vec![(plain(line), "node-line bad strong")];
    }
    // A compact stage leaves out a follower's empty memory: only the leader's is checked.
    if summary_only {
        return Vec::new();
    }
    let none = if r.log_end_offset > 0 {
        "remembers no producer"
    } else {
        "remembers no producer yet"
    };
    vec![(plain(none.to_string()), "node-line muted")]
}

/// One line for a busy replica (many producers) or a compact stage: drawing every cached
/// batch of every producer made the boxes taller than the screen and every frame slow.
fn memory_summary(r: &ReplicaView, summary_only: bool) -> Option<String> {
    if let ([e], true) = (r.producer_state.as_slice(), summary_only) {
        let n = e.batches.len();
        let plural = if n == 1 { "" } else { "es" };
        return Some(format!(
            "remembers pid {} epoch {} · {n} batch{plural}",
            e.producer_id, e.epoch
        ));
    }
    if r.producer_state.len() > MAX_PRODUCERS_IN_FULL || summary_only {
        let batches: usize = r.producer_state.iter().map(|e| e.batches.len()).sum();
        let producers = r.producer_state.len();
        return Some(format!(
            "remembers {producers} producers · {batches} batches"
        ));
    }
    None
}

/// One producer's entry: its id and epoch, then its cached batches a few to a line, the one
/// the newest check matched lit.
fn producer_memory(
    partition: idempotence_sim::types::PartitionId,
    e: &idempotence_sim::producer_state::ProducerEntry,
    checked: Option<&Checked>,
    batch_at: &dyn Fn(i64) -> Option<u64>,
) -> Vec<BoxLine> {
    let n = e.batches.len();
    let plural = if n == 1 { "" } else { "es" };
    let head = format!(
        "remembers pid {} epoch {} · {n} batch{plural}:",
        e.producer_id, e.epoch
    );
    let mut lines = vec![(plain(head), "node-line memory-head")];
    // The slot the newest check lit up: the cached batch it matched or was appended as; for
    // a rejected batch, the newest slot (the sequence it had to follow).
    let lit = checked
        .filter(|c| c.partition == partition && c.producer_id == e.producer_id)
        .and_then(|c| {
            let found = match c.outcome {
                CheckOutcome::Rejected => e.batches.len().checked_sub(1),
                _ => e
                    .batches
                    .iter()
                    .position(|b| b.first_seq == c.first_seq && b.last_seq == c.last_seq),
            };
            found.map(|i| (i, c.outcome.class()))
        });
    let slots: Vec<Span> = e
        .batches
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let seq = if b.first_seq == b.last_seq {
                b.first_seq.to_string()
            } else {
                format!("{}–{}", b.first_seq, b.last_seq)
            };
            Span::Slot {
                text: format!("[{seq}→@{}]", b.first_offset),
                lit: lit.filter(|&(at, _)| at == i).map(|(_, class)| class),
                batch: batch_at(b.first_offset),
            }
        })
        .collect();
    // Long slots (big sequences or offsets) go two to a line so none runs out of the box
    // (each also has its batch's colour mark, about a character wide).
    let widest = slots
        .iter()
        .map(|s| match s {
            Span::Slot { text, .. } => text.chars().count() + 1,
            Span::Plain(t) => t.chars().count(),
        })
        .max()
        .unwrap_or(0);
    let per_line = if widest > 11 { 2 } else { BATCHES_PER_LINE };
    for chunk in slots.chunks(per_line) {
        let mut spans: Vec<Span> = vec![Span::Plain("  ".to_string())];
        for (i, slot) in chunk.iter().enumerate() {
            if i > 0 {
                spans.push(Span::Plain(" ".to_string()));
            }
            spans.push(slot.clone());
        }
        lines.push((spans, "node-line memory-slots"));
    }
    lines
}

impl Layout {
    fn new(snap: &Snapshot, narrow: bool, compact: bool, room: f64) -> Layout {
        let gap = 14.0;
        let stack = |heights: Vec<f64>, x: f64, w: f64, y0: f64| -> (Vec<BoxGeom>, f64) {
            let mut y = y0;
            let boxes = heights
                .into_iter()
                .map(|h| {
                    let g = BoxGeom { x, y, w, h };
                    y += h + gap;
                    g
                })
                .collect();
            (boxes, y)
        };
        // About the width of a phone's screen in CSS px when narrow, so stage text keeps its
        // size; otherwise as wide as the room (see `room_for`).
        let width = if narrow {
            360.0
        } else {
            room.clamp(LEAST_ROOM, WIDE_ROOM)
        };
        let w = if narrow {
            344.0
        } else {
            ((width - 16.0 - LEAST_WIRE) / 2.0).min(WIDE_BOX)
        };
        let chars = line_chars(w);
        let ph: Vec<f64> = snap
            .producers
            .iter()
            .map(|p| producer_height(p, compact, chars))
            .collect();
        let bh: Vec<f64> = snap
            .brokers
            .iter()
            .map(|b| broker_height(b, compact))
            .collect();
        let (producers, brokers, height) = if narrow {
            let (producers, y) = stack(ph, 8.0, w, 8.0);
            let (brokers, end) = stack(bh, 8.0, w, y + 84.0);
            (producers, brokers, end)
        } else {
            let (producers, py) = stack(ph, 8.0, w, 8.0);
            let (brokers, by) = stack(bh, width - 8.0 - w, w, 8.0);
            (producers, brokers, py.max(by).max(150.0))
        };
        Layout {
            width,
            height,
            narrow,
            producers,
            brokers,
        }
    }

    /// Where messages leave/arrive on a node.
    fn anchor(&self, node: Node) -> (f64, f64) {
        let b = match node {
            Node::Producer(i) => self.producers.get(i as usize),
            Node::Broker(i) => self.brokers.get(i as usize),
            Node::Injector => None,
        };
        let Some(b) = b else {
            return if self.narrow {
                (180.0, self.height - 4.0)
            } else {
                (140.0, self.height - 4.0)
            };
        };
        match (node, self.narrow) {
            (Node::Broker(_), false) => (b.x, b.y + b.h / 2.0),
            (_, false) => (b.x + b.w, b.y + b.h / 2.0),
            (Node::Broker(_), true) => (b.x + b.w / 2.0, b.y),
            (_, true) => (b.x + b.w / 2.0, b.y + b.h),
        }
    }
}

/// `s` cut to `max` characters with an ellipsis (SVG text does not wrap).
fn fit(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        s.chars().take(max - 1).chain(['…']).collect()
    } else {
        s.to_string()
    }
}

fn text(x: f64, y: f64, class: &'static str, s: String) -> Html {
    html! { <text x={x.to_string()} y={y.to_string()} class={class}>{ s }</text> }
}

/// The producer's name, and a tag when it is fenced or restarting.
fn producer_title(t: &mut BoxText, p: &ProducerView, g: BoxGeom, fenced: Option<KafkaError>) {
    // A release the scenario names is part of the producer's name: it changes what it does.
    let title = match p.client_version {
        Some(v) => format!("Producer {} · client {v}", p.index),
        None => format!("Producer {}", p.index),
    };
    t.line("node-title", title);
    if fenced.is_some() && p.alive {
        t.parts.push(text(
            g.x + g.w - 12.0,
            t.y,
            "node-tag end bad",
            "FENCED".into(),
        ));
    }
    if !p.alive {
        t.parts.push(text(
            g.x + g.w - 90.0,
            t.y,
            "node-tag bad",
            "restarting".into(),
        ));
    }
}

/// The producer id and epoch, or why there is none.
fn producer_ids(p: &ProducerView) -> String {
    if !p.idempotent {
        "no producer id (idempotence off)".to_string()
    } else if p.producer_id < 0 {
        "waiting for a producer id…".to_string()
    } else {
        format!("pid {} · epoch {}", p.producer_id, p.epoch)
    }
}

/// The transactional id, then the transaction's state, or why the producer is fenced.
fn transaction_lines(
    t: &mut BoxText,
    txn: &ClientTxnView,
    state: Option<&ClientState>,
    fenced: Option<KafkaError>,
) {
    t.y += LINE;
    let id = fit(
        &format!("transactional.id {}", txn.transactional_id),
        t.chars,
    );
    t.line("node-line txn-id", id);
    t.y += LINE;
    if let Some(error) = fenced {
        t.line("node-line bad strong", format!("✕ fenced: {error}"));
        for line in wrap(describe::fatal_reason(error), t.chars) {
            t.y += LINE;
            t.line("node-line muted small", line);
        }
        return;
    }
    let words = state.map(ClientState::words).unwrap_or_default();
    let added = if txn.added_partitions.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = txn
            .added_partitions
            .iter()
            .map(|p| format!("p{p}"))
            .collect();
        format!(" · {}", names.join(", "))
    };
    let attempt = if txn.attempt > 1 {
        format!(", try {}", txn.attempt)
    } else {
        String::new()
    };
    // The partitions added are named while they fit (the coordinator panel lists them too),
    // then the attempt goes; only words longer than the box are cut.
    let i = txn.index;
    let line = [
        format!("txn {i}{attempt}: {words}{added}"),
        format!("txn {i}{attempt}: {words}"),
        format!("txn {i}: {words}"),
    ]
    .into_iter()
    .find(|l| l.chars().count() <= t.chars)
    .unwrap_or_else(|| fit(&format!("txn {i}: {words}"), t.chars));
    t.line("node-line txn-state", line);
}

/// A partition as the client holds it: its next sequence, then a chip per batch in flight
/// or queued (as many as fit).
fn partition_lines(
    t: &mut BoxText,
    c: &ClientPartitionView,
    idempotent: bool,
    g: BoxGeom,
    compact: bool,
) {
    t.y += LINE;
    let idle = c.in_flight.is_empty() && c.queued.is_empty();
    let mut head = if idempotent {
        format!("p{} · next sequence {}", c.partition, c.next_sequence)
    } else {
        format!("p{}", c.partition)
    };
    if idle && compact {
        head.push_str(" · idle");
    }
    t.line("node-line", head);
    t.y += 4.0;
    let in_flight = c
        .in_flight
        .iter()
        .map(|b| (true, describe::batch(b), b.batch_id));
    let queued = c.queued.iter().map(|b| {
        (
            false,
            format!("{} · queued", describe::batch(b)),
            b.batch_id,
        )
    });
    let chips: Vec<(bool, String, u64)> = in_flight.chain(queued).collect();
    let x = t.x;
    if chips.is_empty() && !compact {
        t.parts.push(text(
            x + 4.0,
            t.y + 15.0,
            "node-line muted",
            "no batch in flight".into(),
        ));
        t.y += CHIP;
    }
    let most = max_chips(compact);
    for (i, (in_flight, label, batch)) in chips.iter().enumerate() {
        if i == most {
            let more = format!("+{} more", chips.len() - most);
            t.parts
                .push(text(x + 4.0, t.y + 15.0, "node-line muted", more));
            t.y += CHIP;
            break;
        }
        let y = t.y;
        t.parts.push(html! {
            <g class={classes!("chip-svg", in_flight.then_some("in-flight"), view::batch_hue(*batch))} data-batch={batch.to_string()}>
                <rect x={x.to_string()} y={y.to_string()} width={(g.w - 24.0).to_string()} height={(CHIP - 4.0).to_string()} rx="9" />
                <rect class="batch-mark" x={(g.x + g.w - 30.0).to_string()} y={(y + 5.0).to_string()} width="10" height={(CHIP - 14.0).to_string()} rx="2" />
                <text x={(x + 10.0).to_string()} y={(y + 13.0).to_string()}>
                    { if *in_flight { format!("↗ {label}") } else { label.clone() } }
                </text>
            </g>
        });
        t.y += CHIP;
    }
}

/// Text written line by line down a node's box.
struct BoxText {
    x: f64,
    y: f64,
    /// Characters of a plain line that fit the box.
    chars: usize,
    parts: Vec<Html>,
}

impl BoxText {
    fn line(&mut self, class: &'static str, s: String) {
        self.parts.push(text(self.x, self.y, class, s));
    }
}

fn producer_box(p: &ProducerView, g: BoxGeom, props: &NodesProps) -> Html {
    let txn_state = p
        .transaction
        .as_ref()
        .and_then(|t| ClientState::of(&t.state));
    let fenced = txn_state.as_ref().and_then(ClientState::fatal_error);
    let mut t = BoxText {
        x: g.x + 12.0,
        y: g.y + 22.0,
        chars: line_chars(g.w),
        parts: Vec::new(),
    };
    producer_title(&mut t, p, g, fenced);
    t.y += LINE + 2.0;
    t.line("node-line strong", producer_ids(p));
    if let Some(txn) = &p.transaction {
        transaction_lines(&mut t, txn, txn_state.as_ref(), fenced);
    }
    t.y += LINE;
    let acked = p
        .outcomes
        .iter()
        .filter(|o| matches!(o, MessageOutcome::Acked { .. }))
        .count();
    let sent = format!(
        "send() called {}/{} · acked {acked}",
        p.messages_sent, p.messages_total
    );
    t.line("node-line muted", sent);
    t.y += 6.0;
    for c in &p.partitions {
        partition_lines(&mut t, c, p.idempotent, g, props.compact);
    }
    let parts = t.parts;
    let what = Selected::Producer(p.index);
    let selected = props.selected.as_ref() == Some(&what);
    let (click, key) = select_handlers(&props.on_select, what);
    let interactive = props.on_select.is_some();
    html! {
        <g class={classes!("node", "producer", (!p.alive).then_some("down"), fenced.is_some().then_some("fenced"), selected.then_some("selected"), interactive.then_some("clickable"))}
            data-producer={p.index.to_string()}
            data-txn-state={txn_state.as_ref().map(ClientState::code)}
            data-fenced={fenced.map(|e| e.to_string())}
            role={interactive.then_some("button")} tabindex={interactive.then_some("0")}
            aria-label={format!("Producer {}{}: show actions", p.index, match (p.alive, fenced) {
                (false, _) => " (restarting)".to_string(),
                (true, Some(e)) => format!(" (fenced: {e})"),
                _ => String::new(),
            })}
            aria-pressed={interactive.then(|| selected.to_string())}
            onclick={click} onkeydown={key}>
            <rect class="node-box" x={g.x.to_string()} y={g.y.to_string()} width={g.w.to_string()} height={g.h.to_string()} rx="10" />
            { for parts }
        </g>
    }
}

/// The broker's name, and its role: the partitions it leads, follower, or crashed.
fn broker_title(t: &mut BoxText, b: &BrokerView, g: BoxGeom) {
    let leader_of: Vec<String> = b
        .replicas
        .iter()
        .filter(|r| r.is_leader)
        .map(|r| format!("p{}", r.partition))
        .collect();
    let role = if !b.alive {
        "crashed".to_string()
    } else if leader_of.is_empty() {
        "follower".to_string()
    } else {
        format!("leader of {}", leader_of.join(", "))
    };
    // A release the scenario names is part of the broker's name, as for producers.
    let title = match b.broker_version {
        Some(v) => format!("Broker {} · {v}", b.id),
        None => format!("Broker {}", b.id),
    };
    t.line("node-title", title);
    let class = if b.alive {
        "node-tag end"
    } else {
        "node-tag end bad"
    };
    t.parts.push(text(g.x + g.w - 12.0, t.y, class, role));
}

/// A replica: its role, log end and high watermark, then what it remembers of producers.
fn replica_lines(t: &mut BoxText, b: &BrokerView, r: &ReplicaView, props: &NodesProps) {
    t.y += LINE;
    let role = if r.is_leader {
        "leader"
    } else if r.in_isr {
        "follower, in ISR"
    } else {
        "follower, out of ISR"
    };
    // The record count goes when the line would not fit the box (a follower's long role with
    // big offsets); the log panel has it.
    // DeleteRecords moved the log's start: where consumers begin now.
    let start = if r.log_start_offset > 0 {
        format!(" · from @{}", r.log_start_offset)
    } else {
        String::new()
    };
    let (p, hw) = (r.partition, r.high_watermark);
    let mut line = format!(
        "p{p} {role} · {} records · HW {hw}{start}",
        r.log_end_offset
    );
    if line.chars().count() > t.chars {
        line = format!("p{p} {role} · HW {hw}{start}");
    }
    if line.chars().count() > t.chars {
        line = format!("p{p} {role} · HW {hw}");
    }
    t.line("node-line", line);
    let forgot = props
        .forgotten
        .iter()
        .rev()
        .find(|f| f.broker == b.id && f.partition == r.partition);
    let checked = props.checked.as_ref().filter(|c| c.broker == b.id);
    // The producer batch that wrote a cached batch: the record at its first offset.
    let tail = props
        .logs
        .as_ref()
        .and_then(|l| l.iter().find(|t| t.partition == r.partition).cloned());
    let batch_at = |offset: i64| {
        tail.as_ref()?
            .newest
            .iter()
            .find(|e| e.offset == offset)?
            .batch_id
    };
    let summary_only = props.compact && !r.is_leader;
    let chars = t.chars;
    for (spans, class) in memory_lines(r, forgot, checked, summary_only, &batch_at) {
        t.y += LINE;
        let (x, y) = (t.x, t.y);
        t.parts.push(html! {
            <text x={x.to_string()} y={y.to_string()} {class}>
                { for spans.into_iter().map(|span| match span {
                    Span::Slot { text, lit, batch } => html! { <>
                        if let Some(b) = batch {
                            <tspan class={classes!("batch-glyph", view::batch_hue(b))} data-batch={b.to_string()}>{ "▮" }</tspan>
                        }
                        <tspan class={classes!("slot", lit)} data-lit={lit.map(|_| "true")}>{ text }</tspan>
                    </> },
                    Span::Plain(s) => html! { <>{ shorten_memory(s, chars) }</> },
                }) }
            </text>
        });
    }
}

/// A memory line for a box that holds `chars` characters: "remembers" goes first (the lines
/// above and the box's title say whose memory it is), then the end is cut.
fn shorten_memory(s: String, chars: usize) -> String {
    if s.chars().count() <= chars {
        return s;
    }
    fit(s.strip_prefix("remembers ").unwrap_or(&s), chars)
}

fn broker_box(b: &BrokerView, g: BoxGeom, props: &NodesProps) -> Html {
    let mut t = BoxText {
        x: g.x + 12.0,
        y: g.y + 22.0,
        chars: line_chars(g.w),
        parts: Vec::new(),
    };
    broker_title(&mut t, b, g);
    for r in &b.replicas {
        replica_lines(&mut t, b, r, props);
    }
    let parts = t.parts;
    let what = Selected::Broker(b.id);
    let selected = props.selected.as_ref() == Some(&what);
    let (click, key) = select_handlers(&props.on_select, what);
    let interactive = props.on_select.is_some();
    html! {
        <g class={classes!("node", "broker", (!b.alive).then_some("down"), selected.then_some("selected"), interactive.then_some("clickable"))}
            data-broker={b.id.to_string()}
            role={interactive.then_some("button")} tabindex={interactive.then_some("0")}
            aria-label={format!("Broker {}{}: show actions", b.id, if b.alive { "" } else { " (crashed)" })}
            aria-pressed={interactive.then(|| selected.to_string())}
            onclick={click} onkeydown={key}>
            <rect class="node-box" x={g.x.to_string()} y={g.y.to_string()} width={g.w.to_string()} height={g.h.to_string()} rx="10" />
            { for parts }
        </g>
    }
}

/// The producer batch each produce request carries (its first one), from the `RequestSent`
/// events: derived once per position, not per message per animation frame.
fn request_batches(events: &[Event]) -> BTreeMap<u64, u64> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::RequestSent {
                request, batches, ..
            } => Some((*request, batches.first()?.batch_id)),
            _ => None,
        })
        .collect()
}

/// The producer and broker a request travelled between, from its `RequestSent` event.
fn request_link(events: &[Event], request: u64) -> Option<(Node, Node)> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::RequestSent {
            producer,
            broker,
            request: r,
            ..
        } if *r == request => Some((
            producer.map_or(Node::Injector, Node::Producer),
            Node::Broker(*broker),
        )),
        _ => None,
    })
}

/// An SVG `translate`, rounded to a tenth of a unit: a moving message changes one attribute a
/// frame (not four), and sub-pixel steps that would not show do not touch the DOM.
fn translate(x: f64, y: f64) -> String {
    let r = |v: f64| (v * 10.0).round() / 10.0;
    format!("translate({} {})", r(x), r(y))
}

/// A producer id a replica forgot (its state expired, or a fault deleted it), from the events.
#[derive(Debug, Clone, PartialEq)]
struct Forgotten {
    broker: u32,
    partition: u32,
    producer_id: i64,
    time_ms: u64,
    by_fault: bool,
}

/// The stage is drawn in four layers, bottom to top: links, messages, boxes, then loss marks
/// and countdowns. A message crossing another node's box (two producers stacked on a phone)
/// passes behind it instead of over its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Links,
    Boxes,
    Messages,
    Overlays,
}

/// What the node layer draws: it does not move with the clock, so it is re-rendered only when
/// the state shown or the selection changes, not on every animation frame.
#[derive(Properties, PartialEq)]
struct NodesProps {
    layer: Layer,
    snapshot: Shared<Snapshot>,
    /// Producer ids replicas forgot, newest last (said where the memory is now empty).
    forgotten: Rc<Vec<Forgotten>>,
    checked: Option<Checked>,
    logs: Option<Shared<Vec<Rc<LogTail>>>>,
    narrow: bool,
    compact: bool,
    /// The wide layout's width in units (see [`room_for`]).
    room: f64,
    selected: Option<Selected>,
    on_select: Option<Callback<Selected>>,
}

/// Links, producers and brokers.
#[component]
fn StageNodes(props: &NodesProps) -> Html {
    let snap = &props.snapshot;
    let layout = Layout::new(snap, props.narrow, props.compact, props.room);
    // Faint links between every producer and every broker; a cut one is drawn cut. Each is
    // clickable (a wide invisible line takes the click) to cut it.
    let links = snap.producers.iter().flat_map(|p| {
        let layout = &layout;
        snap.brokers.iter().map(move |b| {
            let (x1, y1) = layout.anchor(Node::Producer(p.index));
            let (x2, y2) = layout.anchor(Node::Broker(b.id));
            let cut = snap.links_cut.iter().any(|c| c.producer == p.index && c.broker == b.id);
            let what = Selected::Link { producer: p.index, broker: b.id };
            let selected = props.selected.as_ref() == Some(&what);
            let interactive = props.on_select.is_some();
            let (click, key) = select_handlers(&props.on_select, what);
            let (x1, y1, x2, y2) = (x1.to_string(), y1.to_string(), x2.to_string(), y2.to_string());
            html! {
                <g class={classes!("link-group", cut.then_some("cut"), selected.then_some("selected"), interactive.then_some("clickable"))}
                    data-link={format!("{}-{}", p.index, b.id)}
                    role={interactive.then_some("button")} tabindex={interactive.then_some("0")}
                    aria-label={interactive.then(|| format!("Link producer {} ↔ broker {}{}: show actions", p.index, b.id,
                        if cut { " (cut)" } else { "" }))}
                    onclick={click} onkeydown={key}>
                    <line class="link" x1={x1.clone()} y1={y1.clone()} x2={x2.clone()} y2={y2.clone()} />
                    if interactive {
                        <line class="link-hit" {x1} {y1} {x2} {y2} />
                    }
                </g>
            }
        })
    });
    if props.layer == Layer::Links {
        return html! { <g class="links">{ for links }</g> };
    }
    html! {
        <>
            { for snap.producers.iter().zip(&layout.producers).map(|(p, g)| producer_box(p, *g, props)) }
            { for snap.brokers.iter().zip(&layout.brokers).map(|(b, g)| broker_box(b, *g, props)) }
        </>
    }
}

/// What the wire layer draws: messages move with the clock.
#[derive(Properties, PartialEq)]
struct WireProps {
    layer: Layer,
    snapshot: Shared<Snapshot>,
    events: Shared<Vec<Event>>,
    /// Request id → the producer batch it carries (see [`request_batches`]).
    request_batches: Rc<BTreeMap<u64, u64>>,
    clock_ms: f64,
    narrow: bool,
    compact: bool,
    /// The wide layout's width in units (see [`room_for`]).
    room: f64,
    reduced_motion: bool,
    selected: Option<Selected>,
    on_select: Option<Callback<Selected>>,
}

/// Messages on the wire and the marks of recent losses.
#[component]
fn StageWire(props: &WireProps) -> Html {
    let snap = &props.snapshot;
    let layout = Layout::new(snap, props.narrow, props.compact, props.room);
    let clock = props.clock_ms;
    if props.layer == Layer::Messages {
        // Messages on the wire; several on one link are fanned out so they do not overlap.
        let mut seen: Vec<(Node, Node)> = Vec::new();
        let messages = snap.messages.iter().map(|m| {
            let k = seen.iter().filter(|l| **l == (m.from, m.to)).count() as f64;
            seen.push((m.from, m.to));
            wire_message(m, k, &layout, props)
        });
        return html! { <g class="messages">{ for messages }</g> };
    }
    let marks = loss_marks(props, &layout, clock);
    let countdowns = countdowns(snap, &layout, clock);
    html! {
        <>
            <g class="marks">{ for marks }</g>
            <g class="countdowns">{ countdowns }</g>
        </>
    }
}

/// One message on its way, the `k`-th on its link: a pill with its label (and its batch's
/// colour mark), a marker's pill beside the broker column, or a replication dot.
fn wire_message(m: &MessageView, k: f64, layout: &Layout, props: &WireProps) -> Html {
    let batch = m
        .request
        .filter(|_| matches!(m.kind, MessageKind::Produce | MessageKind::Response))
        .and_then(|r| props.request_batches.get(&r).copied());
    let (short, _) = describe::abbreviate(&m.label);
    let label = if m.doomed {
        format!("✕ {short}")
    } else {
        short
    };
    // A pill is as wide as its label needs (bold capitals run ~7.6 units a character at 11 px,
    // ~8.4 at the narrow stage's 12 px), so nothing is cut; the full wording is in its
    // tooltip. (A produce request or its response also has room for its batch's colour mark.)
    let per_char = if layout.narrow { 8.4 } else { 7.6 };
    let mark = if batch.is_some() { 14.0 } else { 0.0 };
    let w =
        (label.chars().count() as f64 * per_char + 24.0 + mark).clamp(120.0, layout.width - 16.0);
    let (x1, y1) = layout.anchor(m.from);
    let (x2, y2) = layout.anchor(m.to);
    let replication = matches!((m.from, m.to), (Node::Broker(_), Node::Broker(_)));
    // A pill travels between the boxes' edges, not over them: its centre stops half a pill
    // short of each end (or waits midway when the gap is narrower than the pill).
    let ((x1, y1), (x2, y2)) = if m.kind == MessageKind::Marker || replication {
        ((x1, y1), (x2, y2))
    } else if layout.narrow {
        inset((x1, y1), (x2, y2), 14.0)
    } else {
        inset((x1, y1), (x2, y2), w / 2.0 + 4.0)
    };
    let span = m.arrive_ms.saturating_sub(m.sent_ms).max(1) as f64;
    let f = if props.reduced_motion {
        0.5
    } else {
        ((props.clock_ms - m.sent_ms as f64) / span).clamp(0.0, 1.0)
    };
    if m.kind == MessageKind::Marker {
        return marker_pill(m, k, layout, (x1.min(x2), y1 + (y2 - y1) * f));
    }
    let toward_broker = matches!(m.to, Node::Broker(_)) && !matches!(m.from, Node::Broker(_));
    let side = if toward_broker { -1.0 } else { 1.0 };
    let (ox, oy) = if layout.narrow {
        (side * (60.0 + 8.0 * k), 0.0)
    } else {
        (0.0, side * (14.0 + 24.0 * k))
    };
    let x = x1 + (x2 - x1) * f + ox;
    let y = y1 + (y2 - y1) * f + oy;
    let class = classes!(
        "msg",
        format!("msg-{}", m.kind),
        m.doomed.then_some("doomed")
    );
    if replication {
        let (bx, by) = if layout.narrow { (x, y) } else { (x - 14.0, y) };
        return html! {
            <g key={m.id} class={class} transform={translate(bx, by)}>
                <title>{ &m.label }</title>
                <circle cx="0" cy="0" r="4" />
            </g>
        };
    }
    let pill = Pill {
        label,
        width: w,
        mark,
        batch,
    };
    client_pill(m, pill, (x, y), class, props)
}

/// Coordinator ⇄ partition leader (the same broker in one-broker clusters): a pill beside the
/// broker column, at the height the marker has reached, so its journey is readable.
fn marker_pill(m: &MessageView, k: f64, layout: &Layout, (left, y): (f64, f64)) -> Html {
    let w = (m.label.chars().count() as f64 * 7.6 + 20.0).max(172.0);
    let (mx, my) = if layout.narrow {
        (layout.width - 20.0 - w / 2.0, y - 14.0 - 22.0 * k)
    } else {
        (left - 10.0 - w / 2.0, y + 48.0 + 22.0 * k)
    };
    let class = classes!(
        "msg",
        format!("msg-{}", m.kind),
        m.doomed.then_some("doomed")
    );
    html! {
        <g key={m.id} class={class} data-kind="marker" transform={translate(mx, my)}>
            <title>{ &m.label }</title>
            <rect x={(-w / 2.0).to_string()} y="-10" width={w.to_string()} height="20" rx="4" />
            <text x="0" y="4" text-anchor="middle">{ &m.label }</text>
        </g>
    }
}

/// A pill's label and size: its width and the room kept for its batch's colour mark.
struct Pill {
    label: String,
    width: f64,
    mark: f64,
    batch: Option<u64>,
}

/// A message between a client and a broker. A produce request or response that will arrive
/// can be clicked to drop it.
fn client_pill(
    m: &MessageView,
    pill: Pill,
    (x, y): (f64, f64),
    class: Classes,
    props: &WireProps,
) -> Html {
    let Pill {
        label,
        width: w,
        mark,
        batch,
    } = pill;
    let droppable = matches!(m.kind, MessageKind::Produce | MessageKind::Response)
        && m.request.is_some()
        && !m.doomed;
    let interactive = droppable && props.on_select.is_some();
    let what = Selected::Message {
        request: m.request.unwrap_or_default(),
        response: m.kind == MessageKind::Response,
        label: m.label.clone(),
    };
    let selected = props.selected.as_ref() == Some(&what);
    let (click, key) = if interactive {
        select_handlers(&props.on_select, what)
    } else {
        (Callback::noop(), Callback::noop())
    };
    let class = classes!(
        class,
        interactive.then_some("clickable"),
        selected.then_some("selected")
    );
    html! {
        <g key={m.id} class={class} data-kind={m.kind.as_str()} data-request={m.request.map(|r| r.to_string())}
            transform={translate(x, y)}
            role={interactive.then_some("button")} tabindex={interactive.then_some("0")}
            aria-label={interactive.then(|| format!("{}: show actions", m.label))}
            onclick={click} onkeydown={key}>
            <title>{ if m.doomed { format!("{} (this message will be lost)", m.label) } else { m.label.clone() } }</title>
            <rect x={(-w / 2.0).to_string()} y="-10" width={w.to_string()} height="20" rx="10" />
            if let Some(b) = batch {
                <rect class={classes!("batch-mark", view::batch_hue(b))} x={(w / 2.0 - 16.0).to_string()} y="-5" width="8" height="10" rx="2" />
            }
            <text x={(-mark / 2.0).to_string()} y="4" text-anchor="middle">{ label }</text>
        </g>
    }
}

/// Recent losses stay marked on their link for a moment. Several marks on one link (a lost
/// response, then the reset connection) stack downwards.
fn loss_marks(props: &WireProps, layout: &Layout, clock: f64) -> Vec<Html> {
    let mut marked: Vec<(Node, Node)> = Vec::new();
    props
        .events
        .iter()
        .rev()
        .take_while(|e| e.time_ms + MARK_MS >= clock as u64)
        .filter_map(|e| {
            let (link, what) = match &e.kind {
                EventKind::ResponseLost { request } => {
                    (request_link(&props.events, *request)?, "✕ response lost")
                }
                EventKind::RequestLost { request, .. } => {
                    (request_link(&props.events, *request)?, "✕ request lost")
                }
                EventKind::ConnectionClosed {
                    producer, broker, ..
                } => (
                    (Node::Producer(*producer), Node::Broker(*broker)),
                    "⚡ connection closed",
                ),
                _ => return None,
            };
            let (x1, y1) = layout.anchor(link.0);
            let (x2, y2) = layout.anchor(link.1);
            let stacked = marked.iter().filter(|l| **l == link).count() as f64;
            marked.push(link);
            // On a phone the link is vertical and responses travel right of it, so the mark
            // goes to the left margin rather than over them.
            let (x, y, anchor) = if layout.narrow {
                (10.0, (y1 + y2) / 2.0 + 17.0 * stacked, "start")
            } else {
                (
                    (x1 + x2) / 2.0,
                    (y1 + y2) / 2.0 + 44.0 + 17.0 * stacked,
                    "middle",
                )
            };
            Some(html! {
                <g class="loss-mark">
                    <text x={x.to_string()} y={y.to_string()} text-anchor={anchor}>{ what }</text>
                </g>
            })
        })
        .collect()
}

/// The ends of a path moved `by` towards each other along its main axis (horizontal on the
/// wide stage, vertical on the narrow one); when they would cross, both become the midpoint.
fn inset(a: (f64, f64), b: (f64, f64), by: f64) -> ((f64, f64), (f64, f64)) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = dx.abs().max(dy.abs());
    if len <= 2.0 * by {
        let mid = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
        return (mid, mid);
    }
    let t = by / len;
    ((a.0 + dx * t, a.1 + dy * t), (b.0 - dx * t, b.1 - dy * t))
}

/// A countdown as RaftScope draws timers: an arc that empties as the time runs out, and the
/// time left in words.
fn countdown(
    x: f64,
    y: f64,
    since: u64,
    until: u64,
    clock: f64,
    what: String,
    class: &'static str,
) -> Html {
    let total = until.saturating_sub(since).max(1) as f64;
    let left = (until as f64 - clock).max(0.0);
    let r = 7.0;
    let circumference = 2.0 * std::f64::consts::PI * r;
    let shown = circumference * (left / total).clamp(0.0, 1.0);
    let words = format!("{what} · {:.1} s left", left / 1000.0);
    html! {
        <g class={classes!("countdown", class)} transform={translate(x, y)}>
            <title>{ words.clone() }</title>
            <circle class="countdown-track" cx="0" cy="0" r={r.to_string()} />
            <circle class="countdown-arc" cx="0" cy="0" r={r.to_string()}
                stroke-dasharray={format!("{shown:.1} {circumference:.1}")} transform="rotate(-90)" />
            <text x="12" y="4">{ words }</text>
        </g>
    }
}

/// The client's timers worth watching, most pressing first: a retry backoff
/// (`retry.backoff.ms`, growing per attempt); `request.timeout.ms` once nothing is on the wire
/// to or from the producer (an answer is not coming: it was lost, or the broker is stalled);
/// `delivery.timeout.ms` once a batch has been retried, or when it runs out before the request
/// timeout would.
fn producer_timers(
    snap: &Snapshot,
    p: &ProducerView,
) -> Vec<(u64, u64, &'static str, &'static str)> {
    let mut timers = Vec::new();
    if let Some((since, until)) = p
        .partitions
        .iter()
        .filter_map(|c| c.backoff)
        .max_by_key(|b| b.1)
    {
        timers.push((since, until, "retry backoff", "backoff"));
    }
    let me = Node::Producer(p.index);
    let waiting = !snap.messages.iter().any(|m| m.from == me || m.to == me);
    if let Some((since, until)) = p.request_timeout.filter(|_| waiting) {
        timers.push((since, until, "request timeout", "request-timeout"));
    }
    let delivery = p
        .partitions
        .iter()
        .filter(|c| {
            let retried = c.queued.iter().chain(&c.in_flight).any(|b| b.attempt > 1);
            let sooner = match (c.delivery_timeout, p.request_timeout) {
                (Some(d), Some(r)) => d.1 < r.1,
                _ => false,
            };
            retried || sooner
        })
        .filter_map(|c| c.delivery_timeout)
        .min_by_key(|d| d.1);
    if let Some((since, until)) = delivery {
        timers.push((since, until, "delivery timeout", "delivery-timeout"));
    }
    timers
}

/// Timers a reader should see running: a crashed broker's time down, a cut link's time cut,
/// and the producers' own (see [`producer_timers`]).
fn countdowns(snap: &Snapshot, layout: &Layout, clock: f64) -> Html {
    let brokers = snap.brokers.iter().zip(&layout.brokers).flat_map(|(b, g)| {
        let rows = broker_timers(b);
        let n = rows.len();
        rows.into_iter()
            .enumerate()
            .map(move |(i, (since, until, what, class))| {
                let y = g.y + g.h - 13.0 - LINE * (n - 1 - i) as f64;
                countdown(g.x + 20.0, y, since, until, clock, what, class)
            })
    });
    let links = snap.links_cut.iter().map(|c| {
        let (x1, y1) = layout.anchor(Node::Producer(c.producer));
        let (x2, y2) = layout.anchor(Node::Broker(c.broker));
        // On a phone the link is vertical and the producer's own timers sit under its box, so
        // the cut's countdown goes right of the line, lower down.
        let (x, y) = if layout.narrow {
            ((x1 + x2) / 2.0 + 14.0, (y1 + y2) / 2.0 + 22.0)
        } else {
            ((x1 + x2) / 2.0 - 50.0, (y1 + y2) / 2.0 - 16.0)
        };
        countdown(
            x,
            y,
            c.since_ms,
            c.until_ms,
            clock,
            "✂ link cut".into(),
            "link-cut",
        )
    });
    let producers = snap
        .producers
        .iter()
        .zip(&layout.producers)
        .flat_map(|(p, g)| {
            let (x, y, step) = if layout.narrow {
                (g.x + 14.0, g.y + g.h + 16.0, 18.0)
            } else {
                (g.x + g.w + 16.0, g.y + g.h - 8.0, -18.0)
            };
            producer_timers(snap, p).into_iter().enumerate().map(
                move |(i, (since, until, what, class))| {
                    countdown(
                        x,
                        y + step * i as f64,
                        since,
                        until,
                        clock,
                        what.into(),
                        class,
                    )
                },
            )
        });
    html! { <>{ for brokers }{ for links }{ for producers }</> }
}

#[component]
pub fn Stage(props: &StageProps) -> Html {
    let snap = &props.snapshot;
    // The stage's own width picks the wide layout's: one unit per CSS pixel where it fits.
    let svg = use_node_ref();
    let room = use_element_width(svg.clone()).map_or(WIDE_ROOM, room_for);
    let layout = Layout::new(snap, props.narrow, props.compact, room);
    // For the performance probe (and curious readers of the DOM): records on the wire.
    let records_in_flight: u32 = snap
        .producers
        .iter()
        .flat_map(|p| &p.partitions)
        .flat_map(|c| &c.in_flight)
        .map(|b| b.record_count)
        .sum();
    // Derived once per position, not on every animation frame (this component re-renders with
    // the clock; these only change with the events and the snapshot).
    let batches_of_requests = use_memo(props.events.clone(), |events| request_batches(events));
    let forgotten = use_memo(props.events.clone(), |events| {
        events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::ProducerStateExpired {
                    broker,
                    partition,
                    producer_id,
                    by_fault,
                } => Some(Forgotten {
                    broker,
                    partition,
                    producer_id,
                    time_ms: e.time_ms,
                    by_fault,
                }),
                _ => None,
            })
            .collect::<Vec<_>>()
    });
    // Error names abbreviated on the wire, explained under the stage.
    let abbreviations = use_memo(props.snapshot.clone(), |snap| {
        let mut used: Vec<(&'static str, &'static str)> = snap
            .messages
            .iter()
            .flat_map(|m| describe::abbreviate(&m.label).1)
            .collect();
        used.sort_unstable();
        used.dedup();
        used
    });
    html! {
        <>
        // An interactive stage is a group (role="img" would hide its buttons from assistive tech).
        <svg ref={svg} class={classes!("stage", props.narrow.then_some("narrow"))} id={props.id.clone()} data-stage="1" role={if props.on_select.is_some() { "group" } else { "img" }}
            data-records-in-flight={records_in_flight.to_string()}
            data-messages={snap.messages.len().to_string()}
            aria-label="Producers on one side, brokers on the other, and the requests and responses travelling between them"
            viewBox={format!("0 0 {} {}", layout.width, layout.height)}
            preserveAspectRatio="xMidYMin meet">
            { for [Layer::Links, Layer::Messages, Layer::Boxes, Layer::Overlays].into_iter().map(|layer| match layer {
                Layer::Links | Layer::Boxes => html! {
                    <StageNodes {layer} snapshot={props.snapshot.clone()} narrow={props.narrow} compact={props.compact} {room}
                        forgotten={forgotten.clone()} checked={props.checked.clone()} logs={props.logs.clone()}
                        selected={props.selected.clone()} on_select={props.on_select.clone()} />
                },
                Layer::Messages | Layer::Overlays => html! {
                    <StageWire {layer} snapshot={props.snapshot.clone()} events={props.events.clone()} clock_ms={props.clock_ms}
                        request_batches={batches_of_requests.clone()}
                        narrow={props.narrow} compact={props.compact} {room} reduced_motion={props.reduced_motion}
                        selected={props.selected.clone()} on_select={props.on_select.clone()} />
                },
            }) }
        </svg>
        if !abbreviations.is_empty() {
            <p class="stage-legend muted small">
                { for abbreviations.iter().map(|(short, name)| html! {
                    <span class="abbr"><strong>{ *short }</strong>{ format!(" = {name}") }</span>
                }) }
            </p>
        }
        </>
    }
}
