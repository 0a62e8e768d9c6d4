use yew::prelude::*;

use crate::describe::VerdictLine;

#[derive(Properties, PartialEq)]
pub struct VerdictProps {
    /// The newest broker verdict or transaction step, if any (`describe::verdict`).
    pub verdict: Option<VerdictLine>,
}

/// The latest decision in words: a leader's verdict on a batch, or a transaction's step
/// (prepare, marker, completion, fencing).
#[component]
pub fn Verdict(props: &VerdictProps) -> Html {
    match &props.verdict {
        None => html! {
            <div id="verdict" class="verdict empty">
                <span class="verdict-who">{ "Broker verdict" }</span>
                <span>{ "No batch has reached a leader yet." }</span>
            </div>
        },
        Some(v) => html! {
            <div id="verdict" class={classes!("verdict", format!("cat-{}", v.category))}>
                <span class="verdict-who">{ &v.who }</span>
                <span class="verdict-text">{ &v.text }</span>
            </div>
        },
    }
}
