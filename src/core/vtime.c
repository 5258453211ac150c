/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tcpsim/vtime.h"

struct unit {
	const char *name;
	vtime_t ns;
};

/* Longest names first, so "ms" is not read as "m" followed by junk. */
static const struct unit units[] = {
	{ "ns", VTIME_NS }, { "us", VTIME_US }, { "\xc2\xb5s", VTIME_US },
	{ "ms", VTIME_MS }, { "s", VTIME_S },   { "m", VTIME_MIN },
};

__attribute__((format(printf, 5, 6))) static int fail(char *err, size_t errlen,
						      size_t *errpos, size_t pos,
						      const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	if (errpos)
		*errpos = pos;
	return -EINVAL;
}

#define UNITS_HINT "use ns, us, ms, s or m, as in 250us, 1.5s or 2m"

int vtime_parse(const char *s, vtime_t *out, char *err, size_t errlen, size_t *errpos)
{
	const char *p = s;
	uint64_t whole = 0, frac = 0, frac_scale = 1;
	int frac_digits = 0;

	if (*p == '-')
		return fail(err, errlen, errpos, 0, "a duration cannot be negative: \"%s\"", s);
	if (*p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return fail(err, errlen, errpos, (size_t)(p - s),
			    "expected a duration such as 250ms, got \"%s\"", s);
	/* Integer arithmetic only: a duration decides event times, and floating point
	 * rounding could differ between builds. */
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return fail(err, errlen, errpos, 0, "duration \"%s\" is too large", s);
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return fail(err, errlen, errpos, (size_t)(p - s),
				    "expected digits after the decimal point in \"%s\"", s);
		for (; *p >= '0' && *p <= '9'; p++) {
			if (frac_digits == 18)
				return fail(err, errlen, errpos, (size_t)(p - s),
					    "too many decimals in \"%s\"", s);
			frac = frac * 10 + (uint64_t)(*p - '0');
			frac_scale *= 10;
			frac_digits++;
		}
	}
	size_t upos = (size_t)(p - s);
	if (*p == '\0') {
		if (whole == 0 && frac == 0) {
			*out = 0;
			return 0;
		}
		return fail(err, errlen, errpos, upos, "duration \"%s\" has no unit: %s", s,
			    UNITS_HINT);
	}
	if (*p == ' ' || *p == '\t') {
		const char *q = p;
		while (*q == ' ' || *q == '\t')
			q++;
		return fail(err, errlen, errpos, upos,
			    "no space is allowed between a number and its unit in \"%s\"%s%s",
			    s, *q ? "; " : "", *q ? UNITS_HINT : "");
	}
	const struct unit *u = NULL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].name) == 0)
			u = &units[i];
	if (!u)
		return fail(err, errlen, errpos, upos, "unknown unit \"%s\" in \"%s\": %s", p, s,
			    UNITS_HINT);

	uint64_t unit = (uint64_t)u->ns;
	if (whole > (uint64_t)VTIME_MAX / unit)
		return fail(err, errlen, errpos, 0, "duration \"%s\" is too large (over 292 years)",
			    s);
	uint64_t ns = whole * unit;
	if (frac) {
		/* frac / frac_scale of a unit must be a whole number of nanoseconds. Drop
		 * trailing zeros first so "1.500000000000s" is accepted. */
		while (frac % 10 == 0) {
			frac /= 10;
			frac_scale /= 10;
		}
		if (frac_scale > unit || unit % frac_scale)
			return fail(err, errlen, errpos, 0,
				    "duration \"%s\" is finer than one nanosecond", s);
		uint64_t extra = frac * (unit / frac_scale);
		if (extra > (uint64_t)VTIME_MAX - ns)
			return fail(err, errlen, errpos, 0, "duration \"%s\" is too large", s);
		ns += extra;
	}
	*out = (vtime_t)ns;
	return 0;
}

/* Writes v/unit with exactly the decimals it needs. */
static char *format_in(char *buf, size_t len, const char *sign, uint64_t v, uint64_t unit,
		       const char *name)
{
	uint64_t whole = v / unit, rem = v % unit;

	if (!rem) {
		snprintf(buf, len, "%s%" PRIu64 "%s", sign, whole, name);
		return buf;
	}
	char digits[24];
	int n = 0;
	for (uint64_t scale = unit / 10; scale; scale /= 10) {
		digits[n++] = (char)('0' + rem / scale % 10);
		if (rem % scale == 0)
			break;
	}
	digits[n] = '\0';
	snprintf(buf, len, "%s%" PRIu64 ".%s%s", sign, whole, digits, name);
	return buf;
}

char *vtime_format(char *buf, size_t len, vtime_t t)
{
	/* Negate through unsigned arithmetic so INT64_MIN does not overflow. */
	uint64_t v = t < 0 ? 0 - (uint64_t)t : (uint64_t)t;
	const char *sign = t < 0 ? "-" : "";

	if (v && v % (uint64_t)VTIME_MIN == 0)
		return format_in(buf, len, sign, v, (uint64_t)VTIME_MIN, "m");
	if (v >= (uint64_t)VTIME_S)
		return format_in(buf, len, sign, v, (uint64_t)VTIME_S, "s");
	if (v >= (uint64_t)VTIME_MS)
		return format_in(buf, len, sign, v, (uint64_t)VTIME_MS, "ms");
	if (v >= (uint64_t)VTIME_US)
		return format_in(buf, len, sign, v, (uint64_t)VTIME_US, "us");
	return format_in(buf, len, sign, v, 1, "ns");
}

char *vtime_format_fixed(char *buf, size_t len, vtime_t t)
{
	uint64_t v = t < 0 ? 0 - (uint64_t)t : (uint64_t)t;

	snprintf(buf, len, "%s%" PRIu64 ".%09" PRIu64, t < 0 ? "-" : "", v / (uint64_t)VTIME_S,
		 v % (uint64_t)VTIME_S);
	return buf;
}
