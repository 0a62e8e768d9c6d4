use crate::presentation::Shared;

use std::rc::Rc;

use idempotence_sim::log_tail::{ConsumerTail, LogTail};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConsumersProps {
    /// Each partition's log tail: its consumers' counts and newest values.
    pub logs: Shared<Vec<Rc<LogTail>>>,
    /// Whether the run is transactional (both isolation levels are then shown).
    pub transactional: bool,
    /// Heading id (unique per page; compare mode shows two panels).
    #[prop_or(AttrValue::Static("consumers-title"))]
    pub title_id: AttrValue,
}

/// One consumer's list: what it would receive if it read the partition from the start now.
fn list(
    isolation: &'static str,
    title: &'static str,
    hint: String,
    empty: String,
    values: &ConsumerTail,
    log: &LogTail,
) -> Html {
    let (count, repeats) = (values.count, values.repeats);
    let hidden = count - values.newest.len();
    html! {
        <div class="consumer" data-isolation={isolation}>
            <h4>
                <span class="consumer-title">{ title }</span>
                <span class="consumer-count" data-count={count.to_string()}>
                    { format!(" · {count} record{}", if count == 1 { "" } else { "s" }) }
                </span>
                if repeats > 0 {
                    <span class="dup-count">{ format!(" · {repeats} received twice") }</span>
                }
            </h4>
            <p class="muted small consumer-hint">{ hint }</p>
            if count == 0 {
                <p class="muted small consumer-empty">{ empty }</p>
            } else {
                <ol class="consumed">
                    if hidden > 0 {
                        <li key="more" class="consumed-more muted">{ format!("… {hidden} earlier") }</li>
                    }
                    { for values.newest.iter().map(|c| {
                        let title = match (c.repeat_of, c.aborted, c.undecided) {
                            (Some(first), _, _) => Some(format!("received again: the same message is record {} of this list", first + 1)),
                            (None, true, _) => Some("data of an aborted transaction: read_committed consumers skip it".to_string()),
                            (None, _, true) => Some("its transaction is not decided yet: read_committed consumers wait at the last stable offset".to_string()),
                            _ => None,
                        };
                        // The producer batch it came from (its record, when among the newest drawn).
                        let batch = log.newest.iter().find(|e| e.offset == c.offset).and_then(|e| e.batch_id);
                        html! {
                            <li key={c.position} data-testid="consumed" data-value={c.value.clone()}
                                data-offset={c.offset.to_string()} data-batch={batch.map(|b| b.to_string())}
                                data-repeat={c.repeat_of.is_some().to_string()}
                                data-aborted={c.aborted.to_string()}
                                class={classes!("consumed-value", batch.map(crate::view::batch_hue), c.repeat_of.is_some().then_some("dup"),
                                    c.aborted.then_some("aborted"), c.undecided.then_some("undecided"))}
                                {title}>
                                { &c.value }
                            </li>
                        }
                    }) }
                </ol>
            }
        </div>
    }
}

/// What a consumer reading each partition receives right now. Transactional runs show both
/// isolation levels side by side; other runs one list (both levels read the same there).
#[component]
pub fn Consumers(props: &ConsumersProps) -> Html {
    let txn = props.transactional;
    let partitions = &props.logs;
    html! {
        <section class="panel consumers" aria-labelledby={props.title_id.clone()}>
            <h2 id={props.title_id.clone()}>{ if txn { "Consumers: read_uncommitted vs read_committed" } else { "What a consumer receives" } }</h2>
            <p class="muted small legend">
                { "The values a consumer reading each partition from the beginning would receive now. " }
                <span class="legend-dup">{ "red = received a second time" }</span>
                if txn {
                    { ", " }<span class="legend-aborted">{ "struck" }</span>{ " = from an aborted transaction, " }
                    <span class="legend-undecided">{ "dashed" }</span>{ " = its transaction is not decided yet" }
                }
                { "." }
            </p>
            { for partitions.iter().map(|p| html! {
                <ConsumerPartition key={p.partition} log={p.clone()} {txn} />
            }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ConsumerPartitionProps {
    log: Rc<LogTail>,
    txn: bool,
}

/// One partition's consumers (compared by value, as `PartitionLog`).
#[component]
fn ConsumerPartition(props: &ConsumerPartitionProps) -> Html {
    let (p, txn) = (&props.log, props.txn);
    html! {
    <div class={classes!("consumer-partition", txn.then_some("two"))} data-partition={p.partition.to_string()}>
        <h3>
            { format!("p{}", p.partition) }
            <span class="muted">{
                if p.has_leader { format!(" from broker {} (leader)", p.broker) }
                else { " · no leader now: consumers wait".to_string() }
            }</span>
        </h3>
        <div class="consumer-lists">
            if txn {
                { list("read_uncommitted", "read_uncommitted",
                    format!("every record below the high watermark ({}), aborted or undecided ones too", p.high_watermark),
                    "nothing to read yet".into(), &p.read_uncommitted, p) }
                { list("read_committed", "read_committed",
                    format!("records below the last stable offset ({}), skipping aborted transactions", p.last_stable_offset),
                    if p.last_stable_offset < p.high_watermark {
                        format!("waiting: an undecided transaction starts at offset {}", p.last_stable_offset)
                    } else {
                        "nothing to read yet".into()
                    },
                    &p.read_committed, p) }
            } else {
                { list("read_uncommitted", "what a consumer receives",
                    format!("every record below the high watermark ({})", p.high_watermark),
                    "nothing to read yet".into(), &p.read_uncommitted, p) }
            }
        </div>
    </div>
    }
}
