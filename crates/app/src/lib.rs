//! Idempotent Producer Lab, the browser UI: renders the simulator's snapshots and events and
//! queues user actions. It holds no protocol logic; `idempotence_sim` decides everything.

pub mod components;
pub mod config_fields;
pub mod describe;
pub mod embed;
pub mod hooks;
pub mod interventions;
pub mod pacing;
pub mod presentation;
pub mod settings;
pub mod state;
pub mod timeline;
pub mod txn;
pub mod url;
pub mod view;

pub use components::app::App;

/// Mounts the app on `<body>`.
pub fn start() {
    // index.html shows a loading note while the wasm downloads.
    if let Some(loading) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("loading"))
    {
        loading.remove();
    }
    yew::Renderer::<App>::new().render();
}
