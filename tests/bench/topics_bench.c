/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Topic matching: for N random patterns (default 10k, 100k, 1M), the time
 * mr_topicdb_build() takes, the memory of the result (Hyperscan database
 * + id maps, one worker's scratch, the process's peak RSS while building)
 * and the subjects matched per second on one core. Each size runs in its
 * own child process so the peak RSS is that size's own.
 *
 * Patterns look like real subscriptions: 3-6 tokens, the first from 20
 * words, the second from 200, the others from 5000; 10% have one '*' at a
 * random position, 10% end in '>'. Subjects: half are instances of a
 * random pattern of the set (so they match at least one), half are drawn
 * from the same word lists (they match mostly nothing).
 *
 * Usage: topics_bench [--seconds S] [N...]    Prints a Markdown table.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "topics.h"

#define NSUBJ	65536

static uint64_t rng = 0x6d72656c6179ull;

static uint32_t
rnd(uint32_t bound)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32) % bound;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const uint32_t vocab[] = { 20, 200, 5000, 5000, 5000, 5000 };
static const char *const stem[] = { "svc", "region", "host", "m", "k", "v" };

static int
word(char *o, int level)
{
	return sprintf(o, "%s%u", stem[level], rnd(vocab[level]));
}

static void
gen_pattern(char *p)
{
	int nt = 3 + rnd(4), star = -1, tail = 0, o = 0;
	uint32_t r = rnd(10);

	if (r == 0)
		star = rnd(nt);
	else if (r == 1)
		tail = 1;
	for (int t = 0; t < nt; t++) {
		if (t > 0)
			p[o++] = '.';
		if (t == star)
			p[o++] = '*';
		else if (tail && t == nt - 1)
			p[o++] = '>';
		else
			o += word(p + o, t);
	}
	p[o] = '\0';
}

/* An instance of pattern p: '*' becomes a word, '>' one or two words. */
static void
instance(const char *p, char *s)
{
	int t = 0, o = 0;

	for (const char *c = p; *c != '\0'; c++) {
		if (*c == '.')
			t++;
		if (*c == '*' && (c == p || c[-1] == '.') &&
		    (c[1] == '.' || c[1] == '\0')) {
			o += word(s + o, t);
		} else if (*c == '>' && c[1] == '\0') {
			o += word(s + o, t < 5 ? t : 5);
			if (rnd(2) && t < 5) {
				s[o++] = '.';
				o += word(s + o, t + 1);
			}
		} else {
			s[o++] = *c;
		}
	}
	s[o] = '\0';
}

static void
gen_subject(char *s)
{
	int nt = 3 + rnd(4), o = 0;

	for (int t = 0; t < nt; t++) {
		if (t > 0)
			s[o++] = '.';
		o += word(s + o, t);
	}
	s[o] = '\0';
}

struct result {
	uint32_t n, distinct;
	double build_s, match_per_s, ids_per_subject;
	size_t hs_bytes, map_bytes, scratch_bytes;
	long peak_rss_kb;
	int ok;
	char err[200];
};

static void
run(uint32_t n, double seconds, struct result *res)
{
	char (*pat)[64] = malloc((size_t)n * 64);
	const char **pp = malloc((size_t)n * sizeof(*pp));
	uint32_t *ids = malloc((size_t)n * sizeof(*ids));
	char (*subj)[80] = malloc((size_t)NSUBJ * 80);
	uint32_t *lens = malloc(NSUBJ * sizeof(*lens));
	uint32_t out[4096], m;
	uint64_t done = 0, total_ids = 0;
	struct mr_topicdb_info info;
	hs_scratch_t *scratch = NULL;
	struct mr_topicdb *db;
	double t0, t1;

	memset(res, 0, sizeof(*res));
	res->n = n;
	if (pat == NULL || pp == NULL || ids == NULL || subj == NULL ||
	    lens == NULL) {
		snprintf(res->err, sizeof(res->err), "out of memory");
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		gen_pattern(pat[i]);
		pp[i] = pat[i];
		ids[i] = i;
	}
	for (uint32_t i = 0; i < NSUBJ; i++) {
		if (i % 2 == 0)
			instance(pat[rnd(n)], subj[i]);
		else
			gen_subject(subj[i]);
		lens[i] = (uint32_t)strlen(subj[i]);
	}

	t0 = now();
	db = mr_topicdb_build(pp, ids, n, res->err, sizeof(res->err));
	t1 = now();
	if (db == NULL)
		return;
	res->build_s = t1 - t0;
	mr_topicdb_info(db, &info);
	res->distinct = info.patterns;
	res->hs_bytes = info.hs_bytes;
	res->map_bytes = info.map_bytes;
	if (mr_topicdb_scratch_grow(db, &scratch) != 0 ||
	    hs_scratch_size(scratch, &res->scratch_bytes) != HS_SUCCESS) {
		snprintf(res->err, sizeof(res->err), "scratch");
		return;
	}

	/* warm up, then whole passes over the subjects until time is up */
	for (uint32_t i = 0; i < NSUBJ; i++)
		mr_topicdb_match(db, scratch, subj[i], lens[i], out, 4096, &m);
	t0 = now();
	do {
		for (uint32_t i = 0; i < NSUBJ; i++) {
			int rc = mr_topicdb_match(db, scratch, subj[i], lens[i],
						  out, 4096, &m);

			if (rc < 0 && rc != -ENOSPC) {
				snprintf(res->err, sizeof(res->err),
					 "match \"%s\": %s", subj[i],
					 strerror(-rc));
				return;
			}
			total_ids += m;
		}
		done += NSUBJ;
		t1 = now();
	} while (t1 - t0 < seconds);
	res->match_per_s = done / (t1 - t0);
	res->ids_per_subject = (double)total_ids / done;
	res->ok = 1;
	hs_free_scratch(scratch);
	mr_topicdb_free(db);
	free(pat);
	free(pp);
	free(ids);
	free(subj);
	free(lens);
}

static void
mib(char *o, size_t len, double bytes)
{
	if (bytes >= 1024.0 * 1024)
		snprintf(o, len, "%.1f MiB", bytes / (1024.0 * 1024));
	else
		snprintf(o, len, "%.1f KiB", bytes / 1024.0);
}

static const char *
si(char *o, size_t len, uint32_t n)
{
	if (n >= 1000000 && n % 1000000 == 0)
		snprintf(o, len, "%uM", n / 1000000);
	else if (n >= 1000 && n % 1000 == 0)
		snprintf(o, len, "%uk", n / 1000);
	else
		snprintf(o, len, "%u", n);
	return o;
}

int
main(int argc, char **argv)
{
	uint32_t sizes[16] = { 10000, 100000, 1000000 }, ns = 3;
	double seconds = 3.0;
	int i = 1;

	if (i + 1 < argc && strcmp(argv[i], "--seconds") == 0) {
		seconds = atof(argv[i + 1]);
		i += 2;
	}
	if (i < argc) {
		for (ns = 0; i < argc && ns < 16; i++)
			sizes[ns++] = (uint32_t)strtoul(argv[i], NULL, 0);
	}
	printf("| patterns | distinct | build | Hyperscan db | id maps | bytes/pattern | scratch | peak RSS | subjects/s, 1 core | ns/subject | ids/subject |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	fflush(stdout);
	for (uint32_t k = 0; k < ns; k++) {
		int fd[2], status;
		struct rusage ru;
		struct result r;
		char a[32], b[32], c[32], d[32], e[16];
		pid_t pid;

		if (pipe(fd) < 0)
			return 1;
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			close(fd[0]);
			run(sizes[k], seconds, &r);
			if (write(fd[1], &r, sizeof(r)) != sizeof(r))
				_exit(1);
			_exit(0);
		}
		close(fd[1]);
		memset(&r, 0, sizeof(r));
		if (read(fd[0], &r, sizeof(r)) != sizeof(r))
			snprintf(r.err, sizeof(r.err), "child died");
		close(fd[0]);
		wait4(pid, &status, 0, &ru);
		if (!r.ok) {
			printf("| %s | failed: %s |\n", si(e, sizeof(e), sizes[k]),
			       r.err);
			continue;
		}
		mib(a, sizeof(a), (double)r.hs_bytes);
		mib(b, sizeof(b), (double)r.map_bytes);
		mib(c, sizeof(c), (double)r.scratch_bytes);
		mib(d, sizeof(d), ru.ru_maxrss * 1024.0);
		printf("| %s | %u | %.2f s | %s | %s | %.0f | %s | %s | %.0f | %.0f | %.2f |\n",
		       si(e, sizeof(e), r.n), r.distinct, r.build_s, a, b,
		       (double)(r.hs_bytes + r.map_bytes) / r.n, c, d,
		       r.match_per_s, 1e9 / r.match_per_s, r.ids_per_subject);
		fflush(stdout);
	}
	return 0;
}
