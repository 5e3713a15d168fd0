//! CNPJ, the Brazilian company tax id: 12 base characters + 2 check digits.
//!
//! Since July 2026 the Receita Federal issues alphanumeric CNPJs: the 12 base
//! characters may be `0-9A-Z`; the check digits stay numeric. Every character is
//! worth its ASCII code − 48 (so digits keep their value and `A` = 17), and the two
//! check digits use the classic mod-11 weights. Purely numeric CNPJs are the special
//! case where every base character is a digit, so one algorithm validates both.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// A valid CNPJ, normalized: 14 characters, uppercase, no punctuation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Cnpj(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CnpjError {
    #[error("CNPJ is empty")]
    Empty,
    #[error("CNPJ must have 14 characters, got {0}")]
    Length(usize),
    #[error("CNPJ contains the character {0:?}, only 0-9, A-Z and the mask . / - are allowed")]
    Character(char),
    #[error("the last two characters of a CNPJ are digits")]
    CheckDigitsNotNumeric,
    #[error("CNPJ with all characters equal is not valid")]
    Repeated,
    #[error("CNPJ check digits do not match")]
    CheckDigits,
}

impl CnpjError {
    /// The reason in pt-BR, as shown to SDRs in import reports and forms.
    pub fn reason_pt_br(&self) -> &'static str {
        match self {
            Self::Empty => "CNPJ vazio",
            Self::Length(_) => "CNPJ deve ter 14 caracteres",
            Self::Character(_) => "CNPJ contém caracteres inválidos",
            Self::CheckDigitsNotNumeric => "os dois últimos caracteres do CNPJ devem ser dígitos",
            Self::Repeated => "CNPJ com todos os caracteres iguais",
            Self::CheckDigits => "dígitos verificadores do CNPJ não conferem",
        }
    }
}

const WEIGHTS_FIRST: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const WEIGHTS_SECOND: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

impl Cnpj {
    /// Parses bare (`12ABC34501DE35`) or masked (`12.ABC.345/01DE-35`) input, in any
    /// letter case, with surrounding whitespace tolerated.
    pub fn parse(input: &str) -> Result<Self, CnpjError> {
        let mut normalized = String::with_capacity(14);
        for c in input.trim().chars() {
            match c {
                '.' | '/' | '-' | ' ' => {}
                '0'..='9' | 'A'..='Z' => normalized.push(c),
                'a'..='z' => normalized.push(c.to_ascii_uppercase()),
                other => return Err(CnpjError::Character(other)),
            }
        }
        if normalized.is_empty() {
            return Err(CnpjError::Empty);
        }
        if normalized.len() != 14 {
            return Err(CnpjError::Length(normalized.len()));
        }
        let bytes = normalized.as_bytes();
        if !bytes[12].is_ascii_digit() || !bytes[13].is_ascii_digit() {
            return Err(CnpjError::CheckDigitsNotNumeric);
        }
        if bytes.iter().all(|&b| b == bytes[0]) {
            return Err(CnpjError::Repeated);
        }
        let (first, second) = check_digits_of(&normalized[..12]);
        if bytes[12] - b'0' != first || bytes[13] - b'0' != second {
            return Err(CnpjError::CheckDigits);
        }
        Ok(Self(normalized))
    }

    /// The 14 normalized characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The first 8 characters, shared by the head office and all its branches.
    pub fn root(&self) -> &str {
        &self.0[..8]
    }

    pub fn is_alphanumeric_format(&self) -> bool {
        self.0.bytes().any(|b| b.is_ascii_uppercase())
    }

    /// `12.ABC.345/01DE-35`.
    pub fn formatted(&self) -> String {
        let s = &self.0;
        format!(
            "{}.{}.{}/{}-{}",
            &s[..2],
            &s[2..5],
            &s[5..8],
            &s[8..12],
            &s[12..]
        )
    }
}

/// The two check digits of a 12-character base (already uppercase `0-9A-Z`).
pub fn check_digits_of(base: &str) -> (u8, u8) {
    let values: Vec<u32> = base.bytes().map(|b| u32::from(b) - 48).collect();
    let first = mod11(values.iter().zip(WEIGHTS_FIRST).map(|(v, w)| v * w).sum());
    let second = mod11(
        values
            .iter()
            .chain(std::iter::once(&u32::from(first)))
            .zip(WEIGHTS_SECOND)
            .map(|(v, w)| v * w)
            .sum(),
    );
    (first, second)
}

fn mod11(sum: u32) -> u8 {
    match sum % 11 {
        0 | 1 => 0,
        r => (11 - r) as u8,
    }
}

impl fmt::Display for Cnpj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Cnpj {
    type Err = CnpjError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for Cnpj {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Cnpj {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn alphanumeric_test_vector_from_receita() {
        assert_eq!(check_digits_of("12ABC34501DE"), (3, 5));
        let cnpj = Cnpj::parse("12.abc.345/01de-35").unwrap();
        assert_eq!(cnpj.as_str(), "12ABC34501DE35");
        assert_eq!(cnpj.root(), "12ABC345");
        assert!(cnpj.is_alphanumeric_format());
        assert_eq!(cnpj.formatted(), "12.ABC.345/01DE-35");
    }

    #[test]
    fn numeric_cnpjs_bare_and_masked() {
        for input in ["11.222.333/0001-81", "11222333000181", " 11222333000181 "] {
            let cnpj = Cnpj::parse(input).unwrap();
            assert_eq!(cnpj.as_str(), "11222333000181");
            assert!(!cnpj.is_alphanumeric_format());
        }
        // Real companies: Petrobras and Banco do Brasil.
        assert!(Cnpj::parse("33.000.167/0001-01").is_ok());
        assert!(Cnpj::parse("00.000.000/0001-91").is_ok());
    }

    #[test]
    fn rejections_name_the_reason() {
        assert_eq!(Cnpj::parse(""), Err(CnpjError::Empty));
        assert_eq!(Cnpj::parse(" ./- "), Err(CnpjError::Empty));
        assert_eq!(Cnpj::parse("1122233300018"), Err(CnpjError::Length(13)));
        assert_eq!(Cnpj::parse("112223330001811"), Err(CnpjError::Length(15)));
        assert_eq!(Cnpj::parse("11222333000182"), Err(CnpjError::CheckDigits));
        assert_eq!(Cnpj::parse("12ABC34501DE36"), Err(CnpjError::CheckDigits));
        assert_eq!(
            Cnpj::parse("12ABC34501DEA5"),
            Err(CnpjError::CheckDigitsNotNumeric)
        );
        assert_eq!(Cnpj::parse("11111111111111"), Err(CnpjError::Repeated));
        assert_eq!(Cnpj::parse("00000000000000"), Err(CnpjError::Repeated));
        assert_eq!(
            Cnpj::parse("11.222.333_0001-81"),
            Err(CnpjError::Character('_'))
        );
        assert_eq!(
            Cnpj::parse("112223330001é1"),
            Err(CnpjError::Character('é'))
        );
    }

    #[test]
    fn serde_validates() {
        let ok: Cnpj = serde_json::from_str("\"11.222.333/0001-81\"").unwrap();
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"11222333000181\"");
        assert!(serde_json::from_str::<Cnpj>("\"11222333000182\"").is_err());
    }

    fn base_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".to_vec()),
            12,
        )
        .prop_map(|bytes| String::from_utf8(bytes).unwrap())
        .prop_filter("not all equal", |s| {
            let first = s.as_bytes()[0];
            !s.bytes().all(|b| b == first)
        })
    }

    fn with_check_digits(base: &str) -> String {
        let (a, b) = check_digits_of(base);
        format!("{base}{a}{b}")
    }

    proptest! {
        #[test]
        fn any_base_with_its_check_digits_parses(base in base_strategy()) {
            let full = with_check_digits(&base);
            let cnpj = Cnpj::parse(&full).unwrap();
            prop_assert_eq!(cnpj.as_str(), full.as_str());
            prop_assert_eq!(cnpj.root(), &full[..8]);
        }

        #[test]
        fn mask_and_case_do_not_matter(base in base_strategy()) {
            let cnpj = Cnpj::parse(&with_check_digits(&base)).unwrap();
            prop_assert_eq!(Cnpj::parse(&cnpj.formatted()).unwrap(), cnpj.clone());
            prop_assert_eq!(Cnpj::parse(&cnpj.formatted().to_lowercase()).unwrap(), cnpj);
        }

        #[test]
        fn any_wrong_check_digit_is_rejected(base in base_strategy(), delta in 1u8..10, which in 0usize..2) {
            let mut bytes = with_check_digits(&base).into_bytes();
            let i = 12 + which;
            bytes[i] = b'0' + (bytes[i] - b'0' + delta) % 10;
            let tampered = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(Cnpj::parse(&tampered), Err(CnpjError::CheckDigits));
        }

        #[test]
        fn arbitrary_input_never_panics(input in ".{0,40}") {
            let _ = Cnpj::parse(&input);
        }
    }
}
