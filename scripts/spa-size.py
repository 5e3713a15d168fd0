#!/usr/bin/env python3
"""The SPA's first loads, as a browser downloads them from `make run`.

- signed out: a visitor opening any page before signing in gets the login page. That
  is what index.html names (stylesheet, module script, main wasm) and what those
  scripts import; no route module is fetched (e2e/tests/first-load.spec.ts checks it).
- signed in: a member opening `/` also fetches the modules of the signed-in shell, the
  dashboard and `/me`, with the chunks they share.

Each file is counted gzipped (`gzip -9`, what every browser accepts) and brotli-
compressed (what the server prefers). Fails when a file of the build lacks its
precompressed copies; with --budget KB, also when the signed-out load is over it
gzipped. With --json, prints the figures for `make bench`.
"""

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

# The split modules a signed-in visit to `/` loads, by the name of their entry point.
SIGNED_IN_MODULES = ["home_view", "load_me"]


def sizes(path: Path) -> dict:
    raw = path.read_bytes()
    brotli = subprocess.run(
        ["brotli", "--best", "-c", str(path)], check=True, capture_output=True
    ).stdout
    return {
        "raw": len(raw),
        "gzip": len(gzip.compress(raw, compresslevel=9, mtime=0)),
        "brotli": len(brotli),
    }


def first_load(dist: Path) -> list[Path]:
    """The files index.html names, and the JS modules those import."""
    html = (dist / "index.html").read_text()
    queue = [dist / name.lstrip("/") for name in re.findall(r'"(/[^"]+\.(?:css|js|wasm))"', html)]
    files: list[Path] = []
    while queue:
        path = Path(os.path.normpath(queue.pop(0)))
        if path in files:
            continue
        if not path.is_file():
            sys.exit(f"index.html loads {path.relative_to(dist)}, which the build lacks")
        files.append(path)
        if path.suffix == ".js":
            imports = re.findall(r'from\s*"(\./[^"]+\.js)"', path.read_text())
            queue += [path.parent / name for name in imports]
    return files


def split_modules(loader: Path) -> dict[str, tuple[str, list[str]]]:
    """`__wasm_split.js` (as wasm-split writes it): loader name -> (file, dependencies)."""
    pattern = re.compile(
        r'(?:export )?const (\w+) = (?:wrapAsyncCb\()?makeLoad\(\(\) => \{\s*'
        r'const src = fetch\(new URL\("\./([^"]+)", import\.meta\.url\)\);.*?\n\}\n, \[([^\]]*)\]',
        re.S,
    )
    return {
        m[1]: (m[2], [d.strip() for d in m[3].split(",") if d.strip()])
        for m in pattern.finditer(loader.read_text())
    }


def with_dependencies(graph: dict, entries: list[str]) -> list[str]:
    files: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        file, deps = graph[name]
        files.append(file)
        for dep in deps:
            visit(dep)

    for entry in entries:
        matches = [n for n in graph if n.startswith("__wasm_split_load_") and entry in n]
        if len(matches) != 1:
            sys.exit(f"expected one split module named like {entry}, found {matches}")
        visit(matches[0])
    return files


def report(title: str, dist: Path, files: list[Path]) -> dict:
    rows = [{"name": str(f.relative_to(dist)), **sizes(f)} for f in files]
    total = {k: sum(r[k] for r in rows) for k in ("raw", "gzip", "brotli")}
    print(title)
    for r in rows:
        print(f"  {r['name']:<60} {r['raw']:>9} B  gzip {r['gzip']:>8} B  brotli {r['brotli']:>8} B")
    print(f"  {'total (' + str(len(rows)) + ' files)':<60} {total['raw']:>9} B  gzip {total['gzip']:>8} B  brotli {total['brotli']:>8} B")
    return {"files": len(rows), **total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="frontend/dist", type=Path)
    parser.add_argument("--loader", default="target/spa-build/split/__wasm_split.js", type=Path)
    parser.add_argument("--budget", type=int, help="KB, gzipped, for the signed-out load")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    dist: Path = args.dir
    if not (dist / "index.html").is_file():
        sys.exit(f"no SPA build in {dist} (run make spa)")

    signed_out = first_load(dist)
    wasm = [f for f in signed_out if f.suffix == ".wasm"]
    if len(wasm) != 1:
        sys.exit(f"index.html should load one wasm module, not {len(wasm)}")
    build = wasm[0].parent
    # The server sends these copies as they are; without them it compresses per request.
    missing = [
        str(f.relative_to(dist))
        for f in sorted(build.iterdir())
        if f.suffix in (".wasm", ".js", ".css")
        and not all(f.with_name(f.name + ext).is_file() for ext in (".br", ".gz"))
    ]
    if missing:
        sys.exit(f"the build lacks the .br/.gz copies of {', '.join(missing[:5])}")
    module_files = with_dependencies(split_modules(args.loader), SIGNED_IN_MODULES)
    signed_in = signed_out + [build / f for f in module_files]
    modules = len(list(build.glob("*.wasm")))

    out = sys.stderr if args.json else sys.stdout
    stdout, sys.stdout = sys.stdout, out
    figures = {
        "signed_out": report("first load, signed out (the login page)", dist, signed_out),
        "signed_in": report("first load, signed in (the dashboard)", dist, signed_in),
        "wasm_modules": modules,
    }
    sys.stdout = stdout
    if args.json:
        print(json.dumps(figures))
    if args.budget is not None and figures["signed_out"]["gzip"] > args.budget * 1000:
        sys.exit(
            f"the SPA's first load is {figures['signed_out']['gzip'] / 1000:.1f} KB gzipped, "
            f"over its budget of {args.budget} KB"
        )


if __name__ == "__main__":
    main()
