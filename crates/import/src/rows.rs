//! Row validation: what each data row becomes, or why it cannot be imported.

use std::collections::HashMap;

use flux_domain::{Cnpj, Email, PhoneBr};
use serde::Serialize;

use crate::{columns::LeadField, RawRow};

/// Longest text accepted for names; longer cells are errors, not silently cut.
pub const MAX_TEXT_CHARS: usize = 300;

/// A row that can become a lead (subject to the database checks: existing lead,
/// plan limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadDraft {
    pub row_number: u32,
    pub cnpj: Cnpj,
    pub razao_social: Option<String>,
    pub nome_fantasia: Option<String>,
    pub email: Option<Email>,
    pub telefone: Option<PhoneBr>,
    pub contact_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowErrorCode {
    MissingCnpj,
    InvalidCnpj,
    InvalidEmail,
    InvalidPhone,
    FieldTooLong,
    DuplicateInFile,
    AlreadyExists,
    PlanLimitReached,
}

impl RowErrorCode {
    pub const ALL: [RowErrorCode; 8] = [
        Self::MissingCnpj,
        Self::InvalidCnpj,
        Self::InvalidEmail,
        Self::InvalidPhone,
        Self::FieldTooLong,
        Self::DuplicateInFile,
        Self::AlreadyExists,
        Self::PlanLimitReached,
    ];

    /// The code stored by [`as_str`](Self::as_str), back.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingCnpj => "missing_cnpj",
            Self::InvalidCnpj => "invalid_cnpj",
            Self::InvalidEmail => "invalid_email",
            Self::InvalidPhone => "invalid_phone",
            Self::FieldTooLong => "field_too_long",
            Self::DuplicateInFile => "duplicate_in_file",
            Self::AlreadyExists => "already_exists",
            Self::PlanLimitReached => "plan_limit_reached",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row_number: u32,
    /// The CNPJ cell as written, for the report.
    pub cnpj: Option<String>,
    pub code: RowErrorCode,
    /// pt-BR, shown to the SDR.
    pub message: String,
}

impl RowError {
    pub fn new(
        row_number: u32,
        cnpj: Option<&str>,
        code: RowErrorCode,
        message: impl Into<String>,
    ) -> Self {
        Self {
            row_number,
            cnpj: cnpj.map(str::to_owned),
            code,
            message: message.into(),
        }
    }

    pub fn already_exists(draft: &LeadDraft) -> Self {
        Self::new(
            draft.row_number,
            Some(draft.cnpj.as_str()),
            RowErrorCode::AlreadyExists,
            "já existe um lead com este CNPJ",
        )
    }

    /// One error for every row past the plan's limit, from `first` on: the rows are
    /// the same story, told once.
    pub fn plan_limit(first: &LeadDraft, max_leads: i64) -> Self {
        Self::new(
            first.row_number,
            None,
            RowErrorCode::PlanLimitReached,
            format!(
                "limite de {max_leads} leads do plano atingido: as linhas válidas a partir \
                 desta não foram importadas (faça upgrade do plano e importe-as de novo)"
            ),
        )
    }
}

/// Validates one row on its own (no file-level or database context).
pub fn validate_row(row: &RawRow) -> Result<LeadDraft, RowError> {
    let raw_cnpj = row.get(LeadField::Cnpj);
    let fail = |code, message: String| RowError::new(row.number, raw_cnpj, code, message);
    let Some(raw) = raw_cnpj else {
        return Err(fail(RowErrorCode::MissingCnpj, "CNPJ não informado".into()));
    };
    let cnpj = Cnpj::parse(raw).map_err(|e| {
        fail(
            RowErrorCode::InvalidCnpj,
            format!("CNPJ inválido: {}", e.reason_pt_br()),
        )
    })?;
    let email = row
        .get(LeadField::Email)
        .map(|v| {
            Email::parse(v)
                .map_err(|_| fail(RowErrorCode::InvalidEmail, format!("e-mail inválido: {v}")))
        })
        .transpose()?;
    let telefone = row
        .get(LeadField::Telefone)
        .map(|v| {
            PhoneBr::parse(v).map_err(|e| {
                fail(
                    RowErrorCode::InvalidPhone,
                    format!("telefone inválido: {e}"),
                )
            })
        })
        .transpose()?;
    let text = |field: LeadField, label: &str| -> Result<Option<String>, RowError> {
        match row.get(field) {
            Some(v) if v.chars().count() > MAX_TEXT_CHARS => Err(fail(
                RowErrorCode::FieldTooLong,
                format!("{label} com mais de {MAX_TEXT_CHARS} caracteres"),
            )),
            other => Ok(other.map(str::to_owned)),
        }
    };
    Ok(LeadDraft {
        row_number: row.number,
        razao_social: text(LeadField::RazaoSocial, "razão social")?,
        nome_fantasia: text(LeadField::NomeFantasia, "nome fantasia")?,
        contact_name: text(LeadField::ContactName, "nome do contato")?,
        cnpj,
        email,
        telefone,
    })
}

/// The outcome of the file-level checks: valid drafts in file order, and errors.
#[derive(Debug, Default, Clone)]
pub struct Validated {
    pub drafts: Vec<LeadDraft>,
    pub errors: Vec<RowError>,
}

/// Validates every row and keeps the first occurrence of each CNPJ.
pub fn validate_rows<'a>(rows: impl IntoIterator<Item = &'a RawRow>) -> Validated {
    let mut out = Validated::default();
    let mut first_seen: HashMap<Cnpj, u32> = HashMap::new();
    for row in rows {
        match validate_row(row) {
            Ok(draft) => match first_seen.get(&draft.cnpj) {
                Some(first) => out.errors.push(RowError::new(
                    row.number,
                    row.get(LeadField::Cnpj),
                    RowErrorCode::DuplicateInFile,
                    format!("CNPJ repetido no arquivo (primeira ocorrência na linha {first})"),
                )),
                None => {
                    first_seen.insert(draft.cnpj.clone(), row.number);
                    out.drafts.push(draft);
                }
            },
            Err(e) => out.errors.push(e),
        }
    }
    out
}
