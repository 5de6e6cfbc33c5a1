//! Search: the query language compiled to SQL over the partitioned events,
//! keyset pagination, bounded cost, and an audit record per search.

pub mod compile;
pub mod export;
pub mod handlers;
pub mod saved;
