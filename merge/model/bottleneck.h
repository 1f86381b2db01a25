/* Bottlenecks: the performance problems a profile shows, each with a severity, a
 * description and a suggestion (bottleneck.c, thresholds in docs/merge.md); and the alert level of each thread that they and the
 * thread's own numbers give (docs/json.md, "alert"). */
#ifndef MEMSCOPE_MERGE_BOTTLENECK_H
#define MEMSCOPE_MERGE_BOTTLENECK_H

#include "profile.h"

/* Thresholds (docs/merge.md, "Bottlenecks"). */
#define MG_BN_LARGE_SIZE (1ULL << 20)        /* a block this large is a large allocation */
#define MG_BN_LARGE_SCALE (64.0 * (1 << 20)) /* the size at which its size weighs fully */
#define MG_BN_CUTS_CALLS 10000               /* thousand cuts: at least this many calls... */
#define MG_BN_CUTS_AVG 256                   /* ...of at most this average size */
#define MG_BN_CHURN_BLOCKS 1000              /* churn: this many short-lived blocks... */
#define MG_BN_CHURN_SHARE 0.5                /* ...and this share of the site's */
#define MG_BN_CROSS_BLOCKS 1000              /* cross-thread: this many blocks... */
#define MG_BN_CROSS_SHARE 0.1                /* ...and this share of the site's */
#define MG_BN_IMBALANCE_RATIO 4.0            /* busiest thread vs the others' mean */

const char *mg_bottleneck_type_name(enum mg_bottleneck_type t);

/* Every bottleneck of the profile, by severity (highest first), then type, pid, thread,
 * site; *out is malloc'd (NULL when none). */
size_t mg_bottlenecks(const struct mg_profile *p, struct mg_bottleneck **out);

/* After the last input: the derived analyses (p->bottlenecks). */
void mg_profile_finish(struct mg_profile *p);

/* The profile's bottlenecks for a report: those mg_profile_finish kept, or, on a profile
 * not finished yet, found now (*to_free then holds them; free it after use). */
size_t mg_profile_bottlenecks(const struct mg_profile *p, const struct mg_bottleneck **out,
                              struct mg_bottleneck **to_free);

/* --- Thread alerts -------------------------------------------------------------------
 * How much a thread deserves a look: high, watch or ok, with a reason per rule that
 * applies (docs/json.md, "alert").  The rules reuse the bottleneck thresholds: a
 * bottleneck about the thread; its allocations against the mean of its process's other
 * allocating threads (the imbalance rule, per thread); its short-lived and cross-thread
 * blocks (the churn and cross-thread rules, applied to the thread instead of a site). */
enum mg_alert_level { MG_ALERT_OK, MG_ALERT_WATCH, MG_ALERT_HIGH };
enum mg_alert_rule {
  MG_ALERT_BOTTLENECK,   /* the worst bottleneck about the thread */
  MG_ALERT_IMBALANCE,    /* its allocations vs the mean of the other allocating threads */
  MG_ALERT_SHORT_LIVED,  /* its blocks freed within MG_SHORT_LIVED_NS */
  MG_ALERT_CROSS_THREAD, /* its blocks freed by other threads */
};
#define MG_ALERT_RULES 4

#define MG_ALERT_SEVERITY_HIGH 0.5  /* a bottleneck this severe: high... */
#define MG_ALERT_SEVERITY_WATCH 0.2 /* ...this severe: watch */
/* Allocations this many times the others' mean: high (as the imbalance bottleneck), or
 * half as many: watch. */
#define MG_ALERT_IMBALANCE_HIGH MG_BN_IMBALANCE_RATIO
#define MG_ALERT_IMBALANCE_WATCH (MG_BN_IMBALANCE_RATIO / 2)

struct mg_alert_reason {
  enum mg_alert_rule rule;
  enum mg_alert_level level; /* watch or high */
  char text[160];            /* with its numbers, e.g. "4.2x the mean allocations of..." */
};

struct mg_alert {
  enum mg_alert_level level; /* the highest of the reasons', ok when none */
  size_t nreasons;
  struct mg_alert_reason reasons[MG_ALERT_RULES]; /* by level (highest first), then rule */
};

/* The alert level a bottleneck of this severity raises on its thread. */
enum mg_alert_level mg_bottleneck_level(double severity);
/* The alert of every thread of proc (out[i] for proc->threads[i]), from the profile's
 * bottlenecks (mg_bottlenecks: bn, nbn) and the threads' counts. */
void mg_thread_alerts(const struct mg_process *proc, const struct mg_bottleneck *bn, size_t nbn,
                      struct mg_alert *out);
const char *mg_alert_level_name(enum mg_alert_level level); /* "ok", "watch", "high" */
const char *mg_alert_rule_name(enum mg_alert_rule rule);    /* "bottleneck", ... */

#endif
