use std::rc::Rc;

use idempotence_sim::Scenario;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::config_fields::{Kind, FIELDS};
use crate::settings::{config_value, Settings};
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct ConfigPanelProps {
    pub settings: Rc<Settings>,
    /// The scenario as configured (possibly invalid), for the current values.
    pub draft: Rc<Option<Scenario>>,
    /// Why the configured scenario cannot run (Kafka's ConfigException), if it cannot: the
    /// fields it names are marked invalid and the message is shown under them.
    #[prop_or_default]
    pub error: Option<String>,
    pub dispatch: Callback<Action>,
}

/// Producer and cluster configuration. Every change rebuilds the run and goes into the URL;
/// a combination Kafka refuses shows its ConfigException instead of running.
#[component]
pub fn ConfigPanel(props: &ConfigPanelProps) -> Html {
    let s = &props.settings;
    let value = |key: &str| -> String {
        s.config
            .get(key)
            .or_else(|| props.draft.as_ref().as_ref().map(|d| config_value(d, key)))
            .unwrap_or_default()
    };
    let on_select = |key: &'static str| {
        let d = props.dispatch.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            d.emit(Action::SetParam(key.into(), select.value()));
        })
    };
    let on_number = |key: &'static str| {
        let d = props.dispatch.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            d.emit(Action::SetParam(
                key.into(),
                input.value().trim().to_string(),
            ));
        })
    };
    let idem = match s.idempotence {
        None => "",
        Some(None) => "unset",
        Some(Some(true)) => "on",
        Some(Some(false)) => "off",
    };
    let preset_idem = props
        .draft
        .as_ref()
        .as_ref()
        .and_then(|d| d.producers.first())
        .map(|p| match p.config.enable_idempotence {
            None => "unset",
            Some(true) => "true",
            Some(false) => "false",
        })
        .unwrap_or("unset");
    let acks = value("acks");
    let reset = props.dispatch.reform(|_: MouseEvent| Action::ResetConfig);
    let overridden = s.idempotence.is_some() || s.config != Default::default();
    let error = props.error.as_deref();
    // A field is marked when the error names its Kafka setting.
    let invalid = |name: &str| error.is_some_and(|e| e.contains(name));
    html! {
        <details class="config" id="config-panel" open={overridden || error.is_some()}>
            <summary>{ "Configuration" }{ if overridden { " (changed)" } else { "" } }</summary>
            <div class="config-grid">
                <label class="field">
                    <span>{ "enable.idempotence" }</span>
                    <select id="cfg-idempotence" onchange={on_select("idempotence")}
                        aria-invalid={invalid("enable.idempotence").then_some("true")}>
                        <option value="" selected={idem.is_empty()}>{ format!("as in the scenario ({preset_idem})") }</option>
                        <option value="unset" selected={idem == "unset"}>{ "unset (Kafka decides)" }</option>
                        <option value="on" selected={idem == "on"}>{ "true" }</option>
                        <option value="off" selected={idem == "off"}>{ "false" }</option>
                    </select>
                </label>
                <label class="field">
                    <span>{ "acks" }</span>
                    <select id="cfg-acks" onchange={on_select("acks")} aria-invalid={invalid("acks").then_some("true")}>
                        { for ["0", "1", "all"].iter().map(|a| html! {
                            <option value={*a} selected={acks == *a}>{ *a }</option>
                        }) }
                    </select>
                </label>
                { for FIELDS.iter().filter(|f| f.kind != Kind::Acks).map(|f| { let key = f.key; html! {
                    <label class="field">
                        <span>{ f.kafka_name }</span>
                        <input id={format!("cfg-{key}")} type="text" inputmode="decimal" value={value(key)}
                            onchange={on_number(key)} aria-describedby={format!("cfg-{key}-hint")}
                            aria-invalid={invalid(f.kafka_name).then_some("true")} />
                        <small id={format!("cfg-{key}-hint")} class="muted">{ f.hint() }</small>
                    </label>
                }}) }
            </div>
            if let Some(e) = error {
                <p id="cfg-error" class="cfg-error" role="alert">{ e }</p>
            }
            <Versus settings={props.settings.clone()} dispatch={props.dispatch.clone()} />
            <button id="cfg-reset" onclick={reset} disabled={!overridden}>{ "Reset to the scenario's configuration" }</button>
        </details>
    }
}

#[derive(Properties, PartialEq)]
struct VersusProps {
    settings: Rc<Settings>,
    dispatch: Callback<Action>,
}

/// The same run, same seed and faults, on other releases, beside this one: both releases are
/// read when the reader asks for the comparison (the page then changes to two lanes).
#[component]
fn Versus(props: &VersusProps) -> Html {
    let (client, broker) = (use_node_ref(), use_node_ref());
    let compare = {
        let (client, broker, d) = (client.clone(), broker.clone(), props.dispatch.clone());
        Callback::from(move |_: MouseEvent| {
            let text = |r: &NodeRef| {
                r.cast::<HtmlInputElement>()
                    .map(|i| i.value().trim().to_string())
                    .unwrap_or_default()
            };
            d.emit(Action::CompareReleases {
                client: text(&client),
                broker: text(&broker),
            });
        })
    };
    let versus = &props.settings.versus;
    html! {
        <fieldset class="config-grid versus" id="cfg-versus">
            <legend>{ "Compare with other releases" }</legend>
            <label class="field">
                <span>{ "client_version" }</span>
                <input id="cfg-vs_client_version" ref={client} type="text" inputmode="decimal"
                    placeholder="as above" value={versus.get("client_version").unwrap_or_default()} />
            </label>
            <label class="field">
                <span>{ "broker_version" }</span>
                <input id="cfg-vs_broker_version" ref={broker} type="text" inputmode="decimal"
                    placeholder="as above" value={versus.get("broker_version").unwrap_or_default()} />
            </label>
            <button id="cfg-compare-releases" onclick={compare}>{ "Compare side by side" }</button>
            <small class="muted">{ "e.g. brokers 3.6 (verification), or client and brokers 4.0 (transactions v2): same seed, same faults" }</small>
        </fieldset>
    }
}
