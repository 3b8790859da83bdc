/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * A worker: one pinned lcore that owns one RX and one TX queue on every
 * port, its mempools, its conversations and its counters, and runs to
 * completion. Everything here is written by the worker alone.
 */
#ifndef MRELAY_WORKER_H
#define MRELAY_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "dedup.h"
#include "parse.h"
#include "proto.h"
#include "relay.h"

#define MR_MAX_PORTS	16
#define MR_MAX_WORKERS	64
#define MR_MAX_BURST	512
#define MR_FANOUT_HIST	8	/* buckets: 0, 1, 2-7, 8-63, 64-1023, 1K-64K, 64K-1M, >1M */

/* Counters of one worker; written only by it, read by anyone. */
struct mr_wstats {
	uint64_t loops;
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t rx_dgrams;		/* well-formed mrelay datagrams */
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t copies;		/* MSG copies built */
	uint64_t acks;
	uint64_t dup_acks;		/* retransmits answered, not delivered */
	uint64_t receipts;		/* RECEIPT copies built */
	uint64_t pongs;
	uint64_t arp_replies;
	uint64_t nd_replies;
	uint64_t echo_replies;
	uint64_t solicits;		/* ARP/ND requests for endpoints */
	uint64_t neigh_in;		/* ARP replies / NAs received (learnt
					 * if from an endpoint) */
	uint64_t handed_over;		/* frames sent to their owner worker */
	uint64_t taken_over;		/* frames received from another worker */
	uint64_t fanout_steps;		/* fan-out chunks that yielded to RX */
	uint64_t fanout_stalls;		/* fan-outs paused: no mbuf for a copy */
	uint64_t max_rx_gap_tsc;	/* longest time between two RX polls */
	uint64_t port_rx[MR_MAX_PORTS];
	uint64_t port_tx[MR_MAX_PORTS];
	uint64_t frames[MR_FT_MAX];	/* valid frames received, by type */
	uint64_t rejects[MR_REJ_MAX];	/* REJECTs sent, by reason */
	uint64_t fanout_hist[MR_FANOUT_HIST];
	uint64_t drops[MR_DROP_MAX];
} __rte_cache_aligned;

struct mr_rxq {
	uint16_t port;
	uint16_t queue;
};

struct mr_txq {
	uint16_t n;
	uint64_t since;			/* TSC of the oldest queued packet */
	struct rte_mbuf *m[MR_TX_BURST];
};

/* Sequence state of a group conversation, by group position. */
struct mr_gseq {
	uint64_t id;			/* group id the counter belongs to */
	uint64_t seq;			/* last assigned; 0: unused (any id) */
};

struct mr_fanout;
struct mr_hdr;
struct mr_tables;

struct mr_worker {
	unsigned int lcore_id;
	unsigned int idx;		/* RCU thread id and queue id */
	uint16_t nb_rxq;
	uint16_t burst;
	struct mr_rxq rxq[MR_MAX_PORTS];
	struct rte_mempool *pool;	/* RX and packets we build */
	struct rte_mempool *hdr_pool;	/* header and indirect mbufs */
	struct rte_mempool *ho_pool;	/* handover descriptors */
	struct rte_rcu_qsbr *qs;
	struct mr_tables *tables;
	struct mr_relay *relay;
	struct mr_parse_cfg parse;
	const struct mr_relay_addrs *addrs;
	volatile bool *quit;
	uint64_t now;			/* TSC at the start of this loop */
	uint64_t seq_base;		/* first sequence number - 1 of a new
					 * conversation (0, or an epoch after
					 * an unclean stop) */
	/* conversations this worker owns */
	struct mr_gseq *gseq;		/* [group positions] */
	struct rte_hash *convs;		/* user pair -> index in conv_seq */
	uint64_t *conv_seq;
	struct mr_dedup dedup;
	/* pending fan-outs, FIFO */
	struct mr_fanout *fq;
	uint32_t fq_head, fq_tail;
	uint8_t stalled;		/* a fan-out found no mbuf this loop */
	struct mr_txq txq[MR_MAX_PORTS];
	struct mr_hdr *ephdr;		/* [max_endpoints]: copy headers */
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

/* Is addr (4 or 16 bytes by version) one of the relay's addresses? */
int mr_relay_is_ours(const struct mr_relay_addrs *a, int ip_version,
		     const uint8_t *addr);

#endif /* MRELAY_WORKER_H */
