//! The TypeScript declarations of every object the JS API takes or returns, generated from the
//! Rust types (ts-rs reads their serde attributes), so the two cannot drift apart.
//! `crates/wasm/src/types.d.ts` is this output: `tests/typescript.rs` checks it, and
//! `UPDATE_TYPES=1 cargo test -p idempotence-sim --test typescript` writes it again.

use ts_rs::{Config, TS};

use crate::config::{Acks, ClusterConfig, NetworkConfig, ProducerConfig};
use crate::engine::{
    ClientTxnState, MessageOutcome, Node, ResponseRecord, TxnMetadata, TxnOutcome, TxnResult,
    TxnStatus,
};
use crate::error::KafkaError;
use crate::event::PartitionResult;
use crate::event::{BatchRef, BrokerVerdict, ControlMarker, Event, EventCategory, EventKind};
use crate::fault::{BatchMatcher, Fault, FaultRates, Rejection, ScriptedFault, Trigger};
use crate::invariants::{InvariantResult, Mechanism, Violation};
use crate::presets::Preset;
use crate::producer_state::{CachedBatch, DedupRule, ProducerEntry, RejectReason};
use crate::report::{
    BeatReport, Counters, PartitionReport, RecordReport, Report, TransactionReport,
};
use crate::scenario::{Burst, ProducerSpec, Scenario, TransactionPlan, Workload};
use crate::snapshot::{
    BrokerView, ClientPartitionView, ClientTxnView, LinkCutView, LogEntryView, MessageKind,
    MessageView, PartitionView, ProducerView, ReplicaView, Snapshot, StateExpiryView,
};
use crate::story::Beat;
use crate::sweep::{
    Axis, Estimate, PointResult, PointStats, Range, RunMeasures, Series, SeriesResult, Setting,
    SweepPreset, SweepResult, SweepSpec,
};

const HEADER: &str = "\
// Typed shapes of the objects the Lab API takes and returns, appended to
// idempotence_wasm.d.ts by wasm-bindgen (typescript_custom_section in crates/wasm/src/lib.rs).
// GENERATED from the Rust types by crates/sim/src/typescript.rs; do not edit by hand:
// UPDATE_TYPES=1 cargo test -p idempotence-sim --test typescript
// Numbers are simulated milliseconds, offsets, ids and counts: plain JS numbers below 2^53.
";

/// One `export type` with its doc comment, laid out one field per line.
fn declaration<T: TS>(cfg: &Config) -> String {
    format!(
        "{}export {}\n",
        T::docs().unwrap_or_default(),
        layout(&T::decl(cfg))
    )
}

/// Lays out a declaration as ts-rs writes it on one line (`type T = { a: A, b: B, } | { ... };`,
/// with doc comments inline): each object type's fields on their own lines, indented, and each
/// member of a union of object types on its own line. Strings and comments are copied as they
/// are; brackets inside them do not count.
fn layout(decl: &str) -> String {
    let mut out = String::with_capacity(decl.len() * 2);
    // Open brackets; `{` lays out its fields, the others keep them on one line. A `u` marks a
    // union whose members are on their own lines, indented one step.
    let mut open: Vec<char> = Vec::new();
    let depth = |open: &[char]| "  ".repeat(open.iter().filter(|&&b| b == '{' || b == 'u').count());
    let mut rest = decl;
    while let Some(c) = rest.chars().next() {
        let indent = depth(&open);
        if rest.starts_with("/**") {
            let end = rest.find("*/").map_or(rest.len(), |i| i + 2);
            for line in rest[..end].lines().map(str::trim) {
                let pad = if line.starts_with('*') { " " } else { "" };
                push_line(&mut out, &indent);
                out.push_str(pad);
                out.push_str(line);
            }
            push_line(&mut out, &indent);
            rest = rest[end..].trim_start();
            continue;
        }
        if c == '"' {
            let end = rest[1..].find('"').map_or(rest.len(), |i| i + 2);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        rest = &rest[c.len_utf8()..];
        match c {
            '{' if short_object(rest).is_some() => {
                let len = short_object(rest).unwrap_or_default();
                let body = rest[..len].trim().trim_end_matches(',').trim_end();
                out.push_str("{ ");
                out.push_str(body);
                out.push_str(" }");
                rest = &rest[len + 1..];
            }
            '{' => {
                open.push('{');
                out.push('{');
                push_line(&mut out, &depth(&open));
                rest = rest.trim_start();
            }
            '}' if open.last() == Some(&'{') => {
                open.pop();
                let trimmed = out.trim_end().trim_end_matches(',').len();
                out.truncate(trimmed);
                push_line(&mut out, &depth(&open));
                out.push('}');
            }
            '(' | '<' | '[' => {
                open.push(c);
                out.push(c);
            }
            ')' | '>' | ']' => {
                if open.last() == Some(&'u') {
                    open.pop();
                }
                open.pop();
                out.push(c);
            }
            ',' if open.last() == Some(&'{') => {
                out.push(',');
                push_line(&mut out, &indent);
                rest = rest.trim_start();
            }
            '|' if open.last().is_none_or(|&b| b == '(' || b == 'u')
                && rest.trim_start().starts_with('{') =>
            {
                if open.last() != Some(&'u') {
                    open.push('u');
                }
                push_line(&mut out, &depth(&open));
                out.push('|');
            }
            _ => out.push(c),
        }
    }
    out
}

/// An object type short enough to stay on one line: `rest` follows its `{`; returns where its
/// `}` is. Only objects without comments or nested objects qualify.
fn short_object(rest: &str) -> Option<usize> {
    const MAX: usize = 72;
    let mut in_string = false;
    for (i, c) in rest.char_indices().take(MAX) {
        match c {
            '"' => in_string = !in_string,
            '{' | '/' if !in_string => return None,
            '}' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

/// Ends the line (dropping trailing spaces) and indents the next; an empty line is reused.
fn push_line(out: &mut String, indent: &str) {
    let trimmed = out.trim_end_matches(' ').len();
    out.truncate(trimmed);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(indent);
}

macro_rules! declarations {
    ($cfg:expr; $($t:ty),* $(,)?) => {
        vec![$(declaration::<$t>($cfg)),*]
    };
}

/// The preset ids, as a union of string literals.
fn preset_ids() -> String {
    let ids: Vec<String> = crate::presets::ids()
        .map(|id| format!("\"{id}\""))
        .collect();
    format!(
        "/**\n * A preset id; `presets()` lists them with their captions.\n */\nexport type PresetId = {};\n",
        ids.join(" | ")
    )
}

/// The whole `types.d.ts`: the scenario format first, then what a run reports.
pub fn declarations() -> String {
    let cfg = Config::new().with_large_int("number");
    let mut parts = vec![HEADER.to_string()];
    parts.extend(declarations!(&cfg;
        // A scenario, as written.
        Scenario, ProducerSpec, ProducerConfig, Acks, ClusterConfig, DedupRule, NetworkConfig,
        Workload, Burst, TransactionPlan, ScriptedFault, Trigger, BatchMatcher, Fault,
        Rejection, FaultRates, Beat,
    ));
    parts.push(preset_ids());
    parts.extend(declarations!(&cfg;
        Preset,
        // Events.
        Event, EventKind, EventCategory, BatchRef, BrokerVerdict, RejectReason, PartitionResult,
        ControlMarker, KafkaError, Node,
        // Snapshots.
        Snapshot, ProducerView, ClientPartitionView, ClientTxnView, ClientTxnState,
        TxnOutcome, TxnResult, MessageOutcome, BrokerView, ReplicaView, LogEntryView,
        ProducerEntry, CachedBatch, StateExpiryView, PartitionView, MessageView, MessageKind,
        TxnMetadata, TxnStatus, LinkCutView,
        // Reports.
        Report, ResponseRecord, PartitionReport, RecordReport, TransactionReport, BeatReport,
        Counters, InvariantResult, Violation, Mechanism,
        // Sweeps.
        SweepSpec, Setting, Axis, Range, Series, SweepPreset, RunMeasures, Estimate, PointStats,
        SweepResult, SeriesResult, PointResult,
    ));
    parts.join("\n")
}

#[cfg(test)]
mod tests {
    use super::layout;
    use crate::event::{Event, EventKind};

    #[test]
    fn a_lab_event_is_its_index_and_time_with_its_kind() {
        let event = Event {
            index: 3,
            time_ms: 7,
            kind: EventKind::LinkHealed {
                producer: 0,
                broker: 1,
            },
        };
        // Naming every field: a new one breaks this line and the hand-written declaration.
        let Event {
            index: _,
            time_ms: _,
            kind: _,
        } = &event;
        let json = serde_json::to_value(&event).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"index": 3, "time_ms": 7, "type": "link_healed", "producer": 0, "broker": 1})
        );
    }

    #[test]
    fn fields_and_object_unions_go_on_their_own_lines() {
        let decl = "type T = { a: number, \n/**\n * Doc with { braces, commas }.\n */\nb: Array<{ c: string, }>, d: \"x, y\" | null, };";
        assert_eq!(
            layout(decl),
            "type T = {\n  a: number,\n  /**\n   * Doc with { braces, commas }.\n   */\n  b: Array<{ c: string }>,\n  d: \"x, y\" | null\n};"
        );
        assert_eq!(
            layout("type U = { \"type\": \"a\" } | { \"type\": \"b\", x: number, };"),
            "type U = { \"type\": \"a\" }\n  | { \"type\": \"b\", x: number };"
        );
        let long = format!(
            "type V = {{ {} }};",
            "field_with_a_long_name: number, ".repeat(3)
        );
        assert!(layout(&long).starts_with("type V = {\n  field_with_a_long_name: number,\n"));
    }
}
