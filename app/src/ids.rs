//! Typed identifiers, so a user id can never be passed where a key id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Returns the underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }
    };
}

typed_id!(
    /// Returns the identity of a user account.
    UserId
);
typed_id!(
    /// Returns the identity of an API key (its public half).
    ApiKeyId
);
typed_id!(
    /// Returns the identity of a login session.
    SessionId
);
typed_id!(
    /// Returns the identity of a retention policy.
    RetentionPolicyId
);
typed_id!(
    /// Returns the identity of a detection rule (the same across its versions).
    RuleId
);
typed_id!(
    /// Returns the identity of an alert.
    AlertId
);
typed_id!(
    /// Returns the identity of a watchlist.
    WatchlistId
);
typed_id!(
    /// Returns the identity of a saved search.
    SavedSearchId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialise_as_bare_uuids() {
        let id = UserId(Uuid::nil());
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"00000000-0000-0000-0000-000000000000\""
        );
        let parsed: ApiKeyId = "00000000-0000-0000-0000-000000000000".parse().unwrap();
        assert_eq!(parsed.as_uuid(), Uuid::nil());
        assert!("not-a-uuid".parse::<SessionId>().is_err());
    }
}
