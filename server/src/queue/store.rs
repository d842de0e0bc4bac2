//! The SQLite side of the queue: schema and queries, called only from blocking threads.
//!
//! One table, `jobs`, in WAL mode with `synchronous = FULL`: a job is committed to disk before
//! its `202 Accepted` is sent, so neither a SIGKILL nor a power cut loses an accepted job. Status
//! changes out of `running` are conditional (`WHERE status = 'running'`) so a cancel and a
//! finishing worker cannot both win. A running job's progress is saved too, without an fsync of
//! its own (see [`Store::save_progress`]), so that a resumed job does not start again from 0.

use std::path::Path;

use dgx_pixels_protocol::{BackendKind, Job, JobId, JobRequest, JobStatus};

use super::Made;
use rusqlite::{Connection, OptionalExtension, Row, params};

/// A failed database operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite itself failed (disk full, file locked, corrupt).
    #[error("job database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A row holds JSON this version cannot read.
    #[error("job `{id}` has an unreadable {column}: {source}")]
    Corrupt {
        /// The job.
        id: String,
        /// The column.
        column: &'static str,
        /// What serde said.
        source: serde_json::Error,
    },
}

/// A job as the database holds it, with what the public [`Job`] leaves out.
#[derive(Clone, Debug)]
pub(crate) struct StoredJob {
    /// The public view; `progress` is 1.0 when completed, else the last progress saved, and
    /// `queue_position` `None`.
    pub job: Job,
    /// The seed the job runs with (the request's, or one the server drew).
    pub seed: u64,
    /// The backend that runs it.
    pub backend: BackendKind,
}

/// A new job to insert.
pub(crate) struct NewJob<'a> {
    pub id: &'a JobId,
    pub request: &'a JobRequest,
    pub seed: u64,
    pub backend: BackendKind,
    pub idempotency_key: Option<&'a str>,
    pub now_ms: u64,
}

/// The open database. Not `Sync`: the queue keeps it behind a mutex and uses it from blocking
/// threads only.
pub(crate) struct Store {
    conn: Connection,
}

const COLUMNS: &str = "id, status, request, seed, backend, error, result, created_at_ms, updated_at_ms, progress";

impl Store {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS jobs (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                idempotency_key TEXT UNIQUE,
                status TEXT NOT NULL,
                request TEXT NOT NULL,
                seed INTEGER NOT NULL,
                backend TEXT NOT NULL,
                error TEXT,
                result TEXT,
                created_at_ms INTEGER NOT NULL,
                updated_at_ms INTEGER NOT NULL,
                progress REAL NOT NULL DEFAULT 0
            );
            CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);",
        )?;
        add_missing_columns(&conn)?;
        Ok(Self { conn })
    }

    /// Inserts a queued job.
    pub fn insert(&self, new: &NewJob<'_>) -> Result<(), StoreError> {
        let request = serde_json::to_string(new.request).map_err(|source| corrupt(new.id, "request", source))?;
        self.conn.execute(
            "INSERT INTO jobs (id, idempotency_key, status, request, seed, backend, created_at_ms, updated_at_ms)
             VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6, ?6)",
            params![
                new.id.0,
                new.idempotency_key,
                request,
                seed_to_sql(new.seed),
                new.backend.as_str(),
                ms_to_sql(new.now_ms)
            ],
        )?;
        Ok(())
    }

    /// The job with this id.
    pub fn get(&self, id: &JobId) -> Result<Option<StoredJob>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1");
        self.conn.query_row(&sql, [&id.0], read_row).optional()?.transpose()
    }

    /// The job created with this idempotency key, with its request as stored.
    pub fn by_key(&self, key: &str) -> Result<Option<StoredJob>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM jobs WHERE idempotency_key = ?1");
        self.conn.query_row(&sql, [key], read_row).optional()?.transpose()
    }

    /// Moves a queued job to running; false when it is no longer queued (cancelled).
    pub fn mark_running(&self, id: &JobId, now_ms: u64) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE jobs SET status = 'running', updated_at_ms = ?2 WHERE id = ?1 AND status = 'queued'",
            params![id.0, ms_to_sql(now_ms)],
        )?;
        Ok(changed == 1)
    }

    /// Moves a queued or running job to a terminal status; false when it already was terminal.
    pub fn finish(
        &self,
        id: &JobId,
        status: JobStatus,
        error: Option<&str>,
        made: Option<&Made>,
        now_ms: u64,
    ) -> Result<bool, StoreError> {
        let result = made.map(serde_json::to_string).transpose().map_err(|source| corrupt(id, "result", source))?;
        let changed = self.conn.execute(
            "UPDATE jobs SET status = ?2, error = ?3, result = ?4, updated_at_ms = ?5
             WHERE id = ?1 AND status IN ('queued', 'running')",
            params![id.0, status.as_str(), error, result, ms_to_sql(now_ms)],
        )?;
        Ok(changed == 1)
    }

    /// Raises a running job's saved progress to `progress`, never lowering it.
    ///
    /// Progress changes many times a second and is not worth an fsync each: this commit runs
    /// with `synchronous = NORMAL`, so it survives a crash of the process (the write is in the
    /// OS's cache) and only a power cut can lose it, leaving the job showing less progress. The
    /// next `FULL` commit (any status change) syncs it with everything else.
    pub fn save_progress(&self, id: &JobId, progress: f32) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let saved = self.conn.execute(
            "UPDATE jobs SET progress = MAX(progress, ?2) WHERE id = ?1 AND status = 'running'",
            params![id.0, f64::from(progress)],
        );
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        saved?;
        Ok(())
    }

    /// Puts jobs that were running when the server stopped back in the queue; returns how many.
    pub fn requeue_running(&self) -> Result<usize, StoreError> {
        Ok(self.conn.execute("UPDATE jobs SET status = 'queued' WHERE status = 'running'", [])?)
    }

    /// Every queued job, oldest first.
    pub fn queued(&self) -> Result<Vec<StoredJob>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM jobs WHERE status = 'queued' ORDER BY seq");
        self.collect(&sql, [])
    }

    /// The newest `limit` jobs, optionally of one status, newest first.
    pub fn recent(&self, status: Option<JobStatus>, limit: u32) -> Result<Vec<StoredJob>, StoreError> {
        match status {
            Some(status) => {
                let sql = format!("SELECT {COLUMNS} FROM jobs WHERE status = ?1 ORDER BY seq DESC LIMIT ?2");
                self.collect(&sql, params![status.as_str(), limit])
            }
            None => {
                let sql = format!("SELECT {COLUMNS} FROM jobs ORDER BY seq DESC LIMIT ?1");
                self.collect(&sql, params![limit])
            }
        }
    }

    fn collect(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<StoredJob>, StoreError> {
        let mut statement = self.conn.prepare_cached(sql)?;
        let rows = statement.query_map(params, read_row)?;
        rows.map(|row| row?).collect()
    }
}

/// Reads one row; JSON errors come back inside so that `query_row` stays a SQLite-only error.
fn read_row(row: &Row<'_>) -> rusqlite::Result<Result<StoredJob, StoreError>> {
    let id = JobId(row.get(0)?);
    let status: String = row.get(1)?;
    let request: String = row.get(2)?;
    let seed: i64 = row.get(3)?;
    let backend: String = row.get(4)?;
    let error: Option<String> = row.get(5)?;
    let result: Option<String> = row.get(6)?;
    let created_at_ms: i64 = row.get(7)?;
    let updated_at_ms: i64 = row.get(8)?;
    let progress: f64 = row.get(9)?;
    Ok((|| {
        let request = serde_json::from_str(&request).map_err(|source| corrupt(&id, "request", source))?;
        let made = result
            .map(|text| serde_json::from_str::<Made>(&text))
            .transpose()
            .map_err(|source| corrupt(&id, "result", source))?;
        let backend = serde_json::from_value(serde_json::Value::String(backend))
            .map_err(|source| corrupt(&id, "backend", source))?;
        let status = serde_json::from_value(serde_json::Value::String(status))
            .map_err(|source| corrupt(&id, "status", source))?;
        let progress = if status == JobStatus::Completed { 1.0 } else { progress as f32 };
        let mut job = Job {
            id,
            status,
            progress,
            queue_position: None,
            error,
            request,
            result: None,
            train_step: None,
            style: None,
            created_at_ms: ms_from_sql(created_at_ms),
            updated_at_ms: ms_from_sql(updated_at_ms),
        };
        if let Some(made) = made {
            made.put_into(&mut job);
        }
        Ok(StoredJob { job, seed: seed_from_sql(seed), backend })
    })())
}

/// Adds the columns later versions introduced to a database an earlier version created.
fn add_missing_columns(conn: &Connection) -> Result<(), StoreError> {
    let has_progress = conn.prepare("SELECT 1 FROM pragma_table_info('jobs') WHERE name = 'progress'")?.exists([])?;
    if !has_progress {
        conn.execute_batch("ALTER TABLE jobs ADD COLUMN progress REAL NOT NULL DEFAULT 0")?;
    }
    Ok(())
}

fn corrupt(id: &JobId, column: &'static str, source: serde_json::Error) -> StoreError {
    StoreError::Corrupt { id: id.0.clone(), column, source }
}

/// SQLite integers are signed; a u64 seed is stored by its bits.
fn seed_to_sql(seed: u64) -> i64 {
    i64::from_ne_bytes(seed.to_ne_bytes())
}

fn seed_from_sql(value: i64) -> u64 {
    u64::from_ne_bytes(value.to_ne_bytes())
}

fn ms_to_sql(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn ms_from_sql(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use dgx_pixels_protocol::GenerateRequest;

    use super::*;

    #[test]
    fn jobs_survive_reopening_and_running_ones_are_requeued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jobs.sqlite3");
        let request = JobRequest::from(GenerateRequest::new("slime"));
        let (a, b) = (JobId("a".into()), JobId("b".into()));
        {
            let store = Store::open(&path).unwrap();
            for id in [&a, &b] {
                let new = NewJob {
                    id,
                    request: &request,
                    seed: u64::MAX,
                    backend: BackendKind::Procedural,
                    idempotency_key: None,
                    now_ms: 5,
                };
                store.insert(&new).unwrap();
            }
            assert!(store.mark_running(&a, 6).unwrap());
            assert!(!store.mark_running(&a, 6).unwrap());
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.requeue_running().unwrap(), 1);
        let queued = store.queued().unwrap();
        assert_eq!(queued.iter().map(|j| j.job.id.0.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(queued[0].seed, u64::MAX);
        assert!(store.finish(&a, JobStatus::Cancelled, None, None, 7).unwrap());
        assert!(!store.finish(&a, JobStatus::Failed, Some("late"), None, 8).unwrap());
        assert_eq!(store.get(&a).unwrap().unwrap().job.status, JobStatus::Cancelled);
        assert_eq!(store.recent(Some(JobStatus::Queued), 10).unwrap().len(), 1);
    }

    /// A running job's progress is saved, never lowered, and survives a restart and the requeue.
    #[test]
    fn progress_is_saved_while_running_and_kept_when_requeued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jobs.sqlite3");
        let request = JobRequest::from(GenerateRequest::new("slime"));
        let id = JobId("a".into());
        {
            let store = Store::open(&path).unwrap();
            let new = NewJob {
                id: &id,
                request: &request,
                seed: 1,
                backend: BackendKind::Procedural,
                idempotency_key: None,
                now_ms: 5,
            };
            store.insert(&new).unwrap();
            store.save_progress(&id, 0.3).unwrap();
            assert_eq!(store.get(&id).unwrap().unwrap().job.progress, 0.0, "saved while queued");
            assert!(store.mark_running(&id, 6).unwrap());
            store.save_progress(&id, 0.5).unwrap();
            store.save_progress(&id, 0.25).unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.requeue_running().unwrap(), 1);
        assert_eq!(store.queued().unwrap()[0].job.progress, 0.5);
    }

    /// A database made before progress was saved opens, its jobs at progress 0.
    #[test]
    fn a_database_without_the_progress_column_gains_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jobs.sqlite3");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
                    idempotency_key TEXT UNIQUE, status TEXT NOT NULL, request TEXT NOT NULL,
                    seed INTEGER NOT NULL, backend TEXT NOT NULL, error TEXT, result TEXT,
                    created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL);
                 INSERT INTO jobs (id, status, request, seed, backend, created_at_ms, updated_at_ms)
                    VALUES ('old', 'running', '{\"prompt\":\"x\"}', 1, 'procedural', 1, 1);",
            )
            .unwrap();
        let store = Store::open(&path).unwrap();
        store.save_progress(&JobId("old".into()), 0.4).unwrap();
        assert_eq!(store.get(&JobId("old".into())).unwrap().unwrap().job.progress, 0.4);
    }
}
