#!/usr/bin/env python3
"""Turns a record file of format 1 (a plain msgpack stream) into format 2 saying the same
(include/memscope/format.h, event_codec.h; docs/format.md), for the golden fixtures.

  convert_v1.py IN OUT

The header is written again with version 2, its meta map unchanged. SITE records get
slots 2, 3, ... in the order they first appear. Each EVENTS record becomes an EVENTS chunk
of its thread (its os_tid in the chunk header), in the same order, its events as compact
items: a sampled allocation (with a weight, in a file not of full mode, or with a weight,
alignment or phase other than 1, 0, 0) is a SAMPLE item, any other an ALLOC item; a stack is a STACK item the first time the thread uses
it, then its id. Every other record (THREAD, END, COUNTERS, PHASE, RESOURCE, MODULE and
unknown ones) is copied byte for byte into the RECORDS chunks, in order. Leaks-mode files
keep their EVENTS records as records (format 2 does the same). Only the standard library
is used: a small msgpack reader below, the records themselves are copied, not re-packed.
"""
import struct
import sys

HEADER_REGION = 16384
CHUNK_ALIGN = 4096
STATUS_OFFSET = HEADER_REGION - 64
CHUNK_MAGIC = 0x4B43534D
STATUS_MAGIC = 0x5453534D
RECORDS, EVENTS = 1, 2
REC_SITE, REC_EVENTS = 1, 3
EV_ALLOC, EV_FREE, EV_REALLOC = 1, 2, 3
ITEM_ALLOC, ITEM_FREE, ITEM_REALLOC, ITEM_SAMPLE, ITEM_STACK = 1, 2, 3, 4, 5
SAME_SLOT, HAS_STACK = 0x10, 0x20
STACK_MAX = 256
RECORDS_MAX = 1 << 20  # RECORDS content per chunk
EVENTS_MAX = 1 << 20   # EVENTS content per chunk, before a thread's next chunk


class Reader:
    """Decodes msgpack objects from data, each with where it starts and ends."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError(f"offset {self.pos}: the input ends inside an object")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def uint(self, n):
        return int.from_bytes(self.take(n), "big")

    def sint(self, n):
        return int.from_bytes(self.take(n), "big", signed=True)

    def obj(self):
        t = self.take(1)[0]
        if t <= 0x7F:
            return t
        if t >= 0xE0:
            return t - 0x100
        if 0x80 <= t <= 0x8F:
            return self.map(t & 0x0F)
        if 0x90 <= t <= 0x9F:
            return self.array(t & 0x0F)
        if 0xA0 <= t <= 0xBF:
            return self.take(t & 0x1F).decode("utf-8", "surrogateescape")
        simple = {0xC0: None, 0xC2: False, 0xC3: True}
        if t in simple:
            return simple[t]
        if t in (0xC4, 0xC5, 0xC6):
            return self.take(self.uint(1 << (t - 0xC4)))
        if t in (0xC7, 0xC8, 0xC9):  # ext: kept as (type, bytes)
            n = self.uint(1 << (t - 0xC7))
            return (self.sint(1), self.take(n))
        if t == 0xCA:
            return struct.unpack(">f", self.take(4))[0]
        if t == 0xCB:
            return struct.unpack(">d", self.take(8))[0]
        if 0xCC <= t <= 0xCF:
            return self.uint(1 << (t - 0xCC))
        if 0xD0 <= t <= 0xD3:
            return self.sint(1 << (t - 0xD0))
        if 0xD4 <= t <= 0xD8:
            return (self.sint(1), self.take(1 << (t - 0xD4)))
        if t in (0xD9, 0xDA, 0xDB):
            return self.take(self.uint(1 << (t - 0xD9))).decode("utf-8", "surrogateescape")
        if t in (0xDC, 0xDD):
            return self.array(self.uint(2 << (t - 0xDC)))
        if t in (0xDE, 0xDF):
            return self.map(self.uint(2 << (t - 0xDE)))
        raise ValueError(f"offset {self.pos - 1}: invalid msgpack byte 0x{t:02x}")

    def array(self, n):
        return [self.obj() for _ in range(n)]

    def map(self, n):
        return {self.key(): self.obj() for _ in range(n)}

    def key(self):
        k = self.obj()
        return tuple(k) if isinstance(k, list) else k


def pack_uint(v):
    """A msgpack unsigned integer, smallest form."""
    if v < 0x80:
        return bytes([v])
    for tag, n in ((0xCC, 1), (0xCD, 2), (0xCE, 4), (0xCF, 8)):
        if v < 1 << (8 * n):
            return bytes([tag]) + v.to_bytes(n, "big")
    raise ValueError(f"{v} does not fit 64 bits")


def array_head(n):
    if n < 16:
        return bytes([0x90 | n])
    return (b"\xdc" + n.to_bytes(2, "big")) if n < 1 << 16 else (b"\xdd" + n.to_bytes(4, "big"))


def skip_array_head(raw):
    """Length of the array header at the start of raw."""
    return 1 if 0x90 <= raw[0] <= 0x9F else 3 if raw[0] == 0xDC else 5


M64 = (1 << 64) - 1


def uv(v):
    out = bytearray()
    v &= M64
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zigzag(d):
    d &= M64
    return ((d << 1) ^ (M64 if d >> 63 else 0)) & M64


class Chunk:
    def __init__(self, kind, thread=0, seq=0, os_tid=0):
        self.kind, self.thread, self.seq, self.os_tid = kind, thread, seq, os_tid
        self.content = bytearray()
        self.prev_slot = self.prev_ptr = self.prev_ts = 0  # event_codec.h's state

    def encode(self):
        size = -(-(32 + len(self.content)) // CHUNK_ALIGN) * CHUNK_ALIGN
        head = struct.pack("<IHHIIQII", CHUNK_MAGIC, self.kind, 0, size, self.thread, self.seq,
                           len(self.content), self.os_tid)
        return head + bytes(self.content) + bytes(size - 32 - len(self.content))


class Converter:
    def __init__(self, name):
        self.name = name
        self.chunks = []
        self.records = None  # the RECORDS chunk being filled
        self.slots = {}      # site id -> slot
        self.threads = {}    # thread -> [next chunk seq, {stack tuple: id}]
        self.mode = None

    def fail(self, msg):
        sys.exit(f"convert_v1.py: {self.name}: {msg}")

    def record(self, raw):
        if self.records is None or len(self.records.content) + len(raw) > RECORDS_MAX:
            seq = sum(c.kind == RECORDS for c in self.chunks)
            self.records = Chunk(RECORDS, seq=seq)
            self.chunks.append(self.records)
        self.records.content += raw

    def site(self, rec, raw):
        if len(rec) < 4:
            self.fail(f"a SITE record of {len(rec)} elements")
        slot = self.slots.setdefault(rec[1], 2 + len(self.slots))
        body = raw[skip_array_head(raw):]
        extra = (b"" if len(rec) >= 5 else pack_uint(0)) + pack_uint(slot)  # flags, slot
        self.record(array_head(max(len(rec), 5) + 1) + body + extra)

    def slot(self, site):
        if site == 0:
            return 0
        if site not in self.slots:
            self.fail(f"an event names site 0x{site:x}, which no SITE record before it has")
        return self.slots[site]

    def events(self, rec):
        thread, os_tid, evs = rec[1], rec[2], rec[3]
        state = self.threads.setdefault(thread, [0, {}])
        c = Chunk(EVENTS, thread, state[0], os_tid)
        state[0] += 1
        self.chunks.append(c)
        for ev in evs:
            if not isinstance(ev, list) or not ev or ev[0] not in (EV_ALLOC, EV_FREE, EV_REALLOC):
                continue  # an unknown kind: format 1's reader skipped it too
            self.item(c, state[1], ev)

    def item(self, c, stacks, ev):
        kind, site, size, ptr, ts = ev[0], ev[1], ev[2], ev[3], ev[4]
        weight, align, phase, stack = 1.0, 0, 0, None
        if kind == EV_ALLOC and len(ev) > 5:
            weight = float(ev[5])
            align = ev[6] if len(ev) > 6 else 0
            phase = ev[7] if len(ev) > 7 else 0
            stack = tuple(ev[8]) if len(ev) > 8 and ev[8] else None
        if kind == EV_FREE:
            op = ITEM_FREE
        elif kind == EV_REALLOC:
            op = ITEM_REALLOC
        elif (weight, align, phase) != (1.0, 0, 0) or (len(ev) > 5 and self.mode != "full"):
            op = ITEM_SAMPLE  # a sample (a failed allocation, without weight, is not)
        else:
            op = ITEM_ALLOC
        sid = 0
        if stack:
            if len(stack) > STACK_MAX:
                self.fail(f"a stack of {len(stack)} frames (format 2 keeps {STACK_MAX})")
            sid = stacks.get(stack)
            if sid is None:
                sid = stacks[stack] = len(stacks) + 1
                out = bytearray([ITEM_STACK]) + uv(sid) + uv(len(stack))
                prev = 0
                for a in stack:
                    out += uv(zigzag(a - prev))
                    prev = a
                c.content += out
        slot = self.slot(site)
        tag, out = op, bytearray()
        if slot == c.prev_slot and slot != 0:
            tag |= SAME_SLOT
        else:
            out += uv(slot)
        c.prev_slot = slot
        if op != ITEM_FREE:
            out += uv(size)
        out += uv(zigzag(ptr - c.prev_ptr))
        c.prev_ptr = ptr & M64
        out += uv(zigzag(ts - c.prev_ts))
        c.prev_ts = ts & M64
        if op == ITEM_REALLOC:
            out += uv(zigzag(ev[5] - ptr)) + uv(ts - ev[6])
        elif op == ITEM_SAMPLE:
            out += struct.pack("<d", weight) + uv(align) + uv(phase)
        if sid:
            tag |= HAS_STACK
            out += uv(sid)
        c.content += bytes([tag]) + out
        if len(c.content) > EVENTS_MAX:
            self.fail("an EVENTS record too large for one chunk")

    def convert(self, data):
        r = Reader(data)
        header = r.obj()
        if not (isinstance(header, list) and len(header) == 3 and header[0] == "memscope"):
            self.fail("not a memscope file")
        if header[1] != 1:
            self.fail(f"format version {header[1]}, not 1")
        self.mode = header[2].get("mode")
        raw = data[:r.pos]
        at = skip_array_head(raw) + 9  # after "memscope" (fixstr)
        if raw[at] != 0x01:
            self.fail("unexpected header layout")
        head = raw[:at] + b"\x02" + raw[at + 1:]
        if len(head) > STATUS_OFFSET:
            self.fail("header too long")
        while r.pos < len(data):
            start = r.pos
            rec = r.obj()
            raw = data[start:r.pos]
            if isinstance(rec, list) and rec and rec[0] == REC_SITE:
                self.site(rec, raw)
            elif isinstance(rec, list) and rec and rec[0] == REC_EVENTS and self.mode != "leaks":
                self.events(rec)
            else:
                self.record(raw)
        body = b"".join(c.encode() for c in self.chunks)
        end = HEADER_REGION + len(body)
        status = struct.pack("<IIQQIIQQ16x", STATUS_MAGIC, 0, 0, 0, 0, 0, 0, end)
        region = head + bytes(STATUS_OFFSET - len(head)) + status
        return region + body


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: convert_v1.py IN OUT")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    out = Converter(sys.argv[1]).convert(data)
    with open(sys.argv[2], "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
