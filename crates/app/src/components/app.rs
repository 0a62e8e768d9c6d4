use std::rc::Rc;

use yew::prelude::*;

use super::actions::Actions;
use super::config_panel::ConfigPanel;
use super::consumers::Consumers;
use super::controls::{Controls, ControlsView};
use super::coordinator::Coordinator;
use super::counters::Counters;
use super::event_log::EventLog;
use super::help::Help;
use super::log_strip::{LogPeek, LogStrip};
use super::notes::Notes;
use super::stage::{Selected, Stage};
use super::story::Story;
use super::verdict::Verdict;
use crate::embed;
use crate::hooks::{
    media_matches, use_animation_clock, use_background_exploration, use_embed_protocol,
    use_keyboard, use_narrow, use_state_notices, use_theme, use_url_sync, window_query,
};
use crate::interventions::Intervention;
use crate::presentation::{
    caption, compare_summary, lane_titles, Extent, Frame, InvariantCache, LaneFrame,
};
use crate::settings::{ControlsMode, Theme};
use crate::state::{Action, State};

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

fn theme_label(theme: Theme) -> Html {
    let (icon, word) = match theme {
        Theme::Auto => ("◐", "auto"),
        Theme::Light => ("☀", "light"),
        Theme::Dark => ("☾", "dark"),
    };
    html! { <><span aria-hidden="true">{ icon }</span><span class="btn-word">{ format!(" Theme: {word}") }</span></> }
}

/// The layout: header, notices, controls, the run (one stage or two lanes) and help. State is
/// in the reducer, effects in `hooks`, and what the panels show comes from a [`Frame`] derived
/// once per (run, positions).
#[component]
pub fn App() -> Html {
    let state = use_reducer(|| State::from_query(&window_query()));
    let narrow = use_narrow();
    let reduced_motion = *use_memo((), |_| media_matches("(prefers-reduced-motion: reduce)"));
    let explored = state.timeline().is_none_or(|t| t.explored());
    use_animation_clock(state.playing, state.dispatcher());
    use_background_exploration(explored, state.dispatcher());
    use_keyboard(state.dispatcher());
    use_theme(state.settings.theme);
    use_embed_protocol(
        state.settings.embed.clone(),
        state.notices.clone(),
        state.dispatcher(),
    );

    let query = use_memo(
        (
            crate::presentation::Shared(state.settings.clone()),
            state.paused_at(),
        ),
        {
            let state = state.clone();
            move |_| state.url_query()
        },
    );
    use_url_sync((*query).clone());

    let frame = use_memo((state.generation, state.positions.clone()), {
        let state = state.clone();
        move |_| state.timeline().map(|t| Frame::of(&t))
    });
    let extent = state.timeline().map(|t| Extent::of(&t));
    let invariant_cache = use_mut_ref(InvariantCache::default);

    let first = frame.as_ref().as_ref().and_then(|f| f.lanes.first());
    use_state_notices(
        state.settings.embed.clone(),
        notice_key(&state, &query),
        state_notice(&state, first),
    );
    let dispatch = (*use_memo((), {
        let d = state.dispatcher();
        move |_| Callback::from(move |a: Action| d.dispatch(a))
    }))
    .clone();
    let selection = use_selection(dispatch.clone());
    let caption_text = use_caption(&state);
    let clear_interventions = dispatch.reform(|_: ()| Action::ClearInterventions);
    let on = |a: Action| dispatch.reform(move |_: MouseEvent| a.clone());

    let embed_opts = &state.settings.embed;
    let mode = embed_opts.controls;
    let embed = embed_opts.embed;
    let interactive = mode == ControlsMode::Full;
    let select = interactive.then(|| selection.on_select.clone());
    let single_lane = matches!(frame.as_ref(), Some(f) if f.lanes.len() == 1);
    let page = Page {
        state: &state,
        narrow,
        embed,
        reduced_motion,
        interactive,
        selected: (*selection.selected).clone(),
        select,
        on_intervene: selection.on_intervene.clone(),
        clear_selection: selection.clear.clone(),
        clear_interventions: clear_interventions.clone(),
        dispatch: dispatch.clone(),
    };
    let body = match (frame.as_ref(), &state.error) {
        (Some(frame), _) if frame.lanes.len() > 1 => page.compare_body(frame),
        (Some(frame), _) => {
            let l: &LaneFrame = &frame.lanes[0];
            let invariants = {
                let t = state.timeline();
                let sim = t.as_ref().and_then(|t| t.lane(0)).map(|lane| lane.view());
                invariant_cache.borrow_mut().get(
                    state.generation,
                    l.event_count,
                    state.playing,
                    || sim.map(|s| s.check_invariants()).unwrap_or_default(),
                )
            };
            page.single_body(frame, AttrValue::from((*caption_text).clone()), invariants)
        }
        (None, error) => error_body(error.as_deref()),
    };

    let title = state
        .run
        .as_ref()
        .map(|r| r.scenario.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| state.settings.preset.clone());
    let controls = controls_view(&state, first, extent);
    html! {
        <main id="app-root" class={classes!("lab", embed.then_some("embedded"))}>
            { topbar(&state, embed, mode, &title, &on) }
            if !state.notices.is_empty() {
                <div class="notice" role="alert" id="url-errors">
                    <ul>{ for state.notices.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
                    <button onclick={on(Action::DismissNotices)}>{ "Dismiss" }</button>
                </div>
            }
            <section class="narrative" aria-label="Scenario and playback">
                if mode != ControlsMode::None {
                    <Controls view={controls} {mode} share_url={AttrValue::from(share_url(&query))} dispatch={dispatch.clone()} />
                }
                if interactive && !single_lane {
                    <ConfigPanel settings={state.settings.clone()} draft={state.draft.clone()} error={state.error.clone()} dispatch={dispatch.clone()} />
                }
                if !single_lane {
                    <p class="caption" id="caption">{ (*caption_text).clone() }</p>
                }
            </section>
            { body }
            <Help open={state.show_help} on_close={dispatch.reform(|_: ()| Action::CloseHelp)} />
        </main>
    }
}

/// When the embedding page hears about the state: on play and pause, at the end, when the
/// URL or the position changes, and while playing a notice per quarter second of wall time
/// at most (≤ 4 a second).
fn notice_key(state: &State, query: &str) -> (bool, bool, String, u64, Option<u64>) {
    let quarter_second = state
        .playing
        .then(|| (web_sys::js_sys::Date::now() / 250.0) as u64);
    (
        state.playing,
        state.finished(),
        query.to_string(),
        state.seek_generation,
        quarter_second,
    )
}

/// What the embedding page hears: the run, the position and the duplicates so far.
fn state_notice(state: &State, first: Option<&LaneFrame>) -> embed::StateNotice {
    embed::StateNotice {
        scenario: state.settings.preset.clone(),
        seed: state.run.as_ref().map_or(0, |r| r.scenario.seed),
        time_ms: state.clock_ms.floor() as u64,
        playing: state.playing,
        finished: state.finished(),
        event_index: state.event_count(),
        duplicates_written: first.map_or(0, |l| l.counters.duplicates_written),
        duplicates_prevented: first.map_or(0, |l| l.counters.duplicates_prevented),
    }
}

/// The node the reader picked on the stage, and the callbacks that pick, act and let go.
struct Selection {
    selected: UseStateHandle<Option<Selected>>,
    on_select: Callback<Selected>,
    on_intervene: Callback<Intervention>,
    clear: Callback<()>,
}

#[hook]
fn use_selection(dispatch: Callback<Action>) -> Selection {
    let selected = use_state(|| None::<Selected>);
    let on_select = {
        let selected = selected.clone();
        use_callback(selected.clone(), move |s: Selected, _| {
            let same = selected.as_ref() == Some(&s);
            selected.set(if same { None } else { Some(s) })
        })
    };
    let on_intervene = {
        let selected = selected.clone();
        use_callback((), move |i: Intervention, _| {
            dispatch.emit(Action::Intervene(i));
            selected.set(None);
        })
    };
    let clear = {
        let selected = selected.clone();
        use_callback((), move |_: (), _| selected.set(None))
    };
    Selection {
        selected,
        on_select,
        on_intervene,
        clear,
    }
}

/// The sentence under the controls: what the scenario shows, computed when the settings or
/// the run change.
#[hook]
fn use_caption(state: &UseReducerHandle<State>) -> Rc<String> {
    let deps = (
        crate::presentation::Shared(state.settings.clone()),
        state.generation,
    );
    let state = state.clone();
    use_memo(deps, move |_| {
        let scenario = state.run.as_ref().map(|r| &r.scenario);
        caption(&state.settings, scenario.or(state.draft.as_ref().as_ref()))
    })
}

/// What the run's panels need from the page, gathered once per render: its state, how it is
/// shown, the reader's selection and the callbacks.
struct Page<'a> {
    state: &'a State,
    narrow: bool,
    embed: bool,
    reduced_motion: bool,
    interactive: bool,
    selected: Option<Selected>,
    select: Option<Callback<Selected>>,
    on_intervene: Callback<Intervention>,
    clear_selection: Callback<()>,
    clear_interventions: Callback<()>,
    dispatch: Callback<Action>,
}

impl Page<'_> {
    /// A lane's stage, drawn compact on a phone or in an embed.
    fn stage(&self, l: &LaneFrame, id: AttrValue, on_select: Option<Callback<Selected>>) -> Html {
        let (narrow, embed, reduced_motion) = (self.narrow, self.embed, self.reduced_motion);
        html! {
            <Stage {id} snapshot={l.snapshot.clone()} events={l.events.clone()} checked={l.checked.clone()} logs={l.logs.clone()}
                clock_ms={self.state.clock_ms} {narrow} compact={narrow || embed} {reduced_motion}
                selected={self.selected.clone()} {on_select} />
        }
    }

    /// The bar of actions on what the reader selected on the first stage.
    fn actions(&self, snapshot: &crate::presentation::Shared<idempotence_sim::Snapshot>) -> Html {
        html! {
            <Actions snapshot={snapshot.clone()} selected={self.selected.clone()}
                on_intervene={self.on_intervene.clone()} on_clear_selection={self.clear_selection.clone()}
                interventions={self.state.settings.faults.len()} on_clear_interventions={self.clear_interventions.clone()} />
        }
    }

    /// Compare mode: the two lanes' stages one above the other, then their details side by side.
    fn compare_body(&self, frame: &Frame) -> Html {
        let [(key_a, title_a), (key_b, title_b)] = self
            .state
            .run
            .as_ref()
            .map_or_else(|| lane_titles(false, &[]), |r| r.lane_titles.clone());
        // Idempotence off/on is short enough to name by its key; releases by their titles.
        let (label_a, label_b) = if self.state.settings.comparing_releases() {
            (title_a.as_str(), title_b.as_str())
        } else {
            (key_a, key_b)
        };
        let summary = compare_summary(
            (label_a, &frame.lanes[0].counters),
            (label_b, &frame.lanes[1].counters),
        );
        html! {
            <>
                <p id="compare-summary" class="compare-summary" role="status">
                    <strong>{ "Same seed, same faults. " }</strong>
                    { summary }
                    if self.state.settings.comparing_releases() {
                        <button id="stop-compare" class="ghost" onclick={self.dispatch.reform(|_: MouseEvent| Action::CompareReleases {
                            client: String::new(),
                            broker: String::new(),
                        })}>{ "Stop comparing" }</button>
                    }
                </p>
                if self.interactive {
                    { self.actions(&frame.lanes[0].snapshot) }
                }
                <div class="compare">
                    { self.compare_lane(frame, 0, key_a, &title_a) }
                    { self.compare_lane(frame, 1, key_b, &title_b) }
                </div>
                <div class="compare-details">
                    { self.compare_details(frame, 0, key_a, &title_a) }
                    { self.compare_details(frame, 1, key_b, &title_b) }
                </div>
                <div class="sr-only" aria-live="polite" id="live">{ frame.latest.clone() }</div>
            </>
        }
    }

    /// One lane of compare mode: the stage beside its title, newest log cells and verdict.
    fn compare_lane(&self, frame: &Frame, i: usize, key: &'static str, title: &str) -> Html {
        let l = &frame.lanes[i];
        let on_select = if i == 0 { self.select.clone() } else { None };
        html! {
            <section class="panel lane" data-lane={key} aria-labelledby={format!("lane-{key}-title")}>
                // The stage beside its lane's title, newest log cells and verdict: the
                // two lanes, one above the other, fit a 1280x800 screen with the stage
                // at its natural size (text >= 11 px).
                <div class="lane-main">
                    { self.stage(l, AttrValue::from(format!("stage-{key}")), on_select) }
                    <div class="lane-side">
                        <h2 id={format!("lane-{key}-title")} class="lane-title">{ title }</h2>
                        <LogPeek logs={l.logs.clone()} checked={l.checked.clone()} />
                        <Verdict verdict={l.verdict.clone()} />
                    </div>
                </div>
            </section>
        }
    }

    /// A lane's counters, full log and consumers (side by side under both stages).
    fn compare_details(&self, frame: &Frame, i: usize, key: &'static str, title: &str) -> Html {
        let l = &frame.lanes[i];
        html! {
            <section class="panel lane-details" data-lane={key} aria-label={format!("{title}: counters, logs and consumers")}>
                <h2 class="lane-title">{ title }</h2>
                <Counters counters={l.counters.clone()} invariants={Rc::new(Vec::new())} finished={self.state.finished()}
                    prefix={AttrValue::from(format!("{key}-counter-"))} show_invariants={false} />
                <LogStrip snapshot={l.snapshot.clone()} logs={l.logs.clone()} title_id={AttrValue::from(format!("{key}-logs-title"))} />
                <Consumers logs={l.logs.clone()} transactional={crate::view::transactional(&l.snapshot)} title_id={AttrValue::from(format!("{key}-consumers-title"))} />
            </section>
        }
    }

    /// One run: the story, stage and logs in the main column; counters, configuration, the
    /// event log and notes beside them.
    fn single_body(
        &self,
        frame: &Frame,
        intro: AttrValue,
        invariants: Rc<Vec<idempotence_sim::invariants::InvariantResult>>,
    ) -> Html {
        let state = self.state;
        let l: &LaneFrame = &frame.lanes[0];
        let (embed, interactive) = (self.embed, self.interactive);
        let dispatch = &self.dispatch;
        html! {
            <>
                <div class={classes!("layout", embed.then_some("embed-layout"))}>
                    <div class="main-col">
                        <Story {intro} story={frame.story.clone()}
                            guided={state.settings.guided} waiting={state.waiting_at_beat.is_some() && !state.playing}
                            {interactive} dispatch={dispatch.clone()} />
                        <section class="panel stage-panel" aria-labelledby="stage-title">
                            <h2 id="stage-title" class="sr-only">{ "Producers, brokers and the network" }</h2>
                            { self.stage(l, AttrValue::Static("stage"), self.select.clone()) }
                            <LogPeek logs={l.logs.clone()} checked={l.checked.clone()} />
                            <Verdict verdict={l.verdict.clone()} />
                            if interactive {
                                { self.actions(&l.snapshot) }
                            }
                        </section>
                        if crate::view::transactional(&l.snapshot) {
                            <Coordinator snapshot={l.snapshot.clone()} />
                        }
                        <LogStrip snapshot={l.snapshot.clone()} logs={l.logs.clone()} />
                        <Consumers logs={l.logs.clone()} transactional={crate::view::transactional(&l.snapshot)} />
                    </div>
                    <div class="side-col">
                        <Counters counters={l.counters.clone()} {invariants} finished={state.finished()}
                            on_seek={interactive.then(|| dispatch.reform(Action::SeekEvent))} />
                        if interactive {
                            <ConfigPanel settings={state.settings.clone()} draft={state.draft.clone()} error={state.error.clone()} dispatch={dispatch.clone()} />
                            <EventLog events={l.events.clone()} counts={l.counts.clone()}
                                hidden={state.hidden_categories.clone()} dispatch={dispatch.clone()} />
                        }
                        if !embed {
                            <Notes />
                        }
                    </div>
                </div>
                <div class="sr-only" aria-live="polite" id="live">{ frame.latest.clone() }</div>
            </>
        }
    }
}

/// A scenario that cannot run, and why.
fn error_body(error: Option<&str>) -> Html {
    html! {
        <section class="panel error" role="alert" id="run-error">
            <h2>{ "This scenario cannot run" }</h2>
            <p>{ error.unwrap_or_default().to_string() }</p>
            <p class="muted small">{ "Change the configuration above (or reset it) to run again." }</p>
        </section>
    }
}

/// What the control bar shows, from the state and the first lane.
fn controls_view(state: &State, first: Option<&LaneFrame>, extent: Option<Extent>) -> ControlsView {
    ControlsView {
        preset: state.settings.preset.clone(),
        custom: state.settings.custom.is_some(),
        compare: state.settings.compare,
        idempotent: state.idempotent(),
        blocked: state.error.clone(),
        transactional: state.run.as_ref().is_some_and(|r| {
            r.scenario
                .producers
                .iter()
                .any(|p| p.config.transactional_id.is_some())
        }),
        idempotence_off_because: state
            .run
            .as_ref()
            .and_then(|r| r.idempotence_off_because.clone()),
        playing: state.playing,
        finished: first
            .and_then(|l| l.finished.clone())
            .filter(|_| state.finished()),
        problems: first.and_then(|l| crate::presentation::problems(&l.counters)),
        clock_ms: state.clock_ms.floor() as u64,
        speed: state.settings.speed,
        event_count: first.map_or(0, |l| l.event_count),
        extent: extent.unwrap_or(Extent {
            end_ms: 0,
            total_events: 0,
            known: true,
        }),
    }
}

/// The page's header: the title (and the scenario's, in an embed), the theme and help buttons.
fn topbar(
    state: &State,
    embed: bool,
    mode: ControlsMode,
    title: &str,
    on: &dyn Fn(Action) -> Callback<MouseEvent>,
) -> Html {
    html! {
        <>
            if embed {
                <header class="topbar compact">
                    <h1 class="embed-title">{ "Idempotent Producer Lab · " }<span class="muted">{ title.to_string() }</span></h1>
                    if mode != ControlsMode::None {
                        <div class="topbar-buttons">
                            <button id="help-button" onclick={on(Action::ToggleHelp)} aria-label="Keyboard shortcuts">{ "?" }</button>
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
                        <a id="sweeps-link" class="button-link" href="?view=sweep" aria-label="Sweeps: how often each configuration breaks as faults grow, over thousands of runs">
                            <svg width="16" height="14" viewBox="0 0 16 14" aria-hidden="true"><polyline points="1,13 5,7 9,9 15,1" fill="none" stroke="currentColor" stroke-width="2" /></svg>
                            <span class="btn-word">{ " Sweeps" }</span>
                        </a>
                        <button id="theme" onclick={on(Action::CycleTheme)} aria-label={format!("Theme: {}", state.settings.theme.as_str())}>{ theme_label(state.settings.theme) }</button>
                        <button id="help-button" onclick={on(Action::ToggleHelp)} aria-label="Keyboard shortcuts">{ "?" }</button>
                    </div>
                </header>
            }
        </>
    }
}
