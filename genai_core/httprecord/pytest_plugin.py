"""pytest plugin: a cassette per test, ``--record-mode``, and no network while replaying.

Registered through the ``pytest11`` entry point as ``genai_httprecord``, so installing the
package is enough. Importing it costs little: nothing beyond what the ``genai_core`` package
imports itself (no httpx, anyio, vcrpy or PyYAML of its own; they come with the fixture).

* fixture ``genai_recorder``: a started :class:`~.recorder.Recorder` for the cassette
  ``<genai_cassette_dir>/<module>/<test>.yaml`` (``<module>/<Class>/<test>.yaml`` in a class;
  parameters become ``-a-b``); every httpx client the test makes goes through it. When the test
  ends the recording is saved and, in strict mode, a cassette with unplayed interactions fails it.
* ``--record-mode=replay|new|all`` (default: the ``RECORD`` environment variable, else replay).
* while replaying, a test using the fixture cannot reach the network: connecting a socket to
  anything but a loopback address (or a Unix socket) fails the test, and an httpx request the
  cassette does not answer raises :class:`~.cassette.ReplayMismatchError`.
* marker ``@pytest.mark.genai_record(path=..., strict=..., split=..., seed=..., metadata=...)``
  overrides the defaults for one test; ini options ``genai_cassette_dir`` (default
  ``testdata``), ``genai_cassette_format`` (``yaml`` or ``json``) and ``genai_record_strict``
  (default true).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..errors import ValidationError
from .modes import RecordMode, mode_from_env, parse_mode

if TYPE_CHECKING:
    import pluggy

    from .recorder import Recorder

__all__ = ["NetworkBlockedError", "cassette_path", "genai_recorder"]

_CALL_FAILED = pytest.StashKey[bool]()
_RECORDER = pytest.StashKey["Recorder"]()
# vcrpy's "once" (record a missing cassette, else replay), given through pytest-recording's
# --record-mode; vcrpy's other names ("none", "new_episodes", "all") are RecordMode words.
_ONCE = "once"


class NetworkBlockedError(OSError):
    """A test replaying a cassette tried to open a connection to a real host."""


_OPTION = "--record-mode"
_GROUP = ("genai-httprecord", "HTTP record/replay (genai_core.httprecord)")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup(*_GROUP)
    parser.addini(
        "genai_cassette_dir", "directory of the genai_recorder cassettes", default="testdata"
    )
    parser.addini("genai_cassette_format", "yaml (default) or json", default="yaml")
    parser.addini(
        "genai_record_strict",
        "fail a test that leaves recorded interactions unplayed",
        type="bool",
        default=True,
    )


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Generator[None]:
    # --record-mode is added here, once every other plugin and the initial conftests have added
    # their options, and only if none of them has one by that name: pytest-recording has the
    # same option, and two of them make argparse refuse to run any test at all. When another
    # plugin owns it, the fixture reads that plugin's value (vcrpy's mode names are understood).
    try:
        return (yield)
    finally:
        if not _option_taken(parser, _OPTION):
            parser.getgroup(*_GROUP).addoption(
                _OPTION,
                dest="genai_record_mode",
                default=None,
                metavar="MODE",
                help="replay (default: answer from cassettes, no network), new (record what is "
                "missing) or all (re-record everything); default from the RECORD environment "
                "variable",
            )


def _option_taken(parser: pytest.Parser, name: str) -> bool:
    groups = [getattr(parser, "_anonymous", None), *getattr(parser, "_groups", [])]
    return any(
        name in option.names()
        for group in groups
        if group is not None
        for option in getattr(group, "options", [])
    )


def _mode_option(config: pytest.Config) -> str | None:
    """The value given to --record-mode, whichever plugin registered the option."""
    try:
        value = config.getoption(_OPTION)
    except ValueError:  # the option was never added (the plugin loaded too late)
        return None
    return None if value is None else str(value)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "genai_record(path=None, strict=None, split='events', seed=0, metadata=None): "
        "options of this test's genai_recorder cassette",
    )
    value = _mode_option(config)
    if value is not None and value != _ONCE:
        try:
            parse_mode(value, source=f"--record-mode={value}")
        except ValidationError as exc:
            raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport]]:
    outcome = yield
    report = outcome.get_result()
    recorder = item.stash.get(_RECORDER, None)
    if recorder is not None and report.failed:
        _scrub_report(report, recorder)
    if report.when == "call" and report.failed:
        item.stash[_CALL_FAILED] = True
        recorder = item.stash.get(_RECORDER, None)
        note = recorder.replay_note() if recorder is not None else ""
        if note:
            # The test's error may come from a response the cassette served (a hand edit that
            # broke a JSON body): say which file and interaction that was.
            report.sections.append(("genai_recorder", note))


def _scrub_report(report: pytest.TestReport, recorder: Recorder) -> None:
    """Redact the credentials the recorder knows of from a failing test's report.

    pytest shows the arguments of every frame of the traceback, and the test's own captured
    output: a key the code under test handled (``BASETEN_API_KEY=... pytest``) must not be
    printed there, in any encoding.
    """
    text = str(report.longrepr)
    clean = recorder.scrub(text)
    if clean != text:
        report.longrepr = clean
    report.sections = [(title, recorder.scrub(body)) for title, body in report.sections]


def cassette_path(node: pytest.Item, config: pytest.Config) -> Path:
    """Where a test's cassette lives by default."""
    root = config.rootpath / str(config.getini("genai_cassette_dir"))
    module = Path(str(getattr(node, "path", "test"))).stem
    parts = [module]
    cls = getattr(node, "cls", None)
    if cls is not None:
        parts.append(cls.__name__)
    name = node.name.replace("[", "-").replace("]", "")
    parts.append(re.sub(r"[^A-Za-z0-9._-]+", "_", name))
    suffix = ".json" if str(config.getini("genai_cassette_format")).lower() == "json" else ".yaml"
    return root.joinpath(*parts).with_suffix(suffix)


@pytest.fixture
def genai_recorder(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Recorder]:
    """A Recorder named after the test, routing the test's httpx clients through its cassette."""
    missing = None
    try:
        from .recorder import Recorder  # imports vcrpy
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing not in ("vcr", "yaml", "wrapt"):
            raise
    if missing is not None:  # outside the except: the report shows this line, not a chain
        pytest.fail(
            f"the genai_recorder fixture needs vcrpy (no module named {missing!r}); install it "
            "with: pip install 'genai-baseten[record]'",
            pytrace=False,
        )

    config = request.config
    marker = request.node.get_closest_marker("genai_record")
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    path = Path(options.pop("path", None) or cassette_path(request.node, config))
    value = _mode_option(config)
    if value is None:
        mode = mode_from_env()
    elif value == _ONCE:  # pytest-recording's default: record a cassette that does not exist
        mode = RecordMode.REPLAY if path.exists() else RecordMode.NEW
    else:
        mode = parse_mode(value)
    strict = options.pop("strict", None)
    if strict is None:
        strict = bool(config.getini("genai_record_strict"))
    metadata = {"test": request.node.nodeid, **options.pop("metadata", {})}
    recorder = Recorder(path, mode=mode, strict=strict, metadata=metadata, **options)
    request.node.stash[_RECORDER] = recorder
    attempts: list[str] = []
    if mode is RecordMode.REPLAY:
        _block_network(monkeypatch, attempts)
    with recorder:
        try:
            yield recorder
        finally:
            failed = request.node.stash.get(_CALL_FAILED, False)
            recorder.close(check=not failed)
    if attempts and not request.node.stash.get(_CALL_FAILED, False):
        pytest.fail(
            "the test tried to reach the network while replaying a cassette: "
            + "; ".join(attempts),
            pytrace=False,
        )


def _allowed(sock: socket.socket, address: Any) -> bool:
    if getattr(socket, "AF_UNIX", None) is not None and sock.family == socket.AF_UNIX:
        return True
    host = address[0] if isinstance(address, tuple) and address else address
    if not isinstance(host, str):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _block_network(monkeypatch: pytest.MonkeyPatch, attempts: list[str]) -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def refuse(address: Any) -> NetworkBlockedError:
        attempts.append(f"connect to {address!r}")
        return NetworkBlockedError(
            f"network blocked while replaying a cassette: connect to {address!r} (only "
            "loopback is allowed); record with --record-mode=new or RECORD=1"
        )

    def connect(sock: socket.socket, address: Any) -> None:
        if not _allowed(sock, address):
            raise refuse(address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        if not _allowed(sock, address):
            raise refuse(address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
