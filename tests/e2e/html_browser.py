#!/usr/bin/env python3
"""Loads a memscope HTML report in headless Chromium and drives it like a user.

Talks to Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
messages ended by NUL on fds 3 and 4), so it needs nothing but python3 and chromium.
Checks: the page renders with no console error, no uncaught exception and nothing in
#ms-errors; it shows what the JSON report embedded in it says (docs/json.md: the schema,
the totals, every thread card's alert level and reasons, the bottlenecks' levels, the
site table's first row); clicking a thread card (a real mouse click) focuses it; clicking a column of
the site table sorts it both ways; the site filter works; a click in the flame graph
zooms in; the Resources section either says that no resource data was recorded or, with
--resources, draws its SVG charts (RSS, virtual size, CPU, I/O) with data points, and the
thread cards and overview cards show CPU.  Saves a screenshot, and prints the load time.

usage: html_browser.py CHROMIUM REPORT.html SCREENSHOT.png [--timing-only] [--resources]
  --timing-only: load the page, check for errors, print the timings (for big reports)
  --resources: the report has resource sampler data (MEMSCOPE_RESOURCE_INTERVAL)
Exit status 0 when every check passed; 1 otherwise (with the reason on stderr)."""
import base64
import json
import os
import select
import shutil
import subprocess
import sys
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


def check_model(c):
    """What the page shows is what the JSON report embedded in it says."""
    d = c.js("JSON.parse(document.getElementById('memscope-data').textContent)")
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
        return x >= 60 && x <= 600 && y >= 0 && y <= 170; })""")
    check(inside, "every data point lies inside its chart")
    cards = c.js("""Array.from(document.querySelectorAll('.cards .stat')).map(e =>
        [e.querySelector('.stat-label').textContent, e.querySelector('.stat-value').textContent])""")
    values = dict(cards)
    check(values.get("Peak RSS", "\u2014") not in ("\u2014", "0 B") and values.get("Peak CPU", "\u2014") != "\u2014",
          "overview cards show peak RSS and CPU: %s, %s" % (values.get("Peak RSS"), values.get("Peak CPU")))
    cpu = c.js("Array.from(document.querySelectorAll('#thread-grid .thread-card dd.cpu')).map(e => e.textContent)")
    check(len(cpu) > 0, "thread cards show CPU time and share (%d cards, e.g. %s)" % (len(cpu), cpu[:3]))
    rows = c.js("document.querySelectorAll('#res-threads tbody tr').length")
    check(rows > 0, "the System tab lists CPU by thread (%d rows)" % rows)


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    binary, report, shot = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    timing_only = "--timing-only" in sys.argv[4:]
    resources = "--resources" in sys.argv[4:]
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
        check_model(c)
        if resources:
            check_resources(c)
        elif not timing_only:
            empty = c.js("document.querySelector('#resources .empty')?.textContent || ''")
            check("no resource data recorded" in empty and
                  c.js("document.querySelectorAll('#resources svg').length") == 0,
                  "without resource data the Resources section says so (%r)" % empty)
        if not timing_only:
            cards = c.js("document.querySelectorAll('#thread-grid .thread-card').length")
            check(cards > 0, "thread cards drawn (%d)" % cards)
            c.click("nav [data-tab=threads]")
            check(c.js("!document.getElementById('panel-threads').hidden"), "Threads tab shown")
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

            c.click("nav [data-tab=flame]")
            nodes = c.js("document.querySelectorAll('#flame g.node').length")
            check(nodes > 1, "flame graph drawn (%d frames)" % nodes)
            path = c.js("document.querySelectorAll('#flame g.node')[1].dataset.path")
            c.click("#flame g.node:nth-of-type(2) rect")
            zoomed = c.js("document.querySelectorAll('#flame g.node.ancestor').length")
            check(zoomed >= 1, "clicking frame %s zooms in (%d ancestor bars)" % (path, zoomed))

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
