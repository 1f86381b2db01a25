#!/usr/bin/env python3
"""Writes a record file (format 2) in the squeezed form fuzz_decode.c inflates: "MSFZ",
the header array (u16 length first), the status block, then each chunk's header and its
used content (a TABLE chunk's slots with a u32 length), without the zeros between.

  squeeze.py IN OUT
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
from convert_v1 import CHUNK_ALIGN, HEADER_REGION, STATUS_OFFSET, Reader  # noqa: E402

TABLE = 3


def squeeze(data):
    r = Reader(data[:STATUS_OFFSET])
    r.obj()
    out = bytearray(b"MSFZ") + struct.pack("<H", r.pos) + data[:r.pos]
    out += data[STATUS_OFFSET:HEADER_REGION]
    at = HEADER_REGION
    while at + 32 <= len(data):
        magic, kind, _, size, _, _, used, _ = struct.unpack_from("<IHHIIQII", data, at)
        if magic != 0x4B43534D or size < CHUNK_ALIGN or size % CHUNK_ALIGN:
            at += CHUNK_ALIGN  # zeros or garbage: the inflated file has none
            continue
        out += data[at:at + 32]
        if kind == TABLE:
            table = data[at + CHUNK_ALIGN:at + size].rstrip(b"\0")
            table += bytes(-len(table) % 32)
            out += struct.pack("<I", len(table)) + table
        else:
            out += data[at + 32:at + 32 + used]
        at += size
    return bytes(out)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: squeeze.py IN OUT")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    with open(sys.argv[2], "wb") as f:
        f.write(squeeze(data))


if __name__ == "__main__":
    main()
