"""The one way the app finds its files in the `resources` package.

importlib.resources works from a checkout and from an installed wheel alike; when the
package is inside a zip, the file is extracted once and kept until the app exits.
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from importlib import resources as _importlib_resources
from pathlib import Path

PACKAGE = "resources"

_extracted = ExitStack()
atexit.register(_extracted.close)
_paths: dict[str, Path] = {}


def resource_path(name: str) -> Path:
    """The file `name` ("style.qss", "icons/app.svg") as a real path on disk."""
    path = _paths.get(name)
    if path is None:
        traversable = _importlib_resources.files(PACKAGE).joinpath(*name.split("/"))
        if not traversable.is_file():
            raise FileNotFoundError(f"resource '{name}' is not in the {PACKAGE} package")
        path = _extracted.enter_context(_importlib_resources.as_file(traversable))
        _paths[name] = path
    return path


def resource_text(name: str) -> str:
    return _importlib_resources.files(PACKAGE).joinpath(*name.split("/")).read_text(encoding="utf-8")
