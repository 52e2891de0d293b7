//! The statistics chart staff ask the bot for: how questions were handled, how fast tickets get
//! a first answer, and how full recent training sessions were.
//!
//! plotters draws into a plain RGB buffer with the embedded font (its `ab_glyph` path), and the
//! buffer is encoded with the `png` crate, so no system font lookup and no `image` crate.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{FONT_BOLD, FONT_REGULAR, RenderError, encode_png};
use crate::lang::Lang;

/// What the chart shows; series are oldest first.
pub struct StatsChart {
    pub lang: Lang,
    /// Free-text questions per week, oldest first: (week label e.g. "48/2026", answered directly, after "did you mean", escalated)
    pub weeks: Vec<(String, u32, u32, u32)>,
    /// Tickets' median time to first answer per week in hours, same week labels (None when no ticket was answered that week)
    pub answer_hours: Vec<(String, Option<f64>)>,
    /// Recent sessions' fill rate: (short label, confirmed / capacity as 0.0..=1.0+)
    pub fill: Vec<(String, f64)>,
}

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 900;

/// Registered under a name of our own so that nothing else in the process that uses plotters
/// can swap the font under us.
const FAMILY: &str = "eudesk-dejavu-sans";

/// Telegram shrinks the picture on a phone; more labels than this run into each other.
const MAX_X_LABELS: usize = 13;

const DIRECT: RGBColor = RGBColor(0x00, 0x33, 0x99);
const SUGGESTED: RGBColor = RGBColor(0xE0, 0xA8, 0x00);
const ESCALATED: RGBColor = RGBColor(0xC6, 0x3D, 0x2F);
const HOURS: RGBColor = RGBColor(0x00, 0x7A, 0x87);
const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
const NOTE: RGBColor = RGBColor(0x80, 0x80, 0x80);

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Renders the three panels into one PNG of 1200×900 px. Empty series give a panel that says
/// there is no data yet, so the command works on a fresh install.
pub fn stats_png(c: &StatsChart) -> Result<Vec<u8>, RenderError> {
    register_fonts()?;
    let t = Texts::of(c.lang);
    let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let panels = root.margin(8, 8, 12, 20).split_evenly((3, 1));
        questions(&panels[0], c, &t)?;
        answer_hours(&panels[1], c, &t)?;
        fill_rates(&panels[2], c, &t)?;
        root.present().map_err(chart_err)?;
    }
    encode_png("statistics chart", WIDTH, HEIGHT, png::ColorType::Rgb, &pixels)
}

fn chart_err(e: impl std::fmt::Display) -> RenderError {
    RenderError::Chart(e.to_string())
}

fn register_fonts() -> Result<(), RenderError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_REGULAR).is_ok()
            && plotters::style::register_font(FAMILY, FontStyle::Bold, FONT_BOLD).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(RenderError::Font("DejaVuSans.ttf / DejaVuSans-Bold.ttf"))
    }
}

fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().into()
}

fn title_font() -> TextStyle<'static> {
    // The style has to be given up front: `FontDesc::style` keeps the face already loaded.
    (FAMILY, 21, FontStyle::Bold).into_font().into()
}

struct Texts {
    lang: Lang,
    questions: &'static str,
    direct: &'static str,
    suggested: &'static str,
    escalated: &'static str,
    questions_axis: &'static str,
    hours: &'static str,
    hours_axis: &'static str,
    fill: &'static str,
    fill_axis: &'static str,
    capacity: &'static str,
    no_data: &'static str,
}

impl Texts {
    fn of(lang: Lang) -> Texts {
        match lang {
            Lang::Tr => Texts {
                lang,
                questions: "Haftalık serbest metin soruları",
                direct: "Doğrudan yanıtlandı",
                suggested: "“Bunu mu demek istediniz?” sonrası",
                escalated: "Yetkiliye aktarıldı",
                questions_axis: "Soru",
                hours: "Taleplerde ilk yanıta kadar geçen medyan süre (saat)",
                hours_axis: "Saat",
                fill: "Son oturumların doluluk oranı",
                fill_axis: "Doluluk",
                capacity: "kapasite",
                no_data: "henüz veri yok",
            },
            Lang::En => Texts {
                lang,
                questions: "Free-text questions per week",
                direct: "Answered directly",
                suggested: "After “did you mean”",
                escalated: "Escalated to staff",
                questions_axis: "Questions",
                hours: "Tickets: median time to first answer (hours)",
                hours_axis: "Hours",
                fill: "Recent sessions' fill rate",
                fill_axis: "Filled",
                capacity: "capacity",
                no_data: "no data yet",
            },
        }
    }

    /// Turkish writes the percent sign first.
    fn percent(&self, v: f64) -> String {
        match self.lang {
            Lang::Tr => format!("%{v:.0}"),
            Lang::En => format!("{v:.0}%"),
        }
    }

    /// Turkish uses a decimal comma.
    fn decimal(&self, v: f64, places: usize) -> String {
        let s = format!("{v:.places$}");
        match self.lang {
            Lang::Tr => s.replace('.', ","),
            Lang::En => s,
        }
    }
}

/// The panel's title and a note in the middle, in place of an empty plot.
fn no_data(area: &Area, title: &str, t: &Texts) -> Result<(), RenderError> {
    let inner = area.titled(title, title_font()).map_err(chart_err)?;
    let (w, h) = inner.dim_in_pixel();
    let style = font(20).color(&NOTE).pos(Pos::new(HPos::Center, VPos::Center));
    inner
        .draw(&Text::new(t.no_data, (w as i32 / 2, h as i32 / 2), style))
        .map_err(chart_err)?;
    Ok(())
}

/// The label of category `v` for the x axis.
fn category<'a>(labels: impl Fn(usize) -> Option<&'a str>, v: &SegmentValue<i32>) -> String {
    match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => usize::try_from(*i)
            .ok()
            .and_then(labels)
            .unwrap_or_default()
            .to_string(),
        SegmentValue::Last => String::new(),
    }
}

/// Categories 0..n as segments, one per bar or point.
fn segments(n: usize) -> plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordi32> {
    (0..n as i32 - 1).into_segmented()
}

/// Space left between bars: a sixth of a category's width on each side.
fn bar_gap(area: &Area, n: usize) -> u32 {
    (area.dim_in_pixel().0 / n.max(1) as u32 / 6).min(40)
}

fn bar(i: usize, y0: f64, y1: f64, color: RGBColor, gap: u32) -> Rectangle<(SegmentValue<i32>, f64)> {
    let i = i as i32;
    let mut r = Rectangle::new(
        [(SegmentValue::Exact(i), y0), (SegmentValue::Exact(i + 1), y1)],
        color.filled(),
    );
    r.set_margin(0, 0, gap, gap);
    r
}

fn questions(area: &Area, c: &StatsChart, t: &Texts) -> Result<(), RenderError> {
    let n = c.weeks.len();
    if n == 0 {
        return no_data(area, t.questions, t);
    }
    let totals = c
        .weeks
        .iter()
        .map(|&(_, a, b, e)| f64::from(a) + f64::from(b) + f64::from(e));
    let max = totals.fold(0.0, f64::max).max(1.0);
    // Headroom above the tallest bar keeps the legend from covering it.
    let top = (max * 1.5).ceil();

    let mut chart = ChartBuilder::on(area)
        .caption(t.questions, title_font())
        .margin(6)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(segments(n), 0.0..top)
        .map_err(chart_err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(n.min(MAX_X_LABELS))
        .x_label_formatter(&|v| category(|i| c.weeks.get(i).map(|w| w.0.as_str()), v))
        .y_labels(6)
        .y_label_formatter(&|v| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        })
        .y_desc(t.questions_axis)
        .label_style(font(14))
        .axis_desc_style(font(15))
        .draw()
        .map_err(chart_err)?;

    let gap = bar_gap(area, n);
    // Each series' span within the stacked bar of a week.
    type Span = fn(&(String, u32, u32, u32)) -> (u32, u32);
    let series: [(&str, RGBColor, Span); 3] = [
        (t.direct, DIRECT, |w| (0, w.1)),
        (t.suggested, SUGGESTED, |w| (w.1, w.1 + w.2)),
        (t.escalated, ESCALATED, |w| (w.1 + w.2, w.1 + w.2 + w.3)),
    ];
    for (name, color, span) in series {
        chart
            .draw_series(c.weeks.iter().enumerate().filter_map(|(i, w)| {
                let (lo, hi) = span(w);
                (hi > lo).then(|| bar(i, f64::from(lo), f64::from(hi), color, gap))
            }))
            .map_err(chart_err)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .label_font(font(14))
        .draw()
        .map_err(chart_err)?;
    Ok(())
}

fn answer_hours(area: &Area, c: &StatsChart, t: &Texts) -> Result<(), RenderError> {
    let n = c.answer_hours.len();
    // A negative or non-finite median is a bug upstream; leaving the week out beats a chart
    // whose axis it stretches.
    let value = |h: Option<f64>| h.filter(|h| h.is_finite() && *h >= 0.0);
    let max = c
        .answer_hours
        .iter()
        .filter_map(|(_, h)| value(*h))
        .fold(f64::NAN, f64::max);
    if n == 0 || max.is_nan() {
        return no_data(area, t.hours, t);
    }
    let top = (max * 1.2).max(1.0);
    let places = if top < 5.0 { 1 } else { 0 };

    let mut chart = ChartBuilder::on(area)
        .caption(t.hours, title_font())
        .margin(6)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(segments(n), 0.0..top)
        .map_err(chart_err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(n.min(MAX_X_LABELS))
        .x_label_formatter(&|v| category(|i| c.answer_hours.get(i).map(|w| w.0.as_str()), v))
        .y_labels(6)
        .y_label_formatter(&|v| t.decimal(*v, places))
        .y_desc(t.hours_axis)
        .label_style(font(14))
        .axis_desc_style(font(15))
        .draw()
        .map_err(chart_err)?;

    // Weeks without an answered ticket break the line instead of pulling it to zero.
    let mut runs: Vec<Vec<(SegmentValue<i32>, f64)>> = vec![Vec::new()];
    for (i, (_, h)) in c.answer_hours.iter().enumerate() {
        match value(*h) {
            Some(h) => runs
                .last_mut()
                .expect("never empty")
                .push((SegmentValue::CenterOf(i as i32), h)),
            None => runs.push(Vec::new()),
        }
    }
    let line = HOURS.stroke_width(3);
    chart
        .draw_series(
            runs.iter()
                .filter(|r| r.len() > 1)
                .map(|r| PathElement::new(r.clone(), line)),
        )
        .map_err(chart_err)?;
    let dot = if n > 26 { 3 } else { 5 };
    chart
        .draw_series(
            runs.iter()
                .flatten()
                .map(|p| Circle::new(p.clone(), dot, HOURS.filled())),
        )
        .map_err(chart_err)?;
    Ok(())
}

fn fill_rates(area: &Area, c: &StatsChart, t: &Texts) -> Result<(), RenderError> {
    let n = c.fill.len();
    if n == 0 {
        return no_data(area, t.fill, t);
    }
    let pct = |f: f64| if f.is_finite() { (f * 100.0).max(0.0) } else { 0.0 };
    let max = c.fill.iter().map(|(_, f)| pct(*f)).fold(100.0, f64::max);
    let top = max * 1.15;

    let mut chart = ChartBuilder::on(area)
        .caption(t.fill, title_font())
        .margin(6)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(segments(n), 0.0..top)
        .map_err(chart_err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(n.min(MAX_X_LABELS))
        .x_label_formatter(&|v| category(|i| c.fill.get(i).map(|w| w.0.as_str()), v))
        .y_labels(6)
        .y_label_formatter(&|v| t.percent(*v))
        .y_desc(t.fill_axis)
        .label_style(font(14))
        .axis_desc_style(font(15))
        .draw()
        .map_err(chart_err)?;

    let gap = bar_gap(area, n);
    chart
        .draw_series(
            c.fill
                .iter()
                .enumerate()
                .map(|(i, (_, f))| bar(i, 0.0, pct(*f), DIRECT, gap)),
        )
        .map_err(chart_err)?;

    let full = [(SegmentValue::Exact(0), 100.0), (SegmentValue::Last, 100.0)];
    chart
        .draw_series([PathElement::new(full, ESCALATED.stroke_width(2))])
        .map_err(chart_err)?;
    chart
        .draw_series([Text::new(
            t.capacity,
            (SegmentValue::Last, 100.0),
            font(13).color(&ESCALATED).pos(Pos::new(HPos::Right, VPos::Bottom)),
        )])
        .map_err(chart_err)?;

    // Values on top of the bars, while there is room to read them.
    if n <= 24 {
        let style = font(13).pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series(c.fill.iter().enumerate().map(|(i, (_, f))| {
                Text::new(
                    t.percent(pct(*f)),
                    (SegmentValue::CenterOf(i as i32), pct(*f) + top * 0.02),
                    style.clone(),
                )
            }))
            .map_err(chart_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testutil::{PNG_SIGNATURE, decode_png};

    fn sample(lang: Lang, weeks: usize) -> StatsChart {
        let label = |i: usize| format!("{}/2026", i % 52 + 1);
        StatsChart {
            lang,
            weeks: (0..weeks)
                .map(|i| (label(i), 10 + (i as u32 * 7) % 23, (i as u32 * 3) % 7, i as u32 % 4))
                .collect(),
            answer_hours: (0..weeks)
                .map(|i| (label(i), (i % 5 != 3).then_some(1.5 + (i % 9) as f64 * 2.25)))
                .collect(),
            fill: [
                "AB 10.12",
                "Hibe 12.12",
                "Erasmus+ 15.12",
                "İhracat 17.12",
                "Gençlik 19.12",
            ]
            .iter()
            .zip([0.45, 0.9, 1.0, 1.15, 0.0])
            .map(|(l, f)| (l.to_string(), f))
            .collect(),
        }
    }

    fn check(png: &[u8]) {
        assert!(png.starts_with(PNG_SIGNATURE));
        let (w, h, color, pixels) = decode_png(png);
        assert_eq!((w, h, color), (WIDTH, HEIGHT, png::ColorType::Rgb));
        let non_white = pixels.chunks(3).filter(|p| p != &[255, 255, 255]).count();
        assert!(non_white > 5_000, "something was drawn: {non_white} pixels");
    }

    #[test]
    fn draws_a_chart_in_both_languages() {
        for lang in Lang::ALL {
            let png = stats_png(&sample(lang, 8)).unwrap();
            assert!(png.len() > 20_000, "{} bytes", png.len());
            check(&png);
        }
    }

    #[test]
    fn empty_input_gives_a_valid_image() {
        for lang in Lang::ALL {
            let png = stats_png(&StatsChart {
                lang,
                weeks: vec![],
                answer_hours: vec![],
                fill: vec![],
            })
            .unwrap();
            check(&png);
        }
    }

    #[test]
    fn a_year_of_weeks_and_odd_values_do_not_panic() {
        let mut c = sample(Lang::Tr, 52);
        c.answer_hours[0].1 = Some(f64::NAN);
        c.answer_hours[1].1 = Some(-3.0);
        c.fill.push(("∞".into(), f64::INFINITY));
        check(&stats_png(&c).unwrap());
    }

    #[test]
    fn single_points_and_all_missing_hours() {
        let mut c = sample(Lang::En, 1);
        check(&stats_png(&c).unwrap());
        c.answer_hours = vec![("1/2026".into(), None), ("2/2026".into(), None)];
        c.weeks[0] = ("1/2026".into(), 0, 0, 0);
        check(&stats_png(&c).unwrap());
    }
}
