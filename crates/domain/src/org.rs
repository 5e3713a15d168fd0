//! Organization naming rules used at signup.

use crate::Email;

/// Free-mail domains say nothing about the company, so the org is named after the person.
const FREE_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "hotmail.com.br",
    "outlook.com",
    "outlook.com.br",
    "live.com",
    "yahoo.com",
    "yahoo.com.br",
    "icloud.com",
    "uol.com.br",
    "bol.com.br",
    "terra.com.br",
    "ig.com.br",
    "proton.me",
    "protonmail.com",
];

/// The organization name derived from a signup: the e-mail domain, or the person's
/// name for free-mail addresses.
pub fn org_name_from_email(email: &Email, person_name: &str) -> String {
    let domain = email.domain();
    if FREE_MAIL_DOMAINS.contains(&domain) {
        person_name.to_owned()
    } else {
        domain.to_owned()
    }
}

/// URL-safe slug base: ASCII lowercase letters/digits separated by single dashes,
/// at most 40 characters. A unique suffix is appended by the caller.
pub fn slug_base(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars().flat_map(fold_accent) {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_end_matches('-').chars().take(40).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        "org".to_owned()
    } else {
        slug
    }
}

fn fold_accent(c: char) -> Option<char> {
    let folded = match c {
        'á' | 'à' | 'â' | 'ã' | 'ä' | 'Á' | 'À' | 'Â' | 'Ã' | 'Ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'i',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' | 'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'u',
        'ç' | 'Ç' => 'c',
        'ñ' | 'Ñ' => 'n',
        other => other,
    };
    Some(folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_domain_names_the_org() {
        let email = Email::parse("ana@acme.com.br").unwrap();
        assert_eq!(org_name_from_email(&email, "Ana"), "acme.com.br");
    }

    #[test]
    fn free_mail_uses_the_person_name() {
        let email = Email::parse("ana@gmail.com").unwrap();
        assert_eq!(org_name_from_email(&email, "Ana Souza"), "Ana Souza");
    }

    #[test]
    fn slug_is_ascii_and_dashed() {
        assert_eq!(slug_base("acme.com.br"), "acme-com-br");
        assert_eq!(slug_base("  Função & Ação Ltda. "), "funcao-acao-ltda");
        assert_eq!(slug_base("!!!"), "org");
        assert!(slug_base(&"a-".repeat(50)).len() <= 40);
        assert!(!slug_base(&"ab ".repeat(30)).ends_with('-'));
    }
}
