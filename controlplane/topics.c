/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Topic matching: rules, reference matcher, Hyperscan database. See
 * topics.h for the rules and the scratch rule.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "topics.h"

/*
 * One compiled set. Distinct pattern k (its Hyperscan id) owns the
 * subscription ids ids[off[k] .. off[k + 1]). hs is NULL for the empty
 * set: Hyperscan cannot compile zero patterns.
 */
struct mr_topicdb {
	hs_database_t *hs;
	uint32_t npat;		/* distinct patterns */
	uint32_t nids;
	uint32_t *off;		/* npat + 1 entries */
	uint32_t *ids;		/* nids entries */
	size_t hs_bytes;
};

/*
 * Regex text of a pattern of len bytes, NUL included: "^", at most 5 bytes
 * a pattern byte ("*" is "[^.]+", a literal byte at most "\xHH"), "\z".
 */
#define REGEX_LEN(len)	(5 * (size_t)(len) + 4)

/* The flags of every expression; see mr_topic_regex() for why. */
#define TOPIC_HS_FLAGS	(HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL)

static inline int
byte_ok(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '.' && c != '*' && c != '>';
}

/*
 * Shared walk of both rules: wild == 0 for subjects, 1 for patterns.
 */
static int
topic_valid(const char *str, size_t len, int wild)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start;

	if (s == NULL || len == 0 || len > MR_TOPIC_MAX)
		return 0;
	for (;;) {
		start = i;
		while (i < len && s[i] != '.')
			i++;
		if (i == start)
			return 0;	/* empty token, leading or trailing dot */
		if (i - start == 1 && wild && (s[start] == '*' || s[start] == '>')) {
			if (s[start] == '>' && i != len)
				return 0;	/* '>' not last */
		} else {
			for (size_t j = start; j < i; j++)
				if (!byte_ok(s[j]))
					return 0;
		}
		if (i == len)
			return 1;
		i++;			/* the dot */
		if (i == len)
			return 0;	/* trailing dot */
	}
}

int
mr_subject_valid(const char *s, size_t len)
{
	return topic_valid(s, len, 0);
}

int
mr_pattern_valid(const char *p, size_t len)
{
	return topic_valid(p, len, 1);
}

/*
 * Token by token. Both strings are valid, so every token is non-empty and
 * ">" is the last token of the pattern.
 */
int
mr_topic_match_ref(const char *pattern, const char *subject)
{
	size_t pl, sl, pi = 0, si = 0;

	if (pattern == NULL || subject == NULL)
		return -EINVAL;
	pl = strnlen(pattern, MR_TOPIC_MAX + 1);
	sl = strnlen(subject, MR_TOPIC_MAX + 1);
	if (!mr_pattern_valid(pattern, pl) || !mr_subject_valid(subject, sl))
		return -EINVAL;
	for (;;) {
		size_t pe = pi, se = si;

		while (pe < pl && pattern[pe] != '.')
			pe++;
		if (pe - pi == 1 && pattern[pi] == '>')
			return si < sl;		/* one or more tokens left */
		if (si >= sl)
			return 0;		/* subject too short */
		while (se < sl && subject[se] != '.')
			se++;
		if (!(pe - pi == 1 && pattern[pi] == '*') &&
		    (pe - pi != se - si ||
		     memcmp(pattern + pi, subject + si, pe - pi) != 0))
			return 0;
		pi = pe + 1;
		si = se + 1;
		if (pi > pl)			/* pattern done */
			return si > sl;		/* and so is the subject */
	}
}

/*
 * Anchored at both ends: "^" (no HS_FLAG_MULTILINE, so the start of the
 * subject only) and "\z" (the very end, where "$" would also match before
 * a final newline). "[^.]+" is one non-empty token: a valid subject has
 * no empty token, so it cannot cross a dot nor be empty. ".+" after the
 * dot before ">" is one or more tokens; HS_FLAG_DOTALL makes "." take any
 * byte, so the meaning of ">" does not depend on which bytes subjects may
 * hold (validation already keeps newlines out). HS_FLAG_SINGLEMATCH: one
 * report per pattern and scan, whatever Hyperscan's internals. Neither
 * HS_FLAG_CASELESS (NATS subjects are case-sensitive), HS_FLAG_UTF8
 * (bytes, not characters), HS_FLAG_SOM_LEFTMOST (we never need where a
 * match starts, and it costs) nor HS_FLAG_PREFILTER (exact matches only).
 */
int
mr_topic_regex(const char *pattern, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (!mr_pattern_valid(pattern, len))
		return -EINVAL;
	if (outlen < REGEX_LEN(len))
		return -ENOSPC;		/* simpler than checking every byte */
	out[o++] = '^';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pattern[i];
		int alone = (i == 0 || pattern[i - 1] == '.') &&
			    (i + 1 == len || pattern[i + 1] == '.');

		if (c == '*' && alone) {
			memcpy(out + o, "[^.]+", 5);
			o += 5;
		} else if (c == '>' && alone) {
			memcpy(out + o, ".+", 2);
			o += 2;
		} else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			   (c >= 'A' && c <= 'Z')) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	memcpy(out + o, "\\z", 3);
	return (int)(o + 2);
}

struct pent {
	const char *p;
	uint32_t len;
	uint32_t id;
};

static int
pent_cmp(const void *a, const void *b)
{
	const struct pent *x = a, *y = b;
	uint32_t l = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, l);

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/*
 * Sort (pattern, id) pairs, keep one entry per distinct pattern and one id
 * per pattern and id, translate, compile. Peak memory besides Hyperscan's
 * own: the pairs (16 bytes each) and the regex text of the distinct
 * patterns.
 */
struct mr_topicdb *
mr_topicdb_build(const char *const *patterns, const uint32_t *ids,
		 uint32_t n, char *err, size_t errlen)
{
	struct mr_topicdb *db;
	struct pent *pe = NULL;
	char *text = NULL;
	const char **expr = NULL;
	unsigned int *flags = NULL, *hsid = NULL;
	size_t textlen = 0, o;
	hs_compile_error_t *cerr = NULL;
	uint32_t i, k;
	int e = ENOMEM;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (n > 0 && (patterns == NULL || ids == NULL)) {
		errno = EINVAL;
		return NULL;
	}
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		goto fail;
	db->off = calloc(1, sizeof(*db->off));
	if (db->off == NULL)
		goto fail;
	if (n == 0)
		return db;		/* hs == NULL: matches nothing */

	pe = malloc((size_t)n * sizeof(*pe));
	if (pe == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		const char *p = patterns[i];
		size_t len = p != NULL ? strnlen(p, MR_TOPIC_MAX + 1) : 0;

		if (!mr_pattern_valid(p, len)) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "pattern %u (\"%.*s\") is invalid",
					 i, p != NULL ? (int)len : 0,
					 p != NULL ? p : "");
			e = EINVAL;
			goto fail;
		}
		pe[i] = (struct pent){ .p = p, .len = (uint32_t)len, .id = ids[i] };
	}
	qsort(pe, n, sizeof(*pe), pent_cmp);

	/* Distinct patterns and ids; regex text size. */
	db->npat = 0;
	db->nids = 0;
	for (i = 0; i < n; i++) {
		int newpat = i == 0 || pe[i].len != pe[i - 1].len ||
			     memcmp(pe[i].p, pe[i - 1].p, pe[i].len) != 0;

		if (newpat) {
			db->npat++;
			textlen += REGEX_LEN(pe[i].len);
		}
		if (newpat || pe[i].id != pe[i - 1].id)
			db->nids++;
	}
	free(db->off);
	db->off = malloc(((size_t)db->npat + 1) * sizeof(*db->off));
	db->ids = malloc((size_t)db->nids * sizeof(*db->ids));
	text = malloc(textlen);
	expr = malloc((size_t)db->npat * sizeof(*expr));
	flags = malloc((size_t)db->npat * sizeof(*flags));
	hsid = malloc((size_t)db->npat * sizeof(*hsid));
	if (db->off == NULL || db->ids == NULL || text == NULL ||
	    expr == NULL || flags == NULL || hsid == NULL)
		goto fail;

	k = 0;
	o = 0;
	db->nids = 0;
	for (i = 0; i < n; i++) {
		int newpat = i == 0 || pe[i].len != pe[i - 1].len ||
			     memcmp(pe[i].p, pe[i - 1].p, pe[i].len) != 0;
		int r;

		if (newpat) {
			r = mr_topic_regex(pe[i].p, pe[i].len, text + o,
					   textlen - o);
			if (r < 0) {		/* cannot happen: validated */
				e = -r;
				goto fail;
			}
			expr[k] = text + o;
			flags[k] = TOPIC_HS_FLAGS;
			hsid[k] = k;
			db->off[k] = db->nids;
			o += (size_t)r + 1;
			k++;
		}
		if (newpat || pe[i].id != pe[i - 1].id)
			db->ids[db->nids++] = pe[i].id;
	}
	db->off[k] = db->nids;

	if (hs_compile_multi(expr, flags, hsid, db->npat, HS_MODE_BLOCK, NULL,
			     &db->hs, &cerr) != HS_SUCCESS) {
		/* expression < 0: a problem with the set, not one pattern. */
		if (err == NULL || errlen == 0)
			;
		else if (cerr != NULL && cerr->expression >= 0 &&
			 (uint32_t)cerr->expression < db->npat)
			snprintf(err, errlen, "hyperscan: pattern /%s/: %s",
				 expr[cerr->expression], cerr->message);
		else
			snprintf(err, errlen, "hyperscan: %s",
				 cerr != NULL ? cerr->message : "compile failed");
		hs_free_compile_error(cerr);
		db->hs = NULL;
		e = EIO;
		goto fail;
	}
	if (hs_database_size(db->hs, &db->hs_bytes) != HS_SUCCESS)
		db->hs_bytes = 0;
	free(pe);
	free(text);
	free(expr);
	free(flags);
	free(hsid);
	return db;

fail:
	if (e == ENOMEM && (err != NULL && errlen > 0) && err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	free(pe);
	free(text);
	free(expr);
	free(flags);
	free(hsid);
	mr_topicdb_free(db);
	errno = e;
	return NULL;
}

void
mr_topicdb_free(struct mr_topicdb *db)
{
	if (db == NULL)
		return;
	hs_free_database(db->hs);
	free(db->off);
	free(db->ids);
	free(db);
}

void
mr_topicdb_info(const struct mr_topicdb *db, struct mr_topicdb_info *info)
{
	info->patterns = db->npat;
	info->ids = db->nids;
	info->hs_bytes = db->hs_bytes;
	info->map_bytes = sizeof(*db) +
		((size_t)db->npat + 1) * sizeof(*db->off) +
		(size_t)db->nids * sizeof(*db->ids);
}

size_t
mr_topicdb_size(const struct mr_topicdb *db)
{
	struct mr_topicdb_info info;

	mr_topicdb_info(db, &info);
	return info.hs_bytes + info.map_bytes;
}

int
mr_topicdb_scratch_grow(const struct mr_topicdb *db, hs_scratch_t **scratch)
{
	hs_error_t r;

	if (db == NULL || scratch == NULL)
		return -EINVAL;
	if (db->hs == NULL)
		return 0;
	r = hs_alloc_scratch(db->hs, scratch);
	if (r == HS_SUCCESS)
		return 0;
	return r == HS_NOMEM ? -ENOMEM : -EINVAL;
}

struct match_ctx {
	const struct mr_topicdb *db;
	uint32_t *out;
	uint32_t max;
	uint32_t n;		/* written */
	uint64_t total;		/* matched */
};

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
	 unsigned int flags, void *arg)
{
	struct match_ctx *m = arg;
	const struct mr_topicdb *db = m->db;
	uint32_t a = db->off[id], cnt = db->off[id + 1] - a, room;

	room = m->max - m->n;
	if (room > cnt)
		room = cnt;
	if (room > 0) {
		memcpy(m->out + m->n, db->ids + a, room * sizeof(*m->out));
		m->n += room;
	}
	m->total += cnt;
	return 0;		/* go on: the total counts what was cut */
}

int
mr_topicdb_match(const struct mr_topicdb *db, hs_scratch_t *scratch,
		 const char *subject, size_t len, uint32_t *out_ids,
		 uint32_t max, uint32_t *n)
{
	struct match_ctx m = { .db = db, .out = out_ids, .max = max };

	*n = 0;
	if (!mr_subject_valid(subject, len))
		return -EINVAL;
	if (db->hs == NULL)
		return 0;
	if (hs_scan(db->hs, subject, (unsigned int)len, 0, scratch, on_match,
		    &m) != HS_SUCCESS)
		return -EIO;
	/* Every id is a subscription of a distinct pattern: <= nids. */
	*n = (uint32_t)m.total;
	return m.total > max ? -ENOSPC : 0;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

uint32_t
mr_topic_ids_unique(uint32_t *ids, uint32_t n)
{
	uint32_t i, k = 0;

	if (n == 0)
		return 0;
	qsort(ids, n, sizeof(*ids), u32_cmp);
	for (i = 1; i < n; i++)
		if (ids[i] != ids[k])
			ids[++k] = ids[i];
	return k + 1;
}
