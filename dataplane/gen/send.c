/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Packets of the workload and the live sender.
 *
 * Every message is one datagram with one MSG frame, from the endpoint of
 * the sending device (10.x.y.z:7400, the generator's MAC) to the relay, UDP
 * checksum filled in. Receipts go the same way from the recipient's
 * endpoint.
 *
 * The sender paces messages on the TSC (--rate; 0: as fast as the TX queue
 * takes them), registers each with the verifier as it is built, and keeps
 * packets the TX queue refuses, in order, for the next turn: nothing is
 * dropped on the sending side. It waits while the verifier's window is full.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "gen.h"

void
gen_l2l4_to_relay(const struct gen_model *m, uint32_t ep, struct mr_l2l4 *h)
{
	const struct gen_opts *o = m->o;

	memset(h, 0, sizeof(*h));
	h->src_mac = o->gen_mac;
	h->dst_mac = o->relay_mac;
	h->ip_version = 4;
	h->ttl = 64;
	gen_ep_ip(ep, h->src);
	memcpy(h->dst, o->relay_ip, 4);
	h->sport = GEN_EP_PORT;
	h->dport = o->relay_port;
}

/* Datagram of one frame v behind the headers for endpoint ep. */
static uint32_t
build(const struct gen_model *m, uint32_t ep, const struct mr_frame_view *v,
      const uint8_t *pay, uint32_t pay_len, uint8_t *buf, uint32_t room)
{
	struct mr_l2l4 h;
	struct mr_enc e;
	uint32_t hl, n;

	gen_l2l4_to_relay(m, ep, &h);
	hl = mr_l2l4_len(&h);
	if (room <= hl)
		return 0;
	mr_enc_begin(&e, buf + hl, room - hl, 0);
	mr_enc_frame(&e, v, NULL, pay, pay_len);
	n = mr_enc_end(&e);
	if (n == 0 || mr_enc_l2l4(buf, &h, n) != hl)
		return 0;
	mr_enc_udp_csum(buf, &h);
	return hl + n;
}

uint32_t
gen_build_msg(const struct gen_model *m, const struct gen_msg *g, uint64_t ts,
	      uint8_t *buf, uint32_t room)
{
	uint8_t pay[GEN_PAY_MAX];
	struct mr_frame_view v = {
		.type = MR_FT_MSG,
		.dst_kind = g->direct ? MR_DST_USER : MR_DST_GROUP,
		.user = GEN_USER_BASE + g->su,
		.device = g->sd + 1,
		.msg_id = m->msgid_base + g->index,
		.dst_id = g->direct ? GEN_USER_BASE + g->target :
			GEN_GROUP_BASE + g->target,
	};

	gen_payload_fill(pay, g->pay_len, g->index, ts);
	return build(m, gen_dev_ep(m, g->su, g->sd), &v, pay, g->pay_len, buf,
		     room);
}

uint32_t
gen_build_receipt(const struct gen_model *m, uint32_t u, uint32_t d,
		  const struct mr_frame_view *copy, uint8_t *buf, uint32_t room)
{
	struct mr_frame_view v = {
		.type = MR_FT_RECEIPT,
		.rcpt_kind = MR_RCPT_DELIVERED,
		.dst_kind = copy->dst_kind,
		.user = copy->rcpt_user,
		.device = copy->rcpt_device,
		.rcpt_user = copy->user,
		.dst_id = copy->dst_id,
		.seq = copy->seq,
	};

	return build(m, gen_dev_ep(m, u, d), &v, NULL, 0, buf, room);
}

/* ------------------------------------------------------------- live */

int
gen_tx_init(struct gen_tx *tx, const struct gen_model *m,
	    struct gen_verify *v, struct gen_stats *st, uint16_t port,
	    struct rte_mempool *pool)
{
	const struct gen_opts *o = m->o;
	uint64_t hz = rte_get_tsc_hz();

	memset(tx, 0, sizeof(*tx));
	tx->m = m;
	tx->v = v;
	tx->st = st;
	tx->port = port;
	tx->pool = pool;
	tx->hz = hz;
	tx->mult = (uint64_t)(((unsigned __int128)1000000000ull << 32) / hz);
	tx->gap_tsc = o->rate > 0 ? (uint64_t)((double)hz / o->rate) : 0;
	return 0;
}

void
gen_tx_start(struct gen_tx *tx, uint64_t now_tsc)
{
	const struct gen_opts *o = tx->m->o;

	tx->tsc0 = now_tsc;
	tx->next_tsc = now_tsc;
	/* with a rate the workload is rate x duration messages, sent late
	 * rather than not at all if the machine stalls us; without one, the
	 * duration is a time limit */
	tx->end_tsc = tx->m->count == UINT64_MAX ?
		now_tsc + (uint64_t)(o->duration * (double)tx->hz) : 0;
	gen_verify_set_clock(tx->v, tx->tsc0, tx->mult);
}

uint64_t
gen_tx_ns(const struct gen_tx *tx, uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)(tsc - tx->tsc0) * tx->mult) >>
			  32);
}

/* Offer what is pending; keep the rest, in order. */
static void
flush(struct gen_tx *tx)
{
	uint16_t sent;

	if (tx->npend == 0)
		return;
	sent = rte_eth_tx_burst(tx->port, 0, tx->pend, tx->npend);
	tx->st->tx_pkts += sent;
	if (sent < tx->npend) {
		tx->st->tx_retries++;
		memmove(tx->pend, tx->pend + sent,
			(tx->npend - sent) * sizeof(tx->pend[0]));
	}
	tx->npend -= sent;
}

void
gen_tx_flush(struct gen_tx *tx)
{
	flush(tx);
}

/* Message tx->next into a new packet at the end of the pending queue. */
static int
queue_msg(struct gen_tx *tx, uint64_t now_tsc)
{
	struct rte_mbuf *mb = rte_pktmbuf_alloc(tx->pool);
	struct gen_msg g;
	uint64_t ts;
	uint32_t len;

	if (mb == NULL) {
		tx->st->tx_no_mbuf++;
		return -1;
	}
	gen_model_msg(tx->m, tx->next, &g);
	ts = rte_rdtsc();
	len = gen_build_msg(tx->m, &g, ts, rte_pktmbuf_mtod(mb, uint8_t *),
			    rte_pktmbuf_tailroom(mb));
	if (len == 0) {
		rte_pktmbuf_free(mb);
		return -1;
	}
	mb->data_len = mb->pkt_len = len;
	tx->pend[tx->npend++] = mb;
	gen_verify_sent(tx->v, &g, ts, gen_tx_ns(tx, now_tsc));
	tx->next++;
	return 0;
}

bool
gen_tx_poll(struct gen_tx *tx, uint64_t now_tsc)
{
	const struct gen_model *m = tx->m;
	bool stalled = false;

	flush(tx);
	/* at most a burst waits for the TX queue */
	while (!tx->done && tx->npend < GEN_TX_BURST && tx->next < m->count) {
		if (tx->end_tsc != 0 && now_tsc >= tx->end_tsc)
			break;
		if (tx->gap_tsc != 0 && tx->next_tsc > now_tsc)
			break;
		if (!gen_verify_room(tx->v)) {
			stalled = true;
			break;
		}
		if (queue_msg(tx, now_tsc) != 0)
			break;
		tx->next_tsc += tx->gap_tsc;
	}
	if (stalled && !tx->stalled)
		tx->st->window_stalls++;	/* episodes, not turns */
	tx->stalled = stalled;
	flush(tx);
	if (tx->next >= m->count ||
	    (tx->end_tsc != 0 && now_tsc >= tx->end_tsc))
		tx->done = true;
	return tx->done;
}

void
gen_tx_stop(struct gen_tx *tx)
{
	tx->done = true;
}

void
gen_tx_receipts(struct gen_tx *tx, const struct gen_rc_req *rc, uint16_t n)
{
	struct rte_mbuf *mb;
	uint32_t len;
	uint16_t i;

	for (i = 0; i < n; i++) {
		if (tx->npend == GEN_TX_PEND) {
			flush(tx);
			if (tx->npend == GEN_TX_PEND)
				return;		/* not sent, not expected */
		}
		mb = rte_pktmbuf_alloc(tx->pool);
		if (mb == NULL) {
			tx->st->tx_no_mbuf++;
			return;
		}
		len = gen_build_receipt(tx->m, rc[i].user, rc[i].dev,
					&rc[i].copy,
					rte_pktmbuf_mtod(mb, uint8_t *),
					rte_pktmbuf_tailroom(mb));
		if (len == 0) {
			rte_pktmbuf_free(mb);
			continue;
		}
		mb->data_len = mb->pkt_len = len;
		tx->pend[tx->npend++] = mb;
		gen_verify_receipt_sent(tx->v, &rc[i]);
	}
}

void
gen_tx_fini(struct gen_tx *tx)
{
	tx->st->tx_unsent += tx->npend;
	rte_pktmbuf_free_bulk(tx->pend, tx->npend);
	tx->npend = 0;
}

/* ---------------------------------------------------------------- ARP */

/* A broadcast ARP request for the relay's address, from endpoint 0. */
int
gen_arp_request(struct gen_tx *tx)
{
	struct rte_mbuf *mb = rte_pktmbuf_alloc(tx->pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *a;
	uint8_t ip[4];

	if (mb == NULL)
		return -1;
	eth = rte_pktmbuf_mtod(mb, struct rte_ether_hdr *);
	memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	eth->src_addr = tx->m->o->gen_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	a = (struct rte_arp_hdr *)(eth + 1);
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	a->arp_data.arp_sha = tx->m->o->gen_mac;
	gen_ep_ip(0, ip);
	memcpy(&a->arp_data.arp_sip, ip, 4);
	memset(&a->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
	memcpy(&a->arp_data.arp_tip, tx->m->o->relay_ip, 4);
	mb->data_len = mb->pkt_len = 60;
	memset((uint8_t *)(a + 1), 0, 60 - sizeof(*eth) - sizeof(*a));
	if (tx->npend == GEN_TX_PEND) {
		rte_pktmbuf_free(mb);
		return -1;
	}
	tx->pend[tx->npend++] = mb;
	flush(tx);
	return 0;
}

/*
 * An ARP packet: learn the relay's MAC from its answer (when mac is not
 * NULL), answer requests for our endpoints' addresses. Returns 1 if it was
 * ARP (the caller frees mb either way).
 */
int
gen_arp_input(struct gen_tx *tx, struct rte_mbuf *mb,
	      struct rte_ether_addr *mac)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(mb, struct rte_ether_hdr *);
	struct rte_arp_hdr *a;
	struct rte_mbuf *r;
	uint8_t tip[4];

	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_ARP))
		return 0;
	if (mb->data_len < sizeof(*eth) + sizeof(*a))
		return 1;
	a = (struct rte_arp_hdr *)(eth + 1);
	if (a->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY)) {
		if (mac != NULL &&
		    memcmp(&a->arp_data.arp_sip, tx->m->o->relay_ip, 4) == 0)
			*mac = a->arp_data.arp_sha;
		return 1;
	}
	memcpy(tip, &a->arp_data.arp_tip, 4);
	if (a->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST) ||
	    gen_ip_ep(tx->m, tip) < 0 || tx->npend == GEN_TX_PEND)
		return 1;
	r = rte_pktmbuf_copy(mb, tx->pool, 0, UINT32_MAX);
	if (r == NULL)
		return 1;
	eth = rte_pktmbuf_mtod(r, struct rte_ether_hdr *);
	a = (struct rte_arp_hdr *)(eth + 1);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = tx->m->o->gen_mac;
	a->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	a->arp_data.arp_tha = a->arp_data.arp_sha;
	a->arp_data.arp_tip = a->arp_data.arp_sip;
	a->arp_data.arp_sha = tx->m->o->gen_mac;
	memcpy(&a->arp_data.arp_sip, tip, 4);
	tx->pend[tx->npend++] = r;
	tx->st->arp_replies++;
	return 1;
}
