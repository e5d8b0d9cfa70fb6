"""Validate loaded YAML against a pydantic model, reporting every error at its place in the file."""

from __future__ import annotations

import datetime as dt
import re
import types
from collections.abc import Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from scsim.scenario.errors import (
    Issue,
    PathError,
    PathErrors,
    ScenarioError,
    describe,
    did_you_mean,
    format_path,
)
from scsim.scenario.yamlpos import DataPath, Positions

M = TypeVar("M", bound=BaseModel)

_MISSING = object()
_KEY_MARKER = "[key]"
_EXPECTED = {
    "float_type": "a number",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "string_type": "text",
    "date_type": "a date (YYYY-MM-DD)",
    "datetime_type": "a date and time",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}
_MESSAGE_PREFIXES = ("Value error, ", "Assertion failed, ")


def validate_model(
    data: dict, positions: Positions, model: type[M], *, context: dict | None = None
) -> M:
    """``model.model_validate(data)``, turning every validation error into one ScenarioError.

    A value the YAML loader could not read (``positions.unreadable``) is reported as the loader
    saw it, and not again as a value of the wrong type.
    """
    unreadable = positions.unreadable
    try:
        validated = model.model_validate(data, context=context)
    except ValidationError as exc:
        drafts = [d for err in exc.errors() for d in _drafts(err, data, positions, model)]
        issues = [_to_issue(d, positions) for d in _settle_unions(drafts)]
        issues = [i for i in issues if not _below_any(i.path, unreadable)]
        raise ScenarioError(dict.fromkeys([*unreadable.values(), *issues])) from exc
    if unreadable:
        raise ScenarioError(unreadable.values())
    return validated


def _below_any(path: str, paths: Iterable[DataPath]) -> bool:
    """Whether the dotted ``path`` is one of ``paths`` or lies inside one of them."""
    return any(path == p or path.startswith(p + ".") for p in map(format_path, paths))


def validate_parts(
    data: dict, model: type[M], entry_maps: Collection[DataPath] = ()
) -> tuple[M, frozenset[DataPath]]:
    """``model`` built from the parts of ``data`` that validate, and the paths of those that fail.

    For checks that span sections, run when ``data`` as a whole does not validate. Each field is
    validated on its own, and so is each entry of the mappings at ``entry_maps``: a bad entry is
    left out and the rest of its field kept. A failed field holds its default, or None when it
    has none. An unknown key may be a misspelt field, so when there is one, every field that
    ``data`` leaves out counts as failed too. The model is built without its own validators.
    """
    misspelt = bool(set(data) - set(_allowed_keys(model)))
    failed: set[DataPath] = set()
    values: dict[str, object] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        value = _MISSING
        if key in data:
            maps = [m[1:] for m in entry_maps if m[:1] == (key,)]
            value = _validate_part(info.rebuild_annotation(), data[key], (key,), maps, failed)
        elif info.is_required() or misspelt:
            failed.add((key,))
        if value is not _MISSING:
            values[name] = value
        elif info.is_required():
            values[name] = None
    return model.model_construct(**values), frozenset(failed)


def path_error_issues(
    errors: Iterable[PathError], data: object, positions: Positions
) -> list[Issue]:
    """Issues for PathErrors whose paths start at the top of ``data``, each at its key."""
    issues = []
    for error in errors:
        path, _ = _follow_data((), data, error.rel_path)
        issues.append(_to_issue(_Draft(path, error.message, at_value=error.at_value), positions))
    return issues


def issue_at(positions: Positions, path: DataPath, message: str, *, key: bool = True) -> Issue:
    """An issue at the key (or value) of ``path``, or at its nearest written ancestor."""
    mark = positions.nearest(tuple(path), key=key)
    return Issue(mark.file, mark.line, mark.col, format_path(path), message)


def issue_in_value(positions: Positions, path: DataPath, message: str, column_offset: int) -> Issue:
    """An issue ``column_offset`` characters (0-based) into a one-line scalar value, e.g. a rule.

    The offset counts characters of the value, which an escape in a quoted scalar makes shorter
    than what is written; block and multi-line scalars fall back to the start of the value.
    """
    spot = positions.spot(tuple(path))
    one_line = spot is not None and spot.value.line == spot.value_end.line
    if spot is None or spot.value_style not in ("", "'", '"') or not one_line:
        return issue_at(positions, path, message, key=False)
    col = spot.value.col + (1 if spot.value_style else 0) + spot.written_offset(column_offset)
    return Issue(spot.value.file, spot.value.line, col, format_path(path), message)


@dataclass(frozen=True)
class _Draft:
    """An issue before it is placed: its data path, message and how to position it."""

    path: DataPath
    message: str
    at_value: bool = False
    union_path: DataPath | None = None
    expected: str = ""  # for a type mismatch: what was expected ("a number")
    got: str = ""
    hint: str = ""


@dataclass(frozen=True)
class _Location:
    """Where a pydantic ``loc`` leads in the data and in the model."""

    path: DataPath
    node: object
    parent_model: type[BaseModel] | None
    union_path: DataPath | None
    is_key: bool


def _drafts(
    err: Mapping[str, Any], data: dict, positions: Positions, model: type[BaseModel]
) -> list[_Draft]:
    """The issue drafts for one pydantic error (several for a PathErrors)."""
    where = _locate(model, data, err["loc"])
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, PathErrors):
        return [_path_error_draft(where, e) for e in cause.errors]
    if isinstance(cause, PathError):
        return [_path_error_draft(where, cause)]
    return [_error_draft(err, where, positions)]


def _path_error_draft(where: _Location, error: PathError) -> _Draft:
    """A validator's PathError placed below the model that raised it."""
    path, _ = _follow_data(where.path, where.node, error.rel_path)
    return _Draft(path, error.message, at_value=error.at_value, union_path=where.union_path)


def _error_draft(err: Mapping[str, Any], where: _Location, positions: Positions) -> _Draft:
    """A pydantic error in words a scenario author can act on."""
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    path, last = where.path, (where.path[-1] if where.path else "")
    draft = _Draft(path, _plain_message(err), at_value=True, union_path=where.union_path)
    if kind == "extra_forbidden":
        allowed = _allowed_keys(where.parent_model) if where.parent_model else []
        message = f"unknown key '{format_path((last,))}'{did_you_mean(str(last), allowed)}"
        return replace(draft, message=message, at_value=False)
    if kind == "missing":
        return replace(draft, message=f"missing required key '{last}'", at_value=False)
    if kind in _EXPECTED:
        quoted = positions.is_quoted(path, key=where.is_key)
        return _mismatch(draft, _EXPECTED[kind], value, _hint(kind, value, quoted), where.is_key)
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", ctx.get("expected", ""))
        message = f"should be {ctx.get('expected')}, got {describe(value)}"
        return replace(draft, message=message + did_you_mean(str(value), options))
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return _tag_draft(draft, kind, ctx, where.node)
    return replace(draft, at_value=not where.is_key)


def _mismatch(draft: _Draft, expected: str, value: object, hint: str, is_key: bool) -> _Draft:
    """A draft for a value of the wrong type."""
    got = describe(value)
    message = f"expected {expected}, got {got}{hint}"
    return replace(
        draft, message=message, expected=expected, got=got, hint=hint, at_value=not is_key
    )


def _tag_draft(draft: _Draft, kind: str, ctx: Mapping[str, Any], node: object) -> _Draft:
    """A draft for a discriminated union whose tag key is missing or names no known kind."""
    key = str(ctx.get("discriminator", "")).strip("'")
    path = (*draft.path, key) if key else draft.path
    if kind == "union_tag_not_found":
        return replace(draft, path=path, message=f"missing required key '{key}'", at_value=False)
    tag, expected = str(ctx.get("tag")), str(ctx.get("expected_tags", ""))
    suggestion = did_you_mean(tag, re.findall(r"'([^']*)'", expected))
    has_key = isinstance(node, dict) and key in node
    message = f"unknown {key} '{tag}' (expected {expected}){suggestion}"
    return replace(draft, path=path if has_key else draft.path, message=message)


def _plain_message(err: Mapping[str, Any]) -> str:
    """Pydantic's message without its prefixes, saying what was given when that helps."""
    message = str(err.get("msg", ""))
    for prefix in _MESSAGE_PREFIXES:
        message = message.removeprefix(prefix)
    if message.startswith("Input should "):
        message = message.removeprefix("Input ")
        value = err.get("input")
        if not isinstance(value, dict | list | tuple):
            message += f", got {describe(value)}"
    return message


def _hint(kind: str, value: object, quoted: bool) -> str:
    """Advice for a common mistake with quotes, or ""."""
    if isinstance(value, str) and quoted and _parses_as(kind, value):
        return " — remove the quotes"
    if kind == "string_type" and isinstance(value, int | float | dt.date):
        return " — put it in quotes if it is meant as text"
    return ""


def _parses_as(kind: str, text: str) -> bool:
    """Whether ``text`` would be a valid value of the kind pydantic expected."""
    parsers = {
        "float_type": float,
        "int_type": int,
        "date_type": dt.date.fromisoformat,
        "bool_type": lambda s: {"true": True, "false": False}[s.strip().lower()],
    }
    parse = parsers.get(kind)
    if parse is None:
        return False
    try:
        parse(text)
    except (ValueError, KeyError):
        return False
    return True


def _settle_unions(drafts: list[_Draft]) -> list[_Draft]:
    """Keep the errors of the union branch the author meant; merge plain type mismatches."""
    groups: dict[DataPath, list[_Draft]] = {}
    settled = [d for d in drafts if d.union_path is None]
    for draft in drafts:
        if draft.union_path is not None:
            groups.setdefault(draft.union_path, []).append(draft)
    for union_path, group in groups.items():
        mismatches = [d for d in group if d.path == union_path and d.expected]
        others = [d for d in group if d not in mismatches]
        settled.extend(others if others else [_merge_mismatches(mismatches)])
    return settled


def _merge_mismatches(mismatches: list[_Draft]) -> _Draft:
    """One "expected a or b, got c" from each union branch's type mismatch."""
    expected = " or ".join(dict.fromkeys(d.expected for d in mismatches))
    hint = next((d.hint for d in mismatches if d.hint), "")
    first = mismatches[0]
    return replace(first, message=f"expected {expected}, got {first.got}{hint}", expected=expected)


def _to_issue(draft: _Draft, positions: Positions) -> Issue:
    """Place a draft in its file."""
    spot = positions.spot(draft.path)
    on_value = draft.at_value and spot is not None and spot.value_style is not None
    mark = spot.value if on_value and spot else positions.nearest(draft.path)
    return Issue(mark.file, mark.line, mark.col, format_path(draft.path), draft.message)


# ---------------------------------------------------------------------------------------------
# Validating part by part


def _validate_part(
    tp: object, value: object, path: DataPath, maps: list[DataPath], failed: set[DataPath]
) -> object:
    """``value`` validated as ``tp``, leaving out the bad entries of the mappings at ``maps``.

    Records the paths of the entries left out, or ``path`` itself when even the rest does not
    validate (and then returns _MISSING).
    """
    valid = _validated(tp, value)
    if valid is not _MISSING:
        return valid
    dropped: list[DataPath] = []
    for rel in maps:
        entries, map_type = _value_at(value, rel), _type_at(tp, rel)
        if not isinstance(entries, dict) or map_type is None:
            continue
        bad = [k for k, v in entries.items() if _validated(map_type, {k: v}) is _MISSING]
        value = _replace_at(value, rel, {k: v for k, v in entries.items() if k not in bad})
        dropped += [(*path, *rel, k) for k in bad]
    valid = _validated(tp, value) if dropped else _MISSING
    failed.update(dropped if valid is not _MISSING else [path])
    return valid


def _validated(tp: object, value: object) -> object:
    """``value`` validated (strictly) as ``tp``, or _MISSING."""
    try:
        return TypeAdapter(tp).validate_python(value, strict=True)
    except ValidationError:
        return _MISSING


def _type_at(tp: object, rel: DataPath) -> object:
    """The declared type found by following ``rel`` (fields and keys) from ``tp``, or None."""
    for elem in rel:
        tp = _element_type(_unwrap(tp), elem)
    return _unwrap(tp) if tp is not None else None


def _value_at(value: object, rel: DataPath) -> object:
    """What ``rel`` leads to in ``value``, or _MISSING."""
    for key in rel:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _replace_at(value: object, rel: DataPath, new: object) -> object:
    """A copy of ``value`` with ``new`` at ``rel`` (only the mappings on the way are copied)."""
    if not rel:
        return new
    assert isinstance(value, dict)
    return {**value, rel[0]: _replace_at(value[rel[0]], rel[1:], new)}


# ---------------------------------------------------------------------------------------------
# Following a pydantic loc through the data and the model


def _locate(model: type[BaseModel], data: object, loc: Sequence[int | str]) -> _Location:
    """Follow ``loc`` through model and data together, skipping the union tags pydantic adds."""
    tp: object = model
    node, path = data, []
    parent: type[BaseModel] | None = None
    union_path: DataPath | None = None
    is_key = False
    for elem in loc:
        if elem == _KEY_MARKER:
            is_key = True
            continue
        tp = _unwrap(tp)
        members = _union_members(tp)
        if members:
            tp, by_tag_value = _pick_member(members, elem)
            if not by_tag_value and union_path is None:
                union_path = tuple(path)
            continue
        parent = tp if _is_model(tp) else None
        (key,), node = _follow_data((), node, (elem,))
        path.append(key)
        tp = _element_type(tp, elem)
    return _Location(tuple(path), node, parent, union_path, is_key)


def _follow_data(path: DataPath, node: object, steps: Sequence[object]) -> tuple[DataPath, object]:
    """Extend ``path`` by ``steps``, matching each to a real key (dates arrive as text)."""
    for step in steps:
        key, node = _child(node, step)
        path = (*path, key)
    return path, node


def _child(node: object, step: object) -> tuple[object, object]:
    """The data key matching ``step`` and the value under it (_MISSING when there is none)."""
    if isinstance(node, dict):
        try:
            if step in node:
                return step, node[step]
        except TypeError:
            pass
        for key, value in node.items():
            if step in (str(key), repr(key)):
                return key, value
    if isinstance(node, list | tuple) and isinstance(step, int) and 0 <= step < len(node):
        return step, node[step]
    return step, _MISSING


def _is_model(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _unwrap(tp: object) -> object:
    """``tp`` without Annotated metadata and without ``| None``."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType) and len(_union_members(tp)) == 1:
            tp = _union_members(tp)[0]
        else:
            return tp


def _union_members(tp: object) -> list[object]:
    """The non-None members of a union type (empty for anything else)."""
    if get_origin(tp) not in (Union, types.UnionType):
        return []
    return [a for a in get_args(tp) if a is not type(None)]


def _pick_member(members: list[object], tag: object) -> tuple[object, bool]:
    """The union member a pydantic loc tag names, and whether the tag was a discriminator value."""
    for member in members:
        if _is_model(member) and str(tag) in _literal_values(member):
            return member, True
    names = set(re.findall(r"[A-Za-z_]\w*", str(tag)))
    for member in members:
        plain = _unwrap(member)
        if getattr(get_origin(plain) or plain, "__name__", None) in names:
            return plain, False
    return None, False


def _literal_values(model: type[BaseModel]) -> set[str]:
    """Every value allowed by the model's Literal fields (candidate discriminator values)."""
    values: set[str] = set()
    for info in model.model_fields.values():
        tp = _unwrap(info.annotation)
        if get_origin(tp) is Literal:
            values.update(str(v) for v in get_args(tp))
    return values


def _element_type(tp: object, elem: object) -> object:
    """The declared type found one step (field, key or index) inside ``tp``; None if unknown."""
    if _is_model(tp):
        info = _field_info(tp, elem)
        return info.annotation if info else None
    origin, args = get_origin(tp), get_args(tp)
    if not isinstance(origin, type):
        return None
    if issubclass(origin, Mapping):
        return args[1] if len(args) == 2 else None
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return args[elem] if isinstance(elem, int) and 0 <= elem < len(args) else None
    if issubclass(origin, Sequence | AbstractSet):
        return args[0] if args else None
    return None


def _field_info(model: type[BaseModel], key: object) -> Any:
    """The model field written as ``key`` (by alias or name), if any."""
    for name, info in model.model_fields.items():
        if key in (name, info.alias, info.validation_alias):
            return info
    return None


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    """The keys a model accepts: aliases where set, field names where those are allowed too."""
    config = model.model_config
    by_name = config.get("populate_by_name") or config.get("validate_by_name")
    keys = []
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
        if alias:
            keys.append(alias)
        if not alias or by_name:
            keys.append(name)
    return keys
