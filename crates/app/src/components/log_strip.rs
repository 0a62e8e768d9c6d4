use std::rc::Rc;

use idempotence_sim::Snapshot;
use yew::prelude::*;

/// Cells drawn per partition.
const MAX_CELLS: usize = 60;

#[derive(Properties, PartialEq)]
pub struct LogStripProps {
    pub snapshot: Rc<Snapshot>,
    /// Heading id (unique per page; compare mode shows two strips).
    #[prop_or(AttrValue::Static("logs-title"))]
    pub title_id: AttrValue,
}

/// Each partition's log on its leader (or first replica), one cell per record.
#[component]
pub fn LogStrip(props: &LogStripProps) -> Html {
    let snap = &props.snapshot;
    html! {
        <section class="panel logs" aria-labelledby={props.title_id.clone()}>
            <h2 id={props.title_id.clone()}>{ "Partition log" }</h2>
            <p class="muted small legend">
                <span class="legend-cell">{ "#offset · value" }</span>
                { " producer id · epoch · sequence. " }
                <span class="legend-dup">{ "red = a second copy of a message" }</span>
                { ", dashed = above the high watermark (not yet replicated)." }
            </p>
            { for snap.partitions.iter().map(|p| {
                let broker = p.leader.unwrap_or(p.replicas[0]);
                let replica = snap.brokers.get(broker as usize)
                    .and_then(|b| b.replicas.iter().find(|r| r.partition == p.id));
                let Some(replica) = replica else { return html! {} };
                let dups = replica.log.iter().filter(|e| e.duplicate_of.is_some()).count();
                // Long logs draw their newest cells only: thousands of cells cost every frame.
                let hidden = replica.log.len().saturating_sub(MAX_CELLS);
                let hidden_dups = replica.log[..hidden].iter().filter(|e| e.duplicate_of.is_some()).count();
                html! {
                    <div class="partition-log" data-partition={p.id.to_string()}>
                        <h3>
                            { format!("p{} on broker {broker}", p.id) }
                            <span class="muted">{ match p.leader {
                                Some(_) => format!(" (leader, epoch {}) · ISR {:?} · {} records · high watermark {}",
                                    p.leader_epoch, p.isr, replica.log.len(), replica.high_watermark),
                                None => " (no leader)".to_string(),
                            } }</span>
                            if dups > 0 {
                                <span class="dup-count">{ format!(" · {dups} duplicate{}", if dups == 1 { "" } else { "s" }) }</span>
                            }
                        </h3>
                        if replica.log.is_empty() {
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
                        <ol class="log-cells">
                            { for replica.log[hidden..].iter().map(|e| {
                                let dup = e.duplicate_of.is_some();
                                let control = e.control.is_some();
                                let ids = if e.producer_id < 0 {
                                    "no pid · no seq".to_string()
                                } else if control {
                                    format!("marker · pid {} · e{}", e.producer_id, e.epoch)
                                } else {
                                    format!("pid {} · e{} · seq {}", e.producer_id, e.epoch, e.sequence)
                                };
                                html! {
                                    <li key={e.offset} data-testid="log-entry"
                                        data-offset={e.offset.to_string()}
                                        data-message={e.value.clone()}
                                        data-duplicate={dup.to_string()}
                                        data-control={control.to_string()}
                                        class={classes!("log-cell", dup.then_some("dup"),
                                            control.then_some("control"), e.aborted.then_some("aborted"),
                                            (e.offset >= replica.high_watermark).then_some("uncommitted"))}>
                                        <span class="log-offset">{ format!("#{}", e.offset) }</span>
                                        <span class="log-value">{ &e.value }</span>
                                        <span class="log-ids">{ ids }</span>
                                        if e.aborted {
                                            <span class="log-aborted" title="data of an aborted transaction: read_committed consumers skip it">{ "aborted" }</span>
                                        }
                                        if let Some(first) = e.duplicate_of {
                                            <span class="log-dup">{ format!("dup of #{first}") }</span>
                                        }
                                    </li>
                                }
                            }) }
                        </ol>
                    </div>
                }
            }) }
        </section>
    }
}
