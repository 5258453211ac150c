/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_NET_H
#define TCPSIM_NET_H

/*
 * The virtual network: nodes (one per simulated host, each with a name and an IPv4
 * address), links between pairs of nodes with per-direction delay, jitter, loss,
 * duplication, reordering and bandwidth, targeted fault rules that act on the Nth
 * segment matching a filter, injection of crafted segments, and stateful middleboxes
 * that forget idle connections.
 *
 * A segment's way through net_send(), in this order:
 *   1. no node has its destination address  -> dropped (no_host)
 *   2. no link from sender to destination   -> dropped (no_link)
 *   3. fault rules, in the order added: the first rule that fires decides (drop, dup,
 *      delay, hold); a segment it takes is not seen by the rules after it
 *   4. the link's random faults, drawn from the world's generator: loss, duplication,
 *      reordering (an extra delay, so later segments overtake it), jitter
 *   5. the middlebox on the link, if any
 *   6. serialisation at the link's bandwidth, then the one-way delay
 *   7. at arrival: a destination that is down (crashed) drops it (host_down); otherwise
 *      the node's delivery callback gets it.
 * Every step is reported to the tap (the world turns it into observer events).
 * Randomness comes only from the struct rng given to net_new, and only where a
 * probability is neither 0 nor 1, so adding a fault never shifts unrelated draws.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpsim/evq.h"
#include "tcpsim/mem.h"
#include "tcpsim/rng.h"
#include "tcpsim/seg.h"
#include "tcpsim/vtime.h"

struct net;

#define NET_NAME_MAX 32   /* node names: letters, digits, '_' and '-', at most 31 */
#define NET_MAX_NODES 4096

/* Called when a segment arrives at `node`; the segment is borrowed for the call. */
typedef void (*net_deliver_fn)(void *ctx, int node, const struct seg *seg);

/* ---------------------------------------------------------------- segment filters */

/* Matches segments by direction, flags, payload and sequence ranges. Text form,
 * words separated by blanks, each optional, any order:
 *   SRC>DST  SRC<>DST    direction (either direction with <>); a side is a node
 *                        name, a dotted quad, or '*'; either may carry :PORT
 *   F.  S  R.  .  FP.    tcpdump flag letters: exactly this set of flags
 *   F*  R*               a trailing '*': at least these flags, others allowed
 *   data | nodata        has payload, or has none
 *   seq A[..B]  ack A[..B]   sequence / acknowledgment number in [A, B] mod 2^32
 *   win N  len N         the window field (unscaled, as sent) / the payload length
 *   mss N  wscale N      the option is present with this value
 *   ts  sackOK           the option is present
 * The empty filter (or "*") matches every segment. */
struct seg_filter {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	bool has_saddr, has_daddr, has_sport, has_dport;
	bool both_ways;          /* SRC<>DST: also DST>SRC */
	uint8_t flags_mask;      /* bits that must equal flags_value */
	uint8_t flags_value;
	int8_t payload;          /* -1 any, 0 none, 1 some */
	bool has_seq, has_ack;
	uint32_t seq_lo, seq_hi, ack_lo, ack_hi;
	bool has_win, has_len, has_mss, has_wscale;
	uint16_t win, mss;
	uint32_t len;
	uint8_t wscale;
	uint8_t opts_required;   /* SEG_OPT_* that must be present */
};

/* Resolves a name in a filter to an address; returns 0 or -ENOENT. */
typedef int (*net_resolve_fn)(void *ctx, const char *name, uint32_t *addr);

/* Parses text into f. On error returns -EINVAL, writes a one-line message to err and
 * the byte offset of the problem to *errpos. resolve may be NULL (only dotted quads). */
int seg_filter_parse(const char *text, net_resolve_fn resolve, void *ctx,
		     struct seg_filter *f, char *err, size_t errlen, size_t *errpos);
bool seg_filter_match(const struct seg_filter *f, const struct seg *s);

/* ---------------------------------------------------------------- the network */

/* One direction of a link. Probabilities are in parts per million (RNG_PPM_ONE). */
struct link_params {
	vtime_t delay;           /* one-way propagation delay */
	vtime_t jitter;          /* extra delay drawn uniformly from [0, jitter] */
	uint32_t loss_ppm;
	uint32_t dup_ppm;
	uint32_t reorder_ppm;
	vtime_t reorder_delay;   /* extra delay of a reordered segment; 0: one more `delay` */
	uint64_t bandwidth_bps;  /* 0: unlimited (no serialisation delay) */
};

enum net_action {
	NET_DROP,
	NET_DUP,    /* deliver it twice */
	NET_DELAY,  /* add `delay` to its transit */
	NET_HOLD,   /* keep it until net_release() */
};

struct net_rule {
	struct seg_filter filter;
	enum net_action action;
	vtime_t delay;           /* NET_DELAY */
	uint32_t nth;            /* act on the nth match counted from now (1 = next); 0: every */
	uint32_t times;          /* with nth 0: stop after this many (0: no limit) */
};

enum net_drop_reason {
	NET_DROP_LOSS,       /* the link's random loss */
	NET_DROP_RULE,       /* a drop rule */
	NET_DROP_NO_HOST,    /* no node has the destination address */
	NET_DROP_NO_LINK,    /* no link between sender and destination */
	NET_DROP_HOST_DOWN,  /* the destination had crashed when it arrived */
	NET_DROP_MIDDLEBOX,  /* a middlebox had forgotten its connection */
};

const char *net_drop_reason_name(enum net_drop_reason r);

struct net_counters {
	uint64_t sent, delivered, injected;
	uint64_t dropped[NET_DROP_MIDDLEBOX + 1];
	uint64_t duplicated, reordered, delayed, held, released;
	uint64_t middlebox_resets;
};

/* What the network tells its tap. */
enum net_ev_kind {
	NET_EV_SEND,     /* a segment entered the network (info->arrival when it will arrive) */
	NET_EV_INJECT,   /* a crafted segment was injected */
	NET_EV_DROP,     /* info->reason */
	NET_EV_DUP,      /* the copy; info->arrival */
	NET_EV_DELAY,    /* a delay rule or reordering added info->extra */
	NET_EV_HOLD,     /* held by info->rule */
	NET_EV_RELEASE,  /* let go by net_release(); info->arrival */
	NET_EV_DELIVER,  /* handed to the destination node */
	NET_EV_MIDDLEBOX_RST, /* a middlebox answered with this reset */
};

struct net_ev_info {
	int from, to;            /* node ids, -1 when not a node (an injected source) */
	enum net_drop_reason reason;
	int rule;                /* rule id, or 0 */
	vtime_t arrival;         /* when it will be delivered */
	vtime_t extra;           /* added delay */
	bool duplicate;          /* this segment is a copy made by a fault */
};

typedef void (*net_tap_fn)(void *ctx, enum net_ev_kind kind, const struct seg *seg,
			   const struct net_ev_info *info);

struct net *net_new(struct evq *q, struct rng *rng, const struct mem_allocator *a);
/* Frees the network, every segment in flight or held, and cancels their events. */
void net_free(struct net *n);
void net_set_tap(struct net *n, net_tap_fn fn, void *ctx);

/* Adds a node; returns its id (>= 0), -EEXIST if the name or address is taken,
 * -EINVAL for a bad name, -ENOSPC past NET_MAX_NODES, -ENOMEM. */
int net_node_add(struct net *n, const char *name, uint32_t addr, net_deliver_fn fn, void *ctx);
int net_node_find(const struct net *n, const char *name);       /* id or -ENOENT */
int net_node_by_addr(const struct net *n, uint32_t addr);       /* id or -ENOENT */
int net_node_count(const struct net *n);
const char *net_node_name(const struct net *n, int id);
uint32_t net_node_addr(const struct net *n, int id);
/* A node that is down loses every segment that arrives for it. */
int net_node_set_up(struct net *n, int id, bool up);
bool net_node_is_up(const struct net *n, int id);
/* A resolver for seg_filter_parse that knows this network's node names. */
int net_resolve(void *net, const char *name, uint32_t *addr);

/* Links. ab applies from a to b, ba from b to a. -EEXIST, -EINVAL, -ENOMEM. */
int net_link_add(struct net *n, int a, int b, const struct link_params *ab,
		 const struct link_params *ba);
/* Changes one direction from now on (segments already in flight keep their times). */
int net_link_set(struct net *n, int from, int to, const struct link_params *p);
int net_link_get(const struct net *n, int from, int to, struct link_params *p);
int net_link_counters(const struct net *n, int from, int to, struct net_counters *c);
const struct net_counters *net_counters(const struct net *n);

/* Fault rules. Returns the rule's id (> 0) or a negative errno. A rule with nth > 0
 * removes itself once it has acted; a NET_HOLD rule keeps its held segments until
 * they are released even after that. */
int net_rule_add(struct net *n, const struct net_rule *r);
int net_rule_remove(struct net *n, int id);       /* held segments are released */
/* Matches counted and actions taken by a rule so far (-ENOENT once it is gone). */
int net_rule_stats(const struct net *n, int id, uint64_t *matched, uint64_t *acted);
/* Lets held segments go on (in the order they were held) through the rest of the way:
 * random faults, middlebox, link delay from now. rule 0 releases every rule's. Returns
 * the number released. */
int net_release(struct net *n, int rule);
int net_held_count(const struct net *n);

/* Segments. The network owns them: get one from net_seg_alloc (zeroed), fill it, and
 * hand it to net_send or net_inject, or give it back with net_seg_free. */
struct seg *net_seg_alloc(struct net *n);
void net_seg_free(struct net *n, struct seg *s);
/* Sends from node `from` (its address should be s->saddr). Takes ownership. */
int net_send(struct net *n, int from, struct seg *s);
/* Delivers a crafted segment from any source address to the node with s->daddr after
 * `delay`, bypassing links, faults and middleboxes. Takes ownership. */
int net_inject(struct net *n, struct seg *s, vtime_t delay);
/* Segments sent or injected but not yet delivered or dropped, including held ones. */
uint64_t net_in_flight(const struct net *n);

/* ---------------------------------------------------------------- middleboxes */

enum middlebox_mode {
	MIDDLEBOX_DROP,  /* silently drop segments of a connection it does not know */
	MIDDLEBOX_RST,   /* answer them with an RST to the sender, and drop them */
};

/* A stateful firewall or NAT on the link between a and b. It learns a connection from
 * a SYN without ACK and refreshes it with every segment; a connection idle for longer
 * than idle_timeout is forgotten, as is one an RST passed through. A segment of a
 * connection it does not know (forgotten, or never seen opening) is dropped or reset. */
struct middlebox_params {
	enum middlebox_mode mode;
	vtime_t idle_timeout;
};

int net_middlebox_set(struct net *n, int a, int b, const struct middlebox_params *p);
int net_middlebox_remove(struct net *n, int a, int b);
/* Connections it currently remembers (forgotten ones not counted). */
int net_middlebox_tracked(const struct net *n, int a, int b);

#endif
