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
    pub playing: bool,
    /// Why the run ended, once every lane has.
    pub finished: Option<String>,
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
    let on_preset = {
        props.dispatch.reform(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            Action::SetPreset(select.value())
        })
    };
    let on_speed = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(x) = select.value().parse::<f64>() {
                dispatch.emit(Action::SetSpeed(x));
            }
        })
    };
    let on_idempotence = {
        props.dispatch.reform(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            Action::SetIdempotence(input.checked())
        })
    };
    let on_scrub = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(t) = input.value().parse::<f64>() {
                dispatch.emit(Action::SeekTime(t.max(0.0) as u64));
            }
        })
    };
    let on_compare = {
        props.dispatch.reform(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            Action::SetCompare(input.checked())
        })
    };
    let copied = use_state(|| false);
    let on_copy = {
        let url = props.share_url.to_string();
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            copy_to_clipboard(&url);
            copied.set(true);
        })
    };
    let full = props.mode == ControlsMode::Full;
    let compare = v.compare;
    let idempotent = v.idempotent;
    let finished = &v.finished;
    let status = match (finished, v.playing) {
        (Some(why), _) => format!("finished: {why}"),
        (None, true) => "playing".to_string(),
        (None, false) => "paused".to_string(),
    };
    let play_label = if v.playing {
        "❚❚ Pause"
    } else if finished.is_some() {
        "↻ Replay"
    } else {
        "▶ Play"
    };
    let speed = v.speed;
    html! {
        <section class="controls" aria-label="Playback controls">
            if full {
            <div class="control-row">
                <label class="field">
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
                }
                <label class="check">
                    <input id="compare-toggle" type="checkbox" checked={compare} onchange={on_compare} />
                    { "Compare off vs on" }
                </label>
            </div>
            }
            <div class="control-row buttons">
                <button id="step-back" onclick={d(Action::StepBack)} title="Step back (←)" aria-label="Step back">{ "◀ Back" }</button>
                <button id="play" class="primary" onclick={d(Action::TogglePlay)} aria-pressed={v.playing.to_string()}>{ play_label }</button>
                <button id="step-forward" onclick={d(Action::StepForward)} title="Step forward (→)" aria-label="Step forward">{ "Step ▶" }</button>
                if full {
                <button id="restart" onclick={d(Action::Restart)} title="Restart (R)">{ "↺ Restart" }</button>
                <label class="field inline">
                    <span>{ "Speed" }</span>
                    <select id="speed" onchange={on_speed}>
                        { for SPEEDS.iter().map(|&x| html! {
                            <option value={x.to_string()} selected={x == speed}>{ speed_label(x) }</option>
                        }) }
                    </select>
                </label>
                <button id="copy-link" onclick={on_copy} title="Copy a link that reproduces this run">
                    { if *copied { "✓ Link copied" } else { "Copy link" } }
                </button>
                <input id="share-link" class="share-link" type="text" readonly=true value={props.share_url.clone()}
                    aria-label="Link to this run" />
                }
            </div>
            <div class="control-row timeline">
                <span class="time">{ format!("t = {} ms", v.clock_ms) }</span>
                <input id="timeline" type="range" min="0" max={v.extent.end_ms.max(1).to_string()} step="1"
                    value={v.clock_ms.to_string()} oninput={on_scrub} aria-label="Timeline (simulated ms)" />
                <span class="time" title={(!v.extent.known).then_some("the run is still being explored")}>
                    { format!("{} ms{}", v.extent.end_ms, if v.extent.known { "" } else { "+" }) }
                </span>
            </div>
            <p id="status" class={classes!("status", finished.is_some().then_some("done"))} role="status">
                { status }
                <span class="muted">{ format!(" · event {} of {}{}", v.event_count, v.extent.total_events,
                    if v.extent.known { "" } else { "+" }) }</span>
            </p>
        </section>
    }
}

/// Best effort: the Clipboard API may be unavailable (insecure context) or refused; the link
/// is also shown in a read-only field next to the button.
fn copy_to_clipboard(text: &str) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsValue;
    let Some(window) = web_sys::window() else {
        return;
    };
    let clipboard = window.navigator().clipboard();
    let promise = clipboard.write_text(text);
    // Swallow a refusal so it does not surface as an unhandled rejection.
    let ignore = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| {});
    let _ = promise.catch(&ignore);
    ignore.forget();
}
