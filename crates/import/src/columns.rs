//! Which spreadsheet column feeds which lead field, from header names as people
//! write them: `CNPJ`, `cnpj_empresa`, `CNPJ da Empresa`, `E-mail`, `Telefone 1`,
//! `Razão Social`, `Nome`, `Nome Fantasia`, `Contato`…

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadField {
    Cnpj,
    RazaoSocial,
    NomeFantasia,
    Email,
    Telefone,
    ContactName,
}

impl LeadField {
    pub const ALL: [LeadField; 6] = [
        Self::Cnpj,
        Self::RazaoSocial,
        Self::NomeFantasia,
        Self::Email,
        Self::Telefone,
        Self::ContactName,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cnpj => "cnpj",
            Self::RazaoSocial => "razao_social",
            Self::NomeFantasia => "nome_fantasia",
            Self::Email => "email",
            Self::Telefone => "telefone",
            Self::ContactName => "contact_name",
        }
    }

    /// Exact normalized names first (in the listed order of preference), then
    /// prefixes, then whole tokens; each field takes the leftmost column of its best
    /// tier, and a column feeds one field only.
    fn rules(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Self::Cnpj => (
                &[
                    "cnpj",
                    "cnpj_empresa",
                    "cnpj_da_empresa",
                    "nr_cnpj",
                    "num_cnpj",
                    "numero_cnpj",
                    "documento",
                    "cnpj_cpf",
                ],
                &["cnpj"],
            ),
            Self::RazaoSocial => (
                &[
                    "razao_social",
                    "razao",
                    "nome_empresarial",
                    "empresa",
                    "nome_empresa",
                    "nome_da_empresa",
                    "nome",
                    "company",
                    "company_name",
                ],
                &["razao_social"],
            ),
            Self::NomeFantasia => (
                &["nome_fantasia", "fantasia", "trade_name"],
                &["nome_fantasia"],
            ),
            Self::Email => (
                &[
                    "email",
                    "e_mail",
                    "email_contato",
                    "email_do_contato",
                    "correio_eletronico",
                ],
                &["email", "e_mail"],
            ),
            Self::Telefone => (
                &[
                    "telefone",
                    "fone",
                    "tel",
                    "celular",
                    "whatsapp",
                    "phone",
                    "telefone_contato",
                ],
                &["telefone", "fone", "celular", "whatsapp"],
            ),
            Self::ContactName => (
                &[
                    "contato",
                    "nome_contato",
                    "nome_do_contato",
                    "responsavel",
                    "decisor",
                    "contact",
                    "contact_name",
                ],
                &["nome_contato", "nome_do_contato"],
            ),
        }
    }
}

/// The chosen column (index and header as written) of each mapped field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ColumnMapping(pub Vec<(LeadField, usize, String)>);

impl ColumnMapping {
    pub fn detect(headers: &[String]) -> Self {
        let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
        let mut taken = vec![false; headers.len()];
        let mut mapping = Vec::new();
        for field in LeadField::ALL {
            let (exact, prefixes) = field.rules();
            let by_exact = exact.iter().find_map(|name| {
                normalized
                    .iter()
                    .enumerate()
                    .find(|(i, h)| !taken[*i] && h == name)
                    .map(|(i, _)| i)
            });
            let chosen = by_exact.or_else(|| {
                normalized
                    .iter()
                    .enumerate()
                    .find(|(i, h)| !taken[*i] && prefixes.iter().any(|p| h.starts_with(p)))
                    .map(|(i, _)| i)
            });
            // Last resort: the key word as a whole token anywhere (`Nº CNPJ`, `Cliente - E-mail`
            // has `e_mail`, which is two tokens, so only single-token words apply).
            let chosen = chosen.or_else(|| {
                normalized
                    .iter()
                    .enumerate()
                    .find(|(i, h)| !taken[*i] && h.split('_').any(|t| prefixes.contains(&t)))
                    .map(|(i, _)| i)
            });
            if let Some(i) = chosen {
                taken[i] = true;
                mapping.push((field, i, headers[i].trim().to_owned()));
            }
        }
        Self(mapping)
    }

    pub fn column_of(&self, field: LeadField) -> Option<usize> {
        self.0
            .iter()
            .find(|(f, _, _)| *f == field)
            .map(|(_, i, _)| *i)
    }

    pub fn header_of(&self, field: LeadField) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _, _)| *f == field)
            .map(|(_, _, h)| h.as_str())
    }
}

/// `Razão Social ` → `razao_social`, `E-mail` → `e_mail`, `CNPJ/CPF` → `cnpj_cpf`.
pub fn normalize_header(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for folded in flux_domain::text::fold_accents(raw.trim()).chars() {
        if folded.is_ascii_alphanumeric() {
            out.push(folded);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(raw: &[&str]) -> Vec<String> {
        raw.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn normalizes_header_spelling() {
        assert_eq!(normalize_header(" Razão Social "), "razao_social");
        assert_eq!(normalize_header("E-mail"), "e_mail");
        assert_eq!(normalize_header("CNPJ/CPF"), "cnpj_cpf");
        assert_eq!(normalize_header("Nº CNPJ"), "n_cnpj");
    }

    #[test]
    fn maps_common_variants() {
        let m = ColumnMapping::detect(&headers(&[
            "Nome Fantasia",
            "cnpj_empresa",
            "E-mail",
            "Telefone 1",
            "Razão Social",
            "Contato",
        ]));
        assert_eq!(m.column_of(LeadField::Cnpj), Some(1));
        assert_eq!(m.column_of(LeadField::NomeFantasia), Some(0));
        assert_eq!(m.column_of(LeadField::Email), Some(2));
        assert_eq!(m.column_of(LeadField::Telefone), Some(3));
        assert_eq!(m.column_of(LeadField::RazaoSocial), Some(4));
        assert_eq!(m.column_of(LeadField::ContactName), Some(5));
        assert_eq!(m.header_of(LeadField::Telefone), Some("Telefone 1"));
    }

    #[test]
    fn exact_name_beats_prefix_and_nome_means_company() {
        let m = ColumnMapping::detect(&headers(&["CNPJ Matriz", "CNPJ", "Nome"]));
        assert_eq!(m.column_of(LeadField::Cnpj), Some(1));
        assert_eq!(m.column_of(LeadField::RazaoSocial), Some(2));
        let m = ColumnMapping::detect(&headers(&["Nº CNPJ", "Empresa"]));
        assert_eq!(m.column_of(LeadField::Cnpj), Some(0));
        assert_eq!(m.column_of(LeadField::RazaoSocial), Some(1));
        let m = ColumnMapping::detect(&headers(&["Código", "Observações"]));
        assert_eq!(m.column_of(LeadField::Cnpj), None);
        let m = ColumnMapping::detect(&headers(&["CNPJ da empresa"]));
        assert_eq!(m.column_of(LeadField::Cnpj), Some(0));
    }
}
