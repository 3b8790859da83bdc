/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Control socket server: the mrelayd side of the control API (api.h).
 * Plain C and Linux (epoll), no DPDK, single-threaded: every function must
 * be called from the one thread that runs the daemon's control loop.
 *
 * The server owns framing, HELLO/version negotiation and limits; it hands
 * each well-formed request to the handler the daemon registered for its
 * type and queues the handler's answer. Protocol errors it answers itself:
 *
 *   first request not HELLO          -EPROTO, then close
 *   HELLO with another version        -EPROTONOSUPPORT (body: our hello),
 *                                     then close
 *   HELLO body not 8 bytes / reserved -EINVAL, then close
 *   len > MR_API_MAX_BODY             -EMSGSIZE, then close (the body is not
 *                                     drained: it could be 4 GiB from a
 *                                     peer we no longer trust to frame)
 *   flags != 0                        -EINVAL (connection kept)
 *   unknown type or no handler        -EOPNOTSUPP (connection kept)
 *   more than MR_CTL_MAX_CLIENTS      -EUSERS, then close
 *
 * A client whose queued responses exceed the output cap (16 MiB by default)
 * or that makes no progress reading a response or sending a started request
 * for the stall timeout (30 s) is disconnected; it never delays the others.
 */
#ifndef MRELAY_CTLSOCK_H
#define MRELAY_CTLSOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "api.h"

#define MR_CTL_MAX_CLIENTS	64
#define MR_CTL_OUT_CAP		(16u << 20)	/* queued output per client */
#define MR_CTL_STALL_MS		30000
#define MR_CTL_DEFAULT_MODE	0660

struct mr_ctl;

/*
 * Response body under construction, handed to a handler. Its bytes are
 * data[0..len); it never grows past MR_API_MAX_BODY. The server owns the
 * memory: handlers append, they do not free.
 */
struct mr_ctl_out {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/*
 * Append n bytes at the end of the response body.
 * Returns 0, -EMSGSIZE if the body would exceed MR_API_MAX_BODY, or -ENOMEM.
 */
int
mr_ctl_out_append(struct mr_ctl_out *out, const void *p, size_t n);

/*
 * Append n zeroed bytes and return a pointer to them, for filling records in
 * place. The pointer is valid until the next append or reserve (the buffer
 * may move). Returns NULL and sets errno (EMSGSIZE, ENOMEM) on failure.
 */
void *
mr_ctl_out_reserve(struct mr_ctl_out *out, size_t n);

/*
 * Handler of one request type. body/len is the request body (len bytes, not
 * aligned: memcpy records out of it). The handler appends its answer to out
 * and returns 0 or a negative errno, which becomes the response status. On
 * a non-zero status the body is discarded: error responses carry no body.
 * A change must be durable and visible to every worker before returning 0.
 */
typedef int (*mr_ctl_handler)(void *arg, uint16_t type, const void *body,
			      uint32_t len, struct mr_ctl_out *out);

/* Where the server's log lines go (level: syslog LOG_* values). */
typedef void (*mr_ctl_log_fn)(void *arg, int level, const char *msg);

/*
 * Create the control socket at path and start listening.
 * - path must be shorter than sizeof(sun_path): longer is refused
 *   (-ENAMETOOLONG), never truncated;
 * - missing parent directories are created with mode 0755;
 * - an existing file at path: a socket a live daemon answers on is left
 *   alone (-EADDRINUSE); a dead socket (ECONNREFUSED) owned by our euid is
 *   removed; a dead socket owned by another user (-EPERM) or anything that
 *   is not a socket (-EEXIST) is refused;
 * - the socket is bound under umask 0177, then chmod'ed to mode (0: 0660)
 *   and, if group is not NULL, chown'ed to that group.
 * Changes the process umask for the duration of bind(): call at start-up,
 * before other threads create files.
 * Returns 0 and stores the server in *ctlp, or -errno with a message in err.
 */
int
mr_ctl_open(struct mr_ctl **ctlp, const char *path, mode_t mode,
	    const char *group, char *err, size_t errlen);

/* Register h for requests of the given type (HELLO is the server's own).
 * Returns 0 or -EINVAL. */
int
mr_ctl_set_handler(struct mr_ctl *ctl, uint16_t type, mr_ctl_handler h,
		   void *arg);

/* Route log lines to fn (default: stderr). */
void
mr_ctl_set_log(struct mr_ctl *ctl, mr_ctl_log_fn fn, void *arg);

/* Change the per-client output cap (bytes) and stall timeout (ms); 0 keeps
 * the current value. Mostly for tests. */
void
mr_ctl_set_limits(struct mr_ctl *ctl, size_t out_cap, int stall_ms);

/*
 * A file descriptor that becomes readable when mr_ctl_poll() has work, for
 * the daemon's own epoll/poll loop. When it does, call mr_ctl_poll(ctl, 0);
 * call it at least once a second anyway so stalled clients are dropped.
 */
int
mr_ctl_fd(const struct mr_ctl *ctl);

/*
 * Wait up to timeout_ms (0: do not wait, -1: forever) for activity and
 * service it: accept, read requests, run handlers, write responses, drop
 * stalled clients. Returns the number of events handled or -errno (epoll
 * failure; client errors are never returned, they disconnect the client).
 */
int
mr_ctl_poll(struct mr_ctl *ctl, int timeout_ms);

/* Number of connected clients. */
unsigned int
mr_ctl_nclients(const struct mr_ctl *ctl);

/* Disconnect every client, close the socket and unlink its file if it is
 * still the one we created. ctl may be NULL. */
void
mr_ctl_close(struct mr_ctl *ctl);

#endif /* MRELAY_CTLSOCK_H */
