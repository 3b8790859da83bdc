/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Control API handlers. Every change follows one path:
 *
 *   check the whole batch against the tables (nothing changes on error)
 *   -> write it to the state database in one transaction and commit
 *   -> apply it to the tables (new objects published under RCU)
 *   -> mr_tables_sync(): every worker has passed a quiescent state
 *   -> answer 0.
 *
 * So an acknowledged change is durable and seen by every worker.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_log.h>

#include "daemon.h"
#include "topics.h"

extern int mr_cp_logtype;
#define CP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, mr_cp_logtype, "mrelayd: " fmt "\n", \
		##__VA_ARGS__)

/* Number of records of size rec in a body of len bytes, or -EINVAL. */
static int
batch(uint32_t len, size_t rec, uint32_t *n)
{
	if (len == 0 || len % rec != 0)
		return -EINVAL;
	*n = len / rec;
	return 0;
}

static int
str_ok(const char *s, size_t max)
{
	return memchr(s, '\0', max) != NULL;
}

static int
zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

/* Commit, or roll back what a failed put left. */
static int
finish(struct mrelayd *d, int ret)
{
	if (ret != 0) {
		mr_store_rollback(d->store);
		return ret;
	}
	ret = mr_store_commit(d->store);
	if (ret != 0)
		CP_LOG(ERR, "state database commit failed: %s",
		       strerror(-ret));
	return ret;
}

/* After the commit: a failure here means memory and disk disagree. */
static int
applied(struct mrelayd *d, int ret, const char *what)
{
	if (ret != 0)
		CP_LOG(CRIT, "%s: committed but not applied (%s); restart "
		       "mrelayd to reload the state", what, strerror(-ret));
	mr_tables_sync(d->tables);
	return ret;
}

/* ------------------------------------------------------------ endpoints */

static int
h_endpoint_set(void *arg, uint16_t type, const void *body, uint32_t len,
	       struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	struct mr_api_endpoint *e;
	uint32_t n, i, next;
	int ret;

	if ((ret = batch(len, sizeof(*e), &n)) != 0)
		return ret;
	e = mr_ctl_out_reserve(out, len);
	if (e == NULL)
		return -ENOMEM;
	memcpy(e, body, len);
	for (i = 0; i < n; i++)
		if (!str_ok(e[i].name, MR_NAME_MAX) || e[i].reserved != 0)
			return -EINVAL;
	ret = mr_tables_endpoint_check(d->tables, e, n);
	if (ret != 0)
		return ret;
	/* ids are assigned here so that the database stores the real ones */
	for (i = 0, next = 0; i < n; i++) {
		uint32_t j, id = mr_tables_endpoint_find(d->tables, e[i].name);

		for (j = 0; j < i && id == MR_NO_ENDPOINT; j++)
			if (strcmp(e[j].name, e[i].name) == 0)
				id = e[j].id;	/* named twice in one batch */
		if (id == MR_NO_ENDPOINT) {
			id = mr_tables_endpoint_alloc_id(d->tables, next);
			if (id == MR_NO_ENDPOINT)
				return -ENOSPC;
			next = id + 1;
		}
		e[i].id = id;
	}
	ret = mr_store_begin(d->store);
	for (i = 0; i < n && ret == 0; i++)
		ret = mr_store_endpoint_put(d->store, &e[i]);
	if ((ret = finish(d, ret)) != 0)
		return ret;
	for (i = 0; i < n && ret == 0; i++)
		ret = mr_tables_endpoint_set(d->tables, &e[i], &e[i].id);
	return applied(d, ret, "endpoint set");
}

static int
h_endpoint_del(void *arg, uint16_t type, const void *body, uint32_t len,
	       struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	const struct mr_api_endpoint *e = body;
	uint32_t n, i, id;
	int ret;

	if ((ret = batch(len, sizeof(*e), &n)) != 0)
		return ret;
	for (i = 0; i < n; i++) {
		if (!str_ok(e[i].name, MR_NAME_MAX))
			return -EINVAL;
		id = mr_tables_endpoint_find(d->tables, e[i].name);
		if (id == MR_NO_ENDPOINT)
			return -ENOENT;
	}
	ret = mr_store_begin(d->store);
	for (i = 0; i < n && ret == 0; i++)
		ret = mr_store_endpoint_del(d->store, e[i].name);
	if ((ret = finish(d, ret)) != 0)
		return ret;
	for (i = 0; i < n && ret == 0; i++)
		ret = mr_tables_endpoint_del(d->tables, e[i].name);
	return applied(d, ret, "endpoint del");
}

static int
h_endpoint_list(void *arg, uint16_t type, const void *body, uint32_t len,
		struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	struct mr_api_endpoint e;
	uint32_t i;
	int ret = 0;

	for (i = 0; i < d->tables->cfg.max_endpoints && ret == 0; i++) {
		const struct mr_endpoint *ep = d->tables->eps[i];

		if (ep == NULL)
			continue;
		memset(&e, 0, sizeof(e));
		memcpy(e.name, ep->name, MR_NAME_MAX);
		e.ip_version = ep->ip_version;
		e.has_mac = ep->has_mac;
		e.udp_port = ep->udp_port;
		e.vlan = ep->vlan;
		e.port_id = ep->port_id;
		memcpy(e.addr, ep->addr, 16);
		memcpy(e.mac, ep->mac.addr_bytes, 6);
		e.id = ep->id;
		ret = mr_ctl_out_append(out, &e, sizeof(e));
	}
	return ret;
}

/* -------------------------------------------------------------- devices */

static int
h_device_set(void *arg, uint16_t type, const void *body, uint32_t len,
	     struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	const struct mr_api_device *v = body;
	int del = type == MR_API_DEVICE_DEL;
	uint32_t n, i;
	int ret;

	if ((ret = batch(len, sizeof(*v), &n)) != 0)
		return ret;
	for (i = 0; i < n; i++)
		if (v[i].reserved != 0 ||
		    (!del && !str_ok(v[i].endpoint, MR_NAME_MAX)))
			return -EINVAL;
	ret = mr_tables_device_check(d->tables, v, n, del);
	if (ret != 0)
		return ret;
	ret = mr_store_begin(d->store);
	for (i = 0; i < n && ret == 0; i++)
		ret = del ? mr_store_device_del(d->store, v[i].user,
						v[i].device) :
			mr_store_device_put(d->store, &v[i]);
	if ((ret = finish(d, ret)) != 0)
		return ret;
	for (i = 0; i < n && ret == 0; i++)
		ret = del ? mr_tables_device_del(d->tables, v[i].user,
						 v[i].device) :
			mr_tables_device_set(d->tables, v[i].user, v[i].device,
				mr_tables_endpoint_find(d->tables,
							v[i].endpoint));
	return applied(d, ret, del ? "device del" : "device set");
}

static int
h_user_show(void *arg, uint16_t type, const void *body, uint32_t len,
	    struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	const struct mr_devset *ds;
	const struct mr_endpoint *ep;
	struct mr_api_device v;
	uint64_t user;
	uint32_t i;
	int32_t u;
	int ret = 0;

	if (len != sizeof(user))
		return -EINVAL;
	memcpy(&user, body, sizeof(user));
	u = mr_tables_user(d->tables, user);
	if (u < 0)
		return -ENOENT;
	ds = d->tables->devs[u];
	for (i = 0; ds != NULL && i < ds->n && ret == 0; i++) {
		memset(&v, 0, sizeof(v));
		v.user = user;
		v.device = ds->d[i].device;
		ep = d->tables->eps[ds->d[i].ep];
		if (ep != NULL)
			memcpy(v.endpoint, ep->name, MR_NAME_MAX);
		ret = mr_ctl_out_append(out, &v, sizeof(v));
	}
	return ret;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Users with id > after (ascending), all their devices; O(users) a page. */
static int
h_device_list(void *arg, uint16_t type, const void *body, uint32_t len,
	      struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	struct mr_api_list_query q;
	const void *key;
	void *data;
	uint64_t *ids;
	uint32_t it = 0, n = 0, i, cap;
	int32_t pos;
	int ret = 0;

	if (len != sizeof(q))
		return -EINVAL;
	memcpy(&q, body, sizeof(q));
	cap = RTE_MAX(rte_hash_count(d->tables->users), 1);
	ids = malloc(cap * sizeof(*ids));
	if (ids == NULL)
		return -ENOMEM;
	while (n < cap && (pos = rte_hash_iterate(d->tables->users, &key,
						  &data, &it)) >= 0) {
		uint64_t id = *(const uint64_t *)key;

		if (d->tables->devs[pos] != NULL && (q.after == 0 || id > q.after))
			ids[n++] = id;
	}
	qsort(ids, n, sizeof(*ids), u64_cmp);
	if (q.limit == 0 || q.limit > 4096)
		q.limit = 4096;		/* x 16 devices x 48 B < MR_API_MAX_BODY */
	for (i = 0; i < n && i < q.limit && ret == 0; i++)
		ret = h_user_show(arg, type, &ids[i], sizeof(ids[i]), out);
	free(ids);
	return ret;
}

/* --------------------------------------------------------------- groups */

static int
h_group_set(void *arg, uint16_t type, const void *body, uint32_t len,
	    struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	const struct mr_api_group *g = body;
	int del = type == MR_API_GROUP_DEL;
	uint32_t n, i;
	int ret;

	if ((ret = batch(len, sizeof(*g), &n)) != 0)
		return ret;
	for (i = 0; i < n; i++)
		if (!zero(g[i].reserved, sizeof(g[i].reserved)) ||
		    g[i].reserved2 != 0)
			return -EINVAL;
	ret = mr_tables_group_check(d->tables, g, n, del);
	if (ret != 0)
		return ret;
	ret = mr_store_begin(d->store);
	for (i = 0; i < n && ret == 0; i++)
		ret = del ? mr_store_group_del(d->store, g[i].id) :
			mr_store_group_put(d->store, &g[i]);
	if ((ret = finish(d, ret)) != 0)
		return ret;
	for (i = 0; i < n && ret == 0; i++)
		ret = del ? mr_tables_group_del(d->tables, g[i].id) :
			mr_tables_group_set(d->tables, &g[i]);
	return applied(d, ret, del ? "group del" : "group set");
}

/* A group as the API shows it: max_members 0 means the default, as set. */
static void
group_info(const struct mrelayd *d, const struct mr_group *g,
	   struct mr_api_group *o)
{
	memset(o, 0, sizeof(*o));
	o->id = g->id;
	o->policy = g->policy;
	o->max_members = g->max_default ? 0 : g->max_members;
	o->nmembers = g->n;
	o->next_seq = mr_seq_group_next(d, g->id);
}

static int
h_group_show(void *arg, uint16_t type, const void *body, uint32_t len,
	     struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	struct mr_api_group_query q;
	struct mr_api_group gi;
	struct mr_api_member *m;
	const struct mr_group *g;
	uint32_t i, n, room;

	if (len != sizeof(q))
		return -EINVAL;
	memcpy(&q, body, sizeof(q));
	g = mr_tables_group(d->tables, q.id);
	if (g == NULL)
		return -ENOENT;
	group_info(d, g, &gi);
	if (mr_ctl_out_append(out, &gi, sizeof(gi)) != 0)
		return -ENOMEM;
	room = (MR_API_MAX_BODY - sizeof(gi)) / sizeof(*m);
	if (q.limit == 0 || q.limit > room)
		q.limit = room;
	n = q.offset < g->n ? RTE_MIN(g->n - q.offset, q.limit) : 0;
	m = mr_ctl_out_reserve(out, (size_t)n * sizeof(*m));
	if (n != 0 && m == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint32_t w = g->m[q.offset + i];

		memset(&m[i], 0, sizeof(m[i]));
		m[i].group = g->id;
		m[i].user = d->tables->user_ids[MR_MEMBER_USER(w)];
		m[i].role = MR_MEMBER_ROLE(w);
	}
	return 0;
}

/* Groups with id > after, ascending, at most limit. O(groups) a page. */
static int
h_group_list(void *arg, uint16_t type, const void *body, uint32_t len,
	     struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	struct mr_api_list_query q;
	struct mr_api_group gi;
	const void *key;
	void *data;
	uint64_t *ids;
	uint32_t it = 0, n = 0, i, cap;
	int ret = 0;

	if (len != sizeof(q))
		return -EINVAL;
	memcpy(&q, body, sizeof(q));
	if (q.reserved != 0)
		return -EINVAL;
	cap = RTE_MAX(d->tables->ngroups, 1u);
	ids = malloc(cap * sizeof(*ids));
	if (ids == NULL)
		return -ENOMEM;
	while (n < cap && rte_hash_iterate(d->tables->groups, &key, &data,
					   &it) >= 0) {
		uint64_t id = *(const uint64_t *)key;

		if (q.after == 0 ? 1 : id > q.after)
			ids[n++] = id;
	}
	qsort(ids, n, sizeof(*ids), u64_cmp);
	if (q.limit == 0 || q.limit > MR_API_MAX_BODY / sizeof(gi))
		q.limit = MR_API_MAX_BODY / sizeof(gi);
	for (i = 0; i < n && i < q.limit && ret == 0; i++) {
		group_info(d, mr_tables_group(d->tables, ids[i]), &gi);
		ret = mr_ctl_out_append(out, &gi, sizeof(gi));
	}
	free(ids);
	return ret;
}

/* -------------------------------------------------------------- members */

static int
member_idx_cmp(const void *a, const void *b, void *arg)
{
	const struct mr_api_member *m = arg;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;

	if (m[i].group != m[j].group)
		return m[i].group < m[j].group ? -1 : 1;
	if (m[i].user != m[j].user)
		return m[i].user < m[j].user ? -1 : 1;
	return i < j ? -1 : i > j;
}

/*
 * Records of a batch apply in their order, so when a batch names the same
 * (group, user) twice the last one wins: keep only it. m is rewritten in
 * (group, user) order; returns the new count, or -ENOMEM.
 */
static int64_t
members_last_wins(struct mr_api_member *m, uint32_t n)
{
	struct mr_api_member *tmp;
	uint32_t *idx, i, k = 0;

	idx = malloc((size_t)n * sizeof(*idx));
	tmp = malloc((size_t)n * sizeof(*tmp));
	if (idx == NULL || tmp == NULL) {
		free(idx);
		free(tmp);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), member_idx_cmp, m);
	for (i = 0; i < n; i++)
		if (i + 1 == n || m[idx[i]].group != m[idx[i + 1]].group ||
		    m[idx[i]].user != m[idx[i + 1]].user)
			tmp[k++] = m[idx[i]];
	memcpy(m, tmp, (size_t)k * sizeof(*m));
	free(idx);
	free(tmp);
	return k;
}

static int
h_member_set(void *arg, uint16_t type, const void *body, uint32_t len,
	     struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	struct mr_api_member *m;
	int del = type == MR_API_MEMBER_DEL;
	uint32_t n, i;
	int ret;

	if ((ret = batch(len, sizeof(*m), &n)) != 0)
		return ret;
	m = malloc(len);	/* check() sorts the batch */
	if (m == NULL)
		return -ENOMEM;
	memcpy(m, body, len);
	for (i = 0; i < n; i++)
		if (!zero(m[i].reserved, sizeof(m[i].reserved)))
			ret = -EINVAL;
	if (ret == 0) {
		int64_t k = members_last_wins(m, n);

		if (k < 0)
			ret = k;
		else
			n = k;
	}
	if (ret == 0)
		ret = mr_tables_member_check(d->tables, m, n, del);
	if (ret == 0) {
		ret = mr_store_begin(d->store);
		for (i = 0; i < n && ret == 0; i++)
			ret = del ? mr_store_member_del(d->store, m[i].group,
							m[i].user) :
				mr_store_member_put(d->store, &m[i]);
		ret = finish(d, ret);
		if (ret == 0)
			ret = applied(d, mr_tables_member_apply(d->tables, m,
								n, del),
				      del ? "member del" : "member set");
	}
	free(m);
	return ret;
}

/* -------------------------------------------------------- subscriptions */

static int
sub_valid(const struct mr_api_sub *s)
{
	size_t n = strnlen(s->pattern, MR_PATTERN_MAX);

	return n > 0 && n < MR_PATTERN_MAX && s->reserved == 0 &&
		zero(s->pattern + n, MR_PATTERN_MAX - n) &&
		mr_pattern_valid(s->pattern, n);	/* docs/protocol.md, 8 */
}

static int
sub_ptr_cmp(const void *a, const void *b)
{
	return memcmp(*(const struct mr_api_sub *const *)a,
		      *(const struct mr_api_sub *const *)b,
		      sizeof(struct mr_api_sub));
}

/*
 * Subscriptions the batch adds: new ones, each counted once however often
 * the batch names it. Returns the count or -errno.
 */
static int64_t
subs_new(const struct mrelayd *d, const struct mr_api_sub *s, uint32_t n)
{
	const struct mr_api_sub **p = malloc(n * sizeof(*p));
	uint32_t i;
	int64_t added = 0;

	if (p == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		p[i] = &s[i];
	qsort(p, n, sizeof(*p), sub_ptr_cmp);
	for (i = 0; i < n; i++)
		if ((i == 0 || sub_ptr_cmp(&p[i - 1], &p[i]) != 0) &&
		    rte_hash_lookup(d->subs, p[i]) < 0)
			added++;
	free(p);
	return added;
}

static int
h_sub(void *arg, uint16_t type, const void *body, uint32_t len,
      struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	const struct mr_api_sub *s = body;
	int del = type == MR_API_SUB_DEL;
	int64_t added = 0;
	uint32_t n, i;
	int ret;

	if ((ret = batch(len, sizeof(*s), &n)) != 0)
		return ret;
	for (i = 0; i < n; i++) {
		if (!sub_valid(&s[i]))
			return -EINVAL;
		/* adding what exists is a no-op, so an import can be re-run */
		if (del && rte_hash_lookup(d->subs, &s[i]) < 0)
			return -ENOENT;
	}
	if (!del) {
		added = subs_new(d, s, n);
		if (added < 0)
			return added;
	}
	if (!del && rte_hash_count(d->subs) + added >
	    d->cfg.limits.max_subscriptions)
		return -ENOSPC;
	ret = mr_store_begin(d->store);
	for (i = 0; i < n && ret == 0; i++)
		ret = del ? mr_store_sub_del(d->store, &s[i]) :
			mr_store_sub_add(d->store, &s[i]);
	if ((ret = finish(d, ret)) != 0)
		return ret;
	for (i = 0; i < n; i++) {
		ret = del ? rte_hash_del_key(d->subs, &s[i]) :
			rte_hash_add_key(d->subs, &s[i]);	/* add: idempotent */
		if (ret < 0)
			return applied(d, ret, "subscription");
	}
	return 0;
}

/* Subscriptions have no order: 'after' is an offset into the iteration. */
static int
h_sub_list(void *arg, uint16_t type, const void *body, uint32_t len,
	   struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	struct mr_api_list_query q;
	const void *key;
	void *data;
	uint32_t it = 0;
	uint64_t i = 0, n = 0;
	int ret = 0;

	if (len != sizeof(q))
		return -EINVAL;
	memcpy(&q, body, sizeof(q));
	if (q.limit == 0 || q.limit > MR_API_MAX_BODY / sizeof(struct mr_api_sub))
		q.limit = MR_API_MAX_BODY / sizeof(struct mr_api_sub);
	while (ret == 0 && n < q.limit &&
	       rte_hash_iterate(d->subs, &key, &data, &it) >= 0) {
		if (i++ < q.after)
			continue;
		ret = mr_ctl_out_append(out, key, sizeof(struct mr_api_sub));
		n++;
	}
	return ret;
}

/* ---------------------------------------------------------------- stats */

static int
stat_add(struct mr_ctl_out *out, const char *name, uint64_t v)
{
	struct mr_api_stat s;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", name);
	s.value = v;
	return mr_ctl_out_append(out, &s, sizeof(s));
}

static int
stat_cb(void *arg, const char *name, uint64_t v)
{
	return stat_add(arg, name, v);
}

static int
h_stats(void *arg, uint16_t type, const void *body, uint32_t len,
	struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	const struct mr_tables *t = d->tables;
	char name[64];
	unsigned int i;
	int ret = 0;

	ret |= stat_add(out, "workers", d->nb_workers);
	ret |= mr_stats_foreach(d, -1, stat_cb, out);
	for (i = 0; i < d->nb_workers; i++) {
		const struct mr_wstats *st = &d->workers[i]->st;

		snprintf(name, sizeof(name), "worker%u.rx.pkts", i);
		ret |= stat_add(out, name, st->rx_pkts);
		snprintf(name, sizeof(name), "worker%u.tx.pkts", i);
		ret |= stat_add(out, name, st->tx_pkts);
		snprintf(name, sizeof(name), "worker%u.loops", i);
		ret |= stat_add(out, name, st->loops);
		snprintf(name, sizeof(name), "worker%u.mbufs.free", i);
		ret |= stat_add(out, name,
				rte_mempool_avail_count(d->workers[i]->pool));
		snprintf(name, sizeof(name), "worker%u.hdr_mbufs.free", i);
		ret |= stat_add(out, name,
				rte_mempool_avail_count(d->workers[i]->hdr_pool));
	}
	for (i = 0; i < d->nb_ports; i++) {
		struct rte_eth_stats es;

		if (rte_eth_stats_get(d->port_ids[i], &es) != 0)
			continue;
		snprintf(name, sizeof(name), "port%u.hw.rx.pkts", i);
		ret |= stat_add(out, name, es.ipackets);
		snprintf(name, sizeof(name), "port%u.hw.tx.pkts", i);
		ret |= stat_add(out, name, es.opackets);
		snprintf(name, sizeof(name), "port%u.hw.rx.missed", i);
		ret |= stat_add(out, name, es.imissed);
		snprintf(name, sizeof(name), "port%u.hw.rx.nombuf", i);
		ret |= stat_add(out, name, es.rx_nombuf);
		snprintf(name, sizeof(name), "port%u.hw.tx.errors", i);
		ret |= stat_add(out, name, es.oerrors);
	}
	ret |= stat_add(out, "tables.endpoints", t->nendpoints);
	ret |= stat_add(out, "tables.users", rte_hash_count(t->users));
	ret |= stat_add(out, "tables.devices", t->ndevices);
	ret |= stat_add(out, "tables.groups", t->ngroups);
	ret |= stat_add(out, "tables.memberships", t->nmemberships);
	ret |= stat_add(out, "tables.subscriptions", rte_hash_count(d->subs));
	ret |= stat_add(out, "tables.bytes", mr_tables_bytes(t));
	ret |= stat_add(out, "tables.pinned_garbage", mr_tables_pending(t));
	ret |= stat_add(out, "ctl.requests", d->ctl_requests);
	ret |= stat_add(out, "ctl.errors", d->ctl_errors);
	return ret ? -EMSGSIZE : 0;
}

static int
h_export(void *arg, uint16_t type, const void *body, uint32_t len,
	 struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	struct mr_api_list_query q;
	struct mr_api_export *hdr;
	size_t room = 1u << 20, used = 0;
	uint64_t next = 0;
	char *text;
	int done = 0, ret;

	if (len != sizeof(q))
		return -EINVAL;
	memcpy(&q, body, sizeof(q));
	hdr = mr_ctl_out_reserve(out, sizeof(*hdr) + room);
	if (hdr == NULL)
		return -ENOMEM;
	text = (char *)(hdr + 1);
	ret = mr_store_export(d->store, q.after, text, room, &used, &next,
			      &done);
	if (ret != 0)
		return ret;
	hdr->next_cursor = next;
	hdr->done = done;
	hdr->text_len = used;
	out->len -= room - used;	/* give back what the page did not use */
	return 0;
}

/* ------------------------------------------------------------- restore */

struct restore {
	struct mrelayd *d;
	struct mr_api_member *m;
	uint32_t n, cap;
};

static int
r_flush(struct restore *r)
{
	int ret = 0;

	if (r->n != 0)
		ret = mr_tables_member_apply(r->d->tables, r->m, r->n, 0);
	r->n = 0;
	return ret;
}

static int
r_endpoint(void *arg, const struct mr_api_endpoint *e)
{
	struct restore *r = arg;

	return mr_tables_endpoint_set(r->d->tables, e, NULL);
}

static int
r_device(void *arg, const struct mr_api_device *v)
{
	struct restore *r = arg;
	uint32_t ep = mr_tables_endpoint_find(r->d->tables, v->endpoint);

	if (ep == MR_NO_ENDPOINT)
		return -ENOENT;
	return mr_tables_device_set(r->d->tables, v->user, v->device, ep);
}

static int
r_group(void *arg, const struct mr_api_group *g)
{
	struct restore *r = arg;

	return mr_tables_group_set(r->d->tables, g);
}

/* Members arrive ordered by (group, user): apply a group at a time. */
static int
r_member(void *arg, const struct mr_api_member *m)
{
	struct restore *r = arg;
	int ret;

	if (r->n != 0 && (r->m[0].group != m->group || r->n == r->cap)) {
		ret = r_flush(r);
		if (ret != 0)
			return ret;
	}
	r->m[r->n++] = *m;
	return 0;
}

static int
r_seq(void *arg, uint32_t kind, uint64_t a, uint64_t b, uint64_t hwm)
{
	struct restore *r = arg;

	return mr_seq_note(r->d, kind, a, b, hwm);
}

static int
r_sub(void *arg, const struct mr_api_sub *s)
{
	struct restore *r = arg;
	int ret = rte_hash_add_key(r->d->subs, s);

	return ret < 0 ? ret : 0;
}

static int
subs_create(struct mrelayd *d)
{
	struct rte_hash_parameters p = {
		.name = "mr_subs",
		.entries = RTE_MAX(d->cfg.limits.max_subscriptions, 16u),
		.key_len = sizeof(struct mr_api_sub),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	d->subs = rte_hash_create(&p);
	return d->subs == NULL ? -ENOMEM : 0;
}

int
mr_restore(struct mrelayd *d, char *err, size_t errlen)
{
	struct mr_store_visitor v = {
		.endpoint = r_endpoint,
		.device = r_device,
		.group = r_group,
		.member = r_member,
		.sub = r_sub,
		.seq = r_seq,
	};
	struct restore r = {.d = d, .cap = 65536};
	int ret;

	if (subs_create(d) != 0) {
		snprintf(err, errlen, "subscription table: out of memory");
		return -ENOMEM;
	}
	r.m = malloc(r.cap * sizeof(*r.m));
	if (r.m == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = mr_store_load(d->store, &v, &r);
	if (ret == 0)
		ret = r_flush(&r);
	free(r.m);
	mr_tables_sync(d->tables);
	if (ret != 0)
		snprintf(err, errlen, "%s (state larger than the configured "
			 "limits, or inconsistent)", strerror(-ret));
	return ret;
}

static mr_ctl_handler handlers[MR_API_TYPE_MAX] = {
	[MR_API_ENDPOINT_SET] = h_endpoint_set,
	[MR_API_ENDPOINT_DEL] = h_endpoint_del,
	[MR_API_ENDPOINT_LIST] = h_endpoint_list,
	[MR_API_DEVICE_SET] = h_device_set,
	[MR_API_DEVICE_DEL] = h_device_set,
	[MR_API_USER_SHOW] = h_user_show,
	[MR_API_DEVICE_LIST] = h_device_list,
	[MR_API_GROUP_SET] = h_group_set,
	[MR_API_GROUP_DEL] = h_group_set,
	[MR_API_GROUP_SHOW] = h_group_show,
	[MR_API_GROUP_LIST] = h_group_list,
	[MR_API_MEMBER_SET] = h_member_set,
	[MR_API_MEMBER_DEL] = h_member_set,
	[MR_API_SUB_ADD] = h_sub,
	[MR_API_SUB_DEL] = h_sub,
	[MR_API_SUB_LIST] = h_sub_list,
	[MR_API_STATS] = h_stats,
	[MR_API_EXPORT] = h_export,
};

/* Count every request and every refusal, then run its handler. */
static int
dispatch(void *arg, uint16_t type, const void *body, uint32_t len,
	 struct mr_ctl_out *out)
{
	struct mrelayd *d = arg;
	int ret;

	d->tables->refused = NULL;
	ret = handlers[type](arg, type, body, len, out);
	d->ctl_requests++;
	if (ret != 0)
		d->ctl_errors++;
	if (ret == -ENOSPC && d->tables->refused != NULL)
		CP_LOG(NOTICE, "request type %u refused: %s reached", type,
		       d->tables->refused);
	return ret;
}

void
mr_handlers_register(struct mrelayd *d)
{
	unsigned int t;

	for (t = 0; t < MR_API_TYPE_MAX; t++)
		if (handlers[t] != NULL)
			mr_ctl_set_handler(d->ctl, t, dispatch, d);
}
