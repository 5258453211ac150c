/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsim/knobs.h"

#define K(field) offsetof(struct tcp_config, k.field)
#define R(field) offsetof(struct tcp_config, r.field)

/* Linux values are the kernel's defaults (Documentation/networking/ip-sysctl.rst and
 * include/net/tcp.h); rfc values are RFC 9293's and RFC 6298's where those set one. */
static const struct knob_desc table[] = {
	{ "timewait_len", KNOB_DURATION, K(timewait_len), 0, 0, "60s", "60s",
	  "TIME_WAIT duration when timewait_2msl is off (Linux TCP_TIMEWAIT_LEN)" },
	{ "msl", KNOB_DURATION, K(msl), 0, 0, "60s", "2m",
	  "maximum segment lifetime; TIME_WAIT is 2 x msl when timewait_2msl is on" },
	{ "tcp_fin_timeout", KNOB_DURATION, K(fin_timeout), 0, 0, "60s", "60s",
	  "how long an orphaned socket stays in FIN_WAIT_2" },
	{ "tcp_tw_reuse", KNOB_INT, K(tw_reuse), 0, 2, "2", "0",
	  "connect() may reuse a TIME_WAIT 4-tuple: 0 no, 1 yes, 2 loopback only" },
	{ "tcp_max_tw_buckets", KNOB_INT, K(max_tw_buckets), 0, INT32_MAX, "262144", "262144",
	  "most TIME_WAIT entries a host keeps; past it a closing socket skips TIME_WAIT" },
	{ "tcp_rfc1337", KNOB_INT, K(rfc1337), 0, 1, "0", "0",
	  "1: ignore an RST in TIME_WAIT instead of ending it (RFC 1337)" },
	{ "tcp_invalid_ratelimit", KNOB_DURATION, K(invalid_ratelimit), 0, 0, "500ms", "0s",
	  "least time between answers to out-of-window segments without data, and between "
	  "challenge ACKs (0: no limit)" },
	{ "tcp_orphan_retries", KNOB_INT, K(orphan_retries), 0, 255, "0", "0",
	  "retransmission budget of an orphaned socket (0 means 8)" },
	{ "tcp_retries1", KNOB_INT, K(retries1), 0, 255, "3", "3",
	  "retransmissions before the path is suspected (advisory)" },
	{ "tcp_retries2", KNOB_INT, K(retries2), 0, 255, "15", "15",
	  "retransmission budget before ETIMEDOUT (a time budget on Linux: 15 is 924.6 s)" },
	{ "rfc_r2", KNOB_DURATION, K(rfc_r2), 0, 0, "100s", "100s",
	  "give up after this long when retry_time_budget is off (RFC 9293 3.8.3 R2)" },
	{ "tcp_syn_retries", KNOB_INT, K(syn_retries), 1, 127, "6", "6",
	  "SYN retransmissions before connect() fails" },
	{ "tcp_syn_linear_timeouts", KNOB_INT, K(syn_linear_timeouts), 0, 127, "4", "0",
	  "first SYN retries sent at the initial RTO, not doubled; added to tcp_syn_retries" },
	{ "tcp_synack_retries", KNOB_INT, K(synack_retries), 1, 255, "5", "5",
	  "SYN-ACK retransmissions before a pending connection is dropped" },
	{ "tcp_timestamps", KNOB_INT, K(timestamps), 0, 1, "1", "1",
	  "offer RFC 7323 timestamps" },
	{ "tcp_sack", KNOB_INT, K(sack), 0, 1, "1", "1", "offer SACK (RFC 2018)" },
	{ "tcp_window_scaling", KNOB_INT, K(window_scaling), 0, 1, "1", "1",
	  "offer window scaling (RFC 7323)" },
	{ "mss", KNOB_INT, K(mss), 88, 65495, "1460", "1460",
	  "maximum segment size this host offers (MTU 1500 less 40)" },
	{ "ip_local_port_range", KNOB_RANGE, K(port_lo), 1, 65535, "32768 60999",
	  "32768 60999", "ephemeral ports for connect(), LO HI" },
	{ "rto_initial", KNOB_DURATION, K(rto_initial), 0, 0, "1s", "1s",
	  "retransmission timeout before any RTT sample (RFC 6298 2.1)" },
	{ "rto_min", KNOB_DURATION, K(rto_min), 0, 0, "200ms", "1s",
	  "floor of the RTO (Linux tcp_rto_min; RFC 6298 2.4)" },
	{ "rto_max", KNOB_DURATION, K(rto_max), 0, 0, "120s", "120s",
	  "ceiling of the RTO after backoff" },
	{ "delack_min", KNOB_DURATION, K(delack_min), 0, 0, "40ms", "40ms",
	  "smallest delayed-ACK timeout once data has arrived (Linux TCP_DELACK_MIN)" },
	{ "delack_max", KNOB_DURATION, K(delack_max), 0, 0, "200ms", "200ms",
	  "largest delayed-ACK timeout (Linux TCP_DELACK_MAX; RFC 9293: under 500ms)" },
	{ "tcp_keepalive_time", KNOB_DURATION, K(keepalive_time), 0, 0, "7200s", "7200s",
	  "idle time before the first keepalive probe (SO_KEEPALIVE)" },
	{ "tcp_keepalive_intvl", KNOB_DURATION, K(keepalive_intvl), 0, 0, "75s", "75s",
	  "time between keepalive probes" },
	{ "tcp_keepalive_probes", KNOB_INT, K(keepalive_probes), 1, 127, "9", "9",
	  "unanswered probes before the connection is dropped" },
	{ "tcp_rmem", KNOB_INT, K(rmem), 256, INT32_MAX / 2, "131072", "131072",
	  "default receive buffer in bytes (tcp_rmem's middle value)" },
	{ "tcp_rmem_max", KNOB_INT, K(rmem_max), 4096, INT32_MAX / 2, "33554432", "33554432",
	  "largest receive buffer (tcp_rmem's last value); it sets the window scale: 10 for "
	  "32 MB (Linux 6.18's default), 8 for packetdrill's 15 MB, 7 for the older 6 MB" },
	{ "tcp_wmem", KNOB_INT, K(wmem), 256, INT32_MAX / 2, "16384", "16384",
	  "default send buffer in bytes (tcp_wmem's middle value)" },
	{ "init_cwnd", KNOB_INT, K(init_cwnd), 1, 1000, "10", "10",
	  "initial congestion window in segments (RFC 6928)" },
	{ "somaxconn", KNOB_INT, K(somaxconn), 1, 65535, "4096", "4096",
	  "cap on a listen() backlog" },
	{ "tcp_max_syn_backlog", KNOB_INT, K(max_syn_backlog), 1, 65535, "1024", "1024",
	  "most half-open connections a listener keeps" },
	/* rule switches */
	{ "timewait_2msl", KNOB_BOOL, R(timewait_2msl), 0, 1, "0", "1",
	  "TIME_WAIT lasts 2 x msl instead of timewait_len" },
	{ "rto_rfc6298", KNOB_BOOL, R(rto_rfc6298), 0, 1, "0", "1",
	  "RTO = SRTT + max(G, 4 RTTVAR), floored at rto_min (RFC 6298), not Linux's formula" },
	{ "tlp", KNOB_BOOL, R(tlp), 0, 1, "1", "0",
	  "send a tail loss probe before the RTO fires (Linux tcp_early_retrans 3)" },
	{ "rst_on_unread", KNOB_BOOL, R(rst_on_unread), 0, 1, "1", "0",
	  "close() with unread received data sends RST instead of FIN (Linux tcp_close)" },
	{ "shutrd_discard", KNOB_BOOL, R(shutrd_discard), 0, 1, "0", "1",
	  "after shutdown(SHUT_RD), arriving data is discarded and reads return 0" },
	{ "orphan_fin_wait2_timeout", KNOB_BOOL, R(orphan_fin_wait2_timeout), 0, 1, "1", "0",
	  "an orphaned socket in FIN_WAIT_2 is dropped after tcp_fin_timeout" },
	{ "tw_rst_challenge", KNOB_BOOL, R(tw_rst_challenge), 0, 1, "0", "1",
	  "an in-window but inexact RST in TIME_WAIT gets a challenge ACK (RFC 5961)" },
	{ "tw_reuse_allowed", KNOB_BOOL, R(tw_reuse_allowed), 0, 1, "1", "0",
	  "connect() may reuse a TIME_WAIT 4-tuple as tcp_tw_reuse says" },
	{ "retry_time_budget", KNOB_BOOL, R(retry_time_budget), 0, 1, "1", "0",
	  "tcp_retries2 and tcp_orphan_retries are time budgets (Linux tcp_model_timeout)" },
	{ "delack_linux", KNOB_BOOL, R(delack_linux), 0, 1, "1", "0",
	  "delayed ACKs follow Linux's quick-ACK, pingpong and ato rules" },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL },
};

static const char *const profiles[] = { "linux", "rfc", NULL };

const struct knob_desc *knob_table(void)
{
	return table;
}

const char *const *knob_profiles(void)
{
	return profiles;
}

const struct knob_desc *knob_find(const char *name)
{
	for (const struct knob_desc *d = table; d->name; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen,
						      const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out, const char **end)
{
	char *e;
	long long v;

	if (!(*s >= '0' && *s <= '9') && *s != '-')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &e, 10);
	if (errno || e == s || v < min || v > max)
		return -EINVAL;
	*out = v;
	*end = e;
	return 0;
}

static int set_desc(struct tcp_config *c, const struct knob_desc *d, const char *value,
		    char *err, size_t errlen)
{
	char *base = (char *)c + d->offset;
	const char *end;
	int64_t v, v2;
	char range[64];

	switch (d->type) {
	case KNOB_DURATION: {
		vtime_t t;
		char why[160];
		if (vtime_parse(value, &t, why, sizeof(why), NULL))
			return fail(err, errlen, "%s: %s", d->name, why);
		memcpy(base, &t, sizeof(t));
		return 0;
	}
	case KNOB_BOOL:
		if (strcmp(value, "0") && strcmp(value, "1"))
			return fail(err, errlen, "%s takes 0 or 1, not \"%s\"", d->name, value);
		*(bool *)(void *)base = value[0] == '1';
		return 0;
	case KNOB_INT:
		if (parse_int(value, d->min, d->max, &v, &end) || *end) {
			snprintf(range, sizeof(range), "%" PRId64 "..%" PRId64, d->min, d->max);
			if (err && errlen)
				snprintf(err, errlen, "%s takes a whole number in %s, not \"%s\"",
					 d->name, range, value);
			return -EINVAL;
		}
		*(int *)(void *)base = (int)v;
		return 0;
	case KNOB_RANGE:
		if (parse_int(value, d->min, d->max, &v, &end) || (*end != ' ' && *end != '\t'))
			return fail(err, errlen, "%s takes two port numbers \"LO HI\", not \"%s\"",
				    d->name, value);
		while (*end == ' ' || *end == '\t')
			end++;
		if (parse_int(end, d->min, d->max, &v2, &end) || *end || v2 < v)
			return fail(err, errlen, "%s takes two port numbers \"LO HI\" with LO <= HI, "
					    "not \"%s\"", d->name, value);
		((int *)(void *)base)[0] = (int)v;
		((int *)(void *)base)[1] = (int)v2;
		return 0;
	}
	return -EINVAL;
}

int knob_set(struct tcp_config *c, const char *name, const char *value, char *err,
	     size_t errlen)
{
	const struct knob_desc *d = knob_find(name);

	if (!d) {
		if (err && errlen)
			snprintf(err, errlen, "no knob named \"%s\"", name);
		return -ENOENT;
	}
	return set_desc(c, d, value, err, errlen);
}

int knob_get(const struct tcp_config *c, const char *name, char *buf, size_t len)
{
	const struct knob_desc *d = knob_find(name);

	if (!d)
		return -ENOENT;
	const char *base = (const char *)c + d->offset;
	switch (d->type) {
	case KNOB_DURATION: {
		vtime_t t;
		memcpy(&t, base, sizeof(t));
		vtime_format(buf, len, t);
		break;
	}
	case KNOB_BOOL:
		snprintf(buf, len, "%d", *(const bool *)(const void *)base ? 1 : 0);
		break;
	case KNOB_INT:
		snprintf(buf, len, "%d", *(const int *)(const void *)base);
		break;
	case KNOB_RANGE:
		snprintf(buf, len, "%d %d", ((const int *)(const void *)base)[0],
			 ((const int *)(const void *)base)[1]);
		break;
	}
	return 0;
}

int knob_profile(const char *profile, struct tcp_config *c)
{
	bool rfc;

	if (strcmp(profile, "linux") == 0)
		rfc = false;
	else if (strcmp(profile, "rfc") == 0)
		rfc = true;
	else
		return -ENOENT;
	memset(c, 0, sizeof(*c));
	for (const struct knob_desc *d = table; d->name; d++) {
		/* The table's own values; a failure here is a bug in the table, caught by
		 * the test that loads both profiles. */
		if (set_desc(c, d, rfc ? d->rfc_value : d->linux_value, NULL, 0))
			return -EINVAL;
	}
	return 0;
}

vtime_t knob_timewait_len(const struct tcp_config *c)
{
	return c->r.timewait_2msl ? 2 * c->k.msl : c->k.timewait_len;
}

int knob_orphan_retries(const struct tcp_config *c)
{
	/* Linux tcp_orphan_retries(): 0 means 8 (about 102 s at a 200 ms RTO). */
	return c->k.orphan_retries ? c->k.orphan_retries : 8;
}
