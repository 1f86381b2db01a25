/* Settings, read once from the environment at start-up (getenv does not allocate). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct ms_config ms_config = {.mode = MS_MODE_FULL, .out_dir = "."};

const char *ms_mode_name(enum ms_mode mode) {
  return mode == MS_MODE_OFF ? "off" : "full";
}

void ms_config_load(void) {
  const char *mode = getenv("MEMSCOPE_MODE");
  if (mode && *mode) {
    if (strcmp(mode, "off") == 0)
      ms_config.mode = MS_MODE_OFF;
    else if (strcmp(mode, "full") == 0)
      ms_config.mode = MS_MODE_FULL;
    else
      ms_os_warn("unknown MEMSCOPE_MODE, using full", mode);
  }
  const char *out = getenv("MEMSCOPE_OUT");
  if (out && *out) {
    if (strlen(out) < sizeof ms_config.out_dir)
      strcpy(ms_config.out_dir, out);
    else
      ms_os_warn("MEMSCOPE_OUT is too long, writing to the current directory", NULL);
  }
}
