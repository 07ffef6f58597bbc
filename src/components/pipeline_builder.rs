//! The pipeline builder: a DataFrame job as a list of steps, each edited with pickers fed
//! by the schema of the step before it, each showing its output schema and, on demand,
//! a preview of its first rows. The pipeline is a PySpark program (kiln-pipeline), so
//! it runs, plans and exports like one.
//!
//! Longer than 800 lines: the builder and the form of each step kind share one set of
//! pickers and callbacks over one `Pipeline`. The next cut is a file per step kind's
//! form under `pipeline_builder/`, the pickers beside them.

use std::rc::Rc;

use kiln_pipeline::{
    Agg, AggFunction, CompareOp, Comparison, Condition, JoinHow, Literal, Pipeline, SortKey, Step,
    WindowFunction, WriteFormat, WriteMode,
};
use kiln_protocol::{FieldSummary, TableSummary};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::state::PipelineInfo;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub pipeline: Rc<Pipeline>,
    pub tables: Rc<Vec<TableSummary>>,
    pub info: Option<Rc<PipelineInfo>>,
    /// Why the pipeline cannot be written as a program yet, and at which step.
    pub problem: Option<(usize, String)>,
    /// The step whose preview is open.
    pub preview: Option<usize>,
    pub on_change: Callback<Pipeline>,
    pub on_preview: Callback<Option<usize>>,
    pub on_run: Callback<()>,
    pub on_stop: Callback<()>,
    pub can_run: bool,
    pub running: bool,
    /// A pipeline file that could not be read or saved.
    pub on_error: Callback<String>,
}

/// The kinds of step the "Add a step" menu offers, with a fresh step of each.
const KINDS: &[(&str, &str)] = &[
    ("select", "select"),
    ("filter", "filter / where"),
    ("with_column", "withColumn"),
    ("rename", "withColumnRenamed"),
    ("drop", "drop"),
    ("group_by", "groupBy + agg"),
    ("join", "join"),
    ("order_by", "orderBy"),
    ("limit", "limit"),
    ("distinct", "distinct"),
    ("union", "unionByName"),
    ("window", "window function"),
    ("repartition", "repartition"),
    ("coalesce", "coalesce"),
    ("write", "write"),
];

fn op_label(step: &Step) -> &'static str {
    match step {
        Step::Read { .. } => "read",
        Step::Select { .. } => "select",
        Step::Filter { .. } => "filter",
        Step::WithColumn { .. } => "withColumn",
        Step::Rename { .. } => "withColumnRenamed",
        Step::Drop { .. } => "drop",
        Step::GroupBy { .. } => "groupBy",
        Step::Join { .. } => "join",
        Step::OrderBy { .. } => "orderBy",
        Step::Limit { .. } => "limit",
        Step::Distinct => "distinct",
        Step::Union { .. } => "unionByName",
        Step::Window { .. } => "window",
        Step::Repartition { .. } => "repartition",
        Step::Coalesce { .. } => "coalesce",
        Step::Write { .. } => "write",
    }
}

/// A new step of `kind`, filled in from the columns it will see.
fn new_step(kind: &str, columns: &[FieldSummary], tables: &[TableSummary]) -> Step {
    let first = columns.first().map(|c| c.name.clone()).unwrap_or_default();
    let number = columns
        .iter()
        .find(|c| is_numeric(&c.data_type))
        .map(|c| c.name.clone())
        .unwrap_or_else(|| first.clone());
    let table = tables.first().map(|t| t.name.clone()).unwrap_or_default();
    match kind {
        "select" => Step::Select {
            columns: columns.iter().take(3).map(|c| c.name.clone()).collect(),
        },
        "filter" => Step::Filter {
            condition: Condition::Compare {
                all: true,
                terms: vec![Comparison {
                    column: number.clone(),
                    op: CompareOp::Gt,
                    value: Literal::Number(0.0),
                }],
            },
        },
        "with_column" => Step::WithColumn {
            name: "new_column".into(),
            expr: if number.is_empty() {
                "1".into()
            } else {
                format!("{number} * 2")
            },
        },
        "rename" => Step::Rename {
            from: first.clone(),
            to: format!("{first}_renamed"),
        },
        "drop" => Step::Drop {
            columns: vec![first],
        },
        "group_by" => Step::GroupBy {
            keys: vec![first],
            aggs: vec![Agg {
                function: AggFunction::Count,
                column: None,
                alias: "count".into(),
            }],
        },
        "join" => Step::Join {
            table,
            left_on: vec![first.clone()],
            right_on: vec![first],
            how: JoinHow::Inner,
        },
        "order_by" => Step::OrderBy {
            keys: vec![SortKey {
                column: first,
                descending: true,
            }],
        },
        "limit" => Step::Limit { n: 10 },
        "distinct" => Step::Distinct,
        "union" => Step::Union { table },
        "window" => Step::Window {
            function: WindowFunction::RowNumber,
            column: None,
            partition_by: vec![first.clone()],
            order_by: vec![SortKey {
                column: number,
                descending: true,
            }],
            alias: "rank".into(),
        },
        "repartition" => Step::Repartition { n: 4 },
        "coalesce" => Step::Coalesce { n: 1 },
        _ => Step::Write {
            path: "output".into(),
            format: WriteFormat::Parquet,
            mode: WriteMode::Overwrite,
            partition_by: vec![],
        },
    }
}

fn is_numeric(data_type: &str) -> bool {
    let t = data_type.to_ascii_lowercase();
    ["int", "float", "decimal", "double"]
        .iter()
        .any(|k| t.contains(k))
}

fn select_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

fn input_value(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

/// A `<select>` of names, keeping `current` as an option even when it is not (yet) among
/// them, so an edit never silently changes what the step says.
fn name_select(
    current: &str,
    names: &[String],
    testid: &'static str,
    on: Callback<String>,
) -> Html {
    let mut options: Vec<String> = names.to_vec();
    if !current.is_empty() && !options.iter().any(|n| n == current) {
        options.insert(0, current.to_string());
    }
    let onchange = Callback::from(move |e: Event| on.emit(select_value(&e)));
    html! {
        <select data-testid={testid} {onchange}>
            if current.is_empty() {
                <option value="" selected=true disabled=true>{"choose…"}</option>
            }
            for name in options.iter() {
                <option value={name.clone()} selected={name == current}>{ name.clone() }</option>
            }
        </select>
    }
}

fn text_input(
    value: &str,
    placeholder: &'static str,
    testid: &'static str,
    on: Callback<String>,
) -> Html {
    let oninput = Callback::from(move |e: InputEvent| on.emit(input_value(&e)));
    html! { <input type="text" data-testid={testid} value={value.to_string()} {placeholder} {oninput} spellcheck="false" /> }
}

fn number_input(value: u64, testid: &'static str, on: Callback<u64>) -> Html {
    let oninput = Callback::from(move |e: InputEvent| {
        if let Ok(n) = input_value(&e).trim().parse::<u64>() {
            on.emit(n);
        }
    });
    html! { <input type="number" min="1" data-testid={testid} value={value.to_string()} {oninput} /> }
}

/// Toggle chips for picking several columns (in the order picked).
fn column_chips(picked: &[String], names: &[String], on: Callback<Vec<String>>) -> Html {
    let mut all: Vec<String> = names.to_vec();
    for p in picked {
        if !all.contains(p) {
            all.push(p.clone());
        }
    }
    html! {
        <div class="chips" data-testid="column-chips">
            for name in all.iter() {
                {{
                    let on = on.clone();
                    let picked_now = picked.to_vec();
                    let n = name.clone();
                    let is_on = picked.contains(name);
                    let onclick = Callback::from(move |_: MouseEvent| {
                        let mut next = picked_now.clone();
                        if let Some(at) = next.iter().position(|p| *p == n) {
                            next.remove(at);
                        } else {
                            next.push(n.clone());
                        }
                        on.emit(next);
                    });
                    html! {
                        <button class={classes!("chip", is_on.then_some("on"))} aria-pressed={is_on.to_string()} {onclick}>
                            { name.clone() }
                        </button>
                    }
                }}
            }
        </div>
    }
}

/// Sort keys: a column and a direction each.
fn sort_keys_editor(keys: &[SortKey], names: &[String], on: Callback<Vec<SortKey>>) -> Html {
    let rows = keys.iter().enumerate().map(|(i, key)| {
        let set_col = {
            let (on, keys) = (on.clone(), keys.to_vec());
            Callback::from(move |c: String| {
                let mut next = keys.clone();
                next[i].column = c;
                on.emit(next);
            })
        };
        let set_dir = {
            let (on, keys) = (on.clone(), keys.to_vec());
            Callback::from(move |e: Event| {
                let mut next = keys.clone();
                next[i].descending = select_value(&e) == "desc";
                on.emit(next);
            })
        };
        let remove = {
            let (on, keys) = (on.clone(), keys.to_vec());
            Callback::from(move |_: MouseEvent| {
                let mut next = keys.clone();
                next.remove(i);
                on.emit(next);
            })
        };
        html! {
            <div class="step-row">
                { name_select(&key.column, names, "sort-column", set_col) }
                <select onchange={set_dir}>
                    <option value="asc" selected={!key.descending}>{"ascending"}</option>
                    <option value="desc" selected={key.descending}>{"descending"}</option>
                </select>
                <button class="icon-button" title="Remove" onclick={remove}>{"✕"}</button>
            </div>
        }
    });
    let add = {
        let (on, keys) = (on.clone(), keys.to_vec());
        let first = names.first().cloned().unwrap_or_default();
        Callback::from(move |_: MouseEvent| {
            let mut next = keys.clone();
            next.push(SortKey {
                column: first.clone(),
                descending: false,
            });
            on.emit(next);
        })
    };
    html! {
        <>
            { for rows }
            <button class="link-button" onclick={add}>{"+ sort key"}</button>
        </>
    }
}

/// The editor of one step, given the columns it sees.
fn step_editor(
    step: &Step,
    columns: &[FieldSummary],
    tables: &[TableSummary],
    on: Callback<Step>,
) -> Html {
    let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let table_names: Vec<String> = tables.iter().map(|t| t.name.clone()).collect();
    let type_of = |name: &str| {
        columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.data_type.clone())
            .unwrap_or_default()
    };
    match step.clone() {
        Step::Read { table } => {
            let set = on.reform(|table| Step::Read { table });
            html! { <div class="step-row"><label>{"table"}</label>{ name_select(&table, &table_names, "read-table", set) }</div> }
        }
        Step::Select { columns: picked } => column_chips(
            &picked,
            &names,
            on.reform(|columns| Step::Select { columns }),
        ),
        Step::Drop { columns: picked } => {
            column_chips(&picked, &names, on.reform(|columns| Step::Drop { columns }))
        }
        Step::Filter { condition } => match condition {
            Condition::Sql { sql } => {
                let set = on.reform(|sql| Step::Filter {
                    condition: Condition::Sql { sql },
                });
                let to_builder = on.reform(|_: MouseEvent| Step::Filter {
                    condition: Condition::Compare {
                        all: true,
                        terms: vec![],
                    },
                });
                html! {
                    <div class="step-row">
                        { text_input(&sql, "a SQL condition: trip_distance > 2 AND payment_type = 1", "filter-sql", set) }
                        <button class="link-button" onclick={to_builder}>{"use pickers"}</button>
                    </div>
                }
            }
            Condition::Compare { all, terms } => {
                let rows = terms.iter().enumerate().map(|(i, term)| {
                    let update = {
                        let (on, terms) = (on.clone(), terms.clone());
                        move |f: Box<dyn Fn(&mut Comparison)>| {
                            let mut next = terms.clone();
                            f(&mut next[i]);
                            on.emit(Step::Filter { condition: Condition::Compare { all, terms: next } });
                        }
                    };
                    let set_col = {
                        let update = update.clone();
                        let columns = columns.to_vec();
                        Callback::from(move |c: String| {
                            let numeric = columns.iter().any(|f| f.name == c && is_numeric(&f.data_type));
                            update(Box::new(move |t: &mut Comparison| {
                                t.column = c.clone();
                                // Keep the value, typed for the new column.
                                t.value = retype(&t.value, numeric);
                            }))
                        })
                    };
                    let set_op = {
                        let update = update.clone();
                        Callback::from(move |e: Event| {
                            let op = CompareOp::ALL.into_iter().find(|o| format!("{o:?}") == select_value(&e));
                            if let Some(op) = op {
                                update(Box::new(move |t: &mut Comparison| t.op = op))
                            }
                        })
                    };
                    let numeric = is_numeric(&type_of(&term.column));
                    let set_value = {
                        let update = update.clone();
                        Callback::from(move |e: InputEvent| {
                            let text = input_value(&e);
                            update(Box::new(move |t: &mut Comparison| {
                                t.value = typed(&text, numeric);
                            }))
                        })
                    };
                    let remove = {
                        let (on, terms) = (on.clone(), terms.clone());
                        Callback::from(move |_: MouseEvent| {
                            let mut next = terms.clone();
                            next.remove(i);
                            on.emit(Step::Filter { condition: Condition::Compare { all, terms: next } });
                        })
                    };
                    html! {
                        <div class="step-row">
                            { name_select(&term.column, &names, "filter-column", set_col) }
                            <select data-testid="filter-op" onchange={set_op}>
                                for op in CompareOp::ALL {
                                    <option value={format!("{op:?}")} selected={op == term.op}>{ op.label() }</option>
                                }
                            </select>
                            if term.op.takes_value() {
                                <input type="text" data-testid="filter-value" value={literal_text(&term.value)}
                                    placeholder={if numeric { "a number" } else { "text" }} oninput={set_value} />
                            }
                            <button class="icon-button" title="Remove" onclick={remove}>{"✕"}</button>
                        </div>
                    }
                });
                let add = {
                    let (on, terms) = (on.clone(), terms.clone());
                    let first = names.first().cloned().unwrap_or_default();
                    Callback::from(move |_: MouseEvent| {
                        let mut next = terms.clone();
                        next.push(Comparison {
                            column: first.clone(),
                            op: CompareOp::Eq,
                            value: Literal::Text(String::new()),
                        });
                        on.emit(Step::Filter {
                            condition: Condition::Compare { all, terms: next },
                        });
                    })
                };
                let set_all = {
                    let (on, terms) = (on.clone(), terms.clone());
                    Callback::from(move |e: Event| {
                        on.emit(Step::Filter {
                            condition: Condition::Compare {
                                all: select_value(&e) == "all",
                                terms: terms.clone(),
                            },
                        })
                    })
                };
                let to_sql = on.reform(|_: MouseEvent| Step::Filter {
                    condition: Condition::Sql { sql: String::new() },
                });
                html! {
                    <>
                        if terms.len() > 1 {
                            <div class="step-row">
                                <select onchange={set_all}>
                                    <option value="all" selected={all}>{"all of"}</option>
                                    <option value="any" selected={!all}>{"any of"}</option>
                                </select>
                            </div>
                        }
                        { for rows }
                        <div class="step-row">
                            <button class="link-button" onclick={add}>{"+ condition"}</button>
                            <button class="link-button" onclick={to_sql}>{"write SQL instead"}</button>
                        </div>
                    </>
                }
            }
        },
        Step::WithColumn { name, expr } => {
            let set_name = {
                let (on, expr) = (on.clone(), expr.clone());
                Callback::from(move |name: String| {
                    on.emit(Step::WithColumn {
                        name,
                        expr: expr.clone(),
                    })
                })
            };
            let set_expr = {
                let (on, name) = (on.clone(), name.clone());
                Callback::from(move |expr: String| {
                    on.emit(Step::WithColumn {
                        name: name.clone(),
                        expr,
                    })
                })
            };
            html! {
                <div class="step-row">
                    { text_input(&name, "column name", "with-column-name", set_name) }
                    <span>{"="}</span>
                    { text_input(&expr, "SQL expression: total_amount - tip_amount", "with-column-expr", set_expr) }
                </div>
            }
        }
        Step::Rename { from, to } => {
            let set_from = {
                let (on, to) = (on.clone(), to.clone());
                Callback::from(move |from: String| {
                    on.emit(Step::Rename {
                        from,
                        to: to.clone(),
                    })
                })
            };
            let set_to = {
                let (on, from) = (on.clone(), from.clone());
                Callback::from(move |to: String| {
                    on.emit(Step::Rename {
                        from: from.clone(),
                        to,
                    })
                })
            };
            html! {
                <div class="step-row">
                    { name_select(&from, &names, "rename-from", set_from) }
                    <span>{"→"}</span>
                    { text_input(&to, "new name", "rename-to", set_to) }
                </div>
            }
        }
        Step::GroupBy { keys, aggs } => {
            let set_keys = {
                let (on, aggs) = (on.clone(), aggs.clone());
                Callback::from(move |keys: Vec<String>| {
                    on.emit(Step::GroupBy {
                        keys,
                        aggs: aggs.clone(),
                    })
                })
            };
            let rows = aggs.iter().enumerate().map(|(i, agg)| {
                let update = {
                    let (on, keys, aggs) = (on.clone(), keys.clone(), aggs.clone());
                    move |f: Box<dyn Fn(&mut Agg)>| {
                        let mut next = aggs.clone();
                        f(&mut next[i]);
                        on.emit(Step::GroupBy { keys: keys.clone(), aggs: next });
                    }
                };
                let set_fn = {
                    let update = update.clone();
                    Callback::from(move |e: Event| {
                        if let Some(f) = AggFunction::ALL.into_iter().find(|f| f.name() == select_value(&e)) {
                            update(Box::new(move |a: &mut Agg| {
                                a.function = f;
                                a.alias = default_alias(f, a.column.as_deref());
                            }))
                        }
                    })
                };
                let set_col = {
                    let update = update.clone();
                    Callback::from(move |e: Event| {
                        let c = select_value(&e);
                        update(Box::new(move |a: &mut Agg| {
                            a.column = (c != "*").then(|| c.clone());
                            a.alias = default_alias(a.function, a.column.as_deref());
                        }))
                    })
                };
                let set_alias = {
                    let update = update.clone();
                    Callback::from(move |alias: String| update(Box::new(move |a: &mut Agg| a.alias = alias.clone())))
                };
                let remove = {
                    let (on, keys, aggs) = (on.clone(), keys.clone(), aggs.clone());
                    Callback::from(move |_: MouseEvent| {
                        let mut next = aggs.clone();
                        next.remove(i);
                        on.emit(Step::GroupBy { keys: keys.clone(), aggs: next });
                    })
                };
                let current = agg.column.clone().unwrap_or_else(|| "*".into());
                html! {
                    <div class="step-row">
                        <select data-testid="agg-function" onchange={set_fn}>
                            for f in AggFunction::ALL {
                                <option value={f.name()} selected={f == agg.function}>{ f.name() }</option>
                            }
                        </select>
                        <select data-testid="agg-column" onchange={set_col}>
                            if agg.function == AggFunction::Count {
                                <option value="*" selected={current == "*"}>{"* (every row)"}</option>
                            }
                            for n in names.iter() {
                                <option value={n.clone()} selected={*n == current}>{ n.clone() }</option>
                            }
                        </select>
                        <span>{"as"}</span>
                        { text_input(&agg.alias, "name", "agg-alias", set_alias) }
                        <button class="icon-button" title="Remove" onclick={remove}>{"✕"}</button>
                    </div>
                }
            });
            let add = {
                let (on, keys, aggs) = (on.clone(), keys.clone(), aggs.clone());
                let number = columns
                    .iter()
                    .find(|c| is_numeric(&c.data_type))
                    .map(|c| c.name.clone());
                Callback::from(move |_: MouseEvent| {
                    let mut next = aggs.clone();
                    next.push(Agg {
                        function: AggFunction::Sum,
                        column: number.clone(),
                        alias: default_alias(AggFunction::Sum, number.as_deref()),
                    });
                    on.emit(Step::GroupBy {
                        keys: keys.clone(),
                        aggs: next,
                    });
                })
            };
            html! {
                <>
                    <div class="step-label">{"group by"}</div>
                    { column_chips(&keys, &names, set_keys) }
                    <div class="step-label">{"aggregates"}</div>
                    { for rows }
                    <button class="link-button" onclick={add}>{"+ aggregate"}</button>
                </>
            }
        }
        Step::Join {
            table,
            left_on,
            right_on,
            how,
        } => {
            let right_names: Vec<String> = tables
                .iter()
                .find(|t| t.name == table)
                .map(|t| t.schema.iter().map(|f| f.name.clone()).collect())
                .unwrap_or_default();
            let set_table = {
                let (on, l, r) = (on.clone(), left_on.clone(), right_on.clone());
                Callback::from(move |table: String| {
                    on.emit(Step::Join {
                        table,
                        left_on: l.clone(),
                        right_on: r.clone(),
                        how,
                    })
                })
            };
            let set_how = {
                let (on, t, l, r) = (on.clone(), table.clone(), left_on.clone(), right_on.clone());
                Callback::from(move |e: Event| {
                    if let Some(how) = JoinHow::ALL
                        .into_iter()
                        .find(|h| h.name() == select_value(&e))
                    {
                        on.emit(Step::Join {
                            table: t.clone(),
                            left_on: l.clone(),
                            right_on: r.clone(),
                            how,
                        })
                    }
                })
            };
            let pairs = left_on
                .iter()
                .zip(&right_on)
                .enumerate()
                .map(|(i, (l, r))| {
                    let set = |side: usize| {
                        let (on, t, lo, ro) =
                            (on.clone(), table.clone(), left_on.clone(), right_on.clone());
                        Callback::from(move |c: String| {
                            let (mut lo, mut ro) = (lo.clone(), ro.clone());
                            if side == 0 {
                                lo[i] = c
                            } else {
                                ro[i] = c
                            }
                            on.emit(Step::Join {
                                table: t.clone(),
                                left_on: lo,
                                right_on: ro,
                                how,
                            })
                        })
                    };
                    html! {
                        <div class="step-row">
                            { name_select(l, &names, "join-left", set(0)) }
                            <span>{"="}</span>
                            { name_select(r, &right_names, "join-right", set(1)) }
                        </div>
                    }
                });
            let add = {
                let (on, t, l, r) = (on.clone(), table.clone(), left_on.clone(), right_on.clone());
                Callback::from(move |_: MouseEvent| {
                    let (mut l, mut r) = (l.clone(), r.clone());
                    l.push(String::new());
                    r.push(String::new());
                    on.emit(Step::Join {
                        table: t.clone(),
                        left_on: l,
                        right_on: r,
                        how,
                    })
                })
            };
            html! {
                <>
                    <div class="step-row">
                        <select data-testid="join-how" onchange={set_how}>
                            for h in JoinHow::ALL {
                                <option value={h.name()} selected={h == how}>{ h.name() }</option>
                            }
                        </select>
                        <span>{"join"}</span>
                        { name_select(&table, &table_names, "join-table", set_table) }
                        <span>{"on"}</span>
                    </div>
                    { for pairs }
                    <button class="link-button" onclick={add}>{"+ key"}</button>
                </>
            }
        }
        Step::OrderBy { keys } => {
            sort_keys_editor(&keys, &names, on.reform(|keys| Step::OrderBy { keys }))
        }
        Step::Limit { n } => {
            html! { <div class="step-row">{ number_input(n, "limit-n", on.reform(|n| Step::Limit { n })) }<span>{"rows"}</span></div> }
        }
        Step::Distinct => {
            html! { <p class="hint">{"Keeps one of each row that appears more than once (a shuffle)."}</p> }
        }
        Step::Union { table } => {
            let set = on.reform(|table| Step::Union { table });
            html! { <div class="step-row"><span>{"rows of"}</span>{ name_select(&table, &table_names, "union-table", set) }<span>{"matched by column name"}</span></div> }
        }
        Step::Window {
            function,
            column,
            partition_by,
            order_by,
            alias,
        } => {
            let edit = editor(step, &on);
            let set_fn = {
                let edit = edit.clone();
                let first = names.first().cloned();
                Callback::from(move |e: Event| {
                    if let Some(f) = WindowFunction::ALL
                        .into_iter()
                        .find(|f| f.name() == select_value(&e))
                    {
                        let first = first.clone();
                        edit(Box::new(move |s| {
                            if let Step::Window {
                                function, column, ..
                            } = s
                            {
                                *function = f;
                                if f.reads_a_column() && column.is_none() {
                                    *column = first.clone();
                                }
                            }
                        }))
                    }
                })
            };
            let set_col = {
                let edit = edit.clone();
                Callback::from(move |c: String| {
                    edit(Box::new(move |s| {
                        if let Step::Window { column, .. } = s {
                            *column = Some(c.clone())
                        }
                    }))
                })
            };
            let set_partition = {
                let edit = edit.clone();
                Callback::from(move |p: Vec<String>| {
                    edit(Box::new(move |s| {
                        if let Step::Window { partition_by, .. } = s {
                            *partition_by = p.clone()
                        }
                    }))
                })
            };
            let set_order = {
                let edit = edit.clone();
                Callback::from(move |o: Vec<SortKey>| {
                    edit(Box::new(move |s| {
                        if let Step::Window { order_by, .. } = s {
                            *order_by = o.clone()
                        }
                    }))
                })
            };
            let set_alias = {
                let edit = edit.clone();
                Callback::from(move |a: String| {
                    edit(Box::new(move |s| {
                        if let Step::Window { alias, .. } = s {
                            *alias = a.clone()
                        }
                    }))
                })
            };
            html! {
                <>
                    <div class="step-row">
                        <select data-testid="window-function" onchange={set_fn}>
                            for f in WindowFunction::ALL {
                                <option value={f.name()} selected={f == function}>{ f.name() }</option>
                            }
                        </select>
                        if function.reads_a_column() {
                            { name_select(column.as_deref().unwrap_or_default(), &names, "window-column", set_col) }
                        }
                        <span>{"as"}</span>
                        { text_input(&alias, "name", "window-alias", set_alias) }
                    </div>
                    <div class="step-label">{"partition by"}</div>
                    { column_chips(&partition_by, &names, set_partition) }
                    <div class="step-label">{"order by"}</div>
                    { sort_keys_editor(&order_by, &names, set_order) }
                </>
            }
        }
        Step::Repartition { n } => html! {
            <div class="step-row">{ number_input(n as u64, "repartition-n", on.reform(|n: u64| Step::Repartition { n: n.min(4096) as u32 })) }<span>{"partitions (a file each when written)"}</span></div>
        },
        Step::Coalesce { n } => html! {
            <div class="step-row">{ number_input(n as u64, "coalesce-n", on.reform(|n: u64| Step::Coalesce { n: n.min(4096) as u32 })) }<span>{"partitions, merged without a shuffle"}</span></div>
        },
        Step::Write {
            path,
            format,
            mode,
            partition_by,
        } => {
            let set_path = {
                let (on, p) = (on.clone(), partition_by.clone());
                Callback::from(move |path: String| {
                    on.emit(Step::Write {
                        path,
                        format,
                        mode,
                        partition_by: p.clone(),
                    })
                })
            };
            let set_format = {
                let (on, path, p) = (on.clone(), path.clone(), partition_by.clone());
                Callback::from(move |e: Event| {
                    let format = match select_value(&e).as_str() {
                        "csv" => WriteFormat::Csv,
                        "json" => WriteFormat::Json,
                        _ => WriteFormat::Parquet,
                    };
                    on.emit(Step::Write {
                        path: path.clone(),
                        format,
                        mode,
                        partition_by: p.clone(),
                    })
                })
            };
            let set_mode = {
                let (on, path, p) = (on.clone(), path.clone(), partition_by.clone());
                Callback::from(move |e: Event| {
                    let mode = match select_value(&e).as_str() {
                        "append" => WriteMode::Append,
                        "error" => WriteMode::ErrorIfExists,
                        "ignore" => WriteMode::Ignore,
                        _ => WriteMode::Overwrite,
                    };
                    on.emit(Step::Write {
                        path: path.clone(),
                        format,
                        mode,
                        partition_by: p.clone(),
                    })
                })
            };
            let set_partition = {
                let (on, path) = (on.clone(), path.clone());
                Callback::from(move |p: Vec<String>| {
                    on.emit(Step::Write {
                        path: path.clone(),
                        format,
                        mode,
                        partition_by: p,
                    })
                })
            };
            html! {
                <>
                    <div class="step-row">
                        { text_input(&path, "output folder", "write-path", set_path) }
                        <select onchange={set_format}>
                            for f in [WriteFormat::Parquet, WriteFormat::Csv, WriteFormat::Json] {
                                <option value={f.name()} selected={f == format}>{ f.name() }</option>
                            }
                        </select>
                        <select onchange={set_mode}>
                            for m in [WriteMode::Overwrite, WriteMode::Append, WriteMode::ErrorIfExists, WriteMode::Ignore] {
                                <option value={m.name()} selected={m == mode}>{ format!("mode {}", m.name()) }</option>
                            }
                        </select>
                    </div>
                    <div class="step-label">{"partitionBy"}</div>
                    { column_chips(&partition_by, &names, set_partition) }
                </>
            }
        }
    }
}

/// An edit of one step: applied to a copy of it, which replaces it.
type Edit = Box<dyn Fn(&mut Step)>;

fn editor(step: &Step, on: &Callback<Step>) -> impl Fn(Edit) + Clone + 'static {
    let (step, on) = (step.clone(), on.clone());
    move |f: Edit| {
        let mut next = step.clone();
        f(&mut next);
        on.emit(next)
    }
}

fn default_alias(f: AggFunction, column: Option<&str>) -> String {
    match column {
        None => f.name().to_ascii_lowercase(),
        Some(c) => format!("{}_{c}", f.name().to_ascii_lowercase()),
    }
}

fn literal_text(value: &Literal) -> String {
    match value {
        Literal::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Literal::Number(n) => n.to_string(),
        Literal::Text(s) => s.clone(),
        Literal::Bool(b) => b.to_string(),
    }
}

/// What the user typed, as a number where the column is numeric and it parses.
fn typed(text: &str, numeric: bool) -> Literal {
    match text.trim().parse::<f64>() {
        Ok(n) if numeric => Literal::Number(n),
        _ => match text.trim() {
            "true" if !numeric => Literal::Bool(true),
            "false" if !numeric => Literal::Bool(false),
            _ => Literal::Text(text.to_string()),
        },
    }
}

fn retype(value: &Literal, numeric: bool) -> Literal {
    typed(&literal_text(value), numeric)
}

fn schema_chips(fields: &[FieldSummary]) -> Html {
    html! {
        <div class="step-fields" data-testid="step-schema">
            for f in fields.iter() {
                <span class="schema-field" title={f.data_type.clone()}>
                    { f.name.clone() }<span class="schema-type">{ f.shown_type().to_string() }</span>
                </span>
            }
        </div>
    }
}

#[component]
pub fn PipelineBuilder(props: &Props) -> Html {
    let pipeline = props.pipeline.clone();
    let steps = &pipeline.steps;
    let schema_of = |i: usize| -> Option<Vec<FieldSummary>> {
        props.info.as_ref()?.schemas.schemas.get(i)?.clone()
    };
    let error_step = props.problem.clone();
    let set_step = |i: usize| {
        let (on_change, pipeline) = (props.on_change.clone(), pipeline.clone());
        Callback::from(move |step: Step| {
            let mut next = (*pipeline).clone();
            next.steps[i] = step;
            on_change.emit(next);
        })
    };
    let cards = steps.iter().enumerate().map(|(i, step)| {
        let input: Vec<FieldSummary> = if i == 0 { Vec::new() } else { schema_of(i - 1).unwrap_or_default() };
        let output = schema_of(i);
        let move_by = |delta: isize| {
            let (on_change, pipeline) = (props.on_change.clone(), pipeline.clone());
            Callback::from(move |_: MouseEvent| {
                let mut next = (*pipeline).clone();
                let j = i as isize + delta;
                if j >= 1 && (j as usize) < next.steps.len() {
                    next.steps.swap(i, j as usize);
                    on_change.emit(next);
                }
            })
        };
        let remove = {
            let (on_change, pipeline) = (props.on_change.clone(), pipeline.clone());
            Callback::from(move |_: MouseEvent| {
                let mut next = (*pipeline).clone();
                next.steps.remove(i);
                on_change.emit(next);
            })
        };
        let previewing = props.preview == Some(i);
        let toggle_preview = {
            let on_preview = props.on_preview.clone();
            Callback::from(move |_: MouseEvent| on_preview.emit((!previewing).then_some(i)))
        };
        let problem = error_step.as_ref().filter(|(s, _)| *s == i).map(|(_, m)| m.clone());
        let preview = previewing
            .then(|| props.info.as_ref().filter(|info| info.preview == Some(i)))
            .flatten()
            .and_then(|info| info.schemas.preview.clone().map(|p| (p, output.clone().unwrap_or_default())));
        let is_write = matches!(step, Step::Write { .. });
        html! {
            <li class={classes!("step-card", problem.is_some().then_some("has-error"))} data-testid="pipeline-step" data-op={op_label(step)}>
                <header class="step-head">
                    <span class="step-num">{ i + 1 }</span>
                    <span class="step-op">{ op_label(step) }</span>
                    <code class="step-var">{ if is_write { String::new() } else { kiln_pipeline::step_var(i) } }</code>
                    <span class="spacer" />
                    if i > 1 { <button class="icon-button" title="Move up" onclick={move_by(-1)}>{"↑"}</button> }
                    if i > 0 && i + 1 < steps.len() { <button class="icon-button" title="Move down" onclick={move_by(1)}>{"↓"}</button> }
                    if i > 0 || steps.len() == 1 { <button class="icon-button" title="Remove this step" data-testid="remove-step" onclick={remove}>{"✕"}</button> }
                </header>
                <div class="step-body">
                    { step_editor(step, &input, &props.tables, set_step(i)) }
                </div>
                if let Some(message) = problem {
                    <p class="step-error" data-testid="step-error">{ message }</p>
                }
                if !is_write {
                    <footer class="step-foot">
                        { match &output {
                            Some(fields) => schema_chips(fields),
                            None => html! { <span class="hint">{"schema: —"}</span> },
                        } }
                        <button class="link-button" data-testid="preview-step" onclick={toggle_preview}>
                            { if previewing { "Hide rows" } else { "Preview rows" } }
                        </button>
                    </footer>
                }
                if previewing {
                    { match preview {
                        Some((page, fields)) => html! {
                            <div class="console-table-wrap">
                                <table class="console-table" data-testid="step-preview">
                                    <thead><tr>{ for fields.iter().map(|f| html! { <th>{ f.name.clone() }</th> }) }</tr></thead>
                                    <tbody>
                                        { for page.rows.iter().map(|row| html! {
                                            <tr>{ for row.iter().map(|c| match c {
                                                Some(v) => html! { <td>{ v.clone() }</td> },
                                                None => html! { <td class="null">{"null"}</td> },
                                            }) }</tr>
                                        }) }
                                    </tbody>
                                </table>
                            </div>
                        },
                        None => html! { <p class="hint">{"Computing the first rows…"}</p> },
                    } }
                }
            </li>
        }
    });
    let last_columns = steps
        .len()
        .checked_sub(1)
        .and_then(schema_of)
        .unwrap_or_default();
    let can_add = !steps.is_empty() && !matches!(steps.last(), Some(Step::Write { .. }));
    let on_add = {
        let (on_change, pipeline, tables) = (
            props.on_change.clone(),
            pipeline.clone(),
            props.tables.clone(),
        );
        Callback::from(move |e: Event| {
            let select = e.target_unchecked_into::<HtmlSelectElement>();
            let kind = select.value();
            select.set_value("");
            if kind.is_empty() {
                return;
            }
            let mut next = (*pipeline).clone();
            next.steps.push(new_step(&kind, &last_columns, &tables));
            on_change.emit(next);
        })
    };
    let start = {
        let (on_change, tables) = (props.on_change.clone(), props.tables.clone());
        Callback::from(move |_: MouseEvent| {
            let table = tables.first().map(|t| t.name.clone()).unwrap_or_default();
            on_change.emit(Pipeline {
                steps: vec![Step::Read { table }],
            });
        })
    };
    let save = {
        let (pipeline, on_error) = (pipeline.clone(), props.on_error.clone());
        Callback::from(move |_: MouseEvent| {
            let saved = serde_json::to_string_pretty(&*pipeline)
                .map_err(|e| e.to_string())
                .and_then(|json| {
                    let bytes = js_sys::Uint8Array::from(json.as_bytes());
                    crate::storage::download::save(&bytes, "kiln-pipeline.json", "application/json")
                        .map_err(|e| crate::js::describe(&e))
                });
            if let Err(e) = saved {
                on_error.emit(format!("saving the pipeline: {e}"));
            }
        })
    };
    let open = {
        let (on_change, on_error) = (props.on_change.clone(), props.on_error.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            let (on_change, on_error) = (on_change.clone(), on_error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let name = file.name();
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                let parsed = text.map_err(|e| crate::js::describe(&e)).and_then(|t| {
                    serde_json::from_str::<Pipeline>(&t.as_string().unwrap_or_default())
                        .map_err(|e| e.to_string())
                });
                match parsed {
                    Ok(pipeline) => on_change.emit(pipeline),
                    Err(e) => on_error.emit(format!("{name} is not a pipeline Kiln saved: {e}")),
                }
            });
        })
    };
    html! {
        <div class="pipeline" data-testid="pipeline-builder">
            if steps.is_empty() {
                <div class="pipeline-empty">
                    <p>{"Build a DataFrame job step by step: read a table, then select, filter, group, join… Each step shows its schema; it runs as a PySpark program, with the same stages and plans as SQL."}</p>
                    <button class="button" data-testid="pipeline-start" onclick={start} disabled={props.tables.is_empty()}>
                        { if props.tables.is_empty() { "Add a table first" } else { "Start from a table" } }
                    </button>
                </div>
            } else {
                <ol class="steps">{ for cards }</ol>
                if can_add {
                    <select class="add-step" data-testid="add-step" onchange={on_add}>
                        <option value="" selected=true>{"+ Add a step…"}</option>
                        for (kind, label) in KINDS.iter() {
                            <option value={*kind}>{ *label }</option>
                        }
                    </select>
                }
            }
            <div class="editor-bar">
                <button class="button primary run" data-testid="run-button"
                    disabled={!props.can_run || steps.is_empty() || props.problem.is_some()}
                    onclick={props.on_run.reform(|_: MouseEvent| ())} title="Run the pipeline as a job">
                    { if props.running { "Running…" } else { "Run" } }
                </button>
                if props.running {
                    <button class="button" data-testid="stop-button" onclick={props.on_stop.reform(|_: MouseEvent| ())}>{"Stop"}</button>
                }
                <span class="hint">{"the last step's result shows below; a write offers its files"}</span>
                <span class="spacer" />
                if !steps.is_empty() {
                    <button class="link-button" data-testid="save-pipeline" onclick={save}
                        title="The steps as JSON: open them here again, or run them with `kiln pipeline`">
                        {"Save steps"}
                    </button>
                }
                <label class="link-button" title="Open steps saved before">
                    {"Open steps…"}
                    <input type="file" class="visually-hidden" accept=".json,application/json"
                        data-testid="open-pipeline" onchange={open} />
                </label>
            </div>
        </div>
    }
}
