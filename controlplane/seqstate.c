/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Sequence numbers across restarts. Workers count in memory; the state
 * database keeps, per conversation, the last number given (kind 1: group a;
 * kind 2: users a < b), written when mrelayd stops cleanly, plus three marks
 * of kind 0:
 *
 *   (0, 0, 0) epoch: the number of the last run that started
 *   (0, 0, 1) the epoch of the last run that stopped cleanly
 *   (0, 0, 2) floor: the number every new conversation starts above
 *
 * After a clean stop, every conversation goes on from its last number. After
 * a crash the numbers the crashed run gave are unknown, so the new run raises
 * the floor to epoch << 40 and starts every conversation above it: numbers
 * stay strictly increasing (a run gives fewer than 2^40 per conversation),
 * and the gap tells clients that the relay restarted uncleanly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_log.h>

#include "daemon.h"

extern int mr_cp_logtype;
#define CP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, mr_cp_logtype, "mrelayd: " fmt "\n", \
		##__VA_ARGS__)

#define SEQ_META	0
#define SEQ_GROUP	1
#define SEQ_PAIR	2
#define EPOCH_SHIFT	40

int
mr_seq_note(struct mrelayd *d, uint32_t kind, uint64_t a, uint64_t b,
	    uint64_t hwm)
{
	struct mr_seqrec *r;

	if (kind == SEQ_META) {
		if (a == 0 && b < 3)
			d->seq_meta[b] = hwm;
		return 0;
	}
	if (d->nseqs == d->seqs_cap) {
		uint32_t cap = d->seqs_cap ? d->seqs_cap * 2 : 1024;

		r = realloc(d->seqs, cap * sizeof(*r));
		if (r == NULL)
			return -ENOMEM;
		d->seqs = r;
		d->seqs_cap = cap;
	}
	d->seqs[d->nseqs++] = (struct mr_seqrec){kind, a, b, hwm};
	return 0;
}

int
mr_seq_start(struct mrelayd *d, char *err, size_t errlen)
{
	uint64_t epoch = d->seq_meta[0], clean = d->seq_meta[1];
	uint64_t floor = d->seq_meta[2];
	int ret;

	if (epoch != 0 && clean != epoch) {
		floor = RTE_MAX(floor, (epoch + 1) << EPOCH_SHIFT);
		CP_LOG(WARNING, "the last run (run %" PRIu64 ") did not stop "
		       "cleanly: new sequence numbers start above %" PRIu64,
		       epoch, floor);
	}
	d->epoch = epoch + 1;
	d->seq_floor = floor;
	ret = mr_store_begin(d->store);
	if (ret == 0)
		ret = mr_store_seq_put(d->store, SEQ_META, 0, 0, d->epoch);
	if (ret == 0)
		ret = mr_store_seq_put(d->store, SEQ_META, 0, 2, floor);
	if (ret == 0)
		ret = mr_store_commit(d->store);
	else
		mr_store_rollback(d->store);
	if (ret != 0)
		snprintf(err, errlen, "recording the run: %s", strerror(-ret));
	return ret;
}

/* Give each owner its conversations' last numbers (workers not running). */
int
mr_seq_seed(struct mrelayd *d)
{
	const struct mr_relay *r = d->relay;
	unsigned int i;
	struct mr_worker *w;
	uint64_t key[2];
	int32_t pos;

	for (i = 0; i < d->nb_workers; i++)
		d->workers[i]->seq_base = d->seq_floor;
	for (i = 0; i < d->nseqs; i++) {
		const struct mr_seqrec *s = &d->seqs[i];
		uint64_t hwm = RTE_MAX(s->hwm, d->seq_floor);

		if (s->kind == SEQ_GROUP) {
			pos = rte_hash_lookup(d->tables->groups, &s->a);
			if (pos < 0)
				continue;	/* the group is gone */
			w = d->workers[mr_group_owner(r, s->a)];
			w->gseq[pos].id = s->a;
			w->gseq[pos].seq = hwm;
		} else if (s->kind == SEQ_PAIR) {
			w = d->workers[mr_pair_owner(r, s->a, s->b)];
			key[0] = s->a;
			key[1] = s->b;
			pos = rte_hash_add_key(w->convs, key);
			if (pos < 0)
				return pos;
			w->conv_seq[pos] = hwm;
		}
	}
	free(d->seqs);
	d->seqs = NULL;
	d->nseqs = d->seqs_cap = 0;
	return 0;
}

/* After the workers stopped: every conversation's last number, durably. */
int
mr_seq_save(struct mrelayd *d)
{
	const struct mr_tables *t = d->tables;
	uint32_t i, it, ng, n = 0;
	const void *key;
	void *data;
	int32_t pos;
	int ret;

	ret = mr_store_begin(d->store);
	for (i = 0; i < d->nb_workers && ret == 0; i++) {
		struct mr_worker *w = d->workers[i];

		ng = rte_hash_max_key_id(t->groups) + 1;
		for (pos = 0; (uint32_t)pos < ng && ret == 0; pos++) {
			if (w->gseq[pos].seq == 0)
				continue;	/* never used */
			ret = mr_store_seq_put(d->store, SEQ_GROUP,
					       w->gseq[pos].id, 0,
					       w->gseq[pos].seq);
			n++;
		}
		it = 0;
		while (ret == 0 &&
		       (pos = rte_hash_iterate(w->convs, &key, &data, &it)) >= 0) {
			const uint64_t *k = key;

			ret = mr_store_seq_put(d->store, SEQ_PAIR, k[0], k[1],
					       w->conv_seq[pos]);
			n++;
		}
	}
	if (ret == 0)
		ret = mr_store_seq_put(d->store, SEQ_META, 0, 1, d->epoch);
	if (ret == 0)
		ret = mr_store_commit(d->store);
	else
		mr_store_rollback(d->store);
	if (ret != 0)
		CP_LOG(ERR, "saving sequence numbers: %s; the next start "
		       "treats this stop as a crash", strerror(-ret));
	else
		CP_LOG(INFO, "saved the sequence numbers of %u conversations",
		       n);
	return ret;
}

/* The next number of a group conversation, for group show. */
uint64_t
mr_seq_group_next(const struct mrelayd *d, uint64_t id)
{
	int32_t pos = rte_hash_lookup(d->tables->groups, &id);
	const struct mr_worker *w;
	uint64_t seq;

	if (pos < 0 || d->relay == NULL)
		return 0;
	w = d->workers[mr_group_owner(d->relay, id)];
	seq = __atomic_load_n(&w->gseq[pos].seq, __ATOMIC_RELAXED);
	if (seq == 0 || __atomic_load_n(&w->gseq[pos].id, __ATOMIC_RELAXED) != id)
		seq = d->seq_floor;	/* not used yet in this run */
	return seq + 1;
}
