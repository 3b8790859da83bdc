/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Routing tables: endpoints, users and their devices, groups and their
 * members. Workers read them without locks; the control thread is the only
 * writer. The publication rule (docs/architecture.md, "Routing tables and
 * RCU"):
 *
 *  1. the writer builds a new immutable object (device set, member array,
 *     endpoint) beside the old one;
 *  2. it publishes it with one release store of a pointer;
 *  3. it keeps the old object on a garbage list; mr_tables_sync() waits on
 *     rte_rcu_qsbr until every worker has reported a quiescent state, then
 *     frees the garbage. Only after that is a change acknowledged, so an
 *     acknowledged change is seen by every worker's next packet.
 *
 * Readers (workers) load pointers with acquire semantics between two
 * quiescent-state reports and never keep them across one.
 *
 * Memory: a membership is 4 bytes in its group's sorted member array (user
 * index << 2 | role), plus the group's share of its header and hash slot.
 */
#ifndef MRELAY_TABLES_H
#define MRELAY_TABLES_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include "api.h"

#define MR_NO_ENDPOINT	UINT32_MAX

struct mr_endpoint {
	uint32_t id;
	uint8_t ip_version;
	uint8_t has_mac;
	uint16_t udp_port;
	uint16_t vlan;
	uint16_t port_id;
	uint8_t addr[16];
	struct rte_ether_addr mac;
	char name[MR_NAME_MAX];
};

struct mr_dev {
	uint32_t device;
	uint32_t ep;		/* endpoint id */
};

/* Devices of one user, sorted by device id. Immutable once published. */
struct mr_devset {
	uint32_t n;
	uint32_t reserved;
	struct mr_dev d[];
};

#define MR_MEMBER_ROLE(m)	((m) & 3u)
#define MR_MEMBER_USER(m)	((m) >> 2)
#define MR_MEMBER(u, role)	(((uint32_t)(u) << 2) | (role))
#define MR_MAX_USERS		(1u << 30)

/* A group: sorted member array (user index << 2 | role). Immutable. */
struct mr_group {
	uint64_t id;
	uint32_t max_members;	/* in force */
	uint8_t policy;
	uint8_t max_default;	/* 1: max_members is the daemon's default */
	uint8_t reserved[2];
	uint32_t n;
	uint32_t refcnt;	/* workers holding it past a quiescent state */
	uint32_t m[];
};

/*
 * A worker that keeps a group past its next quiescent state (a fan-out in
 * chunks) pins it first, in the same read-side section as its lookup, and
 * unpins it when done; the writer frees a replaced group only once it is
 * unpinned.
 */
static inline void
mr_group_pin(const struct mr_group *g)
{
	__atomic_add_fetch(&((struct mr_group *)(uintptr_t)g)->refcnt, 1,
			   __ATOMIC_RELAXED);
}

static inline void
mr_group_unpin(const struct mr_group *g)
{
	__atomic_sub_fetch(&((struct mr_group *)(uintptr_t)g)->refcnt, 1,
			   __ATOMIC_RELEASE);
}

struct mr_tables_cfg {
	uint32_t max_endpoints;
	uint32_t max_users;
	uint32_t max_groups;
	uint32_t max_devices_per_user;
	uint32_t max_group_members;	/* default for groups with 0 */
	uint64_t max_memberships;
	int socket_id;
};

struct mr_garbage;

struct mr_tables {
	struct rte_rcu_qsbr *qs;
	/* read by workers */
	struct rte_hash *users;		/* user id -> user index (position) */
	struct rte_hash *groups;	/* group id -> group index (position) */
	uint64_t *user_ids;		/* user index -> user id */
	struct mr_devset **devs;	/* user index -> devices or NULL */
	struct mr_group **grp;		/* group index -> group or NULL */
	struct mr_endpoint **eps;	/* endpoint id -> endpoint or NULL */
	/* control thread only */
	struct rte_hash *ep_names;	/* name -> endpoint id */
	uint32_t *user_refs;		/* memberships + devices per user */
	struct mr_tables_cfg cfg;
	uint64_t nmemberships;
	uint32_t ndevices;
	uint32_t ngroups;
	uint32_t nendpoints;
	struct mr_garbage *garbage;
	const char *refused;		/* the limit the last check hit */
};

/*
 * Create empty tables sized by cfg, for readers registered on qs. Returns
 * NULL with errno set.
 */
struct mr_tables *mr_tables_create(const char *name,
				   const struct mr_tables_cfg *cfg,
				   struct rte_rcu_qsbr *qs);

/* Free everything. No reader may be running. */
void mr_tables_free(struct mr_tables *t);

/*
 * Wait until every registered reader has passed a quiescent state, then free
 * everything replaced since the last call. The writer calls this before it
 * acknowledges any change.
 */
void mr_tables_sync(struct mr_tables *t);

/*
 * Writers. Each returns 0 or -errno and changes nothing on error. The
 * *_check functions validate a whole batch first, so that a batch is
 * all-or-nothing: check, then write the state database, then apply.
 */
int mr_tables_endpoint_check(const struct mr_tables *t,
			     const struct mr_api_endpoint *e, uint32_t n);
/*
 * Add or replace an endpoint. A new one takes id e->id, which must be free
 * (see mr_tables_endpoint_alloc_id()); a replaced one keeps its id.
 */
int mr_tables_endpoint_set(struct mr_tables *t,
			   const struct mr_api_endpoint *e, uint32_t *id);
/* Lowest free endpoint id >= after, or MR_NO_ENDPOINT. */
uint32_t mr_tables_endpoint_alloc_id(const struct mr_tables *t, uint32_t after);
int mr_tables_endpoint_del(struct mr_tables *t, const char *name);
/* The endpoint id for a name, or MR_NO_ENDPOINT. */
uint32_t mr_tables_endpoint_find(const struct mr_tables *t, const char *name);

int mr_tables_device_check(const struct mr_tables *t,
			   const struct mr_api_device *d, uint32_t n, int del);
int mr_tables_device_set(struct mr_tables *t, uint64_t user, uint32_t device,
			 uint32_t ep);
int mr_tables_device_del(struct mr_tables *t, uint64_t user, uint32_t device);

int mr_tables_group_check(const struct mr_tables *t,
			  const struct mr_api_group *g, uint32_t n, int del);
int mr_tables_group_set(struct mr_tables *t, const struct mr_api_group *g);
int mr_tables_group_del(struct mr_tables *t, uint64_t id);

/* A batch of member changes; sorted in place by (group, user). */
int mr_tables_member_check(const struct mr_tables *t,
			   struct mr_api_member *m, uint32_t n, int del);
int mr_tables_member_apply(struct mr_tables *t, struct mr_api_member *m,
			   uint32_t n, int del);

/* Readers (workers and the control thread). */
static inline const struct mr_group *
mr_tables_group(const struct mr_tables *t, uint64_t id)
{
	int32_t pos = rte_hash_lookup(t->groups, &id);

	if (pos < 0)
		return NULL;
	return __atomic_load_n(&t->grp[pos], __ATOMIC_ACQUIRE);
}

/* User index of a user id, or -1. */
static inline int32_t
mr_tables_user(const struct mr_tables *t, uint64_t id)
{
	int32_t pos = rte_hash_lookup(t->users, &id);

	return pos < 0 ? -1 : pos;
}

static inline const struct mr_devset *
mr_tables_devices(const struct mr_tables *t, uint32_t uidx)
{
	return __atomic_load_n(&t->devs[uidx], __ATOMIC_ACQUIRE);
}

static inline const struct mr_endpoint *
mr_tables_endpoint(const struct mr_tables *t, uint32_t id)
{
	if (id >= t->cfg.max_endpoints)
		return NULL;
	return __atomic_load_n(&t->eps[id], __ATOMIC_ACQUIRE);
}

/* Role of user index uidx in g, or -1 if not a member. Binary search. */
int mr_group_role(const struct mr_group *g, uint32_t uidx);

/* Garbage items kept because a group is still pinned. */
uint32_t mr_tables_pending(const struct mr_tables *t);

/* Bytes used by the tables' dataplane structures (for stats). */
uint64_t mr_tables_bytes(const struct mr_tables *t);

#endif /* MRELAY_TABLES_H */
