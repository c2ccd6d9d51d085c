/* The CPU a build was tuned for against the one it runs on. make tune
 * writes its choices into the tuning file's section of the CPU it measured
 * ("GenuineIntel family 6 model 207": vendor, family and model as
 * /proc/cpuinfo gives them, gen/tuning.lua's host_key), and the generator
 * builds from the build host's section. A binary copied to, or built on a
 * login node for, another CPU keeps those choices, some of which are a
 * matter of one CPU's caches (fc1's backward-data read in place took 2.9x
 * as long on an Intel host as packed): the run says so at its start. */
#ifndef HEP_CPU_HOST_H
#define HEP_CPU_HOST_H

#include <stddef.h>

#include "model.h"

/* This CPU's key into buf (len bytes); 0, or -1 where /proc/cpuinfo does
 * not tell (then buf is ""). */
int hep_cpu_host_key(char *buf, size_t len);

/* The note (one line on stdout) when info's build used the tuning section
 * of a CPU other than this one; nothing when it matches, when the build
 * used no section, or when this CPU is unknown. Returns whether it printed. */
int hep_note_tuning_host(const hep_model_info *info);

#endif
