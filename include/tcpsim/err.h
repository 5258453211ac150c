/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_ERR_H
#define TCPSIM_ERR_H

/*
 * The one table of error codes: symbolic name, Linux's number, and Linux's message.
 * Every layer returns these as negative values (-EPIPE); a script's `-> EPIPE`, the
 * printed text and the number all come from this list, so they never drift apart.
 * The numbers are Linux's (asm-generic/errno.h), whatever the host system's are.
 */

#include <stdbool.h>

#define TCPSIM_ERRNO_LIST(X)                                              \
	X(EPERM, 1, "Operation not permitted")                            \
	X(ENOENT, 2, "No such file or directory")                         \
	X(EINTR, 4, "Interrupted system call")                            \
	X(EBADF, 9, "Bad file descriptor")                                \
	X(EAGAIN, 11, "Resource temporarily unavailable")                 \
	X(ENOMEM, 12, "Cannot allocate memory")                           \
	X(EACCES, 13, "Permission denied")                                \
	X(EFAULT, 14, "Bad address")                                      \
	X(EBUSY, 16, "Device or resource busy")                           \
	X(EEXIST, 17, "File exists")                                      \
	X(EINVAL, 22, "Invalid argument")                                 \
	X(ENFILE, 23, "Too many open files in system")                    \
	X(EMFILE, 24, "Too many open files")                              \
	X(ENOSPC, 28, "No space left on device")                          \
	X(EPIPE, 32, "Broken pipe")                                       \
	X(ERANGE, 34, "Numerical result out of range")                    \
	X(ENOSYS, 38, "Function not implemented")                         \
	X(ENOTSOCK, 88, "Socket operation on non-socket")                 \
	X(EDESTADDRREQ, 89, "Destination address required")               \
	X(EMSGSIZE, 90, "Message too long")                               \
	X(ENOPROTOOPT, 92, "Protocol not available")                      \
	X(EOPNOTSUPP, 95, "Operation not supported")                      \
	X(EAFNOSUPPORT, 97, "Address family not supported by protocol")   \
	X(EADDRINUSE, 98, "Address already in use")                       \
	X(EADDRNOTAVAIL, 99, "Cannot assign requested address")           \
	X(ENETUNREACH, 101, "Network is unreachable")                     \
	X(ECONNABORTED, 103, "Software caused connection abort")          \
	X(ECONNRESET, 104, "Connection reset by peer")                    \
	X(ENOBUFS, 105, "No buffer space available")                      \
	X(EISCONN, 106, "Transport endpoint is already connected")        \
	X(ENOTCONN, 107, "Transport endpoint is not connected")           \
	X(ESHUTDOWN, 108, "Cannot send after transport endpoint shutdown") \
	X(ETIMEDOUT, 110, "Connection timed out")                         \
	X(ECONNREFUSED, 111, "Connection refused")                        \
	X(EHOSTUNREACH, 113, "No route to host")                          \
	X(EALREADY, 114, "Operation already in progress")                 \
	X(EINPROGRESS, 115, "Operation now in progress")

/* EWOULDBLOCK is EAGAIN on Linux; err_from_name accepts both names. */

/* Name of an error code, positive or negative ("EPIPE"), or NULL if unknown. */
const char *err_name(int code);
/* Linux's message for it ("Broken pipe"), or "Unknown error". */
const char *err_message(int code);
/* Linux's number for it (32 for EPIPE), or 0 if unknown. */
int err_linux_number(int code);
/* The (positive) code for a name such as "EPIPE", or 0 if there is none. */
int err_from_name(const char *name);
/* Every name, for completion and documentation; NULL-terminated. */
const char *const *err_names(void);

#endif
