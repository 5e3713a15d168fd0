//! Text folding shared by search (server), header matching (imports) and the SPA.

/// Lowercase without Portuguese diacritics: `São João` → `sao joao`. Mirrors the SQL
/// function `fold_accents` used by the leads search index.
pub fn fold_accents(raw: &str) -> String {
    raw.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn folds_portuguese_accents_and_case() {
        assert_eq!(
            super::fold_accents("São JOÃO Açúcar Pão"),
            "sao joao acucar pao"
        );
    }
}
