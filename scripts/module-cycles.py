#!/usr/bin/env python3
"""Fails when the top-level modules of a crate depend on each other in a cycle.

A module's dependencies are the `crate::<module>` paths its files name (comments
excluded). Each `src/` directory given is one crate; `lib.rs`/`main.rs` are the root
and may name every module.
"""
import re
import sys
from pathlib import Path

PATH = re.compile(r"\bcrate::")
IDENT = re.compile(r"[a-z_][a-z0-9_]*")


def top_module(src: Path, file: Path) -> str | None:
    rel = file.relative_to(src)
    if rel.parts[0] in ("lib.rs", "main.rs"):
        return None
    return rel.parts[0].removesuffix(".rs")


def first_segments(text: str, at: int) -> list[str]:
    """The modules a path names right after `crate::`: one name, or each item at the
    top level of a `{…}` group (nested groups name submodules, not modules)."""
    if text[at : at + 1] != "{":
        found = IDENT.match(text, at)
        return [found.group(0)] if found else []
    names, depth, expect = [], 0, True
    for i in range(at, len(text)):
        c = text[i]
        if c == "{":
            depth += 1
            expect = depth == 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                break
        elif c == "," and depth == 1:
            expect = True
        elif expect and depth == 1 and not c.isspace():
            found = IDENT.match(text, i)
            if found:
                names.append(found.group(0))
            expect = False
    return names


def strip_comments(text: str) -> str:
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def graph(src: Path) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for file in sorted(src.rglob("*.rs")):
        module = top_module(src, file)
        if module is None:
            continue
        edges.setdefault(module, set())
        text = strip_comments(file.read_text())
        for match in PATH.finditer(text):
            names = first_segments(text, match.end())
            edges[module].update(n for n in names if n != module and n != "self")
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in edges:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def main() -> int:
    failed = False
    for arg in sys.argv[1:]:
        src = Path(arg)
        for component in cycles(graph(src)):
            failed = True
            print(f"{src}: module cycle between {', '.join(component)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
