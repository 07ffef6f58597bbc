#!/usr/bin/env python3
"""Where a wasm binary's bytes go: code bytes per crate (from the name section), data
segments, and the largest functions. Run on the linker's output, before wasm-bindgen
removes the names:

    python3 bench/wasm_sizes.py target/wasm32-unknown-unknown/wasm/kiln_browser.wasm

Per crate is a heuristic: a function is counted for the first crate its demangled name
mentions (`<arrow_array::.. as core::..>::fmt` counts for arrow_array), so generic code
instantiated by one crate over another's types lands on the outer type's crate.
"""

import re
import sys
from collections import Counter


def leb(buf, pos):
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def sections(buf):
    assert buf[:4] == b"\0asm", "not a wasm binary"
    pos = 8
    while pos < len(buf):
        sid = buf[pos]
        size, body = leb(buf, pos + 1)
        yield sid, body, size
        pos = body + size


def custom_name(buf, body):
    n, p = leb(buf, body)
    return buf[p : p + n].decode(), p + n


def function_names(buf, body, end):
    names = {}
    pos = body
    while pos < end:
        kind = buf[pos]
        size, p = leb(buf, pos + 1)
        if kind == 1:
            count, q = leb(buf, p)
            for _ in range(count):
                idx, q = leb(buf, q)
                n, q = leb(buf, q)
                names[idx] = buf[q : q + n].decode(errors="replace")
                q += n
        pos = p + size
    return names


IDENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)::")


LEGACY = re.compile(r"_ZN(\d+)")


def crate_of(name):
    # Legacy-mangled (`_ZN17rustpython_parser6python...`): the first path component,
    # or for an impl (`_$LT$sqlparser..ast..Statement$u20$as...`) the type's crate.
    m = LEGACY.match(name)
    if m:
        n = int(m.group(1))
        first = name[m.end() : m.end() + n]
        first = first.removeprefix("_$LT$").removeprefix("$LT$")
        first = re.split(r"\.\.|\$", first)[0]
        return first or "(unnamed)"
    for m in IDENT.finditer(name):
        word = m.group(1)
        if word not in ("impl", "dyn", "for", "mut", "const"):
            return word
    return "(unnamed)"


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    buf = open(path, "rb").read()
    imported_funcs = 0
    bodies = []
    names = {}
    per_section = Counter()
    for sid, body, size in sections(buf):
        if sid == 2:  # imports: function imports take the first indices
            count, p = leb(buf, body)
            for _ in range(count):
                for _ in range(2):
                    n, p = leb(buf, p)
                    p += n
                kind = buf[p]
                p += 1
                if kind == 0:
                    _, p = leb(buf, p)
                    imported_funcs += 1
                elif kind == 1:
                    p += 1
                    flags, p = leb(buf, p)
                    _, p = leb(buf, p)
                    if flags & 1:
                        _, p = leb(buf, p)
                elif kind == 2:
                    flags, p = leb(buf, p)
                    _, p = leb(buf, p)
                    if flags & 1:
                        _, p = leb(buf, p)
                elif kind == 3:
                    p += 2
        elif sid == 10:
            count, p = leb(buf, body)
            for _ in range(count):
                n, q = leb(buf, p)
                bodies.append(q - p + n)
                p = q + n
        elif sid == 0:
            cname, p = custom_name(buf, body)
            if cname == "name":
                names = function_names(buf, p, body + size)
            per_section["custom " + cname] += size
            continue
        label = {1: "type", 2: "import", 3: "function", 5: "memory", 6: "global", 7: "export",
                 9: "element", 10: "code", 11: "data", 12: "datacount"}.get(sid, f"section {sid}")
        per_section[label] += size

    mib = 1 << 20
    print(f"{path}: {len(buf) / mib:.1f} MB")
    for label, size in per_section.most_common():
        print(f"  {label:<24} {size / mib:7.2f} MB")
    by_crate = Counter()
    largest = []
    for i, size in enumerate(bodies):
        name = names.get(imported_funcs + i, "?")
        by_crate[crate_of(name)] += size
        largest.append((size, name))
    print(f"\ncode by crate ({len(bodies)} functions):")
    for crate, size in by_crate.most_common(top):
        print(f"  {crate:<40} {size / mib:7.2f} MB")
    print("\nlargest functions:")
    for size, name in sorted(largest, reverse=True)[:top]:
        print(f"  {size / 1024:8.0f} KB  {name[:140]}")


if __name__ == "__main__":
    main()
