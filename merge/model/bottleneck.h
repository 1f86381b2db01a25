/* Bottlenecks: the performance problems a profile shows, each with a severity, a
 * description and a suggestion (the predecessor's PerformanceBottleneck; bottleneck.c,
 * thresholds in docs/merge.md). */
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

/* Every bottleneck of the profile, by severity (highest first), then type, pid, thread,
 * site; *out is malloc'd (NULL when none). */
size_t mg_bottlenecks(const struct mg_profile *p, struct mg_bottleneck **out);

#endif
