//! Bytes → text: which encoding a spreadsheet export used, and whether it is text at all.

use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};
use serde::Serialize;

use crate::FileError;

/// The encodings Brazilian spreadsheets are saved in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// UTF-8 without a byte-order mark (Google Sheets, LibreOffice, most systems).
    Utf8,
    /// UTF-8 with BOM (Excel "CSV UTF-8").
    Utf8Bom,
    /// Excel pt-BR "CSV (separado por vírgulas)": Windows-1252.
    Windows1252,
    /// Excel "Texto Unicode": UTF-16 with BOM, tab-separated.
    Utf16Le,
    Utf16Be,
}

impl TextEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Utf8Bom => "utf-8-bom",
            Self::Windows1252 => "windows-1252",
            Self::Utf16Le => "utf-16le",
            Self::Utf16Be => "utf-16be",
        }
    }
}

/// Decodes `bytes`, refusing what is not text (images, zip/xlsx, PDFs).
pub fn decode(bytes: &[u8]) -> Result<(String, TextEncoding), FileError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let text = std::str::from_utf8(rest).map_err(|_| FileError::Binary)?;
        return checked(text.to_owned(), TextEncoding::Utf8Bom);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        let (text, _, malformed) = UTF_16LE.decode(bytes);
        return if malformed {
            Err(FileError::Binary)
        } else {
            checked(text.into_owned(), TextEncoding::Utf16Le)
        };
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        let (text, _, malformed) = UTF_16BE.decode(bytes);
        return if malformed {
            Err(FileError::Binary)
        } else {
            checked(text.into_owned(), TextEncoding::Utf16Be)
        };
    }
    if looks_binary(bytes) {
        return Err(FileError::Binary);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => checked(text.to_owned(), TextEncoding::Utf8),
        // Every byte sequence is valid Windows-1252; the control check above already
        // turned away binaries.
        Err(_) => {
            let (text, _, _) = WINDOWS_1252.decode(bytes);
            checked(text.into_owned(), TextEncoding::Windows1252)
        }
    }
}

/// NUL bytes or a high share of control characters in the first 8 KB mean binary
/// (a `.xlsx` is a zip; spreadsheets never contain NUL).
fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return true;
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    controls * 100 > head.len().max(1)
}

fn checked(text: String, encoding: TextEncoding) -> Result<(String, TextEncoding), FileError> {
    if text.contains('\0') {
        Err(FileError::Binary)
    } else {
        Ok((text, encoding))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_encoding() {
        let (t, e) = decode("CNPJ;Razão\n".as_bytes()).unwrap();
        assert_eq!((t.as_str(), e), ("CNPJ;Razão\n", TextEncoding::Utf8));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice("CNPJ;Razão\n".as_bytes());
        let (t, e) = decode(&bom).unwrap();
        assert_eq!((t.as_str(), e), ("CNPJ;Razão\n", TextEncoding::Utf8Bom));
        // "Razão" in Windows-1252: ã = 0xE3.
        let (t, e) = decode(b"CNPJ;Raz\xE3o\n").unwrap();
        assert_eq!((t.as_str(), e), ("CNPJ;Razão\n", TextEncoding::Windows1252));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("CNPJ\tRazão\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        let (t, e) = decode(&utf16).unwrap();
        assert_eq!((t.as_str(), e), ("CNPJ\tRazão\n", TextEncoding::Utf16Le));
    }

    #[test]
    fn refuses_binaries() {
        assert_eq!(
            decode(b"PK\x03\x04\x14\x00\x06\x00"),
            Err(FileError::Binary)
        );
        assert_eq!(decode(b"\x89PNG\r\n\x1a\n\x00\x00"), Err(FileError::Binary));
        let mut bom_then_garbage = vec![0xEF, 0xBB, 0xBF];
        bom_then_garbage.extend_from_slice(&[0xFF, 0xFE, 0xC0]);
        assert_eq!(decode(&bom_then_garbage), Err(FileError::Binary));
    }
}
