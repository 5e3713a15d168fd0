//! Brazilian holidays, computed for any year: national ones (Lei 662/1949, Lei
//! 6.802/1980, Lei 14.759/2023), the state ones of each UF, and the federal
//! "pontos facultativos" most companies observe. The rules are those in force since
//! 2024, after the `holidays` package's Brazil module (its legal references); Easter
//! comes from the Gregorian computus, so nothing is tabulated per year.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayKind {
    National,
    State,
    /// Ponto facultativo: a day most businesses do not work (Carnaval, Corpus
    /// Christi, …); an organization may choose to send on them.
    Optional,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: &'static str,
    pub kind: HolidayKind,
    /// The day only starts being a working day at this time (Ash Wednesday, 14:00).
    pub closed_until: Option<NaiveTime>,
}

/// Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or(NaiveDate::MIN)
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

/// The first Sunday on or after `date`.
fn sunday_from(date: NaiveDate) -> NaiveDate {
    let ahead = (7 - date.weekday().num_days_from_sunday()) % 7;
    date + Duration::days(i64::from(ahead))
}

/// Acre moves some holidays falling on Tuesday to Thursday to the next Friday.
fn acre_movable(date: NaiveDate) -> NaiveDate {
    match date.weekday() {
        Weekday::Tue | Weekday::Wed | Weekday::Thu => {
            let ahead = (Weekday::Fri.num_days_from_monday() + 7
                - date.weekday().num_days_from_monday())
                % 7;
            date + Duration::days(i64::from(ahead))
        }
        _ => date,
    }
}

/// Every holiday of `year` that applies to a lead in `uf` (national and optional
/// ones only when `uf` is `None` or unknown).
pub fn holidays(year: i32, uf: Option<&str>) -> Vec<Holiday> {
    use HolidayKind::*;
    let easter = easter(year);
    let day = |date, name, kind| Holiday {
        date,
        name,
        kind,
        closed_until: None,
    };
    let mut list = vec![
        day(ymd(year, 1, 1), "Confraternização Universal", National),
        day(easter - Duration::days(2), "Sexta-feira Santa", National),
        day(ymd(year, 4, 21), "Tiradentes", National),
        day(ymd(year, 5, 1), "Dia do Trabalhador", National),
        day(ymd(year, 9, 7), "Independência do Brasil", National),
        day(ymd(year, 10, 12), "Nossa Senhora Aparecida", National),
        day(ymd(year, 11, 2), "Finados", National),
        day(ymd(year, 11, 15), "Proclamação da República", National),
        day(
            ymd(year, 11, 20),
            "Dia Nacional de Zumbi e da Consciência Negra",
            National,
        ),
        day(ymd(year, 12, 25), "Natal", National),
        day(easter - Duration::days(48), "Carnaval", Optional),
        day(easter - Duration::days(47), "Carnaval", Optional),
        Holiday {
            date: easter - Duration::days(46),
            name: "Quarta-feira de Cinzas",
            kind: Optional,
            closed_until: NaiveTime::from_hms_opt(14, 0, 0),
        },
        day(easter + Duration::days(60), "Corpus Christi", Optional),
        day(ymd(year, 12, 24), "Véspera de Natal", Optional),
        day(ymd(year, 12, 31), "Véspera de Ano-Novo", Optional),
    ];
    let state = |date, name| day(date, name, State);
    let extra: Vec<Holiday> = match uf.unwrap_or("") {
        "AC" => vec![
            state(acre_movable(ymd(year, 1, 23)), "Dia do Evangélico"),
            state(acre_movable(ymd(year, 3, 8)), "Dia Internacional da Mulher"),
            state(ymd(year, 6, 15), "Aniversário do Acre"),
            state(acre_movable(ymd(year, 9, 5)), "Dia da Amazônia"),
            state(
                acre_movable(ymd(year, 11, 17)),
                "Assinatura do Tratado de Petrópolis",
            ),
        ],
        "AL" => vec![
            state(ymd(year, 6, 24), "São João"),
            state(ymd(year, 6, 29), "São Pedro"),
            state(ymd(year, 9, 16), "Emancipação Política de Alagoas"),
            state(ymd(year, 11, 30), "Dia do Evangélico"),
        ],
        "AM" => vec![state(
            ymd(year, 9, 5),
            "Elevação do Amazonas à categoria de província",
        )],
        "AP" => vec![
            state(ymd(year, 3, 19), "São José"),
            state(ymd(year, 7, 25), "São Tiago"),
            state(ymd(year, 9, 13), "Criação do Território Federal"),
        ],
        "BA" => vec![state(ymd(year, 7, 2), "Independência da Bahia")],
        "CE" => vec![
            state(ymd(year, 3, 19), "São José"),
            state(ymd(year, 3, 25), "Abolição da escravidão no Ceará"),
            state(ymd(year, 8, 15), "Nossa Senhora da Assunção"),
        ],
        "DF" => vec![
            state(ymd(year, 4, 21), "Fundação de Brasília"),
            state(ymd(year, 11, 30), "Dia do Evangélico"),
        ],
        "ES" => vec![state(easter + Duration::days(8), "Nossa Senhora da Penha")],
        "GO" => vec![
            state(ymd(year, 7, 26), "Fundação da cidade de Goiás"),
            state(ymd(year, 10, 24), "Pedra fundamental de Goiânia"),
        ],
        "MA" => vec![state(
            ymd(year, 7, 28),
            "Adesão do Maranhão à independência do Brasil",
        )],
        "MG" => vec![state(ymd(year, 4, 21), "Execução de Tiradentes")],
        "MS" => vec![state(ymd(year, 10, 11), "Criação do Estado")],
        "PA" => vec![state(
            ymd(year, 8, 15),
            "Adesão do Grão-Pará à independência do Brasil",
        )],
        "PB" => vec![state(ymd(year, 8, 5), "Fundação do Estado")],
        "PE" => vec![state(
            sunday_from(ymd(year, 3, 1)),
            "Revolução Pernambucana",
        )],
        "PI" => vec![state(ymd(year, 10, 19), "Dia do Piauí")],
        "PR" => vec![state(ymd(year, 12, 19), "Emancipação do Paraná")],
        "RJ" => vec![state(ymd(year, 4, 23), "São Jorge")],
        "RN" => vec![
            state(ymd(year, 8, 7), "Dia do Rio Grande do Norte"),
            state(ymd(year, 10, 3), "Mártires de Cunhaú e Uruaçu"),
        ],
        "RO" => vec![
            state(ymd(year, 1, 4), "Criação do Estado"),
            state(ymd(year, 6, 18), "Dia do Evangélico"),
        ],
        "RR" => vec![state(ymd(year, 10, 5), "Criação do Estado")],
        "RS" => vec![state(ymd(year, 9, 20), "Dia do Gaúcho")],
        "SC" => vec![
            state(
                sunday_from(ymd(year, 8, 11)),
                "Dia do Estado de Santa Catarina",
            ),
            state(
                sunday_from(ymd(year, 11, 25)),
                "Dia de Santa Catarina de Alexandria",
            ),
        ],
        "SE" => vec![state(ymd(year, 7, 8), "Emancipação política de Sergipe")],
        "SP" => vec![state(ymd(year, 7, 9), "Revolução Constitucionalista")],
        "TO" => vec![
            state(ymd(year, 3, 18), "Dia da Autonomia"),
            state(ymd(year, 9, 8), "Nossa Senhora da Natividade"),
            state(ymd(year, 10, 5), "Criação do Estado"),
        ],
        _ => Vec::new(),
    };
    list.extend(extra);
    list.sort_by_key(|h| h.date);
    list
}

/// The holidays falling on `date` for a lead in `uf`.
pub fn holidays_on(date: NaiveDate, uf: Option<&str>) -> Vec<Holiday> {
    holidays(date.year(), uf)
        .into_iter()
        .filter(|h| h.date == date)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_matches_known_years() {
        for (year, m, d) in [
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
            (2000, 4, 23),
        ] {
            assert_eq!(easter(year), ymd(year, m, d), "{year}");
        }
    }

    #[test]
    fn movable_national_and_optional_days_of_2026() {
        let names = |date| {
            holidays_on(date, None)
                .into_iter()
                .map(|h| (h.name, h.kind))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(ymd(2026, 4, 3)),
            vec![("Sexta-feira Santa", HolidayKind::National)]
        );
        assert_eq!(
            names(ymd(2026, 2, 16)),
            vec![("Carnaval", HolidayKind::Optional)]
        );
        assert_eq!(
            names(ymd(2026, 2, 17)),
            vec![("Carnaval", HolidayKind::Optional)]
        );
        assert_eq!(
            names(ymd(2026, 6, 4)),
            vec![("Corpus Christi", HolidayKind::Optional)]
        );
        let ash = holidays_on(ymd(2026, 2, 18), None);
        assert_eq!(ash[0].closed_until, NaiveTime::from_hms_opt(14, 0, 0));
        assert_eq!(
            names(ymd(2026, 11, 20)),
            vec![(
                "Dia Nacional de Zumbi e da Consciência Negra",
                HolidayKind::National
            )]
        );
    }

    #[test]
    fn state_holidays_apply_only_to_their_uf() {
        let sp = holidays_on(ymd(2026, 7, 9), Some("SP"));
        assert_eq!(sp[0].name, "Revolução Constitucionalista");
        assert!(holidays_on(ymd(2026, 7, 9), Some("RJ")).is_empty());
        assert!(holidays_on(ymd(2026, 7, 9), None).is_empty());
        // Espírito Santo: the Monday eight days after Easter.
        assert_eq!(
            holidays_on(ymd(2026, 4, 13), Some("ES"))[0].name,
            "Nossa Senhora da Penha"
        );
        // Pernambuco: the first Sunday of March (2026-03-01 is a Sunday).
        assert_eq!(
            holidays_on(ymd(2026, 3, 1), Some("PE"))[0].name,
            "Revolução Pernambucana"
        );
        // Santa Catarina: the first Sunday from August 11 (2026-08-16).
        assert_eq!(
            holidays_on(ymd(2026, 8, 16), Some("SC"))[0].name,
            "Dia do Estado de Santa Catarina"
        );
    }

    #[test]
    fn acre_moves_midweek_holidays_to_friday() {
        // 2026-01-23 is a Friday: stays. 2026-09-05 is a Saturday: stays.
        assert!(!holidays_on(ymd(2026, 1, 23), Some("AC")).is_empty());
        // 2026-11-17 is a Tuesday: observed Friday 2026-11-20 (with the national day).
        assert!(holidays_on(ymd(2026, 11, 17), Some("AC")).is_empty());
        assert_eq!(holidays_on(ymd(2026, 11, 20), Some("AC")).len(), 2);
        // 2026-03-08 is a Sunday: stays.
        assert!(!holidays_on(ymd(2026, 3, 8), Some("AC")).is_empty());
    }
}
