/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Retransmit suppression: the messages a worker accepted recently, keyed by
 * (sender user, sender device, client message id, conversation), with the
 * sequence number and time they were given. A set-associative cache: each key
 * maps to one set of MR_DEDUP_WAYS entries; a new entry replaces the oldest
 * of its set. So the window is the last ~dedup_window messages of the
 * worker, a little less where sets fill unevenly; one lookup is one hash and
 * at most three cache lines. Written and read by the owning worker only.
 */
#ifndef MRELAY_DEDUP_H
#define MRELAY_DEDUP_H

#include <stdint.h>
#include <stdlib.h>

#include <rte_hash_crc.h>

#define MR_DEDUP_WAYS	4

struct mr_dedup_ent {
	uint64_t user;
	uint64_t msg_id;
	uint64_t dst_id;
	uint64_t seq;		/* 0: empty */
	uint64_t ts;
	uint32_t device;
	uint8_t dst_kind;
	uint8_t pad[3];
};

struct mr_dedup {
	struct mr_dedup_ent *ent;	/* nsets * MR_DEDUP_WAYS */
	uint32_t mask;			/* nsets - 1 */
};

/* Room for about entries messages (rounded up to a power of two). */
static inline int
mr_dedup_init(struct mr_dedup *d, uint32_t entries)
{
	uint32_t sets = rte_align32pow2(RTE_MAX(entries / MR_DEDUP_WAYS, 1u));

	d->ent = calloc((size_t)sets * MR_DEDUP_WAYS, sizeof(*d->ent));
	d->mask = sets - 1;
	return d->ent == NULL ? -ENOMEM : 0;
}

static inline void
mr_dedup_fini(struct mr_dedup *d)
{
	free(d->ent);
	d->ent = NULL;
}

static inline struct mr_dedup_ent *
mr_dedup_set(const struct mr_dedup *d, uint64_t user, uint32_t device,
	     uint64_t msg_id)
{
	uint32_t h = rte_hash_crc_8byte(msg_id,
			rte_hash_crc_8byte(user, rte_hash_crc_4byte(device, 0)));

	return &d->ent[(size_t)(h & d->mask) * MR_DEDUP_WAYS];
}

/*
 * Look the message up. Returns the entry of an earlier copy, or NULL after
 * claiming the oldest entry of the set in *slot for the caller to fill.
 */
static inline struct mr_dedup_ent *
mr_dedup_lookup(const struct mr_dedup *d, uint64_t user, uint32_t device,
		uint64_t msg_id, uint8_t dst_kind, uint64_t dst_id,
		struct mr_dedup_ent **slot)
{
	struct mr_dedup_ent *s = mr_dedup_set(d, user, device, msg_id);
	struct mr_dedup_ent *old = &s[0];
	unsigned int i;

	for (i = 0; i < MR_DEDUP_WAYS; i++) {
		if (s[i].seq != 0 && s[i].msg_id == msg_id &&
		    s[i].user == user && s[i].device == device &&
		    s[i].dst_id == dst_id && s[i].dst_kind == dst_kind)
			return &s[i];
		if (s[i].ts < old->ts)
			old = &s[i];
	}
	*slot = old;
	return NULL;
}

#endif /* MRELAY_DEDUP_H */
