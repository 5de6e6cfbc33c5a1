//! The values a compiled condition binds, and binding them to a statement.

use chrono::{DateTime, Utc};
use sqlx::Arguments;
use sqlx::postgres::PgArguments;

/// A bound value of the compiled condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// Text.
    Text(String),
    /// A JSON path, as `#>` takes it.
    Path(Vec<String>),
    /// An address or network.
    Net(ipnet::IpNet),
    /// An instant.
    Time(DateTime<Utc>),
    /// A number.
    Number(f64),
    /// An event id.
    Uuid(uuid::Uuid),
}

/// Binds one parameter.
pub fn bind(arguments: &mut PgArguments, param: &Param) -> anyhow::Result<()> {
    let added = match param {
        Param::Text(text) => arguments.add(text.clone()),
        Param::Path(path) => arguments.add(path.clone()),
        Param::Net(net) => arguments.add(*net),
        Param::Time(time) => arguments.add(*time),
        Param::Number(number) => arguments.add(*number),
        Param::Uuid(id) => arguments.add(*id),
    };
    added.map_err(|e| anyhow::anyhow!("binding a query parameter: {e}"))
}

/// Arguments `$1` (from) and `$2` (to), then the condition's from `$first`.
pub fn arguments(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    extra: &[Param],
) -> anyhow::Result<PgArguments> {
    let mut arguments = PgArguments::default();
    bind(&mut arguments, &Param::Time(from))?;
    bind(&mut arguments, &Param::Time(to))?;
    for param in extra {
        bind(&mut arguments, param)?;
    }
    Ok(arguments)
}
