use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::timers::callback::Interval;
use idempotence_sim::event::EventKind;
use idempotence_sim::presets;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::controls::Controls;
use super::counters::Counters;
use super::event_log::EventLog;
use super::help::Help;
use super::log_strip::LogStrip;
use super::notes::Notes;
use super::stage::Stage;
use super::verdict::Verdict;
use crate::describe;
use crate::state::{Action, State, Theme};

/// Below this width (CSS px) the stage stacks producers above brokers.
const NARROW_PX: f64 = 720.0;

fn window_query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

fn media_matches(query: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.match_media(query).ok().flatten())
        .is_some_and(|m| m.matches())
}

fn is_narrow() -> bool {
    web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|v| v.as_f64())
        .is_some_and(|w| w < NARROW_PX)
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(|| State::from_query(&window_query()));
    let narrow = use_state(is_narrow);
    let reduced_motion = use_memo((), |_| media_matches("(prefers-reduced-motion: reduce)"));

    // The animation clock: while playing, tick about 60 times a second with the real elapsed time.
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.playing, move |&playing| {
            let interval = playing.then(|| {
                let mut last = now_ms();
                Interval::new(16, move || {
                    let now = now_ms();
                    dispatcher.dispatch(Action::Tick((now - last).min(100.0)));
                    last = now;
                })
            });
            move || drop(interval)
        });
    }

    // Keyboard shortcuts, pause when the tab is hidden, relayout on resize.
    {
        let dispatcher = state.dispatcher();
        let narrow = narrow.clone();
        use_effect_with((), move |_| {
            let mut listeners = Vec::new();
            if let Some(document) = web_sys::window().and_then(|w| w.document()) {
                let d = dispatcher.clone();
                listeners.push(EventListener::new_with_options(
                    &document,
                    "keydown",
                    EventListenerOptions::enable_prevent_default(),
                    move |e| {
                        let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                            return;
                        };
                        if e.ctrl_key() || e.meta_key() || e.alt_key() {
                            return;
                        }
                        let tag = e
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                            .map(|el| el.tag_name().to_lowercase())
                            .unwrap_or_default();
                        let typing = matches!(tag.as_str(), "input" | "select" | "textarea");
                        let action = match e.key().as_str() {
                            " " if !typing && tag != "button" => Some(Action::TogglePlay),
                            "ArrowRight" if !typing => Some(Action::StepForward),
                            "ArrowLeft" if !typing => Some(Action::StepBack),
                            "r" | "R" if !typing => Some(Action::Restart),
                            "?" => Some(Action::ToggleHelp),
                            "Escape" => Some(Action::CloseHelp),
                            _ => None,
                        };
                        if let Some(action) = action {
                            e.prevent_default();
                            d.dispatch(action);
                        }
                    },
                ));
                let d = dispatcher.clone();
                let doc = document.clone();
                listeners.push(EventListener::new(
                    &document,
                    "visibilitychange",
                    move |_| {
                        if doc.hidden() {
                            d.dispatch(Action::Pause);
                        }
                    },
                ));
            }
            if let Some(window) = web_sys::window() {
                listeners.push(EventListener::new(&window, "resize", move |_| {
                    narrow.set(is_narrow())
                }));
            }
            move || drop(listeners)
        });
    }

    // Keep the URL shareable.
    use_effect_with(state.settings.clone(), |settings| {
        if let Some(w) = web_sys::window() {
            if let Ok(history) = w.history() {
                let _ = history.replace_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(&settings.to_query()),
                );
            }
        }
    });

    // The theme override lives on <html data-theme>.
    use_effect_with(state.theme.clone(), |theme| {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = match theme {
                Theme::Auto => root.remove_attribute("data-theme"),
                Theme::Light => root.set_attribute("data-theme", "light"),
                Theme::Dark => root.set_attribute("data-theme", "dark"),
            };
        }
    });

    let caption_open = use_state(|| false);
    let toggle_caption = {
        let caption_open = caption_open.clone();
        Callback::from(move |_: MouseEvent| caption_open.set(!*caption_open))
    };
    let toggle_help = {
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::ToggleHelp))
    };
    let close_help = {
        let d = state.dispatcher();
        Callback::from(move |_: ()| d.dispatch(Action::CloseHelp))
    };
    let cycle_theme = {
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::CycleTheme))
    };
    let dismiss = {
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::DismissNotices))
    };
    let theme_label = match state.theme {
        Theme::Auto => "◐ Theme: auto",
        Theme::Light => "☀ Theme: light",
        Theme::Dark => "☾ Theme: dark",
    };

    // When the user flips enable.idempotence away from the preset's own setting, the preset's
    // caption no longer describes the run: say so, and use the twin preset's caption if any.
    let preset_idempotent = presets::get(&state.settings.preset)
        .and_then(|s| {
            s.producers
                .first()
                .map(|p| p.config.enable_idempotence.unwrap_or(true))
        })
        .unwrap_or(true);
    let flipped = state
        .settings
        .idempotence
        .is_some_and(|on| on != preset_idempotent);
    let caption = if flipped {
        let twin = if preset_idempotent {
            format!("{}-no-idempotence", state.settings.preset)
        } else {
            state
                .settings
                .preset
                .trim_end_matches("-no-idempotence")
                .to_string()
        };
        let note = format!(
            "You switched enable.idempotence to {}; the preset “{}” was written for {}. ",
            !preset_idempotent, state.settings.preset, preset_idempotent
        );
        match presets::get(&twin) {
            Some(s) if twin != state.settings.preset => {
                format!("{note}From “{twin}”: {}", s.caption)
            }
            _ => format!("{note}Watch the partition log and the counters for what changes."),
        }
    } else {
        state
            .scenario
            .as_ref()
            .map(|s| s.caption.clone())
            .unwrap_or_default()
    };
    let body = match &state.sim {
        None => html! {
            <section class="panel error" role="alert">
                <h2>{ "This scenario cannot run" }</h2>
                <p>{ state.error.clone().unwrap_or_default() }</p>
            </section>
        },
        Some(sim) => {
            let snapshot = Rc::new(sim.snapshot());
            let events = Rc::new(sim.events().to_vec());
            let report_counters = sim.counters();
            let invariants = sim.check_invariants();
            let verdict = events.iter().rev().find_map(|e| match &e.kind {
                EventKind::BatchVerdict {
                    broker,
                    batch,
                    explanation,
                    ..
                } => Some((
                    *broker,
                    e.kind.category().to_string(),
                    format!("p{} {}", batch.partition, describe::batch(batch)),
                    explanation.clone(),
                )),
                _ => None,
            });
            let latest = events
                .last()
                .map(|e| describe::event(&e.kind))
                .unwrap_or_default();
            html! {
                <>
                    <div class="layout">
                        <div class="main-col">
                            <section class="panel stage-panel" aria-labelledby="stage-title">
                                <h2 id="stage-title" class="sr-only">{ "Producers, brokers and the network" }</h2>
                                <Stage snapshot={snapshot.clone()} events={events.clone()} clock_ms={state.clock_ms}
                                    narrow={*narrow} reduced_motion={*reduced_motion} />
                                <Verdict {verdict} />
                            </section>
                            <LogStrip snapshot={snapshot.clone()} />
                        </div>
                        <div class="side-col">
                            <Counters counters={report_counters} {invariants} finished={state.finished()} />
                            <EventLog state={state.clone()} events={events.clone()} />
                            <Notes />
                        </div>
                    </div>
                    <div class="sr-only" aria-live="polite" id="live">{ latest }</div>
                </>
            }
        }
    };

    html! {
        <main id="app-root" class="lab">
            <header class="topbar">
                <div>
                    <h1>{ "Idempotent Producer Lab" }</h1>
                    <p class="tagline">{ "A Kafka producer, a broker and a lossy network: watch how producer ids and sequence numbers keep retries from writing duplicates." }</p>
                </div>
                <div class="topbar-buttons">
                    <button id="theme" onclick={cycle_theme}>{ theme_label }</button>
                    <button id="help-button" onclick={toggle_help} aria-label="Keyboard shortcuts">{ "?" }</button>
                </div>
            </header>
            if !state.notices.is_empty() {
                <div class="notice" role="alert" id="url-errors">
                    <ul>{ for state.notices.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
                    <button onclick={dismiss}>{ "Dismiss" }</button>
                </div>
            }
            <section class="narrative" aria-label="Scenario">
                <Controls state={state.clone()} />
                <p class={classes!("caption", (!*caption_open).then_some("clamped"))} id="caption">{ caption }</p>
                <button class="caption-more" aria-controls="caption" aria-expanded={caption_open.to_string()}
                    onclick={toggle_caption}>{ if *caption_open { "Show less" } else { "Read the whole story" } }</button>
            </section>
            { body }
            <Help open={state.show_help} on_close={close_help} />
        </main>
    }
}
