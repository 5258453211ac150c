/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_TCP_INTERNAL_H
#define TCPSIM_TCP_INTERNAL_H

/*
 * Inside the TCP layer only: the host and TCB structures and the functions the
 * files of src/tcp/ share. The TCB is also the socket (as Linux's struct tcp_sock
 * is): descriptors point at it, and it lives on after the last close as an orphan
 * until the connection is over.
 *
 * Files: host.c (descriptors, ids, demultiplexing, ports, ISS), sock.c (the API),
 * tcb.c (RFC 9293 3.10.7 SEGMENT ARRIVES and state changes), tcb_out.c (building and
 * sending segments), tcb_timer.c (RTT estimation and every timer), bytes.c (queues).
 */

#include <stdbool.h>
#include <stdint.h>

#include "tcpsim/host.h"
#include "tcpsim/seg.h"
#include "tcpsim/sock.h"
#include "tcpsim/tcp.h"

/* ---------------------------------------------------------------- byte queues */

/* A byte stream that counts bytes and keeps their values only once a real byte has
 * been written: a workload that sends counts costs no memory for payload. */
struct bytes {
	uint64_t len;      /* bytes queued */
	uint8_t *buf;      /* ring of cap bytes holding them, or NULL while none is real */
	uint64_t cap, head;
};

int bytes_push(struct bytes *b, const struct mem_allocator *a, const uint8_t *data,
	       uint64_t len);
/* Copies len bytes from offset off (zeros where only counted); out may be NULL. */
void bytes_peek(const struct bytes *b, uint64_t off, uint64_t len, uint8_t *out);
void bytes_drop(struct bytes *b, uint64_t len);
bool bytes_real(const struct bytes *b);
void bytes_free(struct bytes *b, const struct mem_allocator *a);

/* A segment received out of order, kept until the hole before it fills. */
struct ooo_seg {
	struct ooo_seg *next;
	uint32_t seq, len;
	uint8_t *data;     /* NULL when the segment carried no real bytes */
};

/* ---------------------------------------------------------------- the TCB */

struct tcb {
	struct host *h;
	uint32_t id;            /* connection id: its creation number on the host, from 1 */
	uint32_t slot;
	enum tcp_state state;
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	bool hashed;            /* in the 4-tuple table */
	bool bound;             /* holds its local port in the port table */
	bool bound_explicit;    /* by bind() (or listen), not by connect() */
	bool listening;         /* counted as a listener of its port */
	bool passive;           /* opened from a listener (RFC 9293: passive OPEN) */
	bool handed_over;       /* its connection lives on as a TIME_WAIT entry */
	bool tw_reused;         /* connect() took over a TIME_WAIT 4-tuple: start from */
	uint32_t tw_iss, tw_ts_recent; /* ... this ISS, and its last timestamp */
	bool sndbuf_locked, rcvbuf_locked; /* set by SO_SNDBUF / SO_RCVBUF */

	/* socket level */
	int refs;               /* descriptors */
	bool orphan;            /* closed by the application */
	bool nonblock, reuseaddr, nodelay, keepalive;
	bool linger_on;
	int linger_s;
	int sk_err;             /* pending error (SO_ERROR), negative errno or 0 */
	bool shut_rd, shut_wr;  /* what the application shut */
	bool rcv_eof;           /* peer FIN or reset: reads end */
	bool fin_rcvd;          /* the peer's FIN itself (Linux SOCK_DONE) */
	bool reset;             /* ended by a reset: writes fail EPIPE */
	bool connect_started;
	bool connected;         /* connect() succeeded (sock->state SS_CONNECTED) */
	uint32_t sndbuf, rcvbuf;

	/* listener */
	struct tcb *parent;     /* for a child not yet accepted */
	struct tcb *children;   /* a listener's children not yet accepted, any state */
	struct tcb *next_child; /* link in the parent's list (or the host's spares) */
	struct tcb *acceptq;    /* established children, oldest first */
	struct tcb *next_accept;
	int backlog;
	int nchildren, naccept;

	/* send sequence space (RFC 9293 3.3.1) */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_window;    /* largest window the peer offered */
	struct bytes sndq;      /* data from sndq_seq on, sent or not */
	uint32_t sndq_seq;      /* sequence number of sndq's first byte */
	bool fin_queued;        /* FIN goes after the queued data */
	uint32_t last_seg_seq;  /* where the last new segment sent began (for TLP) */
	uint32_t snd_sml;       /* end of the last small segment sent (Nagle, Minshall) */

	/* receive sequence space */
	uint32_t irs, rcv_nxt, rcv_wnd, rcv_adv; /* rcv_adv: right edge advertised */
	uint32_t rcv_ssthresh;  /* Linux's window growth bound */
	struct bytes rcvq;      /* in order, not yet read */
	struct ooo_seg *ooo;
	uint32_t ooo_bytes;
	uint32_t ooo_last;      /* start of the latest out-of-order arrival (SACK order) */
	bool ooo_fin;           /* a FIN arrived out of order, at ooo_fin_seq */
	uint32_t ooo_fin_seq;

	/* options */
	uint16_t mss_offer;     /* what we offered */
	uint16_t peer_mss;      /* what the peer offered (536 if nothing) */
	uint16_t mss;           /* effective send MSS (less timestamp bytes) */
	uint8_t snd_wscale, rcv_wscale;
	bool ws_ok, ts_ok, sack_ok;
	uint32_t ts_offset;
	uint32_t ts_recent;
	vtime_t ts_recent_stamp;
	uint32_t last_oow_ms;   /* virtual ms of the last out-of-window answer; 0 none */

	/* RTT and retransmission */
	vtime_t srtt8, mdev4, mdev_max, rttvar; /* Linux's scaled estimator */
	uint32_t rtt_seq;       /* Linux: end of the current RTT measurement period */
	vtime_t rto;
	int backoff;
	int retransmits;        /* consecutive timeouts without progress */
	vtime_t retrans_stamp;  /* when the first of them was sent (time budget) */
	uint32_t timed_seq;     /* segment being timed (Karn), valid when timing */
	vtime_t timed_at;
	bool timing;
	vtime_t head_sent;      /* when the oldest unacknowledged segment was sent */
	uint32_t tlp_high_seq;  /* a probe is out for data up to here */
	bool tlp_out;
	int dupacks;
	uint32_t recover;       /* NewReno: snd_max at the start of recovery */
	bool in_recovery;

	/* congestion (in segments, as Linux's snd_cwnd) */
	uint32_t cwnd, ssthresh, cwnd_cnt;

	/* delayed ACK (Linux inet_connection_sock icsk_ack) */
	bool ack_pending;
	int quick;              /* quick ACKs left */
	bool pingpong;
	vtime_t ato;
	vtime_t lrcvtime;       /* last data received */
	vtime_t lsndtime;       /* last data sent */
	uint32_t rcv_unacked;   /* bytes received since the last ACK we sent */
	bool ack_now;           /* an immediate ACK is owed */

	/* persist and keepalive */
	int probes;

	/* timers: one event each */
	evq_id timer[TCP_TIMER_COUNT];
	vtime_t timer_at[TCP_TIMER_COUNT];
};

/* ---------------------------------------------------------------- TIME_WAIT entries */

/* In the 4-tuple and id tables, a value with this bit names a TIME_WAIT entry. */
#define TW_TAG 0x80000000u

#define TW_FIN_WAIT_2 0x01  /* substate: an orphan waiting for the peer's FIN */
#define TW_TS 0x02          /* timestamps were on */
#define TW_BOUND 0x04       /* holds its local port */
#define TW_EXPLICIT 0x08    /* ... taken by bind() or a listener */
#define TW_REUSE 0x10       /* ... with SO_REUSEADDR */

/* What is left of a connection in TIME_WAIT (or an orphan in FIN_WAIT_2): Linux's
 * time-wait minisocket, 72 bytes instead of a full TCB, so a million cost 72 MB. */
struct tw {
	struct host *h;
	evq_id timer;
	vtime_t ts_recent_stamp;
	uint32_t raddr;
	uint16_t lport, rport;
	uint32_t rcv_nxt, snd_nxt;
	uint32_t ts_recent, ts_offset;
	uint32_t rcv_wnd;        /* bytes, as advertised when it was made */
	uint32_t id;             /* the connection's id: names follow it here */
	uint32_t idx;            /* its place in the pool */
	uint32_t last_oow_ms;    /* virtual ms of the last out-of-window answer; 0 none */
	uint8_t rcv_wscale;
	uint8_t flags;           /* TW_* */
	uint8_t in_use;
};

#define TW_CHUNK 1024

/* Hands a TCB over to a TIME_WAIT entry (or, with fin_wait_2, an orphan's FIN_WAIT_2
 * entry): the entry takes the connection's id, 4-tuple and port, and the TCB is left
 * CLOSED for any descriptor still on it. Past tcp_max_tw_buckets no entry is made
 * (TCPTimeWaitOverflow) and the connection simply ends. */
void tw_enter(struct tcb *t, bool fin_wait_2, const char *reason);
/* A segment for a TIME_WAIT entry (Linux tcp_timewait_state_process). */
void tw_input(struct host *h, uint32_t idx, const struct seg *s);
struct tw *tw_get(const struct host *h, uint32_t idx);
/* connect(): may this entry's 4-tuple be taken (tcp_tw_reuse, tcp_twsk_unique)? If
 * so the entry goes (TWRecycled) and *iss, *ts_recent are what the new one starts
 * from. `bound`: the local port was fixed by bind(), not chosen by connect(). */
bool tw_reuse(struct host *h, uint32_t idx, bool bound, uint32_t *iss, uint32_t *ts_recent);
void tw_info(const struct tw *tw, struct tcp_info *i);
void tw_free_all(struct host *h);

/* ---------------------------------------------------------------- the host */

struct hmap_entry {
	uint64_t key;
	uint32_t val;
	uint32_t used;
};

struct hmap {
	struct hmap_entry *e;
	uint32_t cap, n;
};

/* Who holds a local port, for bind() conflicts and ephemeral port choice. */
struct port_use {
	uint32_t total;         /* sockets holding it */
	uint32_t explicit_;     /* ... of which bound by bind() or listening */
	uint32_t noreuse;       /* ... of which without SO_REUSEADDR */
	uint32_t listening;
};

struct host {
	struct host_env env;
	struct tcp_config cfg;
	struct tcp_counters ctr;
	uint32_t addr;

	/* connections by slot; ids are creation numbers, never reused */
	struct tcb **tcbs;
	uint32_t ntcbs, cap_tcbs;
	uint32_t *free_slots;
	uint32_t nfree;
	struct tcb *spare;      /* freed TCBs kept for reuse (linked by next_child) */
	uint32_t next_id;
	struct hmap ids;        /* id -> slot */

	/* descriptors: fds[i] is a slot + 1, or 0 when free */
	uint32_t *fds;
	int nfds;

	struct hmap conns;      /* (lport, raddr, rport) -> slot */
	struct hmap listeners;  /* lport -> slot */
	struct hmap ports;      /* lport -> index into port_use */
	struct port_use *port_use;
	uint32_t nport_use, cap_port_use;

	/* TIME_WAIT entries */
	struct tw **tw_chunks;
	uint32_t tw_nchunks, tw_cap_chunks, tw_used;
	uint32_t *tw_free;
	uint32_t tw_nfree, tw_count;

	/* ISS and ephemeral ports */
	bool iss_fixed;
	uint32_t iss_next, iss_step;
	bool iss_hint;          /* the next ISS is this one (a SYN into TIME_WAIT) */
	uint32_t iss_hint_value;
	uint64_t port_secret;
	uint32_t port_perturb[256];
};

/* ---------------------------------------------------------------- shared functions */

int hmap_get(const struct hmap *m, uint64_t key, uint32_t *val);
int hmap_put(struct hmap *m, const struct mem_allocator *a, uint64_t key, uint32_t val);
int hmap_del(struct hmap *m, uint64_t key);
void hmap_free(struct hmap *m, const struct mem_allocator *a);

static inline uint64_t conn_key(uint16_t lport, uint32_t raddr, uint16_t rport)
{
	return (uint64_t)raddr << 32 | (uint64_t)rport << 16 | lport;
}

/* host.c */
struct tcb *tcb_alloc(struct host *h);
void tcb_release(struct tcb *t);   /* frees a CLOSED TCB with no descriptors */
struct tcb *host_tcb(const struct host *h, uint32_t id);
struct tcb *host_fd_tcb(const struct host *h, int fd);
int host_fd_alloc(struct host *h, struct tcb *t);
void host_fd_free(struct host *h, int fd);
int tcb_hash(struct tcb *t);
void tcb_unhash(struct tcb *t);
int host_bind_port(struct host *h, struct tcb *t, uint16_t port);
/* An accepted connection holds its listener's port, as Linux's children share the
 * listener's bind bucket (inet_inherit_port). */
int host_hold_port(struct tcb *t);
void host_unbind(struct tcb *t);
void host_set_reuseaddr(struct tcb *t, bool on);
int host_pick_port(struct host *h, struct tcb *t, uint32_t raddr, uint16_t rport);
uint32_t host_new_iss(struct host *h);
void host_emit(struct host *h, const struct tcp_event *ev);
vtime_t host_now(const struct host *h);
const struct mem_allocator *host_alloc(const struct host *h);

/* tcb.c */
void tcb_set_state(struct tcb *t, enum tcp_state s, const char *reason);
void tcb_input(struct tcb *t, const struct seg *s);
void tcb_listen_input(struct tcb *l, const struct seg *s);
void tcb_closed_input(struct host *h, const struct seg *s);
/* Ends the connection: state CLOSED, timers stopped, unhashed; frees it when nothing
 * refers to it. err is the pending error the application will see (or 0). */
void tcb_done(struct tcb *t, int err, const char *reason);
void tcb_init_from_config(struct tcb *t);

/* tcb_out.c */
void tcb_output(struct tcb *t);
void tcb_send_ack(struct tcb *t);
/* Linux tcp_oow_rate_limited, for a full socket and a TIME_WAIT entry alike: may an
 * answer to an out-of-window segment go now? `last_ms` is the stamp of the last one
 * (0: none). With s NULL (a challenge ACK) every answer counts; otherwise a segment
 * with data or a FIN is always answered. */
bool tcp_oow_may_answer(struct host *h, uint32_t *last_ms, const struct seg *s);
void tcb_send_syn(struct tcb *t);     /* SYN, or SYN-ACK in SYN_RECEIVED */
void tcb_send_rst(struct tcb *t);     /* <SEQ=SND.NXT><CTL=RST> */
int tcb_send_reset_for(struct host *h, const struct seg *in);
/* (Re)sends the segment at the head of the queue: a retransmission. */
void tcb_retransmit_head(struct tcb *t);
void tcb_send_probe(struct tcb *t);   /* zero-window probe or keepalive */
uint32_t tcb_rcv_window(struct tcb *t); /* the window to advertise, unscaled bytes */
uint32_t tcb_flight(const struct tcb *t); /* bytes in flight */
uint32_t tcb_unsent(const struct tcb *t); /* bytes queued, not yet sent */
uint32_t tcb_ts_now(const struct tcb *t);

/* tcb_timer.c */
void tcb_timer_set(struct tcb *t, enum tcp_timer k, vtime_t delay);
void tcb_timer_cancel(struct tcb *t, enum tcp_timer k);
void tcb_timers_cancel_all(struct tcb *t);
bool tcb_timer_pending(const struct tcb *t, enum tcp_timer k);
void tcb_rtt_sample(struct tcb *t, vtime_t m);
void tcb_rearm_rto(struct tcb *t);
void tcb_schedule_tlp(struct tcb *t);
vtime_t tcb_persist_when(const struct tcb *t); /* the zero-window probe's wait */
void tcb_ack_scheduled(struct tcb *t);   /* after data arrives: now, or delay it */
void tcb_ack_sent(struct tcb *t);        /* an ACK left: the delayed one is moot */
void tcb_data_received(struct tcb *t, uint32_t len); /* Linux tcp_event_data_recv */
void tcb_data_sent(struct tcb *t);       /* Linux tcp_event_data_sent */
vtime_t tcb_fin_time(const struct tcb *t); /* Linux tcp_fin_time */

#endif
