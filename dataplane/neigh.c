/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * The relay as a host: it answers ARP and IPv6 neighbour solicitations for
 * its addresses and ICMP/ICMPv6 echo, and resolves the MAC addresses of
 * endpoints that have no static one (ARP request / neighbour solicitation,
 * learnt from the answers). Endpoints are on-link: for one behind a router,
 * configure the router's MAC as the endpoint's static MAC.
 *
 * Echo and ARP replies turn the received packet around in place (no
 * allocation); its VLAN tags stay as they were.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "fanout.h"
#include "relay.h"
#include "tables.h"
#include "worker.h"

#define ND_NS		135
#define ND_NA		136
#define ICMP6_ECHO_REQ	128
#define ICMP6_ECHO_REP	129
#define ND_OPT_SLLA	1
#define ND_OPT_TLLA	2

static inline uint64_t
mac_word(const struct rte_ether_addr *a)
{
	uint64_t v = 0;

	memcpy(&v, a->addr_bytes, RTE_ETHER_ADDR_LEN);
	return v | MR_NEIGH_VALID;
}

/* Record mac for every endpoint at addr (ARP/ND answers; rare). */
static void
learn(struct mr_worker *w, int ipv, const uint8_t *addr,
      const struct rte_ether_addr *mac)
{
	const struct mr_tables *t = w->tables;
	uint32_t i;

	for (i = 0; i < t->cfg.max_endpoints; i++) {
		const struct mr_endpoint *ep = mr_tables_endpoint(t, i);

		if (ep == NULL || ep->ip_version != ipv || ep->has_mac ||
		    memcmp(ep->addr, addr, ipv == 4 ? 4 : 16) != 0)
			continue;
		__atomic_store_n(&w->relay->neigh[i].mac, mac_word(mac),
				 __ATOMIC_RELAXED);
	}
}

/* Queue a packet we built on port; the TX path owns it from here. */
static void
queue_pkt(struct mr_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct mr_txq *q = &w->txq[port];

	if (q->n == 0)
		q->since = w->now;
	q->m[q->n++] = m;
	w->st.tx_bytes += m->pkt_len;
	if (q->n == MR_TX_BURST)
		mr_tx_drain(w, w->now, 1);
}

/*
 * Turn a received packet around: back to its sender from our MAC. One
 * more reference is taken, since the RX loop frees its own.
 */
static void
send_in_place(struct mr_worker *w, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&w->relay->ports[m->port].mac, &eth->src_addr);
	rte_mbuf_refcnt_update(m, 1);
	queue_pkt(w, m->port, m);
}

static unsigned int
arp_input(struct mr_worker *w, struct rte_mbuf *m,
	  const struct mr_pkt_info *pi)
{
	struct rte_arp_hdr *a;
	uint32_t tip;

	if (rte_pktmbuf_data_len(m) < pi->l3_off + sizeof(*a))
		return MR_DROP_ARP_UNHANDLED;
	a = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, pi->l3_off);
	if (a->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != 4)
		return MR_DROP_ARP_UNHANDLED;
	/* an answer, or a request from an endpoint: learn its MAC */
	learn(w, 4, (const uint8_t *)&a->arp_data.arp_sip,
	      &a->arp_data.arp_sha);
	tip = a->arp_data.arp_tip;
	if (a->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY)) {
		w->st.neigh_in++;
		return MR_DROP_NONE;
	}
	if (a->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST) ||
	    !mr_relay_is_ours(w->addrs, 4, (const uint8_t *)&tip))
		return MR_DROP_ARP_UNHANDLED;
	a->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	a->arp_data.arp_tha = a->arp_data.arp_sha;
	a->arp_data.arp_tip = a->arp_data.arp_sip;
	a->arp_data.arp_sha = w->relay->ports[m->port].mac;
	a->arp_data.arp_sip = tip;
	send_in_place(w, m);
	w->st.arp_replies++;
	return MR_DROP_NONE;
}

static unsigned int
icmp4_input(struct mr_worker *w, struct rte_mbuf *m,
	    const struct mr_pkt_info *pi)
{
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *ic;
	uint32_t sum;

	if (!mr_relay_is_ours(w->addrs, 4, pi->dst) || m->nb_segs != 1 ||
	    pi->l4_off + sizeof(*ic) > rte_pktmbuf_data_len(m))
		return MR_DROP_ICMP_UNHANDLED;
	ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, pi->l4_off);
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0)
		return MR_DROP_ICMP_UNHANDLED;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, pi->l3_off);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	/* incremental update (RFC 1624): type 8 -> 0 */
	sum = (~rte_be_to_cpu_16(ic->icmp_cksum) & 0xffff) + 0xf7ff;
	sum = (sum & 0xffff) + (sum >> 16);
	ic->icmp_cksum = rte_cpu_to_be_16(~sum & 0xffff);
	RTE_SWAP(ip->src_addr, ip->dst_addr);
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	send_in_place(w, m);
	w->st.echo_replies++;
	return MR_DROP_NONE;
}

/* Link-layer address option of type want in an ND message, or NULL. */
static const struct rte_ether_addr *
nd_lladdr(const uint8_t *opt, uint32_t len, uint8_t want)
{
	while (len >= 8) {
		uint32_t olen = (uint32_t)opt[1] * 8;

		if (olen == 0 || olen > len)
			return NULL;
		if (opt[0] == want && olen == 8)
			return (const struct rte_ether_addr *)(opt + 2);
		opt += olen;
		len -= olen;
	}
	return NULL;
}

/*
 * Build a neighbour advertisement or solicitation into m from the relay
 * (src) to dst on port, for target, with our MAC as the option.
 */
static void
nd_build(struct mr_worker *w, struct rte_mbuf *m, uint16_t port,
	 const struct mr_l2l4 *h, uint8_t type, const uint8_t *target)
{
	uint32_t l3 = sizeof(struct rte_ether_hdr) + 4u * h->nb_vlan;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip;
	uint8_t *icmp, *p = (uint8_t *)eth;
	unsigned int i;
	uint16_t cs;

	rte_ether_addr_copy(&h->dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&w->relay->ports[port].mac, &eth->src_addr);
	for (i = 0; i < h->nb_vlan; i++) {
		*(uint16_t *)(p + 12 + 4 * i) = rte_cpu_to_be_16(h->vlan_tpid[i]);
		*(uint16_t *)(p + 14 + 4 * i) = rte_cpu_to_be_16(h->vlan_tci[i]);
	}
	*(uint16_t *)(p + l3 - 2) = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	ip = (struct rte_ipv6_hdr *)(p + l3);
	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = RTE_BE16(32);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = 255;
	memcpy(ip->src_addr, h->src, 16);
	memcpy(ip->dst_addr, h->dst, 16);
	icmp = (uint8_t *)(ip + 1);
	memset(icmp, 0, 32);
	icmp[0] = type;
	if (type == ND_NA)
		icmp[4] = 0x60;		/* solicited, override */
	memcpy(icmp + 8, target, 16);
	icmp[24] = type == ND_NA ? ND_OPT_TLLA : ND_OPT_SLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, w->relay->ports[port].mac.addr_bytes, 6);
	m->data_len = m->pkt_len = l3 + 40 + 32;
	cs = rte_ipv6_udptcp_cksum(ip, icmp);
	/* rte_ipv6_udptcp_cksum maps 0 to 0xffff for UDP only */
	*(uint16_t *)(icmp + 2) = cs;
}

static unsigned int
icmp6_input(struct mr_worker *w, struct rte_mbuf *m,
	    const struct mr_pkt_info *pi)
{
	uint32_t len = pi->l4_len;
	struct rte_ipv6_hdr *ip;
	const struct rte_ether_addr *ll;
	struct mr_l2l4 h;
	struct rte_mbuf *na;
	uint8_t *ic;
	uint16_t cs;

	if (m->nb_segs != 1 || pi->l4_off != pi->l3_off + sizeof(*ip) ||
	    pi->l4_off + len > rte_pktmbuf_data_len(m) || len < 8)
		return MR_DROP_ICMP_UNHANDLED;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, pi->l3_off);
	ic = (uint8_t *)(ip + 1);
	if (rte_ipv6_udptcp_cksum_verify(ip, ic) != 0)
		return MR_DROP_ICMP_UNHANDLED;

	if ((ic[0] == ND_NS || ic[0] == ND_NA) && len >= 24) {
		if (pi->hop_limit != 255)
			return MR_DROP_ICMP_UNHANDLED;
		ll = nd_lladdr(ic + 24, len - 24,
			       ic[0] == ND_NS ? ND_OPT_SLLA : ND_OPT_TLLA);
		if (ll != NULL)
			learn(w, 6, ic[0] == ND_NS ? pi->src : ic + 8, ll);
		if (ic[0] == ND_NA) {
			w->st.neigh_in++;
			return MR_DROP_NONE;
		}
		if (!mr_relay_is_ours(w->addrs, 6, ic + 8))
			return MR_DROP_ICMP_UNHANDLED;
		if (ll == NULL)
			return MR_DROP_ICMP_UNHANDLED;	/* DAD: not answered */
		na = rte_pktmbuf_alloc(w->pool);
		if (na == NULL)
			return MR_DROP_DP_NO_MBUF;
		memset(&h, 0, sizeof(h));
		h.dst_mac = *ll;
		h.nb_vlan = pi->nb_vlan;
		memcpy(h.vlan_tpid, pi->vlan_tpid, sizeof(h.vlan_tpid));
		memcpy(h.vlan_tci, pi->vlan_tci, sizeof(h.vlan_tci));
		memcpy(h.src, ic + 8, 16);
		memcpy(h.dst, pi->src, 16);
		nd_build(w, na, m->port, &h, ND_NA, ic + 8);
		queue_pkt(w, m->port, na);
		w->st.nd_replies++;
		return MR_DROP_NONE;
	}
	if (ic[0] != ICMP6_ECHO_REQ || ic[1] != 0 ||
	    !mr_relay_is_ours(w->addrs, 6, pi->dst))
		return MR_DROP_ICMP_UNHANDLED;
	ic[0] = ICMP6_ECHO_REP;
	RTE_SWAP(*(uint64_t *)ip->src_addr, *(uint64_t *)ip->dst_addr);
	RTE_SWAP(*(uint64_t *)(ip->src_addr + 8),
		 *(uint64_t *)(ip->dst_addr + 8));
	ip->hop_limits = 64;
	*(uint16_t *)(ic + 2) = 0;
	cs = rte_ipv6_udptcp_cksum(ip, ic);
	*(uint16_t *)(ic + 2) = cs;
	send_in_place(w, m);
	w->st.echo_replies++;
	return MR_DROP_NONE;
}

unsigned int
mr_neigh_input(struct mr_worker *w, struct rte_mbuf *m,
	       const struct mr_pkt_info *pi, int cls)
{
	switch (cls) {
	case MR_PKT_ARP:
		return arp_input(w, m, pi);
	case MR_PKT_ICMP4:
		return icmp4_input(w, m, pi);
	default:
		return icmp6_input(w, m, pi);
	}
}

void
mr_neigh_solicit(struct mr_worker *w, uint32_t ep_id)
{
	struct mr_relay *r = w->relay;
	const struct mr_endpoint *ep = mr_tables_endpoint(w->tables, ep_id);
	uint64_t last = __atomic_load_n(&r->neigh[ep_id].last_solicit,
					__ATOMIC_RELAXED);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *a;
	struct rte_mbuf *m;
	struct mr_l2l4 h;
	uint32_t l3;

	if (ep == NULL || w->now - last < r->solicit_tsc ||
	    !__atomic_compare_exchange_n(&r->neigh[ep_id].last_solicit, &last,
					 w->now, 0, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED))
		return;		/* asked recently, or another worker asks */
	if ((ep->ip_version == 4 && w->addrs->nb_ipv4 == 0) ||
	    (ep->ip_version == 6 && w->addrs->nb_ipv6 == 0))
		return;
	m = rte_pktmbuf_alloc(w->pool);
	if (m == NULL)
		return;
	memset(&h, 0, sizeof(h));
	h.nb_vlan = ep->vlan != 0;
	h.vlan_tpid[0] = RTE_ETHER_TYPE_VLAN;
	h.vlan_tci[0] = ep->vlan;
	l3 = sizeof(*eth) + 4u * h.nb_vlan;
	m->port = ep->port_id;
	if (ep->ip_version == 6) {
		/* solicited-node multicast ff02::1:ffXX:XXXX */
		static const uint8_t snm[13] = {0xff, 0x02, [11] = 1, 0xff};

		memcpy(h.dst, snm, 13);
		memcpy(h.dst + 13, ep->addr + 13, 3);
		memcpy(h.src, w->addrs->ipv6[0], 16);
		h.dst_mac.addr_bytes[0] = 0x33;
		h.dst_mac.addr_bytes[1] = 0x33;
		memcpy(h.dst_mac.addr_bytes + 2, h.dst + 12, 4);
		nd_build(w, m, ep->port_id, &h, ND_NS, ep->addr);
	} else {
		eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
		rte_ether_addr_copy(&r->ports[ep->port_id].mac, &eth->src_addr);
		if (h.nb_vlan) {
			eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
			*(uint16_t *)((uint8_t *)eth + 14) =
				rte_cpu_to_be_16(ep->vlan);
		}
		*(uint16_t *)((uint8_t *)eth + l3 - 2) =
			RTE_BE16(RTE_ETHER_TYPE_ARP);
		a = (struct rte_arp_hdr *)((uint8_t *)eth + l3);
		a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
		a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		a->arp_hlen = RTE_ETHER_ADDR_LEN;
		a->arp_plen = 4;
		a->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
		a->arp_data.arp_sha = r->ports[ep->port_id].mac;
		memcpy(&a->arp_data.arp_sip, w->addrs->ipv4[0], 4);
		memset(&a->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
		memcpy(&a->arp_data.arp_tip, ep->addr, 4);
		/* pad to the Ethernet minimum with zeros, not old bytes */
		m->data_len = m->pkt_len = RTE_MAX(l3 + sizeof(*a), 60u);
		memset((uint8_t *)a + sizeof(*a), 0,
		       m->data_len - l3 - sizeof(*a));
	}
	queue_pkt(w, ep->port_id, m);
	w->st.solicits++;
}
