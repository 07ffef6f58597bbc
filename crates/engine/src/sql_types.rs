//! Types and values as SQL engines print them. Arrow's names (`Utf8View`,
//! `Decimal128(22, 2)`, `Int64`) are internal; people know `STRING`, `DECIMAL(22,2)` and
//! `BIGINT` from DuckDB, Spark and Postgres, so the page and the CLI's table show those
//! (the Arrow type stays available for the hover). Spark's spelling is used for nested
//! types (`ARRAY<STRING>`), since Kiln's programs are PySpark.

use datafusion::arrow::datatypes::{DataType, Field, IntervalUnit};
use datafusion::arrow::util::display::FormatOptions;
use kiln_protocol::{FieldSummary, FieldSummaryRef};

/// The SQL name of an Arrow type.
pub fn sql_type(data_type: &DataType) -> String {
    match data_type {
        DataType::Null => "NULL".into(),
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 => "SMALLINT".into(),
        DataType::Int32 => "INT".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::UInt8 => "TINYINT UNSIGNED".into(),
        DataType::UInt16 => "SMALLINT UNSIGNED".into(),
        DataType::UInt32 => "INT UNSIGNED".into(),
        DataType::UInt64 => "BIGINT UNSIGNED".into(),
        DataType::Float16 => "HALF".into(),
        DataType::Float32 => "FLOAT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Decimal32(p, s)
        | DataType::Decimal64(p, s)
        | DataType::Decimal128(p, s)
        | DataType::Decimal256(p, s) => format!("DECIMAL({p},{s})"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "STRING".into(),
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => "BINARY".into(),
        DataType::Date32 | DataType::Date64 => "DATE".into(),
        DataType::Time32(_) | DataType::Time64(_) => "TIME".into(),
        DataType::Timestamp(_, None) => "TIMESTAMP".into(),
        DataType::Timestamp(_, Some(_)) => "TIMESTAMP WITH TIME ZONE".into(),
        DataType::Duration(_) => "INTERVAL".into(),
        DataType::Interval(IntervalUnit::YearMonth) => "INTERVAL YEAR TO MONTH".into(),
        DataType::Interval(_) => "INTERVAL".into(),
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::ListView(f)
        | DataType::LargeListView(f)
        | DataType::FixedSizeList(f, _) => format!("ARRAY<{}>", sql_type(f.data_type())),
        DataType::Struct(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.name(), sql_type(f.data_type())))
                .collect();
            format!("STRUCT<{}>", inner.join(", "))
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => format!(
                "MAP<{}, {}>",
                sql_type(kv[0].data_type()),
                sql_type(kv[1].data_type())
            ),
            other => format!("MAP<{}>", sql_type(other)),
        },
        DataType::Dictionary(_, value) => sql_type(value),
        DataType::RunEndEncoded(_, values) => sql_type(values.data_type()),
        DataType::Union(..) => "UNION".into(),
    }
}

/// A table's column as the explorer and completions show it.
pub fn field_summary(field: &Field) -> FieldSummary {
    FieldSummary {
        name: field.name().clone(),
        data_type: field.data_type().to_string(),
        sql_type: sql_type(field.data_type()),
        nullable: field.is_nullable(),
    }
}

/// A result's column as its header shows it.
pub fn result_column(field: &Field) -> FieldSummaryRef {
    FieldSummaryRef {
        name: field.name().clone(),
        data_type: field.data_type().to_string(),
        sql_type: sql_type(field.data_type()),
    }
}

/// How result values are printed for people: timestamps as SQL engines print them
/// (`2024-12-21 08:50:10`, not ISO 8601's `2024-12-21T08:50:10`), fractions of a second
/// only when there are any.
pub fn display_options() -> FormatOptions<'static> {
    FormatOptions::default()
        .with_display_error(true)
        .with_datetime_format(Some("%Y-%m-%d %H:%M:%S%.f"))
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"))
        .with_timestamp_tz_format(Some("%Y-%m-%d %H:%M:%S%.f%:z"))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, TimestampMicrosecondArray};
    use datafusion::arrow::datatypes::TimeUnit;
    use datafusion::arrow::util::display::ArrayFormatter;

    use super::*;

    #[test]
    fn names_are_the_sql_ones() {
        let cases = [
            (DataType::Int64, "BIGINT"),
            (DataType::Utf8View, "STRING"),
            (DataType::Decimal128(22, 2), "DECIMAL(22,2)"),
            (
                DataType::Timestamp(TimeUnit::Microsecond, None),
                "TIMESTAMP",
            ),
            (
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                "TIMESTAMP WITH TIME ZONE",
            ),
            (
                DataType::List(Arc::new(Field::new("element", DataType::Utf8, true))),
                "ARRAY<STRING>",
            ),
            (
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                "STRING",
            ),
        ];
        for (data_type, expected) in cases {
            assert_eq!(sql_type(&data_type), expected, "{data_type}");
        }
    }

    #[test]
    fn timestamps_print_with_a_space_and_only_real_fractions() {
        let values: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![
            1_734_771_010_000_000,
            1_734_771_010_250_000,
        ]));
        let options = display_options();
        let f = ArrayFormatter::try_new(values.as_ref(), &options).expect("formatter");
        assert_eq!(f.value(0).to_string(), "2024-12-21 08:50:10");
        assert_eq!(f.value(1).to_string(), "2024-12-21 08:50:10.250");
    }
}
