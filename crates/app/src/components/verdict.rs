use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct VerdictProps {
    /// `(broker, category, batch description, explanation)` of the latest verdict, if any.
    pub verdict: Option<(u32, String, String, String)>,
}

/// The leader's latest decision on a batch, in words.
#[component]
pub fn Verdict(props: &VerdictProps) -> Html {
    match &props.verdict {
        None => html! {
            <div id="verdict" class="verdict empty">
                <span class="verdict-who">{ "Broker verdict" }</span>
                <span>{ "No batch has reached a leader yet." }</span>
            </div>
        },
        Some((broker, category, batch, explanation)) => html! {
            <div id="verdict" class={classes!("verdict", format!("cat-{category}"))}>
                <span class="verdict-who">{ format!("Broker {broker} on {batch}") }</span>
                <span class="verdict-text">{ explanation }</span>
            </div>
        },
    }
}
