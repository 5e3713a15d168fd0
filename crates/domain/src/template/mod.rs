//! The message template language: `{{variavel}}` placeholders with fallbacks.
//!
//! - `{{razao_social}}` — a variable of the catalogue ([`Variable`]).
//! - `{{nome_fantasia|razao_social}}` — the first of the chain that has a value.
//! - `{{primeiro_nome_socio|"equipe"}}` — a literal default, always last.
//!
//! A placeholder whose whole chain is empty fails the render: a message is never sent
//! with a blank where a name should be. The server and the SPA render with this same
//! code, so the editor's live preview is what the engine sends.

use std::{collections::BTreeSet, fmt};

use serde::{Deserialize, Serialize};

/// Where a variable's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariableGroup {
    Lead,
    Sender,
    Organization,
    Context,
}

macro_rules! variables {
    ($($variant:ident => $name:literal, $group:ident, $label:literal, $example:literal;)+) => {
        /// The catalogue of template variables.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Variable {
            $($variant,)+
        }

        impl Variable {
            pub const ALL: &'static [Variable] = &[$(Variable::$variant,)+];

            /// The name written between the braces.
            pub fn name(self) -> &'static str {
                match self {
                    $(Variable::$variant => $name,)+
                }
            }

            pub fn group(self) -> VariableGroup {
                match self {
                    $(Variable::$variant => VariableGroup::$group,)+
                }
            }

            /// What it holds, in pt-BR (shown by the editor's variable picker).
            pub fn label(self) -> &'static str {
                match self {
                    $(Variable::$variant => $label,)+
                }
            }

            /// A typical value, for documentation and the picker.
            pub fn example(self) -> &'static str {
                match self {
                    $(Variable::$variant => $example,)+
                }
            }

            pub fn from_name(name: &str) -> Option<Variable> {
                match name {
                    $($name => Some(Variable::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

variables! {
    RazaoSocial => "razao_social", Lead, "Razão social da empresa", "Padaria Pão Quente Ltda";
    NomeFantasia => "nome_fantasia", Lead, "Nome fantasia da empresa", "Pão Quente";
    Cnpj => "cnpj", Lead, "CNPJ formatado", "12.345.678/0001-95";
    Cidade => "cidade", Lead, "Cidade da empresa", "Campinas";
    Uf => "uf", Lead, "UF da empresa", "SP";
    Porte => "porte", Lead, "Porte (ME, EPP, DEMAIS)", "EPP";
    Atividade => "atividade", Lead, "Atividade principal (CNAE), em minúsculas", "fabricação de produtos de panificação";
    PrimeiroSocio => "primeiro_socio", Lead, "Nome completo do primeiro sócio", "Maria da Silva";
    PrimeiroNomeSocio => "primeiro_nome_socio", Lead, "Primeiro nome do primeiro sócio", "Maria";
    ContatoNome => "contato_nome", Lead, "Nome do contato do lead", "João Souza";
    ContatoPrimeiroNome => "contato_primeiro_nome", Lead, "Primeiro nome do contato", "João";
    LeadEmail => "email", Lead, "E-mail do lead", "contato@paoquente.com.br";
    LeadTelefone => "telefone", Lead, "Telefone do lead", "+55 19 3234-5678";
    SdrNome => "sdr_nome", Sender, "Nome de quem envia", "Ana Lima";
    SdrPrimeiroNome => "sdr_primeiro_nome", Sender, "Primeiro nome de quem envia", "Ana";
    SdrEmail => "sdr_email", Sender, "E-mail de quem envia", "ana@suaempresa.com.br";
    OrgNome => "org_nome", Organization, "Nome da sua empresa", "Sua Empresa";
    Saudacao => "saudacao", Context, "Bom dia, Boa tarde ou Boa noite, pela hora do envio", "Bom dia";
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One link of a placeholder's fallback chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    Variable(Variable),
    Literal(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// Non-empty; a literal, if any, is last.
    pub chain: Vec<Fallback>,
    /// Character offset of the `{{` in the source.
    pub position: usize,
}

impl Placeholder {
    /// The first variable of the chain: what the placeholder is "about".
    pub fn primary(&self) -> Option<Variable> {
        self.chain.iter().find_map(|f| match f {
            Fallback::Variable(v) => Some(*v),
            Fallback::Literal(_) => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    Placeholder(Placeholder),
}

/// A parsed template text (a subject or a body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateText {
    source: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateSyntaxError {
    #[error("`{{{{` sem `}}}}` correspondente na posição {position}")]
    Unclosed { position: usize },
    #[error("variável vazia na posição {position}")]
    EmptyName { position: usize },
    #[error("nome de variável inválido {name:?} na posição {position}")]
    InvalidName { name: String, position: usize },
    #[error("variável desconhecida {name:?} na posição {position}; válidas: {valid}", valid = valid_names())]
    UnknownVariable { name: String, position: usize },
    #[error("texto padrão sem aspas de fechamento na posição {position}")]
    UnclosedLiteral { position: usize },
    #[error("o texto padrão entre aspas deve ser o último item na posição {position}")]
    LiteralNotLast { position: usize },
}

impl TemplateSyntaxError {
    pub fn position(&self) -> usize {
        match self {
            Self::Unclosed { position }
            | Self::EmptyName { position }
            | Self::InvalidName { position, .. }
            | Self::UnknownVariable { position, .. }
            | Self::UnclosedLiteral { position }
            | Self::LiteralNotLast { position } => *position,
        }
    }
}

/// Every variable name, comma-separated (for error messages).
pub fn valid_names() -> String {
    Variable::ALL
        .iter()
        .map(|v| v.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl TemplateText {
    pub fn parse(source: &str) -> Result<Self, TemplateSyntaxError> {
        let chars: Vec<char> = source.chars().collect();
        let mut segments = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '{' && chars.get(i + 1) == Some(&'{') {
                let position = i;
                let close =
                    find_close(&chars, i + 2).ok_or(TemplateSyntaxError::Unclosed { position })?;
                let inner: String = chars[i + 2..close].iter().collect();
                let chain = parse_chain(&inner, position)?;
                if !text.is_empty() {
                    segments.push(Segment::Text(std::mem::take(&mut text)));
                }
                segments.push(Segment::Placeholder(Placeholder { chain, position }));
                i = close + 2;
            } else {
                text.push(chars[i]);
                i += 1;
            }
        }
        if !text.is_empty() {
            segments.push(Segment::Text(text));
        }
        Ok(Self {
            source: source.to_owned(),
            segments,
        })
    }

    /// The text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every variable named, fallbacks included.
    pub fn variables(&self) -> BTreeSet<Variable> {
        self.placeholders()
            .flat_map(|p| p.chain.iter())
            .filter_map(|f| match f {
                Fallback::Variable(v) => Some(*v),
                Fallback::Literal(_) => None,
            })
            .collect()
    }

    fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Placeholder(p) => Some(p),
            Segment::Text(_) => None,
        })
    }

    /// The text with every placeholder resolved, or every placeholder that has no value.
    pub fn render(&self, values: &dyn VariableValues) -> Result<String, MissingValues> {
        let mut out = String::new();
        let mut missing = BTreeSet::new();
        for piece in self.render_pieces(values) {
            match piece {
                Piece::Text(t) | Piece::Value { text: t, .. } => out.push_str(&t),
                Piece::Missing { variable } => {
                    missing.insert(variable);
                }
            }
        }
        if missing.is_empty() {
            Ok(out)
        } else {
            Err(MissingValues(missing.into_iter().collect()))
        }
    }

    /// The render as pieces, missing values included: what a preview highlights.
    pub fn render_pieces(&self, values: &dyn VariableValues) -> Vec<Piece> {
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Text(t) => Piece::Text(t.clone()),
                Segment::Placeholder(p) => resolve(p, values),
            })
            .collect()
    }
}

/// A rendered piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// A placeholder resolved by `variable` (a fallback's name when the first was empty;
    /// `None` when the literal default was used).
    Value {
        text: String,
        variable: Option<String>,
    },
    /// A placeholder with no value: the render fails on it.
    Missing {
        variable: String,
    },
}

fn resolve(placeholder: &Placeholder, values: &dyn VariableValues) -> Piece {
    for link in &placeholder.chain {
        match link {
            Fallback::Variable(v) => {
                if let Some(value) = values.value(*v).filter(|s| !s.trim().is_empty()) {
                    return Piece::Value {
                        text: value.trim().to_owned(),
                        variable: Some(v.name().to_owned()),
                    };
                }
            }
            Fallback::Literal(text) => {
                return Piece::Value {
                    text: text.clone(),
                    variable: None,
                }
            }
        }
    }
    Piece::Missing {
        variable: placeholder
            .primary()
            .map(|v| v.name().to_owned())
            .unwrap_or_default(),
    }
}

/// The placeholders a render could not fill, by their first variable's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sem valor para {}", .0.join(", "))]
pub struct MissingValues(pub Vec<String>);

/// Where a render takes values from.
pub trait VariableValues {
    fn value(&self, variable: Variable) -> Option<String>;
}

/// Index of the `}}` closing a placeholder opened before `from`, skipping over quoted
/// literals (a default may contain braces).
fn find_close(chars: &[char], from: usize) -> Option<usize> {
    let mut i = from;
    let mut in_literal = false;
    while i < chars.len() {
        match chars[i] {
            '"' => in_literal = !in_literal,
            '}' if !in_literal && chars.get(i + 1) == Some(&'}') => return Some(i),
            '\n' if !in_literal => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

fn parse_chain(inner: &str, position: usize) -> Result<Vec<Fallback>, TemplateSyntaxError> {
    let mut chain = Vec::new();
    let mut rest = inner.trim_start();
    loop {
        if chain.iter().any(|f| matches!(f, Fallback::Literal(_))) {
            return Err(TemplateSyntaxError::LiteralNotLast { position });
        }
        if let Some(after_quote) = rest.strip_prefix('"') {
            let end = after_quote
                .find('"')
                .ok_or(TemplateSyntaxError::UnclosedLiteral { position })?;
            chain.push(Fallback::Literal(after_quote[..end].to_owned()));
            rest = after_quote[end + 1..].trim_start();
        } else {
            let end = rest.find('|').unwrap_or(rest.len());
            let name = rest[..end].trim();
            if name.is_empty() {
                return Err(TemplateSyntaxError::EmptyName { position });
            }
            if !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(TemplateSyntaxError::InvalidName {
                    name: name.to_owned(),
                    position,
                });
            }
            let variable =
                Variable::from_name(name).ok_or_else(|| TemplateSyntaxError::UnknownVariable {
                    name: name.to_owned(),
                    position,
                })?;
            chain.push(Fallback::Variable(variable));
            rest = &rest[end..];
        }
        match rest.strip_prefix('|') {
            Some(next) => rest = next.trim_start(),
            None if rest.trim().is_empty() => return Ok(chain),
            None => {
                return Err(TemplateSyntaxError::InvalidName {
                    name: rest.trim().to_owned(),
                    position,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests;
