//! A query result of any size as a table: only the rows in view are on the page (the
//! rest stays as Arrow in the engine worker and is fetched by block as it scrolls into
//! view), with jump to row, resizable columns, types in the header, NULL shown apart
//! from text, and a long value's full text on click. Values are only ever text nodes.

use std::rc::Rc;

use kiln_protocol::FieldSummaryRef;
use web_sys::{Element, HtmlInputElement};
use yew::prelude::*;

use crate::components::column_profile::{ColumnProfileCell, PROFILE_H};
use crate::format::{elapsed_ms, group_digits};
use crate::result::{ProfileState, QueryResult};

/// Height of one row, in px (the stylesheet gives rows exactly this height).
const ROW_H: f64 = 26.0;
const HEADER_H: f64 = 40.0;
/// Height of the scrolling viewport, in px, unless resized.
pub const VIEW_H: f64 = 440.0;
/// Browsers cap an element's height (Chromium near 33 million px): past this, the
/// scrollbar maps onto the rows proportionally instead of a row per 26 px.
const MAX_SCROLL_H: f64 = 8_000_000.0;
const ROW_NUMBER_W: f64 = 72.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub result: Rc<QueryResult>,
    /// Asks for the block of rows starting at this offset.
    pub on_fetch: Callback<u64>,
    /// A profile bar's condition, to filter the result by (only for SQL results).
    #[prop_or_default]
    pub on_filter: Option<Callback<String>>,
    /// The viewport's height in px (the person can drag it).
    #[prop_or(VIEW_H)]
    pub height: f64,
}

/// Which rows a scroll position shows, and how the scrollbar maps onto them.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Window {
    /// Rows that fit in the viewport.
    visible: u64,
    /// The last row that can be the first shown.
    max_first: u64,
    /// Scrollable distance, in px.
    range: f64,
}

impl Window {
    /// `view_h` without the profiles' row: the viewport grows by it, so as many rows
    /// show with it as without.
    fn new(total_rows: u64, view_h: f64) -> Self {
        let visible = (((view_h - HEADER_H) / ROW_H).floor() as u64).max(1);
        let max_first = total_rows.saturating_sub(visible);
        Self {
            visible,
            max_first,
            range: (max_first as f64 * ROW_H).min(MAX_SCROLL_H),
        }
    }

    fn first_row(&self, scroll_top: f64) -> u64 {
        if self.range <= 0.0 {
            return 0;
        }
        let at = (scroll_top / self.range).clamp(0.0, 1.0);
        ((at * self.max_first as f64).round() as u64).min(self.max_first)
    }

    fn scroll_top_of(&self, first: u64) -> f64 {
        if self.max_first == 0 {
            0.0
        } else {
            first.min(self.max_first) as f64 / self.max_first as f64 * self.range
        }
    }
}

fn default_width(column: &FieldSummaryRef) -> f64 {
    let t = column.data_type.as_str();
    if t.starts_with("Timestamp") || t.starts_with("Date") {
        190.0
    } else if t.contains("Int") || t.starts_with("Float") || t.starts_with("Decimal") {
        120.0
    } else {
        200.0
    }
}

/// The drag that resizes a column: which column, where the pointer started, and the
/// column's width then.
type Drag = Option<(usize, f64, f64)>;

#[component]
pub fn ResultTable(props: &Props) -> Html {
    let result = &props.result;
    let summary = &result.summary;
    let total = summary.total_rows;
    // The profiles' row is there from the start (filled in when they arrive), so the
    // rows do not jump when it does.
    let profiled = total > 0;
    let extra_h = if profiled { PROFILE_H } else { 0.0 };
    let view_h = props.height + extra_h;
    let window = Window::new(total, props.height);
    let scroll_top = use_state(|| 0.0_f64);
    let scroller = use_node_ref();
    let spacer = use_node_ref();
    let table_ref = use_node_ref();
    let colgroup = use_node_ref();
    let widths = use_state(|| {
        summary
            .columns
            .iter()
            .map(default_width)
            .collect::<Vec<_>>()
    });
    let drag = use_mut_ref(|| Drag::None);
    let detail = use_state(|| None::<(u64, usize)>);
    let jump_text = use_state(String::new);

    // A new result starts at its top, with its own column widths.
    {
        let (scroll_top, widths, detail, scroller) = (
            scroll_top.clone(),
            widths.clone(),
            detail.clone(),
            scroller.clone(),
        );
        let columns = summary.columns.clone();
        use_effect_with(result.result_id, move |_| {
            scroll_top.set(0.0);
            widths.set(columns.iter().map(default_width).collect());
            detail.set(None);
            if let Some(el) = scroller.cast::<Element>() {
                el.set_scroll_top(0);
            }
        });
    }

    let first = window.first_row(*scroll_top);
    let shown = window.visible.min(total);
    {
        let missing = if result.detached {
            Vec::new()
        } else {
            result.missing(first, shown)
        };
        let on_fetch = props.on_fetch.clone();
        use_effect_with(missing, move |missing| {
            for offset in missing {
                on_fetch.emit(*offset);
            }
        });
    }

    let on_scroll = {
        let scroll_top = scroll_top.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<Element>() {
                scroll_top.set(el.scroll_top() as f64);
            }
        })
    };
    let go_to = {
        let scroller = scroller.clone();
        let scroll_top = scroll_top.clone();
        move |row: u64| {
            let top = window.scroll_top_of(row);
            if let Some(el) = scroller.cast::<Element>() {
                el.set_scroll_top(top.round() as i32);
            }
            scroll_top.set(top);
        }
    };
    let on_jump_input = {
        let jump_text = jump_text.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                jump_text.set(input.value());
            }
        })
    };
    let on_jump = {
        let jump_text = jump_text.clone();
        let go_to = go_to.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let digits: String = jump_text.chars().filter(|c| c.is_ascii_digit()).collect();
            if let Ok(row) = digits.parse::<u64>() {
                go_to(row.saturating_sub(1));
            }
        })
    };
    let on_last = {
        let go_to = go_to.clone();
        Callback::from(move |_: MouseEvent| go_to(u64::MAX))
    };

    let start_drag = |col: usize| {
        let drag = drag.clone();
        let widths = widths.clone();
        Callback::from(move |e: PointerEvent| {
            e.prevent_default();
            if let Some(el) = e.target_dyn_into::<Element>() {
                let _ = el.set_pointer_capture(e.pointer_id());
            }
            let width = widths.get(col).copied().unwrap_or(120.0);
            *drag.borrow_mut() = Some((col, e.client_x() as f64, width));
        })
    };
    let on_drag = {
        let drag = drag.clone();
        let widths = widths.clone();
        Callback::from(move |e: PointerEvent| {
            let Some((col, start_x, start_w)) = *drag.borrow() else {
                return;
            };
            let mut next = (*widths).clone();
            if let Some(w) = next.get_mut(col) {
                *w = (start_w + e.client_x() as f64 - start_x).clamp(48.0, 1200.0);
                widths.set(next);
            }
        })
    };
    let end_drag = {
        let drag = drag.clone();
        Callback::from(move |_: PointerEvent| *drag.borrow_mut() = None)
    };

    let table_width: f64 = ROW_NUMBER_W + widths.iter().sum::<f64>();
    let rows = (first..first + shown).map(|index| {
        let row = result.row(index);
        let cells = summary.columns.iter().enumerate().map(|(col, _)| {
            let open = {
                let detail = detail.clone();
                Callback::from(move |_: MouseEvent| detail.set(Some((index, col))))
            };
            match row.map(|r| r.get(col).cloned().unwrap_or(None)) {
                None => html! { <td class="loading">{"…"}</td> },
                Some(None) => html! {
                    <td class="null" onclick={open}><span class="null-badge">{"NULL"}</span></td>
                },
                Some(Some(text)) => html! { <td onclick={open}>{ text }</td> },
            }
        });
        html! {
            <tr data-row={(index + 1).to_string()}>
                <th class="row-number" scope="row">{ group_digits(index + 1) }</th>
                { for cells }
            </tr>
        }
    });

    let detail_panel = detail.and_then(|(row, col)| {
        let column = summary.columns.get(col)?;
        let value = result.row(row).map(|r| r.get(col).cloned().unwrap_or(None));
        let close = {
            let detail = detail.clone();
            Callback::from(move |_: MouseEvent| detail.set(None))
        };
        Some(html! {
            <div class="cell-detail" data-testid="cell-detail">
                <div class="cell-detail-head">
                    <strong>{ format!("{} · row {}", column.name, group_digits(row + 1)) }</strong>
                    <span class="muted" title={format!("Arrow type: {}", column.data_type)}>{ column.shown_type().to_string() }</span>
                    <button class="link" onclick={close}>{"Close"}</button>
                </div>
                { match value {
                    Some(Some(text)) => html! { <pre data-testid="cell-value">{ text }</pre> },
                    Some(None) => html! { <pre class="null" data-testid="cell-value">{"NULL"}</pre> },
                    None => html! { <pre>{"(scrolled away)"}</pre> },
                } }
            </div>
        })
    });

    // Sizes and positions go through the CSSOM: the page's Content-Security-Policy
    // refuses inline style attributes.
    {
        let (scroller, spacer, table_ref, colgroup) = (
            scroller.clone(),
            spacer.clone(),
            table_ref.clone(),
            colgroup.clone(),
        );
        let widths: Vec<_> = (*widths).clone();
        let layout = (
            window.range.to_bits(),
            view_h.to_bits(),
            table_width,
            *scroll_top,
            widths.clone(),
        );
        use_effect_with(layout, move |_| {
            set_style(&scroller, &format!("height: {view_h}px"));
            set_style(
                &spacer,
                &format!(
                    "height: {}px; width: {table_width}px",
                    view_h + window.range
                ),
            );
            set_style(
                &table_ref,
                &format!("top: {}px; width: {table_width}px", *scroll_top),
            );
            if let Some(group) = colgroup.cast::<web_sys::Element>() {
                let cols = group.children();
                for i in 0..cols.length() {
                    let w = if i == 0 {
                        ROW_NUMBER_W
                    } else {
                        widths.get(i as usize - 1).copied().unwrap_or(ROW_NUMBER_W)
                    };
                    if let Some(col) = cols.item(i).and_then(|c| {
                        wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(c).ok()
                    }) {
                        col.style().set_css_text(&format!("width: {w}px"));
                    }
                }
            }
        });
    }

    html! {
        <section class="result" aria-label="Query result">
            <div class="result-bar">
                <span class="result-stats">
                    <strong data-testid="result-rowcount" title={group_digits(total)}>{ total }</strong>
                    { if total == 1 { " row" } else { " rows" } }
                    {" in "}
                    <span data-testid="result-elapsed">{ elapsed_ms(summary.elapsed_ms) }</span>
                </span>
                if result.detached {
                    <span class="muted" title="The engine restarted; run the query again to scroll through it">
                        {"result no longer held by the engine"}
                    </span>
                }
                <form class="jump" onsubmit={on_jump}>
                    <span class="page-info" data-testid="page-info" aria-live="polite">
                        { if shown == 0 { "no rows".to_string() } else {
                            format!("rows {}–{} of {}", group_digits(first + 1), group_digits(first + shown), group_digits(total))
                        } }
                    </span>
                    <input type="text" inputmode="numeric" placeholder="row" data-testid="jump-row"
                        aria-label="Jump to row" value={(*jump_text).clone()} oninput={on_jump_input} />
                    <button class="button" type="submit" data-testid="jump-go">{"Go"}</button>
                    <button class="button" type="button" data-testid="jump-last" onclick={on_last}>{"Last"}</button>
                </form>
            </div>
            if summary.columns.is_empty() {
                <p class="empty">{"The statement returned no columns."}</p>
            } else {
                <div class="vtable" ref={scroller} onscroll={on_scroll} data-testid="result-scroll">
                    <div class="vtable-spacer" ref={spacer}></div>
                    <table class="grid result-table" data-testid="result-table" data-first-row={(first + 1).to_string()}
                        ref={table_ref}>
                        <colgroup ref={colgroup}>
                            <col />
                            { for widths.iter().map(|_| html! { <col /> }) }
                        </colgroup>
                        <thead>
                            <tr>
                                <th class="row-number">{"#"}</th>
                                { for summary.columns.iter().enumerate().map(|(i, c)| html! {
                                    <th title={format!("{}: {} (Arrow type {})", c.name, c.shown_type(), c.data_type)}>
                                        <span class="col-name">{ c.name.clone() }</span>
                                        <span class="col-type" data-arrow-type={c.data_type.clone()}>{ c.shown_type().to_string() }</span>
                                        <span class="col-resize" data-testid="col-resize" title="Drag to resize"
                                            onpointerdown={start_drag(i)} onpointermove={on_drag.clone()}
                                            onpointerup={end_drag.clone()}></span>
                                    </th>
                                }) }
                            </tr>
                            if profiled {
                                { profile_row(result, props.on_filter.clone()) }
                            }
                        </thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </div>
                { detail_panel.unwrap_or_default() }
            }
        </section>
    }
}

/// The header row of column profiles: what each column holds over the whole result.
fn profile_row(result: &QueryResult, on_filter: Option<Callback<String>>) -> Html {
    let columns = result.summary.columns.len();
    let (state, cells): (&str, Html) = match &result.profile {
        ProfileState::Ready(profile) => (
            "ready",
            profile
                .columns
                .iter()
                .map(|c| {
                    html! {
                        <th class="profile-cell">
                            <ColumnProfileCell profile={c.clone()} rows={profile.rows} on_filter={on_filter.clone()} />
                        </th>
                    }
                })
                .collect(),
        ),
        ProfileState::Failed(message) => (
            "failed",
            html! {
                <th class="profile-cell profile-note" colspan={columns.to_string()}>
                    <span class="invalid-hint">{ format!("No column profiles: {message}") }</span>
                </th>
            },
        ),
        ProfileState::Running | ProfileState::NotAsked if result.detached => (
            "none",
            html! { <th class="profile-cell profile-note muted" colspan={columns.to_string()}>
                {"No column profiles: the engine restarted since this result was made."}</th> },
        ),
        ProfileState::Running | ProfileState::NotAsked => (
            "running",
            (0..columns)
                .map(|_| html! { <th class="profile-cell profile-note muted">{"profiling…"}</th> })
                .collect(),
        ),
    };
    html! {
        <tr class="profile-row" data-testid="profile-row" data-state={state}>
            <th class="row-number" title="Column profiles over every row of the result: histogram or most common values, NULL share, distinct values, range">{"profile"}</th>
            { cells }
        </tr>
    }
}

/// Sets an element's inline style through the CSSOM (allowed under the page's CSP,
/// unlike a `style` attribute).
pub fn set_style(node: &NodeRef, css: &str) {
    if let Some(el) = node.cast::<web_sys::HtmlElement>() {
        el.style().set_css_text(css);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scrollbar_reaches_the_last_row_of_any_result() {
        let small = Window::new(100, VIEW_H);
        assert_eq!(small.first_row(0.0), 0);
        assert_eq!(small.first_row(small.scroll_top_of(40)), 40);
        assert_eq!(small.first_row(small.range), small.max_first);
        assert_eq!(small.range, small.max_first as f64 * ROW_H);

        let huge = Window::new(50_000_000, VIEW_H);
        assert_eq!(huge.range, MAX_SCROLL_H, "capped below the browser's limit");
        assert_eq!(huge.first_row(huge.range), 50_000_000 - huge.visible);
        let middle = huge.scroll_top_of(25_000_000);
        assert_eq!(huge.first_row(middle), 25_000_000);

        let empty = Window::new(0, VIEW_H);
        assert_eq!((empty.first_row(10.0), empty.range), (0, 0.0));
    }
}
