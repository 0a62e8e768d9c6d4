use idempotence_sim::invariants::InvariantResult;
use idempotence_sim::report::Counters as SimCounters;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CountersProps {
    pub counters: SimCounters,
    pub invariants: Vec<InvariantResult>,
    pub finished: bool,
}

fn counter(id: &'static str, label: &'static str, value: u64, tone: &'static str) -> Html {
    html! {
        <div class={classes!("counter", (value > 0).then_some(tone))}>
            <span class="counter-value" id={id}>{ value }</span>
            <span class="counter-label">{ label }</span>
        </div>
    }
}

/// Counters and the invariants checked on the run so far.
#[component]
pub fn Counters(props: &CountersProps) -> Html {
    let c = &props.counters;
    html! {
        <section class="panel" aria-labelledby="counters-title">
            <h2 id="counters-title">{ "Counters" }</h2>
            <div class="counters">
                { counter("counter-acked", "messages acked", c.acked, "good") }
                { counter("counter-retries", "retries", c.retries, "warn") }
                { counter("counter-duplicates-prevented", "duplicates prevented", c.duplicates_prevented, "good") }
                { counter("counter-duplicates-written", "duplicates written", c.duplicates_written, "bad") }
            </div>
            <p class="muted small">
                { format!("{} requests · {} reordered · {} failed · {} lost after ack · {} epoch bumps",
                    c.requests_sent, c.reorderings, c.failed, c.lost, c.epoch_bumps) }
            </p>
            <h2>{ "Invariants" }{ if props.finished { "" } else { " (so far)" } }</h2>
            <ul class="invariants" id="invariants">
                { for props.invariants.iter().map(|inv| {
                    let (mark, class, title) = if !inv.applicable {
                        ("–", "na", "not applicable to this run")
                    } else if inv.holds {
                        ("✓", "ok", "holds")
                    } else {
                        ("✗", "broken", "violated")
                    };
                    html! {
                        <li class={classes!("invariant", class)} data-invariant={inv.id.clone()}>
                            <span class="mark" title={title} aria-label={title}>{ mark }</span>
                            <span>
                                <strong>{ &inv.id }</strong>{ ": " }{ &inv.description }
                                { for inv.violations.iter().take(3).map(|v| html! {
                                    <span class="violation">{ &v.explanation }</span>
                                }) }
                            </span>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
