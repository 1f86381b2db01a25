/* Running llvm-symbolizer (symbolize.c): one process per merge, fed every address at
 * once.  Its input is written to a temporary file first and its output read to the end,
 * so neither side can block on a full pipe. */
#ifndef MEMSCOPE_MERGE_SYMBOLIZE_H
#define MEMSCOPE_MERGE_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The symbolizer to run: `override` when given (memscope-merge passes --symbolizer, else
 * $MEMSCOPE_SYMBOLIZER), else the first of llvm-symbolizer, llvm-symbolizer-22 ... -14
 * found in $PATH, else /usr/lib/llvm-N/bin/llvm-symbolizer.  NULL when none; the result is in buf. */
const char *mg_symbolizer_find(const char *override, char *buf, size_t size);

struct mg_sym_request {
  const char *file; /* an ELF file */
  uint64_t address; /* an address in it, as the file's virtual addresses count */
};

struct mg_sym_frame {
  const char *function; /* NULL when unknown */
  const char *file;     /* NULL when unknown */
  uint32_t line, column;
};

/* Called for each request, in order, with its frames innermost first (the inlined
 * functions, then the function that holds the address); valid only during the call. */
typedef void mg_sym_frames_fn(void *ctx, size_t request, const struct mg_sym_frame *frames,
                              size_t nframes);

/* Symbolizes every request with one run of `symbolizer`, with inlined frames, demangled
 * names, and the given directories for separate debug files.  Returns false, with what
 * went wrong in err, when it could not run or stopped early (requests it did not
 * answer get no call); err may also hold the symbolizer's first complaint when it
 * returns true. */
bool mg_symbolize(const char *symbolizer, char *const *debug_dirs, size_t ndirs,
                  const struct mg_sym_request *req, size_t n, mg_sym_frames_fn *fn, void *ctx,
                  char *err, size_t errsize);

#endif
