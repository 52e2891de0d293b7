//! QR codes for posters and slides, e.g. a deep link that opens the bot on a training.

use qrcode::{Color, EcLevel, QrCode, types::QrError};

use super::{RenderError, encode_png};

/// Modules of white border the QR standard asks for; phone scanners fail more often without it.
const QUIET_ZONE: usize = 4;

/// Roughly the pixel width aimed at: sharp when printed on an A4 poster without being heavy to
/// send through Telegram.
const TARGET_PX: usize = 800;

/// Renders `data` as a black-on-white QR code PNG with the standard quiet zone, about 700–900 px
/// wide.
///
/// Level Q is used because posters get creased, smudged and photographed at an angle; data too
/// long for Q falls back to M.
pub fn qr_png(data: &str) -> Result<Vec<u8>, RenderError> {
    let code = match QrCode::with_error_correction_level(data, EcLevel::Q) {
        Err(QrError::DataTooLong) => QrCode::with_error_correction_level(data, EcLevel::M),
        other => other,
    }
    .map_err(|e| RenderError::Qr {
        len: data.len(),
        reason: e.to_string(),
    })?;

    let modules = code.width();
    let total = modules + 2 * QUIET_ZONE;
    // Whole pixels per module, so that every module has the same size and edges stay crisp.
    let scale = ((TARGET_PX + total / 2) / total).max(1);
    let side = total * scale;

    let mut pixels = vec![0xFF_u8; side * side];
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
        for y in my * scale..(my + 1) * scale {
            pixels[y * side + mx * scale..y * side + (mx + 1) * scale].fill(0);
        }
    }

    // `side` is at most 185 modules × 28 px, far below u32::MAX.
    let side = side as u32;
    encode_png("QR code", side, side, png::ColorType::Grayscale, &pixels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testutil::{PNG_SIGNATURE, decode_png};

    fn decode_qr(bytes: &[u8]) -> String {
        let (w, h, color, pixels) = decode_png(bytes);
        assert_eq!(color, png::ColorType::Grayscale);
        let mut img =
            rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| pixels[y * w as usize + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        let (_meta, content) = grids[0].decode().expect("QR code decodes");
        content
    }

    #[test]
    fn png_is_square_poster_sized_with_quiet_zone() {
        let bytes = qr_png("https://t.me/eudesk_bot?start=training-42").unwrap();
        assert!(bytes.starts_with(PNG_SIGNATURE));
        let (w, h, _, pixels) = decode_png(&bytes);
        assert_eq!(w, h);
        assert!((600..=900).contains(&w), "width {w}");
        // The quiet zone is four modules, and a module is at least w / (177 + 8) pixels wide.
        let border = (4 * w / 185) as usize;
        let w = w as usize;
        for y in 0..border {
            assert!(
                pixels[y * w..(y + 1) * w].iter().all(|&p| p == 0xFF),
                "row {y} is white"
            );
        }
        for y in 0..w {
            assert!(
                pixels[y * w..y * w + border].iter().all(|&p| p == 0xFF),
                "left border of row {y}"
            );
        }
        assert!(pixels.contains(&0), "there are dark modules");
    }

    #[test]
    fn decodes_back_to_the_same_text() {
        for data in [
            "https://t.me/eudesk_bot?start=training-42",
            "K7QF-3M9T",
            "Işık Göğüş, İzmir — ğüşöçıİĞÜŞÖÇ",
        ] {
            assert_eq!(decode_qr(&qr_png(data).unwrap()), data);
        }
    }

    #[test]
    fn long_data_still_fits_poster_size() {
        let data = "x".repeat(1500);
        let (w, ..) = decode_png(&qr_png(&data).unwrap());
        assert!((600..=900).contains(&w), "width {w}");
    }

    #[test]
    fn too_much_data_is_an_error_that_says_so() {
        let err = qr_png(&"x".repeat(5000)).unwrap_err();
        assert!(err.to_string().contains("5000 bytes"), "{err}");
    }
}
