"""Regenerate the settings table in README.md from config.settings (between the markers)."""

from __future__ import annotations

from pathlib import Path

from config.settings import documented_settings

README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> None:
    """Rewrite the block between ``<!-- settings:start -->`` and ``<!-- settings:end -->``."""
    text = README.read_text()
    head, rest = text.split("<!-- settings:start -->", 1)
    _old, tail = rest.split("<!-- settings:end -->", 1)
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{name}` | `{default}` | {doc} |" for name, default, doc in documented_settings()]
    README.write_text(
        head + "<!-- settings:start -->\n" + "\n".join(rows) + "\n<!-- settings:end -->" + tail
    )


if __name__ == "__main__":
    main()
