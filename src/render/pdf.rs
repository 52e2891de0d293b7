//! Certificates of attendance for the office's trainings, as one-page A4 landscape PDFs.
//!
//! Text is shaped here (with rustybuzz, the shaper krilla itself uses) rather than through
//! krilla's `draw_text`, because the layout needs each line's width to centre and wrap it, and
//! measuring the very glyphs that are drawn keeps the two from drifting apart. krilla embeds a
//! subset of the font and writes a ToUnicode map, so the text can be searched and copied.

use std::str::FromStr;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use unicode_normalization::UnicodeNormalization;

use super::{FONT_BOLD, FONT_REGULAR, RenderError};
use crate::lang::Lang;

/// What goes on a certificate. Every field is already formatted and in `lang`.
pub struct Certificate {
    pub lang: Lang,
    /// The person's name as registered, e.g. "Ayşe Işıkçı Göğüş".
    pub name: String,
    /// The training's title in `lang`.
    pub training: String,
    /// Dates and hours, e.g. "10 Aralık 2026, 10:00–17:00".
    pub when: String,
    pub place: String,
    /// E.g. "T.C. İzmir Valiliği AB ve Dış İlişkiler Bürosu".
    pub office: String,
    /// Verification code, e.g. "K7QF-3M9T".
    pub code: String,
    /// A sentence telling how to verify the code, in `lang`.
    pub verify: String,
    /// Issue date, formatted.
    pub issued: String,
}

/// A4 landscape, in PDF points.
const PAGE_W: f32 = 841.89;
const PAGE_H: f32 = 595.28;
/// Widest a centred line may be: inside the frame with a comfortable margin.
const TEXT_W: f32 = 700.0;

const BLUE: (u8, u8, u8) = (0x00, 0x33, 0x99);
const GOLD: (u8, u8, u8) = (0xC9, 0xA2, 0x27);
const INK: (u8, u8, u8) = (0x22, 0x22, 0x22);
const GREY: (u8, u8, u8) = (0x5F, 0x63, 0x68);

/// Renders the certificate as a one-page PDF.
pub fn certificate(c: &Certificate) -> Result<Vec<u8>, RenderError> {
    // Names typed on phones sometimes arrive decomposed (s + U+0327); composing them makes
    // the PDF's text match what a search for the name types.
    let nfc = |s: &str| s.trim().nfc().collect::<String>();
    let (name, training, when, place) = (nfc(&c.name), nfc(&c.training), nfc(&c.when), nfc(&c.place));
    let (office, code, verify, issued) = (nfc(&c.office), nfc(&c.code), nfc(&c.verify), nfc(&c.issued));

    let t = Texts::of(c.lang);
    let regular = Face::load("DejaVuSans.ttf", FONT_REGULAR, c.lang)?;
    let bold = Face::load("DejaVuSans-Bold.ttf", FONT_BOLD, c.lang)?;

    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!("{} – {}", t.heading, name))
            .language(c.lang.code().to_string())
            .creator("eudesk".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| RenderError::Pdf("bad page size".into()))?;
    let mut page = doc.start_page_with(settings);
    let mut s = Painter {
        surface: page.surface(),
    };

    s.frame(20.0, 2.5, BLUE);
    s.frame(28.0, 0.8, GOLD);

    let mut y = 72.0;
    y = s.centred(&bold, &office, 13.0, 10.0, 2, y, BLUE);
    s.rule(PAGE_W / 2.0, y - 4.0, 160.0, 1.0, GOLD);

    y = s.centred(&bold, t.heading, 34.0, 22.0, 1, y + 52.0, BLUE);

    // Without a lead-in line the name keeps its place, so both languages share one layout.
    y = match t.intro {
        Some(intro) => s.centred(&regular, intro, 14.0, 14.0, 1, y + 10.0, GREY),
        None => y + 10.0 + 14.0 * 1.35,
    };
    let name_lines = fit(&bold, &name, 40.0, 20.0, 1);
    let name_w = name_lines.lines.first().map_or(0.0, |l| l.width(name_lines.size));
    y = s.centred(&bold, &name, 40.0, 20.0, 1, y + 38.0, INK);
    s.rule(
        PAGE_W / 2.0,
        y - name_lines.size * 0.9,
        (name_w + 60.0).clamp(300.0, TEXT_W),
        0.8,
        GOLD,
    );

    y = s.centred(&regular, &(t.attended)(&training), 16.0, 11.0, 3, y + 12.0, INK);
    y = s.centred(&regular, &format!("{}{}", t.when, when), 12.5, 9.0, 2, y + 20.0, INK);
    s.centred(&regular, &format!("{}{}", t.place, place), 12.5, 9.0, 2, y, INK);

    // Footer: issue date on the left, the code on the right, how to verify below both.
    let (left, right) = (72.0, PAGE_W - 72.0);
    s.line_at(&regular, t.issued, 10.0, left, 478.0, Align::Left, GREY);
    s.line_at(&bold, &issued, 13.0, left, 498.0, Align::Left, INK);
    s.line_at(&regular, t.code, 10.0, right, 478.0, Align::Right, GREY);
    s.line_at(&bold, &code, 16.0, right, 500.0, Align::Right, BLUE);
    s.centred(&regular, &verify, 9.5, 7.5, 2, 534.0, GREY);

    drop(s);
    page.finish();
    doc.finish().map_err(|e| RenderError::Pdf(e.to_string()))
}

/// The fixed wording, by language.
struct Texts {
    heading: &'static str,
    /// English needs a lead-in before the name; Turkish puts the verb after the training.
    intro: Option<&'static str>,
    attended: fn(&str) -> String,
    when: &'static str,
    place: &'static str,
    issued: &'static str,
    code: &'static str,
}

impl Texts {
    fn of(lang: Lang) -> Texts {
        match lang {
            Lang::Tr => Texts {
                heading: "KATILIM BELGESİ",
                intro: None,
                attended: |training| format!("“{training}” eğitimine katılmıştır."),
                when: "Tarih ve saat: ",
                place: "Yer: ",
                issued: "Düzenlenme tarihi",
                code: "Doğrulama kodu",
            },
            Lang::En => Texts {
                heading: "CERTIFICATE OF ATTENDANCE",
                intro: Some("This is to certify that"),
                attended: |training| format!("attended the training “{training}”."),
                when: "Date and time: ",
                place: "Place: ",
                issued: "Date of issue",
                code: "Verification code",
            },
        }
    }
}

/// A font both as krilla embeds it and as rustybuzz shapes it.
struct Face {
    font: Font,
    shaper: rustybuzz::Face<'static>,
    /// Shaping in the certificate's language lets the font apply its language rules where it
    /// has them (a Turkish "fi" must not become a ligature that hides the dot of the i).
    language: rustybuzz::Language,
}

impl Face {
    fn load(file: &'static str, data: &'static [u8], lang: Lang) -> Result<Face, RenderError> {
        Ok(Face {
            font: Font::new(data.into(), 0).ok_or(RenderError::Font(file))?,
            shaper: rustybuzz::Face::from_slice(data, 0).ok_or(RenderError::Font(file))?,
            language: rustybuzz::Language::from_str(lang.code())
                .map_err(|e| RenderError::Pdf(format!("language tag {}: {e}", lang.code())))?,
        })
    }

    fn shape(&self, text: &str) -> Shaped {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.set_direction(rustybuzz::Direction::LeftToRight);
        buffer.set_language(self.language.clone());
        buffer.guess_segment_properties();
        let out = rustybuzz::shape(&self.shaper, &[], buffer);
        let upem = self.shaper.units_per_em() as f32;
        let (infos, positions) = (out.glyph_infos(), out.glyph_positions());

        let mut glyphs = Vec::with_capacity(infos.len());
        let mut advance = 0.0;
        for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
            // The glyph stands for the text up to the next cluster; krilla writes that text into
            // the ToUnicode map, which is what makes the name findable in the PDF.
            let start = info.cluster as usize;
            let end = infos[i + 1..]
                .iter()
                .map(|g| g.cluster as usize)
                .find(|&c| c != start)
                .unwrap_or(text.len());
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                pos.x_advance as f32 / upem,
                pos.x_offset as f32 / upem,
                pos.y_offset as f32 / upem,
                pos.y_advance as f32 / upem,
                start..end,
                None,
            ));
            advance += pos.x_advance as f32 / upem;
        }
        Shaped {
            text: text.to_string(),
            glyphs,
            advance,
        }
    }
}

/// One line of shaped text; advances are in ems.
struct Shaped {
    text: String,
    glyphs: Vec<KrillaGlyph>,
    advance: f32,
}

impl Shaped {
    fn width(&self, size: f32) -> f32 {
        self.advance * size
    }
}

/// Lines of text at the size they were fitted to.
struct Fitted {
    size: f32,
    lines: Vec<Shaped>,
}

/// Wraps `text` at spaces into at most `max_lines` lines of [`TEXT_W`], shrinking from `size`
/// towards `min_size` until it fits. At `min_size` it gives up shrinking and lets lines run
/// long (a word longer than the page can only be shown that way), but never adds lines.
fn fit(face: &Face, text: &str, size: f32, min_size: f32, max_lines: usize) -> Fitted {
    let words: Vec<Shaped> = text.split_whitespace().map(|w| face.shape(w)).collect();
    let space = face.shape(" ").advance;
    let mut size = size;
    loop {
        let breaks = wrap(&words, space, TEXT_W / size);
        let fits = breaks.len() <= max_lines && breaks.iter().all(|&(_, _, w)| w * size <= TEXT_W);
        if fits || size <= min_size {
            let mut lines: Vec<String> = breaks
                .iter()
                .map(|&(from, to, _)| {
                    words[from..to]
                        .iter()
                        .map(|w| w.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            if lines.len() > max_lines {
                let rest = lines.split_off(max_lines - 1).join(" ");
                lines.push(rest);
            }
            let lines = lines.iter().map(|l| face.shape(l)).collect();
            return Fitted { size, lines };
        }
        size = (size - 0.5).max(min_size);
    }
}

/// Greedy word wrap: (first word, end word, width in ems) per line.
fn wrap(words: &[Shaped], space: f32, max_em: f32) -> Vec<(usize, usize, f32)> {
    let mut lines = Vec::new();
    let (mut from, mut width) = (0, 0.0);
    for (i, word) in words.iter().enumerate() {
        if i > from && width + space + word.advance > max_em {
            lines.push((from, i, width));
            (from, width) = (i, 0.0);
        }
        width += if i > from { space } else { 0.0 } + word.advance;
    }
    if from < words.len() {
        lines.push((from, words.len(), width));
    }
    lines
}

enum Align {
    Left,
    Centre,
    Right,
}

struct Painter<'a> {
    surface: krilla::surface::Surface<'a>,
}

impl Painter<'_> {
    /// Draws `text` centred on the page with its first baseline at `y`, fitted by [`fit`];
    /// returns the baseline for the next line.
    #[allow(clippy::too_many_arguments)]
    fn centred(
        &mut self,
        face: &Face,
        text: &str,
        size: f32,
        min_size: f32,
        max_lines: usize,
        y: f32,
        color: (u8, u8, u8),
    ) -> f32 {
        let fitted = fit(face, text, size, min_size, max_lines);
        let leading = fitted.size * 1.35;
        let mut y = y;
        for line in &fitted.lines {
            self.draw(face, line, fitted.size, PAGE_W / 2.0, y, Align::Centre, color);
            y += leading;
        }
        y
    }

    /// Draws a single unwrapped line anchored at `x`.
    #[allow(clippy::too_many_arguments)]
    fn line_at(&mut self, face: &Face, text: &str, size: f32, x: f32, y: f32, align: Align, color: (u8, u8, u8)) {
        let line = face.shape(text);
        self.draw(face, &line, size, x, y, align, color);
    }

    #[allow(clippy::too_many_arguments)]
    fn draw(&mut self, face: &Face, line: &Shaped, size: f32, x: f32, y: f32, align: Align, color: (u8, u8, u8)) {
        if line.glyphs.is_empty() {
            return;
        }
        let x = match align {
            Align::Left => x,
            Align::Centre => x - line.width(size) / 2.0,
            Align::Right => x - line.width(size),
        };
        self.surface.set_stroke(None);
        self.surface.set_fill(Some(fill(color)));
        self.surface.draw_glyphs(
            Point::from_xy(x, y),
            &line.glyphs,
            face.font.clone(),
            &line.text,
            size,
            false,
        );
    }

    /// A rectangle `inset` points inside the page edge.
    fn frame(&mut self, inset: f32, width: f32, color: (u8, u8, u8)) {
        let Some(rect) = Rect::from_xywh(inset, inset, PAGE_W - 2.0 * inset, PAGE_H - 2.0 * inset) else {
            return;
        };
        let mut pb = PathBuilder::new();
        pb.push_rect(rect);
        if let Some(path) = pb.finish() {
            self.stroke(color, width);
            self.surface.draw_path(&path);
        }
    }

    /// A horizontal line of `length` centred on `cx`.
    fn rule(&mut self, cx: f32, y: f32, length: f32, width: f32, color: (u8, u8, u8)) {
        let mut pb = PathBuilder::new();
        pb.move_to(cx - length / 2.0, y);
        pb.line_to(cx + length / 2.0, y);
        if let Some(path) = pb.finish() {
            self.stroke(color, width);
            self.surface.draw_path(&path);
        }
    }

    fn stroke(&mut self, (r, g, b): (u8, u8, u8), width: f32) {
        self.surface.set_fill(None);
        self.surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(r, g, b).into(),
            width,
            ..Stroke::default()
        }));
    }
}

fn fill((r, g, b): (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        ..Fill::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of every page, as a reader of the PDF would copy it.
    pub fn text_of_pdf(bytes: &[u8]) -> String {
        let doc = lopdf::Document::load_mem(bytes).expect("PDF parses");
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        doc.extract_text(&pages).expect("text extracts")
    }

    fn sample(lang: Lang) -> Certificate {
        Certificate {
            lang,
            name: "Ayşe Işıkçı Göğüş".into(),
            training: match lang {
                Lang::Tr => "AB Hibe Programlarına Proje Hazırlama Eğitimi".into(),
                Lang::En => "Preparing Projects for EU Grant Programmes".into(),
            },
            when: "10 Aralık 2026, 10:00–17:00".into(),
            place: "İzmir Valiliği, Çağdaş Salonu".into(),
            office: "T.C. İzmir Valiliği AB ve Dış İlişkiler Bürosu".into(),
            code: "K7QF-3M9T".into(),
            verify: match lang {
                Lang::Tr => "Bu belgeyi doğrulamak için kodu Telegram botumuza /dogrula komutuyla gönderin.".into(),
                Lang::En => "To verify this certificate, send the code to our Telegram bot with /verify.".into(),
            },
            issued: "11 Aralık 2026".into(),
        }
    }

    /// Extraction inserts spaces and line breaks between text runs as it sees fit; comparing
    /// without whitespace checks the letters themselves.
    fn squeeze(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn turkish_certificate_text_is_extractable() {
        let pdf = certificate(&sample(Lang::Tr)).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = text_of_pdf(&pdf);
        assert!(text.contains("Ayşe Işıkçı Göğüş"), "name in {text:?}");
        assert!(text.contains("K7QF-3M9T"), "code in {text:?}");
        let flat = squeeze(&text);
        for needle in [
            "KATILIMBELGESİ",
            "eğitiminekatılmıştır",
            "İzmirValiliği,ÇağdaşSalonu",
            "11Aralık2026",
        ] {
            assert!(flat.contains(needle), "{needle} in {text:?}");
        }
    }

    #[test]
    fn english_certificate_text_is_extractable() {
        let text = text_of_pdf(&certificate(&sample(Lang::En)).unwrap());
        assert!(text.contains("Ayşe Işıkçı Göğüş"), "name in {text:?}");
        assert!(text.contains("K7QF-3M9T"), "code in {text:?}");
        let flat = squeeze(&text);
        assert!(flat.contains("CERTIFICATEOFATTENDANCE"), "{text:?}");
        assert!(flat.contains("attendedthetraining"), "{text:?}");
    }

    #[test]
    fn decomposed_name_is_written_composed() {
        let mut c = sample(Lang::Tr);
        c.name = "Ayşe Işıkçı Göğüş".nfd().collect();
        let text = text_of_pdf(&certificate(&c).unwrap());
        assert!(text.contains("Ayşe Işıkçı Göğüş"), "{text:?}");
    }

    #[test]
    fn long_and_empty_fields_still_make_one_page() {
        let mut c = sample(Lang::Tr);
        c.name = "Prof. Dr. Ayşe Işıkçı Göğüş-Çağlayanoğulları Öztürkmenoğlu".into();
        c.training = "Avrupa Birliği ".repeat(20);
        c.place = String::new();
        c.verify = String::new();
        let pdf = certificate(&c).unwrap();
        let doc = lopdf::Document::load_mem(&pdf).unwrap();
        assert_eq!(doc.get_pages().len(), 1);
    }

    #[test]
    fn wrap_keeps_every_word_once() {
        let face = Face::load("DejaVuSans.ttf", FONT_REGULAR, Lang::Tr).unwrap();
        let text = "Avrupa Birliği hibe programlarına proje hazırlama ve yönetme eğitimi ".repeat(3);
        let fitted = fit(&face, &text, 16.0, 11.0, 3);
        assert!(fitted.lines.len() <= 3);
        let joined: Vec<_> = fitted.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(joined.join(" "), text.split_whitespace().collect::<Vec<_>>().join(" "));
    }
}
