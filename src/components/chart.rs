//! A chart of the result: bar, line, scatter or histogram, x / y / series picked from
//! its columns (with defaults from their types: a time and a number make a line, text
//! and a number make bars), drawn as SVG from points the engine computed over every
//! row, and saved as SVG or PNG.

use std::rc::Rc;

use kiln_protocol::{AxisKind, ChartData, ChartKind, ChartSpec, FieldSummaryRef};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag, HtmlCanvasElement, HtmlImageElement, HtmlSelectElement, Url};
use yew::prelude::*;

use crate::result::QueryResult;
use crate::storage::download;

const W: f64 = 880.0;
const H: f64 = 380.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 62.0;
const PALETTE: [&str; 12] = [
    "#c2410c", "#2563eb", "#15803d", "#9333ea", "#0891b2", "#ca8a04", "#db2777", "#4b5563",
    "#0d9488", "#7c3aed", "#b91c1c", "#65a30d",
];

#[derive(Properties, PartialEq)]
pub struct Props {
    pub result: Rc<QueryResult>,
    pub on_draw: Callback<ChartSpec>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Time,
    Text,
}

fn kind_of(column: &FieldSummaryRef) -> Kind {
    let t = column.data_type.as_str();
    if t.starts_with("Timestamp") || t.starts_with("Date") {
        Kind::Time
    } else if ["Int", "UInt", "Float", "Decimal"]
        .iter()
        .any(|p| t.starts_with(p))
    {
        Kind::Number
    } else {
        Kind::Text
    }
}

/// What to draw before the user picks: a time and a number make a line; a category
/// (text, or a small result's first integer column) and a number make bars; two numbers
/// a scatter; one number a histogram.
pub fn default_spec(columns: &[FieldSummaryRef], rows: u64) -> Option<ChartSpec> {
    let of = |k: Kind| columns.iter().filter(move |c| kind_of(c) == k);
    let spec = |kind, x: &FieldSummaryRef, y: Option<&FieldSummaryRef>| ChartSpec {
        kind,
        x: x.name.clone(),
        y: y.map(|c| c.name.clone()),
        series: None,
    };
    let first_number = of(Kind::Number).next();
    if let (Some(t), Some(n)) = (of(Kind::Time).next(), first_number) {
        return Some(spec(ChartKind::Line, t, Some(n)));
    }
    if let (Some(c), Some(n)) = (of(Kind::Text).next(), first_number) {
        return Some(spec(ChartKind::Bar, c, Some(n)));
    }
    let numbers: Vec<&FieldSummaryRef> = of(Kind::Number).collect();
    match numbers.as_slice() {
        [first, second, ..] if rows <= 50 && first.data_type.contains("Int") => {
            Some(spec(ChartKind::Bar, first, Some(second)))
        }
        [first, second, ..] => Some(spec(ChartKind::Scatter, first, Some(second))),
        [only] => Some(spec(ChartKind::Histogram, only, None)),
        [] => None,
    }
}

/// About `n` round tick values covering `lo..hi`.
fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if hi.is_nan() || lo.is_nan() || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / n as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        // A hair of slack: 0.6 / 3 is 0.20000000000000004 in floats.
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil();
    // Rounded to the step's decimals, so 3 × 0.2 is 0.6 and not 0.6000000000000001.
    let decimals = (-step.log10().floor()).max(0.0) as i32;
    let scale = 10f64.powi(decimals);
    (0..)
        .map(|i| ((first + i as f64) * step * scale).round() / scale)
        .take_while(|v| *v <= hi + step * 1e-9)
        .take(50)
        .collect()
}

fn number_label(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn time_label(ms: f64, span_ms: f64) -> String {
    let iso = js_sys::Date::new(&JsValue::from_f64(ms))
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    // Dates for a span of days or more, times within one.
    if span_ms >= 2.0 * 86_400_000.0 {
        iso.chars().take(10).collect()
    } else {
        iso.chars()
            .skip(5)
            .take(11)
            .collect::<String>()
            .replace('T', " ")
    }
}

struct Scale {
    lo: f64,
    hi: f64,
    from: f64,
    to: f64,
}

impl Scale {
    fn new(lo: f64, hi: f64, from: f64, to: f64) -> Self {
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else {
            (lo - 1.0, hi + 1.0)
        };
        Self { lo, hi, from, to }
    }

    fn at(&self, v: f64) -> f64 {
        self.from + (v - self.lo) / (self.hi - self.lo) * (self.to - self.from)
    }
}

fn draw(data: &ChartData) -> Html {
    let kind = data.spec.kind;
    let points = data.series.iter().flat_map(|s| s.points.iter());
    let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for (x, y) in points {
        x_lo = x_lo.min(*x);
        x_hi = x_hi.max(*x);
        y_lo = y_lo.min(*y);
        y_hi = y_hi.max(*y);
    }
    if !x_lo.is_finite() {
        return html! { <p class="empty" data-testid="chart-empty">{"Nothing to draw: every row's value is NULL."}</p> };
    }
    let bars = matches!(kind, ChartKind::Bar | ChartKind::Histogram);
    if bars {
        y_lo = y_lo.min(0.0);
        y_hi = y_hi.max(0.0);
    }
    if kind == ChartKind::Histogram {
        x_hi += data.bin_width.unwrap_or(1.0);
    }
    let y_ticks = ticks(y_lo, y_hi, 5);
    let y_scale = Scale::new(
        y_lo.min(y_ticks.first().copied().unwrap_or(y_lo)),
        y_hi.max(y_ticks.last().copied().unwrap_or(y_hi)),
        H - BOTTOM,
        TOP,
    );
    let plot_w = W - LEFT - RIGHT;
    let categories = data.categories.len().max(1) as f64;
    let band = plot_w / categories;
    let x_scale = Scale::new(x_lo, x_hi, LEFT, W - RIGHT);
    let x_of = |x: f64| match (kind, data.x_axis) {
        (ChartKind::Bar, _) => LEFT + (x + 0.5) * band,
        _ => x_scale.at(x),
    };

    let y_axis: Html = y_ticks
        .iter()
        .map(|v| {
            let y = y_scale.at(*v);
            html! {
                <g>
                    <line x1={LEFT.to_string()} x2={(W - RIGHT).to_string()} y1={y.to_string()} y2={y.to_string()}
                        stroke="#e5e7eb" />
                    <text x={(LEFT - 6.0).to_string()} y={(y + 4.0).to_string()} text-anchor="end"
                        font-size="11" fill="#6b7280">{ number_label(*v) }</text>
                </g>
            }
        })
        .collect();
    let x_axis: Html = match (kind, data.x_axis) {
        (ChartKind::Bar, _) => {
            let every = (data.categories.len() / 24).max(1);
            data.categories
                .iter()
                .enumerate()
                .filter(|(i, _)| i % every == 0)
                .map(|(i, c)| {
                    let x = LEFT + (i as f64 + 0.5) * band;
                    let label: String = c.chars().take(16).collect();
                    html! {
                        <text x={x.to_string()} y={(H - BOTTOM + 14.0).to_string()} font-size="11" fill="#6b7280"
                            text-anchor="end" transform={format!("rotate(-35 {x} {})", H - BOTTOM + 14.0)}>{ label }</text>
                    }
                })
                .collect()
        }
        (_, axis) => ticks(x_lo, x_hi, 6)
            .into_iter()
            .map(|v| {
                let x = x_scale.at(v);
                let label = if axis == AxisKind::Time {
                    time_label(v, x_hi - x_lo)
                } else {
                    number_label(v)
                };
                html! {
                    <text x={x.to_string()} y={(H - BOTTOM + 16.0).to_string()} font-size="11" fill="#6b7280"
                        text-anchor="middle">{ label }</text>
                }
            })
            .collect(),
    };

    let series_count = data.series.len().max(1) as f64;
    let marks: Html = data
        .series
        .iter()
        .enumerate()
        .map(|(si, s)| {
            let color = PALETTE[si % PALETTE.len()];
            match kind {
                ChartKind::Bar => {
                    let w = band * 0.8 / series_count;
                    s.points
                        .iter()
                        .map(|(x, y)| {
                            let bx = LEFT + x * band + band * 0.1 + si as f64 * w;
                            let (y0, y1) = (y_scale.at(0.0), y_scale.at(*y));
                            let category = data.categories.get(*x as usize).cloned().unwrap_or_default();
                            html! {
                                <rect data-testid="chart-bar" data-x={category.clone()} data-value={y.to_string()}
                                    data-series={s.name.clone()} x={bx.to_string()} y={y0.min(y1).to_string()}
                                    width={w.max(1.0).to_string()} height={(y0 - y1).abs().to_string()} fill={color}>
                                    <title>{ format!("{category}: {}", number_label(*y)) }</title>
                                </rect>
                            }
                        })
                        .collect::<Html>()
                }
                ChartKind::Histogram => {
                    let width = data.bin_width.unwrap_or(1.0);
                    s.points
                        .iter()
                        .map(|(x, count)| {
                            let (x0, x1) = (x_scale.at(*x), x_scale.at(x + width));
                            let (y0, y1) = (y_scale.at(0.0), y_scale.at(*count));
                            html! {
                                <rect data-testid="chart-bin" data-from={x.to_string()} data-count={count.to_string()}
                                    x={x0.to_string()} y={y1.to_string()} width={(x1 - x0 - 1.0).max(1.0).to_string()}
                                    height={(y0 - y1).to_string()} fill={color}>
                                    <title>{ format!("{} to {}: {count}", number_label(*x), number_label(x + width)) }</title>
                                </rect>
                            }
                        })
                        .collect::<Html>()
                }
                ChartKind::Line => {
                    let d: String = s
                        .points
                        .iter()
                        .enumerate()
                        .map(|(i, (x, y))| format!("{}{:.1},{:.1}", if i == 0 { "M" } else { " L" }, x_of(*x), y_scale.at(*y)))
                        .collect();
                    html! {
                        <path data-testid="chart-line" data-series={s.name.clone()} data-points={s.points.len().to_string()}
                            d={d} fill="none" stroke={color} stroke-width="2" />
                    }
                }
                ChartKind::Scatter => s
                    .points
                    .iter()
                    .map(|(x, y)| html! {
                        <circle data-testid="chart-point" cx={format!("{:.1}", x_of(*x))} cy={format!("{:.1}", y_scale.at(*y))}
                            r="2.5" fill={color} fill-opacity="0.6" />
                    })
                    .collect::<Html>(),
            }
        })
        .collect();

    let legend: Html = if data.series.len() > 1 {
        data.series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let x = LEFT + 10.0 + (i % 6) as f64 * 130.0;
                let y = 12.0 + (i / 6) as f64 * 14.0;
                html! {
                    <g>
                        <rect x={x.to_string()} y={(y - 8.0).to_string()} width="10" height="10" fill={PALETTE[i % PALETTE.len()]} />
                        <text x={(x + 14.0).to_string()} y={(y + 1.0).to_string()} font-size="11" fill="#374151">
                            { s.name.chars().take(16).collect::<String>() }
                        </text>
                    </g>
                }
            })
            .collect()
    } else {
        Html::default()
    };
    let y_name = match (&data.spec.y, kind) {
        (_, ChartKind::Histogram) => "rows".to_string(),
        (Some(y), ChartKind::Bar) => format!("sum of {y}"),
        (Some(y), _) => y.clone(),
        (None, _) => String::new(),
    };

    html! {
        <svg xmlns="http://www.w3.org/2000/svg" class="chart" data-testid="chart-svg"
            data-kind={kind.label().to_lowercase()} viewBox={format!("0 0 {W} {H}")}
            width={W.to_string()} height={H.to_string()} font-family="sans-serif">
            <rect width={W.to_string()} height={H.to_string()} fill="#ffffff" />
            { y_axis }
            <line x1={LEFT.to_string()} x2={(W - RIGHT).to_string()} y1={(H - BOTTOM).to_string()}
                y2={(H - BOTTOM).to_string()} stroke="#9ca3af" />
            { x_axis }
            { marks }
            { legend }
            <text x={((LEFT + W - RIGHT) / 2.0).to_string()} y={(H - 6.0).to_string()} text-anchor="middle"
                font-size="12" fill="#374151">{ data.spec.x.clone() }</text>
            <text x="14" y={((TOP + H - BOTTOM) / 2.0).to_string()} text-anchor="middle" font-size="12" fill="#374151"
                transform={format!("rotate(-90 14 {})", (TOP + H - BOTTOM) / 2.0)}>{ y_name }</text>
        </svg>
    }
}

fn svg_markup(svg: &web_sys::Element) -> Result<String, JsValue> {
    web_sys::XmlSerializer::new()?.serialize_to_string(svg)
}

fn save_svg(svg: &web_sys::Element, name: &str) -> Result<(), JsValue> {
    let markup = svg_markup(svg)?;
    let options = BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    let parts = js_sys::Array::of1(&JsValue::from_str(&markup));
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    download::save_blob(&blob, name)
}

/// Draws the SVG on a canvas at twice its size and saves that as PNG.
fn save_png(svg: &web_sys::Element, name: &str) -> Result<(), JsValue> {
    let markup = svg_markup(svg)?;
    let options = BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    let parts = js_sys::Array::of1(&JsValue::from_str(&markup));
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let image = HtmlImageElement::new()?;
    let name = name.to_string();
    let loaded = image.clone();
    let source = url.clone();
    let on_load = Closure::once_into_js(move || {
        let done = (|| -> Result<(), JsValue> {
            let document = web_sys::window()
                .and_then(|w| w.document())
                .ok_or("no document")?;
            let canvas: HtmlCanvasElement = document.create_element("canvas")?.dyn_into()?;
            canvas.set_width((W * 2.0) as u32);
            canvas.set_height((H * 2.0) as u32);
            let context: web_sys::CanvasRenderingContext2d = canvas
                .get_context("2d")?
                .ok_or("no 2d context")?
                .dyn_into()?;
            context.scale(2.0, 2.0)?;
            context.draw_image_with_html_image_element(&loaded, 0.0, 0.0)?;
            let save = Closure::once_into_js(move |blob: JsValue| {
                if let Ok(blob) = blob.dyn_into::<Blob>() {
                    let _ = download::save_blob(&blob, &name);
                }
            });
            canvas.to_blob(save.unchecked_ref())?;
            Ok(())
        })();
        let _ = Url::revoke_object_url(&source);
        if let Err(e) = done {
            web_sys::console::error_1(&e);
        }
    });
    image.set_onload(Some(on_load.unchecked_ref()));
    image.set_src(&url);
    Ok(())
}

#[component]
pub fn Chart(props: &Props) -> Html {
    let result = &props.result;
    let columns = result.summary.columns.clone();
    let total = result.summary.total_rows;
    let spec = use_state(|| default_spec(&columns, total));
    let svg = use_node_ref();
    let save_error = use_state(|| None::<String>);
    {
        // A new result gets its own default chart.
        let spec = spec.clone();
        let columns = columns.clone();
        use_effect_with(result.result_id, move |_| {
            spec.set(default_spec(&columns, total))
        });
    }
    {
        let on_draw = props.on_draw.clone();
        let detached = result.detached;
        use_effect_with(((*spec).clone(), result.result_id), move |(spec, _)| {
            if let Some(spec) = spec.clone().filter(|_| !detached) {
                on_draw.emit(spec);
            }
        });
    }
    let Some(current) = (*spec).clone() else {
        return html! { <p class="empty" data-testid="chart-empty">{"Nothing to chart: the result has no number or time column."}</p> };
    };
    let pick = |apply: fn(&mut ChartSpec, String)| {
        let spec = spec.clone();
        Callback::from(move |e: Event| {
            let value = e
                .target_dyn_into::<HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_default();
            if let Some(mut next) = (*spec).clone() {
                apply(&mut next, value);
                spec.set(Some(next));
            }
        })
    };
    let on_kind = pick(|s, v| {
        if let Some(k) = ChartKind::ALL.iter().find(|k| k.label() == v) {
            s.kind = *k;
        }
    });
    let on_x = pick(|s, v| s.x = v);
    let on_y = pick(|s, v| s.y = Some(v));
    let on_series = pick(|s, v| s.series = (!v.is_empty()).then_some(v));
    let select = |testid: &'static str,
                  options: Vec<String>,
                  selected: Option<String>,
                  onchange: Callback<Event>,
                  none: bool| {
        html! {
            <select data-testid={testid} onchange={onchange}>
                if none {
                    <option value="" selected={selected.is_none()}>{"(none)"}</option>
                }
                { for options.into_iter().map(|o| html! {
                    <option value={o.clone()} selected={selected.as_deref() == Some(o.as_str())}>{ o }</option>
                }) }
            </select>
        }
    };
    let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let save = |png: bool| {
        let svg = svg.clone();
        let save_error = save_error.clone();
        let name = format!(
            "kiln-chart-{}.{}",
            result.result_id,
            if png { "png" } else { "svg" }
        );
        Callback::from(move |_: MouseEvent| {
            let Some(element) = svg
                .cast::<web_sys::Element>()
                .and_then(|d| d.first_element_child())
            else {
                return;
            };
            let saved = if png {
                save_png(&element, &name)
            } else {
                save_svg(&element, &name)
            };
            save_error.set(saved.err().map(|e| crate::js::describe(&e)));
        })
    };
    let drawn = result
        .chart
        .as_ref()
        .filter(|c| c.spec == current)
        .map(|c| {
            let note = match (c.sampled, c.skipped) {
                (false, 0) => String::new(),
                (sampled, skipped) => {
                    let mut parts = Vec::new();
                    if sampled {
                        parts.push("thinned out to draw".to_string());
                    }
                    if skipped > 0 {
                        parts.push(format!("{skipped} rows with NULL left out"));
                    }
                    parts.join(", ")
                }
            };
            html! {
                <>
                <div ref={svg.clone()} class="chart-frame" tabindex="0" role="region" aria-label="Chart">{ draw(c) }</div>
                if !note.is_empty() {
                    <p class="muted" data-testid="chart-note">{ note }</p>
                }
                </>
            }
        });

    html! {
        <section class="chart-builder" data-testid="chart">
            <div class="chart-controls">
                <label>{"Chart "}{ select("chart-kind", ChartKind::ALL.iter().map(|k| k.label().to_string()).collect(),
                    Some(current.kind.label().to_string()), on_kind, false) }</label>
                <label>{"x "}{ select("chart-x", names.clone(), Some(current.x.clone()), on_x, false) }</label>
                if current.kind.has_y() {
                    <label>{"y "}{ select("chart-y", names.clone(), current.y.clone(), on_y, false) }</label>
                }
                <label>{"series "}{ select("chart-series", names, current.series.clone(), on_series, true) }</label>
                <button class="button" data-testid="chart-save-svg" onclick={save(false)}>{"Save SVG"}</button>
                <button class="button" data-testid="chart-save-png" onclick={save(true)}>{"Save PNG"}</button>
                if let Some(e) = (*save_error).clone() {
                    <span class="error-text">{ e }</span>
                }
            </div>
            { drawn.unwrap_or_else(|| html! { <p class="empty">{"Drawing…"}</p> }) }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, data_type: &str) -> FieldSummaryRef {
        FieldSummaryRef {
            name: name.into(),
            data_type: data_type.into(),
            sql_type: String::new(),
        }
    }

    #[test]
    fn defaults_follow_column_types() {
        let month = col("month", "Timestamp(Microsecond, None)");
        let total = col("total", "Float64");
        let zone = col("zone", "Utf8View");
        let kind = |cols: &[FieldSummaryRef], rows| default_spec(cols, rows).map(|s| s.kind);
        assert_eq!(kind(&[month, total.clone()], 12), Some(ChartKind::Line));
        assert_eq!(kind(&[zone, total.clone()], 300), Some(ChartKind::Bar));
        let payment = col("payment_type", "Int64");
        assert_eq!(
            kind(&[payment.clone(), total.clone()], 5),
            Some(ChartKind::Bar)
        );
        assert_eq!(
            kind(&[payment, total.clone()], 5_000),
            Some(ChartKind::Scatter)
        );
        assert_eq!(kind(&[total], 5_000), Some(ChartKind::Histogram));
        assert_eq!(kind(&[col("name", "Utf8")], 5), None);
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            ticks(0.0, 100.0, 5),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(ticks(0.3, 0.9, 3), vec![0.4, 0.6, 0.8]);
        assert_eq!(ticks(5.0, 5.0, 5), vec![5.0]);
    }
}
