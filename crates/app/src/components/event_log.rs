use idempotence_sim::Event;
use yew::prelude::*;

use crate::describe::{self, CATEGORIES};
use crate::presentation::Shared;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    /// The newest events up to the moment shown (a tail of the run).
    pub events: Shared<Vec<Event>>,
    /// Events per category up to the moment shown, in `CATEGORIES` order.
    pub counts: Shared<Vec<usize>>,
    /// Categories the user hid.
    pub hidden: Vec<String>,
    pub dispatch: Callback<Action>,
}

/// Newest events first; filter by category; click to seek.
#[component]
pub fn EventLog(props: &EventLogProps) -> Html {
    let hidden = &props.hidden;
    let last = props.events.last().map(|e| e.index);
    let shown: Vec<&Event> = props
        .events
        .iter()
        .rev()
        .filter(|e| !hidden.iter().any(|h| h == e.kind.category()))
        .take(150)
        .collect();
    html! {
        <section class="panel event-log" aria-labelledby="events-title">
            <h2 id="events-title">{ "Event log" }</h2>
            <div class="filters" role="group" aria-label="Show categories">
                { for CATEGORIES.iter().enumerate().map(|(i, &c)| {
                    let on = !hidden.iter().any(|h| h == c);
                    let count = props.counts.get(i).copied().unwrap_or(0);
                    let toggle = props.dispatch.reform(move |_: Event2| Action::ToggleCategory(c.to_string()));
                    html! {
                        <label class={classes!("chip", format!("cat-{c}"), (!on).then_some("off"))}>
                            <input type="checkbox" checked={on} onchange={toggle} data-category={c} />
                            { format!("{c} {count}") }
                        </label>
                    }
                }) }
            </div>
            <ol class="events" id="event-list">
                { for shown.into_iter().map(|e| {
                    let index = e.index;
                    let seek = props.dispatch.reform(move |_: MouseEvent| Action::SeekEvent(index));
                    let cat = e.kind.category();
                    html! {
                        <li key={index} class={classes!("event", format!("cat-{cat}"), (Some(index) == last).then_some("current"))}>
                            <button onclick={seek} title="Jump to this event">
                                <span class="event-time">{ format!("{} ms", e.time_ms) }</span>
                                <span class="event-cat">{ cat }</span>
                                <span class="event-text">{ describe::event(&e.kind) }</span>
                            </button>
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}

type Event2 = yew::events::Event;
