//! Display formatting and input parsing shared by the components.

/// `1.5 MiB`-style sizes; exact bytes below 1 KiB.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `12.3M`-style counts and rates, to fit beside a label.
pub fn compact(n: f64) -> String {
    if n >= 1e9 {
        format!("{:.1}G", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1}M", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1}k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

/// The exact count for a tooltip: `1,234,567 bytes`.
pub fn exact_bytes(bytes: u64) -> String {
    format!("{} bytes", group_digits(bytes))
}

/// `1234567` -> `1,234,567`.
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How much smaller the compressed form is: `3.2×`; `–` when it can't be said.
pub fn ratio(compressed: u64, uncompressed: u64) -> String {
    if compressed == 0 || uncompressed == 0 {
        return "–".into();
    }
    format!("{:.2}×", uncompressed as f64 / compressed as f64)
}

/// `ZSTD(ZstdLevel(1))` -> `ZSTD`. A Parquet file records only the codec; a level in
/// the reader's description is the reader's default, not what the writer used.
pub fn codec_name(codec: &str) -> &str {
    codec.split('(').next().unwrap_or(codec).trim()
}

pub fn elapsed_ms(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        "–".into()
    } else if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// Rows for the sample generator: digits, optionally grouped with `_` or `,`.
pub fn parse_rows(input: &str) -> Option<u64> {
    let cleaned: String = input
        .trim()
        .chars()
        .filter(|c| *c != '_' && *c != ',')
        .collect();
    cleaned.parse::<u64>().ok().filter(|n| *n > 0)
}

/// A name the worker suggested for a download, made safe as a file name: no path
/// separators or control characters, no leading dots, bounded length.
pub fn sanitize_file_name(name: &str) -> String {
    const FALLBACK: &str = "kiln-export.parquet";
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')' | '=') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.');
    if trimmed.is_empty() || trimmed.chars().all(|c| c == '_' || c == '.') {
        return FALLBACK.into();
    }
    let mut out: String = trimmed.chars().take(120).collect();
    if out.len() < trimmed.len() {
        // Keep the extension: it decides which program opens the file.
        if let Some(ext) = trimmed
            .rsplit_once('.')
            .map(|(_, e)| e)
            .filter(|e| e.len() <= 10)
        {
            out = out.chars().take(120 - ext.len() - 1).collect();
            out.push('.');
            out.push_str(ext);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(150 * 1024 * 1024), "150 MiB");
        assert_eq!(human_bytes(u64::MAX), "16.0 EiB");
        assert_eq!(exact_bytes(1234567), "1,234,567 bytes");
    }

    #[test]
    fn digits_group_by_thousands() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
        assert_eq!(group_digits(12345678), "12,345,678");
    }

    #[test]
    fn codecs_drop_the_readers_level() {
        assert_eq!(codec_name("ZSTD(ZstdLevel(1))"), "ZSTD");
        assert_eq!(codec_name("SNAPPY"), "SNAPPY");
        assert_eq!(codec_name(""), "");
    }

    #[test]
    fn ratios_and_times() {
        assert_eq!(ratio(100, 320), "3.20×");
        assert_eq!(ratio(0, 320), "–");
        assert_eq!(elapsed_ms(3.04), "3.0 ms");
        assert_eq!(elapsed_ms(1234.6), "1235 ms");
        assert_eq!(elapsed_ms(f64::NAN), "–");
    }

    #[test]
    fn sample_rows_accept_grouped_digits_only() {
        assert_eq!(parse_rows(" 100000 "), Some(100_000));
        assert_eq!(parse_rows("1_000_000"), Some(1_000_000));
        assert_eq!(parse_rows("1,000"), Some(1000));
        assert_eq!(parse_rows("0"), None);
        assert_eq!(parse_rows("-5"), None);
        assert_eq!(parse_rows("1e6"), None);
        assert_eq!(parse_rows(""), None);
    }

    #[test]
    fn download_names_are_made_safe() {
        assert_eq!(sanitize_file_name("trips.parquet"), "trips.parquet");
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("..\\evil.parquet"), "evil.parquet");
        assert_eq!(sanitize_file_name(".hidden"), "hidden");
        assert_eq!(sanitize_file_name("a\u{0}b<c>.parquet"), "a_b_c_.parquet");
        assert_eq!(sanitize_file_name(""), "kiln-export.parquet");
        assert_eq!(sanitize_file_name("..."), "kiln-export.parquet");
        let long = format!("{}.parquet", "x".repeat(300));
        let safe = sanitize_file_name(&long);
        assert_eq!(safe.chars().count(), 120);
        assert!(safe.ends_with(".parquet"));
    }
}
