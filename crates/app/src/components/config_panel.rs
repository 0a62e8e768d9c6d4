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
            <button id="cfg-reset" onclick={reset} disabled={!overridden}>{ "Reset to the scenario's configuration" }</button>
        </details>
    }
}
