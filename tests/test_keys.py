"""genai_core.keys and the ``genai keys`` command, in a temporary GENAI_CONFIG_DIR
(tests/conftest.py sets one per test)."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import genai_core as genai
from genai_core import cli, keys
from genai_core.errors import MissingAPIKeyError

FAKE_KEY = "fake-key-0123456789abcdef"  # never a real key
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_file_lives_in_the_configured_directory() -> None:
    assert keys.path() == Path(os.environ["GENAI_CONFIG_DIR"]) / "keys.json"


def test_without_the_override_platformdirs_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("GENAI_CONFIG_DIR")
    expected = Path(platformdirs.user_config_dir("genai", appauthor=False)) / "keys.json"
    assert keys.path() == expected


@POSIX
def test_set_get_list_delete_round_trip() -> None:
    assert keys.get("baseten") is None
    assert keys.list_providers() == []
    where = keys.set("baseten", FAKE_KEY + "\n")  # a pasted newline is not part of the key
    assert where == keys.path()
    assert mode(where) == 0o600
    assert mode(where.parent) == 0o700
    assert keys.get("baseten") == FAKE_KEY
    keys.set("openaicompatible", "other-fake-key")
    assert keys.list_providers() == ["baseten", "openaicompatible"]
    assert json.loads(where.read_text())["keys"]["baseten"] == FAKE_KEY
    assert keys.delete("baseten") is True
    assert keys.delete("baseten") is False
    assert keys.list_providers() == ["openaicompatible"]
    assert mode(where) == 0o600  # rewritten, still private
    # Atomic writes leave no temporary file behind.
    assert sorted(p.name for p in where.parent.iterdir()) == ["keys.json"]


@POSIX
@pytest.mark.parametrize("loose", [0o640, 0o604, 0o644])
def test_a_file_others_can_read_is_refused(loose: int) -> None:
    keys.set("baseten", FAKE_KEY)
    keys.path().chmod(loose)
    with pytest.raises(keys.KeyStoreError, match=r"readable by other users.*chmod 600") as err:
        keys.get("baseten")
    assert FAKE_KEY not in str(err.value)
    with pytest.raises(keys.KeyStoreError):
        keys.set("baseten", "new-fake-key")  # nor rewritten in place


def test_a_corrupt_file_is_an_error_that_does_not_quote_it() -> None:
    keys.path().parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(keys.path(), os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b'{"keys": {"baseten": ' + FAKE_KEY.encode() + b"}")  # broken JSON
    os.close(fd)
    with pytest.raises(keys.KeyStoreError, match="not a genai key file") as err:
        keys.get("baseten")
    assert FAKE_KEY not in str(err.value)


def test_bad_input_is_refused() -> None:
    with pytest.raises(keys.KeyStoreError, match="empty"):
        keys.set("baseten", "   ")
    with pytest.raises(keys.KeyStoreError, match="whitespace"):
        keys.set("baseten", "two keys")
    with pytest.raises(keys.KeyStoreError, match="provider"):
        keys.get("")
    assert not keys.path().exists()


def test_mask_shows_at_most_the_last_four_characters() -> None:
    assert keys.mask("fake-key-0123456789abcdef") == "****cdef"
    assert keys.mask("short-fake") == "****"


def test_the_library_never_reads_the_file_on_its_own() -> None:
    keys.set("baseten", FAKE_KEY)
    with pytest.raises(MissingAPIKeyError):
        genai.get_provider("baseten", model="openai/gpt-oss-120b").gen_sync(
            [genai.Message.user("hi")]
        )
    # Asked explicitly, it is used: genai.keys is the same module.
    client = genai.get_provider(
        "baseten", model="openai/gpt-oss-120b", api_key=genai.keys.get("baseten")
    )
    assert FAKE_KEY not in repr(client)
    client.close()


# --- the command ------------------------------------------------------------------------------


def test_keys_set_reads_stdin_and_list_masks(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(FAKE_KEY + "\n"))
    assert cli.main(["keys", "set", "baseten"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert f"stored the key of baseten in {keys.path()}" in err
    assert FAKE_KEY not in out + err
    assert keys.get("baseten") == FAKE_KEY

    assert cli.main(["keys", "list"]) == 0
    out, _ = capsys.readouterr()
    assert out == "baseten  ****cdef\n"

    assert cli.main(["keys", "get", "baseten"]) == 0  # asked explicitly: printed
    assert capsys.readouterr().out == FAKE_KEY + "\n"

    assert cli.main(["keys", "path"]) == 0
    assert capsys.readouterr().out == f"{keys.path()}\n"

    assert cli.main(["keys", "delete", "baseten"]) == 0
    assert keys.get("baseten") is None


def test_keys_errors(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.main(["keys", "get", "baseten"]) == 1
    assert "no key stored for baseten" in capsys.readouterr().err
    assert cli.main(["keys", "get"]) == 2
    assert "needs a PROVIDER" in capsys.readouterr().err
    assert cli.main(["keys", "show", "baseten"]) == 2  # unknown action: argparse
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert cli.main(["keys", "set", "baseten"]) == 2
    assert "empty key" in capsys.readouterr().err
    assert not keys.path().exists()


def test_keys_in_a_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "GENAI_CONFIG_DIR": str(tmp_path / "cfg")}

    def genai(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "genai_core.cli", "keys", *args],
            input=stdin,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    proc = genai("set", "baseten", stdin=FAKE_KEY + "\n")
    assert proc.returncode == 0, proc.stderr
    assert FAKE_KEY not in proc.stdout + proc.stderr
    proc = genai("list")
    assert (proc.returncode, proc.stdout) == (0, "baseten  ****cdef\n")
    if sys.platform != "win32":
        assert mode(tmp_path / "cfg" / "keys.json") == 0o600
