//! Documents the bot hands out as files: attendance certificates (PDF), QR codes for posters
//! (PNG), the statistics chart (PNG) and spreadsheet exports (XLSX). Everything here is pure:
//! data in, bytes out, so it can be tested without Telegram or a database.

pub mod chart;
pub mod pdf;
pub mod qr;
pub mod xlsx;

pub use chart::{StatsChart, stats_png};
pub use pdf::{Certificate, certificate};
pub use qr::qr_png;
pub use xlsx::{Cell, Sheet, workbook};

/// DejaVu Sans is embedded rather than looked up on the host because the servers have no
/// fonts installed, and it covers every Turkish letter (ğüşöçıİĞÜŞÖÇ). Licence in
/// `assets/fonts/LICENSE`.
pub(crate) const FONT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
pub(crate) const FONT_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// Why a document could not be made. The messages name the document and the step, since they
/// end up in the log next to a request that got no file.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the embedded font {0} could not be loaded")]
    Font(&'static str),
    #[error("the certificate PDF could not be written: {0}")]
    Pdf(String),
    #[error("no QR code can hold {len} bytes of data: {reason}")]
    Qr { len: usize, reason: String },
    #[error("the {what} PNG could not be encoded: {reason}")]
    Png { what: &'static str, reason: String },
    #[error("the statistics chart could not be drawn: {0}")]
    Chart(String),
    #[error("the workbook could not be written: {0}")]
    Xlsx(String),
}

/// Encodes an 8-bit image as PNG. Shared by the QR code and the chart so that neither needs the
/// `image` crate.
pub(crate) fn encode_png(
    what: &'static str,
    width: u32,
    height: u32,
    color: png::ColorType,
    pixels: &[u8],
) -> Result<Vec<u8>, RenderError> {
    let err = |e: png::EncodingError| RenderError::Png {
        what,
        reason: e.to_string(),
    };
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(err)?;
    writer.write_image_data(pixels).map_err(err)?;
    writer.finish().map_err(err)?;
    Ok(out)
}

/// Test helpers shared by the render modules.
#[cfg(test)]
pub(crate) mod testutil {
    /// Decodes a PNG into (width, height, colour type, pixels).
    pub fn decode_png(bytes: &[u8]) -> (u32, u32, png::ColorType, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("PNG size")];
        let info = reader.next_frame(&mut buf).expect("PNG data");
        buf.truncate(info.buffer_size());
        (info.width, info.height, info.color_type, buf)
    }

    pub const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
}
