use crate::presentation::Shared;

use idempotence_sim::Snapshot;
use yew::prelude::*;

use crate::describe;
use crate::txn::{ClientState, ClientStateText, Status, StatusText};

#[derive(Properties, PartialEq)]
pub struct CoordinatorProps {
    pub snapshot: Shared<Snapshot>,
}

fn partitions(ps: impl IntoIterator<Item = u32>) -> String {
    let v: Vec<String> = ps.into_iter().map(|p| format!("p{p}")).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// The transaction coordinator's state for every transactional id (the `__transaction_state`
/// record), with the producers that use the id and how their transactions ended.
#[component]
pub fn Coordinator(props: &CoordinatorProps) -> Html {
    let snap = &props.snapshot;
    html! {
        <section class="panel coordinator" id="coordinator" aria-labelledby="coordinator-title">
            <h2 id="coordinator-title">{ "Transaction coordinator" }</h2>
            if snap.transactions.is_empty() {
                <p class="muted small">{ "No transactional.id registered yet: the producer calls initTransactions() (InitProducerId) before its first transaction." }</p>
            }
            { for snap.transactions.iter().map(|t| {
                let status = Status::of(&t.status);
                let code = status.map_or("unknown", Status::code);
                let users: Vec<_> = snap.producers.iter()
                    .filter_map(|p| p.transaction.as_ref().filter(|x| x.transactional_id == t.transactional_id).map(|x| (p, x)))
                    .collect();
                html! {
                    <div class="txn-id" data-transactional-id={t.transactional_id.clone()} data-status={code}>
                        <h3>
                            { "transactional.id " }<code>{ &t.transactional_id }</code>
                            if let Some(s) = status {
                                <span class={classes!("txn-status", s.tone())} title={s.meaning()}>{ s.name() }</span>
                            }
                        </h3>
                        if let Some(s) = status {
                            <p class="small txn-meaning">{ s.meaning() }</p>
                        }
                        <dl class="txn-fields">
                            <dt>{ "producer id" }</dt><dd class="txn-pid">{ t.producer_id }</dd>
                            <dt>{ "epoch" }</dt><dd class="txn-epoch">{ t.epoch }</dd>
                            <dt>{ "partitions" }</dt><dd class="txn-partitions">{ partitions(t.partitions.iter().copied()) }</dd>
                            <dt>{ "pending markers" }</dt>
                            <dd class={classes!("txn-pending", (!t.pending_markers.is_empty()).then_some("open"))}>
                                { partitions(t.pending_markers.iter().copied()) }
                            </dd>
                            <dt>{ "timeout" }</dt>
                            <dd>{ match t.started_ms {
                                Some(start) => format!("open since {start} ms; aborted at {} ms if still open", start + t.timeout_ms),
                                None => format!("{} ms (transaction.timeout.ms)", t.timeout_ms),
                            } }</dd>
                        </dl>
                        if !users.is_empty() {
                            <ul class="txn-users small">
                                { for users.iter().map(|(p, x)| {
                                    let state = ClientState::of(&x.state);
                                    let fenced = state.as_ref().and_then(ClientState::fatal_error);
                                    html! {
                                        <li class={classes!(fenced.is_some().then_some("fenced"))} data-producer={p.index.to_string()}>
                                            <strong>{ format!("producer {}", p.index) }</strong>
                                            { format!(" (pid {}, epoch {}): ", p.producer_id, p.epoch) }
                                            { state.as_ref().map(ClientState::words).unwrap_or_default() }
                                            if let Some(e) = fenced {
                                                { format!(" — {}", describe::fatal_reason(e)) }
                                            }
                                            if !x.outcomes.is_empty() {
                                                <span class="txn-outcomes">
                                                    { for x.outcomes.iter().map(|o| html! {
                                                        <span class={classes!("txn-outcome", o.result.as_str())}
                                                            title={format!("transaction {} (attempt {}), pid {} epoch {}: {} message(s)", o.index, o.attempt, o.producer_id, o.epoch, o.messages.len())}>
                                                            { format!("#{} {}", o.index, o.result) }
                                                        </span>
                                                    }) }
                                                </span>
                                            }
                                        </li>
                                    }
                                }) }
                            </ul>
                        }
                    </div>
                }
            }) }
        </section>
    }
}
