//! Turning command-line table arguments (`name=path`, folders, globs) into engine tables.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kiln_engine::source_store::LocalFileSource;
use kiln_engine::{Engine, SourceFile};
use kiln_protocol::{TableSummary, UserError};

use crate::cli_error;

/// Adds the table named by one argument; any file that cannot be read is an error,
/// since the user named it on purpose. The table's root is the path as given, so an
/// export to Spark reads it from there.
pub async fn add_table_arg(engine: &mut Engine, spec: &str) -> Result<TableSummary, UserError> {
    let (name, path) = match spec.split_once('=') {
        Some((name, path)) if !name.contains('/') && !name.is_empty() => (Some(name), path),
        _ => (None, spec),
    };
    let (root, is_folder, sources) = source_files(path)?;
    let (table, rejected) = engine.add_table(name, &root, is_folder, sources).await;
    if let Some(first) = rejected.into_iter().next() {
        return Err(first);
    }
    let table = table?;
    let given = path.trim_end_matches('/');
    engine.set_root(&table.name, given)?;
    Ok(TableSummary {
        root: given.to_string(),
        ..table
    })
}

/// The files one path stands for, opened: its root's name, whether it is a folder, and
/// each file with its path below the root.
pub fn source_files(path: &str) -> Result<(String, bool, Vec<SourceFile>), UserError> {
    let context = format!("opening {path}");
    let Expanded {
        root,
        is_folder,
        files,
    } = expand(path).map_err(|m| cli_error(&context, m))?;
    let sources = files
        .into_iter()
        .map(|(relative, full)| {
            LocalFileSource::open(&full)
                .map(|source| SourceFile {
                    path: relative,
                    source: Arc::new(source),
                })
                .map_err(|e| cli_error(&format!("opening {}", full.display()), e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((root, is_folder, sources))
}

/// What one path argument stands for.
struct Expanded {
    /// The folder or file name the table is named after.
    root: String,
    is_folder: bool,
    /// (path relative to the root, full path)
    files: Vec<(String, PathBuf)>,
}

fn expand(path: &str) -> Result<Expanded, String> {
    if path.contains(['*', '?', '[']) {
        let base = glob_base(path);
        let mut files = Vec::new();
        for entry in glob::glob(path).map_err(|e| format!("bad glob pattern: {e}"))? {
            let full = entry.map_err(|e| e.to_string())?;
            if full.is_file() {
                files.push((relative(&base, &full), full));
            }
        }
        if files.is_empty() {
            return Err("the pattern matches no files".into());
        }
        files.sort();
        return Ok(Expanded {
            root: file_name(&base),
            is_folder: true,
            files,
        });
    }
    let p = Path::new(path);
    let meta = std::fs::metadata(p).map_err(|e| e.to_string())?;
    if meta.is_dir() {
        let mut files = Vec::new();
        walk(p, p, &mut files).map_err(|e| e.to_string())?;
        if files.is_empty() {
            return Err("the folder holds no files".into());
        }
        files.sort();
        Ok(Expanded {
            root: file_name(p),
            is_folder: true,
            files,
        })
    } else {
        let name = file_name(p);
        Ok(Expanded {
            root: name.clone(),
            is_folder: false,
            files: vec![(name, p.to_path_buf())],
        })
    }
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(base, &path, out)?;
        } else {
            out.push((relative(base, &path), path));
        }
    }
    Ok(())
}

fn glob_base(pattern: &str) -> PathBuf {
    let literal: PathBuf = Path::new(pattern)
        .components()
        .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
        .collect();
    if literal.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        literal
    }
}

fn relative(base: &Path, full: &Path) -> String {
    full.strip_prefix(base)
        .unwrap_or(full)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn file_name(p: &Path) -> String {
    p.canonicalize()
        .ok()
        .as_deref()
        .unwrap_or(p)
        .file_name()
        .map_or_else(|| "table".to_string(), |n| n.to_string_lossy().into_owned())
}
