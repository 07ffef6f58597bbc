//! One column's profile in the result header: its histogram (numbers, dates, times) or
//! its most common values as one stacked bar (anything else), the share of NULLs, the
//! distinct count and the range. A bar is a button: its condition becomes a filter.

use kiln_protocol::{ColumnProfile, ColumnShape, ProfileBar};
use yew::prelude::*;

use crate::format::{compact, group_digits};

/// Height of the header row that holds the profiles, in px (the stylesheet gives the
/// row exactly this height, and the result table counts it).
pub const PROFILE_H: f64 = 66.0;
const SVG_W: f64 = 100.0;
const SVG_H: f64 = 26.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub profile: ColumnProfile,
    pub rows: u64,
    /// Where a clicked bar's condition goes; `None` when the result has no SQL to
    /// filter (a program's result).
    pub on_filter: Option<Callback<String>>,
}

fn percent(share: f64) -> String {
    match share {
        0.0 => "0%".into(),
        s if s < 0.001 => "<0.1%".into(),
        s if s < 0.1 => format!("{:.1}%", s * 100.0),
        s => format!("{:.0}%", s * 100.0),
    }
}

#[component]
pub fn ColumnProfileCell(props: &Props) -> Html {
    let p = &props.profile;
    let rows = props.rows;
    let bar = |b: &ProfileBar, x: f64, y: f64, w: f64, h: f64, class: &'static str| {
        let hint = match props.on_filter {
            Some(_) => format!(
                "{}: {} rows. Click to filter the result to them.",
                b.label,
                group_digits(b.rows)
            ),
            None => format!("{}: {} rows", b.label, group_digits(b.rows)),
        };
        let (onclick, onkeydown) = match &props.on_filter {
            Some(on_filter) => {
                let (a, k) = (on_filter.clone(), on_filter.clone());
                let (f1, f2) = (b.filter.clone(), b.filter.clone());
                (
                    Some(Callback::from(move |_: MouseEvent| a.emit(f1.clone()))),
                    Some(Callback::from(move |e: KeyboardEvent| {
                        if e.key() == "Enter" || e.key() == " " {
                            e.prevent_default();
                            k.emit(f2.clone());
                        }
                    })),
                )
            }
            None => (None, None),
        };
        let clickable = props.on_filter.is_some();
        html! {
            <g class={classes!("profile-bar", class, clickable.then_some("clickable"))}
                data-testid="profile-bar" data-rows={b.rows.to_string()} data-filter={b.filter.clone()}
                data-label={b.label.clone()}
                role={clickable.then_some("button")} tabindex={clickable.then_some("0")}
                aria-label={hint.clone()} {onclick} {onkeydown}>
                <title>{ hint }</title>
                // The whole column's height takes the click, so a short bar is easy to hit.
                <rect class="profile-hit" x={x.to_string()} y="0" width={w.to_string()} height={SVG_H.to_string()} />
                <rect class="profile-fill" x={x.to_string()} y={y.to_string()} width={w.to_string()} height={h.max(0.0).to_string()} />
            </g>
        }
    };
    let (kind, drawing) = match &p.shape {
        ColumnShape::Histogram { bins } => {
            let most = bins.iter().map(|b| b.rows).max().unwrap_or(0).max(1) as f64;
            let w = SVG_W / bins.len().max(1) as f64;
            let bars = bins.iter().enumerate().map(|(i, b)| {
                let h = if b.rows == 0 {
                    0.0
                } else {
                    (b.rows as f64 / most * (SVG_H - 2.0)).max(1.5)
                };
                bar(b, i as f64 * w, SVG_H - h, (w - 0.6).max(0.4), h, "bin")
            });
            ("histogram", bars.collect::<Html>())
        }
        ColumnShape::TopValues { values, others } => {
            let total = (values.iter().map(|b| b.rows).sum::<u64>() + others).max(1) as f64;
            let mut x = 0.0;
            let mut parts = Vec::new();
            for (i, b) in values.iter().enumerate() {
                let w = b.rows as f64 / total * SVG_W;
                let class = if i % 2 == 0 {
                    "value even"
                } else {
                    "value odd"
                };
                parts.push(bar(b, x, 6.0, (w - 0.5).max(0.3), SVG_H - 12.0, class));
                x += w;
            }
            if *others > 0 {
                parts.push(html! {
                    <rect class="profile-others" x={x.to_string()} y="6" width={(SVG_W - x).max(0.0).to_string()}
                        height={(SVG_H - 12.0).to_string()}>
                        <title>{ format!("Every other value: {} rows", group_digits(*others)) }</title>
                    </rect>
                });
            }
            ("top-values", parts.into_iter().collect::<Html>())
        }
        ColumnShape::Empty => ("empty", Html::default()),
    };
    let distinct = p.distinct.map(|d| match d {
        0..=1000 => format!("{d} distinct"),
        _ => format!("≈{} distinct", compact(d as f64)),
    });
    let range = match (&p.min, &p.max, &p.shape) {
        (_, _, ColumnShape::TopValues { values, .. }) => values.first().map(|top| {
            format!(
                "top: {} ({})",
                top.label,
                percent(top.rows as f64 / rows.max(1) as f64)
            )
        }),
        (Some(min), Some(max), _) if min == max => Some(min.clone()),
        (Some(min), Some(max), _) => Some(format!("{min} … {max}")),
        _ => None,
    };
    let nulls = format!("{} null", percent(p.null_share(rows)));
    let summary = [Some(nulls.clone()), distinct.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    let title = format!(
        "{}: {} NULL of {} rows{}{}{}",
        p.name,
        group_digits(p.nulls),
        group_digits(rows),
        distinct.map(|d| format!(", {d}")).unwrap_or_default(),
        match (&p.min, &p.max) {
            (Some(min), Some(max)) => format!(", min {min}, max {max}"),
            _ => String::new(),
        },
        if p.distinct.is_some_and(|d| d > 1000) {
            " (distinct is a HyperLogLog estimate, about 1% off)"
        } else {
            ""
        }
    );
    html! {
        <div class="column-profile" data-testid="column-profile" data-column={p.name.clone()} data-kind={kind}
            data-nulls={p.nulls.to_string()} data-distinct={p.distinct.map(|d| d.to_string())}
            data-min={p.min.clone()} data-max={p.max.clone()}>
            <svg class="profile-chart" viewBox={format!("0 0 {SVG_W} {SVG_H}")} preserveAspectRatio="none"
                role="group" aria-label={format!("Profile of {}", p.name)}>
                { drawing }
            </svg>
            <span class="profile-line" title={title.clone()}>{ summary }</span>
            <span class="profile-line profile-range" title={title}>{ range.unwrap_or_default() }</span>
        </div>
    }
}
