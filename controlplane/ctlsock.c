/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Control socket server (see ctlsock.h for the contract). One epoll set
 * holds the listening socket and every client; everything is non-blocking
 * and level-triggered. Each client has a state machine for its input (header
 * then body, read in as many pieces as the kernel gives) and a byte queue
 * for its output. Clients that misbehave are marked dead and freed at the
 * end of mr_ctl_poll(), so no code path touches a freed client.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "ctlsock.h"

#define ACCEPT_BURST	16	/* accepts per poll */
#define REQ_BURST	32	/* requests served per client per poll */
#define KEEP_BUF	(64u << 10)	/* buffers above this are freed when idle */

struct client {
	int fd;
	unsigned int num;	/* for log lines */
	pid_t pid;
	uid_t uid;
	int hello;		/* HELLO accepted */
	int closing;		/* final response queued: no more reads */
	int dead;		/* to be freed at the end of the poll */
	uint32_t events;	/* registered with epoll */
	uint64_t last_io;	/* ms, monotonic: last byte moved */
	/* input: header, then body */
	struct mr_api_req hdr;
	size_t hdr_have;
	uint8_t *body;
	size_t body_cap;
	size_t body_have;
	/* output: pending bytes are out[out_off..out_len) */
	uint8_t *out;
	size_t out_off;
	size_t out_len;
	size_t out_cap;
};

struct handler {
	mr_ctl_handler fn;
	void *arg;
};

struct mr_ctl {
	int lfd;
	int epfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	struct client *clients[MR_CTL_MAX_CLIENTS];
	unsigned int nclients;
	unsigned int next_num;
	struct handler handlers[MR_API_TYPE_MAX];
	mr_ctl_log_fn log;
	void *log_arg;
	size_t out_cap;
	int stall_ms;
	uint64_t last_accept_err;
	struct mr_ctl_out resp;	/* reused for every handler call */
};

/* ---- response body helpers ---------------------------------------- */

void *
mr_ctl_out_reserve(struct mr_ctl_out *out, size_t n)
{
	size_t need, cap;
	uint8_t *p;

	if (n > MR_API_MAX_BODY || out->len > MR_API_MAX_BODY - n) {
		errno = EMSGSIZE;
		return NULL;
	}
	need = out->len + n;
	if (need > out->cap) {
		cap = out->cap != 0 ? out->cap : 4096;
		while (cap < need)
			cap *= 2;
		if (cap > MR_API_MAX_BODY)
			cap = MR_API_MAX_BODY;
		p = realloc(out->data, cap);
		if (p == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		out->data = p;
		out->cap = cap;
	}
	p = out->data + out->len;
	memset(p, 0, n);
	out->len = need;
	return p;
}

int
mr_ctl_out_append(struct mr_ctl_out *out, const void *p, size_t n)
{
	void *dst;

	if (n == 0)
		return 0;
	dst = mr_ctl_out_reserve(out, n);
	if (dst == NULL)
		return -errno;
	memcpy(dst, p, n);
	return 0;
}

/* ---- logging and time --------------------------------------------- */

static void
log_stderr(void *arg, int level, const char *msg)
{
	fprintf(stderr, "mrelay ctl: %s\n", msg);
}

static void __attribute__((format(printf, 3, 4)))
ctl_log(struct mr_ctl *ctl, int level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl->log(ctl->log_arg, level, msg);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- socket creation ---------------------------------------------- */

/* Create the missing directories above path, mode 0755. */
static int
make_parents(const char *path, char *err, size_t errlen)
{
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;
	char *s;

	snprintf(buf, sizeof(buf), "%s", path);
	for (s = buf + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(buf, 0755) == 0) {
			/* the umask may have narrowed it */
			if (chmod(buf, 0755) < 0) {
				int e = errno;

				set_err(err, errlen, "chmod %s: %s", buf,
					strerror(e));
				return -e;
			}
		} else if (errno != EEXIST) {
			int e = errno;

			set_err(err, errlen, "cannot create directory %s: %s",
				buf, strerror(e));
			return -e;
		}
		if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode)) {
			set_err(err, errlen, "%s is not a directory", buf);
			return -ENOTDIR;
		}
		*s = '/';
	}
	return 0;
}

/*
 * Deal with a file already at path: nothing there -> 0; a socket nobody
 * listens on, owned by us -> removed, 0; anything else -> -errno.
 */
static int
clear_stale(const char *path, const struct sockaddr_un *sa, char *err,
	    size_t errlen)
{
	struct stat st;
	int fd, rc, e;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		e = errno;
		set_err(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISSOCK(st.st_mode)) {
		set_err(err, errlen,
			"%s exists and is not a socket; refusing to replace it",
			path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		set_err(err, errlen, "socket: %s", strerror(e));
		return -e;
	}
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = rc < 0 ? errno : 0;
	close(fd);
	if (rc == 0 || e == EAGAIN) {
		set_err(err, errlen,
			"%s: another daemon is listening on this socket", path);
		return -EADDRINUSE;
	}
	if (e != ECONNREFUSED) {
		set_err(err, errlen, "%s: cannot probe the existing socket: %s",
			path, strerror(e));
		return -e;
	}
	if (st.st_uid != geteuid()) {
		set_err(err, errlen,
			"%s: stale socket owned by uid %u, not by us; remove it by hand",
			path, (unsigned int)st.st_uid);
		return -EPERM;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		e = errno;
		set_err(err, errlen, "%s: cannot remove stale socket: %s",
			path, strerror(e));
		return -e;
	}
	return 0;
}

static int
lookup_group(const char *group, gid_t *gid, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	char buf[4096];
	int rc;

	rc = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
	if (rc != 0 || res == NULL) {
		set_err(err, errlen, "group %s: %s", group,
			rc != 0 ? strerror(rc) : "no such group");
		return rc != 0 ? -rc : -ENOENT;
	}
	*gid = gr.gr_gid;
	return 0;
}

int
mr_ctl_open(struct mr_ctl **ctlp, const char *path, mode_t mode,
	    const char *group, char *err, size_t errlen)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct mr_ctl *ctl;
	gid_t gid = (gid_t)-1;
	struct stat st;
	mode_t old;
	int rc, e;

	*ctlp = NULL;
	if (path == NULL || path[0] == '\0') {
		set_err(err, errlen, "empty control socket path");
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		set_err(err, errlen,
			"control socket path is %zu bytes, a Unix socket holds at most %zu: %s",
			strlen(path), sizeof(sa.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (mode == 0)
		mode = MR_CTL_DEFAULT_MODE;
	if (group != NULL && group[0] != '\0') {
		rc = lookup_group(group, &gid, err, errlen);
		if (rc < 0)
			return rc;
	}
	rc = make_parents(path, err, errlen);
	if (rc < 0)
		return rc;
	rc = clear_stale(path, &sa, err, errlen);
	if (rc < 0)
		return rc;

	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ctl->epfd = -1;
	ctl->log = log_stderr;
	ctl->out_cap = MR_CTL_OUT_CAP;
	ctl->stall_ms = MR_CTL_STALL_MS;
	memcpy(ctl->path, path, strlen(path) + 1);

	ctl->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			  0);
	if (ctl->lfd < 0) {
		e = errno;
		set_err(err, errlen, "socket: %s", strerror(e));
		free(ctl);
		return -e;
	}
	/* Nobody but us may open it between bind() and chmod(). */
	old = umask(0177);
	rc = bind(ctl->lfd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old);
	if (rc < 0) {
		set_err(err, errlen, "bind %s: %s", path, strerror(e));
		close(ctl->lfd);
		free(ctl);
		return -e;
	}
	if (stat(path, &st) == 0) {
		ctl->dev = st.st_dev;
		ctl->ino = st.st_ino;
	}
	if (chmod(path, mode & 07777) < 0) {
		e = errno;
		set_err(err, errlen, "chmod %s: %s", path, strerror(e));
		goto fail;
	}
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) {
		e = errno;
		set_err(err, errlen, "chown %s to group %s: %s", path, group,
			strerror(e));
		goto fail;
	}
	if (listen(ctl->lfd, MR_CTL_MAX_CLIENTS) < 0) {
		e = errno;
		set_err(err, errlen, "listen %s: %s", path, strerror(e));
		goto fail;
	}
	ctl->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctl->epfd < 0) {
		e = errno;
		set_err(err, errlen, "epoll_create1: %s", strerror(e));
		goto fail;
	}
	ev.data.ptr = NULL;	/* NULL: the listening socket */
	if (epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, ctl->lfd, &ev) < 0) {
		e = errno;
		set_err(err, errlen, "epoll_ctl: %s", strerror(e));
		goto fail;
	}
	*ctlp = ctl;
	return 0;
fail:
	mr_ctl_close(ctl);
	return -e;
}

int
mr_ctl_set_handler(struct mr_ctl *ctl, uint16_t type, mr_ctl_handler h,
		   void *arg)
{
	if (type == MR_API_HELLO || type == 0 || type >= MR_API_TYPE_MAX)
		return -EINVAL;
	ctl->handlers[type].fn = h;
	ctl->handlers[type].arg = arg;
	return 0;
}

void
mr_ctl_set_log(struct mr_ctl *ctl, mr_ctl_log_fn fn, void *arg)
{
	ctl->log = fn != NULL ? fn : log_stderr;
	ctl->log_arg = arg;
}

void
mr_ctl_set_limits(struct mr_ctl *ctl, size_t out_cap, int stall_ms)
{
	if (out_cap != 0)
		ctl->out_cap = out_cap;
	if (stall_ms > 0)
		ctl->stall_ms = stall_ms;
}

int
mr_ctl_fd(const struct mr_ctl *ctl)
{
	return ctl->epfd;
}

unsigned int
mr_ctl_nclients(const struct mr_ctl *ctl)
{
	return ctl->nclients;
}

/* ---- clients -------------------------------------------------------- */

static void
client_kill(struct mr_ctl *ctl, struct client *c, const char *why)
{
	if (c->dead)
		return;
	if (why != NULL)
		ctl_log(ctl, LOG_NOTICE,
			"client #%u (pid %d uid %u): %s; disconnected", c->num,
			(int)c->pid, (unsigned int)c->uid, why);
	c->dead = 1;
}

static void
client_events(struct mr_ctl *ctl, struct client *c)
{
	struct epoll_event ev = {.data.ptr = c};

	if (c->dead)
		return;
	ev.events = c->closing ? 0 : EPOLLIN;
	if (c->out_len > c->out_off)
		ev.events |= EPOLLOUT;
	if (ev.events == c->events)
		return;
	if (epoll_ctl(ctl->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
		client_kill(ctl, c, "epoll_ctl failed");
		return;
	}
	c->events = ev.events;
}

/* Send what is queued. Kills the client on a socket error. */
static void
client_flush(struct mr_ctl *ctl, struct client *c)
{
	ssize_t n;

	while (!c->dead && c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += n;
			c->last_io = now_ms();
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			client_kill(ctl, c, NULL);	/* peer went away */
			return;
		}
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->out_cap > KEEP_BUF) {
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
		if (c->closing) {
			client_kill(ctl, c, NULL);
			return;
		}
	}
	client_events(ctl, c);
}

/* Queue n bytes at the end of the client's output. */
static int
client_queue(struct client *c, const void *p, size_t n)
{
	size_t need, cap;
	uint8_t *q;

	if (n == 0)
		return 0;
	if (c->out_off > 0 && c->out_len + n > c->out_cap) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	need = c->out_len + n;
	if (need > c->out_cap) {
		cap = c->out_cap != 0 ? c->out_cap : 4096;
		while (cap < need)
			cap *= 2;
		q = realloc(c->out, cap);
		if (q == NULL)
			return -ENOMEM;
		c->out = q;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	return 0;
}

/*
 * Send one response. Written straight to the socket when nothing is
 * queued, the rest queued. A client whose queue would pass the output cap
 * is not reading its responses: it is disconnected.
 */
static void
client_reply(struct mr_ctl *ctl, struct client *c, uint32_t id, int status,
	     const void *body, uint32_t len)
{
	struct mr_api_resp r = {.len = len, .for_id = id, .status = status};
	struct iovec iov[2];
	size_t off = 0, hlen = sizeof(r);
	ssize_t n;

	if (c->dead)
		return;
	if (status != 0 && body == NULL)
		r.len = len = 0;
	if (c->out_off == c->out_len) {
		struct msghdr mh = {.msg_iov = iov,
				    .msg_iovlen = len != 0 ? 2 : 1};

		iov[0].iov_base = &r;
		iov[0].iov_len = hlen;
		iov[1].iov_base = (void *)(uintptr_t)body;
		iov[1].iov_len = len;
		/* MSG_NOSIGNAL: a peer that went away must not SIGPIPE us */
		do
			n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			client_kill(ctl, c, NULL);
			return;
		}
		if (n > 0) {
			off = n;
			c->last_io = now_ms();
		}
	}
	if (off == hlen + len)
		goto done;
	if (c->out_len - c->out_off + (hlen + len - off) > ctl->out_cap) {
		client_kill(ctl, c, "output cap exceeded (not reading its responses)");
		return;
	}
	if (off < hlen) {
		if (client_queue(c, (uint8_t *)&r + off, hlen - off) < 0 ||
		    client_queue(c, body, len) < 0) {
			client_kill(ctl, c, "out of memory");
			return;
		}
	} else if (client_queue(c, (const uint8_t *)body + (off - hlen),
				len - (off - hlen)) < 0) {
		client_kill(ctl, c, "out of memory");
		return;
	}
done:
	client_flush(ctl, c);
}

/* Answer then close once the answer is out. */
static void
client_fatal(struct mr_ctl *ctl, struct client *c, uint32_t id, int status,
	     const void *body, uint32_t len, const char *why)
{
	ctl_log(ctl, LOG_NOTICE, "client #%u (pid %d uid %u): %s (%s)", c->num,
		(int)c->pid, (unsigned int)c->uid, why, strerror(-status));
	c->closing = 1;
	client_reply(ctl, c, id, status, body, len);
}

static void
do_hello(struct mr_ctl *ctl, struct client *c)
{
	struct mr_api_hello ours = {.version = MR_API_VERSION}, theirs;

	if (c->hdr.len != sizeof(theirs)) {
		client_fatal(ctl, c, c->hdr.id, -EINVAL, NULL, 0,
			     "bad HELLO length");
		return;
	}
	memcpy(&theirs, c->body, sizeof(theirs));
	if (theirs.version != MR_API_VERSION) {
		char why[64];

		snprintf(why, sizeof(why), "API version %u, we speak %u",
			 theirs.version, MR_API_VERSION);
		client_fatal(ctl, c, c->hdr.id, -EPROTONOSUPPORT, &ours,
			     sizeof(ours), why);
		return;
	}
	if (theirs.reserved != 0) {
		client_fatal(ctl, c, c->hdr.id, -EINVAL, NULL, 0,
			     "HELLO reserved field not zero");
		return;
	}
	c->hello = 1;
	client_reply(ctl, c, c->hdr.id, 0, &ours, sizeof(ours));
}

/*
 * Checks that need only the header and end the connection: made before the
 * body is read, so a peer that is not speaking our protocol is answered at
 * once instead of after we waited for a body it never meant to send.
 * Returns 0 to go on reading, -1 if the connection is closing.
 */
static int
check_header(struct mr_ctl *ctl, struct client *c)
{
	const struct mr_api_req *h = &c->hdr;

	if (h->len > MR_API_MAX_BODY) {
		client_fatal(ctl, c, h->id, -EMSGSIZE, NULL, 0,
			     "request body too large");
		return -1;
	}
	if (c->hello)
		return 0;
	if (h->type != MR_API_HELLO) {
		client_fatal(ctl, c, h->id, -EPROTO, NULL, 0,
			     "first request is not HELLO");
		return -1;
	}
	if (h->len != sizeof(struct mr_api_hello) || h->flags != 0) {
		client_fatal(ctl, c, h->id, -EINVAL, NULL, 0,
			     "malformed HELLO");
		return -1;
	}
	return 0;
}

/* A whole request is in c->hdr / c->body: answer it. */
static void
dispatch(struct mr_ctl *ctl, struct client *c)
{
	const struct mr_api_req *h = &c->hdr;
	const struct handler *hd;
	int st;

	if (h->flags != 0) {
		client_reply(ctl, c, h->id, -EINVAL, NULL, 0);
		return;
	}
	if (h->type == MR_API_HELLO) {
		do_hello(ctl, c);
		return;
	}
	if (h->type >= MR_API_TYPE_MAX ||
	    ctl->handlers[h->type].fn == NULL) {
		client_reply(ctl, c, h->id, -EOPNOTSUPP, NULL, 0);
		return;
	}
	hd = &ctl->handlers[h->type];
	ctl->resp.len = 0;
	st = hd->fn(hd->arg, h->type, c->body, h->len, &ctl->resp);
	if (st > 0) {
		ctl_log(ctl, LOG_ERR, "handler of type %u returned %d",
			h->type, st);
		st = -EIO;
	}
	if (st != 0)
		client_reply(ctl, c, h->id, st, NULL, 0);
	else
		client_reply(ctl, c, h->id, 0, ctl->resp.data,
			     (uint32_t)ctl->resp.len);
	if (ctl->resp.cap > KEEP_BUF) {
		free(ctl->resp.data);
		ctl->resp.data = NULL;
		ctl->resp.cap = 0;
	}
}

/*
 * Read what the client sent and serve up to REQ_BURST whole requests; the
 * rest waits for the next poll (level-triggered), so one busy client does
 * not starve the others.
 */
static void
client_read(struct mr_ctl *ctl, struct client *c)
{
	unsigned int served = 0;
	uint8_t *p;
	size_t want;
	ssize_t n;

	while (!c->dead && !c->closing && served < REQ_BURST) {
		if (c->hdr_have < sizeof(c->hdr)) {
			p = (uint8_t *)&c->hdr + c->hdr_have;
			want = sizeof(c->hdr) - c->hdr_have;
		} else {
			p = c->body + c->body_have;
			want = c->hdr.len - c->body_have;
		}
		if (want > 0) {
			n = recv(c->fd, p, want, MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n <= 0) {
				/* EOF: finish sending what we owe, then close */
				if (n == 0 && c->out_len > c->out_off) {
					c->closing = 1;
					client_events(ctl, c);
				} else {
					client_kill(ctl, c, NULL);
				}
				return;
			}
			c->last_io = now_ms();
			if (c->hdr_have < sizeof(c->hdr)) {
				c->hdr_have += n;
				if (c->hdr_have < sizeof(c->hdr))
					continue;
				if (check_header(ctl, c) < 0)
					return;
				if (c->hdr.len > c->body_cap) {
					p = realloc(c->body, c->hdr.len);
					if (p == NULL) {
						client_kill(ctl, c,
							    "out of memory");
						return;
					}
					c->body = p;
					c->body_cap = c->hdr.len;
				}
				c->body_have = 0;
			} else {
				c->body_have += n;
			}
			if (c->hdr_have < sizeof(c->hdr) ||
			    c->body_have < c->hdr.len)
				continue;
		}
		dispatch(ctl, c);
		served++;
		c->hdr_have = 0;
		c->body_have = 0;
		if (c->body_cap > KEEP_BUF) {
			free(c->body);
			c->body = NULL;
			c->body_cap = 0;
		}
	}
}

static void
do_accept(struct mr_ctl *ctl)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct ucred cred;
	socklen_t clen;
	struct client *c;
	unsigned int i;
	int fd;

	for (i = 0; i < ACCEPT_BURST; i++) {
		fd = accept4(ctl->lfd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED)
				return;
			/* EMFILE & co: the listener stays readable, so log at
			 * most once a second */
			if (now_ms() - ctl->last_accept_err >= 1000) {
				ctl->last_accept_err = now_ms();
				ctl_log(ctl, LOG_WARNING, "accept: %s",
					strerror(errno));
			}
			return;
		}
		if (ctl->nclients >= MR_CTL_MAX_CLIENTS) {
			struct mr_api_resp r = {.status = -EUSERS};

			ctl_log(ctl, LOG_WARNING,
				"%u control clients already connected; refusing another",
				ctl->nclients);
			/* best effort: a new socket has room for 12 bytes */
			if (send(fd, &r, sizeof(r),
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* nothing more to do: closing anyway */
			}
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			ctl_log(ctl, LOG_ERR, "out of memory for a client");
			close(fd);
			continue;
		}
		c->fd = fd;
		c->num = ++ctl->next_num;
		c->pid = -1;
		c->uid = (uid_t)-1;
		clen = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
			c->pid = cred.pid;
			c->uid = cred.uid;
		}
		c->last_io = now_ms();
		c->events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			ctl_log(ctl, LOG_ERR, "epoll_ctl: %s", strerror(errno));
			close(fd);
			free(c);
			continue;
		}
		ctl->clients[ctl->nclients++] = c;
	}
}

static void
client_free(struct client *c)
{
	close(c->fd);
	free(c->body);
	free(c->out);
	free(c);
}

/* Drop stalled clients, then free the dead ones. */
static void
sweep(struct mr_ctl *ctl)
{
	uint64_t now = now_ms();
	struct client *c;
	unsigned int i;

	for (i = 0; i < ctl->nclients; i++) {
		c = ctl->clients[i];
		if (c->dead)
			continue;
		if ((!c->hello || c->hdr_have > 0 || c->out_len > c->out_off) &&
		    now - c->last_io > (uint64_t)ctl->stall_ms)
			client_kill(ctl, c, !c->hello ? "no HELLO in time" :
				    c->hdr_have > 0 ? "request stalled" :
				    "not reading its responses");
	}
	for (i = 0; i < ctl->nclients;) {
		c = ctl->clients[i];
		if (!c->dead) {
			i++;
			continue;
		}
		/* close() removes the fd from the epoll set */
		client_free(c);
		ctl->clients[i] = ctl->clients[--ctl->nclients];
	}
}

int
mr_ctl_poll(struct mr_ctl *ctl, int timeout_ms)
{
	struct epoll_event evs[MR_CTL_MAX_CLIENTS + 1];
	struct client *c;
	int n, i;

	n = epoll_wait(ctl->epfd, evs, MR_CTL_MAX_CLIENTS + 1, timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			n = 0;
		else
			return -errno;
	}
	for (i = 0; i < n; i++) {
		c = evs[i].data.ptr;
		if (c == NULL) {
			do_accept(ctl);
			continue;
		}
		if (c->dead)
			continue;
		if (evs[i].events & EPOLLERR) {
			client_kill(ctl, c, NULL);
			continue;
		}
		if (evs[i].events & EPOLLOUT)
			client_flush(ctl, c);
		if (evs[i].events & (EPOLLIN | EPOLLHUP))
			client_read(ctl, c);
		if (evs[i].events & EPOLLHUP && !c->closing)
			client_kill(ctl, c, NULL);
	}
	sweep(ctl);
	return n;
}

void
mr_ctl_close(struct mr_ctl *ctl)
{
	struct stat st;
	unsigned int i;

	if (ctl == NULL)
		return;
	for (i = 0; i < ctl->nclients; i++)
		client_free(ctl->clients[i]);
	if (ctl->epfd >= 0)
		close(ctl->epfd);
	if (ctl->lfd >= 0)
		close(ctl->lfd);
	/* Only remove the file if it is still ours: a newer daemon may have
	 * taken the path over. */
	if (lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(ctl->path);
	free(ctl->resp.data);
	free(ctl);
}
