"""What the documentation tests share: the Markdown reader (prose outside code, headings and
their anchors) and a walk over a parsed scenario that finds every model of one kind in it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

T = TypeVar("T")


def nodes(node: object, kind: type[T], path: tuple[str, ...] = ()) -> Iterator[tuple[str, T]]:
    """Every ``kind`` inside a parsed scenario (schema defaults included), by dotted path; the
    walk does not look inside what it finds."""
    if isinstance(node, kind):
        yield ".".join(path), node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from nodes(getattr(node, name), kind, (*path, name))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from nodes(value, kind, (*path, str(key)))
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            yield from nodes(value, kind, (*path, str(i)))


HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"")


def prose(text: str, *, keep_code: bool = False) -> Iterator[tuple[int, str]]:
    """(line number, line) outside fenced code blocks, inline code removed unless kept."""
    fence = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            fence = "" if fence and stripped.startswith(fence) else fence or stripped[:3]
            continue
        if not fence:
            yield number, line if keep_code else re.sub(r"(`+)(?:(?!\1).)+\1", "", line)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts as its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a Markdown file: heading slugs (numbered when repeated) and <a> names."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in prose(path.read_text(encoding="utf-8"), keep_code=True):
        found.update(HTML_ANCHOR.findall(line))
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            found.add(f"{base}-{seen[base]}" if base in seen else base)
            seen[base] = seen.get(base, 0) + 1
    return found
