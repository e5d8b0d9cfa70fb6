"""Load scenario YAML safely, remembering where every key and value was written.

``include:`` at the top of a file names other files (relative to it) that are merged underneath
it; a folder stands for the ``scenario.yaml`` inside it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import yaml

from scsim.scenario.errors import Issue, IssueCollector, ScenarioError, format_path

DataPath = tuple[object, ...]
FOLDER_ENTRY = "scenario.yaml"
INCLUDE_KEY = "include"
# Values built by following aliases: far more than any scenario needs, and few enough that a
# file of nested aliases ("billion laughs") is refused before it takes time or memory.
MAX_ALIASED_VALUES = 10_000
# The largest scenario file read: the biggest bundled file is a few dozen KiB, and a cap keeps a
# mistaken path (a log, a data dump) from taking minutes and gigabytes before its first error.
MAX_FILE_BYTES = 1 << 20
# Flow collections ([...] and {...}) nested deeper than this are refused before PyYAML, whose
# recursive parser would otherwise overflow the stack on a few thousand brackets.
MAX_FLOW_DEPTH = 64
# ``include: scsim:parts/<name>.yaml`` names a part of the bundled library.
BUNDLED_PREFIX = "scsim:"
INCLUDE_SUFFIXES = (".yaml", ".yml")
_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\xef\xbb\xbf", "UTF-8 with a byte-order mark"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
)
# C0 controls other than tab, line feed and carriage return, DEL, and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_ESCAPE_DIGITS = {"x": 2, "u": 4, "U": 8}  # hex digits after these double-quoted escapes
# YAML 1.2 floats: unlike PyYAML's YAML 1.1 rule, 1e-3 and 2E6 are numbers, not strings.
_FLOAT_PATTERN = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)
    |[-+]?(?:[0-9][0-9_]*)\.[0-9_]*
    |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.VERBOSE,
)


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading exponent floats such as ``1e-3`` as numbers."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _FLOAT_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_FLOAT_TAG, _FLOAT_PATTERN, list("-+0123456789."))


_DATE_PATTERN = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")


class Mark(NamedTuple):
    """A place in a file; line and column are 1-based."""

    file: str
    line: int
    col: int


@dataclass(frozen=True)
class Spot:
    """Where one mapping entry or sequence item was written (for items, key is the item)."""

    key: Mark
    value: Mark
    value_end: Mark
    key_style: str | None  # "" plain, "'" or '"' quoted, None when there is no key
    value_style: str | None  # as key_style, "|" or ">" for block scalars, None for collections
    value_text: str = ""  # a scalar value as written, quotes and escapes included

    def written_offset(self, offset: int) -> int:
        """How far into the written value (past any opening quote) its ``offset``-th character is.

        Escapes (``''`` in single quotes, ``\\"`` or ``\\x41`` in double quotes) take more
        characters in the file than in the value. Meant for one-line scalars.
        """
        text, style = self.value_text, self.value_style
        if style not in ("'", '"'):
            return offset
        i, decoded = 1, 0
        while decoded < offset and i < len(text) - 1:
            if style == "'" and text.startswith("''", i):
                i += 2
            elif style == '"' and text[i] == "\\":
                i += 2 + _ESCAPE_DIGITS.get(text[i + 1 : i + 2], 0)
            else:
                i += 1
            decoded += 1
        return i - 1 + offset - decoded


@dataclass(frozen=True)
class Unreadable:
    """A scalar whose text YAML reads as a date (or another type) that it is not a valid one of."""

    text: str

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


@dataclass
class Positions:
    """Where each entry of loaded data was written, by data path such as ``("schemes", "x")``.

    ``unreadable`` holds the issue of each value or key that could not be read (an
    :class:`Unreadable` in the data), for validation to report alongside its own.
    """

    root: Mark
    spots: dict[DataPath, Spot] = field(default_factory=dict)
    unreadable: dict[DataPath, Issue] = field(default_factory=dict)

    def spot(self, path: DataPath) -> Spot | None:
        """The recorded spot of ``path``, if it was written in a file."""
        return self.spots.get(tuple(path))

    def key(self, path: DataPath) -> Mark | None:
        """Where the key of ``path`` (or the sequence item) was written."""
        spot = self.spot(path)
        return spot.key if spot else None

    def value(self, path: DataPath) -> Mark | None:
        """Where the value of ``path`` starts."""
        spot = self.spot(path)
        return spot.value if spot else None

    def nearest(self, path: DataPath, *, key: bool = True) -> Mark:
        """The mark of ``path``, else the key of its longest written prefix, else the file start."""
        path = tuple(path)
        spot = self.spots.get(path)
        if spot:
            return spot.key if key else spot.value
        for n in range(len(path) - 1, 0, -1):
            spot = self.spots.get(path[:n])
            if spot:
                return spot.key
        return self.root

    def is_quoted(self, path: DataPath, *, key: bool = False) -> bool:
        """Whether the value (or the key) at ``path`` was written in quotes."""
        spot = self.spot(path)
        style = (spot.key_style if key else spot.value_style) if spot else None
        return style in ("'", '"')

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and path in self.spots


@dataclass
class _Loaded:
    data: dict
    spots: dict[DataPath, Spot]
    unreadable: dict[DataPath, Issue] = field(default_factory=dict)


def load_yaml(path: Path) -> tuple[dict, Positions]:
    """Load a scenario file or folder with its includes; raise ScenarioError on any problem.

    A value that cannot be read (such as the date 2014-13-01) is not raised here but left in
    ``Positions.unreadable``, so that validation reports it together with every other problem.
    """
    path = Path(path)
    file = path / FOLDER_ENTRY if path.is_dir() else path
    if not file.is_file():
        message = f"no {FOLDER_ENTRY} in this folder" if path.is_dir() else "no such file"
        raise ScenarioError([Issue(str(path), 0, 0, "", message)])
    issues = IssueCollector()
    loaded = _load_file(file, (), issues)
    issues.raise_if_any()
    assert loaded is not None  # a file that failed to load always leaves an issue
    return loaded.data, Positions(Mark(str(file), 1, 1), loaded.spots, loaded.unreadable)


def _load_file(file: Path, chain: tuple[Path, ...], issues: IssueCollector) -> _Loaded | None:
    """Load one file and, beneath it, the files it includes."""
    parsed = _parse(file, issues)
    if parsed is None:
        return None
    data, spots, unreadable = parsed
    if data is _NO_DOCUMENT:
        if not chain:  # an empty included file adds nothing, which is harmless
            issues.add(Issue(str(file), 1, 1, "", "the file is empty"))
            return None
        data = {}
    if not isinstance(data, dict):
        issues.add(
            Issue(str(file), 1, 1, "", "a scenario file must be a mapping of keys to values")
        )
        return None
    merged = _Loaded({}, {})
    for entry, target in _include_targets(data.pop(INCLUDE_KEY, None), file, spots, issues):
        included = _load_include(file, chain, entry, target, spots, issues)
        if included is not None:
            merged = _overlay(merged, included)
    own = {p: s for p, s in spots.items() if p[0] != INCLUDE_KEY}
    own_unreadable = {p: i for p, i in unreadable.items() if p[0] != INCLUDE_KEY}
    return _overlay(merged, _Loaded(data, own, own_unreadable))


def _load_include(
    file: Path,
    chain: tuple[Path, ...],
    entry: DataPath,
    target: Path,
    spots: dict[DataPath, Spot],
    issues: IssueCollector,
) -> _Loaded | None:
    """Load an included file, reporting a missing file or a cycle at the include entry."""
    target = target / FOLDER_ENTRY if target.is_dir() else target
    ancestors = (*chain, file)
    refusal = _include_refusal(target, ancestors[0].parent)
    if refusal:
        issues.add(_issue_at(spots, entry, file, refusal))
        return None
    resolved = [p.resolve() for p in ancestors]
    if target.resolve() in resolved:
        start = resolved.index(target.resolve())
        cycle = " → ".join(str(p) for p in (*ancestors[start:], target))
        issues.add(_issue_at(spots, entry, file, f"include cycle: {cycle}"))
        return None
    if not target.is_file():
        issues.add(_issue_at(spots, entry, file, f"included file '{target}' does not exist"))
        return None
    return _load_file(target, ancestors, issues)


def _include_targets(
    value: object, file: Path, spots: dict[DataPath, Spot], issues: IssueCollector
) -> list[tuple[DataPath, Path]]:
    """The files named by an ``include:`` value, with the data path of each entry."""
    if value is None:
        return []
    if isinstance(value, str):
        entries: list[tuple[DataPath, object]] = [((INCLUDE_KEY,), value)]
    elif isinstance(value, list):
        entries = [((INCLUDE_KEY, i), item) for i, item in enumerate(value)]
    else:
        message = "'include' takes a file path or a list of file paths"
        issues.add(_issue_at(spots, (INCLUDE_KEY,), file, message))
        return []
    targets = []
    for entry, item in entries:
        if isinstance(item, str) and item.startswith(BUNDLED_PREFIX):
            targets.append((entry, bundled_root() / item[len(BUNDLED_PREFIX) :]))
        elif isinstance(item, str) and item:
            targets.append((entry, file.parent / item))
        else:
            issues.add(_issue_at(spots, entry, file, f"expected a file path, got {item!r}"))
    return targets


def bundled_root() -> Path:
    """The folder of the bundled scenario library (``scsim:`` includes are read from it)."""
    # The library is a namespace package: ask for a file in it to get one real folder.
    return Path(str(resources.files("scsim.scenarios").joinpath(FOLDER_ENTRY))).parent


def _include_refusal(target: Path, root: Path) -> str:
    """Why an included file may not be read ("" when it may): includes stay inside the
    scenario's own folder tree or the bundled library, and are YAML files."""
    resolved = target.resolve()
    inside = [base.resolve() for base in (root, bundled_root())]
    if not any(resolved.is_relative_to(base) for base in inside):
        return (
            f"included file '{target}' is outside the scenario's folder ({root}): include "
            f"files from that folder or below it, or a bundled part as "
            f"'{BUNDLED_PREFIX}parts/<name>.yaml'"
        )
    if resolved.suffix not in INCLUDE_SUFFIXES:
        return f"included file '{target}' is not a YAML file: name a .yaml file"
    return ""


def _issue_at(spots: dict[DataPath, Spot], path: DataPath, file: Path, message: str) -> Issue:
    """An issue at the value of ``path`` in a file being loaded."""
    spot = spots.get(path)
    mark = spot.value if spot else Mark(str(file), 1, 1)
    return Issue(mark.file, mark.line, mark.col, format_path(path), message)


def _overlay(base: _Loaded, top: _Loaded) -> _Loaded:
    """``top`` merged over ``base``: mappings merge, anything else in ``top`` replaces."""
    data = _deep_merge(base.data, top.data)
    spots = {p: s for p, s in {**base.spots, **top.spots}.items() if _exists(data, p)}
    unreadable = {
        p: i for p, i in {**base.unreadable, **top.unreadable}.items() if _exists(data, p)
    }
    return _Loaded(data, spots, unreadable)


def _deep_merge(base: dict, top: dict) -> dict:
    """A new mapping with ``top`` merged recursively over ``base``."""
    merged = dict(base)
    for key, value in top.items():
        below = merged.get(key)
        both_maps = isinstance(below, dict) and isinstance(value, dict)
        merged[key] = _deep_merge(below, value) if both_maps else value
    return merged


def _exists(data: object, path: DataPath) -> bool:
    """Whether ``path`` leads to something in ``data``."""
    for key in path:
        in_map = isinstance(data, dict) and key in data
        in_list = isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data)
        if not (in_map or in_list):
            return False
        data = data[key]
    return True


_NO_DOCUMENT = object()  # what an empty file, or one of only comments, parses to


def _parse(
    file: Path, issues: IssueCollector
) -> tuple[object, dict[DataPath, Spot], dict[DataPath, Issue]] | None:
    """Parse one file into plain data, spots and unreadable values; None (with an issue) when
    it cannot be read."""
    name = str(file)
    text = _read_text(file, issues)
    if text is None:
        return None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return _NO_DOCUMENT, {}, {}
        builder = _Builder(loader, name, text, issues)
        return (
            builder.build(node, (), builder.mark(node.start_mark)),
            builder.spots,
            builder.unreadable,
        )
    except _TooManyAliases as exc:
        path = format_path(exc.path)
        message = (
            f"too many aliases (more than {MAX_ALIASED_VALUES:,} values built through them): "
            f"scenario files need no more than {MAX_ALIASED_VALUES:,}"
        )
        issues.add(Issue(name, exc.site.line, exc.site.col, path, message))
    except yaml.MarkedYAMLError as exc:
        issues.add(_syntax_issue(exc, name))
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        issues.add(Issue(name, line, col, "", f"character #x{exc.character:04x}: {exc.reason}"))
    except yaml.YAMLError as exc:
        issues.add(Issue(name, 0, 0, "", f"invalid YAML: {type(exc).__name__}"))
    except RecursionError:
        message = "nested too deeply to read: write the structure with fewer levels"
        issues.add(Issue(name, 1, 1, "", message))
    finally:
        loader.dispose()
    return None


def _read_text(file: Path, issues: IssueCollector) -> str | None:
    """A file's text, or None (with an issue at the first offending byte) when it is too large,
    not UTF-8, holds control characters or nests flow collections too deeply. No message
    quotes the file's contents."""
    name = str(file)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            with file.open("rb") as stream:  # only as far as the cap: the place it is crossed
                line, col = _byte_line_col(stream.read(MAX_FILE_BYTES), MAX_FILE_BYTES)
            message = (
                f"the file is {size:,} bytes, more than the {MAX_FILE_BYTES:,} a scenario "
                "file may have (the cap is crossed here): is this the right file? split a "
                "large scenario with 'include:'"
            )
            issues.add(Issue(name, line, col, "", message))
            return None
        raw = file.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        issues.add(Issue(name, 0, 0, "", f"cannot read the file: {exc.strerror or exc}"))
        return None
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            message = f"the file is {encoding}: save it as UTF-8 without a byte-order mark"
            issues.add(Issue(name, 1, 1, "", message))
            return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_line_col(raw, exc.start)
        message = (
            f"byte 0x{raw[exc.start]:02x} is not UTF-8: scenario files are UTF-8 "
            "(re-save it as UTF-8; a Latin-1 or GBK file, or a binary, reads like this)"
        )
        issues.add(Issue(name, line, col, "", message))
        return None
    bad = _CONTROL.search(text)
    if bad:
        line, col = _line_col(text, bad.start())
        what = "a NUL character" if bad.group() == "\0" else "a control character"
        message = (
            f"{what} (U+{ord(bad.group()):04X}): scenario files are text; "
            "remove it (a binary file reads like this)"
        )
        issues.add(Issue(name, line, col, "", message))
        return None
    deep = _too_deep(text)
    if deep is not None:
        line, col = _line_col(text, deep)
        message = (
            f"flow collections ([...] or {{...}}) nested more than {MAX_FLOW_DEPTH} deep: "
            "write the structure with fewer levels"
        )
        issues.add(Issue(name, line, col, "", message))
        return None
    return text


def _byte_line_col(raw: bytes, offset: int) -> tuple[int, int]:
    """The 1-based line and column (in characters) of the byte at ``offset``."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    col = len(raw[line_start:offset].decode("utf-8", "replace"))
    return raw.count(b"\n", 0, offset) + 1, col + 1


def _too_deep(text: str) -> int | None:
    """The index of the first bracket nested more than MAX_FLOW_DEPTH deep, if there is one.

    Counted over the whole text without reading quotes or comments: a bracket in a string only
    makes the count larger, and no scenario comes near the limit."""
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return None
    depth = 0
    for match in re.finditer(r"[\[\]{}]", text):
        depth += 1 if match.group() in "[{" else -1
        depth = max(depth, 0)
        if depth > MAX_FLOW_DEPTH:
            return match.start()
    return None


def _syntax_issue(exc: yaml.MarkedYAMLError, name: str) -> Issue:
    """A YAML syntax error as an issue at the place the parser gave up."""
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "invalid YAML"
    context = exc.context_mark
    if exc.problem and exc.context and context is not None:
        message += f" ({exc.context} at line {context.line + 1}, column {context.column + 1})"
    if "'\\t'" in message:
        message += " — indent with spaces, not tabs"
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    return Issue(name, line, col, "", message)


def _line_col(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of a character index."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


class _TooManyAliases(Exception):
    """Raised when following aliases builds more than MAX_ALIASED_VALUES values."""

    def __init__(self, path: DataPath, site: Mark) -> None:
        self.path = path
        self.site = site  # where the alias that led there was used
        super().__init__(format_path(path))


class _Builder:
    """Turns a composed YAML node tree into plain data, recording where each entry was written."""

    def __init__(self, loader: _Loader, file: str, text: str, issues: IssueCollector) -> None:
        self.loader = loader
        self.file = file
        self.text = text
        self.issues = issues
        self.spots: dict[DataPath, Spot] = {}
        self.unreadable: dict[DataPath, Issue] = {}
        self._building: set[int] = set()
        self._checked: set[int] = set()
        self._built: set[int] = set()  # a node built again is reached through an alias
        self._aliased = 0
        self._alias_site: Mark | None = None  # where the alias being followed was written

    def build(self, node: yaml.Node, path: DataPath, site: Mark) -> object:
        """The plain value of ``node``, found at data path ``path`` and referred to at ``site``."""
        again = id(node) in self._built
        self._built.add(id(node))
        entering = again and self._alias_site is None
        if again:
            self._aliased += 1
            if self._aliased > MAX_ALIASED_VALUES:
                raise _TooManyAliases(path, self._alias_site or site)
        if entering:
            self._alias_site = site
        try:
            return self._build(node, path)
        finally:
            if entering:
                self._alias_site = None

    def _build(self, node: yaml.Node, path: DataPath) -> object:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if id(node) in self._building:
            self._add(node, path, "an alias refers to the collection that contains it")
            return None
        expected = _MAP_TAG if isinstance(node, yaml.MappingNode) else _SEQ_TAG
        if node.tag != expected:
            self._add(node, path, f"unsupported YAML tag '{node.tag}'")
            return None
        self._building.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            return self._sequence(node, path)
        finally:
            self._building.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, path: DataPath) -> object:
        """The value of a scalar, or an Unreadable (with an issue at ``path``) when its text is
        not a valid value of the type YAML reads it as."""
        try:
            return self._construct(node)
        except ValueError as exc:  # e.g. the timestamp constructor on 2014-13-01
            mark = self.mark(node.start_mark)
            message = _unreadable_message(node, exc)
            self.unreadable[path] = Issue(
                mark.file, mark.line, mark.col, format_path(path), message
            )
            return Unreadable(node.value)

    def _construct(self, node: yaml.ScalarNode) -> object:
        """PyYAML's value of a scalar; after a failure the node may be constructed again."""
        try:
            return self.loader.construct_object(node)
        except ValueError:
            self.loader.recursive_objects.pop(node, None)  # PyYAML leaves it marked as in use
            raise

    def _mapping(self, node: yaml.MappingNode, path: DataPath) -> dict:
        self._check_duplicates(node, path)
        self.loader.flatten_mapping(node)  # resolves "<<: *anchor" merge keys
        result = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._add(key_node, path, "a key must be a single value, not a list or mapping")
                continue
            key = self._scalar(key_node, (*path, Unreadable(key_node.value)))
            child = (*path, key)
            self.spots[child] = self._spot(key_node, value_node)
            result[key] = self.build(value_node, child, self.mark(key_node.start_mark))
        return result

    def _sequence(self, node: yaml.SequenceNode, path: DataPath) -> list:
        items = []
        for index, item_node in enumerate(node.value):
            child = (*path, index)
            self.spots[child] = self._spot(None, item_node)
            # an alias item has no position of its own: point at the sequence that holds it
            site = self.mark(
                node.start_mark if id(item_node) in self._built else item_node.start_mark
            )
            items.append(self.build(item_node, child, site))
        return items

    def _check_duplicates(self, node: yaml.MappingNode, path: DataPath) -> None:
        """Report each key written twice in one mapping (merge keys may be overridden)."""
        if id(node) in self._checked:
            return
        self._checked.add(id(node))
        first_line: dict[object, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            try:
                key = self._construct(key_node)
            except ValueError:  # an unreadable key: reported when the mapping is built
                key = Unreadable(key_node.value)
            if key in first_line:
                message = f"duplicate key '{format_path((key,))}' (first at line {first_line[key]})"
                self._add(key_node, (*path, key), message)
            else:
                first_line[key] = key_node.start_mark.line + 1

    def _spot(self, key_node: yaml.Node | None, value_node: yaml.Node) -> Spot:
        value = self.mark(value_node.start_mark)
        is_scalar = isinstance(value_node, yaml.ScalarNode)
        start, end = value_node.start_mark.index, value_node.end_mark.index
        return Spot(
            key=self.mark(key_node.start_mark) if key_node else value,
            value=value,
            value_end=self.mark(value_node.end_mark),
            key_style=(key_node.style or "") if key_node else None,
            value_style=_scalar_style(value_node),
            value_text=self.text[start:end] if is_scalar else "",
        )

    def mark(self, mark: yaml.Mark) -> Mark:
        """A PyYAML mark (0-based) as a Mark in this file (1-based)."""
        return Mark(self.file, mark.line + 1, mark.column + 1)

    def _add(self, node: yaml.Node, path: DataPath, message: str) -> None:
        mark = self.mark(node.start_mark)
        self.issues.add(Issue(mark.file, mark.line, mark.col, format_path(path), message))


def _unreadable_message(node: yaml.ScalarNode, exc: ValueError) -> str:
    """Why a scalar's text is not a valid value: "not a valid date: 2014-13-01 (month 13)"."""
    text = node.value
    found = _DATE_PATTERN.match(text)
    if not found:
        kind = node.tag.rsplit(":", 1)[-1]
        return f"not a valid {'date' if kind == 'timestamp' else kind}: {text} ({exc})"
    year, month, day = (int(part) for part in found.groups())
    if year < 1:
        reason = f"year {year}"
    elif not 1 <= month <= 12:
        reason = f"month {month}"
    elif not 1 <= day <= (days := calendar.monthrange(year, month)[1]):
        reason = f"{calendar.month_name[month]} {year} has {days} days"
    else:
        reason = str(exc)  # the date is fine; a time after it is not
    return f"not a valid date: {text} ({reason})"


def _scalar_style(node: yaml.Node) -> str | None:
    """The quoting style of a scalar node ("" when plain), None for collections."""
    return (node.style or "") if isinstance(node, yaml.ScalarNode) else None
