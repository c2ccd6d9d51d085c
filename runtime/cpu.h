/* Start-up check that this CPU has every instruction set the binary was
 * compiled for, so that a wrong binary says so instead of dying of SIGILL. */
#ifndef HEP_CPU_H
#define HEP_CPU_H
/* Returns 0, or -1 with a message naming the missing features in msg. */
int hep_cpu_check(const char *arch, char *msg, unsigned long len);
#endif
