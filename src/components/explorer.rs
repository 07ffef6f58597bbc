//! What a table is made of: schema, files, row groups and column chunks.

use kiln_protocol::{ColumnSummary, FileSummary, TableSummary};
use yew::prelude::*;

use crate::format::{codec_name, exact_bytes, group_digits, human_bytes, ratio};

/// Partitioned folders can hold thousands of files; render a screenful unless asked.
const FILES_SHOWN: usize = 50;
/// Files after this many start collapsed.
const FILES_OPEN: usize = 3;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub table: TableSummary,
    /// Puts this SQL in the editor and runs it.
    pub on_query: Callback<String>,
    pub can_run: bool,
}

#[component]
pub fn Explorer(props: &Props) -> Html {
    let table = &props.table;
    let show_all = use_state_eq(|| false);
    let bytes = table.total_bytes();
    let format = table.format.label();
    let shown = if *show_all {
        table.files.len()
    } else {
        FILES_SHOWN
    };
    let first_rows = crate::editors::sql::starter::first_rows(table);
    let on_first_rows = {
        let (on_query, sql) = (props.on_query.clone(), first_rows.clone());
        Callback::from(move |_: MouseEvent| on_query.emit(sql.clone()))
    };
    let expand = {
        let show_all = show_all.clone();
        Callback::from(move |_: MouseEvent| show_all.set(true))
    };

    html! {
        <section class="explorer" data-testid="explorer" aria-label={format!("Table {}", table.name)}>
            <header class="explorer-head">
                <h2><code>{ table.name.clone() }</code><span class={classes!("badge", format)}>{ format }</span></h2>
                <dl class="facts">
                    <div>
                        <dt>{"Rows"}</dt>
                        { match table.total_rows() {
                            Some(rows) => html! {
                                <dd data-testid="explorer-rows" title={group_digits(rows)}>{ rows }</dd>
                            },
                            None => html! {
                                <dd data-testid="explorer-rows" title="CSV files have no row count until they are read">{"unknown"}</dd>
                            },
                        } }
                    </div>
                    <div><dt>{"Size"}</dt><dd title={exact_bytes(bytes)}>{ human_bytes(bytes) }</dd></div>
                    <div><dt>{"Files"}</dt><dd>{ table.files.len() }</dd></div>
                    <div><dt>{"Columns"}</dt><dd>{ table.schema.len() }</dd></div>
                </dl>
                <button class="button primary" data-testid="query-table" onclick={on_first_rows}
                    disabled={!props.can_run} title={format!("Puts {first_rows} in the editor and runs it")}>
                    {"Show the first 100 rows"}
                </button>
            </header>

            <h3>{"Schema"}</h3>
            <table class="grid schema">
                <thead><tr><th>{"Column"}</th><th>{"Type"}</th><th>{"Nullable"}</th></tr></thead>
                <tbody>
                    { for table.schema.iter().map(|f| {
                        let partition = table.partition_columns.contains(&f.name);
                        html! {
                            <tr class={classes!(partition.then_some("partition"))}>
                                <td>
                                    <code>{ f.name.clone() }</code>
                                    if partition {
                                        <span class="badge partition" title="Comes from key=value folder names">{"partition"}</span>
                                    }
                                </td>
                                <td><code class="type" title={format!("Arrow type: {}", f.data_type)}
                                    data-arrow-type={f.data_type.clone()}>{ f.shown_type().to_string() }</code></td>
                                <td>{ if f.nullable { "yes" } else { "no" } }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>

            <h3>{ format!("Files ({})", table.files.len()) }</h3>
            { for table.files.iter().take(shown).enumerate().map(|(i, file)| html! {
                <FileDetails key={file.path.clone()} file={file.clone()} open={i < FILES_OPEN} />
            }) }
            if table.files.len() > shown {
                <button class="button" onclick={expand}>
                    { format!("Show all {} files", table.files.len()) }
                </button>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct FileProps {
    file: FileSummary,
    open: bool,
}

#[component]
fn FileDetails(props: &FileProps) -> Html {
    let file = &props.file;
    let rows = file.rows.map_or_else(|| "—".to_string(), |r| r.to_string());
    let is_csv = file.row_groups.is_empty() && file.columns.is_empty();

    html! {
        <details class="file" data-testid="explorer-file" data-path={file.path.clone()} open={props.open}>
            <summary>
                <code class="file-path">{ file.path.clone() }</code>
                <span class="muted">
                    { file.rows.map(|r| format!("{} rows · ", group_digits(r))).unwrap_or_default() }
                    { human_bytes(file.size_bytes) }
                </span>
            </summary>
            <dl class="facts small">
                <div><dt>{"Rows"}</dt><dd data-testid="file-rows">{ rows }</dd></div>
                <div>
                    <dt>{"Size"}</dt>
                    <dd>
                        <span title={exact_bytes(file.size_bytes)}>{ human_bytes(file.size_bytes) }</span>
                        <span class="muted">{" ("}<span data-testid="file-size-bytes">{ file.size_bytes }</span>{" bytes)"}</span>
                    </dd>
                </div>
                <div>
                    <dt>{"Created by"}</dt>
                    <dd data-testid="file-created-by" class="created-by" title={file.created_by.clone()}>{ file.created_by.clone().unwrap_or_default() }</dd>
                </div>
                <div>
                    <dt>{"Format version"}</dt>
                    <dd>{ file.format_version.map_or_else(|| "—".to_string(), |v| v.to_string()) }</dd>
                </div>
                if !file.partition_values.is_empty() {
                    <div>
                        <dt>{"Partition"}</dt>
                        <dd><code>{ file.partition_values.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ") }</code></dd>
                    </div>
                }
            </dl>
            if is_csv {
                <p class="note">{"CSV files have no footer: row counts and statistics are only known after reading the whole file."}</p>
            }
            if !file.row_groups.is_empty() {
                <h4>{ format!("Row groups ({})", file.row_groups.len()) }</h4>
                // Focusable, so a keyboard can scroll it too.
                <div class="scroll-x" tabindex="0" role="region" aria-label={format!("Row groups of {}", file.path)}>
                    <table class="grid numeric row-groups">
                        <thead><tr>
                            <th>{"#"}</th><th>{"Rows"}</th><th>{"Compressed bytes"}</th>
                            <th>{"Uncompressed bytes"}</th><th>{"Ratio"}</th>
                        </tr></thead>
                        <tbody>
                            { for file.row_groups.iter().enumerate().map(|(i, rg)| html! {
                                <tr data-testid="row-group">
                                    <td class="rg-index">{ i }</td>
                                    <td class="rg-rows">{ rg.rows }</td>
                                    <td class="rg-compressed" title={human_bytes(rg.compressed_bytes)}>{ rg.compressed_bytes }</td>
                                    <td class="rg-uncompressed" title={human_bytes(rg.uncompressed_bytes)}>{ rg.uncompressed_bytes }</td>
                                    <td class="rg-ratio">{ ratio(rg.compressed_bytes, rg.uncompressed_bytes) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
            if !file.columns.is_empty() {
                <h4>{ format!("Column chunks ({})", file.columns.len()) }</h4>
                <div class="scroll-x" tabindex="0" role="region" aria-label={format!("Column chunks of {}", file.path)}>
                    <table class="grid columns">
                        <thead><tr>
                            <th>{"Column"}</th><th>{"Physical"}</th><th>{"Logical"}</th>
                            <th>{"Compression"}</th><th>{"Encodings"}</th><th class="num">{"Nulls"}</th>
                            <th>{"Min"}</th><th>{"Max"}</th>
                            <th class="num">{"Compressed"}</th><th class="num">{"Uncompressed"}</th>
                        </tr></thead>
                        <tbody>{ for file.columns.iter().map(column_row) }</tbody>
                    </table>
                </div>
            }
        </details>
    }
}

fn column_row(c: &ColumnSummary) -> Html {
    let min = c.min.clone().unwrap_or_default();
    let max = c.max.clone().unwrap_or_default();
    let logical = c.logical_type.clone().unwrap_or_default();
    let encodings = c.encodings.join(", ");
    let codecs = c
        .compression
        .iter()
        .map(|codec| codec_name(codec))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        <tr data-testid="column-row" data-column={c.path.clone()}>
            <td class="col-path"><code>{ c.path.clone() }</code></td>
            <td class="col-physical">{ c.physical_type.clone() }</td>
            <td class="col-logical clip" title={logical.clone()}>{ logical }</td>
            <td class="col-compression" title={c.compression.join(", ")}>{ codecs }</td>
            <td class="col-encodings clip" title={encodings.clone()}>{ encodings }</td>
            <td class="col-nulls num" title={ if c.null_count.is_none() { "not recorded in every row group" } else { "" } }>
                { c.null_count.map(|n| n.to_string()).unwrap_or_default() }
            </td>
            <td class="col-min value" title={min.clone()}>{ min }</td>
            <td class="col-max value" title={max.clone()}>{ max }</td>
            <td class="col-compressed num" title={exact_bytes(c.compressed_bytes)}>{ human_bytes(c.compressed_bytes) }</td>
            <td class="col-uncompressed num" title={exact_bytes(c.uncompressed_bytes)}>{ human_bytes(c.uncompressed_bytes) }</td>
        </tr>
    }
}
