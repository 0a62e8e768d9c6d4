//! The words that follow the picture: the scenario's introduction, then the beat the run is in,
//! with a dot per beat (click one to jump to it) and, in guided mode, a Continue button where
//! the run stopped.

use yew::prelude::*;

use crate::presentation::StoryView;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct StoryProps {
    /// The introduction (the scenario's caption, or why its story changed).
    pub intro: AttrValue,
    /// The beats and the current one; `None` when the run has no story (custom scenarios,
    /// compare mode, a flipped preset without a twin).
    pub story: Option<StoryView>,
    pub guided: bool,
    /// Guided mode stopped the run at the current beat.
    pub waiting: bool,
    pub interactive: bool,
    pub dispatch: Callback<Action>,
}

#[component]
pub fn Story(props: &StoryProps) -> Html {
    let on_guided = props.dispatch.reform(|e: Event| {
        let input: web_sys::HtmlInputElement = e.target_unchecked_into();
        Action::SetGuided(input.checked())
    });
    let Some(story) = &props.story else {
        return html! {
            <section class="story" id="story" aria-label="What this run shows">
                <p class="beat" data-beat="intro" id="beat">{ props.intro.clone() }</p>
                <p class="story-intro" id="caption" hidden=true>{ props.intro.clone() }</p>
            </section>
        };
    };
    let n = story.beats.len();
    let (label, text) = match (story.current, story.current_text()) {
        (Some(i), Some(t)) => (format!("Step {} of {n}", i + 1), t.to_string()),
        _ => ("Before it starts".to_string(), props.intro.to_string()),
    };
    let current = story.current;
    let done = current.is_some_and(|i| i + 1 == n);
    html! {
        <section class={classes!("story", done.then_some("done"))} id="story" aria-label="What is happening">
            <div class="story-head">
                <span class="beat-step">{ label }</span>
                <ol class="beat-dots" aria-label="The story's steps">
                    { for story.beats.iter().enumerate().map(|(i, b)| {
                        let state = match current {
                            Some(c) if i < c => "past",
                            Some(c) if i == c => "current",
                            _ => "future",
                        };
                        let seek = b.event.map(|e| props.dispatch.reform(move |_: MouseEvent| Action::SeekEvent(e)));
                        html! {
                            <li>
                                <button class={classes!("beat-dot", state, b.pause.then_some("key"))}
                                    disabled={seek.is_none() || !props.interactive}
                                    onclick={seek.unwrap_or_default()}
                                    title={format!("Step {}: {}", i + 1, b.text)}
                                    aria-label={format!("Go to step {}", i + 1)}
                                    aria-current={(state == "current").then_some("step")} />
                            </li>
                        }
                    }) }
                </ol>
                if props.interactive {
                    <label class="check guided" title="Stop at each key step until you continue">
                        <input id="guided-toggle" type="checkbox" checked={props.guided} onchange={on_guided} />
                        { "Pause" }<span class="btn-word">{ " at key steps" }</span>
                    </label>
                }
                if props.waiting {
                    <button id="beat-continue" class="primary" onclick={props.dispatch.reform(|_: MouseEvent| Action::Play)}>
                        { "Continue ▸" }
                    </button>
                }
            </div>
            <p class="beat" id="beat" data-beat={current.map_or("intro".to_string(), |i| i.to_string())}
                aria-live="polite">{ text }</p>
            <p class="story-intro" id="caption" hidden={current.is_none()}>{ props.intro.clone() }</p>
        </section>
    }
}
