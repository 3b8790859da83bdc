/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * State store benchmark: put N members (default 10M, in groups of 1000)
 * in transactions of 10k, close, reopen (integrity check included), load
 * them back with a visitor that only counts, export everything as JSON
 * lines in 4 MiB pages, and report times and the size on disk.
 *
 *   store_bench [-n members] [-b batch] [-g group_size] [-d dir] [-k]
 * -d: parent directory for the state (default /var/tmp); -k keeps it.
 * User ids are pseudo-random 64-bit, so inserts land all over each
 * group's part of the B-tree, as real ones would.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "store.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t
mix(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static int
count(void *arg, const struct mr_api_member *m)
{
	(*(uint64_t *)arg)++;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static off_t
size_of(const char *dir, const char *name)
{
	char p[512];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &sb) == 0 ? sb.st_size : 0;
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static struct mr_store *
open_or_die(const char *dir)
{
	char err[512];
	struct mr_store *st = mr_store_open(dir, err, sizeof(err));

	if (st == NULL) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	return st;
}

#define CHECK(x) do {							\
	int rc_ = (x);							\
	if (rc_ < 0) {							\
		fprintf(stderr, "%s: %s (%s)\n", #x, strerror(-rc_),	\
			mr_store_errmsg(st));				\
		exit(1);						\
	}								\
} while (0)

int
main(int argc, char **argv)
{
	uint64_t n = 10000000, batch = 10000, gsize = 1000, i, loaded = 0;
	uint64_t cursor = 0, next, lines = 0, bytes = 0, pages = 0;
	struct mr_store_visitor v = {.member = count};
	const char *parent = "/var/tmp";
	double t0, t1, t_put, *lat;
	struct mr_api_member m = {0};
	struct mr_api_group g = {0};
	size_t nlat = 0, used, room = MR_API_MAX_BODY, k;
	struct mr_store *st;
	char dir[512], *buf;
	int opt, keep = 0, done = 0;

	while ((opt = getopt(argc, argv, "n:b:g:d:k")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			batch = strtoull(optarg, NULL, 0);
			break;
		case 'g':
			gsize = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			parent = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-n members] [-b batch] "
				"[-g group_size] [-d dir] [-k]\n", argv[0]);
			return 2;
		}
	}
	if (batch == 0 || gsize == 0)
		return 2;
	snprintf(dir, sizeof(dir), "%s/store_bench.XXXXXX", parent);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	lat = calloc(n / batch + 2, sizeof(*lat));
	buf = malloc(room);
	if (lat == NULL || buf == NULL)
		return 1;

	st = open_or_die(dir);
	printf("store_bench: %" PRIu64 " members, groups of %" PRIu64
	       ", %" PRIu64 " per transaction, in %s\n", n, gsize, batch, dir);
	t0 = now();
	for (i = 0; i < n;) {
		CHECK(mr_store_begin(st));
		for (k = 0; k < batch && i < n; k++, i++) {
			if (i % gsize == 0) {
				g.id = i / gsize + 1;
				CHECK(mr_store_group_put(st, &g));
			}
			m.group = i / gsize + 1;
			m.user = mix(i);
			m.role = (uint8_t)(i % 3);
			CHECK(mr_store_member_put(st, &m));
		}
		t1 = now();
		CHECK(mr_store_commit(st));
		lat[nlat++] = now() - t1;
	}
	t_put = now() - t0;
	qsort(lat, nlat, sizeof(*lat), cmp_double);
	printf("put:    %8.2f s  %9.0f members/s  commit p50 %.2f ms, "
	       "p99 %.2f ms, max %.2f ms\n", t_put, (double)n / t_put,
	       lat[nlat / 2] * 1e3, lat[nlat * 99 / 100] * 1e3,
	       lat[nlat - 1] * 1e3);
	printf("before close: state.db %.1f MiB, state.db-wal %.1f MiB\n",
	       (double)size_of(dir, "state.db") / 1048576,
	       (double)size_of(dir, "state.db-wal") / 1048576);

	t0 = now();
	mr_store_close(st);
	printf("close:  %8.2f s  (final checkpoint)\n", now() - t0);
	printf("size:   state.db %.1f MiB = %.1f bytes/member, wal %.1f MiB\n",
	       (double)size_of(dir, "state.db") / 1048576,
	       (double)size_of(dir, "state.db") / (double)n,
	       (double)size_of(dir, "state.db-wal") / 1048576);

	t0 = now();
	st = open_or_die(dir);
	printf("open:   %8.2f s  (quick_check of the whole file)\n",
	       now() - t0);

	t0 = now();
	CHECK(mr_store_load(st, &v, &loaded));
	t1 = now() - t0;
	printf("load:   %8.2f s  %9.0f members/s  (%" PRIu64 " counted)\n",
	       t1, (double)loaded / t1, loaded);
	if (loaded != n) {
		fprintf(stderr, "loaded %" PRIu64 " of %" PRIu64 "\n", loaded,
			n);
		return 1;
	}

	t0 = now();
	while (!done) {
		CHECK(mr_store_export(st, cursor, buf, room, &used, &next,
				      &done));
		for (k = 0; k < used; k++)
			lines += buf[k] == '\n';
		bytes += used;
		pages++;
		cursor = next;
	}
	t1 = now() - t0;
	printf("export: %8.2f s  %9.0f lines/s  %" PRIu64 " lines, %.1f MiB, "
	       "%" PRIu64 " pages of 4 MiB\n", t1, (double)lines / t1, lines,
	       (double)bytes / 1048576, pages);

	/* A cursor the store does not remember: one skip by ordinal. */
	mr_store_close(st);
	st = open_or_die(dir);
	t0 = now();
	CHECK(mr_store_export(st, (UINT64_C(3) << 56) | (n - n / 100), buf,
			      room, &used, &next, &done));
	printf("export page at 99%% with a forgotten cursor: %.2f s\n",
	       now() - t0);
	mr_store_close(st);

	if (!keep)
		nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(buf);
	free(lat);
	return 0;
}
