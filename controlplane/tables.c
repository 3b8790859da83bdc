/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Routing tables, writer side. See tables.h for the publication rule.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "tables.h"

enum gtype { G_FREE, G_GROUP, G_USER_POS, G_GROUP_POS };

struct gitem {
	enum gtype type;
	union {
		void *ptr;
		int32_t pos;
	};
};

/* Things replaced since the last sync, freed after a grace period. */
struct mr_garbage {
	uint32_t n, cap;
	struct gitem it[];
};

static int
garbage_add(struct mr_tables *t, enum gtype type, void *ptr, int32_t pos)
{
	struct mr_garbage *g = t->garbage;
	uint32_t cap;

	if ((type == G_FREE || type == G_GROUP) && ptr == NULL)
		return 0;
	if (g == NULL || g->n == g->cap) {
		cap = g == NULL ? 1024 : g->cap * 2;
		g = realloc(g, sizeof(*g) + cap * sizeof(g->it[0]));
		if (g == NULL)
			return -ENOMEM;
		if (t->garbage == NULL)
			g->n = 0;
		g->cap = cap;
		t->garbage = g;
	}
	g->it[g->n].type = type;
	if (type == G_FREE || type == G_GROUP)
		g->it[g->n].ptr = ptr;
	else
		g->it[g->n].pos = pos;
	g->n++;
	return 0;
}

void
mr_tables_sync(struct mr_tables *t)
{
	struct mr_garbage *g = t->garbage;
	uint32_t i, keep = 0, pinned = 0;

	if (g == NULL || g->n == 0)
		return;
	rte_rcu_qsbr_synchronize(t->qs, RTE_QSBR_THRID_INVALID);
	/* groups still pinned by a fan-out stay, and so do freed user
	 * positions, which their member words may still name */
	for (i = 0; i < g->n; i++)
		if (g->it[i].type == G_GROUP &&
		    __atomic_load_n(&((struct mr_group *)g->it[i].ptr)->refcnt,
				    __ATOMIC_ACQUIRE) != 0)
			pinned++;
	for (i = 0; i < g->n; i++) {
		switch (g->it[i].type) {
		case G_FREE:
			free(g->it[i].ptr);
			break;
		case G_GROUP:
			if (((struct mr_group *)g->it[i].ptr)->refcnt != 0) {
				g->it[keep++] = g->it[i];
				break;
			}
			free(g->it[i].ptr);
			break;
		case G_USER_POS:
			if (pinned != 0) {
				g->it[keep++] = g->it[i];
				break;
			}
			rte_hash_free_key_with_position(t->users, g->it[i].pos);
			break;
		case G_GROUP_POS:
			rte_hash_free_key_with_position(t->groups, g->it[i].pos);
			break;
		}
	}
	g->n = keep;
}

/* Garbage left only because fan-outs still pin groups. */
uint32_t
mr_tables_pending(const struct mr_tables *t)
{
	return t->garbage == NULL ? 0 : t->garbage->n;
}

static struct rte_hash *
hash_create(const char *prefix, const char *what, uint32_t entries,
	    uint32_t key_len, int lf, int socket_id)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = name,
		.entries = RTE_MAX(entries, 16u),
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		.socket_id = socket_id,
		/* lock-free readers, one writer; EXT_TABLE so that an insert
		 * below capacity never fails on a full bucket */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE |
			(lf ? RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF : 0),
	};

	snprintf(name, sizeof(name), "%s_%s", prefix, what);
	return rte_hash_create(&p);
}

struct mr_tables *
mr_tables_create(const char *name, const struct mr_tables_cfg *cfg,
		 struct rte_rcu_qsbr *qs)
{
	struct mr_tables *t;
	uint32_t nu, ng;

	if (cfg->max_users == 0 || cfg->max_users > MR_MAX_USERS ||
	    cfg->max_groups == 0 || cfg->max_endpoints == 0 ||
	    cfg->max_devices_per_user == 0) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cfg = *cfg;
	t->qs = qs;
	t->users = hash_create(name, "users", cfg->max_users, 8, 1,
			       cfg->socket_id);
	t->groups = hash_create(name, "groups", cfg->max_groups, 8, 1,
				cfg->socket_id);
	t->ep_names = hash_create(name, "epn", cfg->max_endpoints,
				  MR_NAME_MAX, 0, cfg->socket_id);
	if (t->users == NULL || t->groups == NULL || t->ep_names == NULL)
		goto fail;
	/* positions run up to the max key id, a little above entries */
	nu = rte_hash_max_key_id(t->users) + 1;
	ng = rte_hash_max_key_id(t->groups) + 1;
	t->user_ids = calloc(nu, sizeof(*t->user_ids));
	t->devs = calloc(nu, sizeof(*t->devs));
	t->user_refs = calloc(nu, sizeof(*t->user_refs));
	t->grp = calloc(ng, sizeof(*t->grp));
	t->eps = calloc(cfg->max_endpoints, sizeof(*t->eps));
	if (t->user_ids == NULL || t->devs == NULL || t->user_refs == NULL ||
	    t->grp == NULL || t->eps == NULL)
		goto fail;
	return t;
fail:
	mr_tables_free(t);
	if (errno == 0)
		errno = ENOMEM;
	return NULL;
}

void
mr_tables_free(struct mr_tables *t)
{
	uint32_t i, nu, ng;

	if (t == NULL)
		return;
	nu = t->users ? rte_hash_max_key_id(t->users) + 1 : 0;
	ng = t->groups ? rte_hash_max_key_id(t->groups) + 1 : 0;
	for (i = 0; t->devs != NULL && i < nu; i++)
		free(t->devs[i]);
	for (i = 0; t->grp != NULL && i < ng; i++)
		free(t->grp[i]);
	for (i = 0; t->eps != NULL && i < t->cfg.max_endpoints; i++)
		free(t->eps[i]);
	if (t->garbage != NULL) {
		for (i = 0; i < t->garbage->n; i++)
			if (t->garbage->it[i].type == G_FREE ||
			    t->garbage->it[i].type == G_GROUP)
				free(t->garbage->it[i].ptr);
		free(t->garbage);
	}
	free(t->user_ids);
	free(t->devs);
	free(t->user_refs);
	free(t->grp);
	free(t->eps);
	rte_hash_free(t->users);
	rte_hash_free(t->groups);
	rte_hash_free(t->ep_names);
	free(t);
}

/*
 * Note why a check refused a change, for the log: which limit. The tables
 * are the control thread's alone, so a static string pointer is enough.
 */
static int
refuse(const struct mr_tables *t, int err, const char *why)
{
	((struct mr_tables *)(uintptr_t)t)->refused = why;
	return err;
}

/* ---------------------------------------------------------------- names */

static int
valid_name(const char *s)
{
	size_t i, n = strnlen(s, MR_NAME_MAX);

	if (n == 0 || n == MR_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

/* Names are hashed as fixed MR_NAME_MAX-byte keys, zero padded. */
static void
name_key(char key[MR_NAME_MAX], const char *name)
{
	size_t n = strnlen(name, MR_NAME_MAX - 1);

	memset(key, 0, MR_NAME_MAX);
	memcpy(key, name, n);
}

uint32_t
mr_tables_endpoint_find(const struct mr_tables *t, const char *name)
{
	char key[MR_NAME_MAX];
	void *data;

	if (!valid_name(name))
		return MR_NO_ENDPOINT;
	name_key(key, name);
	if (rte_hash_lookup_data(t->ep_names, key, &data) < 0)
		return MR_NO_ENDPOINT;
	return (uint32_t)(uintptr_t)data;
}

/* ------------------------------------------------------------ endpoints */

int
mr_tables_endpoint_check(const struct mr_tables *t,
			 const struct mr_api_endpoint *e, uint32_t n)
{
	uint32_t i, added = 0;

	for (i = 0; i < n; i++) {
		if (!valid_name(e[i].name) ||
		    (e[i].ip_version != 4 && e[i].ip_version != 6) ||
		    e[i].udp_port == 0 || e[i].vlan > 4094 || e[i].has_mac > 1)
			return -EINVAL;
		if (mr_tables_endpoint_find(t, e[i].name) == MR_NO_ENDPOINT)
			added++;
	}
	if (t->nendpoints + added > t->cfg.max_endpoints)
		return refuse(t, -ENOSPC, "limits.max_endpoints");
	return 0;
}

int
mr_tables_endpoint_set(struct mr_tables *t, const struct mr_api_endpoint *e,
		       uint32_t *idp)
{
	char key[MR_NAME_MAX];
	struct mr_endpoint *ep, *old;
	uint32_t id;
	int ret;

	if (mr_tables_endpoint_check(t, e, 1) != 0)
		return -EINVAL;
	ep = calloc(1, sizeof(*ep));
	if (ep == NULL)
		return -ENOMEM;
	id = mr_tables_endpoint_find(t, e->name);
	if (id == MR_NO_ENDPOINT) {
		/* a new endpoint keeps the id the caller chose and stored */
		id = e->id;
		if (id >= t->cfg.max_endpoints || t->eps[id] != NULL) {
			free(ep);
			return -EEXIST;
		}
		name_key(key, e->name);
		ret = rte_hash_add_key_data(t->ep_names, key,
					    (void *)(uintptr_t)id);
		if (ret < 0) {
			free(ep);
			return ret;
		}
		t->nendpoints++;
	}
	ep->id = id;
	ep->ip_version = e->ip_version;
	ep->has_mac = e->has_mac;
	ep->udp_port = e->udp_port;
	ep->vlan = e->vlan;
	ep->port_id = e->port_id;
	memcpy(ep->addr, e->addr, sizeof(ep->addr));
	memcpy(ep->mac.addr_bytes, e->mac, RTE_ETHER_ADDR_LEN);
	name_key(ep->name, e->name);
	old = t->eps[id];
	__atomic_store_n(&t->eps[id], ep, __ATOMIC_RELEASE);
	if (idp != NULL)
		*idp = id;
	return garbage_add(t, G_FREE, old, 0);
}

uint32_t
mr_tables_endpoint_alloc_id(const struct mr_tables *t, uint32_t after)
{
	uint32_t id;

	for (id = after; id < t->cfg.max_endpoints && t->eps[id]; id++)
		;
	return id < t->cfg.max_endpoints ? id : MR_NO_ENDPOINT;
}

/* Does any device still send to endpoint id? Control thread, O(users). */
static int
endpoint_in_use(const struct mr_tables *t, uint32_t id)
{
	uint32_t i, j, nu = rte_hash_max_key_id(t->users) + 1;

	for (i = 0; i < nu; i++) {
		const struct mr_devset *ds = t->devs[i];

		for (j = 0; ds != NULL && j < ds->n; j++)
			if (ds->d[j].ep == id)
				return 1;
	}
	return 0;
}

int
mr_tables_endpoint_del(struct mr_tables *t, const char *name)
{
	char key[MR_NAME_MAX];
	uint32_t id = mr_tables_endpoint_find(t, name);
	struct mr_endpoint *old;

	if (id == MR_NO_ENDPOINT)
		return -ENOENT;
	if (endpoint_in_use(t, id))
		return -EBUSY;
	name_key(key, name);
	rte_hash_del_key(t->ep_names, key);
	old = t->eps[id];
	__atomic_store_n(&t->eps[id], NULL, __ATOMIC_RELEASE);
	t->nendpoints--;
	return garbage_add(t, G_FREE, old, 0);
}

/* ---------------------------------------------------------------- users */

/* User index for id, adding the user if absent. Returns index or -errno. */
static int32_t
user_get(struct mr_tables *t, uint64_t id)
{
	int32_t pos = rte_hash_lookup(t->users, &id);

	if (pos >= 0)
		return pos;
	pos = rte_hash_add_key(t->users, &id);
	if (pos < 0)
		return pos;
	t->user_ids[pos] = id;
	t->user_refs[pos] = 0;
	return pos;
}

/* A user with no device and no group goes away. */
static void
user_gc(struct mr_tables *t, int32_t pos)
{
	if (t->user_refs[pos] != 0)
		return;
	rte_hash_del_key(t->users, &t->user_ids[pos]);
	garbage_add(t, G_USER_POS, NULL, pos);
}

/* Drop one reference (a device or a membership). */
static void
user_put(struct mr_tables *t, int32_t pos)
{
	t->user_refs[pos]--;
	user_gc(t, pos);
}

static int
dev_find(const struct mr_devset *ds, uint32_t device)
{
	uint32_t i;

	for (i = 0; ds != NULL && i < ds->n; i++)
		if (ds->d[i].device == device)
			return i;
	return -1;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Distinct values among ids[0..n) (sorted in place); *longest, if not
 * NULL, gets the most times one value occurs.
 */
static uint64_t
count_distinct(uint64_t *ids, uint64_t n, uint64_t *longest)
{
	uint64_t i, k = 0, run = 0, max = 0;

	qsort(ids, n, sizeof(*ids), u64_cmp);
	for (i = 0; i < n; i++) {
		if (i == 0 || ids[i] != ids[i - 1]) {
			k++;
			run = 0;
		}
		run++;
		max = RTE_MAX(max, run);
	}
	if (longest != NULL)
		*longest = max;
	return k;
}

int
mr_tables_device_check(const struct mr_tables *t,
		       const struct mr_api_device *d, uint32_t n, int del)
{
	uint64_t newu = 0, *nu;
	uint32_t i;
	int32_t u;
	int ret = 0;

	/* a new user with several devices in the batch is one user more */
	nu = malloc(RTE_MAX(n, 1u) * sizeof(*nu));
	if (nu == NULL)
		return -ENOMEM;
	for (i = 0; i < n && ret == 0; i++) {
		u = mr_tables_user(t, d[i].user);
		if (del) {
			if (u < 0 || dev_find(t->devs[u], d[i].device) < 0)
				ret = -ENOENT;
			continue;
		}
		if (mr_tables_endpoint_find(t, d[i].endpoint) == MR_NO_ENDPOINT)
			ret = -ENOENT;
		else if (u < 0)
			nu[newu++] = d[i].user;
		else if (dev_find(t->devs[u], d[i].device) < 0 &&
			 t->devs[u] != NULL &&
			 t->devs[u]->n >= t->cfg.max_devices_per_user)
			ret = refuse(t, -ENOSPC, "limits.max_devices_per_user");
	}
	if (ret == 0) {
		uint64_t most, users = count_distinct(nu, newu, &most);

		/* a new user's devices all come from this batch */
		if (most > t->cfg.max_devices_per_user)
			ret = refuse(t, -ENOSPC, "limits.max_devices_per_user");
		else if ((uint64_t)rte_hash_count(t->users) + users >
			 t->cfg.max_users)
			ret = refuse(t, -ENOSPC, "limits.max_users");
	}
	free(nu);
	return ret;
}

int
mr_tables_device_set(struct mr_tables *t, uint64_t user, uint32_t device,
		     uint32_t ep)
{
	const struct mr_devset *old;
	struct mr_devset *ds;
	uint32_t n, at;
	int32_t u;
	int k;

	if (mr_tables_endpoint(t, ep) == NULL)
		return -ENOENT;
	u = user_get(t, user);
	if (u < 0)
		return u;
	old = t->devs[u];
	k = dev_find(old, device);
	n = (old ? old->n : 0) + (k < 0);
	if (n > t->cfg.max_devices_per_user) {
		user_gc(t, u);
		return refuse(t, -ENOSPC, "limits.max_devices_per_user");
	}
	ds = malloc(sizeof(*ds) + n * sizeof(ds->d[0]));
	if (ds == NULL) {
		user_gc(t, u);
		return -ENOMEM;
	}
	ds->n = n;
	ds->reserved = 0;
	if (old != NULL)
		memcpy(ds->d, old->d, old->n * sizeof(ds->d[0]));
	if (k >= 0) {
		ds->d[k].ep = ep;	/* the device moves: one update */
	} else {
		for (at = 0; at < n - 1 && ds->d[at].device < device; at++)
			;
		memmove(&ds->d[at + 1], &ds->d[at],
			(n - 1 - at) * sizeof(ds->d[0]));
		ds->d[at].device = device;
		ds->d[at].ep = ep;
		t->user_refs[u]++;
		t->ndevices++;
	}
	__atomic_store_n(&t->devs[u], ds, __ATOMIC_RELEASE);
	return garbage_add(t, G_FREE, (void *)(uintptr_t)old, 0);
}

int
mr_tables_device_del(struct mr_tables *t, uint64_t user, uint32_t device)
{
	const struct mr_devset *old;
	struct mr_devset *ds = NULL;
	uint32_t i, j;
	int32_t u = mr_tables_user(t, user);
	int k;

	if (u < 0)
		return -ENOENT;
	old = t->devs[u];
	k = dev_find(old, device);
	if (k < 0)
		return -ENOENT;
	if (old->n > 1) {
		ds = malloc(sizeof(*ds) + (old->n - 1) * sizeof(ds->d[0]));
		if (ds == NULL)
			return -ENOMEM;
		ds->n = old->n - 1;
		ds->reserved = 0;
		for (i = 0, j = 0; i < old->n; i++)
			if ((int)i != k)
				ds->d[j++] = old->d[i];
	}
	__atomic_store_n(&t->devs[u], ds, __ATOMIC_RELEASE);
	t->ndevices--;
	garbage_add(t, G_FREE, (void *)(uintptr_t)old, 0);
	user_put(t, u);
	return 0;
}

/* --------------------------------------------------------------- groups */

int
mr_group_role(const struct mr_group *g, uint32_t uidx)
{
	uint32_t lo = 0, hi = g->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (MR_MEMBER_USER(g->m[mid]) < uidx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < g->n && MR_MEMBER_USER(g->m[lo]) == uidx)
		return MR_MEMBER_ROLE(g->m[lo]);
	return -1;
}

static struct mr_group *
group_alloc(uint32_t n)
{
	struct mr_group *g = malloc(sizeof(*g) + (size_t)n * sizeof(g->m[0]));

	if (g != NULL) {
		memset(g, 0, sizeof(*g));
		g->n = n;
	}
	return g;
}

int
mr_tables_group_check(const struct mr_tables *t,
		      const struct mr_api_group *g, uint32_t n, int del)
{
	uint32_t i, added = 0;

	for (i = 0; i < n; i++) {
		const struct mr_group *cur = mr_tables_group(t, g[i].id);

		if (del) {
			if (cur == NULL)
				return -ENOENT;
			continue;
		}
		if (g[i].policy > MR_POLICY_ADMINS ||
		    g[i].max_members > t->cfg.max_group_members)
			return -EINVAL;
		if (cur == NULL)
			added++;
		else if (g[i].max_members != 0 && cur->n > g[i].max_members)
			return refuse(t, -ENOSPC, "the group's member limit is below its size");
	}
	if ((uint64_t)t->ngroups + added > t->cfg.max_groups)
		return refuse(t, -ENOSPC, "limits.max_groups");
	return 0;
}

int
mr_tables_group_set(struct mr_tables *t, const struct mr_api_group *in)
{
	const struct mr_group *old;
	struct mr_group *g;
	int32_t pos;

	if (mr_tables_group_check(t, in, 1, 0) != 0)
		return -EINVAL;
	pos = rte_hash_lookup(t->groups, &in->id);
	old = pos >= 0 ? t->grp[pos] : NULL;
	g = group_alloc(old ? old->n : 0);
	if (g == NULL)
		return -ENOMEM;
	if (old != NULL)
		memcpy(g->m, old->m, (size_t)old->n * sizeof(g->m[0]));
	g->id = in->id;
	g->policy = in->policy;
	g->max_members = in->max_members ? in->max_members :
		t->cfg.max_group_members;
	g->max_default = in->max_members == 0;
	if (pos < 0) {
		pos = rte_hash_add_key(t->groups, &in->id);
		if (pos < 0) {
			free(g);
			return pos;
		}
		t->ngroups++;
	}
	__atomic_store_n(&t->grp[pos], g, __ATOMIC_RELEASE);
	return garbage_add(t, G_GROUP, (void *)(uintptr_t)old, 0);
}

int
mr_tables_group_del(struct mr_tables *t, uint64_t id)
{
	int32_t pos = rte_hash_lookup(t->groups, &id);
	struct mr_group *old;
	uint32_t i;

	if (pos < 0)
		return -ENOENT;
	old = t->grp[pos];
	__atomic_store_n(&t->grp[pos], NULL, __ATOMIC_RELEASE);
	rte_hash_del_key(t->groups, &id);
	garbage_add(t, G_GROUP_POS, NULL, pos);
	for (i = 0; i < old->n; i++)
		user_put(t, MR_MEMBER_USER(old->m[i]));
	t->nmemberships -= old->n;
	t->ngroups--;
	return garbage_add(t, G_GROUP, old, 0);
}

/* -------------------------------------------------------------- members */

static int
member_cmp(const void *a, const void *b)
{
	const struct mr_api_member *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	return 0;
}

int
mr_tables_member_check(const struct mr_tables *t, struct mr_api_member *m,
		       uint32_t n, int del)
{
	const struct mr_group *g = NULL;
	uint64_t added = 0, newu = 0, gadded = 0, *nu;
	uint32_t i;
	int32_t u;
	int ret = 0;

	/* a new user in several groups of the batch is one user more */
	nu = malloc(RTE_MAX(n, 1u) * sizeof(*nu));
	if (nu == NULL)
		return -ENOMEM;
	qsort(m, n, sizeof(*m), member_cmp);
	for (i = 0; i < n; i++) {
		if ((i > 0 && member_cmp(&m[i - 1], &m[i]) == 0) ||
		    m[i].role > MR_ROLE_READONLY) {
			ret = -EINVAL;	/* the same pair twice, or a bad role */
			goto out;
		}
		if (i == 0 || m[i].group != m[i - 1].group) {
			g = mr_tables_group(t, m[i].group);
			if (g == NULL) {
				ret = -ENOENT;
				goto out;
			}
			gadded = 0;
		}
		u = mr_tables_user(t, m[i].user);
		if (del) {
			if (u < 0 || mr_group_role(g, u) < 0) {
				ret = -ENOENT;
				goto out;
			}
			continue;
		}
		if (u < 0)
			nu[newu++] = m[i].user;
		if (u < 0 || mr_group_role(g, u) < 0) {
			added++;
			if (g->n + ++gadded > g->max_members) {
				ret = refuse(t, -ENOSPC,
					     "the group's member limit");
				goto out;
			}
		}
	}
	newu = count_distinct(nu, newu, NULL);
	if (t->nmemberships + added > t->cfg.max_memberships)
		ret = refuse(t, -ENOSPC, "limits.max_memberships");
	else if (rte_hash_count(t->users) + newu > t->cfg.max_users)
		ret = refuse(t, -ENOSPC, "limits.max_users");
out:
	free(nu);
	return ret;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return MR_MEMBER_USER(x) < MR_MEMBER_USER(y) ? -1 :
		MR_MEMBER_USER(x) > MR_MEMBER_USER(y);
}

/*
 * Apply the changes m[0..n) to one group: a new member array merged from the
 * old one and the changes, sorted by user index.
 */
static int
group_apply(struct mr_tables *t, int32_t pos, const struct mr_api_member *m,
	    uint32_t n, int del, uint32_t *chg)
{
	const struct mr_group *old = t->grp[pos];
	struct mr_group *g;
	uint32_t i, j, k, cap;
	int32_t u;

	/* the changes as member words, sorted by user index */
	for (i = 0; i < n; i++) {
		u = del ? mr_tables_user(t, m[i].user) : user_get(t, m[i].user);
		if (u < 0)
			return u;
		chg[i] = MR_MEMBER(u, m[i].role);
	}
	qsort(chg, n, sizeof(*chg), u32_cmp);

	cap = old->n + (del ? 0 : n);
	g = group_alloc(cap);
	if (g == NULL)
		return -ENOMEM;
	g->id = old->id;
	g->policy = old->policy;
	g->max_members = old->max_members;
	g->max_default = old->max_default;
	for (i = 0, j = 0, k = 0; i < old->n || j < n;) {
		uint32_t ou = i < old->n ? MR_MEMBER_USER(old->m[i]) : UINT32_MAX;
		uint32_t cu = j < n ? MR_MEMBER_USER(chg[j]) : UINT32_MAX;

		if (ou < cu) {
			g->m[k++] = old->m[i++];
		} else if (cu < ou) {
			/* a new member (del: check() proved this absent) */
			if (!del) {
				g->m[k++] = chg[j];
				t->user_refs[cu]++;
				t->nmemberships++;
			}
			j++;
		} else {
			/* an existing member: new role, or gone */
			if (!del) {
				g->m[k++] = chg[j];
			} else {
				user_put(t, cu);
				t->nmemberships--;
			}
			i++;
			j++;
		}
	}
	g->n = k;
	__atomic_store_n(&t->grp[pos], g, __ATOMIC_RELEASE);
	return garbage_add(t, G_GROUP, (void *)(uintptr_t)old, 0);
}

int
mr_tables_member_apply(struct mr_tables *t, struct mr_api_member *m,
		       uint32_t n, int del)
{
	uint32_t i, j, *chg;
	int32_t pos;
	int ret = 0;

	chg = malloc(RTE_MAX(n, 1u) * sizeof(*chg));
	if (chg == NULL)
		return -ENOMEM;
	for (i = 0; i < n && ret == 0; i = j) {
		for (j = i + 1; j < n && m[j].group == m[i].group; j++)
			;
		pos = rte_hash_lookup(t->groups, &m[i].group);
		ret = pos < 0 ? -ENOENT :
			group_apply(t, pos, &m[i], j - i, del, chg);
	}
	free(chg);
	return ret;
}

uint64_t
mr_tables_bytes(const struct mr_tables *t)
{
	/* member words and group headers; devices; per-user arrays */
	return t->nmemberships * sizeof(uint32_t) +
		(uint64_t)t->ngroups * (sizeof(struct mr_group) + 16) +
		(uint64_t)t->ndevices * sizeof(struct mr_dev) +
		(uint64_t)(rte_hash_max_key_id(t->users) + 1) *
		(sizeof(uint64_t) + sizeof(void *) + sizeof(uint32_t));
}
