#!/usr/bin/env python3
"""Loads a memscope HTML report in headless Chromium and drives it like a user.

Talks to Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
messages ended by NUL on fds 3 and 4), so it needs nothing but python3 and chromium.
Checks: the page renders with no console error, no uncaught exception and nothing in
#ms-errors; it shows what the JSON report embedded in it says (docs/json.md: the schema,
the totals, every thread card's alert level and reasons, the bottlenecks' levels, the
site table's first row); clicking a thread card (a real mouse click) focuses it; clicking a column of
the site table sorts it both ways; the site filter works; a click in the flame graph
zooms in, and its frames are marked estimates exactly when sites have stacks (with
--flame-*, whole paths, origins and search: check_flame); the Resources section either says that no resource data was recorded or, with
--resources, draws its SVG charts (RSS, virtual size, CPU, I/O) with data points, and the
thread cards and overview cards show CPU (each worker of resource_monitor the time it
ran, never "0 ms").  Every page: the Overview's charts are at least 500 x 180 px, with ticks that
carry units on both axes, one time axis per process, no two labels overlapping; no "??"
or bare "site 0x..." label; the cross-thread matrix (when there are cross-thread frees)
shows numbers and a legend.  Saves a screenshot of the page and one of every tab it
looks at (SCREENSHOT minus .png, then -TAB.png), and prints the load time.

usage: html_browser.py CHROMIUM REPORT.html SCREENSHOT.png [--timing-only] [--resources]
                      [--flame-roots A,B --flame-caller F --flame-callee G --flame-search TEXT
                       --flame-shot PNG] [--flame-scale N]
  --timing-only: load the page, check for errors, print the timings (for big reports)
  --resources: the report has resource sampler data (MEMSCOPE_RESOURCE_INTERVAL)
  --flame-*: the report has stacks: the flame graph's roots are exactly A, B...; frame F
    is drawn above G (the function of an allocation site) with the share of G's site its
    stack through F estimates, marked an estimate; system code is grey, the program's
    own warm; searching TEXT highlights F and says what it covers; the flame tab's
    screenshot is saved to PNG
  --flame-scale N: a big flame graph: at most 4,000 frames, at least N roots, drawn in
    under 5 s, search answers
Exit status 0 when every check passed; 1 otherwise (with the reason on stderr)."""
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import re
import tempfile
import time


class Chromium:
    """A headless Chromium and one page in it, driven over the DevTools pipe."""

    def __init__(self, binary, width=1280, height=1000):
        self.profile = tempfile.mkdtemp(prefix="memscope-chromium-")
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def child_fds():
            # Chromium reads commands on fd 3 and writes replies on fd 4.
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions",
                "--disable-dev-shm-usage", "--remote-debugging-pipe",
                "--user-data-dir=" + self.profile,
                "--window-size=%d,%d" % (width, height), "about:blank"]
        self.proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=child_fds,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self.from_r], [], [], left)
            if ready:
                chunk = os.read(self.from_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe: " +
                                       self.proc.stderr.read().decode(errors="replace")[-2000:])
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, timeout=60):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, timeout=60):
        deadline = time.time() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            e = self._read_message(deadline)
            if e.get("method") == method:
                return e
            self.events.append(e)

    def js(self, expression):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError("evaluating %r: %s" % (expression, r["exceptionDetails"]))
        return r["result"].get("value")

    def click(self, selector):
        """A real mouse click in the middle of the element (scrolled into view)."""
        box = self.js("""(() => { const e = document.querySelector(%s);
            if (!e) return null; e.scrollIntoView({block: 'center'});
            const r = e.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2]; })()""" % json.dumps(selector))
        if not box:
            raise AssertionError("nothing to click at " + selector)
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})

    def problems(self):
        """Console errors, uncaught exceptions and error log entries seen so far."""
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append("exception: %s %s" % (d.get("text"), d.get("exception", {}).get("description", "")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.%s: %s" % (p["type"], " ".join(str(a.get("value", a.get("description"))) for a in p["args"])))
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append("log: %s (%s)" % (p["entry"]["text"], p["entry"].get("url", "")))
        return out

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok: " + what)


def thousands(n):
    """1234567 -> "1,234,567", as the page writes counts."""
    return "{:,}".format(int(round(n)))


def expected_warnings(d):
    """The phrase each Overview warning must hold, in the page's order: the inputs read
    with a problem, then each process's status fields (docs/json.md)."""
    want = [i["problem"]["message"] for i in d["inputs"] if i["problem"]]
    for p in d["status"]:
        if not p["complete"]:
            want.append("incomplete")
        if p.get("live_blocks_unlisted"):
            want.append("live blocks not")
        if p["disk_full"]:
            want.append("%s event" % thousands(p["disk_full"]["lost_events"]))
            if p["disk_full"]["short_sites"]:
                want.append("%s counted call" % thousands(p["disk_full"]["short_calls"]))
        if p["fatal_signal"]:
            want.append("died of %s (thread %d)" % (p["fatal_signal"]["name"], p["fatal_signal"]["tid"]))
        if p["dropped_events"]:
            want.append("%s call" % thousands(p["dropped_events"]))
        if p["disagreeing_sites"]:
            want.append("disagree at %s site" % thousands(p["disagreeing_sites"]))
        for key, what in (("skipped_records", "unknown record"), ("skipped_events", "unknown event"),
                          ("skipped_bytes", "byte")):
            if p[key]:
                want.append("%s %s" % (thousands(p[key]), what))
    return want


def check_model(c):
    """What the page shows is what the JSON report embedded in it says."""
    # What the checks need, worked out in the page: a big report's whole JSON sent back
    # over the DevTools pipe took longer than its 60 s timeout on a loaded machine.
    d = c.js("""(() => { const d = JSON.parse(document.getElementById('memscope-data').textContent);
        return {schema: d.schema, totals: {allocations: d.totals.allocations}, threads_count: d.threads_count,
                processes: d.processes.map(p => ({threads: p.threads.map(t => ({thread: t.thread, alert: t.alert}))})),
                bottlenecks: d.bottlenecks.slice(0, 200).map(b => ({level: b.level})),
                sites: d.sites.map(s => ({id: s.id, bytes: s.bytes, calls: s.calls})),
                inputs: d.inputs.map(i => ({path: i.path, problem: i.problem})),
                status: d.processes.map(p => ({complete: p.complete, live_blocks_unlisted: p.live_blocks_unlisted, disk_full: p.disk_full,
                    fatal_signal: p.fatal_signal, dropped_events: p.dropped_events,
                    disagreeing_sites: p.disagreeing_sites, skipped_records: p.skipped_records,
                    skipped_events: p.skipped_events, skipped_bytes: p.skipped_bytes}))}; })()""")
    check(d["schema"] == "memscope-merge/1", "the page embeds the JSON report (schema %s)" % d["schema"])
    cards = dict(c.js("""Array.from(document.querySelectorAll('.cards .stat')).map(e =>
        [e.querySelector('.stat-label').textContent,
         [e.querySelector('.stat-value').textContent, e.querySelector('.stat-sub').textContent]])"""))
    check(cards["Allocations"][0] == thousands(d["totals"]["allocations"]),
          "the Allocations card shows totals.allocations (%s)" % cards["Allocations"][0])
    check(cards["Threads"][0] == thousands(d["threads_count"]), "the Threads card shows threads_count")
    levels = {}
    for pi, proc in enumerate(d["processes"]):
        for t in proc["threads"]:
            levels["%d:%d" % (pi, t["thread"])] = t["alert"]
    counted = [a["level"] for a in levels.values()]
    sub = "%d high, %d watch" % (counted.count("high"), counted.count("watch"))
    check(cards["Threads"][1] == sub, "the Threads card counts the alerts of the JSON (%s)" % sub)
    shown = c.js("""Array.from(document.querySelectorAll('#thread-grid .thread-card')).map(e =>
        [e.dataset.key, e.dataset.alert, e.querySelector('.alert-badge').textContent, e.title])""")
    check(shown and all(k in levels and a == levels[k]["level"] and badge == a and
                        all(r["text"] in title for r in levels[k]["reasons"])
                        for k, a, badge, title in shown),
          "every thread card shows its JSON alert level and reasons (%s)" %
          ", ".join("%s %s" % (k, a) for k, a, _, _ in shown[:6]))
    check(any(levels[k]["reasons"] for k, _, _, _ in shown) or not any(a["reasons"] for a in levels.values()),
          "the alerts shown include some with reasons, when the JSON has some")
    bn = c.js("Array.from(document.querySelectorAll('#panel-bottlenecks .bottleneck')).map(e => e.dataset.level)")
    check(bn == [b["level"] for b in d["bottlenecks"][:200]],
          "the bottlenecks are the JSON's, with its levels (%d)" % len(bn))
    sites = sorted(d["sites"], key=lambda x: (-x["bytes"], -x["calls"], len(x["id"]), x["id"]))
    first = c.js("document.querySelector('#site-table tr.site-row')?.dataset.id || null")
    check(first == (sites[0]["id"] if sites else None),
          "the site table starts with the JSON's site of most bytes (%s)" % first)
    want = expected_warnings(d)
    shown = c.js("Array.from(document.querySelectorAll('#warnings li.warning')).map(e => e.textContent)")
    check(len(shown) == len(want) and all(w in t for w, t in zip(want, shown)),
          "the Overview warns of exactly what the JSON's status fields say: want %s, shown %s" % (want, shown))
    note = c.js("document.querySelector('#panel-system .note:last-child').textContent")
    check("report schema memscope-merge/1" in note, "the System tab names the schema (%r)" % note)


def check_resources(c):
    """The Resources section's charts, drawn from real ticks, and the CPU on the cards."""
    charts = c.js("""Array.from(document.querySelectorAll('#resources svg.res-chart')).map(g => ({
        chart: g.dataset.chart, points: Number(g.dataset.points),
        series: Array.from(g.querySelectorAll('g.series')).map(s => [s.dataset.series, Number(s.dataset.points),
                s.querySelectorAll('polyline').length, s.querySelectorAll('circle').length]),
        ticks: Array.from(g.querySelectorAll('text.tick')).map(t => t.textContent),
        titles: Array.from(g.querySelectorAll('text.axis-title')).map(t => t.textContent)}))""")
    by = {ch["chart"]: ch for ch in charts}
    check(set(by) >= {"memory", "vsize", "cpu", "io"}, "resource charts drawn: %s" % sorted(by))
    for name in ("memory", "vsize", "cpu"):
        ch = by[name]
        check(ch["points"] >= 2 and all(s[2] >= 1 for s in ch["series"] if s[1]),
              "chart %s has data points and lines: %s" % (name, ch["series"]))
        check(len(ch["ticks"]) >= 6 and len(ch["titles"]) == 2,
              "chart %s has labelled axes: %s, %s" % (name, ch["ticks"], ch["titles"]))
    series = dict((s[0], s) for s in by["memory"]["series"])
    check(series.get("rss", [0, 0])[1] >= 3, "the RSS series has several ticks: %s" % series.get("rss"))
    check(series.get("live", [0, 0])[1] >= 1, "the live heap is drawn with RSS: %s" % series.get("live"))
    # Every point of a series lies inside the plot area.
    inside = c.js("""Array.from(document.querySelectorAll('#resources svg.res-chart circle')).every(e => {
        const x = Number(e.getAttribute('cx')), y = Number(e.getAttribute('cy'));
        return x >= 74 && x <= 586 && y >= 26 && y <= 190; })""")
    check(inside, "every data point lies inside its chart")
    cards = c.js("""Array.from(document.querySelectorAll('.cards .stat')).map(e =>
        [e.querySelector('.stat-label').textContent, e.querySelector('.stat-value').textContent])""")
    values = dict(cards)
    check(values.get("Peak RSS", "\u2014") not in ("\u2014", "0 B") and values.get("Peak CPU", "\u2014") != "\u2014",
          "overview cards show peak RSS and CPU: %s, %s" % (values.get("Peak RSS"), values.get("Peak CPU")))
    cpu = c.js("Array.from(document.querySelectorAll('#thread-grid .thread-card dd.cpu')).map(e => e.textContent)")
    check(len(cpu) > 0, "thread cards show CPU time and share (%d cards, e.g. %s)" % (len(cpu), cpu[:3]))
    # The workers ran: each shows its CPU time (to the 0.1 ms under 10 ms), never "0 ms".
    check(all(re.match(r"^([0-9]\.[0-9] ms|[1-9][0-9]* ms|[0-9]+\.[0-9]{2} s) \u00b7 [0-9.]+%$", t) for t in cpu),
          "every thread card shows the CPU time its thread used: %s" % sorted(set(cpu))[:4])
    c.click("nav [data-tab=system]")
    note = c.js("document.querySelector('#panel-system .cpu-note')?.textContent || ''")
    check("adds up to" in note and "show none" in note, "the System tab says how much CPU the threads account for: %r" % note)
    rows = c.js("document.querySelectorAll('#res-threads tbody tr').length")
    check(rows > 0, "the System tab lists CPU by thread (%d rows)" % rows)


def split_whole(whole, weights):
    """The page's split of a site's value among its stacks: largest remainders, the
    earlier on ties; None when the weights sum to 0."""
    total = sum(weights)
    if not total > 0:
        return None
    exact = [whole * w / total for w in weights]
    parts = [int(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i)):
        if sum(parts) >= whole:
            break
        parts[i] += 1
    return parts


def flame_nodes(c):
    """The frames drawn in the flame graph: path, name, origin, value, estimate flag,
    the rectangle, its fill, whether it has the hatch and whether search matched it."""
    return c.js("""Array.from(document.querySelectorAll('#flame g.node')).map(g => {
        const r = g.querySelector('rect.frame');
        return {path: JSON.parse(g.dataset.path), name: g.dataset.name, origin: g.dataset.origin,
                value: Number(g.dataset.value), est: g.dataset.est === '1',
                hatch: !!g.querySelector('rect.hatch'), match: g.classList.contains('match'),
                ancestor: g.classList.contains('ancestor'),
                title: g.querySelector('title').textContent, fill: r.getAttribute('fill'),
                x: Number(r.getAttribute('x')), y: Number(r.getAttribute('y')),
                w: Number(r.getAttribute('width'))}; })""")


def check_flame(c, opts, shot):
    """The flame graph of a profile with stacks: whole paths rooted at main and the
    threads' entries, a caller above the function it called with the value its stack's
    share gives, estimates hatched, origins coloured, search highlighting."""
    d = c.js("JSON.parse(document.getElementById('memscope-data').textContent)")
    roots_want = set(opts["roots"].split(","))
    caller, callee, search = opts["caller"], opts["callee"], opts["search"]
    c.click("nav [data-tab=flame]")
    c.click("#flame-reset")
    nodes = flame_nodes(c)
    roots = {n["name"] for n in nodes if len(n["path"]) == 1}
    check(roots == roots_want, "the flame graph's roots are the threads' entries and main: %s" % sorted(roots))
    total = sum(s["bytes"] for s in d["sites"] if s["kind"] != "free")
    check(sum(n["value"] for n in nodes if len(n["path"]) == 1) == total,
          "the roots' values add up to the bytes allocated at every allocation site (%d)" % total)
    # The caller's frame holds the share of the callee's site that the stack through it has.
    site = next(s for s in d["sites"] if s["frames"] and s["frames"][0]["function"] == callee)
    parts = split_whole(site["bytes"], [st["est_bytes"]["value"] for st in site["stacks"]])
    check(parts is not None and len(parts) >= 2, "site %s has stacks to split its bytes among (%s)" % (callee, parts))
    through = [i for i, st in enumerate(site["stacks"])
               if caller in [f["function"] for f in st["frames"][st["outer_from"]:st["outer_to"]]]]
    check(len(through) == 1, "one stack of %s goes through %s" % (callee, caller))
    want = parts[through[0]]
    top = [n for n in nodes if n["name"] == caller]
    check(len(top) == 1 and top[0]["value"] == want and top[0]["est"] and top[0]["hatch"] and
          top[0]["title"].split("\n")[2].startswith("~") and "sample" in top[0]["title"],
          "frame %s holds the share of %s's bytes its stack estimates (%d), marked an estimate: %r" %
          (caller, callee, want, top and top[0]["title"]))
    below = [n for n in nodes if n["path"][-2:] == [caller, callee]]
    check(len(below) == 1 and below[0]["y"] > top[0]["y"] and top[0]["x"] <= below[0]["x"] and
          below[0]["x"] + below[0]["w"] <= top[0]["x"] + top[0]["w"] + 0.01 and below[0]["path"][0] in roots_want,
          "%s is drawn above %s, under root %s: %s" % (caller, callee, below and below[0]["path"][0],
                                                         below and below[0]["path"]))
    leaf = [n for n in nodes if n["path"][-3:] == [caller, callee, "[" + site["api"] + "]"]]
    check(len(leaf) == 1 and leaf[0]["origin"] == "api", "the api is the leaf under %s" % callee)
    # Estimates: every frame that holds a stack's share is marked (and only those, here
    # all of them, each site of this run having stacks).
    check(all(n["est"] == n["hatch"] for n in nodes) and any(n["est"] for n in nodes),
          "estimated frames are hatched (%d of %d)" % (sum(n["est"] for n in nodes), len(nodes)))
    legend = c.js("document.getElementById('flame-legend').textContent")
    check("split among sampled stacks" in legend and "own code" in legend and "system" in legend,
          "the legend explains estimates and origins: %r" % legend)
    # Origins: the program's own frames warm, the others grey.
    def saturation(fill):
        return float(fill.split(",")[1].rstrip("%"))
    own = [n for n in nodes if n["origin"] == "own"]
    other = [n for n in nodes if n["origin"] in ("system", "libc", "memscope")]
    check(own and other and all(saturation(n["fill"]) >= 50 for n in own) and
          all(saturation(n["fill"]) <= 15 for n in other),
          "own frames are warm, %d frames of system code grey (%s)" %
          (len(other), sorted({n["name"] for n in other})[:3]))
    # Search, typed: the frames whose name holds it (any case) are highlighted, and the
    # note says how much they cover.
    c.js("document.getElementById('flame-search').focus()")
    c.call("Input.insertText", {"text": search})
    nodes = flame_nodes(c)
    matched = [n["name"] for n in nodes if n["match"]]
    found = c.js("[document.getElementById('flame-found').textContent, document.getElementById('flame-found').dataset.covered]")
    check(caller in matched and all(search.lower() in m.lower() for m in matched) and
          c.js("document.querySelector('#flame svg').classList.contains('searching')"),
          "searching %r highlights %s" % (search, matched))
    check(found[1] is not None and int(found[1]) == want and "%" in found[0],
          "the search says what the matches cover: %r" % found[0])
    c.js("(() => { const f = document.getElementById('flame-search'); f.value = ''; f.dispatchEvent(new Event('input')); })()")
    check(not any(n["match"] for n in flame_nodes(c)), "clearing the search clears the highlight")
    box = c.js("""(() => { const r = document.getElementById('panel-flame').getBoundingClientRect();
        return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height, scale: 1}; })()""")
    png = base64.b64decode(c.call("Page.captureScreenshot", {"format": "png", "clip": box,
                                                             "captureBeyondViewport": True})["data"])
    with open(shot, "wb") as f:
        f.write(png)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    check(png[:8] == b"\x89PNG\r\n\x1a\n" and width >= 600 and height >= 150 and len(png) > 5000,
          "screenshot of the flame tab saved to %s (%dx%d, %d bytes)" % (shot, width, height, len(png)))


def check_flame_scale(c, roots_min):
    """A big flame graph (many sites, a thousand thread entries): drawn within its frame
    limit and quickly, its roots the entries, search still answering."""
    c.click("nav [data-tab=flame]")
    t0 = time.time()
    c.click("#flame-reset")
    n = c.js("document.querySelectorAll('#flame g.node').length")
    ms = (time.time() - t0) * 1000
    roots = c.js("Array.from(document.querySelectorAll('#flame g.node')).filter(g => JSON.parse(g.dataset.path).length === 1).length")
    check(1 < n <= 4001 and roots >= roots_min and ms < 5000,
          "big flame graph drawn: %d frames (at most 4,000 and the root), %d roots, in %.0f ms" % (n, roots, ms))
    c.js("document.getElementById('flame-search').focus()")
    c.call("Input.insertText", {"text": "worker_7"})
    found = c.js("[document.querySelectorAll('#flame g.node.match').length, document.getElementById('flame-found').textContent]")
    check(found[0] >= 1 and "%" in found[1], "searching it highlights %d frames: %r" % tuple(found))


# Text boxes that overlap, per SVG chart (or other container): pairs of [text, text].
OVERLAPS_JS = """((sel, items) => Array.from(document.querySelectorAll(sel)).map(box => {
    const r = Array.from(box.querySelectorAll(items)).map(t => [t.textContent, t.getBoundingClientRect()])
        .filter(x => x[1].width > 0 && x[1].height > 0), out = [];
    for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) {
        const a = r[i][1], b = r[j][1];
        if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
            out.push([r[i][0], r[j][0]]);
    }
    return out; }).flat())"""


def shoot_tab(c, tab, prefix, min_height=150):
    """The tab's panel as a PNG (prefix-TAB.png), checked to be a real picture of a
    panel at least 1,000 px wide and min_height tall."""
    c.click("nav [data-tab=%s]" % tab)
    check(c.js("!document.getElementById('panel-%s').hidden" % tab), "%s tab shown" % tab)
    box = c.js("""(() => { const r = document.getElementById('panel-%s').getBoundingClientRect();
        return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width,
                height: Math.min(r.height, 6000), scale: 1}; })()""" % tab)
    png = base64.b64decode(c.call("Page.captureScreenshot", {"format": "png", "clip": box,
                                                             "captureBeyondViewport": True}, timeout=120)["data"])
    path = "%s-%s.png" % (prefix, tab)
    with open(path, "wb") as f:
        f.write(png)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    check(png[:8] == b"\x89PNG\r\n\x1a\n" and width >= 1000 and height >= min_height and len(png) > 5000,
          "screenshot of the %s tab: %s (%dx%d)" % (tab, path, width, height))


def check_charts(c, resources):
    """The Overview's timelines: per process, charts at least 500 x 180 px, with ticks
    that carry units on both axes, all on the process's one time axis, no two labels
    overlapping; with resource data, CPU, I/O and virtual size charts as well."""
    c.click("nav [data-tab=overview]")
    charts = c.js("""Array.from(document.querySelectorAll('#resources svg.res-chart')).map(g => {
        const r = g.getBoundingClientRect();
        return {chart: g.dataset.chart, process: g.closest('.res-process').dataset.process, span: g.dataset.span,
                w: r.width, h: r.height, x: Array.from(g.querySelectorAll('text.xtick')).map(t => t.textContent),
                y: Array.from(g.querySelectorAll('text.ytick')).map(t => t.textContent),
                titles: Array.from(g.querySelectorAll('text.axis-title')).map(t => t.textContent),
                legend: Array.from(g.querySelectorAll('text.legend')).map(t => t.textContent)}; })""")
    kinds = {ch["chart"] for ch in charts}
    want = {"memory", "allocations"} | ({"cpu", "io", "vsize"} if resources else set())
    check(kinds == want, "timeline charts drawn: %s" % sorted(kinds))
    units = {"memory": ("B",), "vsize": ("B",), "cpu": ("%",), "io": ("B/s",), "allocations": ("",)}
    time_units = (" ns", " \u00b5s", " ms", " s")
    for ch in charts:
        check(ch["w"] >= 500 and ch["h"] >= 180, "chart %s of process %s is %dx%d px" % (ch["chart"], ch["process"], ch["w"], ch["h"]))
        check(len(ch["x"]) >= 3 and all(t.endswith(time_units) for t in ch["x"]),
              "chart %s has time ticks with units: %s" % (ch["chart"], ch["x"]))
        check(len(ch["y"]) >= 3 and len(set(ch["y"])) == len(ch["y"]) and len(set(ch["x"])) == len(ch["x"]) and
              all(t == "0" or any(t.endswith(u) for u in units[ch["chart"]]) for t in ch["y"]),
              "chart %s has distinct value ticks with units: %s" % (ch["chart"], ch["y"]))
        check(len(ch["titles"]) == 2 and ch["legend"], "chart %s names its axes %s and series %s" % (ch["chart"], ch["titles"], ch["legend"]))
    by_proc = {}
    for ch in charts:
        by_proc.setdefault(ch["process"], []).append(ch)
    for pi, chs in by_proc.items():
        check(len({ch["span"] for ch in chs}) == 1 and len({tuple(ch["x"]) for ch in chs}) == 1,
              "process %s: its %d charts share one time axis (%s)" % (pi, len(chs), chs[0]["x"]))
    overlaps = c.js(OVERLAPS_JS + "('#resources svg.res-chart', 'text')")
    check(not overlaps, "no two labels of a chart overlap %s" % overlaps[:5])


def check_names(c):
    """Names wherever the data has one: no "??" and no bare site id shown as a name on
    the Overview, Sites and Flame graph tabs (tooltips included)."""
    text = c.js("""['overview', 'sites', 'flame'].map(t => document.getElementById('panel-' + t).textContent +
        Array.from(document.querySelectorAll('#panel-' + t + ' [title]')).map(e => e.title).join(' ')).join(' ')""")
    check("??" not in text and not re.search(r"\bsite 0x[0-9a-f]+", text),
          "no '??' or 'site 0x...' label (%d characters of text)" % len(text))


def check_matrix(c):
    """The cross-thread matrix: a number in every cell that has frees, the others
    marked empty, a legend that says what rows, columns and colours are."""
    c.click("nav [data-tab=matrix]")
    cells = c.js("""Array.from(document.querySelectorAll('#cross-matrix td')).map(td =>
        [td.classList.contains('has'), td.textContent, td.getBoundingClientRect().width])""")
    has = [x for x in cells if x[0]]
    check(has and all(re.match(r"^\u2248?[0-9.]+ (B|KiB|MiB|GiB)$", t) and w >= 40 for _, t, w in has) and
          all(t == "\u00b7" for h, t, _ in cells if not h),
          "matrix cells show their bytes: %s" % [t for _, t, _ in has][:6])
    legend = c.js("document.getElementById('matrix-legend')?.textContent || ''")
    check("allocating thread" in legend and "freeing thread" in legend and "colour" in legend,
          "the matrix has a legend: %r" % legend[:120])
    overlaps = c.js(OVERLAPS_JS + "('#cross-matrix', 'th, td')")
    check(not overlaps, "no two matrix labels overlap")


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    binary, report, shot = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    timing_only = "--timing-only" in sys.argv[4:]
    resources = "--resources" in sys.argv[4:]
    flame = {}
    for i, a in enumerate(sys.argv[4:-1], 4):
        if a.startswith("--flame-"):
            flame[a[len("--flame-"):]] = sys.argv[i + 1]
    if not shutil.which(binary):
        print("FAIL: no chromium at %s: install the Debian package 'chromium' "
              "(scripts/setup does)" % binary, file=sys.stderr)
        return 1
    c = Chromium(binary)
    try:
        t0 = time.time()
        c.call("Page.navigate", {"url": "file://" + report})
        c.wait_event("Page.loadEventFired")
        wall = time.time() - t0
        ready = c.js("document.body.dataset.ready")
        check(ready == "1", "the report rendered (body[data-ready])")
        timing = c.js("""(() => { const n = performance.getEntriesByType('navigation')[0];
            return {load: n.loadEventEnd, dcl: n.domContentLoadedEventEnd,
                    render: Number(document.body.dataset.renderMs),
                    steps: document.body.dataset.renderSteps}; })()""")
        print("timing: load event at %.0f ms, DOMContentLoaded at %.0f ms, script render %.0f ms, "
              "navigate-to-load %.0f ms, %d bytes" % (timing["load"], timing["dcl"], timing["render"],
                                                      wall * 1000, os.path.getsize(report)))
        print("render steps (ms since the script started): " + timing["steps"])
        prefix = shot[:-4] if shot.endswith(".png") else shot
        check_model(c)
        check_charts(c, resources)
        shoot_tab(c, "overview", prefix, 400)
        if "scale" in flame:
            check_flame_scale(c, int(flame["scale"]))
            shoot_tab(c, "flame", prefix)
        if resources:
            check_resources(c)
        elif not timing_only:
            empty = c.js("document.querySelector('#resources .res-empty')?.textContent || ''")
            check("no resource data recorded" in empty and
                  c.js("document.querySelectorAll('#resources svg[data-chart=cpu]').length") == 0,
                  "without resource data the Timelines section says so (%r)" % empty)
        if not timing_only:
            cards = c.js("document.querySelectorAll('#thread-grid .thread-card').length")
            check(cards > 0, "thread cards drawn (%d)" % cards)
            t0 = time.time()
            c.click("nav [data-tab=threads]")
            check(c.js("!document.getElementById('panel-threads').hidden"), "Threads tab shown")
            shoot_tab(c, "threads", prefix)
            check(time.time() - t0 < 10, "the Threads tab shown and captured in %.1f s" % (time.time() - t0))
            key = c.js("document.querySelector('#thread-grid .thread-card').dataset.key")
            name = c.js("document.querySelector('#thread-grid .thread-card .tc-name').textContent")
            c.click("#thread-grid .thread-card")
            check(c.js("document.querySelector('#thread-grid .thread-card.focused')?.dataset.key") == key,
                  "clicking thread card %s focuses it" % key)
            bar = c.js("document.getElementById('focus-bar').hidden ? null : document.getElementById('focus-bar').textContent")
            check(bar is not None and name in bar, "the focus bar names the focused thread (%s)" % name)

            c.click("nav [data-tab=sites]")
            check(c.js("!document.getElementById('panel-sites').hidden"), "Sites tab shown")
            values = "Array.from(document.querySelectorAll('#site-table tr.site-row td[data-col=calls]')).map(td => Number(td.dataset.value))"
            c.click("#site-table th[data-col=calls]")
            v = c.js(values)
            check(len(v) > 1 and all(a >= b for a, b in zip(v, v[1:])), "sort by calls, descending: %s" % v[:6])
            c.click("#site-table th[data-col=calls]")
            v = c.js(values)
            check(all(a <= b for a, b in zip(v, v[1:])), "sort by calls again, ascending: %s" % v[:6])
            before = c.js("document.querySelectorAll('#site-table tr.site-row').length")
            fn = c.js("document.querySelector('#site-table tr.site-row td[data-col=fn]').textContent")
            c.js("(() => { const f = document.getElementById('site-filter'); f.value = %s; "
                 "f.dispatchEvent(new Event('input')); })()" % json.dumps(fn))
            shown = c.js("Array.from(document.querySelectorAll('#site-table tr.site-row td[data-col=fn]')).map(td => td.textContent)")
            check(fn in shown and len(shown) <= before,
                  "filtering the site table by %r keeps it (%d rows)" % (fn, len(shown)))
            c.click("#site-table tr.site-row")
            check(c.js("document.querySelectorAll('#site-table tr.site-detail').length") >= 1,
                  "clicking a site row shows its inlined path")
            shoot_tab(c, "sites", prefix)

            c.click("nav [data-tab=flame]")
            nodes = c.js("document.querySelectorAll('#flame g.node').length")
            check(nodes > 1, "flame graph drawn (%d frames)" % nodes)
            path = c.js("document.querySelectorAll('#flame g.node')[1].dataset.path")
            c.click("#flame g.node:nth-of-type(2) rect")
            zoomed = c.js("document.querySelectorAll('#flame g.node.ancestor').length")
            check(zoomed >= 1, "clicking frame %s zooms in (%d ancestor bars)" % (path, zoomed))

            c.click("#flame-reset")
            est = c.js("document.querySelectorAll('#flame g.node.est').length")
            stacks = c.js("JSON.parse(document.getElementById('memscope-data').textContent).sites.some(s => s.stacks.length > 0)")
            check(bool(est) == stacks, "frames are marked estimates (%d) only when sites have stacks to split by" % est)
            shoot_tab(c, "flame", prefix)
            if "roots" in flame:
                check_flame(c, flame, flame["shot"])
            check_names(c)
            if c.js("JSON.parse(document.getElementById('memscope-data').textContent).processes.some(p => p.cross_thread && p.cross_thread.length)"):
                check_matrix(c)
            shoot_tab(c, "matrix", prefix, 100)
            shoot_tab(c, "system", prefix)

            c.click("nav [data-tab=overview]")
        errors = c.js("Number(document.getElementById('ms-errors').dataset.count)")
        problems = c.problems()
        check(errors == 0 and not problems, "no console error, exception or page error %s" % problems)
        png = c.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(shot, "wb") as f:
            f.write(base64.b64decode(png["data"]))
        check(os.path.getsize(shot) > 1000, "screenshot saved to %s" % shot)
    finally:
        c.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AssertionError, RuntimeError, TimeoutError) as e:
        print("FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)
