"""MkDocs hook: links from a page to a repository file outside docs/ point at it on GitHub.

The pages are read on GitHub as well as on the site, so they link to ``../README.md`` or
``../benchmarks/README.md`` like any Markdown file. On the site those files do not exist; this
hook rewrites such links to the file in the repository (``repo_url``), and fails the build when
the file is missing, so a broken link still breaks ``mkdocs build --strict``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

# An inline Markdown link or image target: ](target) or ](target#anchor), no spaces or scheme.
_LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s#]+)(#[^)\s]*)?\)")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    docs_dir = Path(config["docs_dir"]).resolve()
    root = docs_dir.parent
    page_dir = (docs_dir / page.file.src_path).parent
    repo_url = str(config.get("repo_url") or "").rstrip("/")

    def rewrite(match: re.Match[str]) -> str:
        target, anchor = match.group(1), match.group(2) or ""
        path = (page_dir / target).resolve()
        if path.is_relative_to(docs_dir):
            return match.group(0)  # a page of the site: MkDocs itself checks it
        if not path.is_relative_to(root) or not path.exists():
            raise PluginError(f"{page.file.src_path}: link to a missing file: {target}")
        kind = "tree" if path.is_dir() else "blob"
        return f"]({repo_url}/{kind}/main/{path.relative_to(root).as_posix()}{anchor})"

    return _LINK.sub(rewrite, markdown)
