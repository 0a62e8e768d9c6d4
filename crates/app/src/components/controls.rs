use idempotence_sim::presets;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::state::{Action, State, SPEEDS};

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub state: UseReducerHandle<State>,
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
    let idempotent = state.idempotent();
    let finished = state
        .sim
        .as_ref()
        .and_then(|s| s.finished().map(str::to_string));
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
            <div class="control-row">
                <label class="field">
                    <span>{ "Scenario" }</span>
                    <select id="preset" onchange={on_preset}>
                        { for presets::ids().map(|id| html! {
                            <option value={id} selected={id == state.settings.preset}>{ id }</option>
                        }) }
                    </select>
                </label>
                <label class="switch" title="enable.idempotence for every producer">
                    <input id="idempotence-toggle" type="checkbox" role="switch"
                        checked={idempotent} onchange={on_idempotence} />
                    <span class="switch-track" aria-hidden="true"><span class="switch-thumb"></span></span>
                    <span>{ "enable.idempotence = " }<strong>{ if idempotent { "true" } else { "false" } }</strong></span>
                </label>
            </div>
            <div class="control-row buttons">
                <button id="step-back" onclick={d(Action::StepBack)} title="Step back (←)" aria-label="Step back">{ "◀ Back" }</button>
                <button id="play" class="primary" onclick={d(Action::TogglePlay)} aria-pressed={state.playing.to_string()}>{ play_label }</button>
                <button id="step-forward" onclick={d(Action::StepForward)} title="Step forward (→)" aria-label="Step forward">{ "Step ▶" }</button>
                <button id="restart" onclick={d(Action::Restart)} title="Restart (R)">{ "↺ Restart" }</button>
                <label class="field inline">
                    <span>{ "Speed" }</span>
                    <select id="speed" onchange={on_speed}>
                        { for SPEEDS.iter().map(|&x| html! {
                            <option value={x.to_string()} selected={x == speed}>{ speed_label(x) }</option>
                        }) }
                    </select>
                </label>
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
