/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * State store benchmark, two modes.
 *
 * grouped (default): put N members (default 10M, in groups of 1000) in
 * transactions of 10k, a group's members one after the other, merging the
 * member log into the member table (mr_store_compact, -c rows) whenever it
 * holds that many, between transactions, as mrelayd does between
 * requests; close, reopen (integrity check included), load them back with
 * a visitor that only counts, export everything as JSON lines in 4 MiB
 * pages, and report times and the size on disk.
 *
 * spread (-m spread): G groups of S members (default 1000 x 1000), changes
 * in transactions of 10k whose (group, user) pairs are drawn at random
 * over all the groups, as a daemon sees them from many clients at once:
 *  1. adds: the G x S memberships, 0 -> G*S, in random order;
 *  2. merge the log (chunks of -c rows a transaction);
 *  3. changes at G*S: N random changes (a present member: 2/3 role change,
 *     1/3 delete; an absent one: re-add);
 *  4. merge the log again; load and check the count; reopen.
 * For each phase: changes/s at the store level, commit latency, and the
 * bytes SQLite wrote to the WAL and to state.db (checkpoints) per change,
 * counted by a pass-through VFS (so they are exact, whatever else the
 * machine does), and the fsyncs per commit.
 *
 *   store_bench [-m grouped|spread] [-n N] [-b batch] [-g group_size]
 *               [-G groups] [-c compact_rows] [-s seed] [-d dir] [-k]
 * -n: members (grouped) or changes of phase 3 (spread, default 1M);
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

#include <sqlite3.h>

#include "api.h"
#include "store.h"

/* ------------------------------------------------ counting VFS (writes) */

enum { F_DB, F_WAL, F_OTHER, F_KINDS };

struct io_count {
	uint64_t bytes[F_KINDS];
	uint64_t syncs[F_KINDS];
};

static struct io_count io;
static sqlite3_vfs *real_vfs;

struct cfile {
	sqlite3_file base;
	int kind;
	sqlite3_file *real;	/* the real VFS's file, right after us */
};

#define REAL(f) (((struct cfile *)(f))->real)

static int
c_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int
c_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int
c_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	io.bytes[((struct cfile *)f)->kind] += (uint64_t)n;
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int
c_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
c_sync(sqlite3_file *f, int flags)
{
	io.syncs[((struct cfile *)f)->kind]++;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
c_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
c_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}

static int
c_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}

static int
c_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
c_fcntl(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
c_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
c_devchar(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
c_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int
c_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void
c_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
c_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int
c_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}

static int
c_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods c_methods = {
	3, c_close, c_read, c_write, c_truncate, c_sync, c_size, c_lock,
	c_unlock, c_reserved, c_fcntl, c_sector, c_devchar, c_shm_map,
	c_shm_lock, c_shm_barrier, c_shm_unmap, c_fetch, c_unfetch,
};

static int
c_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
       int *out)
{
	struct cfile *c = (struct cfile *)f;
	int rc;

	c->real = (sqlite3_file *)(c + 1);
	c->kind = flags & SQLITE_OPEN_MAIN_DB ? F_DB :
		  flags & SQLITE_OPEN_WAL ? F_WAL : F_OTHER;
	rc = real_vfs->xOpen(real_vfs, name, c->real, flags, out);
	c->base.pMethods = rc == SQLITE_OK && c->real->pMethods != NULL ?
			   &c_methods : NULL;
	return rc;
}

static int
c_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	return real_vfs->xDelete(real_vfs, name, sync);
}

static int
c_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int
c_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static int
c_random(sqlite3_vfs *vfs, int n, char *out)
{
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int
c_sleep(sqlite3_vfs *vfs, int us)
{
	return real_vfs->xSleep(real_vfs, us);
}

static int
c_time(sqlite3_vfs *vfs, double *out)
{
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int
c_lasterr(sqlite3_vfs *vfs, int n, char *out)
{
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int
c_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static sqlite3_vfs c_vfs;

/* Make the counting VFS SQLite's default, before the store opens. */
static void
count_writes(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (real_vfs == NULL || real_vfs->iVersion < 2) {
		fprintf(stderr, "no usable default VFS\n");
		exit(1);
	}
	c_vfs.iVersion = 2;
	c_vfs.szOsFile = (int)sizeof(struct cfile) + real_vfs->szOsFile;
	c_vfs.mxPathname = real_vfs->mxPathname;
	c_vfs.zName = "mr-count";
	c_vfs.xOpen = c_open;
	c_vfs.xDelete = c_delete;
	c_vfs.xAccess = c_access;
	c_vfs.xFullPathname = c_fullpath;
	c_vfs.xRandomness = c_random;
	c_vfs.xSleep = c_sleep;
	c_vfs.xCurrentTime = c_time;
	c_vfs.xGetLastError = c_lasterr;
	c_vfs.xCurrentTimeInt64 = c_time64;
	if (sqlite3_vfs_register(&c_vfs, 1) != SQLITE_OK) {
		fprintf(stderr, "cannot register the counting VFS\n");
		exit(1);
	}
}

/* ------------------------------------------------------------- helpers */

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

static uint64_t rng_state;

static uint64_t
rng(void)
{
	return mix(rng_state++);
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

/* A run of transactions: commit latencies and the I/O they caused. */
struct phase {
	const char *name;
	double t0, *lat;
	size_t nlat, cap;
	struct io_count io0;
};

static void
phase_start(struct phase *p, const char *name, size_t txns)
{
	p->name = name;
	p->nlat = 0;
	p->cap = txns + 1;
	p->lat = calloc(p->cap, sizeof(*p->lat));
	if (p->lat == NULL)
		exit(1);
	p->io0 = io;
	p->t0 = now();
}

static void
phase_commit(struct phase *p, struct mr_store *st)
{
	double t1 = now();

	CHECK(mr_store_commit(st));
	if (p->nlat < p->cap)
		p->lat[p->nlat++] = now() - t1;
}

/* Print the phase; returns its duration. */
static double
phase_end(struct phase *p, uint64_t changes)
{
	double t = now() - p->t0, c = changes > 0 ? (double)changes : 1;
	uint64_t syncs = io.syncs[F_DB] + io.syncs[F_WAL] -
			 p->io0.syncs[F_DB] - p->io0.syncs[F_WAL];

	qsort(p->lat, p->nlat, sizeof(*p->lat), cmp_double);
	printf("%-8s %8" PRIu64 " changes %7.2f s %9.0f /s", p->name, changes,
	       t, (double)changes / t);
	if (p->nlat > 0)
		printf("  commit p50 %.1f p99 %.1f max %.1f ms",
		       p->lat[p->nlat / 2] * 1e3,
		       p->lat[p->nlat * 99 / 100] * 1e3,
		       p->lat[p->nlat - 1] * 1e3);
	printf("\n         written per change: WAL %.0f B, state.db %.0f B "
	       "(checkpoints); fsyncs %" PRIu64 "\n",
	       (double)(io.bytes[F_WAL] - p->io0.bytes[F_WAL]) / c,
	       (double)(io.bytes[F_DB] - p->io0.bytes[F_DB]) / c, syncs);
	free(p->lat);
	return t;
}

/* Merge the whole member log, chunk rows a transaction; returns seconds. */
static double
compact_all(struct mr_store *st, unsigned int chunk)
{
	unsigned int left = 0, before, calls = 0;
	double t0, t, worst = 0, t1;
	struct io_count io0;

	CHECK(mr_store_compact(st, 0, &left));
	before = left;
	io0 = io;
	t0 = now();
	while (left > 0) {
		t1 = now();
		CHECK(mr_store_compact(st, chunk, &left));
		t1 = now() - t1;
		if (t1 > worst)
			worst = t1;
		calls++;
	}
	t = now() - t0;
	if (before == 0) {
		printf("compact: nothing to merge\n");
		return 0;
	}
	printf("compact: %8u rows  %7.2f s %9.0f rows/s, %u calls of <= %u "
	       "rows, slowest %.2f s\n         written per row: WAL %.0f B, "
	       "state.db %.0f B (checkpoints)\n", before, t,
	       (double)before / t, calls, chunk, worst,
	       (double)(io.bytes[F_WAL] - io0.bytes[F_WAL]) / before,
	       (double)(io.bytes[F_DB] - io0.bytes[F_DB]) / before);
	return t;
}

/* ------------------------------------------------------------- grouped */

static void
grouped(const char *dir, uint64_t n, uint64_t batch, uint64_t gsize,
	unsigned int chunk)
{
	uint64_t cursor = 0, next, lines = 0, bytes = 0, pages = 0, i;
	struct mr_store_visitor v = {.member = count};
	size_t used, room = MR_API_MAX_BODY, k;
	struct mr_api_member m = {0};
	struct mr_api_group g = {0};
	double t0, t1, t_put;
	uint64_t loaded = 0;
	struct io_count cio = {{0}}, io0;
	unsigned int left = 0, calls = 0;
	double t_comp = 0;
	struct mr_store *st;
	struct phase p;
	int done = 0, f;
	char *buf;

	buf = malloc(room);
	if (buf == NULL)
		exit(1);
	st = open_or_die(dir);
	printf("store_bench: %" PRIu64 " members, groups of %" PRIu64
	       ", %" PRIu64 " per transaction, in %s\n", n, gsize, batch, dir);
	phase_start(&p, "put", n / batch + 1);
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
		phase_commit(&p, st);
		CHECK(mr_store_compact(st, 0, &left));
		if (left >= chunk) {
			io0 = io;
			t1 = now();
			CHECK(mr_store_compact(st, chunk, &left));
			t_comp += now() - t1;
			calls++;
			for (f = 0; f < F_KINDS; f++)
				cio.bytes[f] += io.bytes[f] - io0.bytes[f];
		}
	}
	t_put = phase_end(&p, n);
	printf("         of which compaction: %.2f s in %u calls, WAL %.0f B "
	       "and state.db %.0f B per member; puts alone %.0f members/s\n",
	       t_comp, calls, (double)cio.bytes[F_WAL] / (double)n,
	       (double)cio.bytes[F_DB] / (double)n,
	       (double)n / (t_put - t_comp));
	t1 = compact_all(st, chunk);
	printf("put + compact: %9.0f members/s\n", (double)n / (t_put + t1));
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
		exit(1);
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
	free(buf);
}

/* -------------------------------------------------------------- spread */

/* Membership slot s: group s / size + 1, a pseudo-random 64-bit user. */
static void
slot_member(uint64_t s, uint64_t size, struct mr_api_member *m)
{
	m->group = s / size + 1;
	m->user = mix(s ^ UINT64_C(0x5eed));
}

static void
spread(const char *dir, uint64_t n, uint64_t batch, uint64_t gsize,
       uint64_t ngroups, unsigned int chunk)
{
	uint64_t total = gsize * ngroups, i, j, s, present = 0, loaded = 0;
	struct mr_store_visitor v = {.member = count};
	uint64_t nput = 0, ndel = 0, nadd = 0, *perm;
	struct mr_api_member m = {0};
	struct mr_api_group g = {0};
	double t_adds, t_chg, t_c1, t_c2, t0;
	uint8_t *role;		/* per slot: 0 absent, 1 + role */
	struct mr_store *st;
	struct phase p;
	size_t k;

	perm = malloc(total * sizeof(*perm));
	role = calloc(total, 1);
	if (perm == NULL || role == NULL)
		exit(1);
	st = open_or_die(dir);
	printf("store_bench spread: %" PRIu64 " groups of %" PRIu64 ", %"
	       PRIu64 " changes a transaction at random over all groups, "
	       "compaction %u rows a transaction, in %s\n", ngroups, gsize,
	       batch, chunk, dir);
	CHECK(mr_store_begin(st));
	for (i = 0; i < ngroups; i++) {
		g.id = i + 1;
		CHECK(mr_store_group_put(st, &g));
	}
	CHECK(mr_store_commit(st));

	/* 1. Adds, 0 -> total, in a random order (Fisher-Yates). */
	for (i = 0; i < total; i++)
		perm[i] = i;
	for (i = total - 1; i > 0; i--) {
		j = rng() % (i + 1);
		s = perm[i];
		perm[i] = perm[j];
		perm[j] = s;
	}
	phase_start(&p, "adds", total / batch + 1);
	for (i = 0; i < total;) {
		CHECK(mr_store_begin(st));
		for (k = 0; k < batch && i < total; k++, i++) {
			slot_member(perm[i], gsize, &m);
			m.role = (uint8_t)(rng() % 3);
			CHECK(mr_store_member_put(st, &m));
			role[perm[i]] = 1 + m.role;
		}
		phase_commit(&p, st);
	}
	present = total;
	t_adds = phase_end(&p, total);
	t_c1 = compact_all(st, chunk);
	if (t_c1 > 0)
		printf("adds + compact: %9.0f changes/s\n",
		       (double)total / (t_adds + t_c1));

	/* 3. Random changes at full size. */
	phase_start(&p, "changes", n / batch + 1);
	for (i = 0; i < n;) {
		CHECK(mr_store_begin(st));
		for (k = 0; k < batch && i < n; k++, i++) {
			s = rng() % total;
			slot_member(s, gsize, &m);
			if (role[s] != 0 && rng() % 3 == 0) {
				CHECK(mr_store_member_del(st, m.group,
							  m.user));
				role[s] = 0;
				present--;
				ndel++;
				continue;
			}
			if (role[s] == 0) {
				present++;
				nadd++;
			} else {
				nput++;
			}
			m.role = (uint8_t)(rng() % 3);
			CHECK(mr_store_member_put(st, &m));
			role[s] = 1 + m.role;
		}
		phase_commit(&p, st);
	}
	t_chg = phase_end(&p, n);
	printf("         (%" PRIu64 " role changes, %" PRIu64 " deletes, %"
	       PRIu64 " re-adds; %" PRIu64 " members after)\n", nput, ndel,
	       nadd, present);
	t_c2 = compact_all(st, chunk);
	if (t_c2 > 0)
		printf("changes + compact: %9.0f changes/s\n",
		       (double)n / (t_chg + t_c2));

	CHECK(mr_store_load(st, &v, &loaded));
	if (loaded != present) {
		fprintf(stderr, "loaded %" PRIu64 " members, expected %" PRIu64
			"\n", loaded, present);
		exit(1);
	}
	mr_store_close(st);
	printf("size:   state.db %.1f MiB\n",
	       (double)size_of(dir, "state.db") / 1048576);
	t0 = now();
	st = open_or_die(dir);
	printf("open:   %8.2f s\n", now() - t0);
	mr_store_close(st);
	free(perm);
	free(role);
}

int
main(int argc, char **argv)
{
	uint64_t n = 0, batch = 10000, gsize = 1000, ngroups = 1000;
	const char *parent = "/var/tmp", *mode = "grouped";
	unsigned int chunk = 250000;
	int opt, keep = 0;
	char dir[512];

	while ((opt = getopt(argc, argv, "m:n:b:g:G:c:s:d:k")) != -1) {
		switch (opt) {
		case 'm':
			mode = optarg;
			break;
		case 'n':
			n = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			batch = strtoull(optarg, NULL, 0);
			break;
		case 'g':
			gsize = strtoull(optarg, NULL, 0);
			break;
		case 'G':
			ngroups = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			chunk = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 's':
			rng_state = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			parent = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		default:
			goto usage;
		}
	}
	if (batch == 0 || gsize == 0 || ngroups == 0 || chunk == 0 ||
	    (strcmp(mode, "grouped") != 0 && strcmp(mode, "spread") != 0))
		goto usage;
	count_writes();
	snprintf(dir, sizeof(dir), "%s/store_bench.XXXXXX", parent);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if (strcmp(mode, "grouped") == 0)
		grouped(dir, n != 0 ? n : 10000000, batch, gsize, chunk);
	else
		spread(dir, n != 0 ? n : 1000000, batch, gsize, ngroups,
		       chunk);
	if (!keep)
		nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
usage:
	fprintf(stderr, "usage: %s [-m grouped|spread] [-n N] [-b batch] "
		"[-g group_size] [-G groups] [-c compact_rows] [-s seed] "
		"[-d dir] [-k]\n", argv[0]);
	return 2;
}
