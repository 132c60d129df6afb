//! CSV cells a spreadsheet opens as data. A cell that starts with `=`, `+`, `-`, `@`, a tab or a
//! carriage return is a formula to Excel, LibreOffice and Google Sheets (`=HYPERLINK(…)`,
//! `=cmd|' /C calc'!A0`); a stranger's text is one such cell away from running in a teammate's
//! spreadsheet. [`csv_cell`] prefixes such a cell with `'`, which those programs show as text,
//! as OWASP's "CSV injection" advice says. A plain number (`-3`, `+1.5`) is left as it is.

use std::borrow::Cow;

/// `s` as a CSV cell no spreadsheet runs as a formula.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let starts_formula = s
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠'));
    if starts_formula && s.parse::<f64>().map_or(true, |n| !n.is_finite()) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Every cell of a record through [`csv_cell`].
pub fn csv_record<I, S>(cells: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    cells.into_iter().map(|c| csv_cell(c.as_ref()).into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for f in [
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A9)",
            "\t=1",
            "\r=1",
            "＝1+1",
            "-inf",
            "-NaN",
        ] {
            assert_eq!(csv_cell(f), format!("'{f}"), "{f:?}");
        }
        for plain in ["", "hello = world", "-3", "+1.5", "-0.25", "42", "a-b", "'quoted"] {
            assert_eq!(csv_cell(plain), plain, "{plain:?}");
        }
        assert_eq!(csv_record(["=1", "2"]), ["'=1", "2"]);
    }
}
