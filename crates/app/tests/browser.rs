//! Mounts the real app in a browser and reads the DOM.
//! Run: `cargo test -p idempotence-app --target wasm32-unknown-unknown` (runner: wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn sleep(ms: u32) {
    yew::platform::time::sleep(std::time::Duration::from_millis(ms.into())).await;
}

#[wasm_bindgen_test]
async fn mounts_and_steps_forward() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<idempotence_app::App>::with_root(root.clone()).render();
    sleep(50).await;
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("Idempotent Producer Lab"));
    assert!(text.contains("Producer"), "{text}");
    // pause, then one step forward adds an event to the log
    let play: web_sys::HtmlElement = document
        .get_element_by_id("play")
        .unwrap()
        .dyn_into()
        .unwrap();
    play.click();
    sleep(30).await;
    let count = || {
        document
            .query_selector_all("#event-list li")
            .unwrap()
            .length()
    };
    let before = count();
    let step: web_sys::HtmlElement = document
        .get_element_by_id("step-forward")
        .unwrap()
        .dyn_into()
        .unwrap();
    step.click();
    sleep(30).await;
    assert!(count() > before);
}
