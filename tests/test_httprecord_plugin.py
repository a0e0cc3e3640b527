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


# Another plugin with its own --record-mode, as pytest-recording has (vcrpy's mode names).
OTHER_PLUGIN = textwrap.dedent(
    """
    def pytest_addoption(parser):
        parser.getgroup("recording").addoption(
            "--record-mode",
            default=None,
            choices=["once", "new_episodes", "none", "all", "rewrite"],
        )
    """
)


@pytest.mark.parametrize("how", ["before", "after"])
def test_another_plugins_record_mode_is_shared_not_clashing(
    pytester: pytest.Pytester, server: fakeserver.FakeServer, how: str
) -> None:
    # "before": loaded with -p, ahead of the entry-point plugins; "after": from a conftest.
    if how == "before":
        pytester.makepyfile(other_plugin=OTHER_PLUGIN)
        pytester.syspathinsert()
        args = ["-p", "other_plugin"]
    else:
        pytester.makeconftest(OTHER_PLUGIN)
        args = []
    pytester.makepyfile(test_chat=TEST_CHAT, test_plain="def test_plain():\n    pass\n")
    pytester.runpytest(*args).assert_outcomes(passed=1, failed=1)  # nothing recorded yet
    assert server.requests == []
    # vcrpy's "once": record the cassette that does not exist...
    pytester.runpytest(*args, "--record-mode=once").assert_outcomes(passed=2)
    assert len(server.requests) == 2
    # ... and replay it once it does.
    pytester.runpytest(*args, "--record-mode=once").assert_outcomes(passed=2)
    pytester.runpytest(*args, "--record-mode=none").assert_outcomes(passed=2)
    assert len(server.requests) == 2
    pytester.runpytest(*args, "--record-mode=rewrite").assert_outcomes(passed=2)
    assert len(server.requests) == 4


def test_async_tests_are_blocked_from_the_network_too(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_anet=textwrap.dedent(
            """
            import anyio
            import pytest


            @pytest.fixture(params=["asyncio", "trio"])
            def anyio_backend(request):
                return request.param


            @pytest.mark.anyio
            async def test_remote(genai_recorder):
                # anyio wraps the refusal: "All connection attempts failed".
                with pytest.raises(OSError) as info:
                    await anyio.connect_tcp("192.0.2.1", 80)
                causes = [info.value, info.value.__cause__, *getattr(info.value, "exceptions", [])]
                assert any("network blocked while replaying" in str(c) for c in causes), causes
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(["*test_remote?asyncio? - Failed: the test tried to reach*"])


def test_a_failure_says_which_recorded_answer_was_served(
    pytester: pytest.Pytester, server: fakeserver.FakeServer
) -> None:
    pytester.makepyfile(test_chat=TEST_CHAT)
    pytester.runpytest("--record-mode=all").assert_outcomes(passed=1)
    cassette = pytester.path / "testdata" / "test_chat" / "test_hello.yaml"
    text = cassette.read_text()
    # A hand edit that breaks the streamed answer of the second interaction.
    cassette.write_text(text.replace('"delta": {"content": "Hel"}', '"delta": {"content": 1}'))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- genai_recorder -*",
            f"while replaying {cassette}: served interaction(s) 0, 1; the last, 1 (POST *",
        ]
    )


def test_the_plugin_adds_no_import_cost() -> None:
    # pytest loads the plugin in every run of any project that has this package installed:
    # importing it must not bring in httpx, anyio, vcrpy or PyYAML beyond what the genai_core
    # package itself imports (those come when a test asks for the fixture).
    import subprocess
    import sys

    code = (
        "import sys; import {}; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('httpx', 'anyio', 'vcr', 'yaml', 'wrapt', 'pydantic', 'genai_core'))))"
    )

    def loaded(module: str) -> set[str]:
        out = subprocess.run(
            [sys.executable, "-c", code.format(module)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return set(out.stdout.split())

    extra = loaded("genai_core.httprecord.pytest_plugin") - loaded("genai_core")
    assert extra <= {
        "genai_core.httprecord",
        "genai_core.httprecord.modes",
        "genai_core.httprecord.pytest_plugin",
    }, sorted(extra)


def test_the_docs_pytest_example_replays_without_a_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from genai_core.httprecord import Cassette

    root = Path(__file__).resolve().parent.parent
    doc = (root / "docs" / "record-replay.md").read_text(encoding="utf-8")
    section = doc.split("## In pytest: the `genai_recorder` fixture", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    pytester.makepyfile(test_doc=code)
    monkeypatch.delenv("BASETEN_API_KEY", raising=False)

    result = pytester.runpytest("-p", "no:cacheprovider")  # nothing recorded yet
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*does not exist yet). To record it, run with RECORD=1*"])

    # The cassette a recording would make, from the project's authored demo traffic (the
    # non-streamed "Say hello" answer).
    demo = Cassette.load(root / "testdata" / "demo" / "chat.json")
    cassette = Cassette([demo.interactions[1]], metadata=dict(demo.metadata))
    cassette.save(pytester.path / "testdata" / "test_doc" / "test_hello.yaml")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
