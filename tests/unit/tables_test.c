/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Routing tables: contents after every kind of change, all-or-nothing batch
 * checks, limits, and the RCU publication rule (a change acknowledged by the
 * writer is seen by a concurrent reader's very next lookup; nothing a reader
 * may still hold is freed early, which ASan checks in the sanitizer run).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "tables.h"

struct fx {
	struct rte_rcu_qsbr *qs;
	struct mr_tables *t;
};

static struct mr_tables_cfg small_cfg = {
	.max_endpoints = 8,
	.max_users = 1024,
	.max_groups = 64,
	.max_devices_per_user = 3,
	.max_group_members = 100,
	.max_memberships = 500,
};

static int
setup(void **state)
{
	static struct fx f;
	static int n;
	char name[16];
	size_t sz = rte_rcu_qsbr_get_memsize(2);

	f.qs = rte_zmalloc(NULL, sz, RTE_CACHE_LINE_SIZE);
	assert_non_null(f.qs);
	assert_int_equal(rte_rcu_qsbr_init(f.qs, 2), 0);
	snprintf(name, sizeof(name), "t%d", n++);
	f.t = mr_tables_create(name, &small_cfg, f.qs);
	assert_non_null(f.t);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	mr_tables_free(f->t);
	rte_free(f->qs);
	return 0;
}

static struct mr_api_endpoint
ep(const char *name, uint8_t last)
{
	struct mr_api_endpoint e = {.ip_version = 4, .udp_port = 7400};

	snprintf(e.name, sizeof(e.name), "%s", name);
	e.addr[0] = 10;
	e.addr[3] = last;
	return e;
}

static void
add_group(struct mr_tables *t, uint64_t id, uint8_t policy)
{
	struct mr_api_group g = {.id = id, .policy = policy};

	assert_int_equal(mr_tables_group_check(t, &g, 1, 0), 0);
	assert_int_equal(mr_tables_group_set(t, &g), 0);
}

static int
members(struct mr_tables *t, uint64_t group, const uint64_t *users,
	uint32_t n, uint8_t role, int del)
{
	struct mr_api_member m[64];
	uint32_t i;
	int ret;

	for (i = 0; i < n; i++)
		m[i] = (struct mr_api_member){.group = group, .user = users[i],
					      .role = role};
	ret = mr_tables_member_check(t, m, n, del);
	if (ret == 0)
		ret = mr_tables_member_apply(t, m, n, del);
	mr_tables_sync(t);
	return ret;
}

static void
test_endpoints_and_devices(void **state)
{
	struct fx *f = *state;
	struct mr_tables *t = f->t;
	struct mr_api_endpoint e1 = ep("gw1", 5), e2 = ep("gw2", 6);
	struct mr_api_device dv = {.user = 1001, .device = 2};
	const struct mr_devset *ds;
	uint32_t id1, id2;
	int32_t u;

	e1.id = mr_tables_endpoint_alloc_id(t, 0);
	assert_int_equal(e1.id, 0);
	assert_int_equal(mr_tables_endpoint_set(t, &e1, &id1), 0);
	assert_int_equal(id1, 0);
	/* a taken id is refused for a new name */
	e2.id = 0;
	assert_int_equal(mr_tables_endpoint_set(t, &e2, &id2), -EEXIST);
	e2.id = mr_tables_endpoint_alloc_id(t, 0);
	assert_int_equal(e2.id, 1);
	assert_int_equal(mr_tables_endpoint_set(t, &e2, &id2), 0);
	assert_int_equal(id2, 1);
	assert_int_equal(mr_tables_endpoint_find(t, "gw2"), id2);
	assert_int_equal(mr_tables_endpoint(t, id2)->addr[3], 6);
	/* replacing keeps the id */
	e1.udp_port = 7500;
	assert_int_equal(mr_tables_endpoint_set(t, &e1, &id2), 0);
	assert_int_equal(id2, id1);
	assert_int_equal(mr_tables_endpoint(t, id1)->udp_port, 7500);

	/* devices come back sorted; a device moves with one update */
	snprintf(dv.endpoint, sizeof(dv.endpoint), "gw1");
	assert_int_equal(mr_tables_device_check(t, &dv, 1, 0), 0);
	assert_int_equal(mr_tables_device_set(t, 1001, 5, id1), 0);
	assert_int_equal(mr_tables_device_set(t, 1001, 2, id1), 0);
	assert_int_equal(mr_tables_device_set(t, 1001, 9, id1), 0);
	u = mr_tables_user(t, 1001);
	assert_true(u >= 0);
	ds = mr_tables_devices(t, u);
	assert_int_equal(ds->n, 3);
	assert_int_equal(ds->d[0].device, 2);
	assert_int_equal(ds->d[1].device, 5);
	assert_int_equal(ds->d[2].device, 9);
	assert_int_equal(mr_tables_device_set(t, 1001, 5,
		mr_tables_endpoint_find(t, "gw2")), 0);
	ds = mr_tables_devices(t, u);
	assert_int_equal(ds->n, 3);
	assert_int_equal(ds->d[1].ep, mr_tables_endpoint_find(t, "gw2"));
	assert_int_equal(t->ndevices, 3);

	/* a new user with four devices in one batch is over it too */
	{
		struct mr_api_device nd[4];
		unsigned int k;

		for (k = 0; k < 4; k++) {
			nd[k] = (struct mr_api_device){.user = 77, .device = k};
			snprintf(nd[k].endpoint, sizeof(nd[k].endpoint), "gw1");
		}
		assert_int_equal(mr_tables_device_check(t, nd, 4, 0), -ENOSPC);
		assert_int_equal(mr_tables_device_check(t, nd, 3, 0), 0);
	}
	/* a fourth device is over the per-user limit */
	dv.device = 10;
	assert_int_equal(mr_tables_device_check(t, &dv, 1, 0), -ENOSPC);
	assert_int_equal(mr_tables_device_set(t, 1001, 10, id1), -ENOSPC);
	/* an endpoint in use cannot go; unknown endpoint is refused */
	assert_int_equal(mr_tables_endpoint_del(t, "gw2"), -EBUSY);
	snprintf(dv.endpoint, sizeof(dv.endpoint), "nope");
	assert_int_equal(mr_tables_device_check(t, &dv, 1, 0), -ENOENT);

	/* deleting every device removes the user */
	assert_int_equal(mr_tables_device_del(t, 1001, 2), 0);
	assert_int_equal(mr_tables_device_del(t, 1001, 5), 0);
	assert_int_equal(mr_tables_device_del(t, 1001, 9), 0);
	assert_int_equal(mr_tables_device_del(t, 1001, 9), -ENOENT);
	mr_tables_sync(t);
	assert_int_equal(mr_tables_user(t, 1001), -1);
	assert_int_equal(t->ndevices, 0);
	assert_int_equal(mr_tables_endpoint_del(t, "gw2"), 0);
	assert_int_equal(mr_tables_endpoint_find(t, "gw2"), MR_NO_ENDPOINT);

	/* bad names and fields are refused */
	e1 = ep("bad name", 1);
	assert_int_equal(mr_tables_endpoint_check(t, &e1, 1), -EINVAL);
	e1 = ep("ok", 1);
	e1.ip_version = 5;
	assert_int_equal(mr_tables_endpoint_check(t, &e1, 1), -EINVAL);
}

static void
test_groups_and_members(void **state)
{
	struct fx *f = *state;
	struct mr_tables *t = f->t;
	static const uint64_t u1[] = {30, 10, 20}, u2[] = {20}, u3[] = {99};
	const struct mr_group *g;
	int32_t x;

	add_group(t, 42, MR_POLICY_ADMINS);
	assert_int_equal(members(t, 42, u1, 3, MR_ROLE_MEMBER, 0), 0);
	g = mr_tables_group(t, 42);
	assert_int_equal(g->n, 3);
	assert_int_equal(g->policy, MR_POLICY_ADMINS);
	assert_int_equal(t->nmemberships, 3);
	/* role change: same count, new role */
	assert_int_equal(members(t, 42, u2, 1, MR_ROLE_ADMIN, 0), 0);
	g = mr_tables_group(t, 42);
	assert_int_equal(g->n, 3);
	x = mr_tables_user(t, 20);
	assert_int_equal(mr_group_role(g, x), MR_ROLE_ADMIN);
	assert_int_equal(mr_group_role(g, mr_tables_user(t, 10)),
			 MR_ROLE_MEMBER);
	/* the member array is sorted by user index */
	for (uint32_t i = 1; i < g->n; i++)
		assert_true(MR_MEMBER_USER(g->m[i - 1]) <
			    MR_MEMBER_USER(g->m[i]));

	/* deleting a non-member fails and changes nothing */
	assert_int_equal(members(t, 42, u3, 1, 0, 1), -ENOENT);
	assert_int_equal(mr_tables_group(t, 42)->n, 3);
	/* unknown group */
	assert_int_equal(members(t, 43, u3, 1, 0, 0), -ENOENT);
	/* the same pair twice in one batch */
	static const uint64_t dup[] = {5, 5};
	assert_int_equal(members(t, 42, dup, 2, 0, 0), -EINVAL);

	assert_int_equal(members(t, 42, u2, 1, 0, 1), 0);
	g = mr_tables_group(t, 42);
	assert_int_equal(g->n, 2);
	assert_int_equal(t->nmemberships, 2);
	/* user 20 had nothing else: gone */
	assert_int_equal(mr_tables_user(t, 20), -1);

	/* deleting the group releases its members */
	assert_int_equal(mr_tables_group_del(t, 42), 0);
	mr_tables_sync(t);
	assert_null(mr_tables_group(t, 42));
	assert_int_equal(t->nmemberships, 0);
	assert_int_equal(mr_tables_user(t, 10), -1);
	assert_int_equal(rte_hash_count(t->users), 0);
}

static void
test_limits(void **state)
{
	struct fx *f = *state;
	struct mr_tables *t = f->t;
	struct mr_api_group g = {.id = 1, .max_members = 4};
	uint64_t u[8];
	uint32_t i;

	for (i = 0; i < 8; i++)
		u[i] = 100 + i;
	assert_int_equal(mr_tables_group_set(t, &g), 0);
	/* 5 members into a group of 4: refused whole */
	assert_int_equal(members(t, 1, u, 5, 0, 0), -ENOSPC);
	assert_int_equal(mr_tables_group(t, 1)->n, 0);
	assert_int_equal(members(t, 1, u, 4, 0, 0), 0);
	/* shrinking below the current size is refused */
	g.max_members = 3;
	assert_int_equal(mr_tables_group_check(t, &g, 1, 0), -ENOSPC);
	/* over the daemon's group limit */
	g.max_members = 101;
	assert_int_equal(mr_tables_group_check(t, &g, 1, 0), -EINVAL);
	g.max_members = 0;
	g.policy = 7;
	assert_int_equal(mr_tables_group_check(t, &g, 1, 0), -EINVAL);
	/* group count limit (64) */
	for (i = 2; i <= 64; i++)
		add_group(t, i, 0);
	g = (struct mr_api_group){.id = 1000};
	assert_int_equal(mr_tables_group_check(t, &g, 1, 0), -ENOSPC);
}

struct reader {
	struct mr_tables *t;
	struct rte_rcu_qsbr *qs;
	volatile uint64_t acked;
	volatile int stop;
	uint64_t lookups;
	uint64_t violations;
};

/* Every acknowledged member count is visible; member words are sane. */
static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	const struct mr_group *g;
	uint64_t a, sum;
	uint32_t i;

	rte_rcu_qsbr_thread_register(r->qs, 1);
	rte_rcu_qsbr_thread_online(r->qs, 1);
	while (!r->stop) {
		a = __atomic_load_n(&r->acked, __ATOMIC_ACQUIRE);
		g = mr_tables_group(r->t, 7);
		if (g == NULL || g->n < a)
			r->violations++;
		for (i = 0, sum = 0; g != NULL && i < g->n; i++)
			sum += MR_MEMBER_ROLE(g->m[i]);
		if (sum != 0)
			r->violations++;
		r->lookups++;
		rte_rcu_qsbr_quiescent(r->qs, 1);
	}
	rte_rcu_qsbr_thread_offline(r->qs, 1);
	rte_rcu_qsbr_thread_unregister(r->qs, 1);
	return NULL;
}

static void
test_rcu_publication_rule(void **state)
{
	struct fx *f = *state;
	struct reader r = {.t = f->t, .qs = f->qs};
	pthread_t th;
	uint64_t k;

	add_group(f->t, 7, 0);
	mr_tables_sync(f->t);
	assert_int_equal(pthread_create(&th, NULL, reader_main, &r), 0);
	/* from its first lookup on, every sync waits for the reader */
	while (__atomic_load_n(&r.lookups, __ATOMIC_RELAXED) == 0)
		rte_pause();
	for (k = 1; k <= 100; k++) {
		assert_int_equal(members(f->t, 7, &k, 1, 0, 0), 0);
		/* members() synced: acknowledge */
		__atomic_store_n(&r.acked, k, __ATOMIC_RELEASE);
	}
	/* shrinking: what was acknowledged is now a lower bound of 0 */
	__atomic_store_n(&r.acked, 0, __ATOMIC_RELEASE);
	for (k = 1; k <= 100; k++)
		assert_int_equal(members(f->t, 7, &k, 1, 0, 1), 0);
	r.stop = 1;
	pthread_join(th, NULL);
	assert_true(r.lookups > 0);
	assert_int_equal(r.violations, 0);
	assert_int_equal(mr_tables_group(f->t, 7)->n, 0);
}

int
main(int argc, char **argv)
{
	char *eal[] = {argv[0], "--no-huge", "--no-shconf", "--no-pci",
		       "-l", "0", "-m", "256", "--log-level", "error", NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_endpoints_and_devices,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_groups_and_members,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcu_publication_rule,
						setup, teardown),
	};

	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests_name("tables", tests, NULL, NULL);
}
