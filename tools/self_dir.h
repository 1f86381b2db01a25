/* The directory holding the running executable (symlinks resolved): memscope-cc and
 * memscope find the plugin, the runtime and memscope-merge relative to it. */
#ifndef MEMSCOPE_TOOLS_SELF_DIR_H
#define MEMSCOPE_TOOLS_SELF_DIR_H
/* A new string; NULL (errno set) when /proc/self/exe cannot be read. */
char *tool_self_dir(void);
#endif
