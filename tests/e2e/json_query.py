#!/usr/bin/env python3
"""Queries on memscope-merge's JSON report (docs/json.md) for the end-to-end tests.

    json_query.py check REPORT.json   checks read from stdin: NUL-terminated fields, four
                                      per check: PATH, OP, VALUE, DESCRIPTION; prints each
                                      check that does not hold, exits 1 if any
    json_query.py get REPORT.json PATH...   prints each value, one per line

lib.sh wraps both (expect_json, json_check, json_get).

A PATH walks the report from the top:
    totals.allocations              object keys, separated by dots
    processes.0.threads             a number indexes an array
    sites[at=c_apis.c:39,api=malloc]   the one element of an array that matches every
                                    condition (an error when none or several do)
    sites[?calls>0]                 all the elements that match (a list, maybe empty)
    count(PATH)                     the number of elements of a list (or keys of an object)
A condition is FIELD OP VALUE, FIELD a path inside the element (frames.0.function), OP
one of = != ~ (regular expression search) > >= < <=.  Two pseudo-fields match frames:
    at=FILE:LINE        frames[0] (where the call is written) is at FILE:LINE, FILE a
                        path suffix (c_apis.c matches /src/tests/c_apis.c)
    any_frame=FILE:LINE some frame is (the call, or a call site it was inlined into)
A value in a condition ends at a comma or at the closing bracket; brackets inside it
must pair (api=new[] works).  A field missing from an element matches only !=.

A value compares as text: numbers in decimal, true, false, null, strings as they are
(objects and arrays as compact JSON); > >= < <= compare numbers.
"""
import json
import re
import sys

OPS = ("!=", ">=", "<=", "=", "~", ">", "<")  # longest first
MISSING = object()


class QueryError(Exception):
    pass


def text(v):
    if v is MISSING:
        return "(missing)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return repr(v)
    s = json.dumps(v, separators=(",", ":"))
    return s if len(s) <= 200 else s[:200] + "..."


def compare(actual, op, expected):
    if op in ("=", "=="):
        return actual is not MISSING and text(actual) == expected
    if op == "!=":
        return actual is MISSING or text(actual) != expected
    if actual is MISSING:
        return False
    if op == "~":
        return re.search(expected, text(actual)) is not None
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        raise QueryError(f"{text(actual)} is not a number, cannot compare with {op}")
    try:
        want = float(expected)
    except ValueError:
        raise QueryError(f"'{expected}' is not a number, cannot compare with {op}")
    return {">": actual > want, ">=": actual >= want, "<": actual < want,
            "<=": actual <= want}[op]


def split_path(path):
    """'a.b[c=d].0' -> ['a', 'b', ('[', 'c=d'), '0']"""
    steps, word, i = [], "", 0
    while i < len(path):
        c = path[i]
        if c == ".":
            if word:
                steps.append(word)
            word = ""
            i += 1
        elif c == "[":
            if word:
                steps.append(word)
            word, depth, j = "", 1, i + 1
            while j < len(path) and depth:
                depth += {"[": 1, "]": -1}.get(path[j], 0)
                j += 1
            if depth:
                raise QueryError(f"unclosed [ in {path}")
            steps.append(("[", path[i + 1:j - 1]))
            i = j
        elif c == "]":
            raise QueryError(f"unmatched ] in {path}")
        else:
            word += c
            i += 1
    if word:
        steps.append(word)
    return steps


def split_conditions(body):
    """'a=1,b=new[]' -> ['a=1', 'b=new[]']: commas inside brackets do not split."""
    conds, cur, depth = [], "", 0
    for c in body:
        depth += {"[": 1, "]": -1}.get(c, 0)
        if c == "," and depth == 0:
            conds.append(cur)
            cur = ""
        else:
            cur += c
    conds.append(cur)
    conds = [c for c in conds if c]
    if not conds:
        raise QueryError("empty filter []")
    return conds


def parse_condition(cond):
    m = re.match(r"([A-Za-z0-9_.]+)", cond)
    if not m:
        raise QueryError(f"condition '{cond}': no field")
    field, rest = m.group(1), cond[m.end():]
    for op in OPS:
        if rest.startswith(op):
            return field, op, rest[len(op):]
    raise QueryError(f"condition '{cond}': no operator ({' '.join(OPS)})")


def walk(value, steps, where):
    for step in steps:
        value, where = step_into(value, step, where)
    return value


def frame_place(frame):
    return f"{frame.get('file')}:{frame.get('line')}"


def frame_at(frame, place):
    file, _, line = place.rpartition(":")
    if not file or not line.isdigit():
        raise QueryError(f"'{place}' is not FILE:LINE")
    f = frame.get("file") or ""
    return (f == file or f.endswith("/" + file)) and frame.get("line") == int(line)


def field_value(elem, field):
    try:
        return walk(elem, split_path(field), "")
    except QueryError:
        return MISSING


def matches(elem, cond):
    field, op, want = cond
    if field in ("at", "any_frame"):
        if op != "=":
            raise QueryError(f"{field} takes =, not {op}")
        frames = elem.get("frames") if isinstance(elem, dict) else None
        if not frames:
            return False
        return any(frame_at(f, want) for f in (frames[:1] if field == "at" else frames))
    return compare(field_value(elem, field), op, want)


def describe(elem):
    """A short line naming an element, for the messages of a filter that failed."""
    if not isinstance(elem, dict):
        return text(elem)
    parts = [f"{k}={text(elem[k])}" for k in ("id", "thread", "name", "api", "calls", "path",
                                                 "status") if k in elem]
    if elem.get("frames"):
        f = elem["frames"][0]
        parts.append(f"in {f.get('function')} at {frame_place(f)}")
    return " ".join(parts)


def candidates(items, conds):
    """What to show when a filter fails: (title, lines).  The elements in the file the
    filter names, if it names a place, else all of them; at most 12."""
    files = [c[2].rpartition(":")[0] for c in conds if c[0] in ("at", "any_frame")]
    shown, title = items, "they are"
    if files:
        title = f"those in {files[0]} are"
        shown = [e for e in items if isinstance(e, dict) and any(
            (f.get("file") or "").endswith(files[0]) for f in e.get("frames") or [])]
    lines = [describe(e) for e in shown[:12]]
    if len(shown) > 12:
        lines.append(f"... and {len(shown) - 12} more")
    return title, lines


def step_into(value, step, where):
    if isinstance(step, tuple):
        body = step[1]
        everything = body.startswith("?")
        conds = [parse_condition(c) for c in split_conditions(body[1:] if everything else body)]
        here = f"{where}[{body}]"
        if not isinstance(value, list):
            raise QueryError(f"{where or 'the report'} is not an array, cannot filter [{body}]")
        found = [e for e in value if all(matches(e, c) for c in conds)]
        if everything:
            return found, here
        if len(found) != 1:
            title, lines = candidates(found if found else value, conds)
            raise QueryError(
                f"{len(found)} of the {len(value)} elements of {where} match [{body}], "
                f"expected exactly one" + (f"\n    {title}:" if lines else "") +
                "".join(f"\n      {line}" for line in lines))
        return found[0], here
    here = f"{where}.{step}" if where else step
    if isinstance(value, dict):
        if step not in value:
            raise QueryError(f"{where or 'the report'} has no key '{step}' "
                             f"(keys: {', '.join(sorted(value))})")
        return value[step], here
    if isinstance(value, list):
        if not re.fullmatch(r"-?[0-9]+", step):
            raise QueryError(f"{where} is an array of {len(value)}, not an object: "
                             f"cannot take '{step}'")
        i = int(step)
        if not -len(value) <= i < len(value):
            raise QueryError(f"{where} has {len(value)} elements, no [{i}]")
        return value[i], here
    raise QueryError(f"{where} is {text(value)}, cannot take '{step}'")


def evaluate(doc, path):
    m = re.fullmatch(r"count\((.*)\)", path)
    value = walk(doc, split_path(m.group(1) if m else path), "")
    if m:
        if not isinstance(value, (list, dict)):
            raise QueryError(f"{m.group(1)} is {text(value)}, cannot count it")
        return len(value)
    return value


def check(doc, checks):
    failed, said = 0, set()
    for path, op, want, desc in checks:
        try:
            got = evaluate(doc, path)
            ok = compare(got, op, want)
            problem = None if ok else f"{path} is {text(got)}, expected {'' if op in ('=', '==') else op + ' '}{want}"
        except QueryError as e:
            # The same failed filter again (another field of one site): its first line.
            first, _, more = str(e).partition("\n")
            problem = f"{path}: {first}" + (f"\n{more}" if more and str(e) not in said else "")
            said.add(str(e))
        except re.error as e:
            problem = f"{path}: bad regular expression '{want}': {e}"
        if problem:
            failed += 1
            print(f"FAIL: {problem}" if desc == path else f"FAIL: {desc}: {problem}",
                  file=sys.stderr)
    return failed


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("check", "get"):
        sys.exit("usage: json_query.py check REPORT.json < CHECKS | get REPORT.json PATH...")
    report = sys.argv[2]
    try:
        with open(report) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"FAIL: {report}: not a JSON report: {e}")
    if sys.argv[1] == "get":
        for path in sys.argv[3:]:
            try:
                print(text(evaluate(doc, path)))
            except QueryError as e:
                sys.exit(f"FAIL: {report}: {path}: {e}")
        return
    fields = sys.stdin.buffer.read().decode().split("\0")
    if fields[-1] != "" or (len(fields) - 1) % 4:
        sys.exit(f"FAIL: json_query.py: {len(fields) - 1} fields on stdin, not checks of 4")
    checks = [fields[i:i + 4] for i in range(0, len(fields) - 1, 4)]
    failed = check(doc, checks)
    if failed:
        print(f"FAIL: {failed} of {len(checks)} checks on {report} failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
