//! What the editors know without a DOM: SQL's lexer, completion, locations, the starter
//! query and profile filters; Python's lexer; the SQL editor's tabs; the history of runs.

pub mod history;
pub mod python;
pub mod sql;
pub mod tabs;
