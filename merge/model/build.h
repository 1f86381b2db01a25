/* Building a process record by record (build.c): what reading an input does with the
 * decoder's records (read_input.c), and what any other producer of records (tests, a
 * program reading its own session) may do the same way. */
#ifndef MEMSCOPE_MERGE_BUILD_H
#define MEMSCOPE_MERGE_BUILD_H

#include <stddef.h>

#include "decode.h"
#include "profile.h"

/* A new input named name (copied); returns its position in p->inputs. */
size_t mg_profile_add_input(struct mg_profile *p, const char *name);
/* A new process for the input, from its header. */
struct mg_process *mg_input_attach_process(struct mg_input *in, const struct mg_header_rec *h);
/* Both: what a producer other than the decoder starts with. */
struct mg_process *mg_profile_begin_process(struct mg_profile *p, const char *name,
                                            const struct mg_header_rec *h);
void mg_process_add_site(struct mg_profile *p, struct mg_process *proc,
                         const struct mg_site_rec *s);
void mg_process_add_thread(struct mg_profile *p, struct mg_process *proc,
                           const struct mg_thread_rec *t);
void mg_process_add_events(struct mg_profile *p, struct mg_process *proc,
                           const struct mg_events_rec *e);
void mg_process_add_counters(struct mg_profile *p, struct mg_process *proc,
                             const struct mg_counters_rec *c);
void mg_process_add_end(struct mg_profile *p, struct mg_process *proc,
                        const struct mg_end_rec *e);
void mg_process_add_phase(struct mg_profile *p, struct mg_process *proc,
                          const struct mg_phase_rec *ph);
void mg_process_add_module(struct mg_profile *p, struct mg_process *proc,
                           const struct mg_module_rec *m);

/* Phases (phases.c): counts the allocations of one EVENTS record by phase; at the end of
 * the process, sorts the phases by id (or drops them all when none was named). */
void mg_phases_count(struct mg_process *proc, const struct mg_events_rec *e);
void mg_phases_finish(struct mg_process *proc);
/* Finishes the replay of the process's events, applies its COUNTERS, and adds its
 * counters to the profile's. */
void mg_profile_end_process(struct mg_profile *p, struct mg_process *proc);

#endif
