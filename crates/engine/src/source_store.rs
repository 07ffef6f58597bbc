//! An `ObjectStore` over byte sources the engine is handed: browser `File`s (from the
//! browser crate), local files (from the CLI) and bytes in memory (generated samples,
//! decompressed CSV). DataFusion then reads them the way it reads S3: footer first, then
//! only the column chunks and row groups a query needs.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

/// Something that can hand out byte ranges of an immutable blob.
///
/// Reads are synchronous on purpose: in a web worker `FileReaderSync` is the cheapest way
/// to read a slice of a `File`, and locally `pread` is; neither gains from being async
/// inside a single-threaded wasm instance.
pub trait RangeSource: Send + Sync + fmt::Debug {
    fn size(&self) -> u64;
    fn read(&self, range: Range<u64>) -> Result<Bytes, SourceError>;
    /// Milliseconds since the Unix epoch, when the source knows it.
    fn last_modified_ms(&self) -> Option<i64> {
        None
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

/// Readers ask for ranges that their metadata points to; a range past the end means the
/// metadata lies about the file, which the user should hear as such.
pub fn check_range(range: &Range<u64>, size: u64) -> Result<(), SourceError> {
    if range.start > range.end || range.end > size {
        return Err(SourceError(format!(
            "bytes {}..{} were asked for but the file has {size}: \
             its metadata points past its end (the file is truncated or corrupt)",
            range.start, range.end
        )));
    }
    Ok(())
}

/// Bytes held in memory.
#[derive(Debug, Clone)]
pub struct BytesSource(pub Bytes);

impl RangeSource for BytesSource {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }

    fn read(&self, range: Range<u64>) -> Result<Bytes, SourceError> {
        check_range(&range, self.size())?;
        Ok(self.0.slice(range.start as usize..range.end as usize))
    }
}

/// A file on the local disk, read with positioned reads (native only).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug)]
pub struct LocalFileSource {
    file: std::fs::File,
    size: u64,
    modified_ms: Option<i64>,
}

#[cfg(not(target_arch = "wasm32"))]
impl LocalFileSource {
    pub fn open(path: &std::path::Path) -> std::io::Result<Self> {
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        let modified_ms = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64);
        Ok(Self {
            file,
            size: meta.len(),
            modified_ms,
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl RangeSource for LocalFileSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read(&self, range: Range<u64>) -> Result<Bytes, SourceError> {
        use std::os::unix::fs::FileExt;
        check_range(&range, self.size)?;
        let mut buf = vec![0u8; (range.end - range.start) as usize];
        self.file
            .read_exact_at(&mut buf, range.start)
            .map_err(|e| SourceError(format!("reading bytes {range:?}: {e}")))?;
        Ok(buf.into())
    }

    fn last_modified_ms(&self) -> Option<i64> {
        self.modified_ms
    }
}

/// The store behind the `kiln://store/` URL. Read-only: Kiln never writes the user's files.
#[derive(Debug, Default)]
pub struct SourceStore {
    objects: RwLock<BTreeMap<Path, Arc<dyn RangeSource>>>,
}

pub const STORE_URL: &str = "kiln://store/";

impl SourceStore {
    pub fn insert(&self, path: Path, source: Arc<dyn RangeSource>) {
        self.objects_mut().insert(path, source);
    }

    pub fn remove_prefix(&self, prefix: &Path) {
        self.objects_mut()
            .retain(|p, _| !p.prefix_matches(prefix) && p != prefix);
    }

    /// Where `source` is stored (the same source may sit at several paths).
    pub fn paths_of(&self, source: &Arc<dyn RangeSource>) -> Vec<Path> {
        let wanted = Arc::as_ptr(source) as *const ();
        self.objects()
            .iter()
            .filter(|(_, s)| Arc::as_ptr(s) as *const () == wanted)
            .map(|(p, _)| p.clone())
            .collect()
    }

    pub fn source(&self, path: &Path) -> Option<Arc<dyn RangeSource>> {
        self.objects().get(path).cloned()
    }

    fn objects(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Path, Arc<dyn RangeSource>>> {
        // A panic while holding the lock cannot leave the map half-updated (inserts and
        // removals are single calls), so a poisoned lock is still safe to use.
        self.objects.read().unwrap_or_else(|e| e.into_inner())
    }

    fn objects_mut(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<Path, Arc<dyn RangeSource>>> {
        self.objects.write().unwrap_or_else(|e| e.into_inner())
    }

    fn meta(path: &Path, source: &dyn RangeSource) -> ObjectMeta {
        let last_modified = source
            .last_modified_ms()
            .and_then(DateTime::<Utc>::from_timestamp_millis)
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        ObjectMeta {
            location: path.clone(),
            last_modified,
            size: source.size(),
            e_tag: None,
            version: None,
        }
    }

    fn lookup(&self, location: &Path) -> object_store::Result<Arc<dyn RangeSource>> {
        self.source(location)
            .ok_or_else(|| object_store::Error::NotFound {
                path: location.to_string(),
                source: format!("{location} is not among the files given to Kiln").into(),
            })
    }

    fn read_only(operation: &str) -> object_store::Error {
        object_store::Error::NotSupported {
            source: format!("{operation}: Kiln only reads the files it is given").into(),
        }
    }

    fn generic(err: SourceError) -> object_store::Error {
        object_store::Error::Generic {
            store: "kiln",
            source: Box::new(err),
        }
    }
}

impl fmt::Display for SourceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceStore({} objects)", self.objects().len())
    }
}

#[async_trait]
impl ObjectStore for SourceStore {
    async fn put_opts(
        &self,
        _location: &Path,
        _payload: PutPayload,
        _opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        Err(Self::read_only("put"))
    }

    async fn put_multipart_opts(
        &self,
        _location: &Path,
        _opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        Err(Self::read_only("multipart put"))
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        let source = self.lookup(location)?;
        let meta = Self::meta(location, source.as_ref());
        let range = match &options.range {
            Some(r) => r
                .as_range(meta.size)
                .map_err(|e| object_store::Error::Generic {
                    store: "kiln",
                    source: Box::new(e),
                })?,
            None => 0..meta.size,
        };
        let bytes = if options.head {
            Bytes::new()
        } else {
            source.read(range.clone()).map_err(Self::generic)?
        };
        Ok(GetResult {
            payload: GetResultPayload::Stream(stream::once(async move { Ok(bytes) }).boxed()),
            meta,
            range,
            attributes: Default::default(),
        })
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        // Reads are local, so there is nothing to gain from coalescing ranges into one
        // bigger request as the default does for network stores; it would read gaps.
        let source = self.lookup(location)?;
        ranges
            .iter()
            .map(|r| source.read(r.clone()).map_err(Self::generic))
            .collect()
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        locations.map(|_| Err(Self::read_only("delete"))).boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let metas: Vec<_> = self
            .objects()
            .iter()
            .filter(|(p, _)| prefix.is_none_or(|pre| p.prefix_matches(pre)))
            .map(|(p, s)| Ok(Self::meta(p, s.as_ref())))
            .collect();
        stream::iter(metas).boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        let depth = prefix.map_or(0, |p| p.parts().count());
        let mut common_prefixes = std::collections::BTreeSet::new();
        let mut objects = Vec::new();
        for (path, source) in self.objects().iter() {
            if prefix.is_some_and(|pre| !path.prefix_matches(pre)) {
                continue;
            }
            let parts: Vec<_> = path.parts().collect();
            if parts.len() == depth + 1 {
                objects.push(Self::meta(path, source.as_ref()));
            } else if parts.len() > depth + 1 {
                common_prefixes.insert(Path::from_iter(parts[..=depth].iter().cloned()));
            }
        }
        Ok(ListResult {
            common_prefixes: common_prefixes.into_iter().collect(),
            objects,
        })
    }

    async fn copy_opts(
        &self,
        _from: &Path,
        _to: &Path,
        _options: CopyOptions,
    ) -> object_store::Result<()> {
        Err(Self::read_only("copy"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;
    use object_store::ObjectStoreExt;

    fn store() -> SourceStore {
        let s = SourceStore::default();
        s.insert(
            Path::from("t1/a.parquet"),
            Arc::new(BytesSource(Bytes::from_static(b"0123456789"))),
        );
        s.insert(
            Path::from("t2/year=2024/x.parquet"),
            Arc::new(BytesSource(Bytes::from_static(b"abc"))),
        );
        s.insert(
            Path::from("t2/year=2025/y.parquet"),
            Arc::new(BytesSource(Bytes::from_static(b"de"))),
        );
        s
    }

    #[tokio::test]
    async fn reads_ranges_and_suffixes() {
        let s = store();
        let p = Path::from("t1/a.parquet");
        assert_eq!(
            s.get_range(&p, 2..5).await.unwrap(),
            Bytes::from_static(b"234")
        );
        let suffix = s
            .get_opts(
                &p,
                GetOptions::new().with_range(Some(object_store::GetRange::Suffix(3))),
            )
            .await
            .unwrap();
        assert_eq!(suffix.range, 7..10);
        assert_eq!(suffix.bytes().await.unwrap(), Bytes::from_static(b"789"));
        assert_eq!(s.head(&p).await.unwrap().size, 10);
    }

    #[tokio::test]
    async fn missing_objects_and_writes_are_errors() {
        let s = store();
        let err = s.get(&Path::from("nope")).await.unwrap_err();
        assert!(matches!(err, object_store::Error::NotFound { .. }), "{err}");
        let err = s
            .put(&Path::from("t1/a.parquet"), PutPayload::from_static(b"x"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("only reads"), "{err}");
    }

    #[tokio::test]
    async fn lists_recursively_and_by_delimiter() {
        let s = store();
        let all: Vec<_> = s.list(Some(&Path::from("t2"))).try_collect().await.unwrap();
        assert_eq!(all.len(), 2);
        let top = s
            .list_with_delimiter(Some(&Path::from("t2")))
            .await
            .unwrap();
        assert!(top.objects.is_empty());
        assert_eq!(
            top.common_prefixes,
            vec![Path::from("t2/year=2024"), Path::from("t2/year=2025")]
        );
        s.remove_prefix(&Path::from("t2"));
        let all: Vec<_> = s.list(None).try_collect().await.unwrap();
        assert_eq!(all.len(), 1);
    }
}
