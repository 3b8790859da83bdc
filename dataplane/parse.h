/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Zero-copy, bounds-checked parser for packets that may carry mrelay
 * datagrams. Two layers:
 *
 *  - mr_parse_l2l4() walks Ethernet, up to two VLAN tags, IPv4 or IPv6 (with
 *    options / extension headers) and UDP or ICMP, and classifies the packet.
 *  - mr_dgram_check() validates an mrelay datagram as a whole, then
 *    mr_frame_next() decodes its frames one by one into host-order views.
 *
 * Both read the mbuf only through rte_pktmbuf_read(), so a multi-segment
 * chain is handled and nothing is ever read past pkt_len. Lengths and offsets
 * are 32-bit. Nothing here allocates, frees or modifies the mbuf.
 */
#ifndef MRELAY_PARSE_H
#define MRELAY_PARSE_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "proto.h"

enum mr_drop_reason {
	MR_DROP_NONE = 0,
#define MR_DROP(sym, name, desc) MR_DROP_##sym,
#include "drop_reasons.def"
	MR_DROP_PARSE_MAX,	/* the parser's reasons end here */
#include "dp_drops.def"	/* the relay's own reasons */
#undef MR_DROP
	MR_DROP_MAX
};

/* Counter name of a parse drop reason, "none" for 0, NULL past the end. */
const char *mr_drop_name(unsigned int reason);
const char *mr_drop_desc(unsigned int reason);

enum mr_pkt_class {
	MR_PKT_DROP = 0,	/* malformed: reason says why */
	MR_PKT_UDP,		/* well-formed UDP over IPv4/IPv6 */
	MR_PKT_ARP,		/* ARP; l3_off points at it */
	MR_PKT_ICMP4,		/* ICMP over IPv4 */
	MR_PKT_ICMP6,		/* ICMPv6 (echo and neighbour discovery) */
};

/* Where the headers are and what they said. All offsets from packet start. */
struct mr_pkt_info {
	uint32_t l3_off;	/* IP (or ARP) header */
	uint32_t l4_off;	/* UDP or ICMP header */
	uint32_t l4_len;	/* UDP length / ICMP message length, trusted */
	uint32_t pay_off;	/* UDP payload */
	uint32_t pay_len;	/* UDP payload length, trusted */
	uint16_t vlan_tci[2];	/* outer, inner; in host order */
	uint16_t vlan_tpid[2];	/* host order, 0x8100 or 0x88a8 */
	uint8_t nb_vlan;	/* 0, 1 or 2 tags in the packet itself */
	uint8_t ip_version;	/* 4 or 6; 0 for ARP */
	uint8_t hop_limit;	/* IPv4 TTL / IPv6 hop limit */
	uint8_t l4_proto;	/* IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
	uint16_t sport;		/* host order */
	uint16_t dport;		/* host order */
	uint8_t src[16];	/* IPv4 in the first 4 bytes */
	uint8_t dst[16];
};

/* What the parser is asked to verify in software. */
struct mr_parse_cfg {
	/* Verify the UDP checksum when the port did not (RX offload flags say
	 * unknown). Hardware verdicts (GOOD/BAD) are always honoured. */
	unsigned int verify_l4_csum:1;
};

/*
 * Classify packet m and fill pi. On MR_PKT_DROP, *reason is set to a
 * MR_DROP_* value; otherwise *reason is MR_DROP_NONE and every offset in pi
 * lies within the packet. Lengths are checked against everything containing
 * them: the UDP length against the IP length against the packet. Ethernet
 * padding after the IP packet is ignored. IPv4 and IPv6 fragments are dropped
 * (see docs/protocol.md, "Fragments").
 */
enum mr_pkt_class mr_parse_l2l4(const struct rte_mbuf *m,
				const struct mr_parse_cfg *cfg,
				struct mr_pkt_info *pi, unsigned int *reason);

/*
 * Raw one's-complement sum (reduced, not inverted) of len bytes at off over
 * a segment chain, right for segments of odd length (DPDK 22.11's
 * rte_raw_cksum_mbuf() is not). 0, or -1 if the range is not in the packet.
 */
int mr_raw_cksum_chain(const struct rte_mbuf *m, uint32_t off, uint32_t len,
		       uint16_t *cksum);

/*
 * Software check of the UDP checksum of a packet that mr_parse_l2l4()
 * classified as MR_PKT_UDP. Returns 1 if it is right, 0 if not.
 */
int mr_udp_csum_ok(const struct rte_mbuf *m, const struct mr_pkt_info *pi);

/* Host-order view of one frame. Fields not used by a type are zero. */
struct mr_frame_view {
	uint32_t off;		/* frame start in the packet */
	uint16_t len;		/* whole frame */
	uint8_t type;
	uint8_t flags;
	uint8_t dst_kind;	/* MSG, ACK, REJECT, RECEIPT, NAK */
	uint8_t subject_len;	/* MSG to a topic */
	uint8_t rcpt_kind;	/* RECEIPT */
	uint16_t reason;	/* REJECT */
	uint64_t user;		/* MSG/ACK/REJECT sender, RECEIPT from, NAK user */
	uint32_t device;	/* sender / from / NAK device */
	uint32_t rcpt_device;	/* MSG rcpt, RECEIPT to_device */
	uint64_t rcpt_user;	/* MSG rcpt, RECEIPT to_user */
	uint64_t msg_id;	/* client message id; PING token */
	uint64_t dst_id;
	uint64_t seq;		/* MSG/ACK/RECEIPT seq; NAK from_seq */
	uint64_t seq_end;	/* NAK to_seq */
	uint64_t ts;		/* relay_ts; PING/PONG relay_ts */
	uint64_t sender_ts;	/* PING/PONG */
	uint32_t subject_off;	/* MSG: packet offset of the subject */
	uint32_t payload_off;	/* MSG: packet offset of the payload */
	uint32_t payload_len;
};

/* Cursor over the frames of one validated datagram. */
struct mr_frame_iter {
	const struct rte_mbuf *m;
	uint32_t off;		/* next frame */
	uint32_t end;		/* end of the datagram */
	uint16_t left;		/* frames not yet returned */
	uint8_t dgram_flags;
};

/*
 * Validate the mrelay datagram of dgram_len bytes at packet offset off: the
 * header, and that the frame lengths chain exactly to the end of the datagram
 * in exactly nframes frames. Returns MR_DROP_NONE and initialises it, or the
 * reason to drop the whole datagram.
 */
unsigned int mr_dgram_check(const struct rte_mbuf *m, uint32_t off,
			    uint32_t dgram_len, struct mr_frame_iter *it);

/*
 * Decode the next frame of a datagram that passed mr_dgram_check(). Returns
 * 1 with *v filled, 0 when no frame is left, or -reason for a frame that is
 * dropped on its own (the caller counts it and calls again for the next one).
 */
int mr_frame_next(struct mr_frame_iter *it, struct mr_frame_view *v);

/* Fixed size of a frame type, 0 for an unknown type. */
uint16_t mr_frame_min_len(uint8_t type);

#endif /* MRELAY_PARSE_H */
