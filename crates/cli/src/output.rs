//! `kiln sql --out FILE` and `--write DIR`: the result saved as one file, or written
//! like a batch job's output (a file per task and per `--partition-by` value).

use std::path::Path;

use clap::{Args, ValueEnum};
use kiln_engine::QueryOutput;
use kiln_engine::export::{ExportStream, write_output};
use kiln_protocol::{ExportFormat, FileLayout, UserError, WriteOptions};

use crate::cli_error;

#[derive(Clone, Copy, ValueEnum)]
pub enum FileFormat {
    Parquet,
    Csv,
    Jsonl,
    Arrow,
}

impl From<FileFormat> for ExportFormat {
    fn from(f: FileFormat) -> Self {
        match f {
            FileFormat::Parquet => ExportFormat::Parquet,
            FileFormat::Csv => ExportFormat::Csv,
            FileFormat::Jsonl => ExportFormat::JsonLines,
            FileFormat::Arrow => ExportFormat::ArrowIpc,
        }
    }
}

#[derive(Args)]
pub struct OutputArgs {
    /// Save the result as this file instead of printing it.
    #[arg(long)]
    pub out: Option<String>,
    /// Write the result as a folder of files, like a Spark job's `df.write`.
    #[arg(long, conflicts_with = "out")]
    pub write: Option<String>,
    /// The format of `--out` or `--write` files.
    #[arg(long, value_enum, default_value_t = FileFormat::Parquet)]
    pub out_format: FileFormat,
    /// With `--write`: a `col=value/` folder level per column, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub partition_by: Vec<String>,
    /// With `--write`: `tasks` (a file per task of the last stage), `repartition:N`
    /// or `coalesce:N`.
    #[arg(long, default_value = "tasks", value_parser = parse_layout)]
    pub files: FileLayout,
}

fn parse_layout(text: &str) -> Result<FileLayout, String> {
    let (kind, n) = text.split_once(':').unwrap_or((text, ""));
    let n = || {
        n.parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("`{text}`: expected a file count after `{kind}:`"))
    };
    match kind {
        "tasks" => Ok(FileLayout::Tasks),
        "repartition" => Ok(FileLayout::Repartition { n: n()? }),
        "coalesce" => Ok(FileLayout::Coalesce { n: n()? }),
        _ => Err(format!(
            "`{text}`: expected tasks, repartition:N or coalesce:N"
        )),
    }
}

impl OutputArgs {
    pub fn wanted(&self) -> bool {
        self.out.is_some() || self.write.is_some()
    }

    /// Saves `output` where the arguments say; prints each written file.
    pub fn save(&self, output: &QueryOutput) -> Result<(), UserError> {
        let format = ExportFormat::from(self.out_format);
        if let Some(path) = &self.out {
            let mut file = std::fs::File::create(path)
                .map_err(|e| cli_error(&format!("creating {path}"), e))?;
            let mut stream = ExportStream::new(output, format)
                .map_err(|e| e.to_user(format!("writing {path}")))?;
            while let Some(chunk) = stream
                .next_chunk(8 << 20)
                .map_err(|e| e.to_user(format!("writing {path}")))?
            {
                std::io::Write::write_all(&mut file, &chunk)
                    .map_err(|e| cli_error(&format!("writing {path}"), e))?;
            }
        }
        if let Some(dir) = &self.write {
            let options = WriteOptions {
                format,
                partition_by: self.partition_by.clone(),
                files: self.files,
            };
            let files = output
                .tasks()
                .and_then(|tasks| write_output(&output.schema, &tasks, &options))
                .map_err(|e| e.to_user(format!("writing {dir}")))?;
            let root = Path::new(dir);
            for (file, bytes) in &files {
                let path = root.join(&file.path);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| cli_error(&format!("creating {}", parent.display()), e))?;
                }
                std::fs::write(&path, bytes)
                    .map_err(|e| cli_error(&format!("writing {}", path.display()), e))?;
                println!("{}\t{}\t{}", file.path, file.rows, file.bytes);
            }
            std::fs::create_dir_all(root).map_err(|e| cli_error(&format!("creating {dir}"), e))?;
            std::fs::write(root.join("_SUCCESS"), b"")
                .map_err(|e| cli_error(&format!("writing {dir}/_SUCCESS"), e))?;
        }
        Ok(())
    }
}
