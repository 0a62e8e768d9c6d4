//! The iframe embedding protocol, version 1 (pure: JSON text in, JSON values out; no DOM).
//!
//! Frame → host (`window.parent.postMessage(msg, "*")`; the notices hold nothing secret):
//! `{source:"idempotence-lab", version:1, id, type:"ready", notices}` (`notices`: what the
//! frame refused or corrected in its URL parameters, in words, so the host can show it),
//! `{..., type:"resize", height}` (CSS px of the content),
//! `{..., type:"state", state:{scenario, seed, time_ms, playing, finished, event_index,
//! duplicates_written, duplicates_prevented}}` on play, pause, finish, load and seek.
//! `id` is the `id` URL parameter, or null. `event_index` is the number of events so far
//! (the index of the next event).
//!
//! Host → frame: `{source:"idempotence-lab-host", version:1, type, ...}` with type
//! `play`, `pause`, `step`, `seek` (`time_ms`), `load` (`scenario`: preset id or scenario
//! JSON text or object, optional `seed`), `set-theme` (`theme`: auto|light|dark).
//! Messages from origins not allowed, of other sources, versions or types are ignored.

use serde_json::{json, Value};

pub const SOURCE: &str = "idempotence-lab";
pub const HOST_SOURCE: &str = "idempotence-lab-host";
pub const VERSION: u64 = 1;

/// A command from the host page.
#[derive(Debug, Clone, PartialEq)]
pub enum HostCommand {
    Play,
    Pause,
    Step,
    Seek(u64),
    Load { scenario: String, seed: Option<u64> },
    SetTheme(String),
}

/// What to do with an incoming message.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// Not addressed to us (another source, e.g. our own notices, or not an object): ignore silently.
    NotForUs,
    Command(HostCommand),
    /// Ours, but an unknown version, type or malformed field: ignore, warn once.
    Ignored(String),
}

/// Parses `JSON.stringify(event.data)`. Never panics.
pub fn parse_incoming(text: &str) -> Incoming {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return Incoming::NotForUs;
    };
    if v.get("source").and_then(Value::as_str) != Some(HOST_SOURCE) {
        return Incoming::NotForUs;
    }
    if v.get("version").and_then(Value::as_u64) != Some(VERSION) {
        return Incoming::Ignored(format!(
            "unsupported protocol version {} (this frame speaks version {VERSION})",
            v.get("version")
                .map_or("(none)".to_string(), Value::to_string)
        ));
    }
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
    let command = match kind {
        "play" => HostCommand::Play,
        "pause" => HostCommand::Pause,
        "step" => HostCommand::Step,
        "seek" => match v.get("time_ms").and_then(Value::as_f64) {
            Some(t) if t.is_finite() && t >= 0.0 => HostCommand::Seek(t as u64),
            _ => return Incoming::Ignored("seek needs time_ms ≥ 0".into()),
        },
        "load" => {
            let scenario = match v.get("scenario") {
                Some(Value::String(s)) => s.clone(),
                Some(o @ Value::Object(_)) => o.to_string(),
                _ => return Incoming::Ignored("load needs a scenario (preset id or JSON)".into()),
            };
            let seed = match v.get("seed") {
                None | Some(Value::Null) => None,
                Some(s) => match s.as_u64() {
                    Some(n) => Some(n),
                    None => {
                        return Incoming::Ignored("load: seed must be a whole number ≥ 0".into())
                    }
                },
            };
            HostCommand::Load { scenario, seed }
        }
        "set-theme" => match v.get("theme").and_then(Value::as_str) {
            Some(t @ ("auto" | "light" | "dark")) => HostCommand::SetTheme(t.to_string()),
            _ => return Incoming::Ignored("set-theme needs theme auto, light or dark".into()),
        },
        other => return Incoming::Ignored(format!("unknown message type “{other}”")),
    };
    Incoming::Command(command)
}

fn envelope(id: Option<&str>, kind: &str) -> Value {
    json!({ "source": SOURCE, "version": VERSION, "id": id, "type": kind })
}

pub fn ready(id: Option<&str>, notices: &[String]) -> Value {
    let mut v = envelope(id, "ready");
    v["notices"] = json!(notices);
    v
}

pub fn resize(id: Option<&str>, height: f64) -> Value {
    let mut v = envelope(id, "resize");
    v["height"] = json!(height.ceil().max(0.0) as u64);
    v
}

/// The `state` notice's payload.
#[derive(Debug, Clone, PartialEq)]
pub struct StateNotice {
    pub scenario: String,
    pub seed: u64,
    pub time_ms: u64,
    pub playing: bool,
    pub finished: bool,
    pub event_index: u64,
    pub duplicates_written: u64,
    pub duplicates_prevented: u64,
}

pub fn state(id: Option<&str>, s: &StateNotice) -> Value {
    let mut v = envelope(id, "state");
    v["state"] = json!({
        "scenario": s.scenario,
        "seed": s.seed,
        "time_ms": s.time_ms,
        "playing": s.playing,
        "finished": s.finished,
        "event_index": s.event_index,
        "duplicates_written": s.duplicates_written,
        "duplicates_prevented": s.duplicates_prevented,
    });
    v
}

/// Whether a message from `origin` may command this frame: the frame's own origin always,
/// plus the `allow_origins` list (`*` allows any).
pub fn origin_allowed(origin: &str, own: &str, allowed: &[String]) -> bool {
    origin == own
        || allowed
            .iter()
            .any(|a| a == "*" || a.trim_end_matches('/') == origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(v: Value) -> Incoming {
        parse_incoming(&v.to_string())
    }

    #[test]
    fn commands_parse() {
        let h = |t: &str| json!({"source": HOST_SOURCE, "version": 1, "type": t});
        assert_eq!(host(h("play")), Incoming::Command(HostCommand::Play));
        assert_eq!(host(h("pause")), Incoming::Command(HostCommand::Pause));
        assert_eq!(host(h("step")), Incoming::Command(HostCommand::Step));
        let mut seek = h("seek");
        seek["time_ms"] = json!(120);
        assert_eq!(host(seek), Incoming::Command(HostCommand::Seek(120)));
        let mut load = h("load");
        load["scenario"] = json!("happy-path");
        load["seed"] = json!(4);
        assert_eq!(
            host(load),
            Incoming::Command(HostCommand::Load {
                scenario: "happy-path".into(),
                seed: Some(4)
            })
        );
        let mut theme = h("set-theme");
        theme["theme"] = json!("dark");
        assert_eq!(
            host(theme),
            Incoming::Command(HostCommand::SetTheme("dark".into()))
        );
    }

    #[test]
    fn malformed_and_foreign_messages_are_ignored() {
        assert_eq!(parse_incoming("not json"), Incoming::NotForUs);
        assert_eq!(parse_incoming("42"), Incoming::NotForUs);
        assert_eq!(parse_incoming("null"), Incoming::NotForUs);
        assert_eq!(
            host(json!({"source": SOURCE, "version": 1, "type": "ready"})),
            Incoming::NotForUs
        );
        assert!(matches!(
            host(json!({"source": HOST_SOURCE, "version": 2, "type": "play"})),
            Incoming::Ignored(_)
        ));
        assert!(matches!(
            host(json!({"source": HOST_SOURCE, "version": 1, "type": "dance"})),
            Incoming::Ignored(_)
        ));
        assert!(matches!(
            host(json!({"source": HOST_SOURCE, "version": 1, "type": "seek", "time_ms": -3})),
            Incoming::Ignored(_)
        ));
        assert!(matches!(
            host(json!({"source": HOST_SOURCE, "version": 1, "type": "load"})),
            Incoming::Ignored(_)
        ));
    }

    #[test]
    fn notices_have_the_envelope() {
        let r = resize(Some("a"), 611.2);
        assert_eq!(r["source"], SOURCE);
        assert_eq!(r["version"], 1);
        assert_eq!(r["id"], "a");
        assert_eq!(r["type"], "resize");
        assert_eq!(r["height"], 612);
        assert_eq!(ready(None, &[])["id"], Value::Null);
        let notices = vec!["compare=1 is not offered".to_string()];
        assert_eq!(
            ready(Some("a"), &notices)["notices"],
            json!(["compare=1 is not offered"])
        );
    }

    #[test]
    fn origins() {
        let own = "https://lab.example";
        assert!(origin_allowed(own, own, &[]));
        assert!(!origin_allowed("https://evil.example", own, &[]));
        assert!(origin_allowed(
            "https://docs.example",
            own,
            &["https://docs.example/".into()]
        ));
        assert!(origin_allowed("https://x", own, &["*".into()]));
    }
}
