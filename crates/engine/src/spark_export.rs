//! A Kiln job as something a Spark cluster runs: a PySpark script (`spark-submit
//! job.py --input DIR [--output DIR]`) and a Spark SQL file. Both read the same files
//! the job read, by their paths relative to the folder that holds them (`--input`, or
//! `${input}` in SQL), so the job moves to a cluster as it is once the files are there.

use kiln_pipeline::python::py_str;
use kiln_protocol::FileFormat;

use crate::error::EngineError;

/// A table the job reads: the name the job's text uses for it and where it lies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SparkSource {
    /// The view name in SQL (the catalog's table name).
    pub view: String,
    /// The path relative to the input folder (`yellow`, `taxi_zone_lookup.parquet`).
    pub path: String,
    pub format: FileFormat,
}

/// What the script runs once its tables are views.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptBody {
    /// One query in Spark SQL; the script shows its result or writes it to `--output`.
    Query { spark_sql: String },
    /// A PySpark program as written, its read and write paths already rewritten to
    /// `inp(...)` and `out(...)`; the program's own actions run.
    Program { text: String },
}

fn arrow_refused(source: &SparkSource) -> EngineError {
    EngineError::InvalidInput(format!(
        "Spark cannot read Arrow IPC files ({}); save the table as Parquet and read that",
        source.path
    ))
}

/// How Spark must read a source, or why it cannot.
fn reader(source: &SparkSource) -> Result<&'static str, EngineError> {
    Ok(match source.format {
        FileFormat::Parquet => "spark.read.parquet",
        // Kiln reads CSV with a header and infers types; Spark does the same when told.
        FileFormat::Csv => "spark.read.option(\"header\", True).option(\"inferSchema\", True).csv",
        FileFormat::JsonLines => "spark.read.json",
        FileFormat::ArrowIpc => return Err(arrow_refused(source)),
    })
}

/// The PySpark script of a job called `title` (`kiln-job-3`).
pub fn pyspark_script(
    title: &str,
    sources: &[SparkSource],
    body: &ScriptBody,
) -> Result<String, EngineError> {
    let mut views = String::new();
    for source in sources {
        views.push_str(&format!(
            "{}(inp({})).createOrReplaceTempView({})\n",
            reader(source)?,
            py_str(&source.path),
            py_str(&source.view)
        ));
    }
    if views.is_empty() {
        views.push_str("# (the job reads no tables)\n");
    }
    let body = match body {
        ScriptBody::Query { spark_sql } => format!(
            "result = spark.sql(\"\"\"\n{}\n\"\"\")\n\n\
             if args.output:\n    \
             result.write.mode(\"overwrite\").parquet(args.output)\n\
             else:\n    \
             result.show(20, truncate=False)\n",
            spark_sql
                .replace('\\', "\\\\")
                .replace("\"\"\"", "\\\"\\\"\\\"")
        ),
        ScriptBody::Program { text } => text.clone(),
    };
    Ok(format!(
        r#""""{title}, exported from Kiln to run on Apache Spark.

    spark-submit {file}.py --input DIR [--output DIR]

DIR holds the files the job read in Kiln, laid out as they were picked (a folder per
table). Paths the job writes go below --output (default: the current folder).
"""
import argparse
import os

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.window import Window

parser = argparse.ArgumentParser(description={desc})
parser.add_argument("--input", default=".", help="folder holding the job's input files")
parser.add_argument("--output", default=None, help="folder for what the job writes")
args = parser.parse_args()


def inp(path):
    return os.path.join(args.input, path)


def out(path):
    return os.path.join(args.output or ".", path)


def display(df):
    """Kiln's display(df): the whole result; here shown, or written below --output."""
    if args.output:
        df.write.mode("overwrite").parquet(out("result"))
    else:
        df.show(20, truncate=False)


spark = SparkSession.builder.appName({app}).getOrCreate()
# Kiln matches column names as written (`Zone` is not `zone`); so does Spark, told so.
spark.conf.set("spark.sql.caseSensitive", "true")

# The tables the job reads, under the names Kiln gave them.
{views}
{body}"#,
        file = title,
        desc = py_str(&format!("{title}, exported from Kiln")),
        app = py_str(title),
    ))
}

/// The Spark SQL file of a query: a temporary view per table, then the query.
pub fn spark_sql_script(
    title: &str,
    sources: &[SparkSource],
    spark_sql: &str,
) -> Result<String, EngineError> {
    let mut text = format!(
        "-- {title}, exported from Kiln to run on Apache Spark:\n\
         --   spark-sql --hivevar input=DIR -f {title}.sql\n\
         -- DIR holds the files the job read in Kiln, laid out as they were picked.\n\n\
         -- Kiln matches column names as written (`Zone` is not `zone`); so does Spark, told so.\n\
         SET spark.sql.caseSensitive = true;\n\n"
    );
    for source in sources {
        let using = match source.format {
            FileFormat::Parquet => "parquet",
            FileFormat::Csv => "csv",
            FileFormat::JsonLines => "json",
            FileFormat::ArrowIpc => return Err(arrow_refused(source)),
        };
        let extra = if source.format == FileFormat::Csv {
            ", header 'true', inferSchema 'true'"
        } else {
            ""
        };
        text.push_str(&format!(
            "CREATE OR REPLACE TEMPORARY VIEW `{}`\nUSING {using}\nOPTIONS (path '${{input}}/{}'{extra});\n\n",
            source.view.replace('`', "``"),
            source.path.replace('\\', "\\\\").replace('\'', "\\'")
        ));
    }
    text.push_str(spark_sql.trim_end());
    text.push_str(";\n");
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Vec<SparkSource> {
        vec![
            SparkSource {
                view: "yellow_tripdata".into(),
                path: "yellow".into(),
                format: FileFormat::Parquet,
            },
            SparkSource {
                view: "zones".into(),
                path: "taxi_zone_lookup.csv".into(),
                format: FileFormat::Csv,
            },
        ]
    }

    #[test]
    fn a_query_script_registers_each_table_then_runs_the_query() {
        let script = pyspark_script(
            "kiln-job-3",
            &sources(),
            &ScriptBody::Query {
                spark_sql: "SELECT 1 AS \"\"\"odd\"\"\"".into(),
            },
        )
        .unwrap();
        assert!(script.contains(
            "spark.read.parquet(inp(\"yellow\")).createOrReplaceTempView(\"yellow_tripdata\")"
        ));
        assert!(script.contains(".option(\"header\", True).option(\"inferSchema\", True).csv(inp(\"taxi_zone_lookup.csv\"))"));
        // Triple quotes in the SQL cannot end the Python string early.
        assert!(
            script.contains("SELECT 1 AS \\\"\\\"\\\"odd\\\"\\\"\\\""),
            "{script}"
        );
    }

    #[test]
    fn arrow_files_are_refused_with_a_reason() {
        let arrow = [SparkSource {
            view: "t".into(),
            path: "t.arrow".into(),
            format: FileFormat::ArrowIpc,
        }];
        let err = spark_sql_script("j", &arrow, "SELECT 1").unwrap_err();
        assert!(err.to_string().contains("Arrow IPC"), "{err}");
    }

    #[test]
    fn the_sql_file_reads_paths_below_the_input_variable() {
        let text = spark_sql_script("kiln-job-1", &sources(), "SELECT * FROM `zones`").unwrap();
        assert!(text.contains("CREATE OR REPLACE TEMPORARY VIEW `yellow_tripdata`\nUSING parquet\nOPTIONS (path '${input}/yellow');"));
        assert!(text.contains(
            "OPTIONS (path '${input}/taxi_zone_lookup.csv', header 'true', inferSchema 'true');"
        ));
        assert!(text.ends_with("SELECT * FROM `zones`;\n"));
    }
}
