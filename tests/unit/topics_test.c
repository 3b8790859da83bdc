/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Topic matching: subject and pattern rules, literal / "*" / ">" semantics
 * in the reference matcher and in the Hyperscan database, dedup of
 * identical patterns, the empty database, regex metacharacters taken
 * literally, scratch growth, the cut at max, and a property test: random
 * subjects against random pattern sets, Hyperscan == reference. The seed
 * is printed; MRELAY_TOPICS_SEED=<n> replays a run.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "topics.h"

#define SV(s)	mr_subject_valid((s), strlen(s))
#define PV(s)	mr_pattern_valid((s), strlen(s))

static void
test_subject_rules(void **state)
{
	char buf[300];

	assert_true(SV("a"));
	assert_true(SV("sensors.room1.temp"));
	assert_true(SV("a+b.(x).[y].$.\\.~!#"));
	assert_false(SV(""));
	assert_false(SV("."));
	assert_false(SV(".a"));		/* leading dot */
	assert_false(SV("a."));		/* trailing dot */
	assert_false(SV("a..b"));	/* empty token */
	assert_false(SV("a b"));	/* 0x20 */
	assert_false(SV("a*"));
	assert_false(SV("*"));
	assert_false(SV("a.>"));
	assert_false(SV("a>b"));
	assert_false(mr_subject_valid("a\0b", 3));	/* 0x00 */
	assert_false(SV("a\x7f"));
	assert_false(SV("a\x80"));
	assert_false(SV("caf\xc3\xa9"));		/* UTF-8: not ASCII */
	assert_false(SV("a\tb"));
	assert_false(SV("a\nb"));
	assert_false(mr_subject_valid(NULL, 0));
	/* length counts, not the NUL: "ab" with len 1 is "a" */
	assert_true(mr_subject_valid("ab", 1));

	memset(buf, 'x', sizeof(buf));
	assert_true(mr_subject_valid(buf, 255));
	assert_false(mr_subject_valid(buf, 256));
	for (int i = 1; i < 255; i += 2)
		buf[i] = '.';
	assert_true(mr_subject_valid(buf, 255));	/* 128 tokens */
	assert_false(mr_subject_valid(buf, 254));	/* trailing dot */
}

static void
test_pattern_rules(void **state)
{
	char buf[300];

	assert_true(PV("a"));
	assert_true(PV("*"));
	assert_true(PV(">"));
	assert_true(PV("a.*.c"));
	assert_true(PV("a.>"));
	assert_true(PV("*.*.>"));
	assert_true(PV("a+b.(x).$"));
	assert_false(PV(""));
	assert_false(PV(".a"));
	assert_false(PV("a."));
	assert_false(PV("a..b"));
	assert_false(PV("a.>."));	/* trailing dot after '>' */
	assert_false(PV(">.a"));	/* '>' not last */
	assert_false(PV("a.>.b"));
	assert_false(PV("a.>.>"));
	assert_false(PV("a*"));		/* '*' inside a token */
	assert_false(PV("*a"));
	assert_false(PV("a.b*c"));
	assert_false(PV("**"));
	assert_false(PV("a>"));
	assert_false(PV(">>"));
	assert_false(PV("a. "));
	assert_false(mr_pattern_valid("a.\0", 3));
	assert_false(PV("a.\x7f"));
	assert_false(PV("\xff"));

	memset(buf, '-', sizeof(buf));
	assert_true(mr_pattern_valid(buf, 255));
	assert_false(mr_pattern_valid(buf, 256));
	buf[253] = '.';
	buf[254] = '>';
	assert_true(mr_pattern_valid(buf, 255));
	buf[254] = '*';
	assert_true(mr_pattern_valid(buf, 255));
}

static void
test_regex_text(void **state)
{
	char re[1100];

	assert_int_equal(mr_topic_regex("a.*.>", 5, re, sizeof(re)),
			 strlen("^a\\x2e[^.]+\\x2e.+\\z"));
	assert_string_equal(re, "^a\\x2e[^.]+\\x2e.+\\z");
	assert_int_equal(mr_topic_regex("x_1+", 4, re, sizeof(re)), 13);
	assert_string_equal(re, "^x\\x5f1\\x2b\\z");
	assert_int_equal(mr_topic_regex("a..b", 4, re, sizeof(re)), -EINVAL);
	assert_int_equal(mr_topic_regex("a", 1, re, 9), 4);
	assert_int_equal(mr_topic_regex("a", 1, re, 8), -ENOSPC);
	assert_int_equal(mr_topic_regex("*.*", 3, re, 19), 17);
	assert_int_equal(mr_topic_regex("*.*", 3, re, 18), -ENOSPC);
	assert_string_equal(re, "^[^.]+\\x2e[^.]+\\z");
}

/* One-pattern database: does pattern match subject? */
static int
hs_one(const char *pattern, const char *subject)
{
	const char *p[1] = { pattern };
	uint32_t id = 7, out[4], n;
	hs_scratch_t *scratch = NULL;
	struct mr_topicdb *db;
	char err[256];
	int rc;

	db = mr_topicdb_build(p, &id, 1, err, sizeof(err));
	if (db == NULL)
		fail_msg("build \"%s\": %s", pattern, err);
	assert_int_equal(mr_topicdb_scratch_grow(db, &scratch), 0);
	rc = mr_topicdb_match(db, scratch, subject, strlen(subject), out, 4,
			      &n);
	hs_free_scratch(scratch);
	mr_topicdb_free(db);
	if (rc < 0)
		return rc;
	assert_true(n <= 1);
	if (n == 1)
		assert_int_equal(out[0], 7);
	return (int)n;
}

static const struct {
	const char *pattern, *subject;
	int match;
} semantics[] = {
	{ "a", "a", 1 },
	{ "a", "b", 0 },
	{ "a", "A", 0 },		/* case-sensitive */
	{ "a", "ab", 0 },
	{ "a", "a.b", 0 },
	{ "ab", "a", 0 },
	{ "a.b", "a.b", 1 },
	{ "a.b", "a", 0 },
	{ "a.b", "a.bc", 0 },
	{ "*", "a", 1 },
	{ "*", "abc", 1 },
	{ "*", "a.b", 0 },		/* exactly one token */
	{ "a.*", "a.b", 1 },
	{ "a.*", "a", 0 },		/* never an empty token */
	{ "a.*", "a.b.c", 0 },
	{ "*.b", "a.b", 1 },
	{ "*.b", "b", 0 },
	{ "a.*.c", "a.b.c", 1 },
	{ "a.*.c", "a.c", 0 },
	{ "a.*.c", "a.b.b.c", 0 },
	{ "*.*", "a.b", 1 },
	{ "*.*", "a.b.c", 0 },
	{ ">", "a", 1 },
	{ ">", "a.b.c", 1 },
	{ "a.>", "a.b", 1 },
	{ "a.>", "a.b.c", 1 },
	{ "a.>", "a", 0 },		/* one or more */
	{ "a.>", "ab.c", 0 },
	{ "a.>", "b.a.c", 0 },
	{ "*.>", "a", 0 },
	{ "*.>", "a.b", 1 },
	{ "a.*.>", "a.b.c.d", 1 },
	{ "a.*.>", "a.b", 0 },
	/* regex metacharacters are literal bytes */
	{ "a+b", "a+b", 1 },
	{ "a+b", "aab", 0 },
	{ "a+b", "ab", 0 },
	{ "a(b)", "a(b)", 1 },
	{ "a(b)", "ab", 0 },
	{ "[x]", "[x]", 1 },
	{ "[x]", "x", 0 },
	{ "\\", "\\", 1 },
	{ "\\d", "\\d", 1 },
	{ "\\d", "1", 0 },
	{ "$", "$", 1 },
	{ "a$", "a", 0 },
	{ "^a", "^a", 1 },
	{ "^a", "a", 0 },
	{ "a|b", "a", 0 },
	{ "a|b", "a|b", 1 },
	{ "a?", "a", 0 },
	{ "a{2}", "aa", 0 },
	{ "a{2}", "a{2}", 1 },
	{ "#", "#", 1 },
	{ "'\"`~", "'\"`~", 1 },
	{ "x.*.y", "x.(.y", 1 },
};

static void
test_semantics(void **state)
{
	for (size_t i = 0; i < sizeof(semantics) / sizeof(semantics[0]); i++) {
		const char *p = semantics[i].pattern, *s = semantics[i].subject;
		int ref = mr_topic_match_ref(p, s), hs = hs_one(p, s);

		if (ref != semantics[i].match || hs != semantics[i].match)
			fail_msg("\"%s\" vs \"%s\": want %d, reference %d, hyperscan %d",
				 p, s, semantics[i].match, ref, hs);
	}
	/* invalid input */
	assert_int_equal(mr_topic_match_ref("a..b", "a.b"), -EINVAL);
	assert_int_equal(mr_topic_match_ref("a.>", "a..b"), -EINVAL);
	assert_int_equal(mr_topic_match_ref("a.*", "a.*"), -EINVAL);
	assert_int_equal(hs_one("a.>", "a..b"), -EINVAL);
	assert_int_equal(hs_one(">", "a."), -EINVAL);
	assert_int_equal(hs_one(">", "a\nb"), -EINVAL);
}

static void
test_long_patterns(void **state)
{
	char p[256], s[256];
	const char *pp[2] = { p, s };
	uint32_t ids[2] = { 1, 2 }, out[4], n;
	hs_scratch_t *scratch = NULL;
	struct mr_topicdb *db;
	char err[256];

	/* 255 bytes of non-alphanumerics: a 1000+ byte regex */
	memset(p, '+', 255);
	p[255] = '\0';
	memcpy(s, p, 256);
	s[253] = '.';
	s[254] = '>';
	db = mr_topicdb_build(pp, ids, 2, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(mr_topicdb_scratch_grow(db, &scratch), 0);
	assert_int_equal(mr_topicdb_match(db, scratch, p, 255, out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 1);
	p[254] = 'z';
	p[253] = '.';
	assert_int_equal(mr_topicdb_match(db, scratch, p, 255, out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 2);
	hs_free_scratch(scratch);
	mr_topicdb_free(db);
}

static void
test_dedup(void **state)
{
	const char *p[] = { "a.b", "a.b", "a.*", "a.b", "x", "a.*" };
	uint32_t ids[] = { 1, 2, 3, 1, 9, 9 }, out[8], n;
	struct mr_topicdb_info info;
	hs_scratch_t *scratch = NULL;
	struct mr_topicdb *db;

	db = mr_topicdb_build(p, ids, 6, NULL, 0);
	assert_non_null(db);
	mr_topicdb_info(db, &info);
	assert_int_equal(info.patterns, 3);	/* a.b, a.*, x */
	assert_int_equal(info.ids, 5);		/* a.b {1,2} a.* {3,9} x {9} */
	assert_true(info.hs_bytes > 0);
	assert_int_equal(mr_topicdb_size(db), info.hs_bytes + info.map_bytes);
	assert_int_equal(mr_topicdb_scratch_grow(db, &scratch), 0);

	assert_int_equal(mr_topicdb_match(db, scratch, "a.b", 3, out, 8, &n), 0);
	assert_int_equal(n, 4);
	n = mr_topic_ids_unique(out, n);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 2);
	assert_int_equal(out[2], 3);
	assert_int_equal(out[3], 9);

	assert_int_equal(mr_topicdb_match(db, scratch, "a.c", 3, out, 8, &n), 0);
	assert_int_equal(n, 2);
	n = mr_topic_ids_unique(out, n);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 3);
	assert_int_equal(out[1], 9);

	/* id 9 is listed by two patterns that both match "x"? No: one. */
	assert_int_equal(mr_topicdb_match(db, scratch, "x", 1, out, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 9);
	hs_free_scratch(scratch);
	mr_topicdb_free(db);
}

/* One device (id 5) subscribed twice, both patterns match: one copy. */
static void
test_device_once(void **state)
{
	const char *p[] = { "news.>", "news.*", "sport.*" };
	uint32_t dev[] = { 5, 5, 6 }, out[8], n;
	hs_scratch_t *scratch = NULL;
	struct mr_topicdb *db;

	db = mr_topicdb_build(p, dev, 3, NULL, 0);
	assert_non_null(db);
	assert_int_equal(mr_topicdb_scratch_grow(db, &scratch), 0);
	assert_int_equal(mr_topicdb_match(db, scratch, "news.eu", 7, out, 8,
					  &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(mr_topic_ids_unique(out, n), 1);
	assert_int_equal(out[0], 5);
	hs_free_scratch(scratch);
	mr_topicdb_free(db);
}

static void
test_empty_db(void **state)
{
	struct mr_topicdb_info info;
	hs_scratch_t *scratch = NULL;
	struct mr_topicdb *db;
	uint32_t out[1] = { 42 }, n = 99;

	db = mr_topicdb_build(NULL, NULL, 0, NULL, 0);
	assert_non_null(db);
	mr_topicdb_info(db, &info);
	assert_int_equal(info.patterns, 0);
	assert_int_equal(info.ids, 0);
	assert_int_equal(info.hs_bytes, 0);
	assert_int_equal(mr_topicdb_scratch_grow(db, &scratch), 0);
	assert_null(scratch);
	assert_int_equal(mr_topicdb_match(db, scratch, "a.b", 3, out, 1, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(out[0], 42);
	assert_int_equal(mr_topicdb_match(db, scratch, "a..b", 4, out, 1, &n),
			 -EINVAL);
	mr_topicdb_free(db);
	mr_topicdb_free(NULL);
}

static void
test_build_errors(void **state)
{
	const char *p[] = { "a.b", "a.>.b", "c" };
	const char *q[] = { "a", NULL };
	uint32_t ids[] = { 1, 2, 3 };
	char err[128];

	errno = 0;
	assert_null(mr_topicdb_build(p, ids, 3, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "pattern 1"));
	assert_non_null(strstr(err, "a.>.b"));
	errno = 0;
	assert_null(mr_topicdb_build(q, ids, 2, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(mr_topicdb_build(NULL, ids, 1, NULL, 0));
	assert_int_equal(errno, EINVAL);
}

static void
test_cut(void **state)
{
	const char *p[] = { "a.b", "a.*", ">", "a.>", "b" };
	uint32_t ids[] = { 1, 2, 3, 4, 5 }, out[8], n, seen = 0;
	hs_scratch_t *scratch = NULL;
	struct mr_topicdb *db;

	db = mr_topicdb_build(p, ids, 5, NULL, 0);
	assert_non_null(db);
	assert_int_equal(mr_topicdb_scratch_grow(db, &scratch), 0);
	memset(out, 0xff, sizeof(out));
	/* "a.b" matches 4 patterns; room for 2 */
	assert_int_equal(mr_topicdb_match(db, scratch, "a.b", 3, out, 2, &n),
			 -ENOSPC);
	assert_int_equal(n, 4);			/* 4 - 2 = 2 were cut */
	for (int i = 0; i < 2; i++) {
		assert_true(out[i] >= 1 && out[i] <= 4);
		seen |= 1u << out[i];
	}
	assert_int_equal(__builtin_popcount(seen), 2);
	assert_int_equal(out[2], UINT32_MAX);	/* nothing past max */
	assert_int_equal(mr_topicdb_match(db, scratch, "a.b", 3, NULL, 0, &n),
			 -ENOSPC);
	assert_int_equal(n, 4);
	assert_int_equal(mr_topicdb_match(db, scratch, "a.b", 3, out, 4, &n), 0);
	assert_int_equal(n, 4);
	hs_free_scratch(scratch);
	mr_topicdb_free(db);
}

/* ------------------------------------------------------- random sets */

static uint64_t rng;

static uint32_t
rnd(uint32_t bound)
{
	/* xorshift64*: enough for a test, and the same on every machine */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32) % bound;
}

/* Small alphabet so matches are frequent; some tokens need escaping. */
static const char *const alpha[] = { "a", "b", "c", "ab", "a+", "(b)", "$" };
#define NALPHA	(sizeof(alpha) / sizeof(alpha[0]))

static void
rnd_subject(char *s)
{
	uint32_t nt = 1 + rnd(5);

	s[0] = '\0';
	for (uint32_t t = 0; t < nt; t++) {
		if (t > 0)
			strcat(s, ".");
		strcat(s, alpha[rnd(NALPHA)]);
	}
}

static void
rnd_pattern(char *p)
{
	uint32_t nt = 1 + rnd(5);

	p[0] = '\0';
	for (uint32_t t = 0; t < nt; t++) {
		uint32_t r = rnd(100);

		if (t > 0)
			strcat(p, ".");
		if (t == nt - 1 && r < 15)
			strcat(p, ">");
		else if (r >= 15 && r < 40)
			strcat(p, "*");
		else
			strcat(p, alpha[rnd(NALPHA)]);
	}
}

static uint64_t
seed_from_env(void)
{
	const char *e = getenv("MRELAY_TOPICS_SEED");

	if (e != NULL && *e != '\0')
		return strtoull(e, NULL, 0);
	return 20261203;
}

#define SETS		20
#define SUBJECTS	2000
#define MAXPAT		500

static void
test_property(void **state)
{
	static char pat[MAXPAT][64];
	const char *pp[MAXPAT];
	uint32_t ids[MAXPAT], want[MAXPAT], got[MAXPAT], nw, n;
	hs_scratch_t *scratch = NULL;
	uint64_t seed = seed_from_env(), matches = 0;
	char subj[64], err[256];

	printf("topics property test: MRELAY_TOPICS_SEED=%" PRIu64 "\n", seed);
	rng = seed != 0 ? seed : 1;
	for (int set = 0; set < SETS; set++) {
		uint32_t np = 1 + rnd(MAXPAT);
		struct mr_topicdb *db;

		for (uint32_t i = 0; i < np; i++) {
			rnd_pattern(pat[i]);
			pp[i] = pat[i];
			ids[i] = i;
		}
		db = mr_topicdb_build(pp, ids, np, err, sizeof(err));
		if (db == NULL)
			fail_msg("seed %" PRIu64 " set %d: %s", seed, set, err);
		/* one scratch grown across every set, as a worker's is */
		assert_int_equal(mr_topicdb_scratch_grow(db, &scratch), 0);
		for (int k = 0; k < SUBJECTS; k++) {
			rnd_subject(subj);
			nw = 0;
			for (uint32_t i = 0; i < np; i++) {
				int r = mr_topic_match_ref(pat[i], subj);

				assert_true(r >= 0);
				if (r)
					want[nw++] = i;
			}
			assert_int_equal(mr_topicdb_match(db, scratch, subj,
							  strlen(subj), got,
							  MAXPAT, &n), 0);
			n = mr_topic_ids_unique(got, n);
			matches += n;
			if (n != nw || memcmp(want, got, n * sizeof(*got)) != 0) {
				for (uint32_t i = 0, a = 0, b = 0; a < nw || b < n;) {
					if (b >= n || (a < nw && want[a] < got[b]))
						i = want[a++], printf("  only reference: \"%s\"\n", pat[i]);
					else if (a >= nw || got[b] < want[a])
						i = got[b++], printf("  only hyperscan: \"%s\"\n", pat[i]);
					else
						a++, b++;
				}
				fail_msg("seed %" PRIu64 " set %d (%u patterns) subject \"%s\": reference %u matches, hyperscan %u",
					 seed, set, np, subj, nw, n);
			}
		}
		mr_topicdb_free(db);
	}
	printf("topics property test: %d sets, %d subjects, %" PRIu64 " matches\n",
	       SETS, SETS * SUBJECTS, matches);
	assert_true(matches > SETS * SUBJECTS);	/* matches were common */
	hs_free_scratch(scratch);
}

/* A scratch allocated for a small db, grown for a large one, works for both. */
static void
test_scratch_grow(void **state)
{
	enum { BIG = 3000 };
	const char *small_p[] = { "a.b" };
	uint32_t small_id = 1, out[16], n;
	char **bp = malloc(BIG * sizeof(*bp));
	uint32_t *bid = malloc(BIG * sizeof(*bid));
	hs_scratch_t *scratch = NULL;
	struct mr_topicdb *small, *big;
	size_t s1, s2;

	assert_non_null(bp);
	assert_non_null(bid);
	for (int i = 0; i < BIG; i++) {
		bp[i] = malloc(48);
		assert_non_null(bp[i]);
		if (i % 3 == 0)
			snprintf(bp[i], 48, "t%d.*.x%d", i, i);
		else if (i % 3 == 1)
			snprintf(bp[i], 48, "t%d.y.>", i);
		else
			snprintf(bp[i], 48, "t%d.q.z%d", i, i);
		bid[i] = 100 + i;
	}
	small = mr_topicdb_build(small_p, &small_id, 1, NULL, 0);
	big = mr_topicdb_build((const char *const *)bp, bid, BIG, NULL, 0);
	assert_non_null(small);
	assert_non_null(big);
	assert_int_equal(mr_topicdb_scratch_grow(small, &scratch), 0);
	assert_int_equal(hs_scratch_size(scratch, &s1), HS_SUCCESS);
	assert_int_equal(mr_topicdb_scratch_grow(big, &scratch), 0);
	assert_int_equal(hs_scratch_size(scratch, &s2), HS_SUCCESS);
	assert_true(s2 >= s1);
	/* the grown scratch serves the new and the old database */
	assert_int_equal(mr_topicdb_match(big, scratch, "t3.k.x3", 7, out, 16,
					  &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 103);
	assert_int_equal(mr_topicdb_match(big, scratch, "t4.y.k.l", 8, out, 16,
					  &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 104);
	assert_int_equal(mr_topicdb_match(big, scratch, "t5.q.z5", 7, out, 16,
					  &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(mr_topicdb_match(small, scratch, "a.b", 3, out, 16,
					  &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 1);
	hs_free_scratch(scratch);
	mr_topicdb_free(small);
	mr_topicdb_free(big);
	for (int i = 0; i < BIG; i++)
		free(bp[i]);
	free(bp);
	free(bid);
}

static void
test_ids_unique(void **state)
{
	uint32_t a[] = { 5, 1, 5, 3, 1, UINT32_MAX, 0 };

	assert_int_equal(mr_topic_ids_unique(a, 7), 5);
	assert_int_equal(a[0], 0);
	assert_int_equal(a[1], 1);
	assert_int_equal(a[2], 3);
	assert_int_equal(a[3], 5);
	assert_int_equal(a[4], UINT32_MAX);
	assert_int_equal(mr_topic_ids_unique(a, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_rules),
		cmocka_unit_test(test_pattern_rules),
		cmocka_unit_test(test_regex_text),
		cmocka_unit_test(test_semantics),
		cmocka_unit_test(test_long_patterns),
		cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_device_once),
		cmocka_unit_test(test_empty_db),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_ids_unique),
		cmocka_unit_test(test_scratch_grow),
		cmocka_unit_test(test_property),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
