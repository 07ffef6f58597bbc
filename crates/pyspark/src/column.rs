//! A PySpark column expression as SQL text, with what DataFrame methods need beside it:
//! its alias, its sort direction, and an open `CASE` of a `when` chain.

/// A column expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Col {
    pub sql: String,
    pub alias: Option<String>,
    /// `Some(true)` ascending, `Some(false)` descending (`F.desc`, `.desc()`).
    pub ascending: Option<bool>,
    /// `F.when(...)` not yet closed by `.otherwise(...)`.
    pub open_case: bool,
}

impl Col {
    pub fn sql(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            alias: None,
            ascending: None,
            open_case: false,
        }
    }

    /// A reference to the column `name` (`"*"` stays a star).
    pub fn name(name: &str) -> Self {
        if name == "*" {
            return Self::sql("*");
        }
        // `df.a.b` style nested names are not split: a column is named as written.
        Self::sql(quote_ident(name))
    }

    /// The expression as SQL, with a `when` chain closed.
    pub fn expr(&self) -> String {
        if self.open_case {
            format!("{} END", self.sql)
        } else {
            self.sql.clone()
        }
    }

    /// The name Spark would give the column if it has no alias: its own name for a
    /// plain reference, otherwise its text.
    pub fn output_name(&self) -> String {
        if let Some(alias) = &self.alias {
            return alias.clone();
        }
        unquote_ident(&self.sql).unwrap_or_else(|| self.expr())
    }
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `"name"` back to `name`, when the text is exactly one quoted identifier.
pub fn unquote_ident(sql: &str) -> Option<String> {
    let inner = sql.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            // Only doubled quotes may appear inside.
            if chars.next() != Some('"') {
                return None;
            }
        }
        out.push(c);
    }
    Some(out)
}

pub fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Spark's type names (`cast("int")`) as SQL types.
pub fn sql_type(spark: &str) -> Option<&'static str> {
    Some(match spark.trim().to_ascii_lowercase().as_str() {
        "int" | "integer" => "INT",
        "long" | "bigint" => "BIGINT",
        "short" | "smallint" => "SMALLINT",
        "byte" | "tinyint" => "TINYINT",
        "double" => "DOUBLE",
        "float" | "real" => "FLOAT",
        "string" | "varchar" => "VARCHAR",
        "boolean" | "bool" => "BOOLEAN",
        "date" => "DATE",
        "timestamp" => "TIMESTAMP",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_quoting() {
        let c = Col::name("a \"b\"");
        assert_eq!(c.sql, "\"a \"\"b\"\"\"");
        assert_eq!(c.output_name(), "a \"b\"");
        assert_eq!(unquote_ident("\"a\" + \"b\""), None);
    }
}
