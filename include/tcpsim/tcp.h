/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_TCP_H
#define TCPSIM_TCP_H

/*
 * What the TCP layer shows the rest of tcpsim: the eleven states of RFC 9293, the
 * events it reports to observers, the per-host counters (named as Linux's netstat
 * counters), and the read-only snapshot of one connection.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpsim/vtime.h"

enum tcp_state {
	TCPS_CLOSED,
	TCPS_LISTEN,
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_FIN_WAIT_1,
	TCPS_FIN_WAIT_2,
	TCPS_CLOSE_WAIT,
	TCPS_CLOSING,
	TCPS_LAST_ACK,
	TCPS_TIME_WAIT,
};
#define TCPS_COUNT (TCPS_TIME_WAIT + 1)

/* RFC 9293's name with underscores: "FIN_WAIT_1". */
const char *tcp_state_name(enum tcp_state s);
/* What `ss` prints: "ESTAB", "FIN-WAIT-1", "SYN-RECV", "UNCONN" for CLOSED. */
const char *tcp_state_ss_name(enum tcp_state s);
/* Reads a state name in any case, with '_' or '-', or ss's short forms (ESTAB,
 * SYN-RECV). 0, or -EINVAL. */
int tcp_state_parse(const char *text, enum tcp_state *s);

enum tcp_timer {
	TCP_TIMER_RTO,       /* retransmission (also SYN and SYN-ACK) */
	TCP_TIMER_TLP,       /* tail loss probe */
	TCP_TIMER_PERSIST,   /* zero-window probe */
	TCP_TIMER_DELACK,    /* delayed ACK */
	TCP_TIMER_KEEPALIVE,
	TCP_TIMER_FIN_WAIT_2, /* orphan in FIN_WAIT_2 */
	TCP_TIMER_TIME_WAIT,
	TCP_TIMER_LINGER,    /* SO_LINGER {1,N} wait in close() */
};
#define TCP_TIMER_COUNT (TCP_TIMER_LINGER + 1)
const char *tcp_timer_name(enum tcp_timer t); /* "RTO", "TLP", "persist", ... */

/* Per-host counters, named as Linux's /proc/net/snmp and netstat -s fields. */
#define TCP_COUNTER_LIST(X)                                                              \
	X(active_opens, "ActiveOpens", "connections opened with connect()")              \
	X(passive_opens, "PassiveOpens", "connections accepted from a listener")         \
	X(attempt_fails, "AttemptFails", "opening connections that failed")             \
	X(estab_resets, "EstabResets", "established connections reset")                 \
	X(in_segs, "InSegs", "segments received")                                       \
	X(out_segs, "OutSegs", "segments sent")                                         \
	X(retrans_segs, "RetransSegs", "segments retransmitted")                        \
	X(out_rsts, "OutRsts", "resets sent")                                           \
	X(in_rsts, "InRsts", "resets received")                                         \
	X(timeouts, "TCPTimeouts", "retransmission timeouts")                           \
	X(loss_probes, "TCPLossProbes", "tail loss probes sent")                        \
	X(syn_retrans, "TCPSynRetrans", "SYN and SYN-ACK retransmissions")               \
	X(delayed_acks, "DelayedACKs", "ACKs sent by the delayed-ACK timer")             \
	X(challenge_acks, "TCPChallengeACK", "challenge ACKs sent (RFC 5961)")          \
	X(acks_skipped, "TCPACKSkipped", "answers withheld by tcp_invalid_ratelimit")      \
	X(paws_rejected, "PAWSEstab", "segments dropped by PAWS")                        \
	X(zero_window_probes, "TCPWinProbe", "zero-window probes sent")                  \
	X(abort_on_close, "TCPAbortOnClose", "closes with unread data answered by RST") \
	X(abort_on_data, "TCPAbortOnData", "data for a closed socket answered by RST")  \
	X(abort_on_linger, "TCPAbortOnLinger", "closes with SO_LINGER 0 sending RST")   \
	X(abort_on_timeout, "TCPAbortOnTimeout", "connections given up after retries")  \
	X(listen_overflows, "ListenOverflows", "SYNs dropped for a full accept queue")  \
	X(tw_created, "TW", "TIME_WAIT entries made, orphans' FIN_WAIT_2 ones too")      \
	X(tw_finished, "TWExpired", "TIME_WAIT entries that ran their time (tcpsim's)") \
	X(tw_killed, "TWAssassinated", "TIME_WAIT ended early by an RST (tcpsim's own)") \
	X(tw_recycled, "TWRecycled", "TIME_WAIT 4-tuples reused by connect()")          \
	X(tw_overflow, "TCPTimeWaitOverflow", "closes past tcp_max_tw_buckets")          \
	X(fin_wait2_timeouts, "FinWait2Timeouts", "orphans dropped in FIN_WAIT_2 (tcpsim's)") \
	X(sigpipes, "SIGPIPE", "send() calls that would have raised SIGPIPE")

struct tcp_counters {
#define TCP_COUNTER_FIELD(field, name, help) uint64_t field;
	TCP_COUNTER_LIST(TCP_COUNTER_FIELD)
#undef TCP_COUNTER_FIELD
};

struct tcp_counter_desc {
	const char *name;  /* the netstat name, "TCPAbortOnClose" */
	const char *field; /* the struct field, "abort_on_close" */
	size_t offset;
	const char *help;
};
/* The table, ending with a NULL name. Names are matched without regard to case,
 * and by the netstat name or the field name. */
const struct tcp_counter_desc *tcp_counter_table(void);
int tcp_counter_get(const struct tcp_counters *c, const char *name, uint64_t *value);

/* ---------------------------------------------------------------- events */

enum tcp_ev_kind {
	TCP_EV_STATE,        /* from -> to, with a reason */
	TCP_EV_CALL,         /* a socket call and its result */
	TCP_EV_TIMER_SET,    /* timer, when */
	TCP_EV_TIMER_FIRE,
	TCP_EV_TIMER_CANCEL,
	TCP_EV_SOCK_NEW,     /* a socket (or an accepted child) was created */
	TCP_EV_SOCK_FREE,    /* the connection's last trace is gone */
};

struct tcp_event {
	enum tcp_ev_kind kind;
	int host;               /* node id */
	uint32_t sock;          /* the connection's id on its host */
	enum tcp_state from, to;
	const char *reason;     /* why a state changed ("FIN received"), or NULL */
	enum tcp_timer timer;
	vtime_t when;           /* a timer's deadline */
	const char *call;       /* "connect", "close", ... */
	int fd;
	long result;            /* a call's result: >= 0, or a negative errno */
};

typedef void (*tcp_event_fn)(void *ctx, const struct tcp_event *ev);

/* ---------------------------------------------------------------- inspection */

struct tcp_info {
	uint32_t id;
	enum tcp_state state;
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	bool orphan;             /* closed by the application, still alive */
	int refs;                /* descriptors referring to it */
	/* RFC 9293 send and receive sequence variables */
	uint32_t iss, snd_una, snd_nxt, snd_wnd;
	uint32_t irs, rcv_nxt, rcv_wnd;
	/* queues, in bytes */
	uint32_t send_queue;     /* written, not yet acknowledged (ss Send-Q) */
	uint32_t recv_queue;     /* received in order, not yet read (ss Recv-Q) */
	uint32_t ooo_queue;      /* received out of order */
	/* negotiated options */
	bool ts_ok, sack_ok, ws_ok;
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss;            /* the MSS this side sends with */
	/* timing */
	vtime_t srtt, rttvar, rto;
	int backoff;             /* RTO doublings in force */
	int retransmits;         /* unanswered retransmissions */
	uint32_t cwnd, ssthresh; /* in segments */
	/* timers running, with their deadlines (0 when not running) */
	vtime_t timer[TCP_TIMER_COUNT];
	int pending_error;       /* SO_ERROR: negative errno or 0 */
	bool shut_rd, shut_wr;   /* what the application shut down */
	bool eof;                /* the peer's FIN (or a reset) has been received */
	bool pingpong;           /* Linux's interactive (delayed-ACK) mode */
};

#endif
