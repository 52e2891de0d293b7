//! Spreadsheet exports (registrations, tickets, statistics) as XLSX workbooks.
//!
//! Values typed by the public end up in these files, so text is always stored as text: a name
//! such as "=HYPERLINK(...)" must never become a live formula in a staff member's Excel.

use rust_xlsxwriter::{ColNum, ExcelDateTime, Format, FormatBorder, RowNum, Workbook, Worksheet, XlsxError};

use super::RenderError;

/// One cell's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Stored as a string even when it looks like a formula or a number.
    Text(String),
    Int(i64),
    Number(f64),
    /// Stored as an Excel date shown as dd.mm.yyyy hh:mm; Excel only has years 1900–9999.
    DateTime(jiff::civil::DateTime),
    Empty,
}

/// One worksheet: a header row and the rows below it.
#[derive(Clone, Debug, PartialEq)]
pub struct Sheet {
    /// Made to fit Excel's rules on the way out: `[]:*?/\` become `-`, at most 31 characters,
    /// unique regardless of case (a repeated name gets " (2)", " (3)", ...).
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Excel's limits: 31 characters in a sheet name, 1,048,576 rows and 16,384 columns.
const NAME_MAX: usize = 31;
const ROWS_MAX: usize = 1_048_576;
const COLS_MAX: usize = 16_384;

/// Integers beyond this lose digits as Excel's doubles.
const EXACT_INT: i64 = 1 << 53;

/// Column widths, in Excel's character units.
const WIDTH_MIN: f64 = 6.0;
const WIDTH_MAX: f64 = 60.0;
/// Room for the autofilter's drop-down button next to a header.
const FILTER_BUTTON: f64 = 4.0;
const DATE_FORMAT: &str = "dd.mm.yyyy hh:mm";

/// Writes the sheets, in order, into one XLSX workbook. Each sheet gets a bold header row that
/// stays in view when scrolling, an autofilter over the data, and columns as wide as their
/// content (within limits).
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, RenderError> {
    let mut book = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color(0xDCE6F1)
        .set_border_bottom(FormatBorder::Thin);
    let date = Format::new().set_num_format(DATE_FORMAT);

    for (sheet, name) in sheets.iter().zip(sheet_names(sheets)) {
        let ws = book.add_worksheet();
        let at = |what: &str, e: XlsxError| RenderError::Xlsx(format!("sheet {name:?}, {what}: {e}"));
        ws.set_name(&name).map_err(|e| at("name", e))?;
        write_sheet(ws, sheet, &header, &date).map_err(|(what, e)| at(&what, e))?;
    }
    if sheets.is_empty() {
        // A workbook without a sheet is a file Excel refuses to open.
        book.add_worksheet();
    }
    book.save_to_buffer().map_err(|e| RenderError::Xlsx(e.to_string()))
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet, header: &Format, date: &Format) -> Result<(), (String, XlsxError)> {
    let columns = sheet
        .rows
        .iter()
        .map(Vec::len)
        .chain([sheet.headers.len()])
        .max()
        .unwrap_or(0);
    if sheet.rows.len() >= ROWS_MAX {
        let e = XlsxError::RowColumnLimitError;
        return Err((
            format!(
                "{} rows (Excel holds {} below the header)",
                sheet.rows.len(),
                ROWS_MAX - 1
            ),
            e,
        ));
    }
    if columns > COLS_MAX {
        return Err((
            format!("{columns} columns (Excel holds {COLS_MAX})"),
            XlsxError::RowColumnLimitError,
        ));
    }
    let cell_err = |row: usize, col: usize| move |e| (format!("row {}, column {}", row + 1, col + 1), e);

    let mut widths = vec![WIDTH_MIN; columns];
    for (col, text) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(0, col as ColNum, text, header)
            .map_err(cell_err(0, col))?;
        widths[col] = widths[col].max(text.chars().count() as f64 * 1.1 + FILTER_BUTTON);
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        let excel_row = (r + 1) as RowNum;
        for (col, cell) in row.iter().enumerate() {
            let c = col as ColNum;
            let err = cell_err(r + 1, col);
            let shown = match cell {
                Cell::Text(s) => {
                    ws.write_string(excel_row, c, s).map_err(err)?;
                    s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
                }
                Cell::Int(i) if (-EXACT_INT..=EXACT_INT).contains(i) => {
                    ws.write_number(excel_row, c, *i as f64).map_err(err)?;
                    i.to_string().len()
                }
                // Written as text so that no digit is silently rounded away.
                Cell::Int(i) => {
                    ws.write_string(excel_row, c, i.to_string()).map_err(err)?;
                    i.to_string().len()
                }
                Cell::Number(x) if x.is_finite() => {
                    ws.write_number(excel_row, c, *x).map_err(err)?;
                    format!("{x}").len().min(15)
                }
                // Excel has no NaN or infinity; text keeps the value visible rather than blank.
                Cell::Number(x) => {
                    ws.write_string(excel_row, c, x.to_string()).map_err(err)?;
                    x.to_string().len()
                }
                Cell::DateTime(dt) => {
                    let value = excel_datetime(dt).map_err(err)?;
                    ws.write_datetime_with_format(excel_row, c, &value, date).map_err(err)?;
                    DATE_FORMAT.len()
                }
                Cell::Empty => 0,
            };
            widths[col] = widths[col].max(shown as f64 + 2.0);
        }
    }

    for (col, width) in widths.into_iter().enumerate() {
        ws.set_column_width(col as ColNum, width.min(WIDTH_MAX))
            .map_err(|e| (format!("width of column {}", col + 1), e))?;
    }
    if !sheet.headers.is_empty() {
        ws.set_freeze_panes(1, 0)
            .map_err(|e| ("frozen header".to_string(), e))?;
        let last_col = (columns - 1) as ColNum;
        ws.autofilter(0, 0, sheet.rows.len() as RowNum, last_col)
            .map_err(|e| ("autofilter".to_string(), e))?;
    }
    Ok(())
}

fn excel_datetime(dt: &jiff::civil::DateTime) -> Result<ExcelDateTime, XlsxError> {
    let year = u16::try_from(dt.year()).map_err(|_| XlsxError::DateTimeRangeError(dt.to_string()))?;
    // jiff's fields are already range-checked (month 1–12, hour 0–23, ...), so the casts hold.
    let seconds = f64::from(dt.second()) + f64::from(dt.subsec_nanosecond()) / 1e9;
    ExcelDateTime::from_ymd(year, dt.month() as u8, dt.day() as u8)?.and_hms(
        dt.hour() as u16,
        dt.minute() as u8,
        seconds,
    )
}

/// The sheets' names as Excel accepts them: the characters `[]:*?/\` replaced by `-`, no
/// apostrophe at either end, at most 31 characters (UTF-16 units, as Excel counts), not blank,
/// not Excel's reserved "History", and unique regardless of case (later ones get " (2)", " (3)").
fn sheet_names(sheets: &[Sheet]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    let mut names = Vec::with_capacity(sheets.len());
    for (i, sheet) in sheets.iter().enumerate() {
        let cleaned: String = sheet
            .name
            .chars()
            .map(|c| {
                if "[]:*?/\\".contains(c) || c.is_control() {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        let mut base = cleaned.trim().trim_matches('\'').trim().to_string();
        if base.is_empty() {
            base = format!("Sheet{}", i + 1);
        }
        if base.eq_ignore_ascii_case("history") {
            base.push_str(" (1)");
        }
        let mut name = truncate_utf16(&base, NAME_MAX);
        let mut n = 2;
        while taken.contains(&name.to_lowercase()) {
            let suffix = format!(" ({n})");
            name = format!("{}{suffix}", truncate_utf16(&base, NAME_MAX - suffix.len()));
            n += 1;
        }
        // Cutting can leave an apostrophe at the end.
        while name.ends_with('\'') {
            name.pop();
        }
        taken.push(name.to_lowercase());
        names.push(name);
    }
    names
}

fn truncate_utf16(s: &str, max: usize) -> String {
    let mut units = 0;
    s.chars()
        .take_while(|c| {
            units += c.len_utf16();
            units <= max
        })
        .collect::<String>()
        .trim_end()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    use jiff::civil::date;

    fn read(bytes: Vec<u8>) -> Xlsx<std::io::Cursor<Vec<u8>>> {
        open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("workbook opens")
    }

    fn sheet(name: &str) -> Sheet {
        Sheet {
            name: name.into(),
            headers: vec![],
            rows: vec![],
        }
    }

    #[test]
    fn values_read_back_with_their_types() {
        let when = date(2026, 12, 10).at(14, 30, 0, 0);
        let sheets = [Sheet {
            name: "Kayıtlar".into(),
            headers: vec![
                "Ad Soyad".into(),
                "Adres".into(),
                "Not".into(),
                "Kişi".into(),
                "Puan".into(),
                "Tarih".into(),
            ],
            rows: vec![
                vec![
                    Cell::Text("Işık Göğüş, İzmir".into()),
                    Cell::Text("ğüşöçıİĞÜŞÖÇ".into()),
                    Cell::Text("=1+1".into()),
                    Cell::Int(42),
                    Cell::Number(4.5),
                    Cell::DateTime(when),
                ],
                vec![
                    Cell::Text("+90 232 455 00 00".into()),
                    Cell::Text("@everyone".into()),
                    Cell::Text("-2".into()),
                    Cell::Int(i64::MAX),
                    Cell::Empty,
                    Cell::Number(f64::NAN),
                ],
            ],
        }];
        let mut book = read(workbook(&sheets).unwrap());
        assert_eq!(book.sheet_names(), vec!["Kayıtlar".to_string()]);
        let range = book.worksheet_range("Kayıtlar").unwrap();
        let at = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);

        assert_eq!(at(0, 0), Data::String("Ad Soyad".into()));
        assert_eq!(at(1, 0), Data::String("Işık Göğüş, İzmir".into()));
        assert_eq!(at(1, 1), Data::String("ğüşöçıİĞÜŞÖÇ".into()));
        assert_eq!(at(1, 2), Data::String("=1+1".into()));
        assert!(
            matches!(at(1, 3), Data::Float(x) if x == 42.0) || at(1, 3) == Data::Int(42),
            "{:?}",
            at(1, 3)
        );
        assert_eq!(at(1, 4), Data::Float(4.5));
        match at(1, 5) {
            Data::DateTime(d) => {
                assert!(d.is_datetime());
                // 2026-12-10 14:30 as Excel's serial day number.
                assert!((d.as_f64() - (46_366.0 + 14.5 / 24.0)).abs() < 1e-6, "{}", d.as_f64());
            }
            other => panic!("expected a date, got {other:?}"),
        }
        assert_eq!(at(2, 0), Data::String("+90 232 455 00 00".into()));
        assert_eq!(at(2, 1), Data::String("@everyone".into()));
        assert_eq!(at(2, 2), Data::String("-2".into()));
        assert_eq!(at(2, 3), Data::String(i64::MAX.to_string()));
        assert_eq!(at(2, 4), Data::Empty);
        assert_eq!(at(2, 5), Data::String("NaN".into()));

        // Nothing was stored as a formula.
        let formulas = book.worksheet_formula("Kayıtlar").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "{formulas:?}");
    }

    #[test]
    fn header_is_frozen_with_an_autofilter() {
        let sheets = [Sheet {
            name: "A".into(),
            headers: vec!["x".into(), "y".into()],
            rows: vec![vec![Cell::Int(1), Cell::Int(2)]],
        }];
        let bytes = workbook(&sheets).unwrap();
        let mut zip = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
        assert!(
            zip.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#),
            "{zip}"
        );
        assert!(zip.contains(r#"<autoFilter ref="A1:B2"/>"#), "{zip}");
        zip = zip_entry(&bytes, "xl/styles.xml");
        assert!(zip.contains("<b/>"), "bold header: {zip}");
    }

    /// One part of the XLSX package as text. calamine does not report panes or filters, so
    /// these are checked in the XML itself.
    fn zip_entry(bytes: &[u8], name: &str) -> String {
        use std::io::Read;
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        archive.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn sheet_names_follow_excel_rules() {
        let sheets = [
            sheet("Hafta 48/2026: [özet]*?"),
            sheet("Avrupa Birliği Hibe Programları Başvuru Listesi"),
            sheet("Avrupa Birliği Hibe Programları Başvuru Listesi"),
            sheet("'quoted'"),
            sheet("   "),
            sheet("HISTORY"),
            sheet("özet"),
            sheet("ÖZET"),
        ];
        let names = sheet_names(&sheets);
        assert_eq!(names[0], "Hafta 48-2026- -özet---");
        assert_eq!(names[1], "Avrupa Birliği Hibe Programları");
        assert_eq!(names[2], "Avrupa Birliği Hibe Program (2)");
        assert_eq!(names[3], "quoted");
        assert_eq!(names[4], "Sheet5");
        assert_eq!(names[5], "HISTORY (1)");
        assert_eq!(names[7], "ÖZET (2)");
        for n in &names {
            assert!(n.encode_utf16().count() <= 31, "{n}");
            assert!(!n.contains(['[', ']', ':', '*', '?', '/', '\\']), "{n}");
        }
        // And Excel's rules as rust_xlsxwriter checks them accept them all.
        let mut book = read(workbook(&sheets).unwrap());
        assert_eq!(book.sheet_names(), names);
        assert!(book.worksheet_range("ÖZET (2)").is_ok());
    }

    #[test]
    fn no_sheets_and_dates_outside_excel() {
        assert!(workbook(&[]).is_ok());
        let old = [Sheet {
            name: "Eski".into(),
            headers: vec!["Tarih".into()],
            rows: vec![vec![Cell::DateTime(date(1850, 6, 1).at(9, 0, 0, 0))]],
        }];
        let err = workbook(&old).unwrap_err().to_string();
        assert!(
            err.contains("\"Eski\"") && err.contains("row 2, column 1") && err.contains("1850"),
            "{err}"
        );
    }
}
