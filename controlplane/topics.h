/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Topic matching (issue 7): subject and pattern rules, a plain reference
 * matcher, and the Hyperscan matcher the workers use. Plain C + Hyperscan,
 * no DPDK.
 *
 * Rules (docs/protocol.md, section 8, "Subject and pattern rules"):
 *  - A subject is 1..255 bytes: tokens separated by '.', every token
 *    non-empty (no leading or trailing dot, no "..") and made of bytes
 *    0x21..0x7e other than '.', '*' and '>'.
 *  - A pattern follows the same byte and length rules; each token is a
 *    literal (as in a subject), "*" alone (exactly one token) or ">" alone
 *    (one or more tokens), and ">" only as the last token. "a*", "*b",
 *    "a>b" and "a.>.b" are invalid.
 *  - Matching is byte for byte (case-sensitive); "a.>" matches "a.b" and
 *    "a.b.c" but not "a"; ">" matches every subject; "*" matches one
 *    non-empty token.
 *
 * Database life cycle (the RCU recipe of docs/architecture.md):
 *  1. the control plane builds a new database with mr_topicdb_build();
 *  2. SCRATCH RULE: before the new database is published, the scratch of
 *     every worker must be grown for it with mr_topicdb_scratch_grow(). A
 *     worker must never scan a database its scratch was not grown for
 *     (Hyperscan returns HS_INVALID, or worse). hs_alloc_scratch() frees
 *     and replaces a scratch that is too small, so a scratch must not be
 *     grown while its worker may be scanning with it: either the worker
 *     grows its own scratch when told through its mailbox, and the control
 *     plane publishes only after every worker has acknowledged; or the
 *     control plane grows a prototype scratch (never used for scanning),
 *     hs_clone_scratch()es it once per worker and publishes each clone
 *     together with the database (one pointer to {db, scratch[]}). A grown
 *     scratch still fits every database it was grown for before, so
 *     workers may keep scanning the old database with it until they
 *     reach their next quiescent state;
 *  3. the control plane publishes the pointer, waits for a grace period,
 *     and only then calls mr_topicdb_free() on the old database.
 *
 * Error rule: constructors return NULL and set errno; the others return 0
 * or -errno (the predicates return 1 or 0).
 */
#ifndef MRELAY_TOPICS_H
#define MRELAY_TOPICS_H

#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>

#define MR_TOPIC_MAX	255	/* bytes in a subject or a pattern */

struct mr_topicdb;

/* What a database holds and costs, for stats and the benchmark. */
struct mr_topicdb_info {
	uint32_t patterns;	/* distinct patterns (Hyperscan ids) */
	uint32_t ids;		/* subscription ids, after dedup */
	size_t hs_bytes;	/* hs_database_size() */
	size_t map_bytes;	/* hs id -> subscription ids maps */
};

/* 1 if s[0..len) is a valid subject (rules above), else 0. */
int mr_subject_valid(const char *s, size_t len);

/* 1 if p[0..len) is a valid pattern (rules above), else 0. */
int mr_pattern_valid(const char *p, size_t len);

/*
 * Token by token reference matcher on NUL-terminated strings, for tests
 * and `topic match` on the control plane (no database needed). Returns 1
 * if the pattern matches the subject, 0 if not, -EINVAL if either is
 * invalid.
 */
int mr_topic_match_ref(const char *pattern, const char *subject);

/*
 * Translates a valid pattern into the anchored regular expression the
 * database compiles: literal bytes as themselves if alphanumeric, else as
 * \xHH; "*" as [^.]+ ; ">" as .+ . Writes a NUL-terminated string into
 * out, which must hold 5 * len + 4 bytes (the worst case, checked up
 * front). Returns the length, -EINVAL (invalid pattern) or -ENOSPC.
 */
int mr_topic_regex(const char *pattern, size_t len, char *out, size_t outlen);

/*
 * Builds one block-mode multi-pattern database from n NUL-terminated
 * patterns; ids[i] is the subscription id of patterns[i]. Identical
 * patterns share one Hyperscan id whose list holds their subscription ids
 * (sorted, each once). n == 0 gives a valid database that matches
 * nothing. Returns the database (owned by the caller, released with
 * mr_topicdb_free()) or NULL with errno EINVAL (invalid pattern: err says
 * which), ENOMEM, or EIO (Hyperscan refused to compile: err says why).
 * err (errlen bytes, may be NULL) is emptied first, filled on failure.
 */
struct mr_topicdb *mr_topicdb_build(const char *const *patterns,
				    const uint32_t *ids, uint32_t n,
				    char *err, size_t errlen);

/* Frees a database (NULL is fine). Only after the grace period. */
void mr_topicdb_free(struct mr_topicdb *db);

/* Fills *info. */
void mr_topicdb_info(const struct mr_topicdb *db, struct mr_topicdb_info *info);

/* Bytes the database holds: Hyperscan database + maps. */
size_t mr_topicdb_size(const struct mr_topicdb *db);

/*
 * Allocates (*scratch == NULL) or grows *scratch so it fits db, keeping it
 * fit for the databases it was grown for before. *scratch may be replaced
 * (see the SCRATCH RULE above). For the empty database nothing is needed
 * and *scratch is left as it is. Returns 0, -ENOMEM or -EINVAL.
 */
int mr_topicdb_scratch_grow(const struct mr_topicdb *db,
			    hs_scratch_t **scratch);

/*
 * Matches one subject (len bytes, no NUL needed). Writes up to max
 * subscription ids into out_ids, in no particular order: every id of
 * every matching pattern, so an id listed under two matching patterns
 * appears twice (mr_topic_ids_unique() removes such repeats, e.g. when
 * ids are device ids). *n is set to the total number of ids the subject
 * matched, which may exceed max. Returns 0 if all of them were written,
 * -ENOSPC if only the first max were (*n - max were cut), -EINVAL if the
 * subject is invalid (*n = 0), -EIO if Hyperscan failed (e.g. a scratch
 * not grown for db). scratch belongs to the calling thread.
 */
int mr_topicdb_match(const struct mr_topicdb *db, hs_scratch_t *scratch,
		     const char *subject, size_t len, uint32_t *out_ids,
		     uint32_t max, uint32_t *n);

/* Sorts ids[0..n) and removes repeats; returns the new count. */
uint32_t mr_topic_ids_unique(uint32_t *ids, uint32_t n);

#endif /* MRELAY_TOPICS_H */
