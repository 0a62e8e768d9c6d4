use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub open: bool,
    pub on_close: Callback<()>,
}

/// The keyboard help dialog (`?`).
#[component]
pub fn Help(props: &HelpProps) -> Html {
    if !props.open {
        return html! {};
    }
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <div class="help-backdrop" onclick={close.clone()}>
            <div class="help" role="dialog" aria-modal="true" aria-labelledby="help-title"
                 onclick={|e: MouseEvent| e.stop_propagation()}>
                <h2 id="help-title">{ "Keyboard shortcuts" }</h2>
                <dl>
                    <dt><kbd>{ "Space" }</kbd></dt><dd>{ "play / pause" }</dd>
                    <dt><kbd>{ "→" }</kbd></dt><dd>{ "step to the next event" }</dd>
                    <dt><kbd>{ "←" }</kbd></dt><dd>{ "step back one event" }</dd>
                    <dt><kbd>{ "R" }</kbd></dt><dd>{ "restart" }</dd>
                    <dt><kbd>{ "?" }</kbd></dt><dd>{ "this help" }</dd>
                    <dt><kbd>{ "Esc" }</kbd></dt><dd>{ "close" }</dd>
                </dl>
                <p>{ "Click an event in the event log to jump to it; drag the timeline to scrub." }</p>
                <p>{ "Click (or focus with Tab and press Enter on) a broker, a producer or a request or response on the wire to crash, stop, restart, cut a link or drop the message. Interventions go into the link, so “Copy link” reproduces the run." }</p>
                <button id="help-close" onclick={close}>{ "Close" }</button>
            </div>
        </div>
    }
}
