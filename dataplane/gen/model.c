/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * The workload model: a population (endpoints, users with their devices,
 * groups with their members) and a sequence of messages, both pure
 * functions of the options and the seed. Message i depends on (seed, i)
 * alone, so the verifier can recompute what any copy should be from the
 * index in its payload, a recording can be checked long after it was made,
 * and two runs with one seed send the same workload.
 *
 * Population:
 *  - group sizes are --members N, or drawn from Zipf(S) with
 *    --members-zipf MAX,S: size 2..MAX, P(size) ~ (size - 1)^-S;
 *  - members are drawn uniformly without repetition among the users (by
 *    default as many users as half the memberships, so a user is in two
 *    groups on average; at least as many as the largest group);
 *  - every user has --devices-per-user devices, each on an endpoint chosen
 *    by a hash of (seed, user, device).
 * Message i: direct with probability --direct-share (to a uniform other
 * user), else to a uniform group from a uniform member of it (members among
 * the first --senders users only, if given); a uniform device of the
 * sender; a payload length uniform in --payload MIN-MAX.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static inline uint64_t
mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* splitmix64: small, fast, and every stream is a function of its seed */
struct rng {
	uint64_t s;
};

static inline uint64_t
rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ull;
	return mix64(r->s);
}

/* Uniform in 0..n-1 (Lemire's multiply; the bias is below 2^-32 here). */
static inline uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

static inline double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1p-53;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Group sizes: fixed, or Zipf over 2..max by inverse CDF. */
static int
draw_sizes(struct gen_model *m, struct rng *r, uint32_t *size)
{
	const struct gen_opts *o = m->o;
	double *cdf;
	uint32_t g, k, n, lo, hi;
	double x;

	if (o->members != 0) {
		for (g = 0; g < m->ngroups; g++)
			size[g] = o->members;
		return 0;
	}
	n = o->zipf_max - 1;		/* ranks 1..n give sizes 2..max */
	cdf = malloc((size_t)n * sizeof(*cdf));
	if (cdf == NULL)
		return -ENOMEM;
	x = 0;
	for (k = 0; k < n; k++) {
		x += pow((double)(k + 1), -o->zipf_s);
		cdf[k] = x;
	}
	for (g = 0; g < m->ngroups; g++) {
		x = rng_unit(r) * cdf[n - 1];
		lo = 0;
		hi = n - 1;
		while (lo < hi) {
			k = lo + (hi - lo) / 2;
			if (cdf[k] < x)
				lo = k + 1;
			else
				hi = k;
		}
		size[g] = lo + 2;
	}
	free(cdf);
	return 0;
}

int
gen_model_init(struct gen_model *m, const struct gen_opts *o, char *err,
	       size_t errlen)
{
	struct rng r = {.s = mix64(o->seed ^ 0x706f70756c617465ull)};
	uint32_t *size = NULL, *stamp = NULL, g, j, t, n;
	uint64_t sum = 0, off;
	int ret = -ENOMEM;

	memset(m, 0, sizeof(*m));
	m->o = o;
	m->ngroups = o->groups;
	m->ndevs = o->devs;
	m->nendpoints = o->endpoints;
	m->msgid_base = o->has_msgid_base ? o->msgid_base :
		GEN_DEFAULT_MSGID_BASE;
	size = malloc(((size_t)m->ngroups + 1) * sizeof(*size));
	if (size == NULL || draw_sizes(m, &r, size) != 0)
		goto fail;
	for (g = 0; g < m->ngroups; g++) {
		sum += size[g];
		if (size[g] > m->max_group)
			m->max_group = size[g];
	}
	m->nusers = o->users;
	if (m->nusers == 0) {
		uint64_t u = (sum + 1) / 2;

		if (u < m->max_group)
			u = m->max_group;
		if (u < 2)
			u = 2;
		if (u > (1u << 30)) {
			snprintf(err, errlen, "%llu users: give --users",
				 (unsigned long long)u);
			ret = -ERANGE;
			goto fail;
		}
		m->nusers = (uint32_t)u;
	}
	if (m->max_group > m->nusers) {
		snprintf(err, errlen, "a group of %u members needs at least "
			 "as many users (--users %u)", m->max_group,
			 m->nusers);
		ret = -EINVAL;
		goto fail;
	}
	if (o->senders > m->nusers) {
		snprintf(err, errlen, "--senders %u: only %u users",
			 o->senders, m->nusers);
		ret = -EINVAL;
		goto fail;
	}
	m->nmemberships = sum;
	m->grp_off = malloc(((size_t)m->ngroups + 1) * sizeof(*m->grp_off));
	m->members = malloc((sum ? sum : 1) * sizeof(*m->members));
	stamp = calloc(m->nusers, sizeof(*stamp));
	if (m->grp_off == NULL || m->members == NULL || stamp == NULL)
		goto fail;

	/* Floyd's sampling: size[g] distinct users, stamp marks the taken */
	off = 0;
	for (g = 0; g < m->ngroups; g++) {
		uint32_t *mem = m->members + off;

		m->grp_off[g] = off;
		n = 0;
		for (j = m->nusers - size[g]; j < m->nusers; j++) {
			t = rng_below(&r, j + 1);
			if (stamp[t] == g + 1)
				t = j;
			stamp[t] = g + 1;
			mem[n++] = t;
		}
		qsort(mem, n, sizeof(*mem), cmp_u32);
		off += n;
	}
	m->grp_off[m->ngroups] = off;

	if (o->count != 0)
		m->count = o->count;
	else if (o->rate > 0 && o->duration > 0)
		m->count = (uint64_t)llround(o->rate * o->duration);
	else
		m->count = UINT64_MAX;
	free(size);
	free(stamp);
	return 0;
fail:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "population: out of memory");
	free(size);
	free(stamp);
	gen_model_fini(m);
	return ret;
}

void
gen_model_fini(struct gen_model *m)
{
	free(m->grp_off);
	free(m->members);
	m->grp_off = NULL;
	m->members = NULL;
}

/* Members of g with a user index below lim (a prefix: members ascend). */
static uint32_t
members_below(const struct gen_model *m, uint32_t g, uint32_t lim)
{
	const uint32_t *mem = m->members + m->grp_off[g];
	uint32_t lo = 0, hi = (uint32_t)(m->grp_off[g + 1] - m->grp_off[g]), k;

	while (lo < hi) {
		k = lo + (hi - lo) / 2;
		if (mem[k] < lim)
			lo = k + 1;
		else
			hi = k;
	}
	return lo;
}

void
gen_model_msg(const struct gen_model *m, uint64_t i, struct gen_msg *g)
{
	const struct gen_opts *o = m->o;
	struct rng r = {.s = mix64(o->seed ^ mix64(i ^ 0x6d65737361676573ull))};
	uint32_t nsend = o->senders ? o->senders : m->nusers;
	uint32_t tries, grp, n;
	bool direct;

	memset(g, 0, sizeof(*g));
	g->index = i;
	direct = m->ngroups == 0 || rng_unit(&r) < o->direct_share;
	for (tries = 0; !direct; tries++) {
		if (tries == 16) {
			/* no group has a member among the senders */
			direct = true;
			break;
		}
		grp = rng_below(&r, m->ngroups);
		n = members_below(m, grp, nsend);
		if (n == 0)
			continue;
		g->su = m->members[m->grp_off[grp] + rng_below(&r, n)];
		g->target = grp;
		g->nbits = (uint32_t)(m->grp_off[grp + 1] - m->grp_off[grp]) *
			m->ndevs;
		break;
	}
	if (direct) {
		g->direct = 1;
		g->su = rng_below(&r, nsend);
		g->target = rng_below(&r, m->nusers - 1);
		if (g->target >= g->su)
			g->target++;
		g->nbits = 2 * m->ndevs;
	}
	g->sd = rng_below(&r, m->ndevs);
	g->pay_len = o->pay_min + rng_below(&r, o->pay_max - o->pay_min + 1);
	g->nexp = g->nbits - 1;
}

uint32_t
gen_dev_ep(const struct gen_model *m, uint32_t u, uint32_t d)
{
	return (uint32_t)(mix64(m->o->seed ^ 0x243f6a8885a308d3ull ^
				((uint64_t)u << 8 | d)) % m->nendpoints);
}

void
gen_ep_ip(uint32_t ep, uint8_t ip[4])
{
	uint32_t n = ep + 1;

	ip[0] = 10;
	ip[1] = (n >> 16) & 0xff;
	ip[2] = (n >> 8) & 0xff;
	ip[3] = n & 0xff;
}

int64_t
gen_ip_ep(const struct gen_model *m, const uint8_t ip[4])
{
	uint32_t n = (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];

	if (ip[0] != 10 || n == 0 || n > m->nendpoints)
		return -1;
	return n - 1;
}

int64_t
gen_user_idx(const struct gen_model *m, uint64_t id)
{
	if (id < GEN_USER_BASE || id - GEN_USER_BASE >= m->nusers)
		return -1;
	return (int64_t)(id - GEN_USER_BASE);
}

int64_t
gen_group_idx(const struct gen_model *m, uint64_t id)
{
	if (id < GEN_GROUP_BASE || id - GEN_GROUP_BASE >= m->ngroups)
		return -1;
	return (int64_t)(id - GEN_GROUP_BASE);
}

int64_t
gen_member_pos(const struct gen_model *m, uint32_t g, uint32_t u)
{
	uint32_t k = members_below(m, g, u);

	if (m->grp_off[g] + k < m->grp_off[g + 1] &&
	    m->members[m->grp_off[g] + k] == u)
		return k;
	return -1;
}

int64_t
gen_rcpt_bit(const struct gen_model *m, const struct gen_msg *g, uint32_t u,
	     uint32_t d)
{
	int64_t pos;

	if (d >= m->ndevs || (u == g->su && d == g->sd))
		return -1;
	if (g->direct) {
		if (u == g->target)
			return d;
		return u == g->su ? (int64_t)m->ndevs + d : -1;
	}
	pos = gen_member_pos(m, g->target, u);
	return pos < 0 ? -1 : pos * m->ndevs + d;
}

uint64_t
gen_conv_pair(const struct gen_model *m, uint32_t a, uint32_t b)
{
	uint64_t lo = a < b ? a : b, hi = a < b ? b : a;

	return 1ull << 63 | (lo * m->nusers + hi);
}

uint64_t
gen_conv(const struct gen_model *m, const struct gen_msg *g)
{
	return g->direct ? gen_conv_pair(m, g->su, g->target) : g->target;
}

bool
gen_wants_receipt(const struct gen_model *m, uint64_t i, uint32_t bit)
{
	double p = m->o->receipt_share;

	if (p <= 0)
		return false;
	if (p >= 1)
		return true;
	return (double)(mix64(m->o->seed ^ mix64(i * 0x72656365ull + bit)) >>
			11) * 0x1p-53 < p;
}

/* ------------------------------------------------------------ payload */

/*
 * Payload of message i (little endian):
 *   0  u32 GEN_PAY_MAGIC
 *   4  u32 payload length
 *   8  u64 message index
 *  16  u64 send timestamp (TSC on a live run, nominal ns in a recording)
 *  24  pattern: xorshift64 words seeded by the index, to the end
 */
static inline uint64_t
pattern_seed(uint64_t i)
{
	return mix64(i ^ 0x7061747465726eull) | 1;
}

static inline uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void
gen_payload_fill(uint8_t *p, uint32_t len, uint64_t i, uint64_t ts)
{
	uint32_t magic = GEN_PAY_MAGIC, off;
	uint64_t s = pattern_seed(i), w;

	memcpy(p, &magic, 4);
	memcpy(p + 4, &len, 4);
	memcpy(p + 8, &i, 8);
	memcpy(p + 16, &ts, 8);
	for (off = GEN_PAY_HDR; off < len; off += 8) {
		w = xorshift(&s);
		memcpy(p + off, &w, len - off < 8 ? len - off : 8);
	}
}

int
gen_payload_check(const uint8_t *p, uint32_t len, uint64_t *i, uint64_t *ts)
{
	uint32_t magic, plen, off;
	uint64_t s, w;

	*i = UINT64_MAX;
	*ts = 0;
	if (len < GEN_PAY_HDR)
		return 1;
	memcpy(&magic, p, 4);
	if (magic != GEN_PAY_MAGIC)
		return 1;
	memcpy(i, p + 8, 8);
	memcpy(ts, p + 16, 8);
	memcpy(&plen, p + 4, 4);
	if (plen != len)
		return 1;
	s = pattern_seed(*i);
	for (off = GEN_PAY_HDR; off < len; off += 8) {
		w = xorshift(&s);
		if (memcmp(p + off, &w, len - off < 8 ? len - off : 8) != 0)
			return 1;
	}
	return 0;
}

uint64_t
gen_nominal_ns(const struct gen_model *m, uint64_t i)
{
	const uint64_t epoch = 1767225600ull * 1000000000ull;	/* 2026-01-01 */

	if (m->o->rate > 0)
		return epoch + (uint64_t)((long double)i * 1e9L / m->o->rate);
	return epoch + i * 1000;
}
