//! Turning the paths people pick into tables: which files belong together, what the
//! table is called in SQL, and which folder names are partition values.

use std::collections::BTreeMap;

/// File kinds Kiln opens, judged by name. Anything else is offered to the Parquet reader
/// only if it ends in Parquet's magic bytes (checked later, on the bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Parquet,
    Csv,
    CsvGz,
    /// Newline-delimited JSON, as Kiln and Spark write it.
    JsonLines,
    /// Arrow IPC files (Feather v2).
    ArrowIpc,
    /// Bookkeeping files written next to data by Spark and Hadoop (`_SUCCESS`, `.crc`,
    /// hidden files): skipped silently inside folders.
    Ignored,
    /// A data format Kiln does not read, named: refused with its name, not as "not a
    /// Parquet file".
    Unsupported(&'static str),
    Unknown,
}

pub fn kind_of(path: &str) -> NameKind {
    let file = path.rsplit('/').next().unwrap_or(path);
    let lower = file.to_ascii_lowercase();
    if file.starts_with('_') || file.starts_with('.') || lower.ends_with(".crc") {
        NameKind::Ignored
    } else if lower.ends_with(".parquet") || lower.ends_with(".parq") || lower.ends_with(".pq") {
        NameKind::Parquet
    } else if lower.ends_with(".csv.gz") {
        NameKind::CsvGz
    } else if lower.ends_with(".csv") {
        NameKind::Csv
    } else if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") || lower.ends_with(".json") {
        // Spark's `df.write.json` writes JSON Lines in `.json` files.
        NameKind::JsonLines
    } else if lower.ends_with(".arrow") || lower.ends_with(".feather") || lower.ends_with(".ipc") {
        NameKind::ArrowIpc
    } else if lower.ends_with(".orc") {
        NameKind::Unsupported("ORC")
    } else if lower.ends_with(".avro") {
        NameKind::Unsupported("Avro")
    } else if lower.ends_with(".xlsx") || lower.ends_with(".xls") {
        NameKind::Unsupported("Excel")
    } else {
        NameKind::Unknown
    }
}

/// A valid, unquoted SQL identifier made from a file or folder name:
/// `Yellow Tripdata 2024-01.parquet` -> `yellow_tripdata_2024_01`.
pub fn identifier_from_name(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    let lower = base.to_ascii_lowercase();
    let mut stem = lower.as_str();
    for ext in [
        ".gz", ".csv", ".parquet", ".parq", ".pq", ".snappy", ".zstd", ".gzip", ".jsonl",
        ".ndjson", ".arrow", ".feather", ".ipc",
    ] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    let mut ident = String::with_capacity(stem.len() + 1);
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            ident.push(c);
        } else if !ident.ends_with('_') {
            ident.push('_');
        }
    }
    let ident = ident.trim_matches('_');
    match ident.chars().next() {
        None => "t".to_string(),
        Some(c) if c.is_ascii_digit() => format!("t_{ident}"),
        Some(_) => ident.to_string(),
    }
}

/// Whether `name` can be used as a table name without quoting.
pub fn is_valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `base`, or `base_2`, `base_3`... whichever is not taken yet.
pub fn unique_name(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}_{n}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| base.to_string())
}

/// One table's worth of picked files.
#[derive(Debug, PartialEq, Eq)]
pub struct FileGroup {
    /// The folder name, or the file name for a lone file: the source of the table name.
    pub root: String,
    /// Indexes into the input list, with each file's path below `root`.
    pub members: Vec<(usize, String)>,
}

/// Files picked one by one are a table each; files under a common first folder (a folder
/// pick or drop) form one table, as a Spark `read.parquet(folder)` would.
pub fn group_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<FileGroup> {
    let mut folders: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    let mut groups = Vec::new();
    for (index, path) in paths.into_iter().enumerate() {
        let path = path.trim_start_matches('/');
        match path.split_once('/') {
            Some((folder, rest)) => folders
                .entry(folder.to_string())
                .or_default()
                .push((index, rest.to_string())),
            None => groups.push(FileGroup {
                root: path.to_string(),
                members: vec![(index, path.to_string())],
            }),
        }
    }
    groups.extend(
        folders
            .into_iter()
            .map(|(root, members)| FileGroup { root, members }),
    );
    groups
}

/// The `key=value` folder segments of a path relative to its table's root.
pub fn partition_values(relative_path: &str) -> Vec<(String, String)> {
    let mut segments: Vec<&str> = relative_path.split('/').collect();
    segments.pop();
    segments
        .into_iter()
        .filter_map(|s| s.split_once('='))
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_valid_sql() {
        assert_eq!(
            identifier_from_name("yellow_tripdata_2024-01.parquet"),
            "yellow_tripdata_2024_01"
        );
        assert_eq!(
            identifier_from_name("dir/My File (1).snappy.parquet"),
            "my_file_1"
        );
        assert_eq!(
            identifier_from_name("taxi+_zone_lookup.csv.gz"),
            "taxi_zone_lookup"
        );
        assert_eq!(identifier_from_name("2024.parquet"), "t_2024");
        assert_eq!(identifier_from_name("...parquet"), "t");
        for name in ["a-b.parquet", "ÄÖ.csv", "9lives", "x y z"] {
            assert!(is_valid_identifier(&identifier_from_name(name)), "{name}");
        }
        assert!(!is_valid_identifier("1abc"));
        assert!(!is_valid_identifier("a-b"));
    }

    #[test]
    fn unique_names_get_a_suffix() {
        let taken = ["trips", "trips_2"];
        assert_eq!(unique_name("trips", |n| taken.contains(&n)), "trips_3");
        assert_eq!(unique_name("zones", |n| taken.contains(&n)), "zones");
    }

    #[test]
    fn folders_group_and_partitions_parse() {
        let groups = group_paths([
            "a.parquet",
            "lake/year=2024/month=01/part-0.parquet",
            "b.csv",
            "lake/year=2024/month=02/part-0.parquet",
        ]);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[2].root, "lake");
        assert_eq!(
            groups[2].members[1],
            (3, "year=2024/month=02/part-0.parquet".to_string())
        );
        assert_eq!(
            partition_values("year=2024/month=02/part-0.parquet"),
            vec![
                ("year".into(), "2024".into()),
                ("month".into(), "02".into())
            ]
        );
        assert!(partition_values("x=1.parquet").is_empty());
        assert_eq!(kind_of("lake/_SUCCESS"), NameKind::Ignored);
        assert_eq!(kind_of("Z.CSV.GZ"), NameKind::CsvGz);
    }
}
