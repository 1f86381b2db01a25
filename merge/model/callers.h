/* Who called it: the whole path of an allocation (the site's own frames, then its
 * sampled stack's outer frames), which frames are the program's own code, and each
 * site's callers (docs/merge.md, "Callers").
 *
 * Every report names a site by its *caller*: the first frame of the path in the
 * program's own code, so that a vector's growth is shown at the user's function that
 * pushed, not at std::__new_allocator<T>::allocate; when no frame is the program's own,
 * the first outside the C library and memscope.  Frames in system headers and libraries
 * stay in the path, marked by their origin, never hidden. */
#ifndef MEMSCOPE_MERGE_CALLERS_H
#define MEMSCOPE_MERGE_CALLERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "estimate.h"
#include "profile.h"
#include "stacks.h"

/* Where a frame's code comes from. */
enum mg_origin {
  MG_ORIGIN_OWN,     /* the program's own code */
  MG_ORIGIN_SYSTEM,  /* system headers and libraries (the C++ standard library, ...) */
  MG_ORIGIN_LIBC,    /* the C library, the dynamic loader, process and thread start */
  MG_ORIGIN_RUNTIME, /* memscope's own (a function-pointer shim of the pass, say) */
  MG_ORIGIN_UNKNOWN  /* nothing known: no function, file or image */
};
const char *mg_origin_name(enum mg_origin o); /* "own", "system", "libc", "memscope", "unknown" */

/* One frame of a path.  Strings belong to the site or the stack table. */
struct mg_path_frame {
  const char *function, *file, *module; /* NULL when unknown */
  uint32_t line, column;                /* 0 when unknown */
  uint64_t address;                     /* stack frames: as in mg_stack_frame; else 0 */
  bool inlined;                         /* inlined into the next (outer) frame */
  enum mg_origin origin;
};

enum mg_origin mg_frame_origin(const char *function, const char *file, const char *module);
/* The same function, file and line (the same address for a frame with neither). */
bool mg_path_same_frame(const struct mg_path_frame *a, const struct mg_path_frame *b);
/* A frame as one name: its function, else "image+0xoffset", else "??". */
void mg_path_frame_name(const struct mg_path_frame *f, char *buf, size_t size);

/* The whole path of the allocations of site s that had stack entry e (NULL: the site's
 * own frames only), innermost first: an instrumented site's frames, then the stack's
 * frames beyond the function that made the call; an uninstrumented site's stack.  The
 * path's outer end is the thread's entry or main: the C library's frames that start a
 * process or a thread (_start, __libc_start_main, start_thread, clone) are left out.
 * A site whose stacks are whole (mg_site_stacks_whole) has the stack alone.  Returns its
 * length (0 for a site with neither frames nor stack); free *out. */
size_t mg_site_path(const struct mg_profile *p, const struct mg_site *s,
                    const struct mg_stack_site *e, struct mg_path_frame **out);

/* The site's stacks are whole paths, its own frames on none of them: an uninstrumented
 * site, or one reached through a function pointer (its stacks enter the runtime through
 * the pass's thunk; its own frames say where the allocation function's address was
 * taken).  Such a site is split among its callers in the tables, as its own frames do
 * not say who called. */
bool mg_site_stacks_whole(const struct mg_profile *p, const struct mg_site *s);

/* The part of stack entry e's frames that mg_site_path puts after the site's own:
 * frames[*from, *to). */
void mg_stack_outer(const struct mg_profile *p, const struct mg_site *s,
                    const struct mg_stack_site *e, size_t *from, size_t *to);

/* The frame a path is attributed to: the first in the program's own code, else the
 * first that is neither the C library nor memscope, else the first known one; 0 when
 * n is 0. */
size_t mg_path_caller(const struct mg_path_frame *f, size_t n);

/* A site's callers: its sampled allocations grouped by where they came from (the
 * caller frame, then up to MG_CALLER_CONTEXT more frames of the program's own code
 * outward from it and from the site's own chain, which every caller shares), largest
 * estimated bytes first (calls for a site without bytes). */
#define MG_CALLER_CONTEXT 3
struct mg_caller {
  struct mg_path_frame place;                      /* mg_path_caller's frame */
  size_t depth;                                    /* its position in the path: the
                                                    * frames inside it (0: none) */
  struct mg_path_frame inner;                      /* with depth > 0: what it called */
  struct mg_path_frame context[MG_CALLER_CONTEXT]; /* own frames beyond it, inner first */
  size_t ncontext;
  size_t skipped;        /* frames of other origins passed over between them */
  uint64_t samples;
  struct mg_est calls, bytes, live_blocks, live_bytes;
  bool estimated;        /* false when every part was exact (full mode) */
};
struct mg_callers {
  struct mg_caller *v;
  size_t n;
  uint64_t samples; /* all of the site's sampled allocations with a stack */
};

/* The site's callers; n 0 when it has no stack (then its own frames alone say where it
 * is: mg_site_place). */
void mg_site_callers(const struct mg_profile *p, const struct mg_site *s, struct mg_callers *out);
void mg_callers_free(struct mg_callers *c);

/* Where a site is, as the tables name it (place, depth and inner of *out; no counts):
 * its caller frame (mg_path_caller) from its own frames when one of them is the
 * program's own, else its largest caller's, else its innermost frame.  false when the
 * site has no frame and no stack. */
bool mg_site_place(const struct mg_profile *p, const struct mg_site *s, struct mg_caller *out);

#endif
