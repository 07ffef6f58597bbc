"""Self time per function from a V8 --prof log (one isolate), for wasm as well as JS.

Node's own `--prof-process` refuses logs of a newer V8 than its own, as Chromium's are;
this reads just what a flat profile needs: code-creation/-move/-delete and ticks.

    python3 bench/ticks.py LOG [TOP]
"""
import bisect
import collections
import re
import sys


def main(path, top=40):
    starts, entries = [], []  # sorted code starts; (start, end, name) beside them
    libs = []
    self_ticks = collections.Counter()
    states = collections.Counter()
    # Where time outside wasm and JS (libc, the browser) was asked for: the first named
    # frame of each such tick's stack, so a memmove is charged to the code calling it.
    native_callers = collections.Counter()
    # Ticks with a function anywhere on the stack: where a component's or a request's
    # time goes, its callees included.
    inclusive = collections.Counter()

    def add(start, size, name):
        i = bisect.bisect_left(starts, start)
        if i < len(starts) and starts[i] == start:
            entries[i] = (start, start + size, name)
        else:
            starts.insert(i, start)
            entries.insert(i, (start, start + size, name))

    def pop(start):
        """Removes the code starting at `start`, returning its (start, end, name)."""
        i = bisect.bisect_left(starts, start)
        if i < len(starts) and starts[i] == start:
            del starts[i]
            return entries.pop(i)
        return None

    def lookup(pc):
        i = bisect.bisect_right(starts, pc) - 1
        if i >= 0 and entries[i][0] <= pc < entries[i][1]:
            return entries[i][2]
        for lo, hi, name in libs:
            if lo <= pc < hi:
                return f"[{name.rsplit('/', 1)[-1]}]"
        return "[unknown]"

    with open(path, errors="replace") as log:
        for line in log:
            kind, _, rest = line.rstrip("\n").partition(",")
            if kind == "code-creation":
                parts = rest.split(",", 5)
                if len(parts) < 6:
                    continue
                name = parts[5]
                name = re.sub(r",0x[0-9a-f]+,[~*^+']?$", "", name)
                add(int(parts[3], 16), int(parts[4]), f"{parts[0]}:{name}")
            elif kind == "code-move":
                src, dst = rest.split(",")[:2]
                moved = pop(int(src, 16))
                if moved:
                    start, end, name = moved
                    add(int(dst, 16), end - start, name)
            elif kind == "code-delete":
                pop(int(rest.split(",")[0], 16))
            elif kind == "shared-library":
                name, lo, hi = rest.split(",")[:3]
                libs.append((int(lo, 16), int(hi, 16), name))
            elif kind == "tick":
                parts = rest.split(",")
                pc, vmstate = int(parts[0], 16), parts[4]
                states[vmstate] += 1
                if vmstate == "8":  # idle
                    continue
                name = lookup(pc)
                self_ticks[name] += 1
                frames = {name} | {lookup(int(f, 16)) for f in parts[5:] if f.startswith("0x")}
                for frame in frames:
                    if frame.startswith("JS:"):
                        inclusive[frame] += 1
                if name.startswith("["):
                    caller = next(
                        (c for c in (lookup(int(f, 16)) for f in parts[5:] if f.startswith("0x"))
                         if c.startswith("JS:")),
                        "(none)",
                    )
                    native_callers[f"{name} <- {caller}"] += 1

    busy = sum(self_ticks.values())
    print(f"{path}: {sum(states.values())} ticks, {busy} not idle; vm states {dict(states)}")
    for name, n in self_ticks.most_common(top):
        print(f"{n:6} {100 * n / max(busy, 1):5.1f}%  {name[:160]}")
    print("native time, by its nearest wasm/JS caller:")
    for name, n in native_callers.most_common(top // 2):
        print(f"{n:6} {100 * n / max(busy, 1):5.1f}%  {name[:200]}")
    print("inclusive (callees included), Kiln's own functions:")
    own = [(n, c) for n, c in inclusive.items() if re.search(r"kiln_|Kiln", n)]
    for name, n in sorted(own, key=lambda x: -x[1])[:top]:
        print(f"{n:6} {100 * n / max(busy, 1):5.1f}%  {name[:160]}")
    by_crate = collections.Counter()
    for name, n in self_ticks.items():
        m = re.match(r"JS:(?:<)?([A-Za-z_0-9]+)::", name)
        by_crate[m.group(1) if m else name.split(":")[0]] += n
    print("by crate:")
    for name, n in by_crate.most_common(20):
        print(f"{n:6} {100 * n / max(busy, 1):5.1f}%  {name}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40)
