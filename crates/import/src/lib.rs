//! Lead spreadsheets as Brazilian teams export them, turned into validated lead
//! drafts and per-row errors. Pure: the API calls it for previews and the import job
//! for the real thing, so both agree on every row.
//!
//! Row numbers are spreadsheet rows: the header is row 1, the first data row is 2
//! (what the SDR sees in Excel, even when a quoted cell spans several lines).

pub mod columns;
pub mod decode;
pub mod rows;

use serde::Serialize;

pub use columns::{ColumnMapping, LeadField};
pub use decode::TextEncoding;
pub use rows::{validate_row, validate_rows, LeadDraft, RowError, RowErrorCode, Validated};

/// Why a whole file is refused (nothing is imported).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("o arquivo está vazio")]
    Empty,
    #[error("o arquivo não é um CSV de texto (planilhas .xlsx devem ser salvas como CSV)")]
    Binary,
    #[error("nenhuma coluna de CNPJ encontrada; colunas do arquivo: {}", headers.join(", "))]
    NoCnpjColumn { headers: Vec<String> },
    #[error("o arquivo tem apenas o cabeçalho, sem linhas de dados")]
    NoRows,
    #[error("linha {row}: {message}")]
    Malformed { row: u32, message: String },
}

/// Candidate separators, in order of preference on a tie.
const DELIMITERS: [u8; 4] = [b';', b',', b'\t', b'|'];

/// One data row: the cells of the mapped fields, trimmed, empty cells as `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    pub number: u32,
    cells: Vec<(LeadField, String)>,
}

impl RawRow {
    pub fn new(number: u32, cells: Vec<(LeadField, String)>) -> Self {
        Self { number, cells }
    }

    pub fn get(&self, field: LeadField) -> Option<&str> {
        self.cells
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Dialect {
    pub encoding: TextEncoding,
    pub delimiter: char,
}

#[derive(Debug, Clone)]
pub struct ParsedFile {
    pub dialect: Dialect,
    pub headers: Vec<String>,
    pub mapping: ColumnMapping,
    /// Non-blank data rows.
    pub rows: Vec<RawRow>,
}

/// Decodes, sniffs the delimiter, maps the header and reads every non-blank row.
pub fn parse(bytes: &[u8]) -> Result<ParsedFile, FileError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FileError::Empty);
    }
    let (text, encoding) = decode::decode(bytes)?;
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let mut row_number: u32 = 0;
    // The header is the first non-blank record (some exports start with an empty line).
    let headers: Vec<String> = loop {
        row_number += 1;
        match records.next() {
            None => return Err(FileError::Empty),
            Some(Err(e)) => return Err(malformed(row_number, &e)),
            Some(Ok(record)) if is_blank(&record) => continue,
            Some(Ok(record)) => break record.iter().map(|h| h.trim().to_owned()).collect(),
        }
    };
    let mapping = ColumnMapping::detect(&headers);
    if mapping.column_of(LeadField::Cnpj).is_none() {
        return Err(FileError::NoCnpjColumn { headers });
    }
    let mut rows = Vec::new();
    for record in records {
        row_number += 1;
        let record = record.map_err(|e| malformed(row_number, &e))?;
        if is_blank(&record) {
            continue;
        }
        let cells = mapping
            .0
            .iter()
            .map(|(field, column, _)| {
                (
                    *field,
                    record.get(*column).unwrap_or_default().trim().to_owned(),
                )
            })
            .collect();
        rows.push(RawRow::new(row_number, cells));
    }
    if rows.is_empty() {
        return Err(FileError::NoRows);
    }
    Ok(ParsedFile {
        dialect: Dialect {
            encoding,
            delimiter: char::from(delimiter),
        },
        headers,
        mapping,
        rows,
    })
}

fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|cell| cell.trim().is_empty())
}

fn malformed(row: u32, e: &csv::Error) -> FileError {
    FileError::Malformed {
        row,
        message: match e.kind() {
            csv::ErrorKind::Utf8 { .. } => "texto com codificação inválida".to_owned(),
            _ => "linha mal formada (aspas não fechadas?)".to_owned(),
        },
    }
}

/// The candidate that splits the first non-blank line (outside quotes) most often.
fn sniff_delimiter(text: &str) -> u8 {
    let header = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let mut counts = [0usize; DELIMITERS.len()];
    let mut in_quotes = false;
    for b in header.bytes() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                counts[i] += 1;
            }
        }
    }
    let best = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, &c)| (c, std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
        .unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        DELIMITERS[best]
    }
}

#[cfg(test)]
mod tests;
