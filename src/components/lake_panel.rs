//! The sample lake: taxi-style yellow, green and FHV trips and the zone lookup, made by
//! the pool's workers in the page (nothing is downloaded) as a partitioned lake
//! (`yellow/year=2024/month=01/part-00000.parquet`), kept in the browser so a reload
//! reopens it, and downloadable.

use kiln_protocol::LakeConfig;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::format::{group_digits, human_bytes, parse_rows};
use crate::storage::save;
use crate::workshop::lake::{LakePhase, LakeStatus};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub status: Option<LakeStatus>,
    pub can_generate: bool,
    pub on_generate: Callback<(LakeConfig, bool)>,
    pub on_download: Callback<LakeConfig>,
    /// A folder the user picked (a promise of its handle).
    pub on_save_folder: Callback<js_sys::Promise>,
    pub on_forget: Callback<()>,
}

#[component]
pub fn LakePanel(props: &Props) -> Html {
    let open = use_state(|| false);
    let rows = use_state(|| "1000000".to_string());
    let months = use_state(|| 3u32);
    let seed = use_state(|| "42".to_string());
    let keep = use_state(|| true);
    let parsed =
        parse_rows(&rows).filter(|r| (LakeConfig::MIN_ROWS..=LakeConfig::MAX_ROWS).contains(r));
    let parsed_seed = seed.trim().parse::<u64>().ok();

    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let generate = {
        let on_generate = props.on_generate.clone();
        let (months, keep) = (*months, *keep);
        Callback::from(move |_: MouseEvent| {
            if let (Some(rows), Some(seed)) = (parsed, parsed_seed) {
                let config = LakeConfig {
                    rows,
                    months,
                    seed,
                    ..LakeConfig::default()
                };
                on_generate.emit((config, keep));
            }
        })
    };
    let text = |state: UseStateHandle<String>| {
        Callback::from(move |e: InputEvent| {
            state.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_months = {
        let months = months.clone();
        Callback::from(move |e: Event| {
            if let Ok(m) = e
                .target_unchecked_into::<HtmlSelectElement>()
                .value()
                .parse()
            {
                months.set(m);
            }
        })
    };
    let on_keep = {
        let keep = keep.clone();
        Callback::from(move |e: Event| {
            keep.set(e.target_unchecked_into::<HtmlInputElement>().checked())
        })
    };
    let busy = props.status.as_ref().is_some_and(|s| {
        matches!(
            s.phase,
            LakePhase::Planning | LakePhase::Making | LakePhase::Opening
        )
    });
    // A made lake closes its panel: it sits over the lesson and the editor, and the
    // tables on the left now say what there is. A failure keeps it open to be read.
    {
        let open = open.clone();
        let ready = props
            .status
            .as_ref()
            .is_some_and(|s| s.phase == LakePhase::Ready);
        use_effect_with(ready, move |ready| {
            if *ready {
                open.set(false);
            }
        });
    }

    let status = props.status.as_ref().map(|s| {
        let label = match &s.phase {
            LakePhase::Planning => "planning its files…".to_string(),
            LakePhase::Making => format!(
                "making: {} of {} files, {} of {} rows",
                s.files_done, s.files_total, group_digits(s.rows_done), group_digits(s.rows_total)
            ),
            LakePhase::Opening => "opening its tables…".to_string(),
            LakePhase::Ready => format!(
                "{} trips in {} files, {}{}",
                group_digits(s.rows_total), s.files_total, human_bytes(s.bytes),
                if s.kept { ", kept in this browser" } else { ", in this tab's memory" }
            ),
            LakePhase::Failed(e) => format!("failed: {e}"),
        };
        let percent = if s.files_total == 0 { 0.0 } else { 100.0 * s.files_done as f64 / s.files_total as f64 };
        let rate = if s.elapsed_ms > 0.0 && s.rows_done > 0 {
            format!(" · {:.1}M rows/s", s.rows_done as f64 / s.elapsed_ms / 1000.0)
        } else {
            String::new()
        };
        let download = {
            let (on_download, config) = (props.on_download.clone(), s.config.clone());
            Callback::from(move |_: MouseEvent| on_download.emit(config.clone()))
        };
        let save_folder = {
            let on_save_folder = props.on_save_folder.clone();
            Callback::from(move |_: MouseEvent| {
                if let Ok(promise) = save::pick_folder() {
                    on_save_folder.emit(promise);
                }
            })
        };
        html! {
            <div class="lake-status" data-testid="lake-status" data-phase={s.phase.as_str()}
                data-done={s.files_done.to_string()} data-total={s.files_total.to_string()}
                data-kept={s.kept.to_string()}>
                <progress max="100" value={percent.to_string()} />
                <span>{ label }{ if matches!(s.phase, LakePhase::Making) { rate } else { String::new() } }</span>
                if s.phase == LakePhase::Ready {
                    <div class="lake-actions">
                        <button class="button small" data-testid="lake-download" onclick={download}>{"Download as zip"}</button>
                        if save::can_pick_folder() {
                            <button class="button small" onclick={save_folder}>{"Save into a folder…"}</button>
                        }
                        if s.kept {
                            <button class="link-button" data-testid="lake-forget"
                                onclick={props.on_forget.reform(|_: MouseEvent| ())}>{"Forget the kept lake"}</button>
                        }
                    </div>
                }
            </div>
        }
    });

    html! {
        <div class="lake">
            <button class="button" data-testid="lake-toggle" aria-expanded={open.to_string()} onclick={toggle}
                data-phase={props.status.as_ref().map_or("none", |s| s.phase.as_str())}
                title="Generate taxi trips (yellow, green, FHV) and the zone lookup in the page, as a partitioned lake">
                {"Sample lake"}
                if let Some(s) = &props.status {
                    if s.phase == LakePhase::Ready { <span class="lake-dot" aria-hidden="true">{"●"}</span> }
                }
            </button>
            if *open || busy {
                <div class="lake-panel" data-testid="lake-panel">
                    <p class="hint">{"Trips like New York's TLC records, made by the workers in this page: "}
                        <code>{"service/year=YYYY/month=MM/part-*.parquet"}</code>{", and the zone lookup."}</p>
                    <div class="lake-form">
                        <label>{"Trips"}
                            <input type="number" min="10000" max="50000000" step="10000" data-testid="lake-rows"
                                class={classes!(parsed.is_none().then_some("invalid"))}
                                value={(*rows).clone()} oninput={text(rows.clone())} />
                        </label>
                        <label>{"Months"}
                            <select data-testid="lake-months" onchange={on_months}>
                                for m in 1..=12u32 {
                                    <option value={m.to_string()} selected={m == *months}>{ m.to_string() }</option>
                                }
                            </select>
                        </label>
                        <label>{"Seed"}
                            <input type="number" min="0" data-testid="lake-seed" value={(*seed).clone()} oninput={text(seed.clone())} />
                        </label>
                        <label class="check">
                            <input type="checkbox" data-testid="lake-keep" checked={*keep} onchange={on_keep} />
                            {"keep it in this browser"}
                        </label>
                        <button class="button primary" data-testid="lake-generate"
                            disabled={!props.can_generate || busy || parsed.is_none() || parsed_seed.is_none()}
                            onclick={generate}>{"Generate"}</button>
                    </div>
                    if parsed.is_none() {
                        <p class="hint invalid-hint">{"10,000 to 50,000,000 trips."}</p>
                    }
                    { status.unwrap_or_default() }
                </div>
            }
        </div>
    }
}
