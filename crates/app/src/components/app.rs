use std::cell::Cell;
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::timers::callback::Interval;
use idempotence_sim::invariants::InvariantResult;
use idempotence_sim::{presets, Event, Simulation};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::js_sys;
use yew::prelude::*;

use super::actions::Actions;
use super::config_panel::ConfigPanel;
use super::consumers::Consumers;
use super::controls::Controls;
use super::coordinator::Coordinator;
use super::counters::Counters;
use super::event_log::EventLog;
use super::help::Help;
use super::log_strip::LogStrip;
use super::notes::Notes;
use super::stage::{Selected, Stage};
use super::verdict::Verdict;
use crate::describe;
use crate::embed::{self, HostCommand, Incoming};
use crate::state::{compare_summary, Action, ControlsMode, State, Theme};

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

/// Posts a protocol notice to the embedding page (target "*": the notices hold nothing secret).
fn post_to_parent(msg: &serde_json::Value) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(Some(parent)) = window.parent() else {
        return;
    };
    if let Ok(value) = js_sys::JSON::parse(&msg.to_string()) {
        let _ = parent.post_message(&value, "*");
    }
}

fn warn(text: &str) {
    web_sys::console::warn_1(&JsValue::from_str(text));
}

fn app_root_height() -> Option<f64> {
    let root = web_sys::window()?
        .document()?
        .get_element_by_id("app-root")?;
    Some(root.get_bounding_client_rect().height())
}

/// The page's own URL with this query: what "Copy link" copies.
fn share_url(query: &str) -> String {
    web_sys::window()
        .map(|w| {
            let l = w.location();
            format!(
                "{}{}{query}",
                l.origin().unwrap_or_default(),
                l.pathname().unwrap_or_default()
            )
        })
        .unwrap_or_default()
}

fn host_action(c: HostCommand) -> Option<Action> {
    Some(match c {
        HostCommand::Play => Action::Play,
        HostCommand::Pause => Action::Pause,
        HostCommand::Step => Action::StepForward,
        HostCommand::Seek(t) => Action::SeekTime(t),
        HostCommand::Load { scenario, seed } => Action::Load(scenario, seed),
        HostCommand::SetTheme(t) => Action::SetTheme(Theme::parse(&t)?),
    })
}

/// How many of the newest events the stage and the event log get.
const EVENT_TAIL: usize = 200;

fn tail(events: &[Event]) -> Vec<Event> {
    events[events.len().saturating_sub(EVENT_TAIL)..].to_vec()
}

type InvariantCache = Rc<std::cell::RefCell<Option<(u64, usize, Vec<InvariantResult>)>>>;

/// The invariants, recomputed while playing only when the run has grown by 5% (or one event
/// in short runs) since the last check; always fresh when paused. Checking a long log every
/// frame costs more than the frame.
fn invariants_cached(
    cache: &InvariantCache,
    generation: u64,
    playing: bool,
    sim: &Simulation,
) -> Vec<InvariantResult> {
    let n = sim.events().len();
    let mut cache = cache.borrow_mut();
    if let Some((g, at, result)) = cache.as_ref() {
        let fresh = *g == generation && (*at == n || (playing && n < at + (at / 20).max(1)));
        if fresh {
            return result.clone();
        }
    }
    let result = sim.check_invariants();
    *cache = Some((generation, n, result.clone()));
    result
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

    // Keep the URL shareable: settings, configuration, interventions, embed options.
    let query = state.url_query();
    use_effect_with(query.clone(), |query| {
        if let Some(w) = web_sys::window() {
            if let Ok(history) = w.history() {
                let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(query));
            }
        }
    });

    // The theme override lives on <html data-theme>.
    use_effect_with(state.settings.theme, |theme| {
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

    // Embed protocol v1 (see `embed`): "ready" once, host commands, "resize" on height change.
    let embed_opts = state.settings.embed.clone();
    {
        let dispatcher = state.dispatcher();
        let opts = embed_opts.clone();
        use_effect_with((), move |_| {
            let mut listeners = Vec::new();
            let mut observer: Option<(web_sys::ResizeObserver, Closure<dyn FnMut()>)> = None;
            if let (true, Some(window)) = (opts.embed, web_sys::window()) {
                let id = opts.id.clone();
                post_to_parent(&embed::ready(id.as_deref()));
                let own = window.location().origin().unwrap_or_default();
                let allowed = opts.allow_origins.clone();
                let warned = Rc::new(Cell::new(false));
                listeners.push(EventListener::new(&window, "message", move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::MessageEvent>() else {
                        return;
                    };
                    // JSON.stringify throws for cyclic data (→ ignored); anything longer than
                    // a scenario may be is not a command and is not copied into wasm at all.
                    let text = js_sys::JSON::stringify(&e.data())
                        .ok()
                        .filter(|s| (s.length() as usize) <= 2 * idempotence_sim::limits::MAX_SCENARIO_BYTES)
                        .and_then(|s| s.as_string())
                        .unwrap_or_default();
                    let incoming = embed::parse_incoming(&text);
                    if incoming == Incoming::NotForUs {
                        return;
                    }
                    if !embed::origin_allowed(&e.origin(), &own, &allowed) {
                        if !warned.replace(true) {
                            warn(&format!("idempotence-lab: ignoring a command from origin {} (not in allow_origins)", e.origin()));
                        }
                        return;
                    }
                    match incoming {
                        Incoming::Command(c) => {
                            if let Some(a) = host_action(c) {
                                dispatcher.dispatch(a);
                            }
                        }
                        Incoming::Ignored(why) => {
                            if !warned.replace(true) {
                                warn(&format!("idempotence-lab: ignoring a host message: {why}"));
                            }
                        }
                        Incoming::NotForUs => {}
                    }
                }));
                let last = Rc::new(Cell::new(-1.0f64));
                let callback = Closure::<dyn FnMut()>::new(move || {
                    if let Some(h) = app_root_height() {
                        if (h - last.get()).abs() >= 1.0 {
                            last.set(h);
                            post_to_parent(&embed::resize(id.as_deref(), h));
                        }
                    }
                });
                if let (Ok(obs), Some(root)) = (
                    web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()),
                    window
                        .document()
                        .and_then(|d| d.get_element_by_id("app-root")),
                ) {
                    obs.observe(&root);
                    observer = Some((obs, callback));
                }
            }
            move || {
                drop(listeners);
                if let Some((obs, callback)) = observer {
                    obs.disconnect();
                    drop(callback);
                }
            }
        });
    }

    // "state" notices on play, pause, finish, load and seek (not every frame).
    {
        let counters = state
            .sim
            .as_ref()
            .map(Simulation::counters)
            .unwrap_or_default();
        let notice = embed::StateNotice {
            scenario: state.settings.preset.clone(),
            seed: state.scenario.as_ref().map_or(0, |s| s.seed),
            time_ms: state.clock_ms.floor() as u64,
            playing: state.playing,
            finished: state.finished(),
            event_index: state.event_count(),
            duplicates_written: counters.duplicates_written,
            duplicates_prevented: counters.duplicates_prevented,
        };
        let key = (
            state.playing,
            state.finished(),
            query.clone(),
            state.seek_generation,
        );
        let opts = embed_opts.clone();
        use_effect_with(key, move |_| {
            if opts.embed {
                post_to_parent(&embed::state(opts.id.as_deref(), &notice));
            }
        });
    }

    let invariant_cache: InvariantCache = use_mut_ref(|| None);
    let selected = use_state(|| None::<Selected>);
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |s: Selected| {
            let same = selected.as_ref() == Some(&s);
            selected.set(if same { None } else { Some(s) })
        })
    };
    let on_intervene = {
        let d = state.dispatcher();
        let selected = selected.clone();
        Callback::from(move |i| {
            d.dispatch(Action::Intervene(i));
            selected.set(None);
        })
    };
    let clear_selection = {
        let selected = selected.clone();
        Callback::from(move |_: ()| selected.set(None))
    };
    let clear_interventions = {
        let d = state.dispatcher();
        Callback::from(move |_: ()| d.dispatch(Action::ClearInterventions))
    };
    let dispatch = {
        let d = state.dispatcher();
        Callback::from(move |a: Action| d.dispatch(a))
    };

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
    let theme_label = match state.settings.theme {
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
    let flipped = !state.settings.compare
        && state.settings.custom.is_none()
        && matches!(state.settings.idempotence, Some(Some(on)) if on != preset_idempotent);
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
            .or(state.draft.as_ref())
            .map(|s| s.caption.clone())
            .unwrap_or_default()
    };
    let mode = embed_opts.controls;
    let embed = embed_opts.embed;
    let interactive = mode == ControlsMode::Full;
    let body = match &state.sim {
        None => html! {
            <section class="panel error" role="alert" id="run-error">
                <h2>{ "This scenario cannot run" }</h2>
                <p>{ state.error.clone().unwrap_or_default() }</p>
                <p class="muted small">{ "Change the configuration above (or reset it) to run again." }</p>
            </section>
        },
        Some(sim) => {
            let snapshot = Rc::new(sim.snapshot());
            // Components get the newest events only: cloning a long run's whole history every
            // frame is what made busy scenarios stutter.
            let all = sim.events();
            let events = Rc::new(tail(all));
            let report_counters = sim.counters();
            let latest = events
                .last()
                .map(|e| describe::event(&e.kind))
                .unwrap_or_default();
            let actions = interactive.then(|| html! {
                <Actions snapshot={snapshot.clone()} selected={(*selected).clone()}
                    on_intervene={on_intervene.clone()} on_clear_selection={clear_selection.clone()}
                    interventions={state.settings.faults.len()} on_clear_interventions={clear_interventions.clone()} />
            });
            let on_select = interactive.then(|| on_select.clone());
            if let Some(twin) = state.twin.as_ref() {
                let twin_snapshot = Rc::new(twin.snapshot());
                let twin_counters = twin.counters();
                let summary = compare_summary(&report_counters, &twin_counters);
                let lane = |key: &'static str,
                            title: &'static str,
                            snap: Rc<idempotence_sim::Snapshot>,
                            evs: &[Event],
                            counters: idempotence_sim::report::Counters,
                            select: Option<Callback<Selected>>| {
                    html! {
                        <section class="panel lane" data-lane={key} aria-labelledby={format!("lane-{key}-title")}>
                            <h2 id={format!("lane-{key}-title")} class="lane-title">{ title }</h2>
                            <Stage id={AttrValue::from(format!("stage-{key}"))} snapshot={snap.clone()} events={Rc::new(tail(evs))} clock_ms={state.clock_ms}
                                narrow={*narrow} reduced_motion={*reduced_motion}
                                selected={(*selected).clone()} on_select={select} />
                            <Verdict verdict={describe::verdict(evs)} />
                            <Counters counters={counters} invariants={Vec::new()} finished={state.finished()}
                                prefix={AttrValue::from(format!("{key}-counter-"))} show_invariants={false} />
                            <LogStrip snapshot={snap.clone()} title_id={AttrValue::from(format!("{key}-logs-title"))} />
                            <Consumers snapshot={snap} title_id={AttrValue::from(format!("{key}-consumers-title"))} />
                        </section>
                    }
                };
                html! {
                    <>
                        <p id="compare-summary" class="compare-summary" role="status">
                            <strong>{ "Same seed, same faults. " }</strong>{ summary }
                        </p>
                        { for actions }
                        <div class="compare">
                            { lane("off", "enable.idempotence = false", snapshot.clone(), all, report_counters, on_select) }
                            { lane("on", "enable.idempotence = true", twin_snapshot, twin.events(), twin_counters, None) }
                        </div>
                        <div class="sr-only" aria-live="polite" id="live">{ latest }</div>
                    </>
                }
            } else {
                let invariants =
                    invariants_cached(&invariant_cache, state.seek_generation, state.playing, sim);
                let verdict = describe::verdict(all);
                let counts = Rc::new(
                    describe::CATEGORIES
                        .iter()
                        .map(|c| all.iter().filter(|e| e.kind.category() == *c).count())
                        .collect::<Vec<_>>(),
                );
                html! {
                    <>
                        <div class={classes!("layout", embed.then_some("embed-layout"))}>
                            <div class="main-col">
                                <section class="panel stage-panel" aria-labelledby="stage-title">
                                    <h2 id="stage-title" class="sr-only">{ "Producers, brokers and the network" }</h2>
                                    <Stage snapshot={snapshot.clone()} events={events.clone()} clock_ms={state.clock_ms}
                                        narrow={*narrow} reduced_motion={*reduced_motion}
                                        selected={(*selected).clone()} on_select={on_select} />
                                    { for actions }
                                    <Verdict {verdict} />
                                </section>
                                if crate::view::transactional(&snapshot) {
                                    <Coordinator snapshot={snapshot.clone()} />
                                }
                                <LogStrip snapshot={snapshot.clone()} />
                                <Consumers snapshot={snapshot.clone()} />
                            </div>
                            <div class="side-col">
                                <Counters counters={report_counters} {invariants} finished={state.finished()} />
                                if interactive {
                                    <EventLog state={state.clone()} events={events.clone()} {counts} />
                                }
                                if !embed {
                                    <Notes />
                                }
                            </div>
                        </div>
                        <div class="sr-only" aria-live="polite" id="live">{ latest }</div>
                    </>
                }
            }
        }
    };

    let share = share_url(&query);
    let title = state
        .scenario
        .as_ref()
        .map(|s| s.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| state.settings.preset.clone());
    html! {
        <main id="app-root" class={classes!("lab", embed.then_some("embedded"))}>
            if embed {
                <header class="topbar compact">
                    <h1 class="embed-title">{ "Idempotent Producer Lab · " }<span class="muted">{ title }</span></h1>
                    if mode != ControlsMode::None {
                        <div class="topbar-buttons">
                            <button id="help-button" onclick={toggle_help} aria-label="Keyboard shortcuts">{ "?" }</button>
                        </div>
                    }
                </header>
            } else {
                <header class="topbar">
                    <div>
                        <h1>{ "Idempotent Producer Lab" }</h1>
                        <p class="tagline">{ "Kafka producers, brokers and a lossy network: watch how producer ids and sequence numbers keep retries from writing duplicates, where that guarantee ends, and how transactions close the gap." }</p>
                    </div>
                    <div class="topbar-buttons">
                        <button id="theme" onclick={cycle_theme}>{ theme_label }</button>
                        <button id="help-button" onclick={toggle_help} aria-label="Keyboard shortcuts">{ "?" }</button>
                    </div>
                </header>
            }
            if !state.notices.is_empty() {
                <div class="notice" role="alert" id="url-errors">
                    <ul>{ for state.notices.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
                    <button onclick={dismiss}>{ "Dismiss" }</button>
                </div>
            }
            <section class="narrative" aria-label="Scenario">
                if mode != ControlsMode::None {
                    <Controls state={state.clone()} {mode} share_url={AttrValue::from(share)} />
                }
                if interactive {
                    <ConfigPanel settings={state.settings.clone()} draft={Rc::new(state.draft.clone())} dispatch={dispatch.clone()} />
                }
                <p class={classes!("caption", (!*caption_open).then_some("clamped"))} id="caption">{ caption }</p>
                <button class="caption-more" aria-controls="caption" aria-expanded={caption_open.to_string()}
                    onclick={toggle_caption}>{ if *caption_open { "Show less" } else { "Read the whole story" } }</button>
            </section>
            { body }
            <Help open={state.show_help} on_close={close_help} />
        </main>
    }
}
