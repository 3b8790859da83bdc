/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Unit tests of the control socket server (ctlsock.c) and the client
 * library (ctlclient.c): the server runs in a thread of this process with a
 * test handler table; clients are the library or raw sockets that send
 * whatever a broken or hostile peer would send.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <cmocka.h>

#include "api.h"
#include "ctlclient.h"
#include "ctlsock.h"

/* Test handler table:
 *   ENDPOINT_SET  echo the body
 *   STATS         one stat: "clients" = connected clients
 *   EXPORT        body uint32 n: answer n bytes of 0xab
 *   GROUP_DEL     -ENOENT
 *   DEVICE_SET    returns 5 (a buggy handler: becomes -EIO)
 *   MEMBER_SET    sleeps 300 ms, answers 0
 *   others        no handler
 */

struct fixture {
	char dir[64];
	char path[128];
	struct mr_ctl *ctl;
	pthread_t thr;
	int stop;		/* atomic */
};

static int
h_test(void *arg, uint16_t type, const void *body, uint32_t len,
       struct mr_ctl_out *out)
{
	struct fixture *f = arg;
	struct mr_api_stat *st;
	uint32_t n;
	void *p;

	switch (type) {
	case MR_API_ENDPOINT_SET:
		return mr_ctl_out_append(out, body, len);
	case MR_API_STATS:
		st = mr_ctl_out_reserve(out, sizeof(*st));
		if (st == NULL)
			return -errno;
		snprintf(st->name, sizeof(st->name), "clients");
		st->value = mr_ctl_nclients(f->ctl);
		return 0;
	case MR_API_EXPORT:
		if (len != sizeof(n))
			return -EINVAL;
		memcpy(&n, body, sizeof(n));
		p = mr_ctl_out_reserve(out, n);
		if (p == NULL)
			return -errno;
		memset(p, 0xab, n);
		return 0;
	case MR_API_GROUP_DEL:
		return -ENOENT;
	case MR_API_DEVICE_SET:
		return 5;
	case MR_API_MEMBER_SET:
		usleep(300 * 1000);
		return 0;
	}
	return -ENOSYS;
}

static void
quiet_log(void *arg, int level, const char *msg)
{
	(void)arg;
	(void)level;
	if (getenv("CTLSOCK_TEST_LOG") != NULL)
		fprintf(stderr, "[server] %s\n", msg);
}

static void *
server_main(void *arg)
{
	struct fixture *f = arg;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE))
		mr_ctl_poll(f->ctl, 10);
	return NULL;
}

static int
fixture_up(void **state, int stall_ms)
{
	static const uint16_t types[] = {
		MR_API_ENDPOINT_SET, MR_API_STATS, MR_API_EXPORT,
		MR_API_GROUP_DEL, MR_API_DEVICE_SET, MR_API_MEMBER_SET,
	};
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];
	unsigned int i;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ctlsock_test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/run/ctl.sock", f->dir);
	assert_int_equal(mr_ctl_open(&f->ctl, f->path, 0, NULL, err,
				     sizeof(err)), 0);
	mr_ctl_set_log(f->ctl, quiet_log, NULL);
	if (stall_ms > 0)
		mr_ctl_set_limits(f->ctl, 0, stall_ms);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		assert_int_equal(mr_ctl_set_handler(f->ctl, types[i], h_test,
						    f), 0);
	assert_int_equal(pthread_create(&f->thr, NULL, server_main, f), 0);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return fixture_up(state, 0);
}

static int
setup_fast_stall(void **state)
{
	return fixture_up(state, 200);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
	pthread_join(f->thr, NULL);
	mr_ctl_close(f->ctl);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* ---- raw socket helpers ---- */

static int
raw_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static void
raw_send(int fd, uint16_t type, uint16_t flags, uint32_t id, uint32_t len,
	 const void *body, uint32_t body_len)
{
	struct mr_api_req q = {.len = len, .type = type, .flags = flags,
			       .id = id};

	assert_int_equal(send(fd, &q, sizeof(q), MSG_NOSIGNAL), sizeof(q));
	if (body_len > 0)
		assert_int_equal(send(fd, body, body_len, MSG_NOSIGNAL),
				 body_len);
}

/* Read one response; its body (up to cap bytes) into buf. */
static void
raw_recv(int fd, struct mr_api_resp *r, void *buf, size_t cap)
{
	uint8_t tmp[256];
	size_t got = 0, n;
	ssize_t k;

	assert_int_equal(recv(fd, r, sizeof(*r), MSG_WAITALL), sizeof(*r));
	while (got < r->len) {
		n = r->len - got;
		if (buf != NULL && got < cap) {
			if (n > cap - got)
				n = cap - got;
			k = recv(fd, (uint8_t *)buf + got, n, MSG_WAITALL);
		} else {
			if (n > sizeof(tmp))
				n = sizeof(tmp);
			k = recv(fd, tmp, n, MSG_WAITALL);
		}
		assert_true(k > 0);
		got += k;
	}
}

/* The server closed the connection (EOF or reset, after what it sent). */
static void
raw_expect_closed(int fd)
{
	uint8_t b;
	ssize_t n = recv(fd, &b, 1, 0);

	assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
}

static void
raw_hello(int fd, uint32_t version)
{
	struct mr_api_hello h = {.version = version};
	struct mr_api_resp r;

	raw_send(fd, MR_API_HELLO, 0, 1, sizeof(h), &h, sizeof(h));
	raw_recv(fd, &r, &h, sizeof(h));
	assert_int_equal(r.for_id, 1);
	assert_int_equal(r.status, 0);
}

static uint64_t
server_clients(const char *path)
{
	struct mr_client *c = mr_client_connect(path);
	struct mr_api_stat *st;
	uint64_t v;
	uint32_t n;

	assert_non_null(c);
	assert_int_equal(mr_client_stats(c, &st, &n), 0);
	assert_int_equal(n, 1);
	v = st->value - 1;	/* not counting ourselves */
	free(st);
	mr_client_close(c);
	return v;
}

/* Poll until the server has want clients (connections close async). */
static void
wait_clients(const char *path, uint64_t want)
{
	int i;

	for (i = 0; i < 500 && server_clients(path) != want; i++)
		usleep(10 * 1000);
	assert_int_equal(server_clients(path), want);
}

static void
check_echo(struct mr_client *c, uint32_t len, uint8_t seed)
{
	uint8_t *in = malloc(len + 1), *out;
	uint32_t rlen, i;

	assert_non_null(in);
	for (i = 0; i < len; i++)
		in[i] = (uint8_t)(seed + i * 7);
	assert_int_equal(mr_client_call(c, MR_API_ENDPOINT_SET, in, len,
					(void **)&out, &rlen), 0);
	assert_int_equal(rlen, len);
	if (len > 0)
		assert_memory_equal(in, out, len);
	free(out);
	free(in);
}

/* ---- tests ---- */

static void
test_hello_and_echo(void **state)
{
	struct fixture *f = *state;
	struct mr_client *c = mr_client_connect(f->path);

	assert_non_null(c);
	check_echo(c, 0, 0);
	check_echo(c, 100, 1);
	check_echo(c, MR_API_MAX_BODY, 2);	/* the largest body there is */
	assert_int_equal(mr_client_error(c), 0);
	mr_client_close(c);
}

static void
test_version_mismatch(void **state)
{
	struct fixture *f = *state;
	struct mr_api_hello h = {.version = MR_API_VERSION + 1};
	struct mr_api_resp r;
	int fd = raw_connect(f->path);

	raw_send(fd, MR_API_HELLO, 0, 7, sizeof(h), &h, sizeof(h));
	raw_recv(fd, &r, &h, sizeof(h));
	assert_int_equal(r.for_id, 7);
	assert_int_equal(r.status, -EPROTONOSUPPORT);
	assert_int_equal(r.len, sizeof(h));
	assert_int_equal(h.version, MR_API_VERSION);	/* tells its own */
	raw_expect_closed(fd);
	close(fd);
}

static void
test_hello_required_first(void **state)
{
	struct fixture *f = *state;
	struct mr_api_resp r;
	int fd = raw_connect(f->path);

	/* a body is announced but never sent: the answer must not wait */
	raw_send(fd, MR_API_STATS, 0, 3, 1000, NULL, 0);
	raw_recv(fd, &r, NULL, 0);
	assert_int_equal(r.for_id, 3);
	assert_int_equal(r.status, -EPROTO);
	raw_expect_closed(fd);
	close(fd);
}

static void
test_oversize_body(void **state)
{
	struct fixture *f = *state;
	struct mr_api_resp r;
	struct mr_client *c;
	int fd = raw_connect(f->path);

	raw_hello(fd, MR_API_VERSION);
	raw_send(fd, MR_API_ENDPOINT_SET, 0, 9, MR_API_MAX_BODY + 1, NULL, 0);
	raw_recv(fd, &r, NULL, 0);
	assert_int_equal(r.for_id, 9);
	assert_int_equal(r.status, -EMSGSIZE);
	raw_expect_closed(fd);
	close(fd);

	/* the library refuses it before sending and stays usable */
	c = mr_client_connect(f->path);
	assert_non_null(c);
	assert_int_equal(mr_client_call(c, MR_API_ENDPOINT_SET, "",
					MR_API_MAX_BODY + 1, NULL, NULL),
			 -EMSGSIZE);
	assert_int_equal(mr_client_error(c), 0);
	check_echo(c, 10, 3);
	/* a handler cannot answer more than MR_API_MAX_BODY either */
	{
		uint32_t n = MR_API_MAX_BODY + 1;

		assert_int_equal(mr_client_call(c, MR_API_EXPORT, &n,
						sizeof(n), NULL, NULL),
				 -EMSGSIZE);
	}
	mr_client_close(c);
}

static void
test_unknown_type(void **state)
{
	struct fixture *f = *state;
	struct mr_client *c = mr_client_connect(f->path);

	assert_non_null(c);
	assert_int_equal(mr_client_call(c, 0, NULL, 0, NULL, NULL),
			 -EOPNOTSUPP);
	assert_int_equal(mr_client_call(c, MR_API_TYPE_MAX, "abc", 3, NULL,
					NULL), -EOPNOTSUPP);
	assert_int_equal(mr_client_call(c, 0xffff, NULL, 0, NULL, NULL),
			 -EOPNOTSUPP);
	/* known type, no handler registered */
	assert_int_equal(mr_client_call(c, MR_API_SUB_LIST, NULL, 0, NULL,
					NULL), -EOPNOTSUPP);
	/* the connection survives all of that */
	check_echo(c, 50, 4);
	mr_client_close(c);
}

static void
test_flags(void **state)
{
	struct fixture *f = *state;
	struct mr_api_resp r;
	uint8_t body[4] = {1, 2, 3, 4}, back[4];
	int fd = raw_connect(f->path);

	raw_hello(fd, MR_API_VERSION);
	raw_send(fd, MR_API_ENDPOINT_SET, 0x8000, 10, 4, body, 4);
	raw_recv(fd, &r, NULL, 0);
	assert_int_equal(r.for_id, 10);
	assert_int_equal(r.status, -EINVAL);
	assert_int_equal(r.len, 0);
	/* the body was consumed: the stream is still in sync */
	raw_send(fd, MR_API_ENDPOINT_SET, 0, 11, 4, body, 4);
	raw_recv(fd, &r, back, sizeof(back));
	assert_int_equal(r.for_id, 11);
	assert_int_equal(r.status, 0);
	assert_memory_equal(body, back, 4);
	close(fd);
}

static void
test_handler_status(void **state)
{
	struct fixture *f = *state;
	struct mr_client *c = mr_client_connect(f->path);

	assert_non_null(c);
	assert_int_equal(mr_client_call(c, MR_API_GROUP_DEL, NULL, 0, NULL,
					NULL), -ENOENT);
	assert_int_equal(mr_client_call(c, MR_API_DEVICE_SET, NULL, 0, NULL,
					NULL), -EIO);
	assert_int_equal(mr_client_error(c), 0);
	check_echo(c, 1, 5);
	mr_client_close(c);
}

static void
test_garbage_then_good_client(void **state)
{
	struct fixture *f = *state;
	struct mr_client *c;
	uint8_t junk[512];
	unsigned int i, round;
	int fd;

	srand(42);
	for (round = 0; round < 20; round++) {
		fd = raw_connect(f->path);
		if (round & 1)
			raw_hello(fd, MR_API_VERSION);
		for (i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)rand();
		/* may fail if the server already hung up: that is fine */
		(void)!send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
		close(fd);
	}
	/* an HTTP request by mistake: answered, then closed */
	fd = raw_connect(f->path);
	(void)!send(fd, "GET / HTTP/1.0\r\n\r\n", 18, MSG_NOSIGNAL);
	{
		struct mr_api_resp r;

		raw_recv(fd, &r, NULL, 0);
		assert_true(r.status < 0);
	}
	raw_expect_closed(fd);
	close(fd);

	c = mr_client_connect(f->path);
	assert_non_null(c);
	check_echo(c, 1000, 6);
	mr_client_close(c);
	wait_clients(f->path, 0);
}

static void
test_byte_by_byte(void **state)
{
	struct fixture *f = *state;
	struct mr_api_hello h = {.version = MR_API_VERSION};
	struct mr_api_req q = {.len = sizeof(h), .type = MR_API_HELLO,
			       .id = 77};
	uint8_t frame[sizeof(q) + sizeof(h)];
	struct mr_api_resp r;
	unsigned int i;
	int fd = raw_connect(f->path);

	memcpy(frame, &q, sizeof(q));
	memcpy(frame + sizeof(q), &h, sizeof(h));
	for (i = 0; i < sizeof(frame); i++) {
		assert_int_equal(send(fd, frame + i, 1, MSG_NOSIGNAL), 1);
		usleep(2000);
	}
	raw_recv(fd, &r, &h, sizeof(h));
	assert_int_equal(r.for_id, 77);
	assert_int_equal(r.status, 0);
	close(fd);
}

struct worker {
	const char *path;
	unsigned int seed;
	int ok;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct mr_client *c = mr_client_connect(w->path);
	uint8_t buf[3000], *out;
	uint32_t len, rlen, i, k;

	if (c == NULL)
		return NULL;
	for (k = 0; k < 300; k++) {
		len = rand_r(&w->seed) % sizeof(buf);
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rand_r(&w->seed);
		if (mr_client_call(c, MR_API_ENDPOINT_SET, buf, len,
				   (void **)&out, &rlen) != 0 || rlen != len ||
		    (len > 0 && memcmp(buf, out, len) != 0)) {
			free(out);
			mr_client_close(c);
			return NULL;
		}
		free(out);
	}
	mr_client_close(c);
	w->ok = 1;
	return NULL;
}

static void
test_concurrent_clients(void **state)
{
	struct fixture *f = *state;
	struct worker w[8];
	pthread_t t[8];
	unsigned int i;

	for (i = 0; i < 8; i++) {
		w[i] = (struct worker){.path = f->path, .seed = i + 1};
		assert_int_equal(pthread_create(&t[i], NULL, worker_main,
						&w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_true(w[i].ok);
	}
}

static void
test_non_reader_does_not_block(void **state)
{
	struct fixture *f = *state;
	uint32_t n = MR_API_MAX_BODY, i;
	struct mr_client *c;
	struct timespec t0, t1;
	int fd = raw_connect(f->path);

	raw_hello(fd, MR_API_VERSION);
	/* 8 x 4 MiB of answers asked for, none read: past the 16 MiB cap */
	for (i = 0; i < 8; i++)
		raw_send(fd, MR_API_EXPORT, 0, 100 + i, sizeof(n), &n,
			 sizeof(n));
	c = mr_client_connect(f->path);
	assert_non_null(c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 100; i++)
		check_echo(c, 64, (uint8_t)i);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	mr_client_close(c);
	/* the non-reader was cut off; our socket drains then ends */
	wait_clients(f->path, 0);
	close(fd);
}

static void
test_max_clients(void **state)
{
	struct fixture *f = *state;
	int fds[MR_CTL_MAX_CLIENTS], fd;
	struct mr_api_resp r;
	struct mr_client *c;
	unsigned int i;

	for (i = 0; i < MR_CTL_MAX_CLIENTS; i++) {
		fds[i] = raw_connect(f->path);
		raw_hello(fds[i], MR_API_VERSION);
	}
	fd = raw_connect(f->path);	/* accepted by the kernel... */
	raw_recv(fd, &r, NULL, 0);	/* ...refused by the server */
	assert_int_equal(r.for_id, 0);
	assert_int_equal(r.status, -EUSERS);
	raw_expect_closed(fd);
	close(fd);
	errno = 0;
	assert_null(mr_client_connect(f->path));
	assert_int_equal(errno, EUSERS);

	close(fds[0]);
	for (i = 0; i < 200; i++) {
		c = mr_client_connect(f->path);
		if (c != NULL)
			break;
		usleep(10 * 1000);
	}
	assert_non_null(c);
	check_echo(c, 8, 8);
	mr_client_close(c);
	for (i = 1; i < MR_CTL_MAX_CLIENTS; i++)
		close(fds[i]);
}

static void
test_stalled_clients_dropped(void **state)
{
	struct fixture *f = *state;
	struct mr_api_req q = {.len = 8, .type = MR_API_HELLO};
	int silent = raw_connect(f->path);
	int half = raw_connect(f->path);
	int body = raw_connect(f->path);
	int idle = raw_connect(f->path);

	raw_hello(idle, MR_API_VERSION);	/* idle after HELLO: kept */
	assert_int_equal(send(half, &q, 5, MSG_NOSIGNAL), 5);
	assert_int_equal(send(body, &q, sizeof(q), MSG_NOSIGNAL), sizeof(q));
	usleep(600 * 1000);	/* stall timeout is 200 ms here */
	raw_expect_closed(silent);
	raw_expect_closed(half);
	raw_expect_closed(body);
	wait_clients(f->path, 1);
	close(silent);
	close(half);
	close(body);
	close(idle);
}

static void
test_client_timeout(void **state)
{
	struct fixture *f = *state;
	struct mr_client *c = mr_client_connect(f->path);

	assert_non_null(c);
	mr_client_set_timeout(c, 100);
	assert_int_equal(mr_client_call(c, MR_API_MEMBER_SET, NULL, 0, NULL,
					NULL), -ETIMEDOUT);
	assert_int_equal(mr_client_error(c), ETIMEDOUT);
	/* a late answer must not be taken for the next one */
	assert_int_equal(mr_client_call(c, MR_API_ENDPOINT_SET, "x", 1, NULL,
					NULL), -ETIMEDOUT);
	mr_client_close(c);
}

static void
test_path_too_long(void **state)
{
	struct sockaddr_un sa;
	char path[sizeof(sa.sun_path) + 20], err[256] = "";
	struct mr_ctl *ctl = (void *)1;
	struct stat st;

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	memcpy(path, "/tmp/", 5);
	path[sizeof(sa.sun_path)] = '\0';	/* exactly one byte too long */
	assert_int_equal(mr_ctl_open(&ctl, path, 0, NULL, err, sizeof(err)),
			 -ENAMETOOLONG);
	assert_null(ctl);
	assert_true(strlen(err) > 0);
	assert_int_equal(lstat(path, &st), -1);
	/* nor the truncated path */
	path[sizeof(sa.sun_path) - 1] = '\0';
	assert_int_equal(lstat(path, &st), -1);

	errno = 0;
	path[sizeof(sa.sun_path) - 1] = 'a';
	assert_null(mr_client_connect(path));
	assert_int_equal(errno, ENAMETOOLONG);
}

static void
test_stale_socket_replaced(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/ctlsock_stale.XXXXXX", err[256];
	struct mr_ctl *ctl;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s.sock", dir);
	/* a daemon that died without cleaning up */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(lstat(sa.sun_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));

	assert_int_equal(mr_ctl_open(&ctl, sa.sun_path, 0, NULL, err,
				     sizeof(err)), 0);
	mr_ctl_set_log(ctl, quiet_log, NULL);
	/* it listens: a connection gets through the kernel */
	fd = raw_connect(sa.sun_path);
	close(fd);
	mr_ctl_close(ctl);
	assert_int_equal(lstat(sa.sun_path, &st), -1);	/* unlinked */

	/* a dead socket that belongs to someone else is not ours to remove
	 * (only testable as root: others cannot give a file away) */
	if (geteuid() == 0) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
		close(fd);
		assert_int_equal(chown(sa.sun_path, 65534, 65534), 0);
		assert_int_equal(mr_ctl_open(&ctl, sa.sun_path, 0, NULL, err,
					     sizeof(err)), -EPERM);
		assert_int_equal(lstat(sa.sun_path, &st), 0);
		assert_int_equal(st.st_uid, 65534);
		unlink(sa.sun_path);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void
test_live_socket_not_stolen(void **state)
{
	struct fixture *f = *state;
	struct mr_ctl *ctl = NULL;
	struct mr_client *c;
	char err[256] = "";

	assert_int_equal(mr_ctl_open(&ctl, f->path, 0, NULL, err,
				     sizeof(err)), -EADDRINUSE);
	assert_null(ctl);
	assert_non_null(strstr(err, f->path));
	/* the first daemon still answers on its path */
	c = mr_client_connect(f->path);
	assert_non_null(c);
	check_echo(c, 3, 9);
	mr_client_close(c);
}

static void
test_not_a_socket_refused(void **state)
{
	char dir[] = "/tmp/ctlsock_file.XXXXXX", path[64], err[256];
	struct mr_ctl *ctl;
	struct stat st;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("precious\n", fp);
	fclose(fp);
	assert_int_equal(mr_ctl_open(&ctl, path, 0, NULL, err, sizeof(err)),
			 -EEXIST);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 9);
	unlink(path);
	rmdir(dir);
}

static void
test_socket_mode_and_group(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/ctlsock_mode.XXXXXX", path[96], sub[80], err[256];
	struct group *gr = getgrgid(getegid());
	struct mr_ctl *ctl;
	struct stat st;

	/* default: 0660, parents created 0755 */
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	snprintf(sub, sizeof(sub), "%s/run", f->dir);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);

	/* explicit mode and group */
	assert_non_null(gr);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a/b/c.sock", dir);
	assert_int_equal(mr_ctl_open(&ctl, path, 0600, gr->gr_name, err,
				     sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_gid, getegid());
	mr_ctl_close(ctl);
	/* an unknown group is refused before anything is created */
	snprintf(path, sizeof(path), "%s/x/c.sock", dir);
	assert_int_equal(mr_ctl_open(&ctl, path, 0, "no-such-group-mrelay",
				     err, sizeof(err)), -ENOENT);
	snprintf(sub, sizeof(sub), "%s/x", dir);
	assert_int_equal(stat(sub, &st), -1);
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	assert_int_equal(system(sub), 0);
}

static void
test_close_keeps_successor(void **state)
{
	char dir[] = "/tmp/ctlsock_succ.XXXXXX", path[64], err[256];
	struct mr_ctl *old, *new;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	assert_int_equal(mr_ctl_open(&old, path, 0, NULL, err, sizeof(err)),
			 0);
	/* an operator removed the file and a new daemon took the path */
	unlink(path);
	assert_int_equal(mr_ctl_open(&new, path, 0, NULL, err, sizeof(err)),
			 0);
	mr_ctl_close(old);
	assert_int_equal(lstat(path, &st), 0);	/* still the new one's */
	mr_ctl_close(new);
	assert_int_equal(lstat(path, &st), -1);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_and_echo, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_version_mismatch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hello_required_first,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize_body, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_type, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handler_status, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_garbage_then_good_client,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_byte_by_byte, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_clients, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_non_reader_does_not_block,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_clients, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stalled_clients_dropped,
						setup_fast_stall, teardown),
		cmocka_unit_test_setup_teardown(test_client_timeout, setup,
						teardown),
		cmocka_unit_test(test_path_too_long),
		cmocka_unit_test(test_stale_socket_replaced),
		cmocka_unit_test_setup_teardown(test_live_socket_not_stolen,
						setup, teardown),
		cmocka_unit_test(test_not_a_socket_refused),
		cmocka_unit_test_setup_teardown(test_socket_mode_and_group,
						setup, teardown),
		cmocka_unit_test(test_close_keeps_successor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
