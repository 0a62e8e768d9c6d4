use crate::presentation::Shared;

use idempotence_sim::fault::Rejection;
use idempotence_sim::Snapshot;
use yew::prelude::*;

use super::stage::Selected;
use crate::interventions::{Intervention, CRASH_DOWN_MS, CUT_LINK_MS};

#[derive(Properties, PartialEq)]
pub struct ActionsProps {
    pub snapshot: Shared<Snapshot>,
    pub selected: Option<Selected>,
    pub on_intervene: Callback<Intervention>,
    pub on_clear_selection: Callback<()>,
    /// How many interventions the run holds (they are in the URL).
    pub interventions: usize,
    pub on_clear_interventions: Callback<()>,
}

/// Real buttons for what the user clicked on the stage: crash or stop a broker, restart the
/// producer, cut a link, drop a message in flight. Each becomes a scripted fault in the URL.
#[component]
pub fn Actions(props: &ActionsProps) -> Html {
    let snap = &props.snapshot;
    let act = |id: String, label: String, i: Intervention, disabled: bool| {
        let cb = props.on_intervene.clone();
        let onclick = Callback::from(move |_: MouseEvent| cb.emit(i.clone()));
        html! { <button id={id} {onclick} {disabled}>{ label }</button> }
    };
    let close = props.on_clear_selection.reform(|_: MouseEvent| ());
    let body = match &props.selected {
        None => html! {
            <span class="muted">{ "Click a broker, a producer, a link or a message on the wire to intervene." }</span>
        },
        Some(Selected::Broker(b)) => {
            let alive = snap.brokers.get(*b as usize).is_some_and(|x| x.alive);
            html! {
                <>
                    <strong>{ format!("Broker {b}") }</strong>
                    if !alive { <span class="muted">{ " is down (it restarts on its own)" }</span> }
                    { act(format!("crash-broker-{b}"), format!("Crash (unclean) for {CRASH_DOWN_MS} ms"),
                        Intervention::CrashBroker { broker: *b, clean: false }, !alive) }
                    { act(format!("stop-broker-{b}"), format!("Stop cleanly for {CRASH_DOWN_MS} ms"),
                        Intervention::CrashBroker { broker: *b, clean: true }, !alive) }
                    { for snap.producers.iter().map(|p| act(
                        format!("cut-link-{}-{b}", p.index),
                        format!("Cut link producer {} ↔ broker {b} ({CUT_LINK_MS} ms)", p.index),
                        Intervention::CutLink { producer: p.index, broker: *b }, false)) }
                </>
            }
        }
        Some(Selected::Producer(p)) => {
            let alive = snap.producers.get(*p as usize).is_some_and(|x| x.alive);
            html! {
                <>
                    <strong>{ format!("Producer {p}") }</strong>
                    { act(format!("restart-producer-{p}"), "Restart the producer".into(),
                        Intervention::RestartProducer { producer: *p }, !alive) }
                    { for snap.brokers.iter().map(|b| act(
                        format!("cut-link-{p}-{}", b.id),
                        format!("Cut link to broker {} ({CUT_LINK_MS} ms)", b.id),
                        Intervention::CutLink { producer: *p, broker: b.id }, false)) }
                </>
            }
        }
        Some(Selected::Link { producer, broker }) => {
            let cut = snap
                .links_cut
                .iter()
                .find(|c| c.producer == *producer && c.broker == *broker);
            html! {
                <>
                    <strong>{ format!("Link producer {producer} ↔ broker {broker}") }</strong>
                    if let Some(c) = cut {
                        <span class="muted">{ format!(" is cut until {} ms: it heals on its own", c.until_ms) }</span>
                    }
                    { act(format!("cut-link-{producer}-{broker}"), format!("Cut it for {CUT_LINK_MS} ms"),
                        Intervention::CutLink { producer: *producer, broker: *broker }, cut.is_some()) }
                </>
            }
        }
        Some(Selected::Message {
            request,
            response,
            label,
        }) => {
            let on_wire = snap.messages.iter().any(|m| {
                m.request == Some(*request)
                    && (m.kind == idempotence_sim::snapshot::MessageKind::Response) == *response
                    && !m.doomed
            });
            html! {
                <>
                    <strong>{ label.clone() }</strong>
                    if !on_wire { <span class="muted">{ " is no longer on the wire" }</span> }
                    { act("drop-message".into(),
                        if *response { "Drop this response".into() } else { "Drop this request".into() },
                        Intervention::DropMessage { request: *request, response: *response }, !on_wire) }
                    if !*response {
                        { act("refuse-batch".into(), "Refuse its batch (INVALID_RECORD)".into(),
                            Intervention::RefuseBatch { request: *request, error: Rejection::InvalidRecord }, !on_wire) }
                        { act("too-large".into(), "Too large: split it (MESSAGE_TOO_LARGE)".into(),
                            Intervention::RefuseBatch { request: *request, error: Rejection::MessageTooLarge }, !on_wire) }
                    }
                </>
            }
        }
    };
    let clear_all = props.on_clear_interventions.reform(|_: MouseEvent| ());
    html! {
        <div class="actions" id="actions" role="group" aria-label="Interventions">
            { body }
            if props.selected.is_some() {
                <button class="ghost" onclick={close} aria-label="Close the actions">{ "✕" }</button>
            }
            if props.interventions > 0 {
                <span class="interventions muted" id="intervention-count">
                    { format!("{} intervention{} in this run (in the link)", props.interventions,
                        if props.interventions == 1 { "" } else { "s" }) }
                    <button class="ghost" id="clear-interventions" onclick={clear_all}>{ "Undo all" }</button>
                </span>
            }
        </div>
    }
}
