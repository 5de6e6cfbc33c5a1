//! `POST /api/v1/search/export` (and `GET`, for download links): every
//! matching event, streamed as NDJSON or CSV while the database produces it,
//! never held in memory whole.
//!
//! A task reads the rows and writes the encoded lines into an in-memory pipe
//! of fixed size; the response body reads the other end. A slow client
//! therefore slows the query down instead of letting the server buffer.

use super::{clock, parse_query, repo, time_range};
use crate::audit::{AuditRecord, RequestContext, repo as audit_repo};
use crate::auth::Access;
use crate::auth::Principal;
use crate::error::{ApiError, AppJson};
use crate::http::route::Route;
use crate::state::AppState;
use app::permissions::Permission;
use app::search::{DEFAULT_EXPORT_FIELDS, ExportFormat, ExportRequest, SortOrder};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

/// The export routes: a POST for the SPA's button, a GET for shareable links.
pub fn routes() -> Vec<Route> {
    let export = Access::Permission(Permission::ExportEvents);
    vec![
        Route::post("/api/v1/search/export", export, export_events),
        Route::get("/api/v1/search/export", export, export_link),
    ]
}

/// Bytes buffered between the query and the client.
const PIPE_BYTES: usize = 256 * 1024;
/// Lines are written to the pipe in chunks of about this size.
const CHUNK_BYTES: usize = 64 * 1024;
/// How long an export query may run.
const EXPORT_TIMEOUT: &str = "30min";
/// A client that takes none of the export for this long is given up on:
/// it would hold a database connection for nothing.
const STALLED_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// `POST /api/v1/search/export`.
#[tracing::instrument(skip_all)]
pub async fn export_events(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppJson(request): AppJson<ExportRequest>,
) -> Result<Response, ApiError> {
    stream_export(state, ctx, principal, request).await
}

/// The query string of `GET /api/v1/search/export`: what a plain download
/// link in the browser can carry (`q`, `from`, `to`, `format`, `fields`
/// comma-separated).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct ExportParams {
    #[serde(default)]
    q: String,
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    format: ExportFormat,
    #[serde(default)]
    fields: String,
}

/// `GET /api/v1/search/export?q&from&to&format&fields`: the same export as a
/// link the browser downloads with the session cookie.
#[tracing::instrument(skip_all)]
pub async fn export_link(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    crate::error::AppQuery(params): crate::error::AppQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let request = ExportRequest {
        query: params.q,
        from: params.from,
        to: params.to,
        format: params.format,
        fields: params
            .fields
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
        ..ExportRequest::default()
    };
    stream_export(state, ctx, principal, request).await
}

async fn stream_export(
    state: AppState,
    ctx: RequestContext,
    principal: Principal,
    request: ExportRequest,
) -> Result<Response, ApiError> {
    let clock = clock(request.time_zone.as_deref())?;
    let (query, _) = parse_query(&request.query, &clock)?;
    let (from, to) = time_range(request.from.as_deref(), request.to.as_deref(), &clock)?;
    let fields: Vec<String> = if request.fields.is_empty() {
        DEFAULT_EXPORT_FIELDS
            .iter()
            .map(|f| (*f).to_owned())
            .collect()
    } else {
        request.fields.clone()
    };
    if fields.len() > 100 || fields.iter().any(|f| !app::query::is_field_name(f)) {
        return Err(ApiError::validation(
            "fields",
            "fields must be at most 100 field names",
        ));
    }
    let ascending = request.sort == SortOrder::Asc;
    let slot = state.exports.take(principal.id())?;
    let record = AuditRecord::by(&principal, "search.export", &ctx).details(serde_json::json!({
        "query": request.query,
        "from": from,
        "to": to,
        "format": request.format,
    }));
    audit_repo::insert_audit_record(&state.pool, &record).await?;

    // Fail before the 200 when the database cannot be reached at all.
    let mut tx = repo::begin_bounded(&state.pools.exports, EXPORT_TIMEOUT).await?;
    let (reader, mut writer) = tokio::io::duplex(PIPE_BYTES);
    let format = request.format;
    tokio::spawn(async move {
        let _slot = slot;
        let outcome: anyhow::Result<()> = async {
            let mut buffer = Vec::with_capacity(CHUNK_BYTES * 2);
            if format == ExportFormat::Csv {
                write_csv_header(&mut buffer, &fields);
            }
            let mut rows = repo::stream_documents(&mut tx, &query, from, to, ascending)?;
            while let Some(document) = rows.try_next().await? {
                match format {
                    ExportFormat::Ndjson => {
                        serde_json::to_writer(&mut buffer, &document)?;
                        buffer.push(b'\n');
                    }
                    ExportFormat::Csv => {
                        let cells: Vec<String> =
                            fields.iter().map(|f| cell(&document, f)).collect();
                        write_csv_row(&mut buffer, cells.iter().map(String::as_str));
                    }
                }
                if buffer.len() >= CHUNK_BYTES {
                    tokio::time::timeout(STALLED_AFTER, writer.write_all(&buffer))
                        .await
                        .map_err(|_| {
                            anyhow::anyhow!("the client took nothing for {STALLED_AFTER:?}")
                        })??;
                    buffer.clear();
                }
            }
            drop(rows);
            writer.write_all(&buffer).await?;
            writer.shutdown().await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        if let Err(error) = outcome {
            // The status line is sent; a cut-off body is how HTTP says the rest failed.
            tracing::warn!(error = format!("{error:#}"), "an export stopped early");
        }
    });

    let (content_type, extension) = match format {
        ExportFormat::Ndjson => ("application/x-ndjson", "ndjson"),
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    let mut response = Body::from_stream(tokio_util::io::ReaderStream::new(reader)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(disposition) = HeaderValue::from_str(&format!(
        "attachment; filename=\"vigil-events-{}.{extension}\"",
        from.format("%Y%m%dT%H%M%SZ")
    )) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// The field's value as one CSV cell's text.
fn cell(document: &Value, field: &str) -> String {
    let value = document
        .as_object()
        .and_then(|object| crate::event::path::value_lookup(object, field));
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Writes the header row: the field names. A plain field name (letters,
/// digits, `_`, `.`, `-`, `@`) is written as it is — `@timestamp` must stay
/// `@timestamp` for whatever reads the file, and no formula can be made of
/// those characters; anything else is guarded like a value.
fn write_csv_header(out: &mut Vec<u8>, fields: &[String]) {
    let plain = |name: &str| {
        name.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'@'))
    };
    write_cells(out, fields.iter().map(|f| (f.as_str(), !plain(f))));
}

/// Writes one CSV row (RFC 4180). A cell that a spreadsheet would run as a
/// formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a
/// leading `'`: exported log data must never execute on an analyst's machine.
fn write_csv_row<'a>(out: &mut Vec<u8>, cells: impl Iterator<Item = &'a str>) {
    write_cells(out, cells.map(|cell| (cell, true)));
}

fn write_cells<'a>(out: &mut Vec<u8>, cells: impl Iterator<Item = (&'a str, bool)>) {
    for (i, (cell, guard)) in cells.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let guarded = guard && cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
        let quoted = guarded || cell.contains([',', '"', '\n', '\r']);
        if quoted {
            out.push(b'"');
        }
        if guarded {
            out.push(b'\'');
        }
        for byte in cell.bytes() {
            if byte == b'"' {
                out.push(b'"');
            }
            out.push(byte);
        }
        if quoted {
            out.push(b'"');
        }
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_rows_quote_what_needs_it_and_disarm_formulas() {
        let mut out = Vec::new();
        write_csv_row(
            &mut out,
            [
                "plain",
                "a,b",
                "say \"hi\"",
                "=HYPERLINK(\"x\")",
                "-1",
                "two\nlines",
                "",
            ]
            .into_iter(),
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"'=HYPERLINK(\"\"x\"\")\",\"'-1\",\"two\nlines\",\r\n"
        );
    }

    #[test]
    fn the_header_names_fields_as_they_are_and_guards_anything_else() {
        let mut out = Vec::new();
        let fields = ["@timestamp", "source.ip", "-x", "=cmd|' /c calc'!A1"].map(String::from);
        write_csv_header(&mut out, &fields);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "@timestamp,source.ip,-x,\"'=cmd|' /c calc'!A1\"\r\n"
        );
    }

    #[test]
    fn cells_read_nested_and_literal_dotted_fields() {
        let doc = json!({"host": {"name": "web01"}, "user.name": "root", "n": 5, "z": null});
        assert_eq!(cell(&doc, "host.name"), "web01");
        assert_eq!(cell(&doc, "user.name"), "root");
        assert_eq!(cell(&doc, "n"), "5");
        assert_eq!(cell(&doc, "z"), "");
        assert_eq!(cell(&doc, "missing.field"), "");
    }
}
