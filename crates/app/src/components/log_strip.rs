use crate::presentation::{Checked, Shared};

use std::rc::Rc;

use idempotence_sim::log_tail::LogTail;
use idempotence_sim::snapshot::LogEntryView;
use idempotence_sim::snapshot::PartitionView;
use idempotence_sim::types::Offset;
use idempotence_sim::{ControlMarker, Snapshot};
use yew::prelude::*;

use crate::view::{self, LogMark};

#[derive(Properties, PartialEq)]
pub struct LogStripProps {
    pub snapshot: Shared<Snapshot>,
    /// The newest records of each partition (`presentation::LOG_TAIL` of them) and its totals.
    pub logs: Shared<Vec<Rc<LogTail>>>,
    /// Heading id (unique per page; compare mode shows two strips).
    #[prop_or(AttrValue::Static("logs-title"))]
    pub title_id: AttrValue,
}

/// The line between cells at the high watermark and/or the last stable offset.
fn mark(m: LogMark) -> Html {
    let (key, class, label, title) = match m {
        LogMark::Hw(o) => (
            "mark-hw",
            "hw",
            format!("HW {o}"),
            "high watermark: replicated to the ISR; read_uncommitted consumers read up to here",
        ),
        LogMark::Lso(o) => (
            "mark-lso",
            "lso",
            format!("LSO {o}"),
            "last stable offset: read_committed consumers read up to here (an undecided transaction starts here)",
        ),
        LogMark::HwLso(o) => (
            "mark-hw-lso",
            "hw lso",
            format!("HW = LSO {o}"),
            "high watermark and last stable offset: every consumer reads up to here",
        ),
    };
    html! {
        <li key={key} class={classes!("log-mark", class)} data-mark={&key[5..]}
            data-offset={m.offset().to_string()} title={title}>
            <span class="log-mark-label">{ label }</span>
        </li>
    }
}

/// One record (or COMMIT/ABORT marker) of the log.
fn cell(e: &LogEntryView, high_watermark: Offset) -> Html {
    let dup = e.duplicate_of.is_some();
    let marker = e.control.map(|m| match m {
        ControlMarker::Commit => "commit",
        ControlMarker::Abort => "abort",
    });
    let ids = if e.producer_id < 0 {
        "no pid · no seq".to_string()
    } else if marker.is_some() {
        format!("marker · pid {} · e{}", e.producer_id, e.epoch)
    } else {
        format!("pid {} · e{} · seq {}", e.producer_id, e.epoch, e.sequence)
    };
    let title = match (marker, e.aborted, e.transactional) {
        _ if e.deleted => {
            Some("deleted (DeleteRecords): below the log start offset, no consumer reads it")
        }
        (Some("commit"), _, _) => {
            Some("COMMIT marker: this producer's transactional records before it are committed")
        }
        (Some(_), _, _) => {
            Some("ABORT marker: this producer's transactional records before it are aborted")
        }
        (None, true, _) => Some("data of an aborted transaction: read_committed consumers skip it"),
        (None, false, true) => Some("written inside a transaction"),
        _ => None,
    };
    html! {
        <li key={e.offset} data-testid="log-entry"
            data-offset={e.offset.to_string()}
            data-message={e.value.clone()}
            data-duplicate={dup.to_string()}
            data-control={marker.is_some().to_string()}
            data-marker={marker}
            data-aborted={e.aborted.to_string()}
            data-batch={e.batch_id.map(|b| b.to_string())}
            {title}
            class={classes!("log-cell", e.batch_id.map(view::batch_hue), dup.then_some("dup"),
                marker.map(|_| "control"), marker.map(|m| format!("marker-{m}")),
                e.aborted.then_some("aborted"), (e.transactional && marker.is_none()).then_some("txn"),
                e.deleted.then_some("deleted"), (e.offset >= high_watermark).then_some("uncommitted"))}
            data-deleted={e.deleted.then_some("true")}>
            <span class="log-offset">{ format!("#{}", e.offset) }</span>
            <span class="log-value">{ &e.value }</span>
            <span class="log-ids">{ ids }</span>
            if e.aborted {
                <span class="log-aborted">{ "aborted" }</span>
            }
            if e.deleted {
                <span class="log-aborted">{ "deleted" }</span>
            }
            if let Some(first) = e.duplicate_of {
                <span class="log-dup">{ format!("dup of #{first}") }</span>
            }
        </li>
    }
}

/// Each partition's log on its leader (or first replica), one cell per record, with the high
/// watermark (and, for transactional runs, the last stable offset) drawn between the cells.
#[component]
pub fn LogStrip(props: &LogStripProps) -> Html {
    let snap = &props.snapshot;
    let txn = view::transactional(snap);
    html! {
        <section class="panel logs" aria-labelledby={props.title_id.clone()}>
            <h2 id={props.title_id.clone()}>{ "Partition log" }</h2>
            <p class="muted small legend">
                <span class="legend-cell">{ "#offset · value" }</span>
                { " producer id · epoch · sequence. " }
                <span class="legend-dup">{ "red = a second copy of a message" }</span>
                { ", dashed = above the high watermark (not yet replicated). " }
                { "The coloured bar under a record names the producer batch it came from: the same colour marks that batch's chip on the producer, its request on the wire and its slot in the broker's memory. " }
                <span class="legend-mark hw">{ "HW" }</span>{ " high watermark: read_uncommitted consumers read up to here. " }
                if txn {
                    <span class="legend-mark lso">{ "LSO" }</span>{ " last stable offset: read_committed consumers read up to here. " }
                    <span class="legend-marker commit">{ "COMMIT" }</span>{ " " }
                    <span class="legend-marker abort">{ "ABORT" }</span>
                    { " markers end a transaction; " }
                    <span class="legend-aborted">{ "struck" }</span>{ " = data of an aborted transaction." }
                }
            </p>
            { for snap.partitions.iter().map(|p| {
                let Some(log) = props.logs.iter().find(|l| l.partition == p.id) else { return html! {} };
                html! { <PartitionLog key={p.id} partition={p.clone()} log={log.clone()} {txn} /> }
            }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct PartitionLogProps {
    partition: PartitionView,
    log: Rc<LogTail>,
    txn: bool,
}

/// One partition's log. Its own component, compared by value: while a run plays, most frames
/// change one or two partitions, and the others skip their render and their diff.
#[component]
fn PartitionLog(props: &PartitionLogProps) -> Html {
    let (p, log, txn) = (&props.partition, &props.log, props.txn);
    let (broker, dups, aborted) = (log.broker, log.duplicates, log.aborted);
    // Long logs draw their newest cells only: thousands of cells cost every frame.
    let (hidden, hidden_dups) = (log.omitted(), log.omitted_duplicates);
    let shown = &log.newest;
    let offsets: Vec<Offset> = shown.iter().map(|e| e.offset).collect();
    let marks = view::log_marks(&offsets, log.high_watermark, log.last_stable_offset, txn);
    // One flat, fully keyed list: the marks sit between the cells.
    let mut items: Vec<Html> = Vec::with_capacity(shown.len() + marks.len());
    for i in 0..=shown.len() {
        items.extend(
            marks
                .iter()
                .filter(|(at, _)| *at == i)
                .map(|(_, m)| mark(*m)),
        );
        if let Some(e) = shown.get(i) {
            items.push(cell(e, log.high_watermark));
        }
    }
    html! {
        <div class="partition-log" data-partition={p.id.to_string()}
            data-hw={log.high_watermark.to_string()} data-lso={log.last_stable_offset.to_string()}>
            <h3>
                { format!("p{} on broker {broker}", p.id) }
                <span class="muted">{ match p.leader {
                    Some(_) => format!(" (leader, epoch {}) · ISR {:?} · {} records · high watermark {}",
                        p.leader_epoch, p.isr, log.records, log.high_watermark),
                    None => " (no leader)".to_string(),
                } }</span>
                if txn && p.leader.is_some() {
                    <span class="muted lso-text">{ format!(" · last stable offset {}", log.last_stable_offset) }</span>
                }
                if dups > 0 {
                    <span class="dup-count">{ format!(" · {dups} duplicate{}", if dups == 1 { "" } else { "s" }) }</span>
                }
                if aborted > 0 {
                    <span class="aborted-count">{ format!(" · {aborted} aborted") }</span>
                }
            </h3>
            if log.records == 0 {
                <p class="log-empty muted">{ "empty: nothing written yet" }</p>
            }
            if hidden > 0 {
                <p class="log-more muted small">
                    { format!("… {hidden} earlier record{} not drawn", if hidden == 1 { "" } else { "s" }) }
                    if hidden_dups > 0 {
                        <span class="dup-count">{ format!(" ({hidden_dups} of them duplicates)") }</span>
                    }
                </p>
            }
            if log.records > 0 {
                <ol class="log-cells">{ for items }</ol>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct LogPeekProps {
    pub logs: Shared<Vec<Rc<LogTail>>>,
    /// The batch the newest verdict is about: its records are lit up.
    #[prop_or_default]
    pub checked: Option<Checked>,
}

/// Cells the peek draws per partition (the row clips the oldest when it is narrower).
const PEEK_CELLS: usize = 16;
/// Partitions the peek shows (the full log panel below has every one).
const PEEK_PARTITIONS: usize = 3;
/// Newest cells a peek row shows even on a phone: a second copy older than these is pinned at
/// the row's start, so the copy the run is about stays in sight.
const PEEK_ALWAYS_SHOWN: usize = 4;

/// The newest cells of each partition log in one row under the stage, newest at the right, so
/// what was just written (and any second copy) is on screen while the run plays.
#[component]
pub fn LogPeek(props: &LogPeekProps) -> Html {
    html! {
        <div class="log-peek" aria-label="Newest records of each partition log">
            { for props.logs.iter().take(PEEK_PARTITIONS).map(|log| {
                let shown = &log.newest[log.newest.len().saturating_sub(PEEK_CELLS)..];
                let surely_shown = &shown[shown.len().saturating_sub(PEEK_ALWAYS_SHOWN)..];
                let pinned = log.newest_duplicate.as_ref().filter(|d| {
                    surely_shown.first().is_some_and(|e| d.offset < e.offset)
                });
                let shown = match pinned {
                    // The pinned copy is drawn once, at the start.
                    Some(d) => &shown[shown.partition_point(|e| e.offset <= d.offset)..],
                    None => shown,
                };
                html! {
                    <div class="peek-row" key={log.partition} data-partition={log.partition.to_string()}>
                        <span class="peek-label">
                            { format!("p{} log", log.partition) }
                            if log.duplicates > 0 {
                                <span class="dup-count">{ format!(" · {} 2nd cop{}", log.duplicates,
                                    if log.duplicates == 1 { "y" } else { "ies" }) }</span>
                            }
                        </span>
                        if let Some(d) = pinned {
                            <ol class="peek-cells peek-pinned" aria-label="The newest second copy">
                                { peek_cell(d, log.high_watermark, None) }
                                <li class="peek-gap muted" aria-hidden="true">{ "…" }</li>
                            </ol>
                        }
                        <ol class="peek-cells">
                            if shown.is_empty() {
                                <li class="peek-empty muted">{ "empty" }</li>
                            }
                            // Newest first: the row is laid out right to left and the oldest
                            // cells that do not fit wrap out of sight, so none is cut in half.
                            { for shown.iter().rev().map(|e| {
                                let lit = props.checked.as_ref().filter(|c| c.covers(log.partition, e.offset));
                                peek_cell(e, log.high_watermark, lit.map(|c| c.outcome.class()))
                            }) }
                        </ol>
                    </div>
                }
            }) }
        </div>
    }
}

fn peek_cell(e: &LogEntryView, high_watermark: Offset, lit: Option<&'static str>) -> Html {
    let dup = e.duplicate_of.is_some();
    let title = match e.duplicate_of {
        Some(first) => format!(
            "offset {}: {} again — a second copy of offset {first}",
            e.offset, e.value
        ),
        None if e.deleted => format!(
            "offset {}: {} (deleted: no consumer reads it)",
            e.offset, e.value
        ),
        None => format!("offset {}: {}", e.offset, e.value),
    };
    html! {
        <li key={e.offset} data-lit={lit.map(|_| "true")} data-batch={e.batch_id.map(|b| b.to_string())}
            class={classes!("peek-cell", e.batch_id.map(crate::view::batch_hue), lit, dup.then_some("dup"), e.control.map(|_| "control"),
                e.aborted.then_some("aborted"), e.deleted.then_some("deleted"), (e.offset >= high_watermark).then_some("uncommitted"))}
            data-duplicate={dup.to_string()} data-offset={e.offset.to_string()} {title}>
            <span class="peek-offset">{ format!("#{}", e.offset) }</span>
            <span class="peek-value">{ &e.value }</span>
        </li>
    }
}
