use idempotence_sim::presets;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::presentation::Extent;
use crate::settings::{ControlsMode, SPEEDS};
use crate::state::Action;

/// What the controls show: small, so a frame in which none of it changed skips them.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlsView {
    pub preset: String,
    /// The scenario came from the link (JSON), not from the preset list.
    pub custom: bool,
    pub compare: bool,
    pub idempotent: bool,
    /// The scenario is transactional: compare mode is not offered.
    pub transactional: bool,
    /// Why the scenario cannot run (a configuration error), when it cannot: Play is disabled.
    pub blocked: Option<String>,
    /// Why another setting switched idempotence off implicitly, when it did.
    pub idempotence_off_because: Option<String>,
    pub playing: bool,
    /// Why the run ended, once every lane has.
    pub finished: Option<String>,
    /// What went wrong so far in the first lane, in words ("5 duplicates written"), if anything.
    pub problems: Option<String>,
    pub clock_ms: u64,
    pub speed: f64,
    pub event_count: u64,
    pub extent: Extent,
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub view: ControlsView,
    pub dispatch: Callback<Action>,
    #[prop_or(ControlsMode::Full)]
    pub mode: ControlsMode,
    /// The page's shareable URL (origin + path + query).
    #[prop_or_default]
    pub share_url: AttrValue,
}

fn speed_label(x: f64) -> String {
    if x < 1.0 {
        format!("{x}×")
    } else {
        format!("{}×", x as u32)
    }
}

/// Preset picker, play/pause, steps, restart, speed, idempotence switch, timeline, status.
#[component]
pub fn Controls(props: &ControlsProps) -> Html {
    let v = &props.view;
    let d = |a: Action| props.dispatch.reform(move |_: MouseEvent| a.clone());
    let on_speed = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(x) = select.value().parse::<f64>() {
                dispatch.emit(Action::SetSpeed(x));
            }
        })
    };
    let copy = use_state(|| CopyState::Idle);
    let on_copy = {
        let url = props.share_url.to_string();
        let copy = copy.clone();
        Callback::from(move |_: MouseEvent| copy_to_clipboard(&url, copy.clone()))
    };
    let full = props.mode == ControlsMode::Full;
    let play_label = if v.playing {
        "❚❚ Pause"
    } else if v.finished.is_some() {
        "↻ Replay"
    } else {
        "▶ Play"
    };
    let speed = v.speed;
    html! {
        <section class="controls" aria-label="Playback controls">
            if full {
                { scenario_row(v, &props.dispatch) }
            }
            <div class="control-row buttons">
                <button id="step-back" onclick={d(Action::StepBack)} title="Step back (←)" aria-label="Step back"><span aria-hidden="true">{ "◀" }</span><span class="btn-word">{ " Back" }</span></button>
                <button id="play" class="primary" onclick={d(Action::TogglePlay)} aria-pressed={v.playing.to_string()}
                    disabled={v.blocked.is_some()} title={v.blocked.clone()}>{ play_label }</button>
                <button id="step-forward" onclick={d(Action::StepForward)} title="Step forward (→)" aria-label="Step forward"><span class="btn-word">{ "Step " }</span><span aria-hidden="true">{ "▶" }</span></button>
                if full {
                <button id="restart" onclick={d(Action::Restart)} title="Restart (R)" aria-label="Restart"><span aria-hidden="true">{ "↺" }</span><span class="btn-word">{ " Restart" }</span></button>
                <label class="field inline">
                    <span class="btn-word">{ "Speed" }</span>
                    <select id="speed" aria-label="Speed" onchange={on_speed}>
                        { for SPEEDS.iter().map(|&x| html! {
                            <option value={x.to_string()} selected={x == speed}>{ speed_label(x) }</option>
                        }) }
                    </select>
                </label>
                <button id="copy-link" onclick={on_copy} title="Copy a link that reproduces this run">
                    { match *copy {
                        CopyState::Idle => html! { <><span class="btn-word">{ "Copy " }</span>{ "link" }</> },
                        CopyState::Copied => html! { "✓ Link copied" },
                        CopyState::Select => html! { "Press Ctrl+C (⌘C) to copy" },
                    } }
                </button>
                <input id="share-link" class={classes!("share-link", (*copy == CopyState::Select).then_some("shown"))}
                    type="text" readonly=true value={props.share_url.clone()} aria-label="Link to this run" />
                }
            </div>
            { timeline_row(v, &props.dispatch) }
            { status_line(v) }
        </section>
    }
}

/// The scenario picker, the idempotence switch and Compare (full controls only).
fn scenario_row(v: &ControlsView, dispatch: &Callback<Action>) -> Html {
    let on_preset = dispatch.reform(move |e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        Action::SetPreset(select.value())
    });
    let on_idempotence = dispatch.reform(move |e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        Action::SetIdempotence(input.checked())
    });
    let on_compare = dispatch.reform(move |e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        Action::SetCompare(input.checked())
    });
    let (compare, idempotent) = (v.compare, v.idempotent);
    html! {
        <div class="control-row">
            <label class="field preset-field">
                <span>{ "Scenario" }</span>
                <select id="preset" onchange={on_preset}>
                    if v.custom {
                        // A scenario from the URL: listed so the picker names what runs.
                        <option value={v.preset.clone()} selected=true disabled=true>
                            { format!("{} (from the link)", v.preset) }
                        </option>
                    }
                    { for presets::ids().map(|id| html! {
                        <option value={id} selected={!v.custom && id == v.preset}>{ id }</option>
                    }) }
                </select>
            </label>
            if !compare {
            <label class="switch" title="enable.idempotence for every producer">
                <input id="idempotence-toggle" type="checkbox" role="switch"
                    checked={idempotent} onchange={on_idempotence} />
                <span class="switch-track" aria-hidden="true"><span class="switch-thumb"></span></span>
                <span>{ "enable.idempotence = " }<strong>{ if idempotent { "true" } else { "false" } }</strong></span>
            </label>
            if let Some(why) = &v.idempotence_off_because {
                <span id="idempotence-implicit" class="implicit-note" role="note">
                    { format!("off implicitly: {why}") }
                </span>
            }
            }
            <label class={classes!("check", "compare-check", v.transactional.then_some("unavailable"))}
                title={v.transactional.then(|| format!("Compare is not offered here: {}", crate::settings::NO_COMPARE))}>
                <input id="compare-toggle" type="checkbox" checked={compare} onchange={on_compare}
                    disabled={v.transactional} />
                { "Compare" }<span class="btn-word">{ " off vs on" }</span>
            </label>
        </div>
    }
}

/// The clock, the scrubber over the run's simulated time, and the end (with `+` while the
/// run is still being explored).
fn timeline_row(v: &ControlsView, dispatch: &Callback<Action>) -> Html {
    let on_scrub = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(t) = input.value().parse::<f64>() {
                dispatch.emit(Action::SeekTime(t.max(0.0) as u64));
            }
        })
    };
    html! {
        <div class="control-row timeline">
            <span class="time">{ format!("t = {} ms", v.clock_ms) }</span>
            <input id="timeline" type="range" min="0" max={v.extent.end_ms.max(1).to_string()} step="1"
                value={v.clock_ms.to_string()} oninput={on_scrub} aria-label="Timeline (simulated ms)" />
            <span class="time" title={(!v.extent.known).then_some("the run is still being explored")}>
                { format!("{} ms{}", v.extent.end_ms, if v.extent.known { "" } else { "+" }) }
            </span>
        </div>
    }
}

/// Playing, paused or finished (and why), the problems so far, and the event count.
fn status_line(v: &ControlsView) -> Html {
    let finished = &v.finished;
    let status = match (finished, v.playing, &v.problems) {
        _ if v.blocked.is_some() => "cannot run: fix the configuration".to_string(),
        (Some(_), _, Some(p)) => format!("finished with {p}"),
        (Some(why), _, None) => format!("finished: {why}"),
        (None, true, _) => "playing".to_string(),
        (None, false, _) => "paused".to_string(),
    };
    let warn = v.problems.is_some() || v.blocked.is_some();
    html! {
        <p id="status" class={classes!("status", finished.is_some().then_some("done"), warn.then_some("warn"))} role="status">
            { status }
            if finished.is_none() {
                if let Some(p) = &v.problems {
                    <span class="status-problems">{ format!(" · so far: {p}") }</span>
                }
            }
            <span class="muted">{ format!(" · event {} of {}{}", v.event_count, v.extent.total_events,
                if v.extent.known { "" } else { "+" }) }</span>
        </p>
    }
}

/// What "Copy link" did.
#[derive(Clone, Copy, PartialEq)]
enum CopyState {
    Idle,
    /// The clipboard took the link.
    Copied,
    /// No clipboard (insecure page, old browser) or it refused: the link is shown selected.
    Select,
}

/// Copies through the Clipboard API and reports what really happened; where there is no
/// clipboard, or it refuses, the link field is shown with its text selected instead.
fn copy_to_clipboard(text: &str, state: UseStateHandle<CopyState>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    let select = {
        let state = state.clone();
        move || {
            state.set(CopyState::Select);
            // After the render that shows the field (a hidden field cannot take focus).
            gloo::timers::callback::Timeout::new(0, || {
                if let Some(input) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id("share-link"))
                    .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
                {
                    let _ = input.focus();
                    input.select();
                }
            })
            .forget();
        }
    };
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    let has_clipboard = web_sys::js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .is_ok_and(|c| !c.is_undefined() && !c.is_null());
    if !has_clipboard {
        select();
        return;
    }
    let promise = navigator.clipboard().write_text(text);
    let ok = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| state.set(CopyState::Copied));
    let mut select = Some(select);
    let refused = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
        if let Some(select) = select.take() {
            select();
        }
    });
    let _ = promise.then2(&ok, &refused);
    // One pair per click, kept until the promise settles (a few bytes each).
    ok.forget();
    refused.forget();
}
