/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Builders of whole test packets (L2-L4 + one mrelay datagram) on top of
 * the real encoder.
 */
#ifndef MRELAY_PKTGEN_UTIL_H
#define MRELAY_PKTGEN_UTIL_H

#include <string.h>

#include "encode.h"

static inline void
tp_flow(struct mr_l2l4 *h, int ipv, unsigned int nb_vlan)
{
	static const uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t d6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

	memset(h, 0, sizeof(*h));
	h->src_mac.addr_bytes[0] = 0x02;
	h->src_mac.addr_bytes[5] = 0x01;
	h->dst_mac.addr_bytes[0] = 0x02;
	h->dst_mac.addr_bytes[5] = 0x02;
	h->nb_vlan = nb_vlan;
	h->vlan_tpid[0] = nb_vlan == 2 ? RTE_ETHER_TYPE_QINQ : RTE_ETHER_TYPE_VLAN;
	h->vlan_tpid[1] = RTE_ETHER_TYPE_VLAN;
	h->vlan_tci[0] = 100;
	h->vlan_tci[1] = 200;
	h->ip_version = ipv;
	h->ttl = 64;
	if (ipv == 6) {
		memcpy(h->src, s6, 16);
		memcpy(h->dst, d6, 16);
	} else {
		memcpy(h->src, (uint8_t[]){192, 0, 2, 1}, 4);
		memcpy(h->dst, (uint8_t[]){192, 0, 2, 2}, 4);
	}
	h->sport = 40000;
	h->dport = MR_DEFAULT_UDP_PORT;
}

/* Wrap a datagram into a full packet in pkt; returns the packet length. */
static inline uint32_t
tp_wrap(uint8_t *pkt, const struct mr_l2l4 *h, const uint8_t *dg,
	uint32_t dg_len)
{
	uint32_t hl = mr_enc_l2l4(pkt, h, dg_len);

	memcpy(pkt + hl, dg, dg_len);
	mr_enc_udp_csum(pkt, h);
	return hl + dg_len;
}

static inline struct mr_frame_view
tp_msg(uint8_t dst_kind, uint64_t dst_id, uint8_t subject_len)
{
	struct mr_frame_view v = {
		.type = MR_FT_MSG,
		.dst_kind = dst_kind,
		.subject_len = subject_len,
		.user = 1001,
		.device = 2,
		.msg_id = 0x1122334455667788ull,
		.dst_id = dst_id,
	};
	return v;
}

#endif /* MRELAY_PKTGEN_UTIL_H */
