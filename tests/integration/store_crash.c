/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Crash consistency of the state store under kill -9.
 *
 * A child process opens the store and commits numbered batches b = start,
 * start+1, ... Each batch is one transaction that writes to every table:
 * group b with M(b) members, a sub, two sequence marks (one of them the
 * global "last batch" mark, rewritten each time) and, every 7th batch, the
 * deletion of a member of group b-3. After mr_store_commit() returns, the
 * child writes b to a pipe: that is the acknowledgement.
 *
 * The parent SIGKILLs the child at a random moment (sometimes within the
 * first millisecond, to hit the creation of the database and the first
 * open), collects the acknowledgements, reopens the store and checks:
 *  - open succeeds (a crash never leaves a state that is refused);
 *  - every acknowledged batch is there;
 *  - the batches present are exactly 1..N, each complete, and nothing of
 *    batch N+1 exists (no partial batch);
 *  - the global mark equals N (the update committed with its batch).
 * Then the next child continues from N+1. 50 iterations by default.
 *
 * This covers process death at any instant, including during WAL
 * checkpoints. Power loss additionally relies on the fsyncs of
 * synchronous=FULL and on the directory fsyncs in store.c; kill -9 cannot
 * show those.
 *
 *   store_crash [-n iterations] [-s seed] [-d dir]
 * Exits 0 when every check holds, 1 on a violation, 2 on a setup error.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define GLOBAL_KIND	0	/* seq (0, 0, 0): last batch committed */
#define BATCH_KIND	1	/* seq (1, b, 0) = 10 * b */

static unsigned int
members_of(uint64_t b)
{
	return 1 + (unsigned int)((b * 7919) % 200);
}

static uint64_t
user_of(uint64_t b, unsigned int j)
{
	/* Half the batches use ids above 2^63. */
	return (b & 1 ? UINT64_C(1) << 63 : 0) | (b * 1000003 + j);
}

/* Member (b - 3, user_of(b - 3, 0)) is deleted by batch b. */
static int
deletes(uint64_t b)
{
	return b > 3 && b % 7 == 0;
}

static void
die(const char *what, struct mr_store *st, int rc)
{
	fprintf(stderr, "child: %s: %s (%s)\n", what, strerror(-rc),
		st != NULL ? mr_store_errmsg(st) : "");
	_exit(2);
}

static void
child(const char *dir, uint64_t start, int ackfd)
{
	struct mr_api_member m = {0};
	struct mr_api_group g = {0};
	struct mr_api_sub s = {0};
	struct mr_store *st;
	char err[512];
	unsigned int j;
	uint64_t b;
	int rc;

	st = mr_store_open(dir, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "child: %s\n", err);
		_exit(2);
	}
	b = 0;	/* "opened" */
	if (write(ackfd, &b, sizeof(b)) != sizeof(b))
		_exit(2);
	for (b = start;; b++) {
		if ((rc = mr_store_begin(st)) < 0)
			die("begin", st, rc);
		g.id = b;
		g.policy = b & 1;
		g.max_members = (uint32_t)b;
		if ((rc = mr_store_group_put(st, &g)) < 0)
			die("group put", st, rc);
		for (j = 0; j < members_of(b); j++) {
			m.group = b;
			m.user = user_of(b, j);
			m.role = j % 3;
			if ((rc = mr_store_member_put(st, &m)) < 0)
				die("member put", st, rc);
		}
		snprintf(s.pattern, sizeof(s.pattern), "t.%" PRIu64, b);
		s.user = b;
		s.device = 1;
		if ((rc = mr_store_sub_add(st, &s)) < 0)
			die("sub add", st, rc);
		if ((rc = mr_store_seq_put(st, BATCH_KIND, b, 0, 10 * b)) < 0 ||
		    (rc = mr_store_seq_put(st, GLOBAL_KIND, 0, 0, b)) < 0)
			die("seq put", st, rc);
		if (deletes(b) &&
		    (rc = mr_store_member_del(st, b - 3, user_of(b - 3, 0))) < 0)
			die("member del", st, rc);
		if ((rc = mr_store_commit(st)) < 0)
			die("commit", st, rc);
		if (write(ackfd, &b, sizeof(b)) != sizeof(b))
			_exit(2);
	}
}

/* What the parent found after a crash. */
struct check {
	uint64_t max;		/* highest group id present */
	uint64_t ngroups, nsubs;
	uint64_t group;		/* group whose members are being read */
	unsigned int j;		/* next member index expected in it */
	unsigned int seen;	/* members seen in it */
	uint64_t *count;	/* members per group, by id */
	size_t cap;
	uint64_t global;
	int have_global;
	uint64_t nseq;
	int bad;
	char why[256];
};

static int __attribute__((format(printf, 2, 3)))
violation(struct check *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->bad) {
		va_start(ap, fmt);
		vsnprintf(c->why, sizeof(c->why), fmt, ap);
		va_end(ap);
	}
	c->bad = 1;
	return -EPROTO;
}

static int
on_group(void *arg, const struct mr_api_group *g)
{
	struct check *c = arg;

	if (g->id != c->ngroups + 1)
		return violation(c, "group %" PRIu64 " after %" PRIu64
				 " groups: a batch is missing", g->id,
				 c->ngroups);
	if (g->policy != (g->id & 1) || g->max_members != (uint32_t)g->id)
		return violation(c, "group %" PRIu64 " has wrong fields",
				 g->id);
	c->ngroups++;
	c->max = g->id;
	if (g->id >= c->cap) {
		c->cap = 2 * g->id + 64;
		c->count = realloc(c->count, c->cap * sizeof(*c->count));
		if (c->count == NULL)
			return -ENOMEM;
	}
	c->count[g->id] = 0;
	return 0;
}

static int
on_member(void *arg, const struct mr_api_member *m)
{
	struct check *c = arg;
	uint64_t b = m->group;

	if (b == 0 || b > c->max)
		return violation(c, "member of absent group %" PRIu64, b);
	if (c->count[b]++ == 0) {
		/* First member seen of group b: the deleted one may lack. */
		c->j = deletes(b + 3) && b + 3 <= c->max ? 1 : 0;
	}
	/* Users of a batch are increasing, so they load in put order. */
	if (c->j >= members_of(b) || m->user != user_of(b, c->j) ||
	    m->role != c->j % 3)
		return violation(c, "group %" PRIu64 ": unexpected member %"
				 PRIu64, b, m->user);
	c->j++;
	return 0;
}

static int
on_sub(void *arg, const struct mr_api_sub *s)
{
	struct check *c = arg;
	uint64_t b = s->user;
	char want[32];

	snprintf(want, sizeof(want), "t.%" PRIu64, b);
	if (b == 0 || b > c->max || strcmp(s->pattern, want) != 0 ||
	    s->device != 1)
		return violation(c, "stray sub of user %" PRIu64, b);
	c->nsubs++;
	return 0;
}

static int
on_seq(void *arg, uint32_t kind, uint64_t a, uint64_t b, uint64_t hwm)
{
	struct check *c = arg;

	if (kind == GLOBAL_KIND && a == 0 && b == 0) {
		c->global = hwm;
		c->have_global = 1;
	} else if (kind != BATCH_KIND || b != 0 || a == 0 || a > c->max ||
		   hwm != 10 * a) {
		return violation(c, "stray seq mark (%" PRIu64 ", %" PRIu64
				 ")", a, hwm);
	}
	c->nseq++;
	return 0;
}

/* Reopen after a crash and check; returns the last batch present. */
static int
verify(const char *dir, uint64_t acked, uint64_t *last)
{
	static const struct mr_store_visitor v = {
		.group = on_group, .member = on_member, .sub = on_sub,
		.seq = on_seq,
	};
	struct check c = {0};
	struct mr_store *st;
	char err[512];
	uint64_t b, want;
	int rc;

	st = mr_store_open(dir, err, sizeof(err));
	if (st == NULL) {
		printf("VIOLATION: reopen after kill failed: %s\n", err);
		return -1;
	}
	rc = mr_store_load(st, &v, &c);
	mr_store_close(st);
	if (rc < 0 && !c.bad) {
		printf("VIOLATION: load failed: %s\n", strerror(-rc));
		return -1;
	}
	for (b = 1; !c.bad && b <= c.max; b++) {
		want = members_of(b) - (deletes(b + 3) && b + 3 <= c.max);
		if (c.count[b] != want)
			violation(&c, "group %" PRIu64 " has %" PRIu64
				  " members: partial batch", b, c.count[b]);
	}
	if (!c.bad && c.max < acked)
		violation(&c, "batch %" PRIu64 " was acknowledged but only %"
			  PRIu64 " are present", acked, c.max);
	if (!c.bad && c.nsubs != c.max)
		violation(&c, "%" PRIu64 " subs for %" PRIu64 " batches",
			  c.nsubs, c.max);
	if (!c.bad && c.max > 0 &&
	    (!c.have_global || c.global != c.max || c.nseq != c.max + 1))
		violation(&c, "global mark %" PRIu64 " with %" PRIu64
			  " batches present", c.global, c.max);
	free(c.count);
	if (c.bad) {
		printf("VIOLATION: %s\n", c.why);
		return -1;
	}
	*last = c.max;
	return 0;
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

int
main(int argc, char **argv)
{
	uint64_t last = 0, acked, b, total_acked = 0, lost_acks = 0;
	unsigned int seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	int opt, iters = 50, i, fds[2], status, own_dir = 0, opened;
	char dir[256] = "";
	useconds_t delay;
	pid_t pid;

	while ((opt = getopt(argc, argv, "n:s:d:")) != -1) {
		switch (opt) {
		case 'n':
			iters = atoi(optarg);
			break;
		case 's':
			seed = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'd':
			snprintf(dir, sizeof(dir), "%s", optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-n iterations] [-s seed] "
				"[-d dir]\n", argv[0]);
			return 2;
		}
	}
	if (dir[0] == '\0') {
		const char *tmp = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/store_crash.XXXXXX",
			 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
		if (mkdtemp(dir) == NULL) {
			perror("mkdtemp");
			return 2;
		}
		rmdir(dir);	/* the first child creates it */
		own_dir = 1;
	}
	srand(seed);
	printf("store_crash: dir %s, seed %u, %d iterations\n", dir, seed,
	       iters);
	for (i = 0; i < iters; i++) {
		if (pipe(fds) < 0) {
			perror("pipe");
			return 2;
		}
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			close(fds[0]);
			child(dir, last + 1, fds[1]);
		}
		close(fds[1]);
		/*
		 * The first 3 and 1 in 4 of the others: within the first
		 * 1-2 ms of the child (creation, open, first batch). Else
		 * 0-40 ms after its open returned.
		 */
		opened = 0;
		if (i < 3 || rand() % 4 == 0) {
			delay = (useconds_t)(rand() % (i < 3 ? 1000 : 2000));
		} else {
			delay = (useconds_t)(rand() % 40000);
			opened = read(fds[0], &b, sizeof(b)) == sizeof(b) &&
				 b == 0;
		}
		usleep(delay);
		kill(pid, SIGKILL);
		if (waitpid(pid, &status, 0) < 0) {
			perror("waitpid");
			return 2;
		}
		if (!WIFSIGNALED(status)) {
			printf("VIOLATION: child exited by itself (status %d)"
			       "\n", WEXITSTATUS(status));
			return 1;
		}
		acked = 0;
		while (read(fds[0], &b, sizeof(b)) == sizeof(b)) {
			if (b == 0 && !opened) {
				opened = 1;
				continue;
			}
			if (b != last + 1 + acked) {
				printf("VIOLATION: ack %" PRIu64 " out of "
				       "order\n", b);
				return 1;
			}
			acked++;
		}
		close(fds[0]);
		b = last;
		if (verify(dir, last + acked, &last) < 0) {
			printf("store_crash: FAILED at iteration %d (seed %u, "
			       "dir %s kept)\n", i, seed, dir);
			return 1;
		}
		total_acked += acked;
		lost_acks += last - b - acked;	/* committed, not acked */
		printf("  %2d: killed %5u us after %s, %4" PRIu64 " acked, %4"
		       PRIu64 " batches in store\n", i, (unsigned int)delay,
		       opened ? "open" : "fork", acked, last);
	}
	printf("store_crash: %d kills, %" PRIu64 " batches acknowledged, %"
	       PRIu64 " committed without ack, all present and whole\n",
	       iters, total_acked, lost_acks);
	if (own_dir)
		nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	printf("%d passed, 0 failed\n", iters);
	return 0;
}
