/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * libmrelayctl: client side of the mrelay control API (api.h), used by
 * mrelayctl and by gateways. Blocking calls with a timeout; one connection
 * is used by one thread at a time (open one per thread otherwise).
 *
 * Errors: mr_client_connect() returns NULL and sets errno. Every other call
 * returns 0 or a negative errno. That errno is either the daemon's answer
 * (it refused the request: -EINVAL, -ENOENT...) or a local/transport
 * failure (-ETIMEDOUT, -ECONNRESET, -EBADMSG...); mr_client_error() tells
 * them apart: it is non-zero once the connection is unusable.
 *
 * Batch calls (the *_set/_del/_add functions) send the n records as one
 * request: the daemon applies all of them or none. A batch larger than
 * MR_API_MAX_BODY is refused locally with -EMSGSIZE; split it yourself,
 * knowing each part is then its own transaction.
 */
#ifndef MRELAY_CTLCLIENT_H
#define MRELAY_CTLCLIENT_H

#include <stdint.h>

#include "api.h"

#define MR_CLIENT_TIMEOUT_MS	10000

struct mr_client;

/*
 * Connect to the daemon's socket at path (NULL: MR_API_DEFAULT_SOCK) and
 * say HELLO. Returns the connection, or NULL with errno set: ENAMETOOLONG
 * (path does not fit a Unix address), ENOENT/ECONNREFUSED (no daemon),
 * EACCES, EPROTONOSUPPORT (the daemon speaks another API version), EUSERS
 * (too many clients), ETIMEDOUT...
 */
struct mr_client *
mr_client_connect(const char *path);

/* Close the connection and free it; c may be NULL. */
void
mr_client_close(struct mr_client *c);

/* Per-call timeout in milliseconds (default MR_CLIENT_TIMEOUT_MS). */
void
mr_client_set_timeout(struct mr_client *c, int timeout_ms);

/* 0 while the connection is usable, else the positive errno that broke
 * it (a later call fails at once with that error). */
int
mr_client_error(const struct mr_client *c);

/*
 * Send one request and wait for its response. On return, if resp is not
 * NULL, *resp holds the response body (malloc'ed, the caller frees it; NULL
 * when empty) and *resp_len its length, whatever the status.
 * Returns the daemon's status (0 or -errno) or a local -errno.
 */
int
mr_client_call(struct mr_client *c, uint16_t type, const void *body,
	       uint32_t len, void **resp, uint32_t *resp_len);

/* ---- batches (all or nothing) ---- */
int mr_client_endpoint_set(struct mr_client *c,
			   const struct mr_api_endpoint *eps, uint32_t n);
int mr_client_endpoint_del(struct mr_client *c,
			   const struct mr_api_endpoint *eps, uint32_t n);
int mr_client_device_set(struct mr_client *c,
			 const struct mr_api_device *devs, uint32_t n);
int mr_client_device_del(struct mr_client *c,
			 const struct mr_api_device *devs, uint32_t n);
int mr_client_group_set(struct mr_client *c,
			const struct mr_api_group *grps, uint32_t n);
int mr_client_group_del(struct mr_client *c,
			const struct mr_api_group *grps, uint32_t n);
int mr_client_member_set(struct mr_client *c,
			 const struct mr_api_member *mems, uint32_t n);
int mr_client_member_del(struct mr_client *c,
			 const struct mr_api_member *mems, uint32_t n);
int mr_client_sub_add(struct mr_client *c,
		      const struct mr_api_sub *subs, uint32_t n);
int mr_client_sub_del(struct mr_client *c,
		      const struct mr_api_sub *subs, uint32_t n);

/*
 * ---- queries ----
 * Array results are malloc'ed into *out (NULL when empty; the caller frees)
 * with their count in *n. Paged lists return one page: call again with
 * after = the key of the last item (see docs/control-api.md) until a page
 * comes back empty.
 */
int mr_client_endpoint_list(struct mr_client *c,
			    struct mr_api_endpoint **out, uint32_t *n);
int mr_client_user_show(struct mr_client *c, uint64_t user,
			struct mr_api_device **out, uint32_t *n);
int mr_client_device_list(struct mr_client *c, uint64_t after,
			  uint32_t limit, struct mr_api_device **out,
			  uint32_t *n);
/* The group, and its members from offset (limit 0: as many as fit). */
int mr_client_group_show(struct mr_client *c, uint64_t id, uint32_t offset,
			 uint32_t limit, struct mr_api_group *grp,
			 struct mr_api_member **out, uint32_t *n);
int mr_client_group_list(struct mr_client *c, uint64_t after,
			 uint32_t limit, struct mr_api_group **out,
			 uint32_t *n);
int mr_client_sub_list(struct mr_client *c, uint64_t after, uint32_t limit,
		       struct mr_api_sub **out, uint32_t *n);
int mr_client_stats(struct mr_client *c, struct mr_api_stat **out,
		    uint32_t *n);
/*
 * One page of the export: *text (malloc'ed, NUL-terminated, the caller
 * frees) holds hdr->text_len bytes of JSON lines. Start with cursor 0 and
 * continue with hdr->next_cursor until hdr->done.
 */
int mr_client_export_page(struct mr_client *c, uint64_t cursor,
			  uint32_t limit, struct mr_api_export *hdr,
			  char **text);

#endif /* MRELAY_CTLCLIENT_H */
