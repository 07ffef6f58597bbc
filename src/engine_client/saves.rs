//! Saving a kept result: the save is opened in the engine, then its chunks are pulled
//! one at a time and written where the person chose (a download, a picked file, a
//! picked folder) before the next is made.

use super::*;

impl EngineClient {
    /// Saves a kept result where `destination` says.
    pub fn save_result(&self, result_id: u64, target: ExportTarget, destination: Destination) {
        let id = self.inner.borrow().next_id;
        self.inner.borrow_mut().opening.insert(id, destination);
        self.send(
            RequestBody::OpenExport { result_id, target },
            vec![],
            Pending::Save,
            None,
        );
    }

    /// The engine opened a save: get the file ready, then pull the first chunk.
    pub(super) fn export_opened(
        &self,
        request: RequestId,
        export_id: u64,
        file_name: &str,
        mime: &str,
    ) {
        let destination = self
            .inner
            .borrow_mut()
            .opening
            .remove(&request)
            .unwrap_or(Destination::Downloads);
        let this = self.clone();
        let (file_name, mime) = (file_name.to_string(), mime.to_string());
        spawn_local(async move {
            let sink = match Sink::open(destination).await {
                Ok(sink) => sink,
                Err(e) => {
                    this.export_failed(export_id, &file_name, describe(&e), None)
                        .await;
                    return;
                }
            };
            this.inner.borrow_mut().saving.insert(
                export_id,
                Saving {
                    file_name,
                    mime,
                    sink,
                    bytes: 0,
                },
            );
            this.next_chunk(export_id);
        });
    }

    pub(super) fn next_chunk(&self, export_id: u64) {
        self.send(
            RequestBody::NextChunk { export_id },
            vec![],
            Pending::Save,
            None,
        );
    }

    /// Writes a chunk, then asks for the next one: the engine makes a chunk only once
    /// the last one is written, so the page never holds more than one unwritten.
    pub(super) fn export_chunk(
        &self,
        export_id: u64,
        chunk: JsValue,
        last: bool,
        file: Option<FileChunk>,
    ) {
        let Some(mut saving) = self.inner.borrow_mut().saving.remove(&export_id) else {
            return;
        };
        let this = self.clone();
        spawn_local(async move {
            let len = Uint8Array::new(&chunk).length() as u64;
            if let Err(e) = saving.sink.write(&chunk, file.as_ref()).await {
                this.export_failed(
                    export_id,
                    &saving.file_name,
                    describe(&e),
                    Some(saving.sink),
                )
                .await;
                return;
            }
            saving.bytes += len;
            let bytes = saving.bytes;
            if last {
                let Saving {
                    file_name,
                    mime,
                    sink,
                    ..
                } = saving;
                if let Err(e) = sink.finish(&file_name, &mime).await {
                    this.export_failed(export_id, &file_name, describe(&e), None)
                        .await;
                    return;
                }
                this.run_export_done(export_id, Ok(()));
            } else {
                this.inner.borrow_mut().saving.insert(export_id, saving);
                this.next_chunk(export_id);
            }
            this.dispatch(Action::ExportProgress {
                export_id,
                bytes,
                done: last,
            });
        });
    }

    async fn export_failed(
        &self,
        export_id: u64,
        file_name: &str,
        message: String,
        sink: Option<Sink>,
    ) {
        if let Some(sink) = sink {
            sink.abort().await;
        }
        self.run_export_done(export_id, Err(message.clone()));
        self.send(
            RequestBody::CloseExport { export_id },
            vec![],
            Pending::Save,
            None,
        );
        self.dispatch(Action::ShowError(UserError {
            context: format!("saving {file_name}"),
            message,
            location: None,
        }));
    }

    pub fn export_parquet(&self, table: String) {
        self.send(
            RequestBody::ExportParquet { table },
            vec![],
            Pending::Export,
            None,
        );
    }
}
