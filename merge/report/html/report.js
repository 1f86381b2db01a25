/* memscope report: draws the dashboard from the JSON report (docs/json.md, schema
 * memscope-merge/1) that memscope-merge embedded in script element #memscope-data
 * (report_html.c; docs/reports.md describes the sections).  Everything shown comes from
 * that report's fields, thread alerts included; the script only sorts, sums and draws.
 *
 * Rules this file keeps:
 * - Program strings (function, file and thread names) only ever become text nodes
 *   (textContent, createTextNode): never markup, so a C++ name like
 *   `std::map<int, T&>` or a hostile one cannot inject anything.
 * - Big lists are paged (sites, thread cards) and the flame graph leaves out frames too
 *   narrow to see, so 10,000 sites and 1,000 threads stay fast.
 * - Any script error is written into #ms-errors as well as the console, so a user sees
 *   it and the browser test can check there is none. */
(function () {
  'use strict';

  var errorBox = document.getElementById('ms-errors');
  function noteError(text) {
    errorBox.hidden = false;
    errorBox.dataset.count = String(Number(errorBox.dataset.count || 0) + 1);
    var line = document.createElement('div');
    line.textContent = text;
    errorBox.appendChild(line);
  }
  window.addEventListener('error', function (e) {
    noteError('script error: ' + e.message + ' (line ' + e.lineno + ')');
  });

  var started = performance.now(), steps = [];
  function mark(name) { steps.push(name + ' ' + (performance.now() - started).toFixed(0)); }
  var D = JSON.parse(document.getElementById('memscope-data').textContent);
  mark('parse');

  /* --- Small helpers ---------------------------------------------------------------- */

  /* h('div', {class: 'x', text: 'y', data: {k: v}, on: {click: f}, title: 't'}, child...) */
  function h(tag, props) {
    var e = document.createElement(tag);
    applyProps(e, props);
    for (var i = 2; i < arguments.length; i++) append(e, arguments[i]);
    return e;
  }
  function applyProps(e, props) {
    if (!props) return;
    for (var k in props) {
      var v = props[k];
      if (v === undefined || v === null) continue;
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.setAttribute('class', v);
      else if (k === 'data') for (var d in v) e.dataset[d] = v[d];
      else if (k === 'on') for (var ev in v) e.addEventListener(ev, v[ev]);
      else e.setAttribute(k, v);
    }
  }
  function append(e, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { append(e, x); }); return; }
    e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  var SVGNS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
    for (var i = 2; i < arguments.length; i++) append(e, arguments[i]);
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

  /* 1234567 -> "1,234,567" (by hand: toLocaleString's first call loads locale data,
   * a tenth of a second in a headless browser). */
  function num(n) {
    var v = String(Math.round(Math.abs(n))), out = '';
    while (v.length > 3) { out = ',' + v.slice(-3) + out; v = v.slice(0, -3); }
    return (n < 0 ? '-' : '') + v + out;
  }
  function bytes(n) {
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    n = Number(n);
    while (Math.abs(n) >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? Math.round(n) : n.toFixed(n >= 100 ? 0 : 1)) + ' ' + u[i];
  }
  /* A figure (docs/json.md, "Numbers"): exact "v"; an estimate "v ± e (n samples)";
   * an estimate without a sample "≤ high (no sample)", its one-sided 95% bound; null when
   * the profile cannot know it (a leaks-mode process): "n/a". */
  function fig(f, fmt) {
    if (!f) return 'n/a';
    if (f.bounded) return '\u2264 ' + fmt(f.high) + ' (no sample)';
    if (f.samples === undefined) return fmt(f.value);
    return fmt(f.value) + ' \u00b1 ' + fmt(f.error) + ' (' + f.samples + (f.samples === 1 ? ' sample)' : ' samples)');
  }
  function val(f) { return f ? f.value : 0; }
  function ms(ns) { return ns >= 1e9 ? (ns / 1e9).toFixed(2) + ' s' : (ns / 1e6).toFixed(3) + ' ms'; }
  function pct(a, b) { return b > 0 ? (100 * a / b).toFixed(1) + '%' : '-'; }
  function pct1(v) { return (v === null ? 0 : v).toFixed(1) + '%'; }
  function secs(ns) { return ns >= 1e9 ? (ns / 1e9).toFixed(2) + ' s' : (ns / 1e6).toFixed(0) + ' ms'; }
  function pidText(p) { return p.pid === null ? 'pid unknown' : String(p.pid); }
  function procName(p) { return (p.program || '(program unknown)') + ' [' + pidText(p) + ']'; }
  /* A thread's CPU time as the sampler read it at its ticks: to the nanosecond from
   * runtimes that read the kernel's run time (schedstat), in 10 ms clock ticks from older
   * ones; 0: none seen (under a clock tick, or after the thread's last tick). */
  function cpuText(ns) {
    if (!ns) return 'none seen';
    /* tenths under 10 ms (below 9.95 ms, which would round to "10.0") */
    return ns < 9.95e6 ? (ns / 1e6).toFixed(1) + ' ms' : secs(ns);
  }
  /* User or system time alone: 0 is a part of a known whole (json.md: the split). */
  function cpuPart(ns) { return ns ? cpuText(ns) : '0'; }
  var CPU_WHY = 'CPU time (user + system) and share of its process\u2019s, as the resource sampler read it at its ticks: a thread\u2019s time after its last tick is not seen, and runtimes before the run-time reading counted it in 10 ms clock ticks (a thread under one read 0).';

  /* --- The model: the JSON report as docs/json.md describes it ----------------------------
   * D is read as it is; the page only adds, per site and per thread, a row that points at
   * its JSON object (.s, .t) with what the tables need to sort, filter and link. */
  var procs = D.processes;
  var T = D.totals;
  /* Site ids are "0x" and lower-case hex without leading zeros: by length, then text. */
  function cmpId(a, b) { return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0); }
  /* Names: a known name wherever one exists; where none does, why (never "??"). */
  function baseName(path) { return path.slice(path.lastIndexOf('/') + 1) || path; }
  function frameFn(f) {
    if (f.function) return f.function;
    if (f.file) return '(no function name, in ' + baseName(f.file) + ')';
    return f.module ? '(unknown: no symbols in ' + baseName(f.module) + ')' : '(unknown function)';
  }
  function where(f) {
    if (f.file) return f.file + (f.line ? ':' + f.line + (f.column ? ':' + f.column : '') : '');
    if (f.module) return baseName(f.module) + (f.address ? '+' + f.address : '') + ' (no debug information)';
    return '(no file: built without -g?)';
  }
  /* A site's name and place: its own first frame; for a site with none (uninstrumented
   * code, or no SITE record) the place the merge found in its stacks, said as such. */
  function siteNames(x) {
    var f0 = x.frames[0], pl = x.place && x.place.frame;
    if (f0) return [frameFn(f0), where(f0)];
    if (x.uninstrumented) {
      return pl ? [frameFn(pl) + ' \u2192 ' + (x.api || 'allocation') + ' (in uninstrumented code)', where(pl)]
                : ['(uninstrumented ' + (x.api || 'allocation') + ': no stack sampled)', 'code not built with the memscope pass'];
    }
    if (pl) return [frameFn(pl), where(pl)];
    return [x.described ? '(unknown: the site names no function)' : '(unknown: no SITE record for ' + x.id + ')', '(no location recorded)'];
  }
  /* Sites as the page first lists them: by bytes, then calls, then id. */
  var sites = D.sites.map(function (x) {
    var nm = siteNames(x);
    return { s: x, index: 0, id: x.id, fn: nm[0], loc: nm[1], api: x.api === null ? '(no SITE record)' : x.api, search: null };
  });
  sites.sort(function (a, b) { return b.s.bytes - a.s.bytes || b.s.calls - a.s.calls || cmpId(a.id, b.id); });
  var siteById = {};
  sites.forEach(function (x, i) { x.index = i; siteById[x.id] = x; });
  function searchOf(x) {
    if (x.search === null) {
      x.search = (x.fn + ' ' + x.loc + ' ' + x.id + ' ' + x.api + ' ' +
                  x.s.frames.map(frameFn).join(' ')).toLowerCase();
    }
    return x.search;
  }
  /* Threads of every process, in order; .res is the resource sampler's entry for the
   * thread (processes[].resources.threads), null when it did not see it. */
  var alertRank = { ok: 0, watch: 1, high: 2 };
  var threads = [], threadByKey = {};
  procs.forEach(function (p, pi) {
    var res = {};
    if (p.resources) p.resources.threads.forEach(function (r) { if (r.thread !== null) res[r.thread] = r; });
    p.threads.forEach(function (t) {
      var row = { t: t, index: threads.length, process: pi, thread: t.thread, pid: p.pid, key: pi + ':' + t.thread,
                  label: t.name || 'thread ' + t.thread, alert: alertRank[t.alert.level] || 0, res: res[t.thread] || null };
      threads.push(row);
      threadByKey[row.key] = row;
    });
  });
  function cpuNs(r) { return r.res ? r.res.cpu_user_ns + r.res.cpu_system_ns : null; }
  mark('model');
  function threadOf(proc, index) { return threadByKey[proc + ':' + index] || null; }
  function threadName(proc, index) {
    var t = threadOf(proc, index);
    return t ? t.label + ' (#' + index + ')' : 'thread ' + index;
  }
  /* The position of the process with this pid (bottlenecks and sites name it by pid, 0
   * when it is unknown). */
  function procIndexOfPid(pid) {
    for (var i = 0; i < procs.length; i++) if ((procs[i].pid || 0) === pid) return i;
    return -1;
  }

  /* --- State and its changes ----------------------------------------------------------- */

  var state = {
    tab: 'overview',
    focus: null, /* a thread row */
    sites: { sort: 'bytes', desc: true, filter: '', kind: 'all', page: 0, focusOnly: false, open: {} },
    grid: { sort: 'alert', filter: '', page: 0 },
    flame: { metric: 'bytes', path: [], search: '' },
    bottlenecksFocusOnly: false
  };
  var refreshers = []; /* what to redraw when the focus changes */
  function setFocus(t) {
    state.focus = state.focus && t && state.focus.key === t.key ? null : t;
    refreshers.forEach(function (f) { f(); });
  }

  /* --- Page skeleton --------------------------------------------------------------------- */

  var app = document.getElementById('app');
  var programs = procs.map(procName);
  var tabs = [
    ['overview', 'Overview'], ['threads', 'Threads'], ['sites', 'Sites'], ['flame', 'Flame graph'],
    ['bottlenecks', 'Bottlenecks'], ['matrix', 'Cross-thread'], ['system', 'System']
  ];
  var nav = h('nav', { class: 'tabs' }, tabs.map(function (t) {
    return h('button', { type: 'button', class: 'tab', data: { tab: t[0] }, text: t[1],
                         on: { click: function () { showTab(t[0]); } } });
  }));
  var modes = {};
  procs.forEach(function (p) { modes[p.sampled ? 'sampled' : (p.mode || '?')] = true; });
  app.appendChild(h('header', { class: 'top' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', text: 'memscope' }),
      h('span', { class: 'programs', text: programs.slice(0, 4).join(', ') + (programs.length > 4 ? ', …' : '') }),
      h('span', { class: 'badge', text: Object.keys(modes).join(' + ') + ' mode' })),
    nav));
  var focusBar = h('div', { id: 'focus-bar', class: 'focus-bar', hidden: 'hidden' });
  app.appendChild(focusBar);
  var panels = {};
  tabs.forEach(function (t) {
    panels[t[0]] = h('main', { class: 'panel', id: 'panel-' + t[0], data: { tab: t[0] }, hidden: 'hidden' });
    app.appendChild(panels[t[0]]);
  });
  var lazy = {}; /* tabs drawn the first time they are shown */
  function showTab(name) {
    state.tab = name;
    tabs.forEach(function (t) {
      panels[t[0]].hidden = t[0] !== name;
      nav.querySelector('[data-tab="' + t[0] + '"]').classList.toggle('active', t[0] === name);
    });
    if (lazy[name]) { var f = lazy[name]; lazy[name] = null; f(); }
  }
  function section(panel, title, note) {
    var sec = h('section', { class: 'card-section' }, h('h2', { text: title }), note ? h('p', { class: 'note', text: note }) : null);
    panels[panel].appendChild(sec);
    return sec;
  }
  var estNote = T.estimated ? 'Numbers shown as v ± e are estimated from samples (e: half-width of the 95% interval).' : null;

  /* --- Focus bar ------------------------------------------------------------------------- */

  function drawFocusBar() {
    clear(focusBar);
    var t = state.focus;
    focusBar.hidden = !t;
    if (!t) return;
    var hot = t.t.hot_sites.filter(function (hs) { return siteById[hs.site]; }).map(function (hs) {
      var st = siteById[hs.site];
      return h('a', { href: '#', class: 'link', text: st.fn + ' (' + num(hs.allocations) + ')',
                      on: { click: function (e) { e.preventDefault(); goToSite(st); } } });
    });
    focusBar.appendChild(h('div', { class: 'focus-main' },
      h('strong', { text: 'Focused: ' + t.label }),
      ' #' + t.thread + (t.t.os_tid !== null ? ', tid ' + t.t.os_tid : '') + (procs.length > 1 ? ', pid ' + t.pid : '') +
      ' — ' + num(t.t.counts.allocations) + ' allocations, ' + bytes(t.t.counts.bytes_allocated) + ', peak ' +
      fig(t.t.peak_live_bytes, bytes) + '. Hottest sites: ',
      hot.length ? hot.reduce(function (acc, x, i) { if (i) acc.push(', '); acc.push(x); return acc; }, []) : 'none',
      h('button', { type: 'button', class: 'clear-focus', text: 'Clear focus', on: { click: function () { setFocus(null); } } })));
  }
  refreshers.push(drawFocusBar);

  /* --- Overview: warnings ----------------------------------------------------------------
   * What the text summary warns of (report_text.c, status_text.c), from the same JSON
   * fields: a file cut or unreadable, a process that died of a signal or ran out of disk,
   * calls neither counted nor recorded, counts and events that disagree.  Drawn first, so
   * nobody reads the numbers below without knowing what they miss. */

  function sinceStart(ns) { return ns === null || ns === undefined ? 'an unknown time' : '+' + (ns / 1e9).toFixed(1) + ' s'; }
  function plural(n, one, many) { return num(n) + ' ' + (n === 1 ? one : many); }
  function processWarnings(p) {
    var w = [];
    if (!p.complete)
      w.push('incomplete: no end record (the process was killed, or the file was cut or is still being written); everything before that is here');
    if (p.live_blocks_unlisted)
      w.push(p.complete ? 'live blocks perhaps not all listed (leaks mode lists them at its end, and the disk was full): live at exit and leaks are unknown'
                        : 'live blocks not listed (leaks mode lists them at its end, which the process did not reach): live at exit and leaks are unknown');
    if (p.disk_full) {
      w.push('recording stopped at ' + sinceStart(p.disk_full.at_ns) + ': no space left for the file; ' +
             plural(p.disk_full.lost_events, 'event', 'events') + ' lost; counts go on (a thread\u2019s calls are missing only where its counts found no room either)');
      if (p.disk_full.short_sites)
        w.push(plural(p.disk_full.short_calls, 'counted call', 'counted calls') + ' at ' + plural(p.disk_full.short_sites, 'site', 'sites') +
               ' have no event (lost for want of room): counts are exact, but peak, live, leaks and lifetimes miss them');
    }
    if (p.fatal_signal)
      w.push('the process died of ' + p.fatal_signal.name + ' (thread ' + p.fatal_signal.tid + ') at ' +
             sinceStart(p.fatal_signal.at_ns) + ': everything before it is here');
    if (p.dropped_events)
      w.push(plural(p.dropped_events, 'call was', 'calls were') + ' neither counted nor recorded (a signal handler allocated while memscope was busy, a fork held recording up, or no memory to set a thread up)');
    if (p.disagreeing_sites)
      w.push('counters and events disagree at ' + plural(p.disagreeing_sites, 'site', 'sites') + ' (a cut file or a writer\u2019s fault): figures from events may be wrong there');
    if (p.skipped_records) w.push(plural(p.skipped_records, 'unknown record', 'unknown records') + ' skipped (written by a newer runtime)');
    if (p.skipped_events) w.push(plural(p.skipped_events, 'unknown event', 'unknown events') + ' skipped (written by a newer runtime)');
    if (p.skipped_bytes) w.push(plural(p.skipped_bytes, 'byte', 'bytes') + ' between chunks were neither a chunk nor zeros (skipped)');
    return w;
  }
  var warnings = []; /* [who, [text, ...]] */
  D.inputs.forEach(function (i) {
    if (i.problem)
      warnings.push([i.path, [(i.usable ? 'partly read: ' : 'no usable data: ') +
                              (i.problem.offset !== null ? 'at offset ' + i.problem.offset + ', ' : '') + i.problem.message]]);
  });
  procs.forEach(function (p) {
    var w = processWarnings(p);
    if (w.length) warnings.push([procName(p) + ', ' + p.path, w]);
  });
  if (warnings.length) {
    var warnSec = section('overview', 'Warnings');
    warnSec.classList.add('warnings');
    warnSec.appendChild(h('ul', { id: 'warnings' }, warnings.map(function (x) {
      return h('li', { class: 'warn-group' }, h('strong', { text: x[0] }),
               h('ul', null, x[1].map(function (text) { return h('li', { class: 'warning', text: text }); })));
    })));
  }

  /* --- Overview: cards ------------------------------------------------------------------- */

  var cards = section('overview', 'Overview', estNote);
  var alerts = { ok: 0, watch: 0, high: 0 };
  threads.forEach(function (t) { alerts[t.t.alert.level]++; });
  var cardList = [
    ['Processes', num(D.processes_count), procs.filter(function (p) { return !p.complete; }).length + ' incomplete'],
    ['Threads', num(D.threads_count), alerts.high + ' high, ' + alerts.watch + ' watch'],
    ['Allocations', num(T.allocations), num(T.failed_allocations) + ' failed, ' + num(T.reallocs) + ' reallocs'],
    ['Bytes allocated', bytes(T.bytes_allocated), 'avg ' + bytes(T.allocations ? T.bytes_allocated / T.allocations : 0)],
    ['Peak live heap', fig(T.peak_live_bytes, bytes), 'sum of the processes\u2019 peaks'],
    ['Live at exit', fig(T.live_bytes, bytes), fig(T.live_blocks, num) + ' blocks'],
    ['Frees', num(T.frees), fig(T.bytes_freed, bytes) + ' freed'],
    ['Sites', num(D.sites.length), D.bottlenecks.length + ' bottlenecks']
  ];
  /* Resource sampler: peak RSS (sum of the processes' peaks) and peak CPU (the highest). */
  var resProcs = procs.filter(function (p) { return p.resources; });
  if (resProcs.length) {
    var rssSum = 0, cpuPeak = 0, cpuTime = 0;
    resProcs.forEach(function (p) {
      var rs = p.resources.summary;
      rssSum += rs.peak_rss_bytes;
      if (rs.peak_cpu_percent > cpuPeak) cpuPeak = rs.peak_cpu_percent;
      cpuTime += rs.cpu_user_ns + rs.cpu_system_ns;
    });
    cardList.push(['Peak RSS', bytes(rssSum), resProcs.length > 1 ? 'sum of the processes\u2019 peaks' : 'virtual ' + bytes(resProcs[0].resources.summary.peak_vsize_bytes)]);
    cardList.push(['Peak CPU', pct1(cpuPeak), 'of one core; ' + secs(cpuTime) + ' CPU time']);
  } else {
    cardList.push(['Peak RSS', '\u2014', 'no resource data recorded']);
    cardList.push(['Peak CPU', '\u2014', 'no resource data recorded']);
  }
  cards.appendChild(h('div', { class: 'cards' }, cardList.map(function (c) {
    return h('div', { class: 'stat' }, h('div', { class: 'stat-label', text: c[0] }),
             h('div', { class: 'stat-value', text: c[1] }), h('div', { class: 'stat-sub', text: c[2] }));
  })));

  /* --- Overview: rankings ---------------------------------------------------------------- */

  var rankSec = section('overview', 'Rankings');
  var rankBody = h('div', { class: 'rankings' });
  rankSec.appendChild(rankBody);
  /* The n rows with the highest value(row). */
  function top(list, value, n) {
    return list.slice().sort(function (a, b) { return value(b) - value(a) || a.index - b.index; }).slice(0, n);
  }
  function threadAllocs(t) { return t.t.counts.allocations; }
  function threadPeak(t) { return val(t.t.peak_live_bytes); }
  function siteBytes(x) { return x.s.bytes; }
  function siteCalls(x) { return x.s.calls; }
  function rankList(title, list, value, click, isFocus) {
    return h('div', { class: 'rank' }, h('h3', { text: title }),
      list.length ? h('ol', null, list.map(function (x) {
        return h('li', { class: isFocus && isFocus(x) ? 'focused' : null, on: { click: function () { click(x); } } },
                 h('span', { class: 'rank-name', title: x.fn ? x.loc : null, text: x.label ? x.label + ' #' + x.thread : x.fn + ' \u00b7 ' + x.loc }),
                 h('span', { class: 'rank-value', text: value(x) }));
      })) : h('p', { class: 'empty', text: 'none' }));
  }
  function isFocused(t) { return state.focus && state.focus.key === t.key; }
  function drawRankings() {
    clear(rankBody);
    var allocSites = sites.filter(function (x) { return x.s.kind !== 'free'; });
    append(rankBody, [
      rankList('Threads by allocations', top(threads, threadAllocs, 10), function (t) { return num(threadAllocs(t)); }, setFocus, isFocused),
      rankList('Threads by peak live heap', top(threads, threadPeak, 10), function (t) { return bytes(threadPeak(t)); }, setFocus, isFocused),
      rankList('Sites by bytes', top(allocSites, siteBytes, 10), function (x) { return bytes(siteBytes(x)); }, goToSite),
      rankList('Sites by calls', top(sites, siteCalls, 10), function (x) { return num(siteCalls(x)); }, goToSite)
    ]);
  }
  refreshers.push(drawRankings);

  /* --- Overview: memory patterns --------------------------------------------------------- */

  var patSec = section('overview', 'Memory patterns');
  function bars(title, items, fmt) {
    var max = Math.max.apply(null, items.map(function (x) { return x[1]; }).concat([1]));
    return h('div', { class: 'bars' }, h('h3', { text: title }), items.map(function (x) {
      return h('div', { class: 'bar-row' }, h('span', { class: 'bar-label', text: x[0] }),
        h('span', { class: 'bar-track' }, h('span', { class: 'bar', style: 'width:' + (100 * x[1] / max).toFixed(1) + '%' })),
        h('span', { class: 'bar-value', text: fmt(x[1]) }));
    }));
  }
  (function () {
    var lifeNames = ['<1 µs', '<10 µs', '<100 µs', '<1 ms', '<10 ms', '<100 ms', '<1 s', '<10 s', '≥10 s'];
    var sizeNames = ['≤32 B', '≤128 B', '≤512 B', '≤4 KiB', '≤64 KiB', '≤1 MiB', '>1 MiB'];
    var limits = [32, 128, 512, 4096, 65536, 1048576, Infinity];
    var sizes = sizeNames.map(function (n) { return [n, 0]; });
    /* Over the sites: lifetimes of freed blocks, realloc chains, sizes (by site average). */
    var lifetimes = lifeNames.map(function () { return 0; }), chains = 0, chainReallocs = 0;
    D.sites.forEach(function (x) {
      x.lifetimes.forEach(function (l, k) { lifetimes[k] += val(l.blocks); });
      chains += x.realloc_chains.chains;
      chainReallocs += x.realloc_chains.reallocs;
      if (x.kind === 'free' || !x.counts.allocations) return;
      for (var k = 0; k < limits.length; k++) if (x.sizes.avg <= limits[k]) { sizes[k][1] += x.counts.allocations; break; }
    });
    var freed = lifetimes.reduce(function (a, b) { return a + b; }, 0);
    var facts = [
      ['Short-lived blocks (freed within 100 µs)', fig(T.short_lived, num) + ' (' + pct(val(T.short_lived), T.allocations) + ' of allocations)'],
      ['Freed by another thread', fig(T.cross_thread_freed, num) + ' (' + pct(val(T.cross_thread_freed), T.allocations) + ')'],
      ['Realloc growth chains', num(chains) + ' chains, ' + num(chainReallocs) + ' reallocs'],
      ['Live at exit', fig(T.live_blocks, num) + ' blocks, ' + fig(T.live_bytes, bytes)],
      ['Freed blocks with a known lifetime', num(freed)]
    ];
    patSec.appendChild(h('div', { class: 'patterns' },
      bars('Lifetimes of freed blocks', lifetimes.map(function (v, i) { return [lifeNames[i], v]; }), num),
      bars('Allocations by size (site average)', sizes, num),
      h('div', { class: 'facts' }, h('h3', { text: 'At a glance' }), h('dl', null, facts.map(function (f) {
        return [h('dt', { text: f[0] }), h('dd', { text: f[1] })];
      })))));
  })();

  /* --- Overview: timelines, one block per process on one time axis ----------------------
   * Every chart of a process (live heap and RSS, allocations, CPU, I/O, virtual size)
   * spans the same time, from the process's start to its last event or resource tick,
   * with the same time ticks, so a peak in one lines up with the others. */

  /* Ticks for 0..max: about n steps of 1, 2 or 5 times a power of ten, in the unit of
   * max (base 1024: KiB, MiB... for bytes; whole: no step under 1, for counts and bytes);
   * the axis ends at the last tick. */
  function niceTicks(max, n, base, whole) {
    if (!(max > 0)) max = whole ? 2 : 1;
    var unit = 1;
    if (base === 1024) { while (max / unit >= 1024) unit *= 1024; }
    var raw = max / n;
    var r = raw / unit, p = Math.pow(10, Math.floor(Math.log10(r))), m = r / p;
    var step = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p * unit, out = [];
    if (whole && step < 1) step = 1;
    for (var k = 0; k * step < max + step * 0.999; k++) out.push(Number((k * step).toPrecision(12)));
    return out;
  }
  /* A time axis's unit for its span: labels such as "250 ms", "1.5 s". */
  function timeUnit(span) {
    return span >= 2e9 ? [1e9, 's'] : span >= 2e6 ? [1e6, 'ms'] : span >= 2e3 ? [1e3, '\u00b5s'] : [1, 'ns'];
  }
  function trimNum(v) { return String(Number(v.toPrecision(4))); }
  /* A chart over time: each series is {id, xs: ns, ys: values (null: no value there),
   * cls, label, area, step}; x from 0 to opts.span ns.  Ticks with units on both axes,
   * grid lines, the axis titles, a legend when there are several series, a dot per
   * point when there are few.  Drawn at the size it is shown (600 x 230 units in a box
   * about 600 px wide), so its 11-12 px text stays readable. */
  var CW = 600, CH = 230;
  function timeChart(series, opts) {
    /* L: room for value labels up to 12 characters ("1000.0 KiB/s", ~74 px) right of the
     * rotated axis title (x 4-16); the same for every chart, so their time axes line up
     * (74 let "60.0 KiB/s" run into the title). */
    var W = CW, H = CH, L = 100, R = 14, TOP = 26, B = 40;
    var max = 0, npts = 0;
    series.forEach(function (sr) { sr.ys.forEach(function (v) { if (v !== null && v > max) max = v; }); });
    var yt = niceTicks(max, 4, opts.base, opts.base === 1024 || opts.whole), ymax = yt[yt.length - 1];
    var span = opts.span > 0 ? opts.span : 1, tu = timeUnit(span);
    var xt = niceTicks(span / tu[0], 6).map(function (v) { return v * tu[0]; }).filter(function (v) { return v <= span * 1.0001; });
    var xs = function (ns) { return L + (W - L - R) * Math.min(ns, span) / span; };
    var ys = function (v) { return TOP + (H - B - TOP) * (1 - v / ymax); };
    var g = s('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'chart res-chart', role: 'img', 'aria-label': opts.title, 'data-chart': opts.id });
    yt.forEach(function (v) {
      var y = ys(v).toFixed(1);
      if (v) g.appendChild(s('line', { x1: L, y1: y, x2: W - R, y2: y, class: 'grid' }));
      g.appendChild(s('text', { x: L - 6, y: (Number(y) + 4).toFixed(1), class: 'tick ytick', 'text-anchor': 'end', text: v ? opts.fmt(v) : '0' }));
    });
    xt.forEach(function (v, k) {
      var x = xs(v).toFixed(1);
      if (k) g.appendChild(s('line', { x1: x, y1: TOP, x2: x, y2: H - B, class: 'grid' }));
      g.appendChild(s('line', { x1: x, y1: H - B, x2: x, y2: H - B + 4, class: 'axis' }));
      /* The first label starts at the axis (clear of the value axis's 0), one at the
       * right edge ends there. */
      var anchor = k === 0 ? 'start' : Number(x) > W - R - 24 ? 'end' : 'middle';
      g.appendChild(s('text', { x: x, y: H - B + 17, class: 'tick xtick', 'text-anchor': anchor, text: trimNum(v / tu[0]) + ' ' + tu[1] }));
    });
    g.appendChild(s('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' }));
    g.appendChild(s('line', { x1: L, y1: TOP, x2: L, y2: H - B, class: 'axis' }));
    g.appendChild(s('text', { x: (L + W - R) / 2, y: H - 5, class: 'axis-title', 'text-anchor': 'middle', text: 'time since the process started' }));
    g.appendChild(s('text', { x: 10, y: (TOP + H - B) / 2, class: 'axis-title', 'text-anchor': 'middle',
                              transform: 'rotate(-90 10 ' + ((TOP + H - B) / 2) + ')', text: opts.yTitle }));
    series.forEach(function (sr, si) {
      /* Runs of points with a value: one polyline each (a staircase for per-bucket counts). */
      var runs = [], cur = [];
      sr.ys.forEach(function (v, i) {
        if (v === null || sr.xs[i] > span) { if (cur.length) runs.push(cur); cur = []; return; }
        if (sr.step && i) cur.push([xs(sr.xs[i - 1]), ys(v)]);
        cur.push([xs(sr.xs[i]), ys(v)]);
        npts++;
      });
      if (cur.length) runs.push(cur);
      var gs = s('g', { class: 'series ' + sr.cls, 'data-series': sr.id, 'data-points': String(runs.reduce(function (a, r) { return a + r.length; }, 0)) },
        s('title', { text: sr.label }));
      runs.forEach(function (run) {
        var pts = run.map(function (q) { return q[0].toFixed(1) + ',' + q[1].toFixed(1); }).join(' ');
        if (sr.area && run.length > 1)
          gs.appendChild(s('polygon', { points: run[0][0].toFixed(1) + ',' + (H - B) + ' ' + pts + ' ' + run[run.length - 1][0].toFixed(1) + ',' + (H - B), class: sr.cls + ' area' }));
        gs.appendChild(s('polyline', { points: pts, class: sr.cls + ' line' }));
        if (!sr.step && run.length <= 120) run.forEach(function (q) { gs.appendChild(s('circle', { cx: q[0].toFixed(1), cy: q[1].toFixed(1), r: 2.2, class: sr.cls + ' dot' })); });
      });
      g.appendChild(gs);
      var lx = L + 4 + si * 170;
      g.appendChild(s('line', { x1: lx, y1: 12, x2: lx + 16, y2: 12, class: sr.cls + ' line' }));
      g.appendChild(s('text', { x: lx + 21, y: 16, class: 'legend', text: sr.label }));
    });
    g.setAttribute('data-points', String(npts));
    g.setAttribute('data-span', String(span));
    return g;
  }
  /* A process's time axis: from its start to its last event or resource tick. */
  function procSpan(p) {
    var last = p.last_event_ns || 0;
    if (p.resources) last = Math.max(last, p.resources.summary.last_tick_ns);
    if (!last) last = p.timeline.bucket_ns * p.timeline.live_bytes.length;
    return Math.max(last, 1);
  }
  function perSecond(fmt) { return function (v) { return fmt(v) + '/s'; }; }
  var tlSec = section('overview', 'Timelines', 'Per process, on one time axis: the live heap (the highest in each time bucket) with RSS, allocations per bucket, and, from the runtime\u2019s resource sampler (MEMSCOPE_RESOURCE_INTERVAL), CPU in % of one core and the program\u2019s I/O per second (memscope\u2019s own output file left out) over each interval between ticks, and the virtual size. With a thread focused, its allocations are drawn over its process\u2019s.');
  tlSec.id = 'resources';
  var tlBody = h('div', { class: 'timelines resources' });
  tlSec.appendChild(tlBody);
  function drawTimelines() {
    clear(tlBody);
    procs.slice(0, 8).forEach(function (p, pi) {
      var tl = p.timeline, span = procSpan(p), f = state.focus;
      var bx = [], live = [], allocs = [], mine = [];
      tl.live_bytes.forEach(function (v, k) {
        if (k * tl.bucket_ns > span) return;
        bx.push(Math.min((k + 1) * tl.bucket_ns, span));
        live.push(v);
        allocs.push(tl.allocations[k]);
        if (f && f.process === pi) mine.push(f.t.timeline.allocations[k] || 0);
      });
      /* Counts per bucket: from the bucket's start to its end. */
      var bxs = [0].concat(bx), step = function (a) { return [a[0]].concat(a); };
      var memSeries = [{ id: 'live', xs: bx, ys: live, cls: 'series-live', area: !p.resources, label: 'live heap' }];
      var rt = p.resources && p.resources.timeline;
      if (rt) memSeries.unshift({ id: 'rss', xs: rt.time_ns, ys: rt.rss_bytes, cls: 'series-rss', area: true, label: 'RSS' });
      var allocSeries = [{ id: 'allocations', xs: bxs, ys: step(allocs), cls: 'series-a', area: true, step: true, label: 'allocations, all threads' }];
      if (mine.length) allocSeries.push({ id: 'focus', xs: bxs, ys: step(mine), cls: 'series-focus', area: false, step: true, label: 'focused: ' + f.label });
      var figs = [
        h('figure', null, h('figcaption', { text: p.peak.bytes ? 'Live heap' + (rt ? ' and RSS' : '') + ' (peak live ' + fig(p.peak.bytes, bytes) + ' at ' + ms(p.peak.time_ns) + ')' : 'Blocks live at exit, by allocation time (leaks mode)' }),
          timeChart(memSeries, { id: 'memory', title: 'memory over time', fmt: bytes, base: 1024, span: span, yTitle: 'bytes' })),
        h('figure', null, h('figcaption', { text: 'Allocations per time bucket (' + ms(tl.bucket_ns) + ' each)' }),
          timeChart(allocSeries, { id: 'allocations', title: 'allocations over time', fmt: num, whole: true, span: span, yTitle: 'allocations per bucket' }))
      ];
      var facts = null;
      if (rt) {
        var r = p.resources.summary;
        figs.push(
          h('figure', null, h('figcaption', { text: 'CPU (% of one core; peak ' + pct1(r.peak_cpu_percent) + ', average ' + pct1(r.average_cpu_percent) + ')' }),
            timeChart([{ id: 'cpu', xs: rt.time_ns, ys: rt.cpu_percent, cls: 'series-cpu', area: true, label: 'CPU' }],
                      { id: 'cpu', title: 'CPU over time', fmt: function (v) { return trimNum(v) + '%'; }, span: span, yTitle: '% of one core' })),
          h('figure', null, h('figcaption', { text: 'The program\u2019s storage I/O (' + bytes(r.read_bytes) + ' read, ' + bytes(r.write_bytes) + ' written; memscope\u2019s own file left out)' }),
            timeChart([{ id: 'read', xs: rt.time_ns, ys: rt.read_bytes_per_s, cls: 'series-read', area: false, label: 'read' },
                       { id: 'write', xs: rt.time_ns, ys: rt.write_bytes_per_s, cls: 'series-write', area: false, label: 'written' }],
                      { id: 'io', title: 'I/O over time', fmt: perSecond(bytes), base: 1024, span: span, yTitle: 'bytes per second' })),
          h('figure', null, h('figcaption', { text: 'Virtual size (peak ' + bytes(r.peak_vsize_bytes) + ')' }),
            timeChart([{ id: 'vsize', xs: rt.time_ns, ys: rt.vsize_bytes, cls: 'series-a', area: true, label: 'virtual size' }],
                      { id: 'vsize', title: 'virtual size over time', fmt: bytes, base: 1024, span: span, yTitle: 'bytes' })));
        facts = [
          ['ticks', num(r.ticks) + (rt.ticks_per_point > 1 ? ' (' + rt.ticks_per_point + ' per point)' : '')],
          ['peak RSS', bytes(r.peak_rss_bytes) + ' at ' + ms(r.peak_rss_time_ns)], ['peak virtual size', bytes(r.peak_vsize_bytes)],
          ['CPU (of one core)', 'peak ' + pct1(r.peak_cpu_percent) + ', average ' + pct1(r.average_cpu_percent)],
          ['CPU time', secs(r.cpu_user_ns) + ' user, ' + secs(r.cpu_system_ns) + ' system'],
          ['I/O of the program', bytes(r.read_bytes) + ' read, ' + bytes(r.write_bytes) + ' written'],
          ['page faults', num(r.minor_faults) + ' minor, ' + num(r.major_faults) + ' major'],
          ['context switches', num(r.voluntary_switches) + ' voluntary, ' + num(r.involuntary_switches) + ' involuntary']
        ];
      }
      tlBody.appendChild(h('div', { class: 'timeline res-process', data: { process: pi } },
        h('h3', { text: procName(p) }),
        facts ? h('dl', { class: 'res-facts' }, facts.map(function (x) { return h('div', null, h('dt', { text: x[0] }), h('dd', { text: x[1] })); }))
              : h('p', { class: 'empty res-empty', text: 'no resource data recorded (set MEMSCOPE_RESOURCE_INTERVAL, e.g. 100ms, when running the program, for RSS, CPU and I/O)' }),
        h('div', { class: 'chart-pair' }, figs)));
    });
    if (procs.length > 8) tlBody.appendChild(h('p', { class: 'note', text: (procs.length - 8) + ' more processes not drawn.' }));
  }
  refreshers.push(drawTimelines);

  /* --- Overview: phases ------------------------------------------------------------------ */

  if (procs.some(function (p) { return p.phases.length; })) {
    var phSec = section('overview', 'Phases', 'Allocations made while each phase (memscope_phase) was current.');
    var tb = h('tbody');
    procs.forEach(function (p) {
      p.phases.forEach(function (ph) {
        tb.appendChild(h('tr', null, h('td', { text: procName(p) }),
          h('td', { text: ph.id ? String(ph.id) : '-' }),
          h('td', { text: ph.id === 0 ? '(no phase)' : (ph.label === null ? '?' : ph.label) }),
          h('td', { class: 'num', text: fig(ph.allocations, num) }), h('td', { class: 'num', text: fig(ph.bytes, bytes) }),
          h('td', { class: 'num', text: ph.time_ns === null ? '-' : ms(ph.time_ns) })));
      });
    });
    phSec.appendChild(h('table', { class: 'data' }, h('thead', null, h('tr', null,
      ['Process', 'Phase', 'Label', 'Allocations', 'Bytes', 'Named at'].map(function (c) { return h('th', { text: c }); }))), tb));
  }

  /* --- Threads: the grid of cards ---------------------------------------------------------- */

  var PAGE_CARDS = 60;
  var gridSec = section('threads', 'Threads', 'Click a card to focus that thread everywhere in the report; click again to clear. CPU and I/O come from the resource sampler.');
  var gridFilter = h('input', { type: 'search', placeholder: 'filter by name, index or tid', class: 'filter', id: 'thread-filter' });
  /* Sorts of the grid: a value per thread row, highest first (by index: in order). */
  var gridSorts = [
    ['alert', 'alert level', function (t) { return t.alert; }], ['allocations', 'allocations', threadAllocs],
    ['peak', 'peak live heap', threadPeak], ['bytes_allocated', 'bytes', function (t) { return t.t.counts.bytes_allocated; }],
    ['cpu_ns', 'CPU time', cpuNs], ['thread', 'index', null]
  ];
  var gridSort = h('select', { id: 'thread-sort' }, gridSorts.map(function (o) {
    return h('option', { value: o[0], text: 'sort: ' + o[1] });
  }));
  var gridPager = h('div', { class: 'pager' });
  var grid = h('div', { id: 'thread-grid', class: 'grid' });
  gridSec.appendChild(h('div', { class: 'controls' }, gridFilter, gridSort, gridPager));
  gridSec.appendChild(grid);
  gridFilter.addEventListener('input', function () { state.grid.filter = gridFilter.value.toLowerCase(); state.grid.page = 0; drawGrid(); });
  gridSort.addEventListener('change', function () { state.grid.sort = gridSort.value; state.grid.page = 0; drawGrid(); });
  function gridList() {
    var f = state.grid.filter, key = state.grid.sort;
    var value = gridSorts.filter(function (o) { return o[0] === key; })[0][2];
    var list = threads.filter(function (t) {
      return !f || (t.label + ' #' + t.thread + ' ' + (t.t.os_tid === null ? '' : t.t.os_tid)).toLowerCase().indexOf(f) >= 0;
    });
    return list.sort(function (a, b) {
      if (!value) return a.process - b.process || a.thread - b.thread;
      /* Alerts of one level: the busiest first. */
      return (value(b) || 0) - (value(a) || 0) || (key === 'alert' ? threadAllocs(b) - threadAllocs(a) : 0) || a.index - b.index;
    });
  }
  function pager(box, page, total, per, go) {
    clear(box);
    var pages = Math.max(1, Math.ceil(total / per));
    append(box, [
      h('button', { type: 'button', class: 'prev', text: '‹ prev', disabled: page <= 0 ? 'disabled' : null, on: { click: function () { go(page - 1); } } }),
      h('span', { class: 'page-info', text: total ? (page * per + 1) + '–' + Math.min(total, (page + 1) * per) + ' of ' + num(total) : '0 of 0' }),
      h('button', { type: 'button', class: 'next', text: 'next ›', disabled: page >= pages - 1 ? 'disabled' : null, on: { click: function () { go(page + 1); } } })
    ]);
  }
  function drawGrid() {
    var list = gridList(), page = state.grid.page;
    pager(gridPager, page, list.length, PAGE_CARDS, function (p) { state.grid.page = p; drawGrid(); });
    clear(grid);
    list.slice(page * PAGE_CARDS, (page + 1) * PAGE_CARDS).forEach(function (t) {
      var a = t.t.alert, why = a.reasons.map(function (r) { return r.text; }).join('; '), res = t.res;
      grid.appendChild(h('div', {
        class: 'thread-card alert-' + a.level + (isFocused(t) ? ' focused' : ''), tabindex: '0', role: 'button',
        data: { key: t.key, alert: a.level }, title: a.reasons.length ? 'alert: ' + why : 'no alert',
        on: { click: function () { setFocus(t); }, keydown: function (e) { if (e.key === 'Enter') setFocus(t); } }
      },
        h('div', { class: 'tc-head' }, h('span', { class: 'tc-name', text: t.label }),
          h('span', { class: 'alert-badge', text: a.level })),
        h('div', { class: 'tc-id', text: '#' + t.thread + (t.t.os_tid !== null ? ' · tid ' + t.t.os_tid : '') + (procs.length > 1 ? ' · pid ' + t.pid : '') }),
        h('dl', { class: 'tc-stats' },
          h('dt', { text: 'allocs' }), h('dd', { text: num(threadAllocs(t)) }),
          h('dt', { text: 'peak' }), h('dd', { text: fig(t.t.peak_live_bytes, bytes) }),
          h('dt', { text: 'CPU' }),
          !res ? h('dd', { class: 'na', title: 'not seen by the resource sampler', text: '—' })
                              : h('dd', { class: 'cpu', title: CPU_WHY, text: cpuText(cpuNs(t)) + ' · ' + pct1(100 * res.cpu_share) }),
          h('dt', { text: 'I/O' }),
          !res || res.read_bytes === null ? h('dd', { class: 'na', title: !res ? 'not seen by the resource sampler' : 'the runtime did not sample this thread\u2019s I/O', text: '—' })
                                          : h('dd', { class: 'io', title: 'bytes read / written', text: bytes(res.read_bytes) + ' / ' + bytes(res.write_bytes) })),
        a.reasons.length ? h('div', { class: 'tc-reason', text: why }) : null));
    });
    if (!list.length) grid.appendChild(h('p', { class: 'empty', text: 'no thread matches' }));
  }
  refreshers.push(drawGrid);

  /* --- Sites: the sortable, filterable table --------------------------------------------- */

  var PAGE_ROWS = 50;
  var siteSec = section('sites', 'Allocation sites', 'Click a column to sort, a row to see the functions it was inlined into. ' + (estNote || ''));
  var siteFilter = h('input', { type: 'search', placeholder: 'filter: function, file, id, api', class: 'filter', id: 'site-filter' });
  var siteKind = h('select', { id: 'site-kind' }, [['all', 'all sites'], ['alloc', 'allocation sites'], ['free', 'free sites']].map(function (o) {
    return h('option', { value: o[0], text: o[1] });
  }));
  var focusOnly = h('input', { type: 'checkbox', id: 'site-focus-only' });
  var sitePager = h('div', { class: 'pager' });
  siteSec.appendChild(h('div', { class: 'controls' }, siteFilter, siteKind,
    h('label', { class: 'check' }, focusOnly, ' only sites whose top thread is the focused one'), sitePager));
  /* Columns: [id, title, value of a site row, format (numeric columns), an estimate?]. */
  var siteCols = [
    ['fn', 'Function', function (x) { return x.fn; }], ['loc', 'Location', function (x) { return x.loc; }],
    ['api', 'API', function (x) { return x.api; }], ['calls', 'Calls', siteCalls, num], ['bytes', 'Bytes', siteBytes, bytes],
    ['avg', 'Avg size', function (x) { return x.s.sizes.avg; }, bytes], ['max', 'Max size', function (x) { return x.s.sizes.max; }, bytes],
    ['live_bytes', 'Live at exit', function (x) { return val(x.s.counts.live_bytes); }, bytes, true],
    ['short_lived', 'Short-lived', function (x) { return val(x.s.counts.short_lived); }, num, true],
    ['cross_thread', 'Cross-thread', function (x) { return val(x.s.counts.cross_thread_freed); }, num, true],
    ['id', 'Site id', function (x) { return x.id; }]
  ];
  var siteColById = {};
  siteCols.forEach(function (c) { siteColById[c[0]] = c; });
  var siteHead = h('tr');
  siteCols.forEach(function (c) {
    siteHead.appendChild(h('th', { data: { col: c[0] }, class: c[3] ? 'num sortable' : 'sortable', text: c[1], title: 'sort by ' + c[1].toLowerCase(),
      on: { click: function () { sortSites(c[0], !!c[3]); } } }));
  });
  var siteBody = h('tbody');
  siteSec.appendChild(h('div', { class: 'table-wrap' }, h('table', { id: 'site-table', class: 'data' }, h('thead', null, siteHead), siteBody)));
  siteFilter.addEventListener('input', function () { state.sites.filter = siteFilter.value.toLowerCase(); state.sites.page = 0; drawSites(); });
  siteKind.addEventListener('change', function () { state.sites.kind = siteKind.value; state.sites.page = 0; drawSites(); });
  focusOnly.addEventListener('change', function () { state.sites.focusOnly = focusOnly.checked; state.sites.page = 0; drawSites(); });
  function sortSites(col, numeric) {
    var st = state.sites;
    if (st.sort === col) st.desc = !st.desc;
    else { st.sort = col; st.desc = numeric; }
    st.page = 0;
    drawSites();
  }
  function siteList() {
    var st = state.sites, f = st.filter, foc = state.focus;
    var list = sites.filter(function (x) {
      if (st.kind === 'alloc' && x.s.kind === 'free') return false;
      if (st.kind === 'free' && x.s.kind !== 'free') return false;
      if (st.focusOnly && foc && !topThreadIs(x, foc)) return false;
      return !f || searchOf(x).indexOf(f) >= 0;
    });
    var value = siteColById[st.sort][2], dir = st.desc ? -1 : 1;
    return list.sort(function (a, b) {
      var x = value(a), y = value(b);
      if (x < y) return -dir;
      if (x > y) return dir;
      return a.index - b.index;
    });
  }
  function drawSites() {
    var list = siteList(), page = state.sites.page, foc = state.focus;
    pager(sitePager, page, list.length, PAGE_ROWS, function (p) { state.sites.page = p; drawSites(); });
    siteHead.querySelectorAll('th').forEach(function (th) {
      th.classList.toggle('sorted', th.dataset.col === state.sites.sort);
      th.classList.toggle('desc', th.dataset.col === state.sites.sort && state.sites.desc);
    });
    clear(siteBody);
    list.slice(page * PAGE_ROWS, (page + 1) * PAGE_ROWS).forEach(function (x) {
      var mine = foc && topThreadIs(x, foc);
      var tr = h('tr', { class: 'site-row' + (mine ? ' focused' : ''), data: { index: x.index, id: x.id },
                          on: { click: function () { toggleSite(x); } } });
      siteCols.forEach(function (c) {
        var v = c[2](x), text = c[3] ? c[3](v) : v;
        if (c[4] && x.s.counts.estimated) text = '≈' + text;
        tr.appendChild(h('td', { class: c[3] ? 'num' : (c[0] === 'loc' ? 'loc' : null), data: { col: c[0], value: v }, text: text }));
      });
      siteBody.appendChild(tr);
      if (state.sites.open[x.index]) siteBody.appendChild(siteDetail(x));
    });
    if (!list.length) siteBody.appendChild(h('tr', null, h('td', { colspan: siteCols.length, class: 'empty', text: 'no site matches' })));
  }
  /* Whether the thread row t made most of the site's allocations. */
  function topThreadIs(x, t) {
    var tt = x.s.top_thread;
    return !!tt && tt.thread === t.thread && tt.pid === (t.pid || 0);
  }
  function siteDetail(x) {
    var c = x.s.counts, tt = x.s.top_thread;
    var lines = x.s.frames.map(function (f, i) {
      return h('li', null, h('span', { class: 'frame-kind', text: i === 0 ? 'called in' : 'inlined into' }),
               h('code', { text: frameFn(f) }), ' ', h('span', { class: 'loc', text: where(f) }));
    });
    var t = tt ? threadOf(procIndexOfPid(tt.pid), tt.thread) : null;
    return h('tr', { class: 'site-detail' }, h('td', { colspan: siteCols.length },
      lines.length ? h('ol', { class: 'frames' }, lines) : h('p', { class: 'empty', text: 'no site record: location unknown' }),
      h('p', { class: 'detail-line' }, 'allocations ' + num(c.allocations) + ', frees ' + num(c.frees) + ', sizes ' + bytes(x.s.sizes.min) + '–' + bytes(x.s.sizes.max) +
        ', live blocks at exit ' + fig(c.live_blocks, num) + '. Top thread: ',
        t ? h('a', { href: '#', class: 'link', text: t.label + ' #' + t.thread, on: { click: function (e) { e.preventDefault(); e.stopPropagation(); setFocus(t); } } }) : 'none')));
  }
  function toggleSite(x) {
    state.sites.open[x.index] = !state.sites.open[x.index];
    drawSites();
  }
  function goToSite(x) {
    siteFilter.value = x.id;
    state.sites.filter = x.id.toLowerCase();
    state.sites.kind = 'all';
    siteKind.value = 'all';
    state.sites.page = 0;
    state.sites.open[x.index] = true;
    drawSites();
    showTab('sites');
  }
  refreshers.push(drawSites);

  /* --- Flame graph of allocation paths -----------------------------------------------------
   * Built from whole paths (docs/json.md, site and stack): a site's own chain (none for an
   * uninstrumented site), then each of its stacks' frames [outer_from, outer_to), so the
   * roots are the threads' entries and main.  A site's value (the number its table row
   * shows) is split among its stacks in proportion to their estimates, by largest
   * remainders as the merge's folded and pprof reports split it, so the parts add up to
   * the whole; a frame that holds such a share is an estimate and is drawn hatched.  What
   * no stack explains (no stacks, or all their estimates 0) stays on the site's own chain. */

  var flameSec = section('flame', 'Flame graph of allocation paths',
    'Whole allocation paths: the threads\u2019 entry functions and main at the top, then each caller, the allocating function and its api at the bottom; a frame\u2019s width is its share of the chosen measure. Click a frame to zoom in, the top bar to zoom out.');
  var flameMetric = h('select', { id: 'flame-metric' }, [['bytes', 'bytes allocated'], ['calls', 'allocations'], ['live_bytes', 'live at exit']].map(function (o) {
    return h('option', { value: o[0], text: o[1] });
  }));
  var flameReset = h('button', { type: 'button', id: 'flame-reset', text: 'Reset zoom', on: { click: function () { state.flame.path = []; drawFlame(); } } });
  var flameSearch = h('input', { type: 'search', placeholder: 'search: function or file', class: 'filter', id: 'flame-search' });
  var flameFound = h('span', { id: 'flame-found', class: 'found' });
  var flameBox = h('div', { id: 'flame', class: 'flame' });
  var flameDetails = h('details', { open: 'open', class: 'flame-details' }, h('summary', { text: 'Flame graph (click to collapse)' }), flameBox);
  /* Colours: the program's own code warm, other code (system libraries, the C library,
   * memscope, unknown) in greys, the api leaf blue; hatched: an estimate. */
  var ORIGINS = [['own', 'the program\u2019s own code'], ['system', 'system libraries and headers'], ['libc', 'the C library'],
                 ['memscope', 'memscope'], ['unknown', 'unknown'], ['api', 'allocation function']];
  var flameLegend = h('div', { class: 'flame-legend', id: 'flame-legend' },
    ORIGINS.map(function (o) {
      return h('span', { class: 'legend-item', data: { origin: o[0] } }, h('span', { class: 'swatch origin-' + o[0] }), o[1]);
    }),
    h('span', { class: 'legend-item', data: { origin: 'estimate' } }, h('span', { class: 'swatch hatched' }),
      '\u2248 values split among sampled stacks, or sampled: estimates (~ in the tooltip)'));
  flameSec.appendChild(h('div', { class: 'controls' }, flameMetric, flameReset, flameSearch, flameFound));
  flameSec.appendChild(flameLegend);
  flameSec.appendChild(flameDetails);
  flameMetric.addEventListener('change', function () { state.flame.metric = flameMetric.value; state.flame.path = []; drawFlame(); });
  flameSearch.addEventListener('input', function () { state.flame.search = flameSearch.value; flameHighlight(); });
  var FLAME_EST = { bytes: 'est_bytes', calls: 'est_calls', live_bytes: 'live_est_bytes' };
  var flameTrees = {}, flameDrawn = [], flameRoot = null;
  /* whole split into parts in proportion to weights: floor each, then one more to the
   * largest remainders (the earlier on ties) until they add up; null when they sum to 0. */
  function splitWhole(whole, weights) {
    var sum = 0, given = 0, parts = [], rest = [];
    weights.forEach(function (w) { sum += w; });
    if (!(sum > 0)) return null;
    weights.forEach(function (w, i) {
      var x = whole * w / sum;
      parts[i] = Math.floor(x);
      rest[i] = x - parts[i];
      given += parts[i];
    });
    var order = weights.map(function (w, i) { return i; }).sort(function (a, b) { return rest[b] - rest[a] || a - b; });
    for (var k = 0; given < whole && k < order.length; k++) { parts[order[k]]++; given++; }
    return parts;
  }
  /* A path frame's name: its function, else its image and address (said unknown). */
  function pathName(f) {
    if (f.function) return f.function;
    if (f.file) return '(no function name, in ' + baseName(f.file) + ')';
    if (f.module) return baseName(f.module) + '+' + f.address + ' (no symbols)';
    return '(unknown function)';
  }
  function flameNode(name, origin) {
    return { name: name, origin: origin, value: 0, est: 0, samples: 0, kids: Object.create(null), order: [], site: null, files: [], search: null };
  }
  /* v of site x along frames (outermost first), then its api leaf; est: v is an estimate
   * resting on that many samples. */
  function flameAdd(root, frames, x, v, est, samples) {
    function count(n) {
      n.value += v;
      if (est) { n.est += v; n.samples += samples; }
    }
    var node = root;
    count(root);
    for (var i = 0; i <= frames.length; i++) {
      var f = frames[i], name = f ? pathName(f) : '[' + x.api + ']';
      var k = node.kids[name];
      if (!k) { k = node.kids[name] = flameNode(name, f ? f.origin || 'unknown' : 'api'); node.order.push(k); }
      if (f && f.file && k.files.length < 4 && k.files.indexOf(f.file) < 0) k.files.push(f.file);
      if (!f) k.site = x;
      count(k);
      node = k;
    }
  }
  function flameTree(metric) {
    if (flameTrees[metric]) return flameTrees[metric];
    var root = flameNode('all', null), value = siteColById[metric][2], key = FLAME_EST[metric];
    sites.forEach(function (x) {
      if (x.s.kind === 'free') return;
      var v = value(x);
      if (!v) return;
      var own = x.s.uninstrumented ? [] : x.s.frames.map(function (f) { return f.origin ? f : { function: f.function, file: f.file, origin: 'own' }; });
      var stacks = x.s.stacks || [];
      var parts = stacks.length ? splitWhole(v, stacks.map(function (st) { return val(st[key]); })) : null;
      var whole = metric === 'live_bytes' ? x.s.counts.live_bytes : null;
      function add(inner, v, est, samples) {
        var path = inner.slice().reverse();
        flameAdd(root, path.length ? path : [{ function: x.s.uninstrumented ? '(uninstrumented code: no stack sampled)' : x.fn, origin: 'unknown' }], x, v, est, samples);
      }
      if (parts) {
        stacks.forEach(function (st, i) {
          if (parts[i]) add(own.concat(st.frames.slice(st.outer_from, st.outer_to)), parts[i], true, st.samples);
        });
      } else {
        add(own, v, !!whole && whole.samples !== undefined, whole && whole.samples || 0);
      }
    });
    return flameTrees[metric] = root;
  }
  function flameColour(n, ancestor) {
    var x = hash(n.name), light = ancestor ? 14 : 0;
    switch (n.origin) {
    case 'own': return 'hsl(' + (20 + x % 40) + ',70%,' + (62 + light) + '%)';
    case 'api': return 'hsl(200,70%,' + (62 + light) + '%)';
    case 'system': return 'hsl(215,9%,' + (64 + x % 8 + light) + '%)';
    case 'libc': return 'hsl(0,0%,' + (56 + x % 6 + light) + '%)';
    case 'memscope': return 'hsl(265,12%,' + (70 + x % 6 + light) + '%)';
    default: return 'hsl(0,0%,' + (80 + light / 2) + '%)';
    }
  }
  var ORIGIN_TEXT = { own: 'own code', system: 'system code', libc: 'C library', memscope: 'memscope', unknown: 'origin unknown', api: 'allocation function' };
  function flameTitle(n, fmt, total) {
    var lines = [n.name + (n.origin ? ' (' + ORIGIN_TEXT[n.origin] + ')' : '')];
    n.files.forEach(function (f) { lines.push(f); });
    lines.push((n.est ? '~' : '') + fmt(n.value) + ' (' + pct(n.value, total) + ')');
    if (!n.est) lines.push('exact');
    else lines.push('estimated from ' + num(n.samples) + (n.samples === 1 ? ' sample' : ' samples') +
                    (n.est < n.value ? ' (' + fmt(n.value - n.est) + ' of it exact)' : ''));
    return lines.join('\n');
  }
  function drawFlame() {
    clear(flameBox);
    flameDrawn = [];
    var metric = state.flame.metric, root = flameRoot = flameTree(metric), fmt = metric === 'calls' ? num : bytes;
    if (!root.value) { flameBox.appendChild(h('p', { class: 'empty', text: 'nothing allocated' })); flameHighlight(); return; }
    /* The zoomed node: follow the path of names from the root. */
    var chain = [root], node = root;
    for (var i = 0; i < state.flame.path.length; i++) {
      var next = node.kids[state.flame.path[i]];
      if (!next) { state.flame.path = state.flame.path.slice(0, i); break; }
      chain.push(next);
      node = next;
    }
    var W = 1200, RH = 18, rowsOut = [];
    /* Ancestors of the zoomed node, full width: click one to zoom out to it. */
    chain.forEach(function (n, depth) { rowsOut.push({ n: n, x: 0, w: W, depth: depth, path: state.flame.path.slice(0, depth), anc: depth < chain.length - 1 }); });
    var minW = 0.5, drawn = 0, LIMIT = 4000;
    (function walk(n, x, w, depth, path) {
      var cx = x;
      n.order.slice().sort(function (a, b) { return b.value - a.value; }).forEach(function (k) {
        var kw = w * k.value / n.value;
        if (kw >= minW && drawn < LIMIT) {
          drawn++;
          var kp = path.concat([k.name]);
          rowsOut.push({ n: k, x: cx, w: kw, depth: depth + 1, path: kp });
          walk(k, cx, kw, depth + 1, kp);
        }
        cx += kw;
      });
    })(node, 0, W, chain.length - 1, state.flame.path);
    var depthMax = 0;
    rowsOut.forEach(function (r) { if (r.depth > depthMax) depthMax = r.depth; });
    var svgH = (depthMax + 1) * RH + 2;
    var g = s('svg', { viewBox: '0 0 ' + W + ' ' + svgH, class: 'flame-svg', width: '100%' },
      s('defs', {}, s('pattern', { id: 'flame-hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
        s('rect', { width: 2.5, height: 6, fill: 'rgba(255,255,255,0.45)' }))));
    rowsOut.forEach(function (r) {
      var n = r.n, y = r.depth * RH, w = Math.max(r.w - 0.5, 0.1).toFixed(2);
      var node = s('g', { class: 'node' + (r.anc ? ' ancestor' : '') + (n.est ? ' est' : ''), 'data-path': JSON.stringify(r.path),
                          'data-name': n.name, 'data-origin': n.origin || '', 'data-value': n.value, 'data-est': n.est ? 1 : 0 },
        s('title', { text: flameTitle(n, fmt, root.value) }),
        s('rect', { class: 'frame', x: r.x.toFixed(2), y: y, width: w, height: RH - 1, fill: flameColour(n, r.anc) }));
      if (n.est) node.appendChild(s('rect', { class: 'hatch', x: r.x.toFixed(2), y: y, width: w, height: RH - 1, fill: 'url(#flame-hatch)' }));
      var chars = Math.floor((r.w - 6) / 7);
      if (chars >= 3) {
        var label = n.name.length > chars ? n.name.slice(0, chars - 1) + '\u2026' : n.name;
        node.appendChild(s('text', { x: (r.x + 3).toFixed(2), y: y + 13, text: label }));
      }
      node.addEventListener('click', function () {
        if (n.site && n.order.length === 0) { goToSite(n.site); return; } /* a leaf: its site */
        state.flame.path = r.path;
        drawFlame();
      });
      flameDrawn.push({ g: node, n: n });
      g.appendChild(node);
    });
    flameBox.appendChild(g);
    flameBox.appendChild(h('p', { class: 'note', id: 'flame-shown', text: 'Showing ' + (node.est ? '~' : '') + fmt(node.value) + ' of ' + (root.est ? '~' : '') + fmt(root.value) +
      ' (' + pct(node.value, root.value) + '). ' + (drawn >= LIMIT ? 'Only the ' + LIMIT + ' widest frames are drawn.' : '') }));
    flameHighlight();
  }
  /* Search: the frames whose function or one of whose files holds the text (any case) are
   * highlighted, the others dimmed; what they cover is counted over the whole graph, a
   * match's own descendants not again. */
  function flameMatch(n, q) {
    if (n.search === null) n.search = (n.name + '\n' + n.files.join('\n')).toLowerCase();
    return n.search.indexOf(q) >= 0;
  }
  function flameCovered(n, q) {
    var sum = 0, est = false;
    n.order.forEach(function (k) {
      if (flameMatch(k, q)) { sum += k.value; est = est || k.est > 0; return; }
      var c = flameCovered(k, q);
      sum += c.sum;
      est = est || c.est;
    });
    return { sum: sum, est: est };
  }
  function flameHighlight() {
    var q = (state.flame.search || '').toLowerCase(), svg = flameBox.querySelector('svg'), shown = 0;
    flameDrawn.forEach(function (d) {
      var m = !!q && flameMatch(d.n, q);
      d.g.classList.toggle('match', m);
      if (m) shown++;
    });
    if (svg) svg.classList.toggle('searching', !!q);
    clear(flameFound);
    delete flameFound.dataset.covered;
    if (!q || !flameRoot) return;
    var c = flameCovered(flameRoot, q), fmt = state.flame.metric === 'calls' ? num : bytes;
    flameFound.dataset.covered = String(c.sum);
    flameFound.dataset.frames = String(shown);
    flameFound.textContent = c.sum ? 'matches cover ' + (c.est ? '~' : '') + fmt(c.sum) + ' of ' + fmt(flameRoot.value) + ' (' + pct(c.sum, flameRoot.value) + '), ' +
      num(shown) + (shown === 1 ? ' frame' : ' frames') + ' highlighted' : 'no frame matches';
  }
  function hash(str) { var x = 0; for (var i = 0; i < str.length; i++) x = (x * 31 + str.charCodeAt(i)) >>> 0; return x; }
  lazy.flame = drawFlame;

  /* --- Bottlenecks ------------------------------------------------------------------------- */

  var bnSec = section('bottlenecks', 'Bottlenecks', 'Problems the analysis found, by severity (0..1), each with a suggestion.');
  var bnFocus = h('input', { type: 'checkbox', id: 'bn-focus-only' });
  bnSec.appendChild(h('div', { class: 'controls' }, h('label', { class: 'check' }, bnFocus, ' only those about the focused thread')));
  var bnBody = h('div', { class: 'bottlenecks' });
  bnSec.appendChild(bnBody);
  bnFocus.addEventListener('change', function () { state.bottlenecksFocusOnly = bnFocus.checked; drawBottlenecks(); });
  function drawBottlenecks() {
    clear(bnBody);
    var foc = state.focus;
    var list = D.bottlenecks.filter(function (b) {
      return !state.bottlenecksFocusOnly || !foc || (b.pid === (foc.pid || 0) && b.thread === foc.thread);
    });
    if (!list.length) { bnBody.appendChild(h('p', { class: 'empty', text: 'no bottleneck found' })); return; }
    list.slice(0, 200).forEach(function (b) {
      var t = b.thread ? threadOf(procIndexOfPid(b.pid), b.thread) : null;
      var st = siteById[b.site] || null;
      var mine = foc && t && t.key === foc.key;
      bnBody.appendChild(h('div', { class: 'bottleneck sev-' + b.level + (mine ? ' focused' : ''), data: { level: b.level } },
        h('div', { class: 'bn-head' }, h('span', { class: 'sev', text: b.severity.toFixed(2) }),
          h('span', { class: 'sev-track' }, h('span', { class: 'sev-bar', style: 'width:' + (100 * b.severity).toFixed(0) + '%' })),
          h('span', { class: 'bn-type', text: b.type.replace(/_/g, ' ') }),
          t ? h('a', { href: '#', class: 'link', text: t.label + ' #' + t.thread, on: { click: function (e) { e.preventDefault(); setFocus(t); } } }) : null,
          st ? h('a', { href: '#', class: 'link', text: st.fn, on: { click: function (e) { e.preventDefault(); goToSite(st); } } }) : null),
        h('p', { class: 'bn-desc', text: b.description }),
        h('p', { class: 'bn-sugg' }, h('strong', { text: 'Suggestion: ' }), b.suggestion)));
    });
    if (list.length > 200) bnBody.appendChild(h('p', { class: 'note', text: (list.length - 200) + ' more not shown.' }));
  }
  refreshers.push(drawBottlenecks);

  /* --- Cross-thread matrix ----------------------------------------------------------------- */

  var mxSec = section('matrix', 'Cross-thread frees', 'Bytes allocated by the thread of the row and freed by the thread of the column (the number in each cell; darker is more, on a log scale; \u2248: estimated from samples). The 24 threads most involved are shown; hover a cell for blocks and names, click it to focus the allocating thread.');
  var mxBody = h('div', { class: 'matrix-wrap' });
  mxSec.appendChild(mxBody);
  function drawMatrix() {
    clear(mxBody);
    var first = procs.findIndex(function (p) { return p.cross_thread && p.cross_thread.length; });
    if (first < 0) { mxBody.appendChild(h('p', { class: 'empty', text: 'no block was freed by another thread than the one that allocated it' })); return; }
    var foc = state.focus, pi = foc ? foc.process : first;
    var cells = procs[pi].cross_thread || [];
    if (!cells.length) { mxBody.appendChild(h('p', { class: 'empty', text: 'no cross-thread frees in the focused thread\u2019s process' })); return; }
    var weight = {};
    cells.forEach(function (c) {
      weight[c.alloc_thread] = (weight[c.alloc_thread] || 0) + c.bytes.value;
      weight[c.free_thread] = (weight[c.free_thread] || 0) + c.bytes.value;
    });
    var ids = Object.keys(weight).map(Number).sort(function (a, b) { return weight[b] - weight[a] || a - b; }).slice(0, 24);
    if (foc && foc.process === pi && ids.indexOf(foc.thread) < 0 && weight[foc.thread]) ids[ids.length - 1] = foc.thread;
    ids.sort(function (a, b) { return a - b; });
    var at = {}, max = 0;
    cells.forEach(function (c) { at[c.alloc_thread + ':' + c.free_thread] = c; if (c.bytes.value > max) max = c.bytes.value; });
    var table = h('table', { class: 'matrix', id: 'cross-matrix' });
    table.appendChild(h('tr', null, h('th', { class: 'corner', text: 'alloc ↓ / free →' }), ids.map(function (id) {
      return h('th', { class: foc && foc.process === pi && foc.thread === id ? 'focused' : null, title: threadName(pi, id), text: '#' + id });
    })));
    ids.forEach(function (a) {
      var tr = h('tr', null, h('th', { class: foc && foc.process === pi && foc.thread === a ? 'focused' : null, title: threadName(pi, a), text: '#' + a }));
      ids.forEach(function (f) {
        var c = at[a + ':' + f], v = c ? c.bytes.value : 0;
        var alpha = v ? 0.15 + 0.85 * Math.log(1 + v) / Math.log(1 + max) : 0;
        var hot = foc && foc.process === pi && (foc.thread === a || foc.thread === f);
        tr.appendChild(h('td', { class: (hot ? 'focus-line ' : '') + (v ? 'has' : 'none') + (alpha > 0.55 ? ' dark' : ''), style: v ? 'background:rgba(190,60,40,' + alpha.toFixed(2) + ')' : null,
          title: threadName(pi, a) + ' \u2192 ' + threadName(pi, f) + ': ' + (c ? fig(c.blocks, num) + ' blocks, ' + fig(c.bytes, bytes) : 'none'),
          data: { value: v }, text: v ? (c.bytes.samples !== undefined ? '\u2248' : '') + bytes(v) : '\u00b7',
          on: v ? { click: function () { var t = threadOf(pi, a); if (t) setFocus(t); } } : null }));
      });
      table.appendChild(tr);
    });
    mxBody.appendChild(table);
    /* The legend: the colour scale from the smallest to the largest cell, and the axes. */
    var low = cells.reduce(function (m, c) { return c.bytes.value > 0 && c.bytes.value < m ? c.bytes.value : m; }, max);
    var stops = [low, Math.sqrt(low * max), max].map(function (v) {
      var alpha = 0.15 + 0.85 * Math.log(1 + v) / Math.log(1 + max);
      return h('span', { class: 'mx-stop' }, h('span', { class: 'mx-swatch', style: 'background:rgba(190,60,40,' + alpha.toFixed(2) + ')' }), bytes(v));
    });
    mxBody.appendChild(h('div', { class: 'mx-legend', id: 'matrix-legend' },
      h('span', { class: 'mx-axes', text: 'rows: the allocating thread \u2193 \u00b7 columns: the freeing thread \u2192 \u00b7 cells: bytes freed across (\u00b7 none)' }),
      h('span', { class: 'mx-scale' }, 'colour: ', stops),
      h('span', { class: 'mx-names' }, ids.map(function (id) { return '#' + id + ' ' + (threadOf(pi, id) ? threadOf(pi, id).label : '?'); }).join(', '))));
  }
  refreshers.push(drawMatrix);

  /* --- System summary ---------------------------------------------------------------------- */

  var sysSec = section('system', 'System summary');
  (function () {
    var tb = h('tbody');
    procs.forEach(function (p) {
      var start = p.start_unix_ns ? new Date(p.start_unix_ns / 1e6).toISOString() : '-';
      tb.appendChild(h('tr', null, [pidText(p), p.program || '?', (p.mode || '?') + (p.sampled && p.sampler ? ' (' + p.sampler + (p.sample_interval ? ', ' + bytes(p.sample_interval) : '') + ')' : ''),
        num(p.threads.length), num(p.events), p.complete ? 'complete (' + (p.end_reason || '?') + ')' : 'incomplete', start, ms(p.last_event_ns),
        num(p.replay.window_max_events), num(p.replay.late_events)].map(function (v) { return h('td', { text: String(v) }); })));
    });
    sysSec.appendChild(h('h3', { text: 'Processes' }));
    sysSec.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data' }, h('thead', null, h('tr', null,
      ['pid', 'program', 'mode', 'threads', 'events', 'state', 'started', 'last event', 'replay window', 'late events'].map(function (c) { return h('th', { text: c }); }))), tb)));
    var ti = h('tbody');
    D.inputs.forEach(function (i) {
      var problem = i.problem ? (i.problem.offset !== null ? 'offset ' + i.problem.offset + ': ' : '') + i.problem.message : '';
      ti.appendChild(h('tr', null, h('td', { text: i.path }), h('td', { text: i.filtered ? 'not selected' : i.usable ? (i.problem ? 'partly read' : 'ok') : 'no usable data' }),
        h('td', { text: problem })));
    });
    sysSec.appendChild(h('h3', { text: 'Inputs' }));
    sysSec.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data' }, h('thead', null, h('tr', null,
      ['file', 'status', 'problem'].map(function (c) { return h('th', { text: c }); }))), ti)));
    sysSec.appendChild(h('h3', { text: 'Resources' }));
    if (!resProcs.length) {
      sysSec.appendChild(h('p', { class: 'empty', text: 'no resource data recorded (CPU, RSS, page faults and I/O come from the runtime\u2019s resource sampler: set MEMSCOPE_RESOURCE_INTERVAL)' }));
    } else {
      var tr = h('tbody');
      procs.forEach(function (p) {
        var r = p.resources && p.resources.summary;
        tr.appendChild(h('tr', null, [pidText(p), p.program || '?'].concat(r ? [num(r.ticks), bytes(r.peak_rss_bytes), bytes(r.peak_vsize_bytes), pct1(r.peak_cpu_percent), pct1(r.average_cpu_percent),
          secs(r.cpu_user_ns), secs(r.cpu_system_ns), bytes(r.read_bytes), bytes(r.write_bytes), num(r.minor_faults) + ' / ' + num(r.major_faults),
          num(r.voluntary_switches) + ' / ' + num(r.involuntary_switches)] : ['no resource data recorded']).map(function (v) { return h('td', { text: String(v) }); })));
      });
      sysSec.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'res-processes' }, h('thead', null, h('tr', null,
        ['pid', 'program', 'ticks', 'peak RSS', 'peak virtual', 'peak CPU', 'avg CPU', 'user', 'system', 'read', 'written', 'faults min/maj', 'switches vol/invol'].map(function (c) { return h('th', { text: c }); }))), tr)));
      /* Threads by CPU time, the sampler's view (those that never recorded included). */
      var rows = [];
      procs.forEach(function (p) {
        if (!p.resources) return;
        p.resources.threads.forEach(function (t) { rows.push([p, t]); });
      });
      function cpu(t) { return t.cpu_user_ns + t.cpu_system_ns; }
      rows.sort(function (a, b) { return cpu(b[1]) - cpu(a[1]) || a[1].os_tid - b[1].os_tid; });
      var tt = h('tbody');
      rows.slice(0, 100).forEach(function (x) {
        var p = x[0], t = x[1];
        tt.appendChild(h('tr', null, [procs.length > 1 ? pidText(p) : null, t.thread === null ? '-' : '#' + t.thread, t.os_tid, t.name === null ? '-' : t.name,
          cpuPart(t.cpu_user_ns), cpuPart(t.cpu_system_ns), pct1(100 * t.cpu_share), t.read_bytes === null ? '—' : bytes(t.read_bytes),
          t.write_bytes === null ? '—' : bytes(t.write_bytes)].filter(function (v) { return v !== null; }).map(function (v, i) {
          return h('td', { class: i >= (procs.length > 1 ? 4 : 3) ? 'num' : null, text: String(v) });
        })));
      });
      sysSec.appendChild(h('h3', { text: 'CPU and I/O by thread' }));
      /* How much of each process's CPU its threads' ticks account for: the rest ran
       * between a thread's last tick and its end, or in ticks under 10 ms. */
      procs.forEach(function (p) {
        if (!p.resources) return;
        var sum = 0, r = p.resources.summary, under = 0;
        p.resources.threads.forEach(function (t) { sum += cpu(t); if (!cpu(t)) under++; });
        sysSec.appendChild(h('p', { class: 'note cpu-note', text: procName(p) + ': the threads\u2019 CPU as the sampler saw it adds up to ' + secs(sum) + ' of the process\u2019s ' +
          secs(r.cpu_user_ns + r.cpu_system_ns) + '; ' + num(under) + ' of ' + num(p.resources.threads.length) + ' threads show none (the rest ran between a thread\u2019s last sampler tick and its end, or, with runtimes that counted thread CPU in 10 ms clock ticks, in threads under one tick).' }));
      });
      sysSec.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'res-threads' }, h('thead', null, h('tr', null,
        (procs.length > 1 ? ['pid'] : []).concat(['thread', 'tid', 'name', 'user', 'system', 'CPU share', 'read', 'written']).map(function (c) { return h('th', { text: c }); }))), tt)));
      if (rows.length > 100) sysSec.appendChild(h('p', { class: 'note', text: (rows.length - 100) + ' more threads not shown.' }));
    }
    sysSec.appendChild(h('p', { class: 'note', text: 'Record format version ' + D.format_version + ', report schema ' + D.schema + '.' }));
  })();

  /* --- Start ------------------------------------------------------------------------------- */

  mark('static');
  refreshers.forEach(function (f) { f(); mark(f.name); });
  var initial = (location.hash || '').replace('#', '');
  showTab(panels[initial] ? initial : 'overview');
  document.body.dataset.renderMs = (performance.now() - started).toFixed(1);
  document.body.dataset.renderSteps = steps.join(', ');
  document.body.dataset.ready = '1';
})();
