use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub open: bool,
    pub on_close: Callback<()>,
}

/// The keyboard help dialog (`?`). It takes focus when it opens, keeps Tab inside (its one
/// control), and gives focus back to the help button when it closes.
#[component]
pub fn Help(props: &HelpProps) -> Html {
    let close_button = use_node_ref();
    use_effect_with(
        (props.open, close_button.clone()),
        |(open, close_button)| {
            if *open {
                if let Some(b) = close_button.cast::<web_sys::HtmlElement>() {
                    let _ = b.focus();
                }
            }
            let open = *open;
            move || {
                if open {
                    if let Some(b) = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.get_element_by_id("help-button"))
                        .and_then(|e| {
                            wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok()
                        })
                    {
                        let _ = b.focus();
                    }
                }
            }
        },
    );
    if !props.open {
        return html! {};
    }
    let trap = {
        let close_button = close_button.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Tab" {
                e.prevent_default();
                if let Some(b) = close_button.cast::<web_sys::HtmlElement>() {
                    let _ = b.focus();
                }
            }
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <div class="help-backdrop" onclick={close.clone()}>
            <div class="help" role="dialog" aria-modal="true" aria-labelledby="help-title"
                 onclick={|e: MouseEvent| e.stop_propagation()} onkeydown={trap}>
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
                <button id="help-close" ref={close_button} onclick={close}>{ "Close" }</button>
            </div>
        </div>
    }
}
