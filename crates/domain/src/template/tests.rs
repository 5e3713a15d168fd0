use std::collections::HashMap;

use super::*;

struct Values(HashMap<Variable, &'static str>);

impl VariableValues for Values {
    fn value(&self, variable: Variable) -> Option<String> {
        self.0.get(&variable).map(|s| (*s).to_owned())
    }
}

fn values(pairs: &[(Variable, &'static str)]) -> Values {
    Values(pairs.iter().copied().collect())
}

#[test]
fn renders_variables_and_text() {
    let t = TemplateText::parse("Olá {{ contato_primeiro_nome }}, tudo bem na {{nome_fantasia}}?")
        .unwrap();
    let v = values(&[
        (Variable::ContatoPrimeiroNome, "João"),
        (Variable::NomeFantasia, "Pão Quente"),
    ]);
    assert_eq!(t.render(&v).unwrap(), "Olá João, tudo bem na Pão Quente?");
}

#[test]
fn falls_back_along_the_chain_then_to_the_literal() {
    let t =
        TemplateText::parse(r#"{{nome_fantasia|razao_social}} / {{primeiro_nome_socio|"equipe"}}"#)
            .unwrap();
    let v = values(&[
        (Variable::NomeFantasia, "  "),
        (Variable::RazaoSocial, "Acme Ltda"),
    ]);
    assert_eq!(t.render(&v).unwrap(), "Acme Ltda / equipe");
}

#[test]
fn an_empty_chain_fails_naming_every_missing_placeholder() {
    let t = TemplateText::parse("{{cidade}} {{uf}} {{cidade|uf}}").unwrap();
    let err = t.render(&values(&[])).unwrap_err();
    assert_eq!(err.0, vec!["cidade".to_owned(), "uf".to_owned()]);
}

#[test]
fn pieces_mark_missing_values_for_the_preview() {
    let t = TemplateText::parse("Oi {{contato_nome}}!").unwrap();
    assert_eq!(
        t.render_pieces(&values(&[])),
        vec![
            Piece::Text("Oi ".into()),
            Piece::Missing {
                variable: "contato_nome".into()
            },
            Piece::Text("!".into())
        ]
    );
}

#[test]
fn unknown_variables_are_rejected_listing_the_valid_ones() {
    let err = TemplateText::parse("Oi {{nome}}").unwrap_err();
    assert_eq!(
        err,
        TemplateSyntaxError::UnknownVariable {
            name: "nome".into(),
            position: 3
        }
    );
    assert!(err.to_string().contains("razao_social, nome_fantasia"));
}

#[test]
fn syntax_errors_carry_their_position() {
    assert_eq!(
        TemplateText::parse("ab {{cidade").unwrap_err(),
        TemplateSyntaxError::Unclosed { position: 3 }
    );
    assert_eq!(
        TemplateText::parse("{{ }}").unwrap_err(),
        TemplateSyntaxError::EmptyName { position: 0 }
    );
    assert_eq!(
        TemplateText::parse("{{Cidade}}").unwrap_err(),
        TemplateSyntaxError::InvalidName {
            name: "Cidade".into(),
            position: 0
        }
    );
    assert_eq!(
        TemplateText::parse(r#"{{"x"|cidade}}"#).unwrap_err(),
        TemplateSyntaxError::LiteralNotLast { position: 0 }
    );
    assert_eq!(
        TemplateText::parse(r#"{{cidade|"x}}"#).unwrap_err(),
        TemplateSyntaxError::Unclosed { position: 0 }
    );
    assert_eq!(
        TemplateText::parse("{{cidade uf}}").unwrap_err(),
        TemplateSyntaxError::InvalidName {
            name: "cidade uf".into(),
            position: 0
        }
    );
}

#[test]
fn a_placeholder_does_not_span_lines_and_single_braces_are_text() {
    assert!(TemplateText::parse("{{cidade\n}}").is_err());
    let t = TemplateText::parse("{a} }} {").unwrap();
    assert_eq!(t.render(&values(&[])).unwrap(), "{a} }} {");
}

#[test]
fn literals_may_hold_braces_and_pipes() {
    let t = TemplateText::parse(r#"{{cidade|"a|b }}"}}"#).unwrap();
    assert_eq!(t.render(&values(&[])).unwrap(), "a|b }}");
}

#[test]
fn variables_lists_fallbacks_too() {
    let t = TemplateText::parse(r#"{{nome_fantasia|razao_social}} {{sdr_nome|"x"}}"#).unwrap();
    let names: Vec<_> = t.variables().into_iter().map(Variable::name).collect();
    assert_eq!(names, vec!["razao_social", "nome_fantasia", "sdr_nome"]);
}

#[test]
fn every_catalogue_name_round_trips() {
    for v in Variable::ALL {
        assert_eq!(Variable::from_name(v.name()), Some(*v));
    }
}

proptest::proptest! {
    #[test]
    fn parsing_never_panics(source in "\\PC{0,80}") {
        let _ = TemplateText::parse(&source);
    }

    #[test]
    fn text_without_braces_renders_unchanged(source in "[^{]{0,80}") {
        let t = TemplateText::parse(&source).unwrap();
        proptest::prop_assert_eq!(t.render(&values(&[])).unwrap(), source);
    }
}
