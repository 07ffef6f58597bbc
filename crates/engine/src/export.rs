//! Saving results: one file in a format, encoded chunk by chunk so a large result never
//! sits encoded in memory beside its Arrow batches; and a batch job's written output,
//! files per task and per `partitionBy` value in `col=value/` folders, zipped with a
//! `_SUCCESS` marker as Spark leaves one.

use std::io::Write;
use std::sync::Arc;

use arrow::compute::take_record_batch;
use datafusion::arrow::array::{Array, UInt32Array};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use kiln_protocol::{ExportFormat, FileLayout, OutputFile, WriteOptions};
use parquet::arrow::ArrowWriter;

use crate::error::EngineError;
use crate::query_output::{QueryOutput, ResultBatches};
use crate::results::parquet_properties;

/// Rows encoded per step, so that each chunk stays a few MB even for wide rows.
const ROWS_PER_STEP: usize = 64 * 1024;

/// A result being encoded as one file, a chunk at a time.
pub struct ExportStream {
    schema: SchemaRef,
    /// Read as they are encoded: a result on disk stays there.
    batches: ResultBatches,
    /// The batch being encoded, and the next row of it.
    current: Option<(RecordBatch, usize)>,
    encoder: Encoder,
    finished: bool,
}

enum Encoder {
    Parquet(Box<ArrowWriter<Vec<u8>>>),
    Ipc(Box<arrow::ipc::writer::FileWriter<Vec<u8>>>),
    Csv { header_written: bool },
    JsonLines,
}

impl ExportStream {
    pub fn new(output: &QueryOutput, format: ExportFormat) -> Result<Self, EngineError> {
        let schema = output.schema.clone();
        let encoder = match format {
            ExportFormat::Parquet => Encoder::Parquet(Box::new(ArrowWriter::try_new(
                Vec::new(),
                schema.clone(),
                Some(parquet_properties()),
            )?)),
            // 8-byte alignment: with arrow-rs's default of 64 the magic is followed by
            // 58 bytes of padding, which readers that stream the file from byte 8
            // (DataFusion's schema inference among them) cannot read.
            ExportFormat::ArrowIpc => Encoder::Ipc(Box::new(
                arrow::ipc::writer::FileWriter::try_new_with_options(
                    Vec::new(),
                    &schema,
                    arrow::ipc::writer::IpcWriteOptions::try_new(
                        8,
                        false,
                        arrow::ipc::MetadataVersion::V5,
                    )?,
                )?,
            )),
            ExportFormat::Csv => Encoder::Csv {
                header_written: false,
            },
            ExportFormat::JsonLines => Encoder::JsonLines,
        };
        Ok(Self {
            schema,
            batches: output.batches(),
            current: None,
            encoder,
            finished: false,
        })
    }

    /// Whether the whole file has been handed out.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The next chunk of the file, at least `min_bytes` long unless it is the last;
    /// `None` once the whole file has been handed out.
    pub fn next_chunk(&mut self, min_bytes: usize) -> Result<Option<Vec<u8>>, EngineError> {
        if self.finished {
            return Ok(None);
        }
        let mut out = Vec::new();
        while out.len() < min_bytes {
            match self.next_slice()? {
                Some(slice) => self.encode(&slice, &mut out)?,
                None => {
                    self.finish(&mut out)?;
                    self.finished = true;
                    break;
                }
            }
        }
        Ok(Some(out))
    }

    fn next_slice(&mut self) -> Result<Option<RecordBatch>, EngineError> {
        loop {
            match &mut self.current {
                Some((batch, row)) if *row < batch.num_rows() => {
                    let take = (batch.num_rows() - *row).min(ROWS_PER_STEP);
                    let slice = batch.slice(*row, take);
                    *row += take;
                    return Ok(Some(slice));
                }
                _ => match self.batches.next() {
                    Some(batch) => self.current = Some((batch?, 0)),
                    None => return Ok(None),
                },
            }
        }
    }

    fn encode(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<(), EngineError> {
        match &mut self.encoder {
            Encoder::Parquet(w) => {
                w.write(batch)?;
                // Whole row groups reach the buffer as they fill; hand out what is there.
                out.append(w.inner_mut());
            }
            Encoder::Ipc(w) => {
                w.write(batch)?;
                out.append(w.get_mut());
            }
            Encoder::Csv { header_written } => {
                if !*header_written {
                    write_csv_header(&self.schema, out);
                    *header_written = true;
                }
                write_csv_rows(batch, out)?;
            }
            Encoder::JsonLines => {
                let mut writer = arrow::json::LineDelimitedWriter::new(&mut *out);
                writer.write(batch)?;
                writer.finish()?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), EngineError> {
        match &mut self.encoder {
            Encoder::Parquet(w) => {
                w.finish()?;
                out.append(w.inner_mut());
            }
            Encoder::Ipc(w) => {
                w.finish()?;
                out.append(w.get_mut());
            }
            Encoder::Csv { header_written } if !*header_written => {
                // An empty result still gets its header line.
                write_csv_header(&self.schema, out);
                *header_written = true;
            }
            Encoder::Csv { .. } | Encoder::JsonLines => {}
        }
        Ok(())
    }
}

// CSV is written here rather than with arrow's writer, which writes NULL and the empty
// string alike. RFC 4180 has no NULL; Spark and DuckDB write NULL as an empty field and
// the empty string as `""`, and read them back apart. Values are formatted as arrow's
// writer formats them (ISO 8601 timestamps).

fn write_csv_header(schema: &Schema, out: &mut Vec<u8>) {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_csv_field(name, out);
    }
    out.extend_from_slice(b"\r\n");
}

fn write_csv_rows(batch: &RecordBatch, out: &mut Vec<u8>) -> Result<(), EngineError> {
    let options = FormatOptions::default();
    let formatters = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()?;
    // Logical nulls, so that a column of type Null is all NULL.
    let nulls: Vec<_> = batch.columns().iter().map(|c| c.logical_nulls()).collect();
    let mut value = String::new();
    for row in 0..batch.num_rows() {
        for (i, (nulls, formatter)) in nulls.iter().zip(&formatters).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if nulls.as_ref().is_some_and(|n| n.is_null(row)) {
                continue;
            }
            value.clear();
            std::fmt::Write::write_fmt(&mut value, format_args!("{}", formatter.value(row)))
                .map_err(|e| EngineError::Write(format!("formatting a CSV value: {e}")))?;
            write_csv_field(&value, out);
        }
        out.extend_from_slice(b"\r\n");
    }
    Ok(())
}

/// One field as RFC 4180 wants it: quoted when it holds a comma, a quote or a line
/// break (quotes doubled), and when it is empty, so that it is not read as NULL.
fn write_csv_field(value: &str, out: &mut Vec<u8>) {
    let quote = value.is_empty() || value.contains([',', '"', '\r', '\n']);
    if quote {
        out.push(b'"');
        out.extend_from_slice(value.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}

/// A whole file at once (for written outputs, whose files are small pieces).
pub fn encode(
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    format: ExportFormat,
) -> Result<Vec<u8>, EngineError> {
    let mut stream = ExportStream::new(&QueryOutput::new(schema, batches), format)?;
    let mut out = Vec::new();
    while let Some(mut chunk) = stream.next_chunk(usize::MAX)? {
        out.append(&mut chunk);
    }
    Ok(out)
}

/// A result written like a batch job: `tasks[i]` is what task i of the last stage
/// produced. Files are named by the task (or file group) that writes them.
pub fn write_output(
    schema: &SchemaRef,
    tasks: &[Vec<RecordBatch>],
    options: &WriteOptions,
) -> Result<Vec<(OutputFile, Vec<u8>)>, EngineError> {
    let partition_columns = options
        .partition_by
        .iter()
        .map(|name| {
            schema.index_of(name).map_err(|_| {
                EngineError::InvalidInput(format!(
                    "cannot partition by {name}: the result has no such column (it has {})",
                    column_names(schema)
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if partition_columns.len() == schema.fields().len() && !partition_columns.is_empty() {
        return Err(EngineError::InvalidInput(
            "cannot partition by every column: the files would have no columns left".into(),
        ));
    }
    let data_columns: Vec<usize> = (0..schema.fields().len())
        .filter(|i| !partition_columns.contains(i))
        .collect();
    let data_schema = Arc::new(schema.project(&data_columns)?);
    let groups = file_groups(tasks, options.files);
    let ext = options.format.extension();
    let mut files = Vec::new();
    for (index, group) in groups.iter().enumerate() {
        // Partition folders in the order their values first appear, as a task meets them.
        let mut parts: Vec<(String, Vec<RecordBatch>)> = Vec::new();
        for batch in group {
            for (folder, rows) in split_by_values(batch, &partition_columns)? {
                let taken = take_record_batch(batch, &UInt32Array::from(rows))?;
                let data = taken.project(&data_columns)?;
                match parts.iter_mut().find(|(f, _)| *f == folder) {
                    Some((_, batches)) => batches.push(data),
                    None => parts.push((folder, vec![data])),
                }
            }
        }
        for (folder, batches) in parts {
            let rows = batches.iter().map(|b| b.num_rows() as u64).sum();
            let bytes = encode(data_schema.clone(), batches, options.format)?;
            files.push((
                OutputFile {
                    path: format!("{folder}part-{index:05}.{ext}"),
                    rows,
                    bytes: bytes.len() as u64,
                },
                bytes,
            ));
        }
    }
    Ok(files)
}

fn column_names(schema: &Schema) -> String {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    names.join(", ")
}

/// The batches each file (before partition values) is written from.
fn file_groups(tasks: &[Vec<RecordBatch>], layout: FileLayout) -> Vec<Vec<RecordBatch>> {
    let non_empty = |g: &Vec<RecordBatch>| g.iter().any(|b| b.num_rows() > 0);
    match layout {
        FileLayout::Tasks => tasks.iter().filter(|t| non_empty(t)).cloned().collect(),
        FileLayout::Coalesce { n } => {
            let n = n.max(1);
            let per_group = tasks.len().div_ceil(n).max(1);
            tasks
                .chunks(per_group)
                .map(|c| c.iter().flatten().cloned().collect())
                .filter(non_empty)
                .collect()
        }
        FileLayout::Repartition { n } => {
            let n = n.max(1);
            let all: Vec<&RecordBatch> = tasks.iter().flatten().collect();
            let total: usize = all.iter().map(|b| b.num_rows()).sum();
            let per_file = total.div_ceil(n).max(1);
            let mut groups: Vec<Vec<RecordBatch>> = Vec::new();
            let mut room = 0;
            for batch in all {
                let mut row = 0;
                while row < batch.num_rows() {
                    if room == 0 {
                        groups.push(Vec::new());
                        room = per_file;
                    }
                    let take = (batch.num_rows() - row).min(room);
                    if let Some(g) = groups.last_mut() {
                        g.push(batch.slice(row, take));
                    }
                    row += take;
                    room -= take;
                }
            }
            groups
        }
    }
}

/// Row indices of `batch` by the folder their partition values name
/// (`col=value/…/`, or `""` without partition columns), in order of first appearance.
fn split_by_values(
    batch: &RecordBatch,
    columns: &[usize],
) -> Result<Vec<(String, Vec<u32>)>, EngineError> {
    let rows = batch.num_rows() as u32;
    if columns.is_empty() {
        return Ok(vec![(String::new(), (0..rows).collect())]);
    }
    let options = FormatOptions::default();
    let formatters = columns
        .iter()
        .map(|c| ArrayFormatter::try_new(batch.column(*c).as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()?;
    let schema = batch.schema();
    let nulls: Vec<_> = columns
        .iter()
        .map(|c| batch.column(*c).logical_nulls())
        .collect();
    let mut out: Vec<(String, Vec<u32>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for row in 0..rows as usize {
        let mut folder = String::new();
        for ((c, f), nulls) in columns.iter().zip(&formatters).zip(&nulls) {
            let value = if nulls.as_ref().is_some_and(|n| n.is_null(row)) {
                // Hive's and Spark's name for a NULL partition value.
                "__HIVE_DEFAULT_PARTITION__".to_string()
            } else {
                escape_path_value(&f.value(row).to_string())
            };
            folder.push_str(&format!("{}={value}/", schema.field(*c).name()));
        }
        match index.get(&folder) {
            Some(&i) => out[i].1.push(row as u32),
            None => {
                index.insert(folder.clone(), out.len());
                out.push((folder, vec![row as u32]));
            }
        }
    }
    Ok(out)
}

/// Escapes a partition value for a path segment the way Hive does (`%XX` for path
/// separators, `=`, `:` and other characters no file system takes everywhere), so
/// Spark, DuckDB and pyarrow read the value back unchanged.
fn escape_path_value(value: &str) -> String {
    const SPECIAL: &[char] = &[
        '"', '#', '%', '\'', '*', '/', ':', '=', '?', '\\', '\x7f', '{', '[', ']', '^', '<', '>',
        '|',
    ];
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_control() || SPECIAL.contains(&c) {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    if out.is_empty() {
        "__HIVE_DEFAULT_PARTITION__".into()
    } else {
        out
    }
}

/// The written files as one zip under `root/`, with Spark's empty `_SUCCESS` marker.
/// Parquet and Arrow are stored as they are (already compressed); text is deflated.
pub fn zip_output(
    root: &str,
    files: &[(OutputFile, Vec<u8>)],
    format: ExportFormat,
) -> Result<Vec<u8>, EngineError> {
    // Parquet and Arrow are compressed already; text formats are worth deflating.
    let deflate = matches!(format, ExportFormat::Csv | ExportFormat::JsonLines);
    let entries: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(f, bytes)| (f.path.as_str(), bytes.as_slice()))
        .collect();
    zip_folder(root, &entries, deflate, true)
}

/// Files as one zip, under a folder `root`; `success` adds Spark's `_SUCCESS` marker.
pub fn zip_folder(
    root: &str,
    files: &[(&str, &[u8])],
    deflate: bool,
    success: bool,
) -> Result<Vec<u8>, EngineError> {
    use zip::write::SimpleFileOptions;
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .large_file(files.iter().any(|(_, b)| b.len() as u64 >= u32::MAX as u64));
    let zip_error = |e: zip::result::ZipError| EngineError::Write(format!("zip: {e}"));
    let io_error = |e: std::io::Error| EngineError::Write(format!("zip: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, bytes) in files {
        zip.start_file(format!("{root}/{path}"), options)
            .map_err(zip_error)?;
        zip.write_all(bytes).map_err(io_error)?;
    }
    if success {
        zip.start_file(format!("{root}/_SUCCESS"), options)
            .map_err(zip_error)?;
    }
    Ok(zip.finish().map_err(zip_error)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field};

    fn batch(keys: &[Option<&str>], values: &[i64]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Utf8, true),
            Field::new("v", DataType::Int64, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(keys.to_vec())),
                Arc::new(Int64Array::from(values.to_vec())),
            ],
        )
        .expect("a batch")
    }

    #[test]
    fn partition_values_become_escaped_folders_per_task() {
        let tasks = vec![
            vec![batch(&[Some("a/b"), None, Some("a/b")], &[1, 2, 3])],
            vec![batch(&[Some("x=1")], &[4])],
            vec![],
        ];
        let schema = tasks[0][0].schema();
        let options = WriteOptions {
            format: ExportFormat::Csv,
            partition_by: vec!["k".into()],
            files: FileLayout::Tasks,
        };
        let files = write_output(&schema, &tasks, &options).expect("written");
        let listed: Vec<(&str, u64)> = files
            .iter()
            .map(|(f, _)| (f.path.as_str(), f.rows))
            .collect();
        assert_eq!(
            listed,
            vec![
                ("k=a%2Fb/part-00000.csv", 2),
                ("k=__HIVE_DEFAULT_PARTITION__/part-00000.csv", 1),
                ("k=x%3D1/part-00001.csv", 1),
            ]
        );
        // The partition column lives in the path only.
        assert_eq!(String::from_utf8_lossy(&files[0].1), "v\r\n1\r\n3\r\n");
    }

    #[test]
    fn repartition_and_coalesce_set_the_number_of_files() {
        let tasks: Vec<Vec<RecordBatch>> = (0..5)
            .map(|i| vec![batch(&[Some("a"); 4], &[i; 4])])
            .collect();
        let schema = tasks[0][0].schema();
        let count = |files| {
            let options = WriteOptions {
                format: ExportFormat::Parquet,
                partition_by: vec![],
                files,
            };
            let written = write_output(&schema, &tasks, &options).expect("written");
            let rows: Vec<u64> = written.iter().map(|(f, _)| f.rows).collect();
            rows
        };
        assert_eq!(count(FileLayout::Tasks), vec![4; 5]);
        assert_eq!(count(FileLayout::Coalesce { n: 2 }), vec![12, 8]);
        assert_eq!(count(FileLayout::Repartition { n: 3 }), vec![7, 7, 6]);
        assert_eq!(count(FileLayout::Coalesce { n: 1 }), vec![20]);
    }

    #[test]
    fn csv_keeps_null_and_empty_text_apart_and_quotes_what_needs_it() {
        let b = batch(
            &[None, Some(""), Some("a,\"b\"\nc"), Some("plain")],
            &[1, 2, 3, 4],
        );
        let csv = encode(b.schema(), vec![b], ExportFormat::Csv).expect("encoded");
        assert_eq!(
            String::from_utf8_lossy(&csv),
            "k,v\r\n,1\r\n\"\",2\r\n\"a,\"\"b\"\"\nc\",3\r\nplain,4\r\n"
        );
    }

    #[test]
    fn chunks_add_up_to_the_whole_file() {
        let b = batch(&[Some("a"), Some("b")], &[1, 2]);
        let schema = b.schema();
        for format in ExportFormat::ALL {
            let whole = encode(schema.clone(), vec![b.clone(); 3], format).expect("encoded");
            let output = QueryOutput::new(schema.clone(), vec![b.clone(); 3]);
            let mut stream = ExportStream::new(&output, format).expect("a stream");
            let mut chunked = Vec::new();
            while let Some(chunk) = stream.next_chunk(1).expect("a chunk") {
                chunked.extend(chunk);
            }
            assert_eq!(chunked, whole, "{format:?}");
        }
    }
}
