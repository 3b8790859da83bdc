/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Counters for DPDK telemetry, so the stock dpdk-telemetry.py client reads
 * them: /mrelay/stats (totals), /mrelay/drops (by reason), /mrelay/workers
 * (per worker, ",N" selects one), /mrelay/tables (sizes).
 *
 * Telemetry callbacks run on DPDK's telemetry thread. They only read
 * counters that a single worker writes (torn reads are impossible for
 * aligned 64-bit words on x86-64) and table sizes the control thread writes.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "daemon.h"

static struct mrelayd *tdaemon;

static const char *const frame_names[MR_FT_MAX] = {
	[MR_FT_MSG] = "frames_msg", [MR_FT_ACK] = "frames_ack",
	[MR_FT_REJECT] = "frames_reject", [MR_FT_RECEIPT] = "frames_receipt",
	[MR_FT_NAK] = "frames_nak", [MR_FT_PING] = "frames_ping",
	[MR_FT_PONG] = "frames_pong",
};

uint64_t
mr_stat_sum(const struct mrelayd *d, size_t off)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < d->nb_workers; i++)
		sum += *(const volatile uint64_t *)
			((const char *)&d->workers[i]->st + off);
	return sum;
}

#define WOFF(f) offsetof(struct mr_wstats, f)

static void
add_worker_stats(struct rte_tel_data *t, const struct mrelayd *d,
		 int one, unsigned int wi)
{
	static const struct {
		const char *name;
		size_t off;
	} c[] = {
		{"loops", WOFF(loops)}, {"rx_pkts", WOFF(rx_pkts)},
		{"rx_bytes", WOFF(rx_bytes)}, {"rx_dgrams", WOFF(rx_dgrams)},
		{"tx_pkts", WOFF(tx_pkts)}, {"tx_bytes", WOFF(tx_bytes)},
	};
	unsigned int i;
	uint64_t v;

	for (i = 0; i < RTE_DIM(c); i++) {
		v = one ? *(const volatile uint64_t *)((const char *)
			&d->workers[wi]->st + c[i].off) : mr_stat_sum(d, c[i].off);
		rte_tel_data_add_dict_u64(t, c[i].name, v);
	}
	for (i = 1; i < MR_FT_MAX; i++) {
		size_t off = WOFF(frames) + i * sizeof(uint64_t);

		v = one ? d->workers[wi]->st.frames[i] : mr_stat_sum(d, off);
		rte_tel_data_add_dict_u64(t, frame_names[i], v);
	}
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *t)
{
	rte_tel_data_start_dict(t);
	add_worker_stats(t, tdaemon, 0, 0);
	rte_tel_data_add_dict_u64(t, "workers", tdaemon->nb_workers);
	rte_tel_data_add_dict_u64(t, "ctl_requests", tdaemon->ctl_requests);
	rte_tel_data_add_dict_u64(t, "ctl_errors", tdaemon->ctl_errors);
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *t)
{
	unsigned int r;

	rte_tel_data_start_dict(t);
	for (r = 1; r < MR_DROP_PARSE_MAX; r++)
		rte_tel_data_add_dict_u64(t, mr_drop_name(r),
			mr_stat_sum(tdaemon, WOFF(drops) + r * sizeof(uint64_t)));
	return 0;
}

static int
tel_workers(const char *cmd, const char *params, struct rte_tel_data *t)
{
	char *end;
	unsigned long wi;

	if (params == NULL || *params == '\0') {
		rte_tel_data_start_array(t, RTE_TEL_U64_VAL);
		for (wi = 0; wi < tdaemon->nb_workers; wi++)
			rte_tel_data_add_array_u64(t, wi);
		return 0;
	}
	wi = strtoul(params, &end, 10);
	if (*end != '\0' || wi >= tdaemon->nb_workers)
		return -EINVAL;
	rte_tel_data_start_dict(t);
	rte_tel_data_add_dict_u64(t, "lcore", tdaemon->workers[wi]->lcore_id);
	add_worker_stats(t, tdaemon, 1, wi);
	return 0;
}

static int
tel_tables(const char *cmd, const char *params, struct rte_tel_data *t)
{
	const struct mr_tables *tb = tdaemon->tables;

	rte_tel_data_start_dict(t);
	rte_tel_data_add_dict_u64(t, "endpoints", tb->nendpoints);
	rte_tel_data_add_dict_u64(t, "users", rte_hash_count(tb->users));
	rte_tel_data_add_dict_u64(t, "devices", tb->ndevices);
	rte_tel_data_add_dict_u64(t, "groups", tb->ngroups);
	rte_tel_data_add_dict_u64(t, "memberships", tb->nmemberships);
	rte_tel_data_add_dict_u64(t, "table_bytes", mr_tables_bytes(tb));
	return 0;
}

int
mr_telemetry_register(struct mrelayd *d)
{
	int ret = 0;

	tdaemon = d;
	ret |= rte_telemetry_register_cmd("/mrelay/stats", tel_stats,
		"mrelay totals over all workers. No parameters");
	ret |= rte_telemetry_register_cmd("/mrelay/drops", tel_drops,
		"mrelay drops by named reason. No parameters");
	ret |= rte_telemetry_register_cmd("/mrelay/workers", tel_workers,
		"mrelay worker ids, or one worker's counters. Parameter: id");
	ret |= rte_telemetry_register_cmd("/mrelay/tables", tel_tables,
		"mrelay routing table sizes. No parameters");
	return ret;
}
