/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * The relay: what a worker does with the frames it receives. Shared,
 * read-only context (struct mr_relay) and the per-worker state that goes
 * with it (in struct mr_worker, worker.h).
 *
 * Ownership: every conversation (a group, a pair of users) has one owning
 * worker, mr_conv_owner(). The owner alone assigns its sequence numbers,
 * remembers its recent client message ids and runs its fan-outs, in arrival
 * order, so sequence numbers are strictly increasing without gaps and the
 * copies to any one endpoint leave in sequence order. A frame received by
 * another worker is handed to the owner through a single-producer,
 * single-consumer ring (one per ordered pair of workers).
 */
#ifndef MRELAY_RELAY_H
#define MRELAY_RELAY_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ring.h>

#include "encode.h"
#include "parse.h"

#define MR_TX_BURST		32
#define MR_FANOUT_QUEUE		256	/* pending fan-outs per worker */
#define MR_HANDOVER_RING	4096	/* frames in flight between two workers */
/*
 * Payloads up to this size are copied into each copy's header mbuf; larger
 * ones are attached as an indirect mbuf (zero copy). Measured with
 * scripts/bench-fanout.sh, see docs/performance.md ("Copy or clone").
 */
#define MR_COPY_THRESHOLD	512

/* A port as the fast path needs it. */
struct mr_port_info {
	struct rte_ether_addr mac;
	uint8_t present;
	uint8_t tx_multiseg;	/* can send chained mbufs */
	uint16_t mtu;		/* largest IP packet it sends */
};

/*
 * Resolved MAC addresses of endpoints, by endpoint id: one 64-bit word each
 * (48-bit MAC | valid bit), written by whichever worker sees the ARP or ND
 * answer, read by all. last_solicit rate-limits our requests.
 */
struct mr_neigh {
	uint64_t mac;		/* bit 63: valid */
	uint64_t last_solicit;	/* TSC */
};

#define MR_NEIGH_VALID	(1ull << 63)

/* Wall clock in ns from the TSC: ns = base_ns + (tsc - base_tsc) * mult >> 32 */
struct mr_clock {
	uint64_t base_ns;
	uint64_t base_tsc;
	uint64_t mult;
};

struct mr_tables;

struct mr_relay {
	struct mr_tables *tables;
	const struct mr_relay_addrs *addrs;
	struct mr_port_info ports[RTE_MAX_ETHPORTS];
	struct mr_neigh *neigh;		/* [max_endpoints] */
	unsigned int nb_workers;
	uint32_t fanout_chunk;
	uint32_t max_payload;
	uint64_t tsc_hz;
	uint64_t drain_tsc;		/* tx_drain_us in TSC cycles */
	uint64_t solicit_tsc;		/* min time between ARP/ND requests */
	struct mr_clock clock;
	/* ring[from][to]: frames handed from worker 'from' to owner 'to' */
	struct rte_ring *ring[64][64];
};

static inline uint64_t
mr_clock_ns(const struct mr_clock *c, uint64_t tsc)
{
	return c->base_ns + (uint64_t)(((unsigned __int128)(tsc - c->base_tsc) *
					c->mult) >> 32);
}

/* Owner of a group conversation. */
static inline unsigned int
mr_group_owner(const struct mr_relay *r, uint64_t group)
{
	return rte_hash_crc_8byte(group, 0x6d72) % r->nb_workers;
}

/* Owner of the direct conversation between users a and b. */
static inline unsigned int
mr_pair_owner(const struct mr_relay *r, uint64_t a, uint64_t b)
{
	uint64_t lo = a < b ? a : b, hi = a < b ? b : a;

	return rte_hash_crc_8byte(hi, rte_hash_crc_8byte(lo, 0x6d72)) %
		r->nb_workers;
}

/*
 * Where a reply to a received packet goes: back to its source, from the
 * relay address and port it was sent to, on the port it came in on, with the
 * same VLAN tags.
 */
struct mr_reply {
	uint16_t port;
	struct mr_l2l4 l2l4;
};

/* A frame handed to its conversation's owner. */
struct mr_handover {
	struct rte_mbuf *m;		/* one reference held for us */
	struct mr_frame_view v;
	struct mr_reply reply;
};

struct mr_worker;

/* Handle one valid frame received on worker w (parse.h view). */
void mr_relay_frame(struct mr_worker *w, struct rte_mbuf *m,
		    const struct mr_pkt_info *pi, const struct mr_frame_view *v);

/* Frames handed over to w by the other workers. */
void mr_relay_handover(struct mr_worker *w);

/* Run pending fan-outs for up to fanout_chunk copies. */
void mr_fanout_run(struct mr_worker *w);

/* Flush TX queues: all of them (force) or those older than drain_tsc. */
void mr_tx_drain(struct mr_worker *w, uint64_t now, int force);

/* ARP, ICMP echo, IPv6 ND and echo for the relay's addresses. */
unsigned int mr_neigh_input(struct mr_worker *w, struct rte_mbuf *m,
			    const struct mr_pkt_info *pi, int cls);

/* Ask for the MAC of endpoint ep (rate-limited). */
void mr_neigh_solicit(struct mr_worker *w, uint32_t ep_id);

/* Free what is left in the handover rings (all workers stopped). */
void mr_relay_drain_rings(struct mr_relay *r);

/* Reset per-worker relay state; 0 or -errno. */
int mr_relay_worker_init(struct mr_worker *w, uint32_t dedup_entries,
			 uint32_t max_convs, uint32_t max_groups);
void mr_relay_worker_fini(struct mr_worker *w);

#endif /* MRELAY_RELAY_H */
