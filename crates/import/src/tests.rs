use proptest::prelude::*;

use super::*;

fn windows_1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn excel_pt_br_semicolon_windows_1252_crlf_masked() {
    let bytes = windows_1252(
        "CNPJ;Razão Social;E-mail;Telefone\r\n\
         11.222.333/0001-81;Construtora São João Ltda;contato@sj.com.br;(11) 98765-4321\r\n\
         12.ABC.345/01DE-35;Padaria Pão de Açúcar;;\r\n",
    );
    let file = parse(&bytes).unwrap();
    assert_eq!(file.dialect.encoding, TextEncoding::Windows1252);
    assert_eq!(file.dialect.delimiter, ';');
    assert_eq!(file.rows.len(), 2);
    let v = validate_rows(&file.rows);
    assert!(v.errors.is_empty(), "{:?}", v.errors);
    assert_eq!(v.drafts[0].cnpj.as_str(), "11222333000181");
    assert_eq!(
        v.drafts[0].razao_social.as_deref(),
        Some("Construtora São João Ltda")
    );
    assert_eq!(
        v.drafts[0].email.as_ref().unwrap().as_str(),
        "contato@sj.com.br"
    );
    assert_eq!(
        v.drafts[0].telefone.as_ref().unwrap().as_str(),
        "+5511987654321"
    );
    assert_eq!(v.drafts[0].row_number, 2);
    assert_eq!(v.drafts[1].cnpj.as_str(), "12ABC34501DE35");
    assert_eq!(v.drafts[1].email, None);
}

#[test]
fn utf8_bom_comma_quoted_fields_with_delimiters_and_newlines() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(
        "cnpj_empresa,nome,observação\n\
         \"11222333000181\",\"Silva, Souza & Cia\",\"linha 1\nlinha 2\"\n\
         \"33.000.167/0001-01\",\"Petróleo \"\"Brasileiro\"\"\",\n"
            .as_bytes(),
    );
    let file = parse(&bytes).unwrap();
    assert_eq!(file.dialect.encoding, TextEncoding::Utf8Bom);
    assert_eq!(file.dialect.delimiter, ',');
    assert_eq!(
        file.headers[0], "cnpj_empresa",
        "no BOM left in the first header"
    );
    let v = validate_rows(&file.rows);
    assert!(v.errors.is_empty(), "{:?}", v.errors);
    assert_eq!(
        v.drafts[0].razao_social.as_deref(),
        Some("Silva, Souza & Cia")
    );
    assert_eq!(
        v.drafts[1].razao_social.as_deref(),
        Some("Petróleo \"Brasileiro\"")
    );
    assert_eq!(
        v.drafts[1].row_number, 3,
        "a multi-line cell is still one spreadsheet row"
    );
}

#[test]
fn tab_separated_utf16_from_excel_unicode_text() {
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "CNPJ\tNome Fantasia\r\n11222333000181\tSão João\r\n"
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes()),
        )
        .collect();
    let file = parse(&bytes).unwrap();
    assert_eq!(file.dialect.delimiter, '\t');
    let v = validate_rows(&file.rows);
    assert_eq!(v.drafts[0].nome_fantasia.as_deref(), Some("São João"));
}

#[test]
fn single_column_file_and_blank_rows() {
    let file = parse(b"CNPJ;Nome\r\n;;\r\n11222333000181;X\r\n").unwrap();
    assert_eq!(file.rows.len(), 1);
    assert_eq!(file.rows[0].number, 3);
    let file = parse(b"CNPJ\n\n11222333000181\n   \n33000167000101\n").unwrap();
    assert_eq!(file.dialect.delimiter, ',');
    assert_eq!(file.rows.len(), 2);
    assert_eq!(file.rows[1].get(LeadField::Cnpj), Some("33000167000101"));
}

#[test]
fn every_row_error_has_a_pt_br_reason() {
    let file = parse(
        "CNPJ;E-mail;Telefone;Razão Social\n\
         11222333000181;a@b.com.br;;\n\
         11.222.333/0001-81;;;\n\
         11222333000182;;;\n\
         ;x@y.com;;\n\
         33000167000101;não-é-email;;\n\
         00000000000191;;123;\n\
         11111111111111;;;\n"
            .as_bytes(),
    )
    .unwrap();
    let v = validate_rows(&file.rows);
    assert_eq!(v.drafts.len(), 1);
    let by_row: Vec<(u32, RowErrorCode)> =
        v.errors.iter().map(|e| (e.row_number, e.code)).collect();
    assert_eq!(
        by_row,
        vec![
            (3, RowErrorCode::DuplicateInFile),
            (4, RowErrorCode::InvalidCnpj),
            (5, RowErrorCode::MissingCnpj),
            (6, RowErrorCode::InvalidEmail),
            (7, RowErrorCode::InvalidPhone),
            (8, RowErrorCode::InvalidCnpj),
        ]
    );
    assert_eq!(
        v.errors[0].cnpj.as_deref(),
        Some("11.222.333/0001-81"),
        "raw cell kept"
    );
    assert!(
        v.errors[0].message.contains("linha 2"),
        "{}",
        v.errors[0].message
    );
    assert_eq!(
        v.errors[1].message,
        "CNPJ inválido: dígitos verificadores do CNPJ não conferem"
    );
    assert_eq!(v.errors[2].cnpj, None);
}

#[test]
fn long_text_is_an_error_not_truncated() {
    let long = "x".repeat(rows::MAX_TEXT_CHARS + 1);
    let file = parse(format!("CNPJ;Nome\n11222333000181;{long}\n").as_bytes()).unwrap();
    let v = validate_rows(&file.rows);
    assert_eq!(v.errors[0].code, RowErrorCode::FieldTooLong);
}

#[test]
fn file_level_refusals() {
    assert_eq!(parse(b"").unwrap_err(), FileError::Empty);
    assert_eq!(parse(b" \r\n\n").unwrap_err(), FileError::Empty);
    assert_eq!(parse(b"CNPJ;Nome\r\n").unwrap_err(), FileError::NoRows);
    assert_eq!(
        parse(b"CNPJ;Nome\r\n;;\r\n").unwrap_err(),
        FileError::NoRows
    );
    assert_eq!(
        parse(b"Empresa;Cidade\nACME;SP\n").unwrap_err(),
        FileError::NoCnpjColumn {
            headers: vec!["Empresa".into(), "Cidade".into()]
        }
    );
    assert_eq!(
        parse(b"PK\x03\x04\x00\x00binary").unwrap_err(),
        FileError::Binary
    );
    // An unterminated quote runs to the end of the file, as in Excel; nothing is lost.
    let file = parse(b"CNPJ;Nome\n11222333000181;\"unterminated\n").unwrap();
    assert_eq!(
        file.rows[0].get(LeadField::RazaoSocial),
        Some("unterminated")
    );
}

proptest! {
    /// Fuzz: arbitrary bytes never panic, and whatever parses has a CNPJ column and
    /// row numbers that grow.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(file) = parse(&bytes) {
            prop_assert!(file.mapping.column_of(LeadField::Cnpj).is_some());
            prop_assert!(file.rows.windows(2).all(|w| w[0].number < w[1].number));
            let _ = validate_rows(&file.rows);
        }
    }

    /// Fuzz with CSV-shaped input: header + random cells with delimiters and quotes.
    #[test]
    fn csv_shaped_input_never_panics(
        cells in proptest::collection::vec("[0-9A-Za-z;,\"\\r\\n./ -]{0,20}", 0..60),
    ) {
        let text = format!("CNPJ;Nome;Email\n{}", cells.join(";"));
        if let Ok(file) = parse(text.as_bytes()) {
            let v = validate_rows(&file.rows);
            prop_assert_eq!(v.drafts.len() + v.errors.len(), file.rows.len());
        }
    }

    /// Every valid CNPJ written in any mask survives a round trip through a file.
    #[test]
    fn generated_files_round_trip(n in 1usize..40, delimiter in prop::sample::select(vec![';', ',', '\t'])) {
        let cnpjs: Vec<String> = (0..n)
            .map(|i| {
                let base = format!("{:08}0001", 10_000_000 + i * 7919);
                let (a, b) = flux_domain::cnpj::check_digits_of(&base);
                format!("{base}{a}{b}")
            })
            .collect();
        let mut text = format!("CNPJ{delimiter}Nome\r\n");
        for (i, c) in cnpjs.iter().enumerate() {
            text.push_str(&format!("{c}{delimiter}\"Empresa {i}\"\r\n"));
        }
        let file = parse(text.as_bytes()).unwrap();
        let v = validate_rows(&file.rows);
        prop_assert!(v.errors.is_empty());
        let got: Vec<&str> = v.drafts.iter().map(|d| d.cnpj.as_str()).collect();
        prop_assert_eq!(got, cnpjs.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
