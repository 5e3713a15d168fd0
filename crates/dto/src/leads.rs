//! Lead imports (CSV upload, preview, progress, row errors).

use chrono::{DateTime, Utc};
pub use flux_domain::lead::{EnrichmentOutcome, EnrichmentStatus, ImportStatus, LeadStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A lead field a CSV column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeadField {
    Cnpj,
    RazaoSocial,
    NomeFantasia,
    Email,
    Telefone,
    ContactName,
}

/// Which column of the file feeds which lead field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColumnMappingEntry {
    pub field: LeadField,
    /// 0-based column position.
    pub column_index: i32,
    /// The header as written in the file.
    pub header: String,
}

/// Why a row cannot become a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImportErrorCode {
    MissingCnpj,
    InvalidCnpj,
    InvalidEmail,
    InvalidPhone,
    FieldTooLong,
    DuplicateInFile,
    AlreadyExists,
    PlanLimitReached,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowIssue {
    pub code: ImportErrorCode,
    /// pt-BR reason, ready to show.
    pub message: String,
}

/// One of the first rows of a previewed file, as it would be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewRow {
    /// Spreadsheet row (the header is row 1).
    pub row_number: i32,
    pub cnpj: Option<String>,
    pub razao_social: Option<String>,
    pub nome_fantasia: Option<String>,
    pub email: Option<String>,
    pub telefone: Option<String>,
    pub contact_name: Option<String>,
    pub valid: bool,
    pub issues: Vec<RowIssue>,
}

/// What an import of this file would do; nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportPreview {
    pub file_name: String,
    /// `utf-8`, `utf-8-bom`, `windows-1252`, `utf-16le` or `utf-16be`.
    pub encoding: String,
    /// `;`, `,`, tab or `|`.
    pub delimiter: String,
    pub headers: Vec<String>,
    pub mapping: Vec<ColumnMappingEntry>,
    /// Non-blank data rows in the file.
    pub total_rows: i64,
    /// Rows that pass the file checks (CNPJ, e-mail, phone, duplicates in the file,
    /// leads that already exist). The plan limit is applied at import time.
    pub valid_rows: i64,
    pub invalid_rows: i64,
    /// Leads the plan still allows.
    pub remaining_quota: i64,
    /// The first rows (up to 20).
    pub rows: Vec<PreviewRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeadImportDto {
    pub id: Uuid,
    pub file_name: String,
    pub file_size_bytes: i32,
    pub encoding: String,
    pub delimiter: String,
    pub mapping: Vec<ColumnMappingEntry>,
    pub status: ImportStatus,
    pub total_rows: i32,
    pub processed_rows: i32,
    pub success_count: i32,
    pub error_count: i32,
    /// Why a `failed` import stopped (pt-BR).
    pub failure_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeadImportList {
    pub items: Vec<LeadImportDto>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportRowError {
    pub row_number: i32,
    /// The CNPJ cell as written in the file.
    pub cnpj: Option<String>,
    pub code: ImportErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportErrorList {
    pub items: Vec<ImportRowError>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddressDto {
    pub logradouro: Option<String>,
    pub numero: Option<String>,
    pub complemento: Option<String>,
    pub bairro: Option<String>,
    pub cidade: Option<String>,
    pub uf: Option<String>,
    pub cep: Option<String>,
}

/// A partner (sócio). CPFs are masked as the Receita publishes them (`***123456**`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerDto {
    pub nome: String,
    pub qualificacao: Option<String>,
    pub cpf_cnpj_masked: Option<String>,
    pub data_entrada: Option<chrono::NaiveDate>,
}

/// Extra contacts from the premium provider (Pro and Enterprise plans).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PremiumContactsDto {
    pub emails: Vec<String>,
    /// E.164.
    pub telefones: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeadDto {
    pub id: Uuid,
    /// 14 characters, uppercase, no mask.
    pub cnpj: String,
    /// `12.ABC.345/01DE-35`.
    pub cnpj_formatted: String,
    pub status: LeadStatus,
    pub enrichment_status: EnrichmentStatus,
    pub razao_social: Option<String>,
    pub nome_fantasia: Option<String>,
    pub endereco: Option<AddressDto>,
    pub uf: Option<String>,
    pub cidade: Option<String>,
    /// ME, EPP or DEMAIS.
    pub porte: Option<String>,
    /// Main CNAE, 7 digits.
    pub cnae: Option<String>,
    pub cnae_descricao: Option<String>,
    /// ATIVA, BAIXADA, INAPTA, SUSPENSA or NULA.
    pub situacao_cadastral: Option<String>,
    pub natureza_juridica: Option<String>,
    pub capital_social_cents: Option<i64>,
    pub data_abertura: Option<chrono::NaiveDate>,
    pub socios: Vec<PartnerDto>,
    pub email: Option<String>,
    /// E.164.
    pub telefone: Option<String>,
    pub contact_name: Option<String>,
    /// Opt-out: never contacted by cadences when true.
    pub do_not_contact: bool,
    pub owner_id: Option<Uuid>,
    pub enriched_at: Option<DateTime<Utc>>,
    /// `brasilapi`, `cnpj_ws` (public data) — premium contacts add `premium_contacts`.
    pub enrichment_provider: Option<String>,
    pub premium_contacts: Option<PremiumContactsDto>,
    /// Currency BRL.
    pub faturamento_estimado_cents: Option<i64>,
    pub import_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One call to one enrichment provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrichmentAttemptDto {
    pub provider: String,
    pub outcome: EnrichmentOutcome,
    pub http_status: Option<i32>,
    /// Served from the shared registry cache (no provider call).
    pub from_cache: bool,
    pub error_message: Option<String>,
    pub duration_ms: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrichmentAttemptList {
    pub items: Vec<EnrichmentAttemptDto>,
}

/// A row of the leads table.
// Its timestamps take the fast writer of `crate::rfc3339` (the same text as chrono's):
// a page writes up to 200 of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeadListItem {
    pub id: Uuid,
    pub cnpj: String,
    pub cnpj_formatted: String,
    pub status: LeadStatus,
    pub enrichment_status: EnrichmentStatus,
    pub razao_social: Option<String>,
    pub nome_fantasia: Option<String>,
    pub porte: Option<String>,
    pub cnae: Option<String>,
    pub uf: Option<String>,
    pub cidade: Option<String>,
    pub situacao_cadastral: Option<String>,
    pub email: Option<String>,
    pub telefone: Option<String>,
    pub contact_name: Option<String>,
    pub owner_id: Option<Uuid>,
    pub do_not_contact: bool,
    pub import_id: Option<Uuid>,
    #[serde(serialize_with = "crate::rfc3339::option")]
    pub enriched_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::rfc3339::option")]
    pub archived_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::rfc3339::serialize")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeadList {
    pub items: Vec<LeadListItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Add one company by CNPJ; it is queued for enrichment at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateLeadRequest {
    /// Masked or bare, numeric or alphanumeric.
    pub cnpj: String,
    #[serde(default)]
    pub razao_social: Option<String>,
    #[serde(default)]
    pub nome_fantasia: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub telefone: Option<String>,
    #[serde(default)]
    pub contact_name: Option<String>,
    /// Defaults to the caller.
    #[serde(default)]
    pub owner_id: Option<Uuid>,
}

/// `Some(None)` (JSON `null`) clears a field; an absent field is left alone.
pub mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// Change a lead. Absent fields are kept; `null` clears a clearable field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateLeadRequest {
    #[serde(
        default,
        deserialize_with = "double_option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub razao_social: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "double_option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub nome_fantasia: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "double_option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub email: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "double_option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub telefone: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "double_option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub contact_name: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LeadStatus>,
    /// An active member of the organization, or `null` for nobody.
    #[serde(
        default,
        deserialize_with = "double_option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>, nullable))]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub do_not_contact: Option<bool>,
}

/// Leads to act on (1 to 1000 ids; ids of other organizations or deleted leads are
/// ignored and not counted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkLeadIds {
    pub lead_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkAssignRequest {
    pub lead_ids: Vec<Uuid>,
    /// An active member, or `null` to leave the leads without owner.
    pub owner_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkResult {
    /// Leads that changed.
    pub affected: i64,
}
