"""The fault-injection matrix: every row of ``faults.FAULTS`` × sync client / async client on
asyncio / async client on trio × ``gen_sync`` / ``gen_stream``, against a loopback server.

Each cell must end in a complete, correct Result or in exactly the documented error class with
its status, request id and partial result; the fragments seen must add up to that Result; and
afterwards no connection is left open (the server counts them) and the process holds no more
file descriptors than before.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import faults_doc
import httpx
import pytest
from faults import FAULTS, NOW, RID, TIMEOUT, Fault, Outcome
from faultserver import FaultServer, fault_server
from harness.flavors import FLAVORS, Flavor, Mode
from harness.scripted import Sleeps
from secret_scan import no_leak

import genai_baseten
import genai_core as genai
from genai_core import errors
from genai_core.http import RetryPolicy

KEY = "fake-key-for-fault-tests-0123456789"


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with fault_server() as srv:
        yield srv


@dataclass
class Ran:
    result: genai.Result | None = None
    error: BaseException | None = None
    texts: list[str] = field(default_factory=list)
    sleeps: Sleeps = field(default_factory=Sleeps)


def _policy(sleeps: Sleeps) -> RetryPolicy:
    return sleeps.policy(max_retries=1, clock=lambda: NOW, rand=lambda: 0.0)


def _kwargs(srv: FaultServer, fault: Fault, ran: Ran) -> dict[str, Any]:
    return {
        "api_key": KEY,
        "base_url": srv.url,
        "timeout": TIMEOUT,
        "retry_policy": _policy(ran.sleeps),
        **fault.client,
    }


MSGS = [genai.Message.user("hi")]
MODEL = "openai/gpt-oss-120b"


async def run(flavor: Flavor, srv: FaultServer, fault: Fault, stream: bool) -> Ran:
    """One call in ``flavor``; the fragments' texts, the Result or the GenAIError."""
    ran = Ran()
    client = flavor.pick(genai_baseten.Client, genai_baseten.AsyncClient)(
        MODEL, **_kwargs(srv, fault, ran)
    )
    out = await Mode(flavor, stream).outcome(client, MSGS)
    await flavor.close(client)
    ran.texts = [f.text for f in out.fragments]
    ran.result = out.result
    if out.error is not None:
        assert isinstance(out.error, genai.GenAIError), repr(out.error)
        ran.error = out.error
    return ran


def fd_count() -> dict[str, str]:
    out = {}
    for n in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own fd is gone already
            out[n] = os.readlink(f"/proc/self/fd/{n}")
    return out


CELLS = [
    pytest.param(fault, flavor, mode, id=f"{fault.name}-{flavor}-{mode}")
    for fault in FAULTS
    for flavor in FLAVORS
    for mode in ("stream", "sync")
    if getattr(fault, mode) is not None
]


@pytest.mark.parametrize(("fault", "flavor", "mode"), CELLS)
def test_fault_cell(server: FaultServer, fault: Fault, flavor: Flavor, mode: str) -> None:
    stream = mode == "stream"
    expected: Outcome = getattr(fault, mode)
    server.script(*fault.scripts(stream))
    before = fd_count()
    # The secrets sweep over the matrix: DEBUG logs (genai, httpx, httpcore), the error with
    # its causes and partial result, and the result, searched for the key in every encoding.
    with no_leak(KEY, f"{fault.name} {flavor} {mode}") as seen:
        ran = flavor.run(lambda: run(flavor, server, fault, stream))
        seen.extend(x for x in (ran.error, ran.result) if x is not None)

    assert len(server.requests) == expected.requests
    assert ran.sleeps.delays == list(expected.sleeps)
    if expected.error is None:
        assert ran.error is None, repr(ran.error)
        assert ran.result is not None
        assert ran.result.text == expected.text
        assert ran.result.maybe_truncated is expected.maybe_truncated
        assert ran.result.finish_reason == (None if expected.maybe_truncated else "stop")
        if stream:
            assert "".join(ran.texts) == ran.result.text
    else:
        err = ran.error
        assert type(err).__name__ == expected.error, repr(err)
        assert isinstance(err, genai.GenAIError)
        assert expected.contains in str(err)
        assert KEY not in str(err) and KEY not in repr(err)
        if expected.status is None:
            assert isinstance(err, errors.APIConnectionError)
        else:
            assert isinstance(err, errors.APIError)
            assert err.status_code == expected.status
            assert err.request_id == RID
        if expected.status == 200:
            # Broke after the 200: a stream's error is a StreamError, with what arrived kept; a
            # malformed answer is a MalformedResponseError, streamed or not.
            assert isinstance(err, errors.StreamError) is stream or isinstance(
                err, errors.StreamConnectionError
            )
            if "Malformed" in expected.error:
                assert isinstance(err, errors.MalformedResponseError)
            if stream:
                assert err.partial_result is not None
                assert err.partial_result.text == expected.text
                assert "".join(ran.texts) == expected.text
        if isinstance(err, errors.APIConnectionError) or "Content-Encoding" in expected.contains:
            # The transport's own exception is chained, never lost.
            assert isinstance(err.__cause__, httpx.HTTPError | TimeoutError), err.__cause__
    assert server.wait_closed(), "a connection was left open"
    after = fd_count()
    assert len(after) <= len(before), {k: v for k, v in after.items() if before.get(k) != v}


def test_reliability_page_matches_the_matrix() -> None:
    page = faults_doc.PAGE.read_text()
    assert faults_doc.render(page) == page, "docs/reliability.md is stale: run tests/faults_doc.py"
    for fault in FAULTS:
        assert f"| {fault.name} |" in page


def test_matrix_covers_every_flavor_and_mode() -> None:
    # Every fault runs in at least one mode; the doc table is built from the same rows.
    assert all(f.stream is not None or f.sync is not None for f in FAULTS)
    assert len(CELLS) >= 3 * 2 * 20
