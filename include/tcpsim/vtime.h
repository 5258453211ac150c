/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_VTIME_H
#define TCPSIM_VTIME_H

/*
 * Virtual time: a signed 64-bit count of nanoseconds since the start of the simulation.
 * There is no wall clock anywhere in the simulation; this is the only notion of time.
 * A duration uses the same type. One parser and one printer serve every front end, so
 * a duration the program prints can always be read back.
 */

#include <stddef.h>
#include <stdint.h>

typedef int64_t vtime_t;

#define VTIME_NS ((vtime_t)1)
#define VTIME_US ((vtime_t)1000)
#define VTIME_MS ((vtime_t)1000000)
#define VTIME_S ((vtime_t)1000000000)
#define VTIME_MIN ((vtime_t)60 * VTIME_S)
#define VTIME_MAX INT64_MAX

/* Longest text vtime_format() or vtime_format_fixed() writes, with the NUL. */
#define VTIME_BUFSZ 32

/*
 * Parses a duration: a decimal number and a unit, with nothing between them:
 * "250us", "1.5s", "2m", "40ms", "0". Units are ns, us (or µs), ms, s and m (minutes).
 * A bare "0" needs no unit. Negative values, fractions finer than one nanosecond,
 * values past about 292 years and anything else are rejected.
 *
 * Returns 0 and stores the value, or -EINVAL with a one-line explanation in err (when
 * err is not NULL) and, in *errpos, the byte offset in s where the problem starts.
 */
int vtime_parse(const char *s, vtime_t *out, char *err, size_t errlen, size_t *errpos);

/*
 * Writes the shortest exact form: whole minutes as "2m", otherwise the largest of s, ms,
 * us and ns that the value reaches, with as many decimals as it needs ("1.5s",
 * "207.5ms", "1ns"). vtime_parse(vtime_format(t)) == t for every t >= 0. Negative
 * values print with a leading '-'. Returns buf.
 */
char *vtime_format(char *buf, size_t len, vtime_t t);

/* Fixed width seconds with nine decimals ("12.000350000"), for logs and columns. */
char *vtime_format_fixed(char *buf, size_t len, vtime_t t);

#endif
