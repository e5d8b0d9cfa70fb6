"""A corpus of broken scenarios, each tried with ``scsim validate`` as a careful new user would.

    PYTHONPATH=src python benchmarks/broken_corpus.py [--out DIR] [--jobs 2] [--only PATTERN]

Every case is made deterministically from the bundled scenarios (their includes merged into one
file) or written out by hand: typos at every depth, wrong types, impossible dates, out-of-range
values, hostile expressions, broken structure, odd files. Each outcome is one of

- clear: exit 2 with a ``file:line:col:`` (or ``file: path:``) position;
- silent: exit 0, the broken scenario accepted;
- vague: a non-zero exit without a position;
- traceback: a Python traceback on the terminal;
- hang: no answer within the timeout (20 s).

The table of counts per class (and per group) is printed, then every case not clear.
"""

from __future__ import annotations

import argparse
import collections
import copy
import datetime as dt
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from scsim.scenario.model import bundled_names, bundled_path
from scsim.scenario.yamlpos import load_yaml

TIMEOUT_S = 20
SEED = 14
CLASSES = ("clear", "silent", "vague", "traceback", "hang")
# A position: file:line:col: ..., or file: dotted.path: ... for a problem with no line.
_POSITION = re.compile(r"^\S[^\n]*?:\d+:\d+: |^\S+\.ya?ml: [A-Za-z_][\w.\[\]-]*: ", re.MULTILINE)
EXPRESSION_KEYS = ("modifier", "eligible", "coverage", "applies_to", "when", "needs", "access",
                   "requires")  # fmt: skip
# Mappings whose keys are names the author chooses: a misspelt name is a new name, not an error
# (a composite score's dimensions too).
NAMED_BY_THE_AUTHOR = {("measures",), ("schemes",), ("calibration",), ("reforms",)}
HOSTILE = {
    "tower": "10**10**10",
    "exp": "exp(1000)",
    "zero-over-zero": "0/0",
    "sqrt-negative": "sqrt(-1)",
    "log-zero": "log(0)",
    "full-width": "ａｇｅ > 30",
    "cyrillic": "аge > 30",  # a Cyrillic 'а'
    "parentheses": "(" * 200 + "1" + ")" * 200,
    "huge-exponent": "2 ** 100000",
    "dunder": "age.__class__",
    "import": "__import__('os').system('true')",
    "lambda": "(lambda: 1)()",
    "overflow": "1e308 * 10",
    "long": " + ".join(["1"] * 5000),
}


@dataclass(frozen=True)
class Case:
    """One broken scenario: its group, a short name, and how to write it into a folder."""

    group: str
    name: str
    write: Callable[[Path], Path]  # writes the files, returns the path to validate


def merged(name: str) -> dict:
    """A bundled scenario as one mapping, its includes merged in."""
    return copy.deepcopy(_merged(name))


_CACHE: dict[str, dict] = {}


def _merged(name: str) -> dict:
    if name not in _CACHE:
        _CACHE[name] = load_yaml(bundled_path(name))[0]
    return _CACHE[name]


def dump(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def data_case(group: str, name: str, data: object) -> Case:
    def write(folder: Path) -> Path:
        file = folder / "scenario.yaml"
        file.write_text(dump(data), encoding="utf-8")
        return file

    return Case(group, name, write)


def bytes_case(
    group: str, name: str, content: bytes, extra: dict[str, bytes] | None = None
) -> Case:
    def write(folder: Path) -> Path:
        for rel, body in (extra or {}).items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(body)
        file = folder / "scenario.yaml"
        file.write_bytes(content)
        return file

    return Case(group, name, write)


def walk(node: object, prefix: tuple = ()) -> Iterator[tuple[tuple, object]]:
    """Every (path, value) below ``node``."""
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        yield (*prefix, key), value
        yield from walk(value, (*prefix, key))


def parent(data: dict, path: tuple):
    for part in path[:-1]:
        data = data[part]
    return data


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    how = rng.choice(["drop", "swap", "double", "replace"])
    if how == "drop" and len(word) > 2:
        return word[:i] + word[i + 1 :]
    if how == "swap" and i + 1 < len(word) and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if how == "replace" and word[i] != "x":
        return word[:i] + "x" + word[i + 1 :]
    return word[: i + 1] + word[i:]


def typo_cases(rng: random.Random) -> Iterator[Case]:
    """A misspelt key at every depth of every bundled scenario (two per depth)."""
    for name in bundled_names():
        by_depth = collections.defaultdict(list)
        for path, _ in walk(_merged(name)):
            named = path[:-1] in NAMED_BY_THE_AUTHOR or path[-2:-1] == ("dimensions",)
            if isinstance(path[-1], str) and not named:
                by_depth[len(path)].append(path)
        for depth in sorted(by_depth):
            for path in rng.sample(by_depth[depth], min(2, len(by_depth[depth]))):
                data = merged(name)
                holder = parent(data, path)
                new = typo(path[-1], rng)
                if new in holder or not isinstance(holder, dict):
                    continue
                holder[new] = holder.pop(path[-1])
                yield data_case("typo", f"{name}:{_dotted(path)}->{new}", data)


def type_cases(rng: random.Random) -> Iterator[Case]:
    """A value of the wrong type: a number quoted, a text made a number, a list, a mapping."""
    for name in bundled_names():
        leaves = [(p, v) for p, v in walk(_merged(name)) if not isinstance(v, dict | list)]
        for path, value in rng.sample(leaves, 6):
            if isinstance(value, bool):
                new: object = "yes" if value else "no"
            elif isinstance(value, int | float):
                new = rng.choice([str(value), [value], {"value": value}])
            elif isinstance(value, str):
                new = rng.choice([3, [value], {"text": value}, True])
            elif isinstance(value, dt.date):
                new = rng.choice([value.isoformat(), 2020, [value]])
            else:
                new = [value] if value is not None else {"x": 1}
            data = merged(name)
            parent(data, path)[path[-1]] = new
            yield data_case("type", f"{name}:{_dotted(path)}={new!r:.30}", data)
        for section in ("world", "behaviour", "schemes"):
            if section in _merged(name):
                data = merged(name)
                data[section] = rng.choice([[data[section]], "none", 0])
                yield data_case("type", f"{name}:{section} not a mapping", data)


def _numbers(data: dict) -> list[tuple[tuple, float]]:
    return [(p, v) for p, v in walk(data) if type(v) in (int, float)]


def range_cases(rng: random.Random) -> Iterator[Case]:
    """Numbers no parameter can hold: NaN, infinities, 1e300, negative or >1 probabilities."""
    for name in bundled_names():
        numbers = _numbers(_merged(name))
        for value in (math.nan, math.inf, -math.inf, 1e300, -1e300):
            path, _ = rng.choice(numbers)
            data = merged(name)
            parent(data, path)[path[-1]] = value
            yield data_case("range", f"{name}:{_dotted(path)}={value}", data)
        shares = [(p, v) for p, v in numbers if _is_share(p)]
        for value in (-0.5, 1.5, -1e-9):
            if shares:
                path, _ = rng.choice(shares)
                data = merged(name)
                parent(data, path)[path[-1]] = value
                yield data_case("range", f"{name}:{_dotted(path)}={value}", data)
        for key, value in (("agents", 0), ("agents", -5), ("seed", -1), ("seed", 2**70)):
            data = merged(name)
            target = data["world"]["population"] if key == "agents" else data["world"]
            if key in target or key == "agents":
                target[key] = value
                yield data_case("range", f"{name}:world.{key}={value}", data)
        bounds = [(p, v) for p, v in walk(_merged(name)) if p[-1] in ("interest_add", "cap")]
        for path, _ in bounds[:2]:
            data = merged(name)
            parent(data, path)[path[-1]] = 100 if path[-1] == "interest_add" else -1
            yield data_case("range", f"{name}:{_dotted(path)} absurd", data)
        grades = [p for p, v in walk(_merged(name)) if "grades" in p[:-1] and type(v) is int]
        if grades:
            data = merged(name)
            parent(data, grades[0])[grades[0][-1]] = -40_000
            yield data_case("range", f"{name}:{_dotted(grades[0])}=-40000", data)
        # finite but beyond the declared ceilings: a million events a year, a composite weight,
        # declared weight sum or term scale no float32 product survives
        ceilings = {"annual_rate": 1e6, "weight": 1e12, "weights_sum": 1e12, "scale": 1e12}
        for key, value in ceilings.items():
            found = [p for p, v in walk(_merged(name)) if key in p
                     and (key != "scale" or "terms" in p)]  # fmt: skip
            if found:
                path = found[0][: found[0].index(key) + 1]
                data = merged(name)
                parent(data, path)[path[-1]] = value
                yield data_case("range", f"{name}:{_dotted(path)}={value:g}", data)


def _is_share(path: tuple) -> bool:
    words = ("probability", "share", "coverage", "consent")
    return any(isinstance(p, str) and any(w in p for w in words) for p in path)


def date_cases(rng: random.Random) -> Iterator[Case]:
    """Dates that cannot mean anything: reversed, past the horizon, or not dates at all."""
    for name in bundled_names():
        base = _merged(name)
        data = merged(name)
        data["world"]["end"] = data["world"]["start"] - dt.timedelta(days=1)
        yield data_case("date", f"{name}:world.end before start", data)
        for path, value in walk(base):
            if isinstance(value, dict) and "from" in value and isinstance(value["from"], dt.date):
                data = merged(name)
                entry = parent(data, path)[path[-1]]
                entry["until"] = entry["from"] - dt.timedelta(days=30)
                yield data_case("date", f"{name}:{_dotted(path)} until before from", data)
                data = merged(name)
                parent(data, path)[path[-1]]["from"] = base["world"]["end"] + dt.timedelta(400)
                yield data_case("date", f"{name}:{_dotted(path)} from past the horizon", data)
        dated = [p for p, v in walk(base) if isinstance(v, dict) and "values" in v]
        for path in rng.sample(dated, min(3, len(dated))):
            data = merged(name)
            node = parent(data, path)[path[-1]]
            later = base["world"]["end"] + dt.timedelta(days=100)
            node["values"] = {later + dt.timedelta(days=i): v for i, v in
                              enumerate(node["values"].values())}  # fmt: skip
            yield data_case("date", f"{name}:{_dotted(path)} every value after the horizon", data)
        for bad in ("2014-02-30", "2014-13-01", "20140101", "2014/01/01"):
            text = dump(merged(name)).replace(str(base["world"]["start"]), bad, 1)
            yield bytes_case("date", f"{name}:world.start={bad}", text.encode())


def expression_cases(rng: random.Random) -> Iterator[Case]:
    """Hostile expressions in every kind of expression site."""
    for name in bundled_names():
        sites = [
            p for p, v in walk(_merged(name)) if p[-1] in EXPRESSION_KEYS and isinstance(v, str)
        ]
        sites += [
            p
            for p, v in walk(_merged(name))
            if len(p) == 3 and p[:2] == ("observation", "detection") and isinstance(v, str)
        ]
        for label, text in HOSTILE.items():
            if not sites:
                break
            path = rng.choice(sites)
            data = merged(name)
            parent(data, path)[path[-1]] = text
            yield data_case("expression", f"{name}:{_dotted(path)}={label}", data)


# Expressions that are well formed but can be NaN, infinite or out of their site's bounds for
# some value of what they read (rules/interval.py): (site, expression, label).
NOT_FINITE = (
    ("modifier", "log(income)", "log-of-zero-income"),
    ("modifier", "1 + log(income - 500)", "log-of-negative"),
    ("modifier", "debt / income", "divide-by-zero-income"),
    ("modifier", "1 / (urban - urban)", "divide-by-zero-flags"),
    ("modifier", "sqrt(age - 30)", "sqrt-of-negative"),
    ("modifier", "exp(income / 1000)", "exp-overflow"),
    ("modifier", "10 ** income", "power-overflow"),
    # (age - age, not age: an event's eligibility may keep age above 0, and then age ** -1
    # is finite and rightly accepted)
    ("modifier", "(age - age) ** -1", "zero-to-negative-power"),
    ("modifier", "(age - 50) ** 0.5", "negative-to-fractional-power"),
    ("modifier", "age % employment", "remainder-by-zero"),
    ("modifier", "income * 1000", "modifier-above-ceiling"),
    ("eligible", "log(debt) > 1", "condition-reads-log-zero"),
    ("detection", "where(urban, 1.5, 0.5)", "probability-above-one"),
    ("detection", "0.5 - 0.6 * migrant", "probability-below-zero"),
    ("coverage", "1 / (urban + minority)", "coverage-divide-by-zero"),
    ("when", "1 / (listed - listed) > 0", "measure-divide-by-zero"),
)


def finite_cases(rng: random.Random) -> Iterator[Case]:
    """Expressions that cannot be proven finite (or within bounds) over their variables."""
    for name in bundled_names():
        paths = list(walk(_merged(name)))
        for site, text, label in NOT_FINITE:
            if site == "detection":
                sites = [p for p, v in paths if len(p) == 3 and p[:2] == ("observation", site)]
            else:
                sites = [p for p, v in paths if p[-1] == site and isinstance(v, str | float | int)]
            if not sites:
                continue
            path = rng.choice(sites)
            data = merged(name)
            parent(data, path)[path[-1]] = text
            yield data_case("expression", f"{name}:{_dotted(path)}={label}", data)


def structure_cases(rng: random.Random) -> Iterator[Case]:
    """Sections missing or empty, too many measures, two schemes of a kind."""
    for name in bundled_names():
        base = _merged(name)
        for key in ("world", "behaviour", "name"):
            data = merged(name)
            del data[key]
            yield data_case("structure", f"{name}: no {key}", data)
        for key in ("start", "end"):
            data = merged(name)
            del data["world"][key]
            yield data_case("structure", f"{name}: no world.{key}", data)
        data = merged(name)
        data["world"]["population"]["provinces"] = []
        yield data_case("structure", f"{name}: empty province list", data)
        data = merged(name)
        data["behaviour"]["events"] = {}
        yield data_case("structure", f"{name}: no events", data)
        event, spec = next(iter(base["behaviour"]["events"].items()))
        rate = "annual_rate" if "annual_rate" in spec else "daily_probability"
        data = merged(name)
        del data["behaviour"]["events"][event][rate]
        yield data_case("structure", f"{name}: {event} without {rate}", data)
        for scheme, spec in base.get("schemes", {}).items():
            data = merged(name)
            del data["schemes"][scheme]["kind"]
            yield data_case("structure", f"{name}: schemes.{scheme} without kind", data)
            if spec["kind"] in ("blacklist", "redlist"):  # a scenario may have several
                continue
            data = merged(name)
            data["schemes"][f"{scheme}_again"] = copy.deepcopy(data["schemes"][scheme])
            yield data_case("structure", f"{name}: two schemes like {scheme}", data)
        if base.get("measures"):
            data = merged(name)
            first = next(iter(data["measures"].values()))
            for i in range(16 - len(data["measures"])):
                data["measures"][f"extra_{i}"] = copy.deepcopy(first)
            yield data_case("structure", f"{name}: 16 measures", data)


def file_cases(rng: random.Random) -> Iterator[Case]:
    """Odd files: bytes that are not UTF-8 text, controls, sizes, includes out of bounds."""
    text = dump(merged("court-blacklist"))
    good = text.encode()
    cut = good.index(b"\n", len(good) // 2) + 1
    blob = bytes(random.Random(SEED).randrange(256) for _ in range(4096))
    yield bytes_case("file", "NUL byte", good[:cut] + b"\x00" + good[cut:])
    yield bytes_case("file", "control character", good[:cut] + b"\x07" + good[cut:])
    yield bytes_case("file", "escape sequence", good[:cut] + b"\x1b[2J" + good[cut:])
    yield bytes_case("file", "UTF-16 with BOM", text.encode("utf-16"))
    yield bytes_case("file", "UTF-16 without BOM", text.encode("utf-16-le"))
    yield bytes_case("file", "UTF-32", text.encode("utf-32"))
    yield bytes_case("file", "UTF-8 BOM", b"\xef\xbb\xbf" + good)
    yield bytes_case("file", "Latin-1", text.replace("–", "-").replace("≈", "~").encode("latin-1", "replace")
                     .replace(b"Court", b"Cour\xe9"))  # fmt: skip
    yield bytes_case("file", "GBK", "name: 法院\n".encode("gbk") + good)
    yield bytes_case("file", "binary", blob)
    yield bytes_case("file", "gzip", b"\x1f\x8b\x08\x00" + blob)
    yield bytes_case("file", "empty", b"")
    yield bytes_case("file", "only a comment", b"# nothing here\n")
    yield bytes_case("file", "a list", b"- a\n- b\n")
    yield bytes_case("file", "a number", b"42\n")
    yield bytes_case("file", "2 MB", good + b"# " + b"x" * (2 << 20) + b"\n")
    yield bytes_case(
        "file", "2 MB of keys", good + b"".join(b"k%d: 1\n" % i for i in range(200_000))
    )
    yield bytes_case("file", "tab indentation", good.replace(b"\n  ", b"\n\t", 3))
    yield bytes_case("file", "duplicate key", good + b"name: again\n")
    yield bytes_case("file", "two documents", good + b"---\nname: other\n")
    yield bytes_case("file", "python tag", good + b"x: !!python/object/apply:os.system ['true']\n")
    yield bytes_case("file", "unknown tag", good.replace(b"name: ", b"name: !custom ", 1))
    laughs = b"a: &a [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
        b"%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n" % ((chr(98 + i).encode(),) * 2 + (chr(97 + i).encode(),) * 10)
        for i in range(8)
    )  # fmt: skip
    yield bytes_case("file", "billion laughs", good + laughs)
    yield bytes_case("file", "5000 brackets", good + b"deep: " + b"[" * 5000 + b"]" * 5000 + b"\n")
    yield bytes_case(
        "file", "5000 block levels", good + b"".join(b" " * i + b"k:\n" for i in range(5000))
    )
    yield bytes_case("file", "long line", good + b"name2: " + b"y" * 500_000 + b"\n")
    yield bytes_case("file", "unterminated quote", good.replace(b"name: ", b"name: '", 1))
    yield bytes_case("file", "surrogate escape", good + b'bad: "\\ud800"\n')
    yield bytes_case("file", "bidi override", good.replace(b"name: ", "name: \u202e".encode(), 1))
    minimal = b"name: inc\n"
    for label, target, extra in (
        ("include /etc/passwd", "/etc/passwd", None),
        ("include ../ outside", "../outside.yaml", None),
        ("include missing", "nothere.yaml", None),
        ("include a binary", "blob.yaml", {"blob.yaml": blob}),
        ("include a non-YAML", "notes.txt", {"notes.txt": b"name: x\n"}),
        ("include itself", "scenario.yaml", None),
        (
            "include a cycle",
            "a.yaml",
            {"a.yaml": b"include: b.yaml\n", "b.yaml": b"include: a.yaml\n"},
        ),
        ("include NUL", "nul.yaml", {"nul.yaml": b"name: a\x00\n"}),
        ("include a number", 7, None),
        ("include a mapping", {"a": 1}, None),
        ("include scsim: missing", "scsim:parts/nothere.yaml", None),
        ("include scsim: ../", "scsim:../scenario/schema.py", None),
        ("include a folder", "sub", {"sub/other.yaml": b"name: x\n"}),
        ("include /dev/zero", "/dev/zero", None),
    ):
        head = dump({"include": target}).encode()
        yield bytes_case("file", label, head + minimal + good.split(b"\n", 1)[1], extra)


def _dotted(path: tuple) -> str:
    return ".".join(p.isoformat() if isinstance(p, dt.date) else str(p) for p in path)


GENERATORS = (typo_cases, type_cases, range_cases, date_cases, expression_cases, structure_cases,
              file_cases, finite_cases)  # fmt: skip


def corpus() -> list[Case]:
    """Every case, the same on every call."""
    rng = random.Random(SEED)
    return [case for generate in GENERATORS for case in generate(rng)]


@dataclass(frozen=True)
class Outcome:
    case: Case
    verdict: str
    code: int | None
    seconds: float
    output: str


def classify(case: Case, root: Path) -> Outcome:
    """Write the case into its own folder and validate it in a fresh process."""
    folder = Path(tempfile.mkdtemp(dir=root))
    file = case.write(folder)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    command = [sys.executable, "-m", "scsim", "validate", str(file)]
    clock = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, env=env, cwd=folder)
    except subprocess.TimeoutExpired:
        return Outcome(case, "hang", None, time.perf_counter() - clock, "")
    seconds = time.perf_counter() - clock
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    return Outcome(case, verdict(done.returncode, output), done.returncode, seconds, output)


def verdict(code: int, output: str) -> str:
    """The class of one outcome of ``scsim validate``."""
    if "Traceback (most recent call last)" in output:
        return "traceback"
    if code == 0:
        return "silent"
    if code == 2 and _POSITION.search(output):
        return "clear"
    return "vague"


def table(outcomes: list[Outcome]) -> str:
    groups = list(dict.fromkeys(o.case.group for o in outcomes))
    rows = [("group", "cases", *CLASSES)]
    for group in [*groups, "all"]:
        chosen = [o for o in outcomes if group in ("all", o.case.group)]
        counts = collections.Counter(o.verdict for o in chosen)
        rows.append((group, str(len(chosen)), *(str(counts[c]) for c in CLASSES)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in
                               enumerate(zip(row, widths, strict=True))) for row in rows)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="cases validated at once")
    parser.add_argument("--only", default="", help="only cases whose group:name contains this")
    parser.add_argument("--list", action="store_true", help="list the cases, run nothing")
    args = parser.parse_args(argv)
    cases = [c for c in corpus() if args.only in f"{c.group}:{c.name}"]
    if args.list:
        print("\n".join(f"{c.group}: {c.name}" for c in cases))
        print(f"{len(cases)} cases")
        return 0
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory() as root, ThreadPoolExecutor(args.jobs) as pool:
        outcomes = list(pool.map(lambda c: classify(c, Path(root)), cases))
    print(table(outcomes))
    print(f"{len(outcomes)} cases in {time.perf_counter() - clock:.0f} s")
    for o in outcomes:
        if o.verdict != "clear":
            last = o.output.strip().splitlines()[-1:] or [""]
            print(f"{o.verdict:9} {o.case.group}: {o.case.name} (exit {o.code}): {last[0][:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
