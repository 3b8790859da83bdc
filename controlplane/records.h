/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * The JSON lines format of the control API records: what mrelayd's EXPORT
 * answers and what `mrelayctl import` reads. One object per line, with a
 * "kind" member; docs/control-api.md ("Import/export format") is the
 * reference. Also the validity rules of the records themselves, shared by
 * the parser, the encoder and the state store, so that every door into
 * mrelayd checks the same things.
 *
 * Plain C and jansson, no DPDK. Reentrant: no global state.
 */
#ifndef MRELAY_RECORDS_H
#define MRELAY_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"

enum mr_record_kind {
	MR_REC_ENDPOINT = 1,
	MR_REC_DEVICE,
	MR_REC_GROUP,
	MR_REC_MEMBER,
	MR_REC_SUB,
	MR_REC_KIND_MAX		/* first unknown kind */
};

/*
 * Longest line mr_record_to_json() writes, newline and NUL included: a sub
 * with a 255-byte pattern made only of '"' or '\\' (each escaped to 2 bytes)
 * stays under it. A buffer this large always fits one record.
 */
#define MR_RECORD_LINE_MAX	1024

struct mr_record {
	int kind;		/* enum mr_record_kind */
	union {
		struct mr_api_endpoint ep;
		struct mr_api_device dev;
		struct mr_api_group grp;
		struct mr_api_member mem;
		struct mr_api_sub sub;
	} u;
};

/* "endpoint", "device", ... or NULL for an unknown kind. */
const char *
mr_record_kind_name(int kind);

/*
 * 1 if name (at most size bytes, NUL-terminated within them) is a valid
 * endpoint name: 1..MR_NAME_MAX-1 characters of [A-Za-z0-9_.-]. Else 0.
 */
int
mr_name_valid(const char *name, size_t size);

/*
 * Check one binary record of the given kind against the rules of the API
 * (api.h and docs/control-api.md): names and patterns well formed, enums
 * and ranges in bounds, reserved fields zero, IPv4 addresses zero-padded,
 * a static MAC unicast and non-zero. Output-only fields (endpoint id,
 * group nmembers/next_seq) are not looked at.
 * Returns 0, or -EINVAL with a one-line reason in err (if err != NULL).
 */
int
mr_record_check(int kind, const void *rec, char *err, size_t errlen);

/*
 * Write rec (a struct mr_api_<kind>) as one JSON object followed by '\n',
 * then a NUL, into buf. Keys always come in the documented order and
 * numbers are plain decimal, so equal records give equal lines.
 * Returns the length written (newline included, NUL excluded), -EINVAL if
 * the record fails mr_record_check(), or -ENOSPC if room is too small
 * (MR_RECORD_LINE_MAX always suffices); buf is then an empty string.
 */
int
mr_record_to_json(int kind, const void *rec, char *buf, size_t room);

/*
 * Parse one line (NUL-terminated; a trailing "\n" or "\r\n" is allowed)
 * into *out, zeroing every field the line does not set. Strict: unknown or
 * missing fields, duplicate keys, wrong JSON types, negative or
 * out-of-range numbers, bad names, addresses and enum values are all
 * errors. Integers up to 2^64-1 are exact (jansson's own integers stop at
 * 2^63-1; see records.c).
 * Returns 0; -ENODATA for a blank line (only whitespace), which importers
 * skip; -EINVAL with a one-line reason in err for anything else wrong;
 * -ENOMEM.
 */
int
mr_record_parse(const char *line, struct mr_record *out, char *err,
		size_t errlen);

#endif /* MRELAY_RECORDS_H */
