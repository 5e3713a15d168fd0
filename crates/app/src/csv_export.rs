//! CSV downloads that open correctly in Excel pt-BR: UTF-8 with BOM (so accents
//! survive), `;` separators (the pt-BR list separator), CRLF line ends, and cells
//! that would start a formula neutralized (CSV injection).

pub struct Writer {
    inner: csv::Writer<Vec<u8>>,
}

impl Writer {
    /// The start of a file: with the BOM.
    pub fn excel_pt_br() -> Self {
        let mut buffer = Vec::with_capacity(64 * 1024);
        buffer.extend_from_slice(b"\xEF\xBB\xBF");
        Self::into(buffer)
    }

    /// A later chunk of a streamed file: same dialect, no BOM.
    pub fn plain() -> Self {
        Self::into(Vec::with_capacity(64 * 1024))
    }

    fn into(buffer: Vec<u8>) -> Self {
        Self {
            inner: csv::WriterBuilder::new()
                .delimiter(b';')
                .terminator(csv::Terminator::CRLF)
                .from_writer(buffer),
        }
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let record: Vec<String> = cells.into_iter().map(|c| neutralize(c.as_ref())).collect();
        // Writing into a Vec cannot fail.
        let _ = self.inner.write_record(&record);
    }

    pub fn finish(self) -> Vec<u8> {
        self.inner.into_inner().unwrap_or_default()
    }
}

/// `=HYPERLINK(…)`, `+…`, `-…`, `@…` and tab/CR-led cells are prefixed with `'` so
/// spreadsheets show them as text instead of evaluating them.
fn neutralize(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_semicolons_crlf_quotes_and_no_formulas() {
        let mut w = Writer::excel_pt_br();
        w.row(["linha", "motivo"]);
        w.row(["2", "CNPJ inválido; confira"]);
        w.row(["3", "=HYPERLINK(\"x\")"]);
        let bytes = w.finish();
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
        assert_eq!(
            text,
            "linha;motivo\r\n2;\"CNPJ inválido; confira\"\r\n3;\"'=HYPERLINK(\"\"x\"\")\"\r\n"
        );
    }
}
