//! The streaming demo: a table replayed as micro-batches through a windowed count,
//! each micro-batch's latency and throughput, the windows' running totals, and the
//! same aggregation as one batch job beside it.

use std::rc::Rc;

use kiln_protocol::TableSummary;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::format::{elapsed_ms, group_digits};
use crate::workshop::schedule::{parse_time, timestamp};
use crate::workshop::stream::{StreamSpec, StreamState};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub stream: Option<Rc<StreamState>>,
    pub tables: Rc<Vec<TableSummary>>,
    pub on_start: Callback<StreamSpec>,
    pub can_run: bool,
}

/// The event time of a trip table: its timestamp column named like a pickup.
fn time_column(t: &TableSummary) -> Option<String> {
    t.schema
        .iter()
        .find(|f| {
            f.data_type.starts_with("Timestamp") && f.name.to_ascii_lowercase().contains("pickup")
        })
        .or_else(|| {
            t.schema
                .iter()
                .find(|f| f.data_type.starts_with("Timestamp"))
        })
        .map(|f| f.name.clone())
}

const BATCHES: [(&str, i64); 4] = [
    ("1 hour", 60),
    ("6 hours", 360),
    ("1 day", 1440),
    ("1 week", 10_080),
];

#[component]
pub fn StreamView(props: &Props) -> Html {
    let candidates: Vec<&TableSummary> = props
        .tables
        .iter()
        .filter(|t| time_column(t).is_some())
        .collect();
    let table = use_state(|| "yellow".to_string());
    let batch = use_state(|| 1440i64);
    let window = use_state(|| "day");
    let from = use_state(|| "2024-01-01".to_string());
    let to = use_state(|| "2024-02-01".to_string());
    let chosen = candidates
        .iter()
        .find(|t| t.name == *table)
        .or(candidates.first())
        .copied();
    let spec = chosen.and_then(|t| {
        Some(StreamSpec {
            table: t.name.clone(),
            time_column: time_column(t)?,
            value_column: t
                .schema
                .iter()
                .any(|f| f.name == "total_amount")
                .then(|| "total_amount".to_string()),
            batch_minutes: *batch,
            window: *window,
            from: parse_time(&from)?,
            to: parse_time(&to)?,
        })
        .filter(|s| s.from < s.to && s.batches().len() <= 2000)
    });
    let start = {
        let (on_start, spec) = (props.on_start.clone(), spec.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(spec) = &spec {
                on_start.emit(spec.clone());
            }
        })
    };
    let select = |state: UseStateHandle<String>| {
        Callback::from(move |e: Event| {
            state.set(e.target_unchecked_into::<HtmlSelectElement>().value())
        })
    };
    let text = |state: UseStateHandle<String>| {
        Callback::from(move |e: InputEvent| {
            state.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_batch = {
        let batch = batch.clone();
        Callback::from(move |e: Event| {
            if let Ok(m) = e
                .target_unchecked_into::<HtmlSelectElement>()
                .value()
                .parse()
            {
                batch.set(m);
            }
        })
    };
    let on_window = {
        let window = window.clone();
        Callback::from(move |e: Event| {
            window.set(
                if e.target_unchecked_into::<HtmlSelectElement>().value() == "hour" {
                    "hour"
                } else {
                    "day"
                },
            )
        })
    };

    let results = props.stream.as_ref().map(|s| {
        let stream = s.stream_stats();
        let avg_latency = if s.batches.is_empty() { 0.0 } else { stream.latency_ms / s.batches.len() as f64 };
        let recent = s.batches.iter().enumerate().rev().take(8).map(|(i, b)| html! {
            <tr>
                <td>{ i + 1 }</td>
                <td>{ timestamp(b.from)[..16].to_string() }</td>
                <td class="num">{ group_digits(b.rows) }</td>
                <td class="num">{ elapsed_ms(b.latency_ms) }</td>
                <td class="num">{ format!("{:.0}", b.rows_per_second()) }</td>
            </tr>
        });
        let windows = s.windows.iter().take(40).map(|(w, t)| html! {
            <tr><td>{ w.replace('T', " ") }</td><td class="num">{ group_digits(t.trips) }</td><td class="num">{ format!("{:.2}", t.total) }</td></tr>
        });
        let agrees = s.agrees();
        html! {
            <div class="stream-results" data-testid="stream-results" data-batches={s.batches.len().to_string()}
                data-planned={s.planned.to_string()} data-finished={s.finished.to_string()}
                data-agrees={agrees.map_or("unknown".to_string(), |a| a.to_string())}>
                <p>{ format!("Micro-batch {} of {}{}", s.batches.len(), s.planned, if s.finished { "" } else { "…" }) }</p>
                if let Some(e) = &s.error { <p class="invalid-hint">{ e.clone() }</p> }
                <table class="console-table stream-compare">
                    <thead><tr><th></th><th>{"rows"}</th><th>{"time"}</th><th>{"rows/s"}</th><th>{"latency"}</th></tr></thead>
                    <tbody>
                        <tr data-testid="stream-stats">
                            <td>{ format!("stream ({} micro-batches)", s.batches.len()) }</td>
                            <td class="num">{ group_digits(stream.rows) }</td>
                            <td class="num">{ elapsed_ms(stream.latency_ms) }</td>
                            <td class="num">{ format!("{:.0}", stream.rows_per_second()) }</td>
                            <td class="num">{ format!("{} per batch", elapsed_ms(avg_latency)) }</td>
                        </tr>
                        if let Some((whole, _)) = &s.whole {
                            <tr data-testid="batch-stats">
                                <td>{"one batch job"}</td>
                                <td class="num">{ group_digits(whole.rows) }</td>
                                <td class="num">{ elapsed_ms(whole.latency_ms) }</td>
                                <td class="num">{ format!("{:.0}", whole.rows_per_second()) }</td>
                                <td class="num">{ format!("{} for all", elapsed_ms(whole.latency_ms)) }</td>
                            </tr>
                        }
                    </tbody>
                </table>
                if let Some(agrees) = agrees {
                    <p class={classes!("verdict", if agrees { "right" } else { "wrong" })}>
                        { if agrees { "The stream's windows equal the batch job's." } else { "The stream's windows differ from the batch job's." } }
                    </p>
                }
                <h4>{"Latest micro-batches"}</h4>
                <table class="console-table">
                    <thead><tr><th>{"#"}</th><th>{"event time from"}</th><th>{"rows"}</th><th>{"latency"}</th><th>{"rows/s"}</th></tr></thead>
                    <tbody>{ for recent }</tbody>
                </table>
                <h4>{ format!("State: {} windows", s.windows.len()) }</h4>
                <table class="console-table" data-testid="stream-windows">
                    <thead><tr><th>{"window"}</th><th>{"trips"}</th><th>{"total"}</th></tr></thead>
                    <tbody>{ for windows }</tbody>
                </table>
            </div>
        }
    });

    html! {
        <div class="stream" data-testid="stream">
            <p class="hint">{"Replays a table as a stream, a slice of event time per micro-batch (each a job), keeping each window's count and total as the stream's state."}</p>
            <div class="schedule-form">
                <label>{"Table"}
                    <select data-testid="stream-table" onchange={select(table.clone())}>
                        for t in candidates.iter() {
                            <option value={t.name.clone()} selected={chosen.is_some_and(|c| c.name == t.name)}>{ t.name.clone() }</option>
                        }
                    </select>
                </label>
                <label>{"Micro-batch"}
                    <select data-testid="stream-batch" onchange={on_batch}>
                        for (label, minutes) in BATCHES {
                            <option value={minutes.to_string()} selected={minutes == *batch}>{ label }</option>
                        }
                    </select>
                </label>
                <label>{"Window"}
                    <select data-testid="stream-window" onchange={on_window}>
                        <option value="hour" selected={*window == "hour"}>{"1 hour"}</option>
                        <option value="day" selected={*window == "day"}>{"1 day"}</option>
                    </select>
                </label>
                <label>{"From"}<input type="text" data-testid="stream-from" value={(*from).clone()} oninput={text(from.clone())} /></label>
                <label>{"to"}<input type="text" data-testid="stream-to" value={(*to).clone()} oninput={text(to.clone())} /></label>
                <button class="button primary small" data-testid="stream-start" disabled={!props.can_run || spec.is_none()} onclick={start}>
                    { format!("Start the stream ({} micro-batches)", spec.as_ref().map_or(0, |s| s.batches().len())) }
                </button>
            </div>
            if candidates.is_empty() {
                <p class="hint">{"Make the sample lake (or open a table with a timestamp column) to stream it."}</p>
            }
            { results.unwrap_or_default() }
        </div>
    }
}
