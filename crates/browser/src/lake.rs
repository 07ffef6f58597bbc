//! The sample lake in the worker: the page's config as the generator's, the plan of its
//! files, and one file made on request (a pool worker makes its share in parallel).

use kiln_protocol::{LakeConfig, LakeFile};

fn config(c: &LakeConfig) -> Result<kiln_gen::TaxiConfig, kiln_gen::GenError> {
    if !(LakeConfig::MIN_ROWS..=LakeConfig::MAX_ROWS).contains(&c.rows) {
        return Err(kiln_gen::GenError::Config(format!(
            "a sample lake has {} to {} rows, not {}",
            LakeConfig::MIN_ROWS,
            LakeConfig::MAX_ROWS,
            c.rows
        )));
    }
    Ok(kiln_gen::lake_config(
        c.rows,
        c.months,
        c.seed,
        c.part_rows.max(10_000),
    ))
}

pub fn plan(c: &LakeConfig) -> Result<Vec<LakeFile>, kiln_gen::GenError> {
    Ok(kiln_gen::lake_files(&config(c)?)?
        .into_iter()
        .enumerate()
        .map(|(index, (path, rows))| LakeFile {
            index: index as u32,
            path,
            rows,
        })
        .collect())
}

pub fn make(c: &LakeConfig, index: u32) -> Result<(LakeFile, bytes::Bytes), kiln_gen::GenError> {
    let cfg = config(c)?;
    let rows = kiln_gen::lake_files(&cfg)?
        .get(index as usize)
        .map_or(0, |(_, rows)| *rows);
    let made = kiln_gen::make_lake_file(&cfg, index as usize)?;
    Ok((
        LakeFile {
            index,
            path: made.path,
            rows,
        },
        made.bytes,
    ))
}
