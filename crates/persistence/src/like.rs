//! LIKE patterns for name searches.

/// A pattern matching `fold_accents(column)` values that contain `query` (case- and
/// accent-insensitive), with `%`, `_` and `\` in the query matched literally.
pub(crate) fn contains_folded(query: &str) -> String {
    let folded = flux_domain::text::fold_accents(query.trim());
    let mut pattern = String::with_capacity(folded.len() + 2);
    pattern.push('%');
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcards_in_the_query_are_literal() {
        assert_eq!(
            super::contains_folded(" Reunião 10%_x "),
            "%reuniao 10\\%\\_x%"
        );
    }
}
