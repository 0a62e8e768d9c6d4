use std::rc::Rc;

use idempotence_sim::invariants::InvariantResult;
use idempotence_sim::report::Counters as SimCounters;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CountersProps {
    pub counters: SimCounters,
    pub invariants: Rc<Vec<InvariantResult>>,
    pub finished: bool,
    /// Prefix of the element ids (`counter-`; compare lanes use `off-counter-` / `on-counter-`).
    #[prop_or(AttrValue::Static("counter-"))]
    pub prefix: AttrValue,
    /// Compare lanes show the counters only, without the invariant list.
    #[prop_or(true)]
    pub show_invariants: bool,
    /// Where a click on a violation goes: the event it happened at.
    #[prop_or_default]
    pub on_seek: Option<Callback<u64>>,
}

/// Violations listed per invariant before "and N more".
const MAX_VIOLATIONS: usize = 12;

fn counter(id: String, label: &'static str, value: u64, tone: &'static str) -> Html {
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
    let pre = props.prefix.as_str();
    let title_id = format!("{pre}title");
    html! {
        <section class="panel counters-panel" aria-labelledby={title_id.clone()}>
            <h2 id={title_id}>{ "Counters" }</h2>
            <div class="counters">
                { counter(format!("{pre}acked"), "messages acked", c.acked, "good") }
                { counter(format!("{pre}retries"), "retries", c.retries, "warn") }
                { counter(format!("{pre}duplicates-prevented"), "duplicates prevented", c.duplicates_prevented, "good") }
                { counter(format!("{pre}duplicates-written"), "duplicates written", c.duplicates_written, "bad") }
            </div>
            <p class="muted small counter-details">
                <span id={format!("{pre}requests")}>{ c.requests_sent }</span>{ " requests · " }
                <span id={format!("{pre}reorderings")}>{ c.reorderings }</span>{ " reordered · " }
                <span id={format!("{pre}failed")}>{ c.failed }</span>{ " failed · " }
                <span id={format!("{pre}lost")}>{ c.lost }</span>{ " lost after ack · " }
                <span id={format!("{pre}epoch-bumps")}>{ c.epoch_bumps }</span>{ " epoch bumps" }
            </p>
            if props.show_invariants {
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
                                <span class="invariant-words">{ &inv.description }</span>
                                <span class="invariant-id muted">{ format!(" ({})", inv.id) }</span>
                                if inv.violation_count > 0 {
                                    <ol class="violations">
                                        { for inv.violations.iter().take(MAX_VIOLATIONS).map(|v| {
                                            let seek = v.event.zip(props.on_seek.clone())
                                                .map(|(e, cb)| Callback::from(move |_: MouseEvent| cb.emit(e)));
                                            html! {
                                                <li class="violation">
                                                    if let Some(seek) = seek {
                                                        <button class="violation-seek" onclick={seek}
                                                            title="Show the run at this moment">{ &v.explanation }</button>
                                                    } else {
                                                        { &v.explanation }
                                                    }
                                                </li>
                                            }
                                        }) }
                                        if inv.violation_count > inv.violations.len().min(MAX_VIOLATIONS) as u64 {
                                            <li class="violation muted">{ format!("and {} more",
                                                inv.violation_count - inv.violations.len().min(MAX_VIOLATIONS) as u64) }</li>
                                        }
                                    </ol>
                                }
                            </span>
                        </li>
                    }
                }) }
            </ul>
            }
        </section>
    }
}
