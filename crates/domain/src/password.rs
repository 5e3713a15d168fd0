//! Password policy. The plaintext lives only as long as the request that carries it.

use std::fmt;

pub const MIN_PASSWORD_CHARS: usize = 8;
/// argon2 cost grows with input; cap it so a huge body can't burn CPU.
pub const MAX_PASSWORD_CHARS: usize = 128;

#[derive(Clone)]
pub struct Password(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a senha deve ter pelo menos {MIN_PASSWORD_CHARS} caracteres")]
    TooShort,
    #[error("a senha deve ter no máximo {MAX_PASSWORD_CHARS} caracteres")]
    TooLong,
    #[error("a senha não pode conter apenas espaços")]
    Blank,
}

impl Password {
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if raw.trim().is_empty() && chars > 0 {
            return Err(PasswordError::Blank);
        }
        if chars < MIN_PASSWORD_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_bounds_in_characters() {
        assert_eq!(
            Password::parse("1234567").unwrap_err(),
            PasswordError::TooShort
        );
        assert!(Password::parse("12345678").is_ok());
        // 8 multi-byte characters are 8 characters, not 16 bytes.
        assert!(Password::parse("çãçãçãçã").is_ok());
        assert_eq!(
            Password::parse(&"x".repeat(MAX_PASSWORD_CHARS + 1)).unwrap_err(),
            PasswordError::TooLong
        );
    }

    #[test]
    fn rejects_blank_password() {
        assert_eq!(
            Password::parse("          ").unwrap_err(),
            PasswordError::Blank
        );
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let p = Password::parse("segredo-super").unwrap();
        assert!(!format!("{p:?}").contains("segredo"));
    }
}
