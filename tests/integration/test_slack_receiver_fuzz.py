"""Fuzz the Slack receiver on a real uvicorn server (issue 13): random bodies and headers; no unsigned
request is ever accepted and no request ever gets a server error (5xx)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fakes.slack_server import FakeSlackServer
from tests.fakes.uvicorn_server import uvicorn_serving
from tests.integration.test_slack_receiver import NOW, make_app, sign

HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80).map(
    str.strip
)  # h11 refuses edge spaces
STAMP = str(int(NOW.timestamp()))
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
PAYLOADS = st.one_of(
    JSONISH,
    st.fixed_dictionaries({"type": st.sampled_from(["event_callback", "url_verification"])}, optional={
        "event_id": JSONISH, "challenge": JSONISH, "event": JSONISH | st.fixed_dictionaries(
            {"type": st.just("message"), "channel": st.just("C0TICKETS"), "text": st.text(max_size=40),
             "ts": st.text(max_size=12), "thread_ts": st.text(max_size=12)}),
    }),
)  # fmt: skip


def test_unsigned_and_malformed_requests_are_never_accepted_nor_5xx(tmp_path: Path) -> None:
    alerts: list[str] = []
    outcomes: dict[str, list[int]] = {"unsigned_accepted": [], "server_errors": []}
    with (
        FakeSlackServer(channels={"tickets": "C0TICKETS"}) as slack,
        uvicorn_serving(make_app(tmp_path, slack, alerts)) as base_url,
        httpx.Client(timeout=5) as http,
    ):
        url = f"{base_url}/slack/events"

        @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
        @given(
            body=st.binary(max_size=300),
            timestamp=st.one_of(st.none(), HEADER_TEXT, st.just(STAMP)),
            signature=st.one_of(st.none(), HEADER_TEXT, st.just("v0=" + "a" * 64)),
        )
        def unsigned(body: bytes, timestamp: str | None, signature: str | None) -> None:
            headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}
            response = http.post(
                url, content=body, headers={k: v for k, v in headers.items() if v is not None}
            )
            if response.status_code < 300:
                outcomes["unsigned_accepted"].append(response.status_code)
            if response.status_code >= 500:
                outcomes["server_errors"].append(response.status_code)

        @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
        @given(payload=PAYLOADS, raw=st.one_of(st.none(), st.binary(max_size=100)))
        def signed(payload: object, raw: bytes | None) -> None:
            body = json.dumps(payload).encode() if raw is None else raw
            response = http.post(url, content=body, headers=sign(body))
            assert response.status_code in (200, 400), (response.status_code, body[:60])

        unsigned()
        signed()
    assert outcomes == {"unsigned_accepted": [], "server_errors": []}
