//! Slugs: the stable, URL-safe names of rules and watchlists.

/// The longest slug.
pub const MAX_SLUG: usize = 80;

/// Says whether `text` is a slug: lower-case letters, digits, `_` and `-`,
/// starting with a letter or digit, at most [`MAX_SLUG`] long.
pub fn is_slug(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && text.len() <= MAX_SLUG
}
