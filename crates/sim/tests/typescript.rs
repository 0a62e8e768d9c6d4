//! The shipped TypeScript declarations (`crates/wasm/src/types.d.ts`) are exactly what the
//! Rust types generate: a change to a type the JS API returns changes its declaration in the
//! same commit. `UPDATE_TYPES=1` writes the file again.
#![cfg(feature = "ts")]

#[test]
fn the_shipped_declarations_are_the_generated_ones() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../wasm/src/types.d.ts");
    let generated = idempotence_sim::typescript::declarations();
    if std::env::var_os("UPDATE_TYPES").is_some() {
        std::fs::write(path, &generated).expect("write types.d.ts");
    }
    let shipped = std::fs::read_to_string(path).expect("read types.d.ts");
    assert!(
        shipped == generated,
        "crates/wasm/src/types.d.ts differs from the declarations the Rust types generate; \
         run UPDATE_TYPES=1 cargo test -p idempotence-sim --test typescript and review the diff"
    );
}
