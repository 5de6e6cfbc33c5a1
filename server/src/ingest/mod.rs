//! Ingest: accepting events over HTTP, normalising them, and storing them
//! durably in day-partitioned `events` through the group-commit writer.

pub mod compat;
pub mod copy;
pub mod elastic;
pub mod fields;
pub mod geoip;
pub mod handlers;
pub mod normalize;
pub mod parsers;
pub mod repo;
pub mod scan;
pub mod sources;
pub mod syslog;
pub mod timestamp;
pub mod writer;

pub use geoip::GeoIp;
pub use normalize::{Event, IngestContext, IngestPolicy};
pub use sources::SourceTally;
pub use writer::{EventWriter, Idempotency, WriteError, WriterSettings, WriterTasks, Written};

use chrono::Utc;
use sqlx::PgPool;

/// Creates the partitions for today and the next two days, so ingest rarely
/// pays for DDL; the writer still creates any other day on demand.
pub async fn ensure_upcoming_partitions(pool: &PgPool) -> sqlx::Result<()> {
    let today = Utc::now().date_naive();
    for offset in 0..3 {
        let day = today + chrono::Days::new(offset);
        repo::ensure_partition(pool, day).await?;
    }
    Ok(())
}
