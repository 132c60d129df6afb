//! The report's charts, drawn by plotters into SVG text (its SVG backend escapes every label;
//! no font is read: the reader's browser sets the text). Each chart is sized for a page and
//! scales down to a phone through its `viewBox`. A chart that cannot be drawn is `None`, and the
//! report says so in its place.

use crate::stats::DayStats;
use plotters::prelude::*;

/// The report's colours: mentions, answers, the SLA, and the heat maps' darkest cell.
const MENTIONS: RGBColor = RGBColor(0x4c, 0x78, 0xa8);
const ANSWERED: RGBColor = RGBColor(0x54, 0xa2, 0x4b);
const TARGET: RGBColor = RGBColor(0xe4, 0x57, 0x56);
const SLOW: RGBColor = RGBColor(0xf5, 0x85, 0x18);
const HEAT: RGBColor = RGBColor(0x1f, 0x4e, 0x79);
const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);

const WIDTH: u32 = 720;
const HEIGHT: u32 = 260;

type Drawn = Result<(), Box<dyn std::error::Error>>;

/// Draw into a fresh SVG document with `draw`; `None` (logged) when plotters fails.
fn svg(
    size: (u32, u32),
    what: &str,
    draw: impl FnOnce(DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Drawn,
) -> Option<String> {
    let mut out = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw(root)
    };
    match drawn {
        Ok(()) => Some(out),
        Err(e) => {
            tracing::warn!(chart = what, "a report chart was not drawn: {e}");
            None
        }
    }
}

/// "Nov 24" under each day (fewer when the days are many).
fn day_label(days: &[DayStats], x: f64) -> String {
    if (x - x.round()).abs() > 1e-6 || x < 0.0 {
        return String::new();
    }
    days.get(x.round() as usize)
        .and_then(|d| chrono::NaiveDate::parse_from_str(&d.date, "%Y-%m-%d").ok())
        .map(|d| d.format("%b %d").to_string())
        .unwrap_or_default()
}

fn label_style() -> TextStyle<'static> {
    ("sans-serif", 13).into_font().color(&INK)
}

/// Mentions and answers per day, side by side.
pub fn volume(days: &[DayStats]) -> Option<String> {
    let n = days.len().max(1);
    let top = days
        .iter()
        .map(|d| d.mentions.max(d.responded))
        .max()
        .unwrap_or(0)
        .max(1) as f64
        * 1.15;
    svg((WIDTH, HEIGHT), "volume", |root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(10))
            .x_label_formatter(&|x| day_label(days, *x))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(label_style())
            .light_line_style(TRANSPARENT)
            .bold_line_style(INK.mix(0.12))
            .draw()?;
        chart
            .draw_series(days.iter().enumerate().map(|(i, d)| {
                let x = i as f64;
                Rectangle::new([(x - 0.4, 0.0), (x - 0.02, d.mentions as f64)], MENTIONS.filled())
            }))?
            .label("mentions")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], MENTIONS.filled()));
        chart
            .draw_series(days.iter().enumerate().map(|(i, d)| {
                let x = i as f64;
                Rectangle::new([(x + 0.02, 0.0), (x + 0.4, d.responded as f64)], ANSWERED.filled())
            }))?
            .label("answered")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], ANSWERED.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(INK.mix(0.3))
            .label_font(label_style())
            .draw()?;
        root.present()?;
        Ok(())
    })
}

/// The median and p90 first response per day, in hours, against the SLA.
pub fn response(days: &[DayStats], sla_secs: Option<i64>) -> Option<String> {
    let n = days.len().max(1);
    let hours = |s: f64| s / 3600.0;
    let top = days
        .iter()
        .filter_map(|d| {
            d.p90_first_response_secs
                .map(|p| p as f64)
                .or(d.median_first_response_secs)
        })
        .chain(sla_secs.map(|s| s as f64))
        .fold(0.0f64, f64::max);
    let top = hours(top).max(0.5) * 1.15;
    svg((WIDTH, HEIGHT), "response", |root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(10))
            .x_label_formatter(&|x| day_label(days, *x))
            .y_label_formatter(&|y| format!("{y:.1}h"))
            .label_style(label_style())
            .light_line_style(TRANSPARENT)
            .bold_line_style(INK.mix(0.12))
            .draw()?;
        let points = |f: &dyn Fn(&DayStats) -> Option<f64>| -> Vec<(f64, f64)> {
            days.iter()
                .enumerate()
                .filter_map(|(i, d)| f(d).map(|s| (i as f64, hours(s))))
                .collect()
        };
        let median = points(&|d| d.median_first_response_secs);
        let p90 = points(&|d| d.p90_first_response_secs.map(|p| p as f64));
        chart
            .draw_series(LineSeries::new(median.clone(), MENTIONS.stroke_width(2)))?
            .label("median")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], MENTIONS.stroke_width(2)));
        chart.draw_series(median.iter().map(|p| Circle::new(*p, 3, MENTIONS.filled())))?;
        chart
            .draw_series(LineSeries::new(p90.clone(), SLOW.stroke_width(2)))?
            .label("nine in ten within")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], SLOW.stroke_width(2)));
        chart.draw_series(p90.iter().map(|p| Circle::new(*p, 3, SLOW.filled())))?;
        if let Some(sla) = sla_secs {
            let y = hours(sla as f64);
            chart
                .draw_series(LineSeries::new(
                    vec![(-0.5, y), (n as f64 - 0.5, y)],
                    TARGET.stroke_width(1),
                ))?
                .label("target")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], TARGET.stroke_width(1)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(INK.mix(0.3))
            .label_font(label_style())
            .draw()?;
        root.present()?;
        Ok(())
    })
}

/// What was still open at the end of each day.
pub fn backlog(days: &[DayStats]) -> Option<String> {
    let n = days.len().max(1);
    let top = days.iter().map(|d| d.backlog).max().unwrap_or(0).max(1) as f64 * 1.15;
    svg((WIDTH, 200), "backlog", |root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(10))
            .x_label_formatter(&|x| day_label(days, *x))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(label_style())
            .light_line_style(TRANSPARENT)
            .bold_line_style(INK.mix(0.12))
            .draw()?;
        let points: Vec<(f64, f64)> = days
            .iter()
            .enumerate()
            .map(|(i, d)| (i as f64, d.backlog as f64))
            .collect();
        chart.draw_series(
            AreaSeries::new(points.clone(), 0.0, MENTIONS.mix(0.2)).border_style(MENTIONS.stroke_width(2)),
        )?;
        chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, MENTIONS.filled())))?;
        root.present()?;
        Ok(())
    })
}

/// A weekday × hour map: each cell's shade its value against the largest (`None`: nothing).
pub fn heat(values: &[[Option<f64>; 24]; 7], what: &str) -> Option<String> {
    let top = values.iter().flatten().flatten().fold(0.0f64, |a, b| a.max(*b));
    svg((WIDTH, 240), what, |root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(26)
            .y_label_area_size(44)
            .build_cartesian_2d((0i32..24).into_segmented(), (0i32..7).into_segmented())?;
        let at = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => Some(*i),
            SegmentValue::Last => None,
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(24)
            .y_labels(7)
            .x_label_formatter(&|h| {
                at(h)
                    .filter(|h| h % 3 == 0)
                    .map(|h| format!("{h:02}"))
                    .unwrap_or_default()
            })
            // Monday on top.
            .y_label_formatter(&|d| {
                at(d)
                    .filter(|d| (0..7).contains(d))
                    .map(|d| super::weekday(6 - d as usize)[..3].to_string())
                    .unwrap_or_default()
            })
            .label_style(label_style())
            .light_line_style(TRANSPARENT)
            .bold_line_style(INK.mix(0.12))
            .draw()?;
        chart.draw_series(values.iter().enumerate().flat_map(|(d, row)| {
            row.iter().enumerate().map(move |(h, v)| {
                let y = 6 - d as i32;
                let shade = match v {
                    Some(v) if top > 0.0 => HEAT.mix(0.12 + 0.88 * (v / top)).filled(),
                    _ => RGBColor(0xf2, 0xf2, 0xf2).filled(),
                };
                Rectangle::new(
                    [
                        (SegmentValue::Exact(h as i32), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(h as i32 + 1), SegmentValue::Exact(y + 1)),
                    ],
                    shade,
                )
            })
        }))?;
        root.present()?;
        Ok(())
    })
}
