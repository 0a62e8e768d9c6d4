//! The app's effects, one hook each: the animation clock, exploring a long run in the
//! background, keyboard shortcuts, the layout width, URL sync, the theme attribute and the embed
//! protocol. Each talks to the reducer through its dispatcher only.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::timers::callback::Interval;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::js_sys;
use yew::prelude::*;

use crate::embed::{self, HostCommand, Incoming};
use crate::settings::{EmbedOptions, Theme};
use crate::state::{Action, State};

/// Below this width (CSS px) the stage stacks producers above brokers.
const NARROW_PX: f64 = 560.0;
/// Longest real time one tick may advance (a tab that was in the background does not jump).
const MAX_TICK_MS: f64 = 100.0;

pub fn window_query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

pub fn media_matches(query: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.match_media(query).ok().flatten())
        .is_some_and(|m| m.matches())
}

fn is_narrow() -> bool {
    web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|v| v.as_f64())
        .is_some_and(|w| w < NARROW_PX)
}

type FrameLoop = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;

fn request_frame(window: &web_sys::Window, f: &FrameLoop) -> Option<i32> {
    let f = f.borrow();
    let cb = f.as_ref()?;
    window
        .request_animation_frame(cb.as_ref().unchecked_ref())
        .ok()
}

/// While playing, sends `Tick(real ms since the last frame)` once per animation frame.
#[hook]
pub fn use_animation_clock(playing: bool, dispatcher: UseReducerDispatcher<State>) {
    use_effect_with(playing, move |&playing| {
        let frame: FrameLoop = Rc::new(RefCell::new(None));
        let handle = Rc::new(Cell::new(None::<i32>));
        if let (true, Some(window)) = (playing, web_sys::window()) {
            let last = Rc::new(Cell::new(None::<f64>));
            let again = frame.clone();
            let w = window.clone();
            let h = handle.clone();
            *frame.borrow_mut() = Some(Closure::new(move |now: f64| {
                if let Some(before) = last.replace(Some(now)) {
                    dispatcher.dispatch(Action::Tick((now - before).clamp(0.0, MAX_TICK_MS)));
                }
                h.set(request_frame(&w, &again));
            }));
            handle.set(request_frame(&window, &frame));
        }
        move || {
            if let (Some(id), Some(window)) = (handle.get(), web_sys::window()) {
                let _ = window.cancel_animation_frame(id);
            }
            // Breaks the closure's reference to itself.
            frame.borrow_mut().take();
        }
    });
}

/// While a long run's end is unknown, explores a slice of it every few milliseconds, so the
/// timeline's length grows in the background without blocking a frame.
#[hook]
pub fn use_background_exploration(explored: bool, dispatcher: UseReducerDispatcher<State>) {
    use_effect_with(explored, move |&explored| {
        let interval =
            (!explored).then(|| Interval::new(30, move || dispatcher.dispatch(Action::Explore)));
        move || drop(interval)
    });
}

/// Space, ←, →, R, ? and Escape; pauses when the tab is hidden.
#[hook]
pub fn use_keyboard(dispatcher: UseReducerDispatcher<State>) {
    use_effect_with((), move |_| {
        let mut listeners = Vec::new();
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            let d = dispatcher.clone();
            listeners.push(EventListener::new_with_options(
                &document,
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    if let Some(action) = shortcut(e) {
                        e.prevent_default();
                        d.dispatch(action);
                    }
                },
            ));
            let doc = document.clone();
            listeners.push(EventListener::new(
                &document,
                "visibilitychange",
                move |_| {
                    if doc.hidden() {
                        dispatcher.dispatch(Action::Pause);
                    }
                },
            ));
        }
        move || drop(listeners)
    });
}

fn shortcut(e: &web_sys::KeyboardEvent) -> Option<Action> {
    if e.ctrl_key() || e.meta_key() || e.alt_key() {
        return None;
    }
    let tag = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| el.tag_name().to_lowercase())
        .unwrap_or_default();
    let typing = matches!(tag.as_str(), "input" | "select" | "textarea");
    match e.key().as_str() {
        " " if !typing && tag != "button" => Some(Action::TogglePlay),
        "ArrowRight" if !typing => Some(Action::StepForward),
        "ArrowLeft" if !typing => Some(Action::StepBack),
        "r" | "R" if !typing => Some(Action::Restart),
        "?" => Some(Action::ToggleHelp),
        "Escape" => Some(Action::CloseHelp),
        _ => None,
    }
}

/// Whether the window is narrow (re-checked on resize).
#[hook]
pub fn use_narrow() -> bool {
    let narrow = use_state(is_narrow);
    {
        let narrow = narrow.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window()
                .map(|w| EventListener::new(&w, "resize", move |_| narrow.set(is_narrow())));
            move || drop(listener)
        });
    }
    *narrow
}

/// The width in CSS px of the element `node` is attached to, re-measured when it changes;
/// `None` until it is first laid out.
#[hook]
pub fn use_element_width(node: NodeRef) -> Option<f64> {
    // `_eq`: the observer also fires when only the height changes, which must not re-render.
    let width = use_state_eq(|| None::<f64>);
    {
        let width = width.clone();
        use_effect_with(node, move |node| {
            let element = node.cast::<web_sys::Element>();
            let measure = {
                let element = element.clone();
                move || {
                    if let Some(e) = &element {
                        width.set(Some(e.get_bounding_client_rect().width()));
                    }
                }
            };
            measure();
            let callback = Closure::<dyn FnMut()>::new(measure);
            let observer = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()).ok();
            if let (Some(obs), Some(e)) = (&observer, &element) {
                obs.observe(e);
            }
            move || {
                if let Some(obs) = observer {
                    obs.disconnect();
                }
                drop(callback);
            }
        });
    }
    *width
}

/// Keeps the address bar's query equal to `query` (without adding history entries).
#[hook]
pub fn use_url_sync(query: String) {
    use_effect_with(query, |query| {
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(query));
        }
    });
}

/// The theme override lives on `<html data-theme>`.
#[hook]
pub fn use_theme(theme: Theme) {
    use_effect_with(theme, |theme| {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = match theme {
                Theme::Auto => root.remove_attribute("data-theme"),
                Theme::Light => root.set_attribute("data-theme", "light"),
                Theme::Dark => root.set_attribute("data-theme", "dark"),
            };
        }
    });
}

/// Posts a protocol notice to the embedding page (target "*": the notices hold nothing secret).
fn post_to_parent(msg: &serde_json::Value) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(Some(parent)) = window.parent() else {
        return;
    };
    if let Ok(value) = js_sys::JSON::parse(&msg.to_string()) {
        let _ = parent.post_message(&value, "*");
    }
}

fn warn(text: &str) {
    web_sys::console::warn_1(&JsValue::from_str(text));
}

fn app_root_height() -> Option<f64> {
    let root = web_sys::window()?
        .document()?
        .get_element_by_id("app-root")?;
    Some(root.get_bounding_client_rect().height())
}

fn host_action(c: HostCommand) -> Option<Action> {
    Some(match c {
        HostCommand::Play => Action::Play,
        HostCommand::Pause => Action::Pause,
        HostCommand::Step => Action::StepForward,
        HostCommand::Seek(t) => Action::SeekTime(t),
        HostCommand::Load { scenario, seed } => Action::Load(scenario, seed),
        HostCommand::SetTheme(t) => Action::SetTheme(Theme::parse(&t)?),
    })
}

/// Embed protocol v1 (see `embed`): "ready" once, host commands from allowed origins, "resize"
/// when the height changes.
#[hook]
pub fn use_embed_protocol(
    opts: EmbedOptions,
    notices: Vec<String>,
    dispatcher: UseReducerDispatcher<State>,
) {
    use_effect_with((), move |_| {
        let mut listeners = Vec::new();
        let mut observer: Option<(web_sys::ResizeObserver, Closure<dyn FnMut()>)> = None;
        if let (true, Some(window)) = (opts.embed, web_sys::window()) {
            let id = opts.id.clone();
            post_to_parent(&embed::ready(id.as_deref(), &notices));
            let own = window.location().origin().unwrap_or_default();
            let allowed = opts.allow_origins.clone();
            let warned = Rc::new(Cell::new(false));
            listeners.push(EventListener::new(&window, "message", move |e| {
                let Some(e) = e.dyn_ref::<web_sys::MessageEvent>() else {
                    return;
                };
                on_host_message(e, &own, &allowed, &warned, &dispatcher);
            }));
            let last = Rc::new(Cell::new(-1.0f64));
            let callback = Closure::<dyn FnMut()>::new(move || {
                if let Some(h) = app_root_height() {
                    if (h - last.get()).abs() >= 1.0 {
                        last.set(h);
                        post_to_parent(&embed::resize(id.as_deref(), h));
                    }
                }
            });
            if let (Ok(obs), Some(root)) = (
                web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()),
                window
                    .document()
                    .and_then(|d| d.get_element_by_id("app-root")),
            ) {
                obs.observe(&root);
                observer = Some((obs, callback));
            }
        }
        move || {
            drop(listeners);
            if let Some((obs, callback)) = observer {
                obs.disconnect();
                drop(callback);
            }
        }
    });
}

fn on_host_message(
    e: &web_sys::MessageEvent,
    own: &str,
    allowed: &[String],
    warned: &Cell<bool>,
    dispatcher: &UseReducerDispatcher<State>,
) {
    // JSON.stringify throws for cyclic data (→ ignored); anything longer than a scenario may be
    // is not a command and is not copied into wasm at all.
    let text = js_sys::JSON::stringify(&e.data())
        .ok()
        .filter(|s| (s.length() as usize) <= 2 * idempotence_sim::limits::MAX_SCENARIO_BYTES)
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    let incoming = embed::parse_incoming(&text);
    if incoming == Incoming::NotForUs {
        return;
    }
    if !embed::origin_allowed(&e.origin(), own, allowed) {
        if !warned.replace(true) {
            warn(&format!(
                "idempotence-lab: ignoring a command from origin {} (not in allow_origins)",
                e.origin()
            ));
        }
        return;
    }
    match incoming {
        Incoming::Command(c) => {
            if let Some(a) = host_action(c) {
                dispatcher.dispatch(a);
            }
        }
        Incoming::Ignored(why) => {
            if !warned.replace(true) {
                warn(&format!("idempotence-lab: ignoring a host message: {why}"));
            }
        }
        Incoming::NotForUs => {}
    }
}

/// "state" notices to the host on play, pause, finish, load and seek (not every frame): sent
/// when `key` changes.
#[hook]
pub fn use_state_notices<K: PartialEq + 'static>(
    opts: EmbedOptions,
    key: K,
    notice: embed::StateNotice,
) {
    use_effect_with(key, move |_| {
        if opts.embed {
            post_to_parent(&embed::state(opts.id.as_deref(), &notice));
        }
    });
}
