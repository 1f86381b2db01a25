/* Settings, read once from the environment at start-up (getenv does not allocate).
 *
 * A secure program (AT_SECURE: setuid, setgid or file capabilities) reads none of the
 * MEMSCOPE_* variables, as the sanitizers' runtimes do, and starts no session by itself:
 * otherwise whoever runs it could make it create files, owned by its privileged user,
 * in any directory.  It is profiled only when it calls memscope_start() itself. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct ms_config ms_config = {.mode = MS_MODE_SAMPLED,
                               .sampler = MS_SAMPLER_BYTES,
                               .sample_interval = MS_DEFAULT_SAMPLE_INTERVAL,
                               .uninstrumented = 1,
                               .stack_depth = MS_SAMPLED_STACK_DEPTH,
                               .signals = 1,
                               .out_dir = "."};

const char *ms_mode_name(enum ms_mode mode) {
  return mode == MS_MODE_OFF    ? "off"
         : mode == MS_MODE_FULL  ? "full"
         : mode == MS_MODE_LEAKS ? "leaks"
                                 : "sampled";
}

const char *ms_sampler_name(enum ms_sampler_kind kind) {
  return kind == MS_SAMPLER_ALL ? "all" : kind == MS_SAMPLER_TIERED ? "tiered" : "bytes";
}

/* A byte count with an optional K, M or G suffix (powers of 1024); 0 when invalid. */
static uint64_t parse_bytes(const char *s) {
  uint64_t v = 0;
  if (*s < '0' || *s > '9') return 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    if (v > UINT64_MAX / 10) return 0;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  int shift = 0;
  if (*s == 'k' || *s == 'K') shift = 10, s++;
  else if (*s == 'm' || *s == 'M') shift = 20, s++;
  else if (*s == 'g' || *s == 'G') shift = 30, s++;
  if (*s || v > (UINT64_MAX >> shift)) return 0;
  return v << shift;
}

/* A plain decimal number into *out; 0 when invalid. */
static int parse_u64(const char *s, uint64_t *out) {
  uint64_t v = 0;
  if (*s < '0' || *s > '9') return 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    if (v > (UINT64_MAX - 9) / 10) return 0;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  if (*s) return 0;
  *out = v;
  return 1;
}

/* "250ms", "2s" or a plain number of milliseconds; 0 when invalid. */
static uint64_t parse_duration_ns(const char *s) {
  uint64_t v = 0;
  if (*s < '0' || *s > '9') return 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    if (v > UINT64_MAX / 10) return 0;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  uint64_t unit = 1000000u; /* ms */
  if (strcmp(s, "s") == 0)
    unit = 1000000000u;
  else if (*s && strcmp(s, "ms") != 0)
    return 0;
  return v > UINT64_MAX / unit ? 0 : v * unit;
}

/* The variable, or NULL in a secure program. */
static const char *setting(const char *name) {
  return ms_config.secure ? NULL : getenv(name);
}

void ms_config_load(void) {
  ms_config.secure = ms_os_secure_exec();
  if (ms_config.secure) ms_config.mode = MS_MODE_OFF;
  const char *mode = setting("MEMSCOPE_MODE");
  if (mode && *mode) {
    if (strcmp(mode, "off") == 0)
      ms_config.mode = MS_MODE_OFF;
    else if (strcmp(mode, "full") == 0)
      ms_config.mode = MS_MODE_FULL;
    else if (strcmp(mode, "sampled") == 0)
      ms_config.mode = MS_MODE_SAMPLED;
    else if (strcmp(mode, "leaks") == 0)
      ms_config.mode = MS_MODE_LEAKS;
    else
      ms_os_warn("unknown MEMSCOPE_MODE (off, sampled, full, leaks), using sampled", mode);
  }
  const char *sampler = setting("MEMSCOPE_SAMPLER");
  if (sampler && *sampler) {
    if (strcmp(sampler, "bytes") == 0)
      ms_config.sampler = MS_SAMPLER_BYTES;
    else if (strcmp(sampler, "tiered") == 0)
      ms_config.sampler = MS_SAMPLER_TIERED;
    else
      ms_os_warn("unknown MEMSCOPE_SAMPLER (bytes, tiered), using bytes", sampler);
  }
  const char *interval = setting("MEMSCOPE_SAMPLE_INTERVAL");
  if (interval && *interval) {
    uint64_t v = parse_bytes(interval);
    if (v)
      ms_config.sample_interval = v;
    else
      ms_os_warn("MEMSCOPE_SAMPLE_INTERVAL is not a byte count > 0, using 512K", interval);
  }
  /* Full and leaks modes see every allocation: weight 1, no countdown. */
  if (ms_config.mode == MS_MODE_FULL || ms_config.mode == MS_MODE_LEAKS)
    ms_config.sampler = MS_SAMPLER_ALL;
  const char *resource = setting("MEMSCOPE_RESOURCE_INTERVAL");
  if (resource && *resource) {
    uint64_t ns = parse_duration_ns(resource);
    if (ns >= 1000000u)
      ms_config.resource_interval_ns = ns;
    else
      ms_os_warn("MEMSCOPE_RESOURCE_INTERVAL is not a duration of 1ms or more (e.g. 100ms)",
                 resource);
  }
  const char *uninstrumented = setting("MEMSCOPE_UNINSTRUMENTED");
  if (uninstrumented && *uninstrumented) {
    if (strcmp(uninstrumented, "0") == 0)
      ms_config.uninstrumented = 0;
    else if (strcmp(uninstrumented, "1") != 0)
      ms_os_warn("MEMSCOPE_UNINSTRUMENTED is 0 or 1, using 1", uninstrumented);
  }
  /* Where every allocation is "sampled", every one pays for its stack: fewer frames
   * (docs/runtime.md, "Stacks", has the measurements). */
  if (ms_config.mode == MS_MODE_FULL || ms_config.mode == MS_MODE_LEAKS)
    ms_config.stack_depth = MS_EVERY_EVENT_STACK_DEPTH;
  const char *depth = setting("MEMSCOPE_STACK_DEPTH");
  if (depth && *depth) {
    uint64_t v = 0;
    if (parse_u64(depth, &v) && v <= MS_STACK_MAX)
      ms_config.stack_depth = (uint32_t)v;
    else
      ms_os_warn("MEMSCOPE_STACK_DEPTH is a number of frames from 0 to 64, using the default",
                 depth);
  }
  const char *seed = setting("MEMSCOPE_SEED");
  if (seed && *seed) {
    if (parse_u64(seed, &ms_config.seed))
      ms_config.seeded = 1;
    else
      ms_os_warn("MEMSCOPE_SEED is a decimal number, sampling unseeded", seed);
  }
  const char *clock = setting("MEMSCOPE_CLOCK");
  if (clock && *clock) {
    if (strcmp(clock, "monotonic") == 0)
      ms_config.clock_monotonic = 1;
    else if (strcmp(clock, "auto") != 0)
      ms_os_warn("unknown MEMSCOPE_CLOCK (auto, monotonic), using auto", clock);
  }
  const char *signals = setting("MEMSCOPE_SIGNALS");
  if (signals && strcmp(signals, "0") == 0) ms_config.signals = 0;
  /* A relative directory is the one current now: a later chdir() (daemon()) does not
   * move the profile. */
  const char *out = setting("MEMSCOPE_OUT");
  if (!out || !*out) out = ".";
  if (ms_output_resolve_dir(out, ms_config.out_dir) != 0) {
    ms_os_warn("MEMSCOPE_OUT cannot be resolved, writing to the current directory", out);
    strcpy(ms_config.out_dir, ".");
  }
}
