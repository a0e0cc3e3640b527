"""API keys stored in the user's configuration directory, read only when asked.

::

    import genai_core as genai
    import genai_baseten

    client = genai_baseten.Client(model="cheap", api_key=genai.keys.get("baseten"))

The file is ``keys.json`` in ``GENAI_CONFIG_DIR`` when that variable is set, else in the
platform's user configuration directory for ``genai`` (``~/.config/genai`` on Linux, via
platformdirs). It is written atomically (a new file renamed over the old one) with mode 0600,
and refused when its permissions let the group or other users read it: a key is a password.

Nothing in the library reads this file on its own: a client takes its key from ``api_key=`` or
the provider's environment variable. The ``genai`` command reads it when neither a flag nor an
environment variable gives a key (``genai keys set PROVIDER`` stores one).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from pathlib import Path

from .errors import GenAIError

__all__ = [
    "CONFIG_DIR_ENV",
    "KeyStoreError",
    "config_dir",
    "delete",
    "get",
    "list_providers",
    "mask",
    "path",
    "set",
]

#: The environment variable that overrides the configuration directory (tests, CI, containers).
CONFIG_DIR_ENV = "GENAI_CONFIG_DIR"

_FILE = "keys.json"
_VERSION = 1


class KeyStoreError(GenAIError):
    """The key file cannot be used: unsafe permissions, unreadable, or not a key file."""


def config_dir() -> Path:
    """``$GENAI_CONFIG_DIR``, else the platform's user configuration directory for genai."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    # Imported here: only the key commands need it, never `import genai_core`.
    import platformdirs

    return Path(platformdirs.user_config_dir("genai", appauthor=False))


def path() -> Path:
    """Where the keys are stored (the file may not exist yet)."""
    return config_dir() / _FILE


def _check_provider(provider: str) -> str:
    if not isinstance(provider, str) or not provider.strip():
        raise KeyStoreError(f"provider must be a non-empty name, got {provider!r}")
    return provider.strip()


def _check_private(file: Path, st: os.stat_result) -> None:
    if sys.platform == "win32":  # POSIX modes do not describe Windows ACLs
        return
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyStoreError(
            f"{file} is readable by other users (mode {stat.S_IMODE(st.st_mode):o}); "
            f"refusing to use it: run `chmod 600 {file}` (and replace the keys if they leaked)"
        )


def _load() -> dict[str, str]:
    file = path()
    try:
        fd = os.open(file, os.O_RDONLY)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise KeyStoreError(f"cannot read {file}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as f:
        _check_private(file, os.fstat(f.fileno()))
        raw = f.read()
    try:
        data = json.loads(raw)
        keys = data["keys"]
        if not isinstance(keys, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in keys.items()
        ):
            raise TypeError("keys must map provider names to strings")
    except (ValueError, KeyError, TypeError) as exc:
        # Never quote the content: it holds keys.
        raise KeyStoreError(
            f"{file} is not a genai key file ({type(exc).__name__}); fix or delete it"
        ) from None
    return dict(keys)


def _save(keys: dict[str, str]) -> None:
    file = path()
    file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = json.dumps({"version": _VERSION, "keys": dict(sorted(keys.items()))}, indent=2)
    tmp = file.with_name(f".{_FILE}.{os.getpid()}.tmp")
    # O_EXCL with mode 0600: the key is never in a file anyone else could open, even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def get(provider: str) -> str | None:
    """The key stored for ``provider``, or None when none is (pass it as ``api_key=``)."""
    return _load().get(_check_provider(provider))


def set(provider: str, key: str) -> Path:
    """Store ``key`` for ``provider`` (replacing an earlier one); returns the file's path."""
    name = _check_provider(provider)
    if not isinstance(key, str) or not key.strip():
        raise KeyStoreError("the key is empty; nothing stored")
    if any(c.isspace() for c in key.strip()):
        raise KeyStoreError("the key holds whitespace; nothing stored (pasted twice?)")
    keys = _load()
    keys[name] = key.strip()
    _save(keys)
    return path()


def delete(provider: str) -> bool:
    """Forget ``provider``'s key; False when none was stored."""
    name = _check_provider(provider)
    keys = _load()
    if keys.pop(name, None) is None:
        return False
    _save(keys)
    return True


def list_providers() -> list[str]:
    """The providers with a stored key, sorted (never the keys)."""
    return sorted(_load())


def mask(key: str) -> str:
    """A stored key as ``genai keys list`` shows it: its last 4 characters at most, and only
    for keys long enough that they give nothing useful away."""
    return f"****{key[-4:]}" if len(key) >= 16 else "****"
