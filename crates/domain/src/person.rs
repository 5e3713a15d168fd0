//! A person's display name.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonNameError {
    #[error("o nome é obrigatório")]
    Empty,
    #[error("o nome deve ter no máximo 120 caracteres")]
    TooLong,
    #[error("o nome contém caracteres inválidos")]
    ControlCharacters,
}

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, PersonNameError> {
        let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() {
            return Err(PersonNameError::Empty);
        }
        if value.chars().count() > 120 {
            return Err(PersonNameError::TooLong);
        }
        if value.chars().any(char::is_control) {
            return Err(PersonNameError::ControlCharacters);
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_whitespace() {
        assert_eq!(
            PersonName::parse("  Ana   Souza ").unwrap().as_str(),
            "Ana Souza"
        );
    }

    #[test]
    fn rejects_empty_and_oversized_names() {
        assert_eq!(
            PersonName::parse("   ").unwrap_err(),
            PersonNameError::Empty
        );
        assert_eq!(
            PersonName::parse(&"a".repeat(121)).unwrap_err(),
            PersonNameError::TooLong
        );
    }
}
