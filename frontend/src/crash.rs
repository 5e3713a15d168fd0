//! What the browser shows when the app stops. A panic aborts the wasm, so rather than
//! leave a frozen page, the panic hook logs it and puts up a notice with a plain link
//! that reloads the page. The likely cause is a page module that failed to download: a
//! dropped connection, or a new version published since the page was opened (its
//! modules are replaced).

/// What wasm-split panics with when a module cannot be fetched.
const MODULE_LOAD_FAILED: &str = "load callback should succeed";

pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&message.as_str().into());
        show_notice(notice_text(&message));
    }));
}

/// The notice for a panic with `message`.
pub fn notice_text(message: &str) -> &'static str {
    if message.contains(MODULE_LOAD_FAILED) {
        "Não foi possível carregar esta parte do Flux: a conexão caiu ou uma versão nova \
         foi publicada."
    } else {
        "O Flux encontrou um erro inesperado e parou."
    }
}

fn show_notice(text: &str) -> Option<()> {
    let document = web_sys::window()?.document()?;
    let notice = document.create_element("div").ok()?;
    notice.set_class_name("crash-notice");
    notice.set_attribute("role", "alert").ok()?;
    let paragraph = document.create_element("p").ok()?;
    paragraph.set_text_content(Some(text));
    let reload = document.create_element("a").ok()?;
    reload
        .set_attribute("href", &document.location()?.href().ok()?)
        .ok()?;
    // The router leaves `rel="external"` links to the browser: a plain navigation,
    // which works with the app stopped.
    reload.set_attribute("rel", "external").ok()?;
    reload.set_class_name("button primary");
    reload.set_text_content(Some("Recarregar a página"));
    notice.append_child(&paragraph).ok()?;
    notice.append_child(&reload).ok()?;
    document.body()?.append_child(&notice).ok()?;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_that_did_not_load_is_told_from_other_failures() {
        let failed_load = "panicked at wasm_split_helpers/src/rt.rs:1:1:\nload callback should succeed: SplitLoaderError";
        assert!(notice_text(failed_load).contains("carregar"));
        assert!(
            notice_text("panicked at src/x.rs:1:1:\nindex out of bounds").contains("inesperado")
        );
    }
}
