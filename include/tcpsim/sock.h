/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_SOCK_H
#define TCPSIM_SOCK_H

/*
 * The sockets API of a simulated host, with Linux's semantics and errno values.
 *
 * Every call is non-blocking at this level: a call that would block returns -EAGAIN
 * (connect: -EINPROGRESS) and the caller waits for sock_poll() to report readiness
 * while the world runs, then calls again (connect: sock_connect_result). That is how
 * the script interpreter and the REPL block in virtual time; whether a socket is
 * blocking (O_NONBLOCK) is recorded here for them and for inspection.
 *
 * Descriptors are small integers per host, the lowest free one from 3 up, as a
 * process's first socket() returns 3. dup() gives another descriptor for the same
 * socket; only the last close() acts on the connection.
 *
 * Results: >= 0 on success, a negative errno (err.h) on failure.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpsim/host.h"

#define SOCK_SHUT_RD 0
#define SOCK_SHUT_WR 1
#define SOCK_SHUT_RDWR 2

#define SOCK_POLLIN 0x001
#define SOCK_POLLOUT 0x004
#define SOCK_POLLERR 0x008
#define SOCK_POLLHUP 0x010
#define SOCK_POLLRDHUP 0x2000

enum sock_opt {
	SOCKOPT_REUSEADDR,  /* int */
	SOCKOPT_LINGER,     /* onoff, seconds */
	SOCKOPT_ERROR,      /* get only: the pending error, cleared by reading it */
	SOCKOPT_RCVBUF,     /* int; Linux doubles what is set */
	SOCKOPT_SNDBUF,     /* int; Linux doubles what is set */
	SOCKOPT_NODELAY,    /* int (TCP_NODELAY) */
	SOCKOPT_KEEPALIVE,  /* int */
};

int sock_socket(struct host *h);
/* Binds to the host's address and `port` (0: an ephemeral port). */
int sock_bind(struct host *h, int fd, uint16_t port);
int sock_listen(struct host *h, int fd, int backlog);
/* A new descriptor for the next established connection, or -EAGAIN. */
int sock_accept(struct host *h, int fd);
/* Starts opening: -EINPROGRESS while the handshake runs (also for blocking sockets;
 * their caller then waits for SOCK_POLLOUT and reads sock_connect_result). */
int sock_connect(struct host *h, int fd, uint32_t addr, uint16_t port);
/* After POLLOUT: 0 if connected, else the error (and it is consumed, as SO_ERROR). */
int sock_connect_result(struct host *h, int fd);
/* Queues len bytes (data NULL: len bytes whose values do not matter). Returns the
 * number accepted, which may be less than len when the send buffer fills, or -EAGAIN
 * when none fit. flags: SOCK_MSG_NOSIGNAL. */
#define SOCK_MSG_NOSIGNAL 0x4000
long sock_send(struct host *h, int fd, const uint8_t *data, size_t len, int flags);
/* Reads up to len bytes (buf NULL: discard them). 0 at end of stream; -EAGAIN when
 * nothing is queued and the stream is open. */
long sock_recv(struct host *h, int fd, uint8_t *buf, size_t len);
int sock_shutdown(struct host *h, int fd, int how);
int sock_close(struct host *h, int fd);
int sock_dup(struct host *h, int fd);
int sock_setsockopt(struct host *h, int fd, enum sock_opt opt, int value, int value2);
int sock_getsockopt(struct host *h, int fd, enum sock_opt opt, int *value, int *value2);
int sock_set_nonblock(struct host *h, int fd, bool on);
bool sock_is_nonblock(const struct host *h, int fd);
/* Readiness, as poll() would report it: SOCK_POLL* bits, or -EBADF. */
int sock_poll(const struct host *h, int fd);
/* The connection id behind a descriptor (for host_sock_info), or -EBADF. */
long sock_id(const struct host *h, int fd);
/* A close() with SO_LINGER {1,N} on a blocking socket waits: true while the close
 * of this connection is still lingering (FIN not yet acknowledged, N not passed). */
bool sock_lingering(const struct host *h, uint32_t id);

#endif
