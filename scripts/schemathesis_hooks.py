"""Schemathesis checks of Vigil's own (scripts/schemathesis.sh)."""

import schemathesis

# What a leaked panic, backtrace or internal error text looks like.
# (Stored events can hold any text, so only markers no request can plant.)
LEAKS = ("panicked at", "stack backtrace", "RUST_BACKTRACE", "error returned from database", "sqlx::")


@schemathesis.check
def no_stack_traces(ctx, response, case):
    """No answer carries a stack trace or a source location."""
    body = response.text or ""
    for leak in LEAKS:
        if leak in body and "/api/v1/openapi.json" not in case.formatted_path:
            raise AssertionError(f"the answer leaks internals ({leak!r}): {body[:300]}")
