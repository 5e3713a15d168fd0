//! Vocabulary shared by the use cases and the HTTP adapter: the import crate's
//! fields and error codes in their DTO spelling, and CNPJs as people read them.

pub fn lead_field(field: flux_import::LeadField) -> flux_dto::leads::LeadField {
    use flux_dto::leads::LeadField as Dto;
    use flux_import::LeadField as F;
    match field {
        F::Cnpj => Dto::Cnpj,
        F::RazaoSocial => Dto::RazaoSocial,
        F::NomeFantasia => Dto::NomeFantasia,
        F::Email => Dto::Email,
        F::Telefone => Dto::Telefone,
        F::ContactName => Dto::ContactName,
    }
}

pub fn import_error_code(code: flux_import::RowErrorCode) -> flux_dto::leads::ImportErrorCode {
    use flux_dto::leads::ImportErrorCode as Dto;
    use flux_import::RowErrorCode as C;
    match code {
        C::MissingCnpj => Dto::MissingCnpj,
        C::InvalidCnpj => Dto::InvalidCnpj,
        C::InvalidEmail => Dto::InvalidEmail,
        C::InvalidPhone => Dto::InvalidPhone,
        C::FieldTooLong => Dto::FieldTooLong,
        C::DuplicateInFile => Dto::DuplicateInFile,
        C::AlreadyExists => Dto::AlreadyExists,
        C::PlanLimitReached => Dto::PlanLimitReached,
    }
}

/// `12.ABC.345/01DE-35`; a value that is not a valid CNPJ is shown as stored.
pub fn formatted_cnpj(raw: &str) -> String {
    flux_domain::Cnpj::parse(raw)
        .map(|c| c.formatted())
        .unwrap_or_else(|_| raw.to_owned())
}
