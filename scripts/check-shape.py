#!/usr/bin/env python3
"""Checks the shape of the code that rustc and clippy cannot: the module
graph of each crate has no circles, SQL lives in repo modules, the detection
runtime knows nothing of HTTP, no feature imports another's handlers, and no
source file is over 1,000 lines.

The module graph is built per file: every `use` and every `crate::`/`super::`
path names the file that defines the item (re-exports are followed to where
the item is defined). Code under `#[cfg(test)]` is left out: tests may reach
anywhere. `mod x;` is not an edge (declaring a child is not depending on it).

    scripts/check-shape.py           check, exit 1 on any finding
    scripts/check-shape.py --graph   also print every edge
    scripts/check-shape.py --cycles  also print every edge inside a circle
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES = {"app": ROOT / "app/src", "server": ROOT / "server/src", "frontend": ROOT / "frontend/src"}
MAX_LINES = 1000
# Every file counted against MAX_LINES, tests and benches included.
SIZE_ROOTS = [ROOT / "app", ROOT / "server", ROOT / "frontend"]

# SQL outside a repo module, each with the reason it may stay there.
SQL_EXCEPTIONS = {
    # Bootstraps the database the pool connects to (CREATE DATABASE, roles)
    # before any repo can run.
    "server/src/db/embedded.rs": "bootstrap",
    # Creates and grants the app's role as the owner, before the app's pool exists.
    "server/src/db/roles.rs": "bootstrap",
}

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
ITEM_RE = re.compile(
    r"\b(?:fn|struct|enum|trait|type|const|static|union|mod)\s+(" + IDENT + r")"
    r"|\bmacro_rules!\s*(" + IDENT + r")"
)
USE_RE = re.compile(r"\b(pub(?:\s*\([^)]*\))?\s+)?use\s+([^;]+);")
PATH_RE = re.compile(r"\b(" + IDENT + r")((?:\s*::\s*" + IDENT + r")+)")
SQL_RE = re.compile(
    r"\bsqlx\s*::\s*(?:query\w*|raw_sql)\b|\bquery(?:_as|_scalar)?(?:_unchecked)?!\s*\(|\bQueryBuilder\b"
)


def strip(text: str) -> str:
    """Returns `text` with comments, string and char literals blanked (lines kept)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
            continue
        if text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
            continue
        m = re.match(r'b?r(#*)"', text[i:i + 300])
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
            continue
        if c == '"' or (c == "b" and text.startswith('b"', i) and (i == 0 or not text[i - 1].isalnum())):
            j = i + (2 if c == "b" else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
            continue
        if c == "'":
            m = re.match(r"'(?:\\(?:u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'])'", text[i:i + 12])
            if m:
                out.append("' '")
                i += m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def drop_test_modules(code: str) -> str:
    """Blanks `#[cfg(test)]` items (their lines kept as empty lines)."""
    result, i = [], 0
    for m in re.finditer(r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]", code):
        if m.start() < i:
            continue
        result.append(code[i:m.start()])
        j = m.end()
        # The item ends at its matching close brace, or at `;` for `mod x;`/`use`.
        depth, k = 0, j
        while k < len(code):
            ch = code[k]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    k += 1
                    break
            elif ch == ";" and depth == 0:
                k += 1
                break
            k += 1
        result.append("\n" * code.count("\n", m.start(), k))
        i = k
    result.append(code[i:])
    return "".join(result)


def parse_use_tree(text: str, prefix: list[str]) -> list[tuple[list[str], str | None]]:
    """Returns (path, alias) for each leaf of a use tree; alias '*' for globs."""
    text = text.strip()
    leaves: list[tuple[list[str], str | None]] = []
    if "{" in text:
        head, _, rest = text.partition("{")
        body = rest[: rest.rfind("}")]
        head_parts = [p for p in re.split(r"\s*::\s*", head.strip()) if p]
        parts, depth, cur = [], 0, ""
        for ch in body:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
        parts.append(cur)
        for part in parts:
            if part.strip():
                leaves += parse_use_tree(part, prefix + head_parts)
        return leaves
    alias = None
    m = re.match(r"(.*?)\s+as\s+(" + IDENT + r")$", text)
    if m:
        text, alias = m.group(1), m.group(2)
    segs = [p for p in re.split(r"\s*::\s*", text) if p]
    if segs and segs[-1] == "*":
        return [(prefix + segs[:-1], "*")]
    if segs and segs[-1] == "self":
        segs = segs[:-1]
    return [(prefix + segs, alias)]


@dataclass
class Module:
    path: tuple[str, ...]
    file: Path
    code: str = ""
    items: set[str] = field(default_factory=set)
    uses: list[tuple[list[str], str | None, bool, int]] = field(default_factory=list)


class Crate:
    def __init__(self, name: str, src: Path):
        self.name, self.src = name, src
        self.modules: dict[tuple[str, ...], Module] = {}
        for file in sorted(src.rglob("*.rs")):
            rel = file.relative_to(src).with_suffix("").parts
            if rel in (("lib",), ("main",)):
                if rel == ("main",) and (src / "lib.rs").exists():
                    continue
                mod_path: tuple[str, ...] = ()
            elif rel[-1] == "mod":
                mod_path = rel[:-1]
            else:
                mod_path = rel
            module = Module(mod_path, file)
            module.code = drop_test_modules(strip(file.read_text()))
            module.items = {a or b for a, b in ITEM_RE.findall(module.code)}
            for m in USE_RE.finditer(module.code):
                line = module.code.count("\n", 0, m.start()) + 1
                for path, alias in parse_use_tree(m.group(2), []):
                    module.uses.append((path, alias, bool(m.group(1)), line))
            self.modules[mod_path] = module

    def absolute(self, module: Module, segs: list[str]) -> list[str] | None:
        """Returns `segs` as a path from the crate root, or None when external."""
        if not segs:
            return None
        head = segs[0]
        if head == "crate":
            return segs[1:]
        if head in ("self", "super"):
            base = list(module.path)
            rest = segs
            while rest and rest[0] in ("self", "super"):
                if rest[0] == "super":
                    base = base[:-1]
                rest = rest[1:]
            return base + rest
        if tuple(module.path) + (head,) in self.modules:
            return list(module.path) + segs
        return None

    def resolve(self, segs: list[str], depth: int = 0) -> Path | None:
        """Returns the file defining the item at crate path `segs`."""
        cur: tuple[str, ...] = ()
        for i, seg in enumerate(segs):
            if cur + (seg,) in self.modules:
                cur = cur + (seg,)
                continue
            module = self.modules.get(cur)
            if module is None:
                return None
            if seg in module.items or depth > 8:
                return module.file
            for path, alias, is_pub, _ in module.uses:
                if alias == "*" or not is_pub:
                    continue
                name = alias or (path[-1] if path else None)
                if name == seg:
                    target = self.absolute(module, path)
                    if target is None:
                        return module.file
                    return self.resolve(target + segs[i + 1 :], depth + 1)
            for path, alias, is_pub, _ in module.uses:
                if alias == "*" and is_pub:
                    target = self.absolute(module, path)
                    if target is not None:
                        found = self.resolve(target + [seg], depth + 1)
                        if found is not None and found != self.modules.get(tuple(target), module).file:
                            return found
            return module.file
        return self.modules[cur].file

    def edges(self) -> dict[Path, dict[Path, int]]:
        """Returns file → {file it depends on → first line}."""
        graph: dict[Path, dict[Path, int]] = {}
        for module in self.modules.values():
            deps = graph.setdefault(module.file, {})
            bound: dict[str, list[str]] = {}

            def add(target: list[str] | None, line: int) -> None:
                if target is None:
                    return
                file = self.resolve(target)
                if file is not None and file != module.file:
                    deps.setdefault(file, line)

            for path, alias, _, line in module.uses:
                target = self.absolute(module, path)
                if target is None:
                    continue
                if alias == "*":
                    mod = self.modules.get(tuple(target))
                    if mod is not None and mod.file != module.file:
                        deps.setdefault(mod.file, line)
                    continue
                add(target, line)
                bound[alias or target[-1]] = target
            use_spans = [(m.start(), m.end()) for m in USE_RE.finditer(module.code)]
            for m in PATH_RE.finditer(module.code):
                if any(a <= m.start() < b for a, b in use_spans):
                    continue
                head = m.group(1)
                segs = [head] + [s.strip() for s in m.group(2).split("::") if s.strip()]
                line = module.code.count("\n", 0, m.start()) + 1
                if head in ("crate", "self", "super"):
                    add(self.absolute(module, segs), line)
                elif head in bound:
                    add(bound[head] + segs[1:], line)
                elif tuple(module.path) + (head,) in self.modules:
                    add(list(module.path) + segs, line)
        return graph


def cycles(graph: dict[Path, dict[Path, int]]) -> list[list[Path]]:
    """Returns the strongly connected components with more than one file (Tarjan)."""
    index: dict[Path, int] = {}
    low: dict[Path, int] = {}
    stack: list[Path] = []
    on: set[Path] = set()
    found: list[list[Path]] = []
    counter = [0]

    def visit(v: Path) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def one_cycle(graph: dict[Path, dict[Path, int]], comp: list[Path]) -> list[Path]:
    """Returns one shortest circle through the first file of a component."""
    members = set(comp)
    start = comp[0]
    prev: dict[Path, Path] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in graph.get(v, {}):
                if w not in members:
                    continue
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return list(reversed(path)) + [start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return comp


def rel(p: Path) -> str:
    return str(p.relative_to(ROOT))


def feature_of(file: Path, src: Path) -> str:
    parts = file.relative_to(src).parts
    return parts[0] if len(parts) > 1 else ""


def main() -> int:
    show_graph = "--graph" in sys.argv
    findings: list[str] = []
    for name, src in CRATES.items():
        crate = Crate(name, src)
        graph = crate.edges()
        if show_graph:
            for a, deps in sorted(graph.items()):
                for b in sorted(deps):
                    print(f"{rel(a)} -> {rel(b)}")
        for comp in cycles(graph):
            circle = one_cycle(graph, comp)
            steps = " → ".join(
                f"{rel(a)}:{graph[a][b]}" for a, b in zip(circle, circle[1:])
            )
            findings.append(f"import circle in {name} ({len(comp)} files): {steps} → {rel(circle[0])}")
            if "--cycles" in sys.argv:
                for a in comp:
                    for b, line in graph[a].items():
                        if b in comp:
                            print(f"    {rel(a)}:{line} -> {rel(b)}")
        for module in crate.modules.values():
            r = rel(module.file)
            # A feature's handlers are for the route table only.
            for dep, line in graph.get(module.file, {}).items():
                if dep.name != "handlers.rs" or name != "server":
                    continue
                if module.file.parent == dep.parent or r == "server/src/http/routes.rs":
                    continue
                findings.append(f"{r}:{line}: imports another feature's handlers ({rel(dep)})")
            if name == "server":
                is_repo = module.file.name == "repo.rs" or "repo" in module.file.relative_to(src).parts[:-1]
                if not is_repo and r not in SQL_EXCEPTIONS:
                    for m in SQL_RE.finditer(module.code):
                        line = module.code.count("\n", 0, m.start()) + 1
                        findings.append(f"{r}:{line}: SQL outside a repo module")
                if feature_of(module.file, src) == "detect":
                    for path, _, _, line in module.uses:
                        target = crate.absolute(module, path)
                        banned = (path and path[0] in ("axum", "http", "tower", "tower_http")) or (
                            target is not None and target[:1] in (["error"], ["state"], ["http"])
                        )
                        if banned:
                            findings.append(f"{r}:{line}: the detection runtime imports {'::'.join(path)}")
    for root in SIZE_ROOTS:
        for file in sorted(root.rglob("*.rs")):
            if "target" in file.parts:
                continue
            lines = file.read_text().count("\n")
            if lines > MAX_LINES:
                findings.append(f"{rel(file)}: {lines} lines (at most {MAX_LINES})")
    for f in findings:
        print(f)
    if findings:
        print(f"\n{len(findings)} finding(s)", file=sys.stderr)
        return 1
    print("shape: no import circles, SQL only in repo modules, detection free of HTTP, files within size")
    return 0


if __name__ == "__main__":
    sys.exit(main())
