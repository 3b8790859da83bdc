/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * A small open-addressing hash table for the verifier. See gen.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "gen.h"

static inline uint64_t
kv_hash(uint64_t k1, uint64_t k2)
{
	uint64_t z = k1 ^ (k2 * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int
gen_kv_init(struct gen_kvtab *t, uint64_t cap,
	    bool (*keep)(const struct gen_kv *, void *), void *arg)
{
	uint64_t n = 64;

	while (n < cap)
		n <<= 1;
	t->t = calloc(n, sizeof(*t->t));
	if (t->t == NULL)
		return -ENOMEM;
	t->mask = n - 1;
	t->n = 0;
	t->keep = keep;
	t->arg = arg;
	return 0;
}

void
gen_kv_fini(struct gen_kvtab *t)
{
	free(t->t);
	t->t = NULL;
}

static struct gen_kv *
slot_of(struct gen_kv *tab, uint64_t mask, uint64_t k1, uint64_t k2)
{
	uint64_t i = kv_hash(k1, k2) & mask;

	while (tab[i].v != 0 && (tab[i].k1 != k1 || tab[i].k2 != k2))
		i = (i + 1) & mask;
	return &tab[i];
}

uint64_t *
gen_kv_find(struct gen_kvtab *t, uint64_t k1, uint64_t k2)
{
	struct gen_kv *e = slot_of(t->t, t->mask, k1, k2);

	return e->v != 0 ? &e->v : NULL;
}

/* Move the entries that pass the filter into a table of ncap cells. */
static int
rebuild(struct gen_kvtab *t, uint64_t ncap, bool filter)
{
	struct gen_kv *nt = calloc(ncap, sizeof(*nt)), *e;
	uint64_t i, n = 0;

	if (nt == NULL)
		return -ENOMEM;
	for (i = 0; i <= t->mask; i++) {
		if (t->t[i].v == 0 || (filter && !t->keep(&t->t[i], t->arg)))
			continue;
		e = slot_of(nt, ncap - 1, t->t[i].k1, t->t[i].k2);
		*e = t->t[i];
		n++;
	}
	free(t->t);
	t->t = nt;
	t->mask = ncap - 1;
	t->n = n;
	return 0;
}

uint64_t *
gen_kv_upsert(struct gen_kvtab *t, uint64_t k1, uint64_t k2)
{
	struct gen_kv *e = slot_of(t->t, t->mask, k1, k2);
	uint64_t cap = t->mask + 1;

	if (e->v != 0)
		return &e->v;
	/* at 70% load: drop what is no longer live, grow if still 35% full */
	if ((t->n + 1) * 10 > cap * 7) {
		if (t->keep != NULL && rebuild(t, cap, true) != 0)
			return NULL;
		if ((t->n + 1) * 20 > cap * 7 && rebuild(t, cap * 2, false) != 0)
			return NULL;
		e = slot_of(t->t, t->mask, k1, k2);
	}
	e->k1 = k1;
	e->k2 = k2;
	t->n++;
	return &e->v;
}
