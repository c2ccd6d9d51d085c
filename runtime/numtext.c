/* Numbers as text (see numtext.h). */
#include "numtext.h"

#include <stdio.h>
#include <stdlib.h>

void hep_shortest_double(double v, char *out, size_t len)
{
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(out, len, "%.*g", digits, v);
        if (strtod(out, NULL) == v) return;
    }
}
