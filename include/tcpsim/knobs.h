/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_KNOBS_H
#define TCPSIM_KNOBS_H

/*
 * Per-host TCP knobs, named as Linux's sysctls (net.ipv4.tcp_fin_timeout is
 * `tcp_fin_timeout`), plus the few tcpsim adds (`timewait_len`, `msl`, `mss`...), and
 * the rule switches in which the `linux` and `rfc` profiles differ.
 *
 * A profile is nothing but a named set of knob values and rule switches. The TCP code
 * reads a switch (`rules.tlp`) wherever the two behaviours part, never a profile's name,
 * so a user can mix them: `profile rfc` and then `set h tlp 1`.
 *
 * One table (knob_table) describes every knob and switch: name, type, where it lives,
 * its value in each profile and a line of help. Parsing `set HOST KNOB VALUE`, printing,
 * `help`, the man page and the REPL's completion all read it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpsim/vtime.h"

struct tcp_knobs {
	/* TIME_WAIT and closing */
	vtime_t timewait_len;     /* Linux TCP_TIMEWAIT_LEN, 60 s */
	vtime_t msl;              /* maximum segment lifetime, for the rfc rule 2 x MSL */
	vtime_t fin_timeout;      /* orphaned FIN_WAIT_2 lifetime */
	int tw_reuse;             /* 0 off, 1 on, 2 loopback only */
	int max_tw_buckets;
	int rfc1337;
	vtime_t invalid_ratelimit; /* Linux tcp_invalid_ratelimit: out-of-window ACK spacing */
	/* retries */
	int orphan_retries;       /* 0 means 8 */
	int retries1;
	int retries2;
	vtime_t rfc_r2;           /* rfc rule: give up after this long (RFC 9293 3.8.3 R2) */
	int syn_retries;
	int syn_linear_timeouts;  /* SYN retries at the initial RTO, added to syn_retries */
	int synack_retries;
	/* options */
	int timestamps;
	int sack;
	int window_scaling;
	int mss;                  /* MSS this host offers (its MTU less 40) */
	/* ports */
	int port_lo, port_hi;     /* ip_local_port_range */
	/* timers */
	vtime_t rto_initial;
	vtime_t rto_min;
	vtime_t rto_max;
	vtime_t delack_min;       /* Linux TCP_DELACK_MIN, the floor of ato */
	vtime_t delack_max;       /* Linux TCP_DELACK_MAX */
	vtime_t keepalive_time;
	vtime_t keepalive_intvl;
	int keepalive_probes;
	/* buffers and congestion */
	int rmem;                 /* default receive buffer (tcp_rmem[1]) */
	int rmem_max;             /* largest it may grow to (tcp_rmem[2]): sets the wscale */
	int wmem;                 /* default send buffer (tcp_wmem[1]) */
	int init_cwnd;            /* segments */
	int somaxconn;
	int max_syn_backlog;
};

/* Where the profiles differ (BEHAVIOUR.md, "Where the profiles differ"). */
struct tcp_rules {
	bool timewait_2msl;       /* TIME_WAIT lasts 2 x msl (rfc) instead of timewait_len */
	bool rto_rfc6298;         /* RTO per RFC 6298 with a 1 s floor, not Linux's formula */
	bool tlp;                 /* tail loss probe before the RTO */
	bool rst_on_unread;       /* close() with unread data sends RST, not FIN */
	bool shutrd_discard;      /* after SHUT_RD, arriving data is discarded */
	bool orphan_fin_wait2_timeout; /* an orphan in FIN_WAIT_2 dies after fin_timeout */
	bool tw_rst_challenge;    /* in-window, inexact RST in TIME_WAIT gets a challenge ACK */
	bool tw_reuse_allowed;    /* connect() may reuse a TIME_WAIT 4-tuple per tw_reuse */
	bool retry_time_budget;   /* retries2/orphan_retries as Linux's time budgets */
	bool delack_linux;        /* Linux's quick-ACK/pingpong/ato rules; else RFC 1122 */
};

struct tcp_config {
	struct tcp_knobs k;
	struct tcp_rules r;
};

enum knob_type {
	KNOB_INT,       /* integer within [min, max] */
	KNOB_BOOL,      /* 0 or 1 */
	KNOB_DURATION,  /* vtime_t, written with a unit */
	KNOB_RANGE,     /* two integers "LO HI" (ip_local_port_range) */
};

struct knob_desc {
	const char *name;
	enum knob_type type;
	size_t offset;            /* into struct tcp_config */
	int64_t min, max;         /* for KNOB_INT and KNOB_RANGE */
	const char *linux_value;  /* the value in each profile, as text */
	const char *rfc_value;
	const char *help;
};

/* The table, ending with an entry whose name is NULL. */
const struct knob_desc *knob_table(void);
const struct knob_desc *knob_find(const char *name);

/* Fills c with a profile's values: "linux" or "rfc". -ENOENT for another name. */
int knob_profile(const char *profile, struct tcp_config *c);
/* Names of the profiles, NULL-terminated. */
const char *const *knob_profiles(void);

/* Sets one knob from text. -ENOENT (no such knob) or -EINVAL, with a one-line reason in
 * err. "ip_local_port_range" takes "LO HI". */
int knob_set(struct tcp_config *c, const char *name, const char *value, char *err,
	     size_t errlen);
/* The knob's value as text (durations in vtime_format's form). -ENOENT. */
int knob_get(const struct tcp_config *c, const char *name, char *buf, size_t len);

/* Derived values every user of the knobs would otherwise compute again. */
vtime_t knob_timewait_len(const struct tcp_config *c);
int knob_orphan_retries(const struct tcp_config *c);

#endif
