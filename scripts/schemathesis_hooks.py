"""Schemathesis hooks for scripts/schemathesis: how to generate Orderly's custom string formats."""

import base64
import uuid

import schemathesis
from hypothesis import strategies as st


def _cursor(placed_at: int, order_id: int) -> str:
    text = f"{placed_at}:{order_id}".encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


# A page cursor of GET /api/v1/orders: the base64url (unpadded) of "<placed_at micros>:<id>", or empty.
schemathesis.openapi.format(
    "orderly-cursor",
    st.one_of(
        st.just(""),
        st.builds(_cursor, st.integers(min_value=0, max_value=2**62), st.integers(min_value=1, max_value=2**62)),
    ),
)


@schemathesis.hook
def before_call(context, case, **kwargs):
    """Gives every request its own Idempotency-Key.

    A key names one request: reusing it for a different body is refused with the documented 422
    (`idempotency_key_reused`). A stateless fuzzer repeats the few keys it generates across different
    bodies, so valid keys (1–200 characters) are replaced by fresh ones; invalid ones are kept.
    """
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            key = headers[name]
            if isinstance(key, str) and 0 < len(key.strip()) and len(key) <= 200:
                headers[name] = str(uuid.uuid4())
