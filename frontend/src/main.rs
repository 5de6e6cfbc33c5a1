//! Vigil's single-page app, client-side rendered with Leptos and compiled to wasm.
//!
//! The entry point only installs the panic hook and mounts [`app::App`]; everything else lives
//! in the modules below. All data comes from the same-origin `/api/v1`; nothing here renders
//! server-provided strings as HTML.

mod api;
mod app;
mod components;
mod contexts;
mod format;
mod pages;
mod url;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
