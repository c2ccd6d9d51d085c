/* Numbers as text for configs, checkpoints and logs: pure functions, no
 * I/O and no error exits, so that the config parser's fuzz target links
 * them as they are. */
#ifndef HEP_NUMTEXT_H
#define HEP_NUMTEXT_H

#include <stddef.h>

/* The shortest %g text that reads back as the same double (0.0005, not
 * 0.00050000000000000001). */
void hep_shortest_double(double v, char *out, size_t len);

#endif
