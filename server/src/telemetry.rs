//! Structured logging, initialised once by `main`.

use crate::config::{LogFormat, LogSettings};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the global subscriber writing to `sink`, with colours only when
/// `ansi` (a terminal). Returns an error if the filter is invalid.
pub fn init<W>(settings: &LogSettings, sink: W, ansi: bool) -> anyhow::Result<()>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    // sqlx logs every statement at debug; keep that out unless asked for.
    let directive = format!("{},sqlx=warn", settings.filter);
    let filter = EnvFilter::try_new(&directive).map_err(|e| {
        anyhow::anyhow!(
            "VIGIL_LOG: {:?} is not a valid filter: {e}",
            settings.filter
        )
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(sink)
        .with_ansi(ansi);
    let result = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("installing the log subscriber: {e}"))
}
