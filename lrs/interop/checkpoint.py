"""A resumable job's progress kept in a small JSON file (pull and NDJSON import share it)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any, Self


class JsonCheckpoint:
    """Mixin for a dataclass of plain fields: load it from, and save it atomically to, a file."""

    @classmethod
    def load(cls, path: Path | None) -> Self:
        """The saved state, or a fresh one when there is no file."""
        if path is None or not path.is_file():
            return cls()
        return cls(**json.loads(path.read_text()))

    def save(self, path: Path | None) -> None:
        """Write atomically (temp file + rename), so a kill leaves the old or the new state."""
        if path is None:
            return
        fields: Any = asdict(self)  # type: ignore[call-overload]
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(fields))
        os.replace(tmp, path)
