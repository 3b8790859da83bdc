/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * The worker loop: receive a burst on each of its queues, parse, count,
 * free; report an RCU quiescent state once per loop. The relay logic (route,
 * stamp, fan out, ACK) plugs in at dp_frame() (issue 4).
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "fanout.h"
#include "parse.h"
#include "relay.h"
#include "worker.h"

RTE_LOG_REGISTER(mr_dp_logtype, mrelay.dp, INFO);
#define DP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, mr_dp_logtype, "dp: " fmt "\n", ##__VA_ARGS__)

int
mr_relay_is_ours(const struct mr_relay_addrs *a, int ip_version,
		 const uint8_t *addr)
{
	unsigned int i;

	if (ip_version == 4) {
		for (i = 0; i < a->nb_ipv4; i++)
			if (memcmp(addr, a->ipv4[i], 4) == 0)
				return 1;
	} else {
		for (i = 0; i < a->nb_ipv6; i++)
			if (memcmp(addr, a->ipv6[i], 16) == 0)
				return 1;
	}
	return 0;
}

unsigned int
mr_relay_dst_check(const struct mr_relay_addrs *a,
		   const struct mr_pkt_info *pi)
{
	unsigned int i;

	if (!mr_relay_is_ours(a, pi->ip_version, pi->dst))
		return MR_DROP_NOT_OUR_ADDR;
	for (i = 0; i < a->nb_udp_ports; i++)
		if (pi->dport == a->udp_ports[i])
			return MR_DROP_NONE;
	return MR_DROP_NOT_OUR_PORT;
}

/* One datagram: validate, then hand each valid frame to the relay. */
static void
dp_dgram(struct mr_worker *w, struct rte_mbuf *m,
	 const struct mr_pkt_info *pi)
{
	struct mr_frame_iter it;
	struct mr_frame_view v;
	unsigned int r;
	int ret;

	r = mr_dgram_check(m, pi->pay_off, pi->pay_len, &it);
	if (r != MR_DROP_NONE) {
		w->st.drops[r]++;
		return;
	}
	w->st.rx_dgrams++;
	while ((ret = mr_frame_next(&it, &v)) != 0) {
		if (ret < 0) {
			w->st.drops[-ret]++;
			continue;
		}
		w->st.frames[v.type]++;
		mr_relay_frame(w, m, pi, &v);
	}
}

static void
dp_packet(struct mr_worker *w, struct rte_mbuf *m)
{
	struct mr_pkt_info pi;
	unsigned int r;
	int cls;

	cls = mr_parse_l2l4(m, &w->parse, &pi, &r);
	switch (cls) {
	case MR_PKT_UDP:
		r = mr_relay_dst_check(w->addrs, &pi);
		if (r == MR_DROP_NONE) {
			dp_dgram(w, m, &pi);
			return;
		}
		break;
	case MR_PKT_ARP:
	case MR_PKT_ICMP4:
	case MR_PKT_ICMP6:
		r = mr_neigh_input(w, m, &pi, cls);
		break;
	default:
		break;
	}
	if (r != MR_DROP_NONE)
		w->st.drops[r]++;
}

int
mr_worker_main(void *arg)
{
	struct mr_worker *w = arg;
	struct rte_mbuf *pkts[MR_MAX_BURST];
	uint64_t prev;
	uint16_t i, q, n, got;

	if (rte_rcu_qsbr_thread_register(w->qs, w->idx) != 0) {
		DP_LOG(ERR, "worker %u: RCU register failed", w->idx);
		return -1;
	}
	rte_rcu_qsbr_thread_online(w->qs, w->idx);
	DP_LOG(INFO, "worker %u on lcore %u: %u RX queues", w->idx,
	       w->lcore_id, w->nb_rxq);

	prev = rte_rdtsc();
	while (!__atomic_load_n(w->quit, __ATOMIC_RELAXED)) {
		w->now = rte_rdtsc();
		/* how long RX went unserved: bounded by the fan-out chunk */
		if (w->now - prev > w->st.max_rx_gap_tsc)
			w->st.max_rx_gap_tsc = w->now - prev;
		prev = w->now;
		w->st.loops++;
		got = 0;
		for (q = 0; q < w->nb_rxq; q++) {
			n = rte_eth_rx_burst(w->rxq[q].port, w->rxq[q].queue,
					     pkts, w->burst);
			if (n == 0)
				continue;
			got += n;
			w->st.rx_pkts += n;
			w->st.port_rx[w->rxq[q].port] += n;
			for (i = 0; i < n; i++) {
				if (i + 1 < n)
					rte_prefetch0(rte_pktmbuf_mtod(
						pkts[i + 1], void *));
				w->st.rx_bytes += pkts[i]->pkt_len;
				dp_packet(w, pkts[i]);
			}
			rte_pktmbuf_free_bulk(pkts, n);
		}
		if (w->relay->nb_workers > 1)
			mr_relay_handover(w);
		mr_fanout_run(w);
		/* a light load sends partial bursts at once, a heavy one
		 * after tx_drain_us at the latest */
		mr_tx_drain(w, w->now, got < w->burst);
		/* no table pointer is held past this point, except groups
		 * pinned by pending fan-outs */
		rte_rcu_qsbr_quiescent(w->qs, w->idx);
	}

	/* finish what is queued: release pending fan-outs and handovers */
	if (w->relay->nb_workers > 1)
		mr_relay_handover(w);
	mr_fanout_flush(w);
	mr_tx_drain(w, rte_rdtsc(), 1);
	rte_rcu_qsbr_thread_offline(w->qs, w->idx);
	rte_rcu_qsbr_thread_unregister(w->qs, w->idx);
	DP_LOG(INFO, "worker %u stopped", w->idx);
	return 0;
}
