#!/usr/bin/env python3
"""Cuts a Markdown document into the commands a reader would type (tests/e2e/docs_commands.sh).

    doc_blocks.py DOC OUTDIR

writes OUTDIR/NN.sh for the NN-th fenced block marked ```sh, OUTDIR/NN.where holding
"DOC:LINE" (the line of its opening fence), and OUTDIR/try.sh with the commands of the
"try" column of a table whose header has one (one a line, in table order).
"""
import os
import re
import sys


def main():
    doc, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    lines = open(doc, encoding="utf-8").read().split("\n")
    name = os.path.basename(doc)
    blocks, tries, fence, body, try_col = [], [], None, [], None
    for number, line in enumerate(lines, 1):
        if fence is not None:
            if line.startswith("```"):
                if fence[0] == "sh":
                    blocks.append((fence[1], body))
                fence, body = None, []
            else:
                body.append(line)
            continue
        if line.startswith("```"):
            fence, body = (line[3:].strip(), number), []
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if try_col is None and "try" in cells:
                try_col = cells.index("try")
            elif try_col is not None and try_col < len(cells):
                m = re.fullmatch(r"`([^`]+)`", cells[try_col])
                if m:
                    tries.append(m.group(1))
        else:
            try_col = None
    if fence is not None:
        sys.exit(f"{doc}:{fence[1]}: a code block that never ends")
    for index, (number, body) in enumerate(blocks, 1):
        with open(os.path.join(out, f"{index:02d}.sh"), "w") as f:
            f.write("\n".join(body) + "\n")
        with open(os.path.join(out, f"{index:02d}.where"), "w") as f:
            f.write(f"{name}:{number}\n")
    with open(os.path.join(out, "try.sh"), "w") as f:
        f.write("".join(t + "\n" for t in tries))


if __name__ == "__main__":
    main()
