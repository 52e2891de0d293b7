//! Reading a workbook back as a spreadsheet program would: every cell's text, for tests
//! that check what staff will see in Excel.

use calamine::{Data, Reader, Xlsx};
use std::io::Cursor;

/// Every non-empty cell of every sheet, as text (formulas would show as their text,
/// which is the point: none may be a formula).
pub fn cells(bytes: &[u8]) -> Vec<String> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("a workbook");
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let formulas = book.worksheet_formula(&name).expect("a sheet's formulas");
        assert!(
            formulas.cells().all(|(_, _, f)| f.is_empty()),
            "a formula in sheet {name}"
        );
        let range = book.worksheet_range(&name).expect("a sheet");
        for (_, _, cell) in range.cells() {
            match cell {
                Data::Empty => {}
                other => out.push(other.to_string()),
            }
        }
    }
    out
}
