//! The values a template is rendered with: facts about the lead, the sender, the
//! organization and the moment of sending.

use crate::template::{Variable, VariableValues};

/// Everything a render may need. Fields are as stored; presentation (name casing, the
/// CNPJ mask) happens here so every channel and the preview agree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateFacts {
    pub razao_social: Option<String>,
    pub nome_fantasia: Option<String>,
    /// Normalized (14 characters).
    pub cnpj: Option<String>,
    pub cidade: Option<String>,
    pub uf: Option<String>,
    pub porte: Option<String>,
    pub atividade: Option<String>,
    pub primeiro_socio: Option<String>,
    pub contato_nome: Option<String>,
    pub email: Option<String>,
    pub telefone: Option<String>,
    pub sdr_nome: Option<String>,
    pub sdr_email: Option<String>,
    pub org_nome: Option<String>,
    /// Hour of day (0–23), in the organization's time zone, when the message goes out.
    pub local_hour: Option<u32>,
}

impl VariableValues for TemplateFacts {
    fn value(&self, variable: Variable) -> Option<String> {
        let name = |v: &Option<String>| v.as_deref().map(display_case);
        match variable {
            Variable::RazaoSocial => name(&self.razao_social),
            Variable::NomeFantasia => name(&self.nome_fantasia),
            Variable::Cnpj => self.cnpj.as_deref().map(|c| {
                crate::Cnpj::parse(c)
                    .map(|c| c.formatted())
                    .unwrap_or_else(|_| c.to_owned())
            }),
            Variable::Cidade => name(&self.cidade),
            Variable::Uf => self.uf.clone(),
            Variable::Porte => self.porte.clone(),
            Variable::Atividade => self.atividade.as_deref().map(lower_case),
            Variable::PrimeiroSocio => name(&self.primeiro_socio),
            Variable::PrimeiroNomeSocio => name(&self.primeiro_socio).and_then(first_word),
            Variable::ContatoNome => name(&self.contato_nome),
            Variable::ContatoPrimeiroNome => name(&self.contato_nome).and_then(first_word),
            Variable::LeadEmail => self.email.clone(),
            Variable::LeadTelefone => self.telefone.clone(),
            Variable::SdrNome => self.sdr_nome.clone(),
            Variable::SdrPrimeiroNome => self.sdr_nome.clone().and_then(first_word),
            Variable::SdrEmail => self.sdr_email.clone(),
            Variable::OrgNome => self.org_nome.clone(),
            Variable::Saudacao => self.local_hour.map(|h| greeting(h).to_owned()),
        }
    }
}

/// "Bom dia" until noon, "Boa tarde" until 18:00, then "Boa noite".
pub fn greeting(hour: u32) -> &'static str {
    match hour {
        5..=11 => "Bom dia",
        12..=17 => "Boa tarde",
        _ => "Boa noite",
    }
}

fn first_word(s: String) -> Option<String> {
    s.split_whitespace().next().map(str::to_owned)
}

/// Words kept in lower case inside a name ("Maria da Silva").
const PARTICLES: &[&str] = &["da", "das", "de", "do", "dos", "e", "em"];
/// Company suffixes kept in capitals.
const ACRONYMS: &[&str] = &[
    "LTDA", "ME", "EPP", "EIRELI", "SA", "S/A", "S.A.", "MEI", "SS", "CIA",
];

/// Registry data comes in capitals ("PADARIA PAO QUENTE LTDA"); a message greets
/// "Padaria Pao Quente LTDA". Text that already has lower-case letters is the user's
/// own and is kept as typed.
pub fn display_case(raw: &str) -> String {
    let raw = raw.trim();
    if raw.chars().any(char::is_lowercase) {
        return raw.to_owned();
    }
    raw.split_whitespace()
        .enumerate()
        .map(|(i, word)| {
            if ACRONYMS.contains(&word) || is_roman_numeral(word) {
                word.to_owned()
            } else {
                let lower = word.to_lowercase();
                if i > 0 && PARTICLES.contains(&lower.as_str()) {
                    lower
                } else {
                    capitalize(&lower)
                }
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Activity descriptions read inside a sentence ("atua com {{atividade}}"):
/// "PADARIA E CONFEITARIA" → "padaria e confeitaria".
fn lower_case(raw: &str) -> String {
    let raw = raw.trim();
    if raw.chars().any(char::is_lowercase) {
        return raw.to_owned();
    }
    raw.to_lowercase()
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn is_roman_numeral(word: &str) -> bool {
    word.len() <= 4 && word.chars().all(|c| matches!(c, 'I' | 'V' | 'X'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::TemplateText;

    #[test]
    fn registry_capitals_read_as_names() {
        assert_eq!(display_case("MARIA DA SILVA"), "Maria da Silva");
        assert_eq!(
            display_case("PADARIA SÃO JOÃO II LTDA"),
            "Padaria São João II LTDA"
        );
        assert_eq!(display_case("E-COMMERCE E CIA"), "E-commerce e CIA");
        assert_eq!(display_case("iFood Ltda"), "iFood Ltda");
    }

    #[test]
    fn renders_a_lead_with_derived_values() {
        let facts = TemplateFacts {
            razao_social: Some("PAO QUENTE COMERCIO DE ALIMENTOS LTDA".into()),
            cnpj: Some("11222333000181".into()),
            primeiro_socio: Some("MARIA DAS DORES SOUZA".into()),
            atividade: Some("FABRICAÇÃO DE PRODUTOS DE PANIFICAÇÃO".into()),
            sdr_nome: Some("Ana Lima".into()),
            local_hour: Some(14),
            ..TemplateFacts::default()
        };
        let t = TemplateText::parse(
            "{{saudacao}}, {{primeiro_nome_socio}}! {{nome_fantasia|razao_social}} ({{cnpj}}) — {{atividade}}. {{sdr_primeiro_nome}}",
        )
        .unwrap();
        assert_eq!(
            t.render(&facts).unwrap(),
            "Boa tarde, Maria! Pao Quente Comercio de Alimentos LTDA (11.222.333/0001-81) — fabricação de produtos de panificação. Ana"
        );
    }

    #[test]
    fn greeting_follows_the_hour() {
        assert_eq!(greeting(8), "Bom dia");
        assert_eq!(greeting(12), "Boa tarde");
        assert_eq!(greeting(18), "Boa noite");
        assert_eq!(greeting(2), "Boa noite");
    }
}
