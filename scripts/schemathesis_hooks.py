"""Schemathesis checks of Vigil's own (scripts/schemathesis.sh)."""

import schemathesis

# What a leaked panic, backtrace or internal error text looks like.
LEAKS = ("panicked at", "stack backtrace", "RUST_BACKTRACE", "error returned from database", "sqlx::")


@schemathesis.check
def no_stack_traces(ctx, response, case):
    """No error answer carries a stack trace or a database error's text.

    Successful answers are left alone: they echo stored events, and the
    fuzzer stores events holding any text it likes."""
    if response.status_code < 400:
        return
    body = response.text or ""
    # What the request itself carried may be echoed back (a path, a name).
    sent = " ".join(str(part) for part in (case.formatted_path, case.path_parameters, case.query, case.body))
    for leak in LEAKS:
        if leak in body and leak not in sent:
            raise AssertionError(f"the answer leaks internals ({leak!r}): {body[:300]}")
