//! One page of a query result. Values arrive as text and are rendered as text nodes only.

use std::rc::Rc;

use yew::prelude::*;

use crate::format::{elapsed_ms, group_digits};
use crate::state::QueryResult;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub result: Rc<QueryResult>,
    pub page_loading: bool,
    /// Asks for the page starting at this row offset.
    pub on_page: Callback<u64>,
}

#[component]
pub fn ResultTable(props: &Props) -> Html {
    let result = &props.result;
    let summary = &result.summary;
    let (first, last) = result.shown_range();
    let can_page = !result.detached && !props.page_loading;
    let prev = result.prev_offset().filter(|_| can_page);
    let next = result.next_offset().filter(|_| can_page);
    let go = |offset: Option<u64>| {
        let on_page = props.on_page.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(offset) = offset {
                on_page.emit(offset);
            }
        })
    };

    html! {
        <section class="result" aria-label="Query result">
            <div class="result-bar">
                <span class="result-stats">
                    <strong data-testid="result-rowcount" title={group_digits(summary.total_rows)}>{ summary.total_rows }</strong>
                    { if summary.total_rows == 1 { " row" } else { " rows" } }
                    {" in "}
                    <span data-testid="result-elapsed">{ elapsed_ms(summary.elapsed_ms) }</span>
                </span>
                if result.detached {
                    <span class="muted" title="The engine restarted; run the query again to page through it">
                        {"result no longer held by the engine"}
                    </span>
                }
                <span class="pager">
                    <button class="button" data-testid="page-prev" disabled={prev.is_none()} onclick={go(prev)}
                        aria-label="Previous page">{"‹ Prev"}</button>
                    <span class="page-info" data-testid="page-info" aria-live="polite">
                        { format!("rows {first}-{last} of {}", summary.total_rows) }
                    </span>
                    <button class="button" data-testid="page-next" disabled={next.is_none()} onclick={go(next)}
                        aria-label="Next page">{"Next ›"}</button>
                </span>
            </div>
            if summary.columns.is_empty() {
                <p class="empty">{"The statement returned no columns."}</p>
            } else {
                <div class={classes!("table-scroll", props.page_loading.then_some("loading"))}>
                    <table class="grid result-table" data-testid="result-table">
                        <thead>
                            <tr>
                                { for summary.columns.iter().map(|c| html! {
                                    <th title={format!("{}: {}", c.name, c.data_type)}>
                                        <span class="col-name">{ c.name.clone() }</span>
                                        <span class="col-type">{ c.data_type.clone() }</span>
                                    </th>
                                }) }
                            </tr>
                        </thead>
                        <tbody>
                            { for result.page.rows.iter().map(|row| html! {
                                <tr>
                                    { for row.iter().map(cell) }
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
        </section>
    }
}

fn cell(value: &Option<String>) -> Html {
    match value {
        None => html! { <td class="null"><span class="null-badge">{"NULL"}</span></td> },
        Some(text) => html! { <td title={text.clone()}>{ text.clone() }</td> },
    }
}
