/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Dataplane counters by name: one list (mr_stats_foreach) behind both
 * mrelayctl stats and DPDK telemetry (with "." spelled "_" there), so the
 * stock dpdk-telemetry.py client reads them: /mrelay/stats (totals), /mrelay/drops (by reason),
 * /mrelay/workers (ids, or ",N" for one worker), /mrelay/tables (sizes).
 *
 * Telemetry callbacks run on DPDK's telemetry thread. They only read
 * counters that a single worker writes (torn reads are impossible for
 * aligned 64-bit words on x86-64) and table sizes the control thread writes.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "daemon.h"

static struct mrelayd *tdaemon;

#define WOFF(f) offsetof(struct mr_wstats, f)

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

/* Counter at off of worker wi, or summed over workers if wi < 0. */
static uint64_t
stat_of(const struct mrelayd *d, int wi, size_t off)
{
	if (wi < 0)
		return mr_stat_sum(d, off);
	return *(const volatile uint64_t *)((const char *)&d->workers[wi]->st +
					    off);
}

/* The largest value over workers (for maxima such as RX gaps). */
static uint64_t
stat_max(const struct mrelayd *d, int wi, size_t off)
{
	uint64_t v, m = 0;
	unsigned int i;

	if (wi >= 0)
		return stat_of(d, wi, off);
	for (i = 0; i < d->nb_workers; i++) {
		v = stat_of(d, i, off);
		m = v > m ? v : m;
	}
	return m;
}

static const char *const frame_names[MR_FT_MAX] = {
	[MR_FT_MSG] = "frames.msg", [MR_FT_ACK] = "frames.ack",
	[MR_FT_REJECT] = "frames.reject", [MR_FT_RECEIPT] = "frames.receipt",
	[MR_FT_NAK] = "frames.nak", [MR_FT_PING] = "frames.ping",
	[MR_FT_PONG] = "frames.pong",
};

static const char *const reject_names[MR_REJ_MAX] = {
	[MR_REJ_NOT_MEMBER] = "reject.not_member",
	[MR_REJ_UNKNOWN_GROUP] = "reject.unknown_group",
	[MR_REJ_UNKNOWN_USER] = "reject.unknown_user",
	[MR_REJ_UNKNOWN_DEVICE] = "reject.unknown_device",
	[MR_REJ_NOT_ALLOWED] = "reject.not_allowed",
	[MR_REJ_TOO_LARGE] = "reject.too_large",
	[MR_REJ_RATE_LIMITED] = "reject.rate_limited",
	[MR_REJ_NO_SUBSCRIBERS] = "reject.no_subscribers",
	[MR_REJ_NO_PERMISSION] = "reject.no_permission",
	[MR_REJ_OVERLOADED] = "reject.overloaded",
	[MR_REJ_BAD_SUBJECT] = "reject.bad_subject",
};

static const char *const hist_names[MR_FANOUT_HIST] = {
	"fanout.0", "fanout.1", "fanout.2-7", "fanout.8-63",
	"fanout.64-1023", "fanout.1k-64k", "fanout.64k-1m", "fanout.1m+",
};

int
mr_stats_foreach(const struct mrelayd *d, int wi, mr_stat_cb cb, void *arg)
{
	static const struct {
		const char *name;
		size_t off;
	} c[] = {
		{"loops", WOFF(loops)}, {"rx.pkts", WOFF(rx_pkts)},
		{"rx.bytes", WOFF(rx_bytes)}, {"rx.dgrams", WOFF(rx_dgrams)},
		{"tx.pkts", WOFF(tx_pkts)}, {"tx.bytes", WOFF(tx_bytes)},
		{"copies", WOFF(copies)}, {"acks", WOFF(acks)},
		{"acks.duplicate", WOFF(dup_acks)},
		{"receipts", WOFF(receipts)}, {"pongs", WOFF(pongs)},
		{"arp.replies", WOFF(arp_replies)},
		{"nd.replies", WOFF(nd_replies)},
		{"echo.replies", WOFF(echo_replies)},
		{"neigh.solicits", WOFF(solicits)},
		{"neigh.answers", WOFF(neigh_in)},
		{"handover.out", WOFF(handed_over)},
		{"handover.in", WOFF(taken_over)},
		{"fanout.yields", WOFF(fanout_steps)},
		{"fanout.stalls", WOFF(fanout_stalls)},
	};
	uint64_t hz = rte_get_tsc_hz();
	char name[64];
	unsigned int i;
	int ret = 0;

	for (i = 0; i < RTE_DIM(c) && ret == 0; i++)
		ret = cb(arg, c[i].name, stat_of(d, wi, c[i].off));
	if (ret == 0)
		ret = cb(arg, "rx.max_gap_us", stat_max(d, wi,
			 WOFF(max_rx_gap_tsc)) * 1000000 / hz);
	for (i = 1; i < MR_FT_MAX && ret == 0; i++)
		ret = cb(arg, frame_names[i], stat_of(d, wi,
			 WOFF(frames) + i * sizeof(uint64_t)));
	for (i = 1; i < MR_REJ_MAX && ret == 0; i++)
		ret = cb(arg, reject_names[i], stat_of(d, wi,
			 WOFF(rejects) + i * sizeof(uint64_t)));
	for (i = 0; i < MR_FANOUT_HIST && ret == 0; i++)
		ret = cb(arg, hist_names[i], stat_of(d, wi,
			 WOFF(fanout_hist) + i * sizeof(uint64_t)));
	for (i = 1; i < MR_DROP_MAX && ret == 0; i++) {
		if (mr_drop_name(i) == NULL)
			continue;
		snprintf(name, sizeof(name), "drop.%s", mr_drop_name(i));
		ret = cb(arg, name, stat_of(d, wi,
			 WOFF(drops) + i * sizeof(uint64_t)));
	}
	for (i = 0; i < d->nb_ports && ret == 0; i++) {
		snprintf(name, sizeof(name), "port%u.rx.pkts", i);
		ret = cb(arg, name, stat_of(d, wi, WOFF(port_rx) +
			 d->port_ids[i] * sizeof(uint64_t)));
		snprintf(name, sizeof(name), "port%u.tx.pkts", i);
		if (ret == 0)
			ret = cb(arg, name, stat_of(d, wi, WOFF(port_tx) +
				 d->port_ids[i] * sizeof(uint64_t)));
	}
	return ret;
}

/*
 * Telemetry names allow [A-Za-z0-9_/-] only: the "." of our counter names
 * becomes "_" (rx.pkts -> rx_pkts, drop.tx_full -> drop_tx_full).
 */
static int
tel_add(void *arg, const char *name, uint64_t v)
{
	char n[RTE_TEL_MAX_STRING_LEN];
	size_t i;

	for (i = 0; name[i] != '\0' && i < sizeof(n) - 1; i++)
		n[i] = name[i] == '.' ? '_' : name[i];
	n[i] = '\0';
	return rte_tel_data_add_dict_u64(arg, n, v);
}

/* Only the drop counters, by reason name without the "drop." prefix. */
static int
tel_add_drop(void *arg, const char *name, uint64_t v)
{
	if (strncmp(name, "drop.", 5) != 0)
		return 0;
	return rte_tel_data_add_dict_u64(arg, name + 5, v);
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *t)
{
	rte_tel_data_start_dict(t);
	rte_tel_data_add_dict_u64(t, "workers", tdaemon->nb_workers);
	rte_tel_data_add_dict_u64(t, "ctl_requests", tdaemon->ctl_requests);
	rte_tel_data_add_dict_u64(t, "ctl_errors", tdaemon->ctl_errors);
	mr_stats_foreach(tdaemon, -1, tel_add, t);
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *t)
{
	rte_tel_data_start_dict(t);
	mr_stats_foreach(tdaemon, -1, tel_add_drop, t);
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
	mr_stats_foreach(tdaemon, wi, tel_add, t);
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
