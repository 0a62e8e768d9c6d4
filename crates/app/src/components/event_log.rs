use idempotence_sim::{Event, EventCategory};
use yew::prelude::*;

use crate::describe;
use crate::presentation::Shared;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    /// The newest events up to the moment shown (a tail of the run).
    pub events: Shared<Vec<Event>>,
    /// Events per category up to the moment shown, in `EventCategory::ALL` order.
    pub counts: Shared<Vec<usize>>,
    /// Categories the user hid.
    pub hidden: Vec<String>,
    pub dispatch: Callback<Action>,
}

/// Rows drawn at first: a few more than the list's box shows.
const FIRST_ROWS: usize = 24;
/// Rows added each time the list is scrolled near its end, and the most it draws.
const MORE_ROWS: usize = 40;
const MAX_ROWS: usize = 150;

/// Newest events first; filter by category; click to seek. The list draws the rows in view and
/// a few beyond, and more as it is scrolled: a seek replaces every row, and building rows no one
/// sees made seeks slow.
#[component]
pub fn EventLog(props: &EventLogProps) -> Html {
    let hidden = &props.hidden;
    let rows = use_state_eq(|| FIRST_ROWS);
    let last = props.events.last().map(|e| e.index);
    let shown: Vec<&Event> = props
        .events
        .iter()
        .rev()
        .filter(|e| !hidden.iter().any(|h| h == e.kind.category().as_str()))
        .take(*rows)
        .collect();
    let onscroll = {
        let rows = rows.clone();
        Callback::from(move |e: yew::events::Event| {
            let Some(list) = e.target_dyn_into::<web_sys::Element>() else {
                return;
            };
            let near_end = list.scroll_top() + 2 * list.client_height() >= list.scroll_height();
            if near_end && *rows < MAX_ROWS {
                rows.set((*rows + MORE_ROWS).min(MAX_ROWS));
            }
        })
    };
    html! {
        <section class="panel event-log" aria-labelledby="events-title">
            <h2 id="events-title">{ "Event log" }</h2>
            <div class="filters" role="group" aria-label="Show categories">
                { for EventCategory::ALL.iter().enumerate().map(|(i, c)| {
                    let c = c.as_str();
                    let on = !hidden.iter().any(|h| h == c);
                    let count = props.counts.get(i).copied().unwrap_or(0);
                    let toggle = props.dispatch.reform(move |_: Event2| Action::ToggleCategory(c.to_string()));
                    html! {
                        <label class={classes!("chip", format!("cat-{c}"), (!on).then_some("off"))}
                            title={category_title(c)}>
                            <input type="checkbox" checked={on} onchange={toggle} data-category={c} />
                            { format!("{} {count}", category_label(c)) }
                        </label>
                    }
                }) }
            </div>
            <ol class="events" id="event-list" {onscroll}>
                { for shown.into_iter().map(|e| html! {
                    <EventRow key={e.index} event={e.clone()} current={Some(e.index) == last}
                        dispatch={props.dispatch.clone()} />
                }) }
            </ol>
        </section>
    }
}

type Event2 = yew::events::Event;

#[derive(Properties, PartialEq)]
struct EventRowProps {
    event: Event,
    current: bool,
    dispatch: Callback<Action>,
}

/// One row: its own component, so rows already shown skip their render when new events arrive.
#[component]
fn EventRow(props: &EventRowProps) -> Html {
    let e = &props.event;
    let index = e.index;
    let seek = props
        .dispatch
        .reform(move |_: MouseEvent| Action::SeekEvent(index));
    let cat = e.kind.category().as_str();
    html! {
        <li class={classes!("event", format!("cat-{cat}"), props.current.then_some("current"))}>
            <button onclick={seek} title="Jump to this event">
                <span class="event-time">{ format!("{} ms", e.time_ms) }</span>
                <span class="event-cat">{ cat }</span>
                <span class="event-text">{ describe::event(&e.kind) }</span>
            </button>
        </li>
    }
}

/// A category's chip label: "duplicate" events are duplicates the broker *caught* (a second
/// copy written to the log is an ordinary append), so the chip says so.
fn category_label(c: &str) -> &str {
    match c {
        "duplicate" => "dedup",
        _ => c,
    }
}

fn category_title(c: &str) -> Option<&'static str> {
    match c {
        "duplicate" => Some(
            "batches the broker recognised as duplicates and did not write again (second copies \
             written without idempotence are appends: see the log and the counters)",
        ),
        _ => None,
    }
}
