/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Bounds-checked packet and datagram parser. See parse.h for the contract and
 * docs/protocol.md for the rules it enforces.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "parse.h"

#define IP6_MAX_EXT	8

static const char *const drop_names[] = {
	[MR_DROP_NONE] = "none",
#define MR_DROP(sym, name, desc) [MR_DROP_##sym] = name,
#include "drop_reasons.def"
#include "dp_drops.def"
#undef MR_DROP
	[MR_DROP_MAX] = NULL,
};

static const char *const drop_descs[] = {
	[MR_DROP_NONE] = "not dropped",
#define MR_DROP(sym, name, desc) [MR_DROP_##sym] = desc,
#include "drop_reasons.def"
#include "dp_drops.def"
#undef MR_DROP
	[MR_DROP_MAX] = NULL,
};

const char *
mr_drop_name(unsigned int reason)
{
	return reason < RTE_DIM(drop_names) ? drop_names[reason] : NULL;
}

const char *
mr_drop_desc(unsigned int reason)
{
	return reason < RTE_DIM(drop_descs) ? drop_descs[reason] : NULL;
}

/*
 * Pointer to len bytes at off, contiguous: into the mbuf when they sit in one
 * segment, else copied into buf. NULL if they run past pkt_len.
 */
static inline const void *
pkt_read(const struct rte_mbuf *m, uint32_t off, uint32_t len, void *buf)
{
	if ((uint64_t)off + len > rte_pktmbuf_pkt_len(m))
		return NULL;
	return rte_pktmbuf_read(m, off, len, buf);
}

static inline uint16_t
rd16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

static inline uint32_t
rd32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

static inline uint64_t
rd64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_64(v);
}

static enum mr_pkt_class
drop(unsigned int *reason, unsigned int r)
{
	*reason = r;
	return MR_PKT_DROP;
}

/* IPv4: returns the L4 protocol or -reason; fills offsets and addresses. */
static int
parse_ip4(const struct rte_mbuf *m, uint32_t off, uint32_t *ip_end,
	  struct mr_pkt_info *pi)
{
	struct rte_ipv4_hdr buf;
	const struct rte_ipv4_hdr *ip;
	uint8_t opts[60];
	const void *full;
	uint32_t ihl, total;

	ip = pkt_read(m, off, sizeof(*ip), &buf);
	if (ip == NULL)
		return -MR_DROP_IP4_TRUNCATED;
	if ((ip->version_ihl >> 4) != 4)
		return -MR_DROP_IP4_VERSION;
	ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	total = rte_be_to_cpu_16(ip->total_length);
	if (ihl < sizeof(*ip) || (uint64_t)off + ihl > rte_pktmbuf_pkt_len(m))
		return -MR_DROP_IP4_IHL;
	if (total < ihl || (uint64_t)off + total > rte_pktmbuf_pkt_len(m))
		return -MR_DROP_IP4_TOTAL_LEN;

	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
	    RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return -MR_DROP_IP4_CHECKSUM;
	/* GOOD and NONE (data not right, integrity verified) are verdicts */
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
	    RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN) {
		/* header with options, contiguous, for the software check */
		full = pkt_read(m, off, ihl, opts);
		if (full == NULL || rte_raw_cksum(full, ihl) != 0xffff)
			return -MR_DROP_IP4_CHECKSUM;
	}
	if (rte_be_to_cpu_16(ip->fragment_offset) &
	    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return -MR_DROP_IP4_FRAGMENT;

	memset(pi->src, 0, sizeof(pi->src));
	memset(pi->dst, 0, sizeof(pi->dst));
	memcpy(pi->src, &ip->src_addr, 4);
	memcpy(pi->dst, &ip->dst_addr, 4);
	if (pi->src[0] >= 224 || ip->src_addr == 0)
		return -MR_DROP_IP4_BAD_SRC;
	pi->ip_version = 4;
	pi->hop_limit = ip->time_to_live;
	pi->l4_off = off + ihl;
	*ip_end = off + total;
	return ip->next_proto_id;
}

/* IPv6 with its extension header chain, walked with bounds. */
static int
parse_ip6(const struct rte_mbuf *m, uint32_t off, uint32_t *ip_end,
	  struct mr_pkt_info *pi)
{
	struct rte_ipv6_hdr buf;
	const struct rte_ipv6_hdr *ip;
	uint8_t eb[2];
	const uint8_t *ext;
	uint32_t end, cur;
	uint8_t nh;
	unsigned int i;

	ip = pkt_read(m, off, sizeof(*ip), &buf);
	if (ip == NULL)
		return -MR_DROP_IP6_TRUNCATED;
	if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6)
		return -MR_DROP_IP6_VERSION;
	end = off + sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len);
	if (ip->payload_len == 0 || end > rte_pktmbuf_pkt_len(m))
		return -MR_DROP_IP6_PAYLOAD_LEN;
	memcpy(pi->src, ip->src_addr, 16);
	memcpy(pi->dst, ip->dst_addr, 16);
	if (pi->src[0] == 0xff ||
	    memcmp(pi->src, (const uint8_t[16]){0}, 16) == 0)
		return -MR_DROP_IP6_BAD_SRC;
	pi->ip_version = 6;
	pi->hop_limit = ip->hop_limits;

	nh = ip->proto;
	cur = off + sizeof(*ip);
	for (i = 0; ; i++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			break;
		case IPPROTO_FRAGMENT:
			return -MR_DROP_IP6_FRAGMENT;
		case IPPROTO_UDP:
		case IPPROTO_ICMPV6:
			pi->l4_off = cur;
			*ip_end = end;
			return nh;
		default:
			/* ESP, AH, no next header, and anything unknown */
			return -MR_DROP_IP6_EXT_UNSUPPORTED;
		}
		if (i == IP6_MAX_EXT)
			return -MR_DROP_IP6_EXT_TOO_MANY;
		if (cur + sizeof(eb) > end)
			return -MR_DROP_IP6_EXT_TRUNCATED;
		ext = pkt_read(m, cur, sizeof(eb), eb);
		if (ext == NULL)
			return -MR_DROP_IP6_EXT_TRUNCATED;
		nh = ext[0];
		/* length in 8-octet units, not counting the first 8: never 0 */
		cur += ((uint32_t)ext[1] + 1) * 8;
		if (cur > end)
			return -MR_DROP_IP6_EXT_TRUNCATED;
	}
}

enum mr_pkt_class
mr_parse_l2l4(const struct rte_mbuf *m, const struct mr_parse_cfg *cfg,
	      struct mr_pkt_info *pi, unsigned int *reason)
{
	struct rte_ether_hdr ebuf;
	const struct rte_ether_hdr *eth;
	struct rte_udp_hdr ubuf;
	const struct rte_udp_hdr *udp;
	uint8_t tbuf[4];
	const uint8_t *tag;
	uint32_t off, ip_end = 0, ulen;
	uint16_t et;
	int proto;

	*reason = MR_DROP_NONE;
	pi->nb_vlan = 0;
	pi->ip_version = 0;
	eth = pkt_read(m, 0, sizeof(*eth), &ebuf);
	if (eth == NULL)
		return drop(reason, MR_DROP_ETH_TRUNCATED);
	et = rte_be_to_cpu_16(eth->ether_type);
	off = sizeof(*eth);
	while (et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ) {
		if (pi->nb_vlan == 2)
			return drop(reason, MR_DROP_VLAN_TOO_MANY);
		tag = pkt_read(m, off, sizeof(tbuf), tbuf);
		if (tag == NULL)
			return drop(reason, MR_DROP_VLAN_TRUNCATED);
		pi->vlan_tpid[pi->nb_vlan] = et;
		pi->vlan_tci[pi->nb_vlan] = rd16(tag);
		pi->nb_vlan++;
		et = rd16(tag + 2);
		off += sizeof(tbuf);
	}
	pi->l3_off = off;

	switch (et) {
	case RTE_ETHER_TYPE_IPV4:
		proto = parse_ip4(m, off, &ip_end, pi);
		break;
	case RTE_ETHER_TYPE_IPV6:
		proto = parse_ip6(m, off, &ip_end, pi);
		break;
	case RTE_ETHER_TYPE_ARP:
		return MR_PKT_ARP;
	default:
		return drop(reason, MR_DROP_ETHERTYPE);
	}
	if (proto < 0)
		return drop(reason, -proto);
	pi->l4_proto = proto;

	/* ICMPv6 over IPv4 (or ICMP over IPv6) is no ICMP we know */
	if ((proto == IPPROTO_ICMP && pi->ip_version == 4) ||
	    (proto == IPPROTO_ICMPV6 && pi->ip_version == 6)) {
		if (pi->l4_off + 4 > ip_end)
			return drop(reason, MR_DROP_ICMP_TRUNCATED);
		pi->l4_len = ip_end - pi->l4_off;
		return proto == IPPROTO_ICMP ? MR_PKT_ICMP4 : MR_PKT_ICMP6;
	}
	if (proto != IPPROTO_UDP)
		return drop(reason, MR_DROP_L4_PROTO);

	udp = pkt_read(m, pi->l4_off, sizeof(*udp), &ubuf);
	if (udp == NULL || pi->l4_off + sizeof(*udp) > ip_end)
		return drop(reason, MR_DROP_UDP_TRUNCATED);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	/* trust the smallest consistent length: UDP <= IP <= packet */
	if (ulen < sizeof(*udp) || pi->l4_off + ulen > ip_end)
		return drop(reason, MR_DROP_UDP_LEN);
	pi->l4_len = ulen;
	pi->sport = rte_be_to_cpu_16(udp->src_port);
	pi->dport = rte_be_to_cpu_16(udp->dst_port);
	pi->pay_off = pi->l4_off + sizeof(*udp);
	pi->pay_len = ulen - sizeof(*udp);

	if (udp->dgram_cksum == 0 && pi->ip_version == 6)
		return drop(reason, MR_DROP_UDP6_ZERO_CSUM);
	switch (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
	case RTE_MBUF_F_RX_L4_CKSUM_BAD:
		return drop(reason, MR_DROP_UDP_CHECKSUM);
	case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
	case RTE_MBUF_F_RX_L4_CKSUM_NONE:	/* partial csum, data verified */
		break;
	default:
		if (cfg == NULL || !cfg->verify_l4_csum || udp->dgram_cksum == 0)
			break;
		if (mr_udp_csum_ok(m, pi) == 0)
			return drop(reason, MR_DROP_UDP_CHECKSUM);
	}
	return MR_PKT_UDP;
}

/*
 * Raw one's-complement sum of len bytes at off over a segment chain.
 * DPDK 22.11's rte_raw_cksum_mbuf() byte-swaps the unreduced 32-bit partial
 * sum of a segment that starts at an odd offset, losing its carries, so a
 * chain with an odd-length segment gets a wrong sum: reduce first, then swap.
 * Returns -1 if the range is not inside the packet.
 */
int
mr_raw_cksum_chain(const struct rte_mbuf *m, uint32_t off, uint32_t len,
		   uint16_t *cksum)
{
	const struct rte_mbuf *seg;
	uint32_t sum = 0, done = 0, n, part;

	if ((uint64_t)off + len > rte_pktmbuf_pkt_len(m))
		return -1;
	for (seg = m; seg != NULL && off >= seg->data_len; seg = seg->next)
		off -= seg->data_len;
	for (; seg != NULL && done < len; seg = seg->next, off = 0) {
		n = RTE_MIN((uint32_t)seg->data_len - off, len - done);
		part = __rte_raw_cksum_reduce(__rte_raw_cksum(
			rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), n, 0));
		if (done & 1)
			part = rte_bswap16((uint16_t)part);
		sum += part;
		done += n;
	}
	if (done != len)
		return -1;
	*cksum = __rte_raw_cksum_reduce(sum);
	return 0;
}

/*
 * Software check of the UDP checksum over a possibly multi-segment packet:
 * pseudo-header plus the UDP length (not the IP or packet length).
 */
int
mr_udp_csum_ok(const struct rte_mbuf *m, const struct mr_pkt_info *pi)
{
	uint32_t sum = 0;
	uint16_t len16 = rte_cpu_to_be_16(pi->l4_len);
	uint8_t proto[2] = {0, IPPROTO_UDP};
	uint16_t cs;

	if (pi->ip_version == 4) {
		sum = __rte_raw_cksum(pi->src, 4, sum);
		sum = __rte_raw_cksum(pi->dst, 4, sum);
	} else {
		sum = __rte_raw_cksum(pi->src, 16, sum);
		sum = __rte_raw_cksum(pi->dst, 16, sum);
	}
	sum = __rte_raw_cksum(proto, 2, sum);
	sum = __rte_raw_cksum(&len16, 2, sum);
	if (mr_raw_cksum_chain(m, pi->l4_off, pi->l4_len, &cs) != 0)
		return 0;
	sum += cs;
	return __rte_raw_cksum_reduce(sum) == 0xffff;
}

uint16_t
mr_frame_min_len(uint8_t type)
{
	switch (type) {
	case MR_FT_MSG:
		return sizeof(struct mr_msg);
	case MR_FT_ACK:
	case MR_FT_REJECT:
		return sizeof(struct mr_ack);
	case MR_FT_RECEIPT:
		return sizeof(struct mr_receipt);
	case MR_FT_NAK:
		return sizeof(struct mr_nak);
	case MR_FT_PING:
	case MR_FT_PONG:
		return sizeof(struct mr_ping);
	default:
		return 0;
	}
}

unsigned int
mr_dgram_check(const struct rte_mbuf *m, uint32_t off, uint32_t dgram_len,
	       struct mr_frame_iter *it)
{
	struct mr_dgram_hdr hbuf;
	const struct mr_dgram_hdr *h;
	uint8_t lbuf[2];
	const void *lp;
	uint32_t end, cur, flen;
	uint16_t nframes, n;

	if ((uint64_t)off + dgram_len > rte_pktmbuf_pkt_len(m))
		return MR_DROP_DGRAM_TRUNCATED;
	h = pkt_read(m, off, sizeof(*h), &hbuf);
	if (h == NULL || dgram_len < sizeof(*h))
		return MR_DROP_DGRAM_TRUNCATED;
	if (rte_be_to_cpu_16(h->magic) != MR_PROTO_MAGIC)
		return MR_DROP_DGRAM_MAGIC;
	if (h->version != MR_PROTO_VERSION)
		return MR_DROP_DGRAM_VERSION;
	if ((h->flags & ~MR_DGRAM_F_MASK) != 0 || h->reserved != 0)
		return MR_DROP_DGRAM_RESERVED;
	if (h->hdr_len < sizeof(*h) || h->hdr_len > dgram_len)
		return MR_DROP_DGRAM_HDR_LEN;
	nframes = rte_be_to_cpu_16(h->nframes);
	if (nframes == 0)
		return MR_DROP_DGRAM_NO_FRAMES;

	end = off + dgram_len;
	cur = off + h->hdr_len;
	for (n = 0; n < nframes; n++) {
		if (cur == end)
			return MR_DROP_FRAME_COUNT;
		if (cur + sizeof(struct mr_frame_hdr) > end)
			return MR_DROP_FRAME_TRUNCATED;
		lp = pkt_read(m, cur, sizeof(lbuf), lbuf);
		if (lp == NULL)
			return MR_DROP_FRAME_TRUNCATED;
		flen = rd16(lp);
		if (flen < sizeof(struct mr_frame_hdr))
			return MR_DROP_FRAME_LEN;
		if (cur + flen > end)
			return MR_DROP_FRAME_TRUNCATED;
		cur += flen;
	}
	if (cur != end)
		return MR_DROP_FRAME_COUNT;

	it->m = m;
	it->off = off + h->hdr_len;
	it->end = end;
	it->left = nframes;
	it->dgram_flags = h->flags;
	return MR_DROP_NONE;
}

static int
valid_dst_kind(uint8_t k)
{
	return k >= MR_DST_GROUP && k < MR_DST_MAX;
}

static int
decode_msg(const uint8_t *p, struct mr_frame_view *v)
{
	const struct mr_msg *f = (const struct mr_msg *)p;

	if (v->flags & ~MR_MSG_F_MASK || f->reserved != 0)
		return -MR_DROP_FRAME_RESERVED;
	v->dst_kind = f->dst_kind;
	if (!valid_dst_kind(v->dst_kind))
		return -MR_DROP_FRAME_DST_KIND;
	v->subject_len = f->subject_len;
	if (v->dst_kind == MR_DST_TOPIC ?
	    (v->subject_len == 0 ||
	     v->subject_len > v->len - sizeof(*f)) :
	    v->subject_len != 0)
		return -MR_DROP_FRAME_SUBJECT;
	v->user = rd64(&f->sender_user);
	v->device = rd32(&f->sender_device);
	v->rcpt_device = rd32(&f->rcpt_device);
	v->msg_id = rd64(&f->client_msg_id);
	v->dst_id = rd64(&f->dst_id);
	v->seq = rd64(&f->seq);
	v->ts = rd64(&f->relay_ts);
	v->rcpt_user = rd64(&f->rcpt_user);
	v->subject_off = v->off + sizeof(*f);
	v->payload_off = v->subject_off + v->subject_len;
	v->payload_len = v->len - sizeof(*f) - v->subject_len;
	return 1;
}

static int
decode_ack(const uint8_t *p, struct mr_frame_view *v)
{
	const struct mr_ack *f = (const struct mr_ack *)p;

	if (v->flags & ~MR_ACK_F_MASK || f->reserved != 0 ||
	    f->reserved2 != 0)
		return -MR_DROP_FRAME_RESERVED;
	v->dst_kind = f->dst_kind;
	if (!valid_dst_kind(v->dst_kind))
		return -MR_DROP_FRAME_DST_KIND;
	v->reason = rd16(&f->reason);
	v->user = rd64(&f->sender_user);
	v->device = rd32(&f->sender_device);
	v->msg_id = rd64(&f->client_msg_id);
	v->dst_id = rd64(&f->dst_id);
	v->seq = rd64(&f->seq);
	v->ts = rd64(&f->relay_ts);
	return 1;
}

static int
decode_receipt(const uint8_t *p, struct mr_frame_view *v)
{
	const struct mr_receipt *f = (const struct mr_receipt *)p;

	if (v->flags & ~MR_RECEIPT_F_MASK || f->reserved != 0)
		return -MR_DROP_FRAME_RESERVED;
	v->rcpt_kind = f->kind;
	if (v->rcpt_kind < MR_RCPT_DELIVERED || v->rcpt_kind >= MR_RCPT_MAX)
		return -MR_DROP_FRAME_RCPT_KIND;
	v->dst_kind = f->dst_kind;
	if (!valid_dst_kind(v->dst_kind))
		return -MR_DROP_FRAME_DST_KIND;
	v->user = rd64(&f->from_user);
	v->device = rd32(&f->from_device);
	v->rcpt_device = rd32(&f->to_device);
	v->rcpt_user = rd64(&f->to_user);
	v->dst_id = rd64(&f->dst_id);
	v->seq = rd64(&f->seq);
	v->ts = rd64(&f->relay_ts);
	return 1;
}

static int
decode_nak(const uint8_t *p, struct mr_frame_view *v)
{
	const struct mr_nak *f = (const struct mr_nak *)p;

	if (v->flags != 0 || f->reserved != 0 || f->reserved2 != 0 ||
	    f->reserved3 != 0)
		return -MR_DROP_FRAME_RESERVED;
	v->dst_kind = f->dst_kind;
	if (!valid_dst_kind(v->dst_kind))
		return -MR_DROP_FRAME_DST_KIND;
	v->user = rd64(&f->user);
	v->device = rd32(&f->device);
	v->dst_id = rd64(&f->dst_id);
	v->seq = rd64(&f->from_seq);
	v->seq_end = rd64(&f->to_seq);
	if (v->seq == 0 || v->seq > v->seq_end)
		return -MR_DROP_FRAME_NAK_RANGE;
	return 1;
}

static int
decode_ping(const uint8_t *p, struct mr_frame_view *v)
{
	const struct mr_ping *f = (const struct mr_ping *)p;

	if (v->flags != 0 || f->reserved != 0)
		return -MR_DROP_FRAME_RESERVED;
	v->msg_id = rd64(&f->token);
	v->sender_ts = rd64(&f->sender_ts);
	v->ts = rd64(&f->relay_ts);
	return 1;
}

int
mr_frame_next(struct mr_frame_iter *it, struct mr_frame_view *v)
{
	union {
		struct mr_msg msg;
		struct mr_ack ack;
		struct mr_receipt rcpt;
		struct mr_nak nak;
		struct mr_ping ping;
		uint8_t raw[sizeof(struct mr_frame_hdr)];
	} buf;
	const uint8_t *p;
	uint16_t min;

	if (it->left == 0)
		return 0;
	/* mr_dgram_check() proved the chain: these reads cannot fail */
	p = pkt_read(it->m, it->off, sizeof(struct mr_frame_hdr), &buf);
	memset(v, 0, sizeof(*v));
	v->off = it->off;
	v->len = rd16(p);
	v->type = p[2];
	v->flags = p[3];
	it->off += v->len;
	it->left--;

	min = mr_frame_min_len(v->type);
	if (min == 0)
		return -MR_DROP_FRAME_UNKNOWN;
	if (v->len < min)
		return -MR_DROP_FRAME_SHORT;
	p = pkt_read(it->m, v->off, min, &buf);
	if (p == NULL)
		return -MR_DROP_FRAME_SHORT;

	switch (v->type) {
	case MR_FT_MSG:
		return decode_msg(p, v);
	case MR_FT_ACK:
	case MR_FT_REJECT:
		return decode_ack(p, v);
	case MR_FT_RECEIPT:
		return decode_receipt(p, v);
	case MR_FT_NAK:
		return decode_nak(p, v);
	default:
		return decode_ping(p, v);
	}
}
