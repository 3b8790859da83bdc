/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * A worker: one pinned lcore that owns one RX and one TX queue on every
 * port, its mempools and its counters, and runs to completion.
 */
#ifndef MRELAY_WORKER_H
#define MRELAY_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "parse.h"
#include "proto.h"

#define MR_MAX_PORTS	16
#define MR_MAX_WORKERS	64
#define MR_MAX_BURST	512

/* Counters of one worker; written only by it, read by anyone. */
struct mr_wstats {
	uint64_t loops;
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t rx_dgrams;		/* well-formed mrelay datagrams */
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t port_rx[MR_MAX_PORTS];
	uint64_t frames[MR_FT_MAX];	/* valid frames received, by type */
	uint64_t drops[MR_DROP_PARSE_MAX];
} __rte_cache_aligned;

struct mr_rxq {
	uint16_t port;
	uint16_t queue;
};

struct mr_tables;

struct mr_worker {
	unsigned int lcore_id;
	unsigned int idx;		/* RCU thread id and queue id */
	uint16_t nb_rxq;
	uint16_t burst;
	struct mr_rxq rxq[MR_MAX_PORTS];
	struct rte_mempool *pool;	/* RX and packets we build */
	struct rte_mempool *hdr_pool;	/* small header mbufs for copies */
	struct rte_rcu_qsbr *qs;
	struct mr_tables *tables;
	struct mr_parse_cfg parse;
	/* relay addresses and ports, host copy for the fast path */
	const struct mr_relay_addrs *addrs;
	volatile bool *quit;
	struct mr_wstats st;
} __rte_cache_aligned;

/* The relay's own addresses, read-only after start. */
struct mr_relay_addrs {
	uint8_t ipv4[16][4];
	uint8_t ipv6[16][16];
	uint16_t udp_ports[8];
	unsigned int nb_ipv4, nb_ipv6, nb_udp_ports;
};

/* lcore entry point: arg is a struct mr_worker. Returns 0 when *quit. */
int mr_worker_main(void *arg);

/* Is the destination address and port of pi one of ours? 0 or a reason. */
unsigned int mr_relay_dst_check(const struct mr_relay_addrs *a,
				const struct mr_pkt_info *pi);

#endif /* MRELAY_WORKER_H */
