use idempotence_sim::presets;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::state::{Action, ControlsMode, State, SPEEDS};

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub state: UseReducerHandle<State>,
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
    let state = &props.state;
    let d = |a: Action| {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(a.clone()))
    };
    let on_preset = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            state.dispatch(Action::SetPreset(select.value()));
        })
    };
    let on_speed = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(x) = select.value().parse::<f64>() {
                state.dispatch(Action::SetSpeed(x));
            }
        })
    };
    let on_idempotence = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            state.dispatch(Action::SetIdempotence(input.checked()));
        })
    };
    let on_scrub = {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(t) = input.value().parse::<f64>() {
                state.dispatch(Action::SeekTime(t.max(0.0) as u64));
            }
        })
    };
    let on_compare = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            state.dispatch(Action::SetCompare(input.checked()));
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
    let custom = state.settings.custom.as_ref();
    let compare = state.settings.compare;
    let idempotent = state.idempotent();
    let finished = state
        .sim
        .as_ref()
        .and_then(|s| s.finished().map(str::to_string))
        // In compare mode the run is over only when both sides are.
        .filter(|_| state.finished());
    let status = match (&finished, state.playing) {
        (Some(why), _) => format!("finished: {why}"),
        (None, true) => "playing".to_string(),
        (None, false) => "paused".to_string(),
    };
    let play_label = if state.playing {
        "❚❚ Pause"
    } else if finished.is_some() {
        "↻ Replay"
    } else {
        "▶ Play"
    };
    let speed = state.settings.speed;
    html! {
        <section class="controls" aria-label="Playback controls">
            if full {
            <div class="control-row">
                <label class="field">
                    <span>{ "Scenario" }</span>
                    <select id="preset" onchange={on_preset}>
                        if state.settings.custom.is_some() {
                            // A scenario from the URL: listed so the picker names what runs.
                            <option value={state.settings.preset.clone()} selected=true disabled=true>
                                { format!("{} (from the link)", state.settings.preset) }
                            </option>
                        }
                        { for presets::ids().map(|id| html! {
                            <option value={id} selected={custom.is_none() && id == state.settings.preset}>{ id }</option>
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
                <button id="play" class="primary" onclick={d(Action::TogglePlay)} aria-pressed={state.playing.to_string()}>{ play_label }</button>
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
                <span class="time">{ format!("t = {:.0} ms", state.clock_ms) }</span>
                <input id="timeline" type="range" min="0" max={state.end_ms.max(1).to_string()} step="1"
                    value={format!("{:.0}", state.clock_ms)} oninput={on_scrub} aria-label="Timeline (simulated ms)" />
                <span class="time">{ format!("{} ms", state.end_ms) }</span>
            </div>
            <p id="status" class={classes!("status", finished.is_some().then_some("done"))} role="status">
                { status }
                <span class="muted">{ format!(" · event {} of {}", state.event_count(), state.total_events) }</span>
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
