/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * libmrelayctl: see ctlclient.h. The socket is non-blocking and every wait
 * goes through poll() against one deadline per call, so no call blocks for
 * longer than the timeout whatever the daemon does. A connection on which a
 * call timed out or the framing broke is marked broken: a late answer would
 * otherwise be taken for the answer to the next request.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "ctlclient.h"

struct mr_client {
	int fd;
	int timeout_ms;
	int err;		/* positive errno once the connection broke */
	uint32_t next_id;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events or the deadline passes. 0 or -errno. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left;
	int rc;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		rc = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
		if (rc > 0)
			return 0;
		if (rc == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* Send the two pieces completely. 0 or -errno. */
static int
send_all(int fd, const void *a, size_t alen, const void *b, size_t blen,
	 int64_t deadline)
{
	struct iovec iov[2] = {
		{.iov_base = (void *)(uintptr_t)a, .iov_len = alen},
		{.iov_base = (void *)(uintptr_t)b, .iov_len = blen},
	};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = blen != 0 ? 2 : 1};
	ssize_t n;
	int rc;

	while (mh.msg_iovlen > 0) {
		/* MSG_NOSIGNAL: a dead daemon must not SIGPIPE the caller */
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			rc = wait_fd(fd, POLLOUT, deadline);
			if (rc < 0)
				return rc;
			continue;
		}
		while (mh.msg_iovlen > 0 && (size_t)n >= mh.msg_iov->iov_len) {
			n -= mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen > 0) {
			mh.msg_iov->iov_base = (uint8_t *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= n;
		}
	}
	return 0;
}

/* Receive exactly len bytes. 0 or -errno (-ECONNRESET on EOF). */
static int
recv_all(int fd, void *buf, size_t len, int64_t deadline)
{
	uint8_t *p = buf;
	ssize_t n;
	int rc;

	while (len > 0) {
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
broken(struct mr_client *c, int rc)
{
	c->err = -rc;
	return rc;
}

int
mr_client_call(struct mr_client *c, uint16_t type, const void *body,
	       uint32_t len, void **resp, uint32_t *resp_len)
{
	struct mr_api_req q = {.len = len, .type = type};
	struct mr_api_resp r;
	int64_t deadline;
	uint8_t *buf;
	int rc, src;

	if (resp != NULL)
		*resp = NULL;
	if (resp_len != NULL)
		*resp_len = 0;
	if (c->err != 0)
		return -c->err;
	if (len > MR_API_MAX_BODY)
		return -EMSGSIZE;
	if (len > 0 && body == NULL)
		return -EINVAL;
	q.id = ++c->next_id;
	if (q.id == 0)		/* 0 is for unsolicited answers */
		q.id = ++c->next_id;
	deadline = now_ms() + c->timeout_ms;

	src = send_all(c->fd, &q, sizeof(q), body, len, deadline);
	if (src == -ETIMEDOUT)
		return broken(c, src);
	/* If sending failed, the daemon may have answered and hung up (bad
	 * version, too many clients): read that answer before giving up. */
	if (src < 0)
		deadline = now_ms() + 100;
	rc = recv_all(c->fd, &r, sizeof(r), deadline);
	if (rc < 0)
		return broken(c, src < 0 ? src : rc);
	if (r.for_id != q.id) {
		/* for_id 0: the daemon refused the connection itself */
		if (r.for_id == 0 && r.status < 0 && r.len == 0)
			return broken(c, r.status);
		return broken(c, -EBADMSG);
	}
	if (r.len > MR_API_MAX_BODY)
		return broken(c, -EBADMSG);
	buf = NULL;
	if (r.len > 0) {
		buf = malloc((size_t)r.len + 1);
		if (buf == NULL)
			return broken(c, -ENOMEM);
		rc = recv_all(c->fd, buf, r.len, deadline);
		if (rc < 0) {
			free(buf);
			return broken(c, rc);
		}
		buf[r.len] = '\0';	/* convenience for text bodies */
	}
	if (src < 0)
		c->err = -src;	/* we got the answer, but the stream is gone */
	if (resp != NULL) {
		*resp = buf;
		if (resp_len != NULL)
			*resp_len = r.len;
	} else {
		free(buf);
	}
	return r.status > 0 ? -EBADMSG : r.status;
}

struct mr_client *
mr_client_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct mr_api_hello h = {.version = MR_API_VERSION}, rh;
	struct mr_client *c;
	uint32_t rlen;
	void *resp;
	int rc;

	if (path == NULL)
		path = MR_API_DEFAULT_SOCK;
	if (path[0] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->timeout_ms = MR_CLIENT_TIMEOUT_MS;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = errno;
		free(c);
		errno = rc;
		return NULL;
	}
	/* non-blocking: a full backlog gives EAGAIN instead of a hang */
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = errno;
		goto fail;
	}
	rc = mr_client_call(c, MR_API_HELLO, &h, sizeof(h), &resp, &rlen);
	if (rc == 0 && (rlen != sizeof(rh) || resp == NULL))
		rc = -EBADMSG;
	if (rc == 0) {
		memcpy(&rh, resp, sizeof(rh));
		if (rh.version != MR_API_VERSION)
			rc = -EPROTONOSUPPORT;
	}
	free(resp);
	if (rc < 0) {
		rc = -rc;
		goto fail;
	}
	return c;
fail:
	close(c->fd);
	free(c);
	errno = rc;
	return NULL;
}

void
mr_client_close(struct mr_client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c);
}

void
mr_client_set_timeout(struct mr_client *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : MR_CLIENT_TIMEOUT_MS;
}

int
mr_client_error(const struct mr_client *c)
{
	return c->err;
}

/* ---- batches ---- */

static int
batch(struct mr_client *c, uint16_t type, const void *recs, size_t size,
      uint32_t n)
{
	if (n == 0)
		return 0;
	if ((uint64_t)n * size > MR_API_MAX_BODY)
		return -EMSGSIZE;
	return mr_client_call(c, type, recs, (uint32_t)(n * size), NULL, NULL);
}

#define BATCH(fn, type, rec)						\
int									\
fn(struct mr_client *c, const struct rec *r, uint32_t n)		\
{									\
	return batch(c, type, r, sizeof(*r), n);			\
}

BATCH(mr_client_endpoint_set, MR_API_ENDPOINT_SET, mr_api_endpoint)
BATCH(mr_client_endpoint_del, MR_API_ENDPOINT_DEL, mr_api_endpoint)
BATCH(mr_client_device_set, MR_API_DEVICE_SET, mr_api_device)
BATCH(mr_client_device_del, MR_API_DEVICE_DEL, mr_api_device)
BATCH(mr_client_group_set, MR_API_GROUP_SET, mr_api_group)
BATCH(mr_client_group_del, MR_API_GROUP_DEL, mr_api_group)
BATCH(mr_client_member_set, MR_API_MEMBER_SET, mr_api_member)
BATCH(mr_client_member_del, MR_API_MEMBER_DEL, mr_api_member)
BATCH(mr_client_sub_add, MR_API_SUB_ADD, mr_api_sub)
BATCH(mr_client_sub_del, MR_API_SUB_DEL, mr_api_sub)

/* ---- queries ---- */

/* Call and return the body as an array of size-byte records. */
static int
query_array(struct mr_client *c, uint16_t type, const void *body,
	    uint32_t len, size_t size, void **out, uint32_t *n)
{
	uint32_t rlen;
	void *resp;
	int rc;

	*out = NULL;
	*n = 0;
	rc = mr_client_call(c, type, body, len, &resp, &rlen);
	if (rc == 0 && rlen % size != 0)
		rc = -EBADMSG;
	if (rc < 0) {
		free(resp);
		return rc;
	}
	*out = resp;	/* malloc'ed: aligned for any record */
	*n = rlen / size;
	return 0;
}

int
mr_client_endpoint_list(struct mr_client *c, struct mr_api_endpoint **out,
			uint32_t *n)
{
	return query_array(c, MR_API_ENDPOINT_LIST, NULL, 0, sizeof(**out),
			   (void **)out, n);
}

int
mr_client_user_show(struct mr_client *c, uint64_t user,
		    struct mr_api_device **out, uint32_t *n)
{
	return query_array(c, MR_API_USER_SHOW, &user, sizeof(user),
			   sizeof(**out), (void **)out, n);
}

int
mr_client_device_list(struct mr_client *c, uint64_t after, uint32_t limit,
		      struct mr_api_device **out, uint32_t *n)
{
	struct mr_api_list_query q = {.after = after, .limit = limit};

	return query_array(c, MR_API_DEVICE_LIST, &q, sizeof(q),
			   sizeof(**out), (void **)out, n);
}

int
mr_client_group_list(struct mr_client *c, uint64_t after, uint32_t limit,
		     struct mr_api_group **out, uint32_t *n)
{
	struct mr_api_list_query q = {.after = after, .limit = limit};

	return query_array(c, MR_API_GROUP_LIST, &q, sizeof(q), sizeof(**out),
			   (void **)out, n);
}

int
mr_client_sub_list(struct mr_client *c, uint64_t after, uint32_t limit,
		   struct mr_api_sub **out, uint32_t *n)
{
	struct mr_api_list_query q = {.after = after, .limit = limit};

	return query_array(c, MR_API_SUB_LIST, &q, sizeof(q), sizeof(**out),
			   (void **)out, n);
}

int
mr_client_stats(struct mr_client *c, struct mr_api_stat **out, uint32_t *n)
{
	return query_array(c, MR_API_STATS, NULL, 0, sizeof(**out),
			   (void **)out, n);
}

int
mr_client_group_show(struct mr_client *c, uint64_t id, uint32_t offset,
		     uint32_t limit, struct mr_api_group *grp,
		     struct mr_api_member **out, uint32_t *n)
{
	struct mr_api_group_query q = {.id = id, .offset = offset,
				       .limit = limit};
	uint32_t rlen, cnt;
	uint8_t *resp;
	int rc;

	*out = NULL;
	*n = 0;
	rc = mr_client_call(c, MR_API_GROUP_SHOW, &q, sizeof(q),
			    (void **)&resp, &rlen);
	if (rc == 0 && (rlen < sizeof(*grp) ||
			(rlen - sizeof(*grp)) % sizeof(**out) != 0))
		rc = -EBADMSG;
	if (rc < 0) {
		free(resp);
		return rc;
	}
	memcpy(grp, resp, sizeof(*grp));
	cnt = (rlen - sizeof(*grp)) / sizeof(**out);
	if (cnt > 0) {
		*out = malloc((size_t)cnt * sizeof(**out));
		if (*out == NULL) {
			free(resp);
			return -ENOMEM;
		}
		memcpy(*out, resp + sizeof(*grp), (size_t)cnt * sizeof(**out));
	}
	*n = cnt;
	free(resp);
	return 0;
}

int
mr_client_export_page(struct mr_client *c, uint64_t cursor, uint32_t limit,
		      struct mr_api_export *hdr, char **text)
{
	struct mr_api_list_query q = {.after = cursor, .limit = limit};
	uint32_t rlen;
	uint8_t *resp;
	int rc;

	*text = NULL;
	rc = mr_client_call(c, MR_API_EXPORT, &q, sizeof(q), (void **)&resp,
			    &rlen);
	if (rc == 0 && rlen < sizeof(*hdr))
		rc = -EBADMSG;
	if (rc == 0) {
		memcpy(hdr, resp, sizeof(*hdr));
		if (hdr->text_len != rlen - sizeof(*hdr))
			rc = -EBADMSG;
	}
	if (rc < 0) {
		free(resp);
		return rc;
	}
	*text = malloc((size_t)hdr->text_len + 1);
	if (*text == NULL) {
		free(resp);
		return -ENOMEM;
	}
	memcpy(*text, resp + sizeof(*hdr), hdr->text_len);
	(*text)[hdr->text_len] = '\0';
	free(resp);
	return 0;
}
