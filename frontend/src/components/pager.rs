//! Paging of a list: previous / next and where the reader is.

use leptos::prelude::*;

/// How many pages `total` items fill (at least one, so "page 1 of 1" reads right
/// for an empty list).
pub fn page_count(total: i64, per_page: i64) -> i64 {
    if per_page <= 0 {
        return 1;
    }
    ((total + per_page - 1) / per_page).max(1)
}

/// `Página 2 de 5 · 230 lead(s)`.
pub fn position(page: i64, pages: i64, total: i64, unit: &str) -> String {
    format!("Página {page} de {pages} · {total} {unit}")
}

/// Previous / next buttons over `page` (1-based). Renders nothing when everything
/// fits on one page, unless `always` (the count is still worth reading).
#[component]
pub fn Pager(
    page: RwSignal<i64>,
    total: i64,
    per_page: i64,
    /// What is counted, e.g. "lead(s)".
    unit: &'static str,
    #[prop(default = "Paginação")] label: &'static str,
    #[prop(optional)] always: bool,
) -> impl IntoView {
    let pages = page_count(total, per_page);
    (always || pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label=label>
                <button type="button" class="button secondary" disabled=move || { page.get() <= 1 }
                    on:click=move |_| page.update(|p| *p -= 1)>"Anterior"</button>
                <span>{move || position(page.get(), pages, total, unit)}</span>
                <button type="button" class="button secondary" disabled=move || { page.get() >= pages }
                    on:click=move |_| page.update(|p| *p += 1)>"Próxima"</button>
            </nav>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_round_up_and_never_drop_below_one() {
        assert_eq!(page_count(0, 50), 1);
        assert_eq!(page_count(50, 50), 1);
        assert_eq!(page_count(51, 50), 2);
        assert_eq!(page_count(230, 50), 5);
        assert_eq!(page_count(10, 0), 1);
        assert_eq!(
            position(2, 5, 230, "lead(s)"),
            "Página 2 de 5 · 230 lead(s)"
        );
    }
}
