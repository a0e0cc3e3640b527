"""The pytest plugin, run with pytester: fixture, --record-mode, RECORD, strict, network block."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import fakeserver
import pytest

# Imported here, before pytester's in-process runs: modules first imported inside a run are
# dropped after it, and PyYAML's C extension cannot be imported twice into one process.
import genai_core.httprecord.recorder  # noqa: F401

pytest_plugins = ["pytester"]

FAKESERVER = Path(fakeserver.__file__).read_text(encoding="utf-8")

# A user's test: two chat calls through genai_baseten.Client's own default httpx client.
TEST_CHAT = textwrap.dedent(
    """
    import os

    import genai_baseten
    from genai_core import Message


    def test_hello(genai_recorder):
        client = genai_baseten.Client(
            model="fake/model-1",
            api_key="sk-fake-plugin-key-0123456789",
            base_url=os.environ["FAKE_URL"],
            max_retries=0,
        )
        assert client.gen_sync([Message.user("Say hello")]).text == "Hello there! (Say hello)"
        with client.gen_stream([Message.user("again")]) as stream:
            assert sum(1 for f in stream if f.text) > 1
        assert stream.result().text == "Hello there! (again)"
    """
)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[fakeserver.FakeServer]:
    with fakeserver.fake_server() as s:
        monkeypatch.setenv("FAKE_URL", s.url)
        yield s


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECORD", raising=False)


def test_record_then_replay_without_the_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_chat=TEST_CHAT)
    with fakeserver.fake_server() as s:
        monkeypatch.setenv("FAKE_URL", s.url)
        pytester.runpytest("--record-mode=all").assert_outcomes(passed=1)
        assert len(s.requests) == 2
    cassette = pytester.path / "testdata" / "test_chat" / "test_hello.yaml"
    assert cassette.is_file()
    text = cassette.read_text()
    assert "sk-fake-plugin-key" not in text
    assert "test: test_chat.py::test_hello" in text

    # The server is gone; the default mode replays.
    pytester.runpytest().assert_outcomes(passed=1)


def test_record_env_variable_selects_the_mode(
    pytester: pytest.Pytester, server: fakeserver.FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_chat=TEST_CHAT)
    monkeypatch.setenv("RECORD", "1")
    pytester.runpytest().assert_outcomes(passed=1)
    assert len(server.requests) == 2
    monkeypatch.setenv("RECORD", "0")
    pytester.runpytest().assert_outcomes(passed=1)
    assert len(server.requests) == 2  # replayed


def test_missing_recording_fails_and_says_how_to_record(
    pytester: pytest.Pytester, server: fakeserver.FakeServer
) -> None:
    pytester.makepyfile(test_chat=TEST_CHAT)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayMismatchError*no unused interaction*RECORD=1*"])
    assert server.requests == []


def test_strict_fails_a_test_that_leaves_interactions_unplayed(
    pytester: pytest.Pytester, server: fakeserver.FakeServer
) -> None:
    pytester.makepyfile(test_chat=TEST_CHAT)
    pytester.runpytest("--record-mode=all").assert_outcomes(passed=1)
    # The same test, now asking one question only.
    pytester.makepyfile(test_chat=TEST_CHAT.split("    with client.gen_stream")[0])
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*UnplayedInteractionsError*1 recorded interaction(s)*"])

    pytester.makeini("[pytest]\ngenai_record_strict = false\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_network_is_blocked_while_replaying_but_loopback_is_not(
    pytester: pytest.Pytester, server: fakeserver.FakeServer
) -> None:
    pytester.makepyfile(
        test_net=textwrap.dedent(
            """
            import os
            import socket
            import urllib.parse

            import pytest


            def test_remote(genai_recorder):
                # 192.0.2.1 is TEST-NET-1: never routed, so nothing can leak even if unblocked.
                with pytest.raises(OSError, match="network blocked while replaying"):
                    socket.create_connection(("192.0.2.1", 80), timeout=1)


            def test_remote_error_swallowed(genai_recorder):
                try:
                    socket.create_connection(("192.0.2.1", 80), timeout=1)
                except OSError:
                    pass


            def test_loopback(genai_recorder):
                port = urllib.parse.urlsplit(os.environ["FAKE_URL"]).port
                socket.create_connection(("127.0.0.1", port), timeout=5).close()


            def test_recording_may_connect(genai_recorder):
                assert genai_recorder.mode.value == "replay"
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    # Each attempt fails its test at teardown, even when the test caught the error.
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(
        [
            "ERROR test_net.py::test_remote - Failed: the test tried to reach the network*",
            "ERROR test_net.py::test_remote_error_swallowed - Failed: the test tried to re*",
        ]
    )


def test_marker_sets_path_and_split(
    pytester: pytest.Pytester, server: fakeserver.FakeServer
) -> None:
    pytester.makepyfile(
        test_marked=TEST_CHAT.replace(
            "def test_hello(genai_recorder):",
            "import pytest\n\n\n"
            '@pytest.mark.genai_record(path="cassettes/hello.json", split="bytes", seed=4)\n'
            "def test_hello(genai_recorder):\n"
            '    assert str(genai_recorder.path).endswith("hello.json")',
        )
    )
    pytester.runpytest("--record-mode=new").assert_outcomes(passed=1)
    assert (pytester.path / "cassettes" / "hello.json").is_file()
    pytester.runpytest().assert_outcomes(passed=1)


def test_parametrized_and_class_tests_get_their_own_cassettes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_names=textwrap.dedent(
            """
            import pytest


            @pytest.mark.parametrize("x", ["a b", "c/d"])
            def test_p(genai_recorder, x):
                print("\\nPATH", genai_recorder.path)


            class TestGroup:
                def test_m(self, genai_recorder):
                    print("\\nPATH", genai_recorder.path)
            """
        )
    )
    result = pytester.runpytest("-s")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "PATH */testdata/test_names/test_p-a_b.yaml",
            "PATH */testdata/test_names/test_p-c_d.yaml",
            "PATH */testdata/test_names/TestGroup/test_m.yaml",
        ]
    )


def test_bad_record_mode_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest("--record-mode=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--record-mode=sometimes: not a record mode*"])
