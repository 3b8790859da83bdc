/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Encoder for mrelay datagrams and their L2-L4 headers. See encode.h.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "encode.h"

static inline void
wr16(void *p, uint16_t v)
{
	v = rte_cpu_to_be_16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void
wr32(void *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void
wr64(void *p, uint64_t v)
{
	v = rte_cpu_to_be_64(v);
	memcpy(p, &v, sizeof(v));
}

void
mr_enc_begin(struct mr_enc *e, void *buf, uint32_t room, uint8_t flags)
{
	struct mr_dgram_hdr *h = buf;

	e->buf = buf;
	e->room = room;
	e->len = 0;
	e->nframes = 0;
	e->err = 0;
	if (room < sizeof(*h)) {
		e->err = -ENOSPC;
		return;
	}
	wr16(&h->magic, MR_PROTO_MAGIC);
	h->version = MR_PROTO_VERSION;
	h->flags = flags;
	h->hdr_len = sizeof(*h);
	h->reserved = 0;
	h->nframes = 0;
	e->len = sizeof(*h);
}

static void
enc_frame_hdr(uint8_t *p, uint16_t len, const struct mr_frame_view *v)
{
	wr16(p, len);
	p[2] = v->type;
	p[3] = v->flags;
}

uint32_t
mr_enc_msg_hdr(uint8_t *dst, const struct mr_frame_view *v,
	       const void *subject, uint32_t payload_len)
{
	struct mr_msg *f = (struct mr_msg *)dst;
	uint32_t len = sizeof(*f) + v->subject_len + payload_len;

	if (len > MR_FRAME_MAX)
		return 0;
	enc_frame_hdr(dst, len, v);
	f->dst_kind = v->dst_kind;
	f->subject_len = v->subject_len;
	f->reserved = 0;
	wr64(&f->sender_user, v->user);
	wr32(&f->sender_device, v->device);
	wr32(&f->rcpt_device, v->rcpt_device);
	wr64(&f->client_msg_id, v->msg_id);
	wr64(&f->dst_id, v->dst_id);
	wr64(&f->seq, v->seq);
	wr64(&f->relay_ts, v->ts);
	wr64(&f->rcpt_user, v->rcpt_user);
	if (v->subject_len != 0)
		memcpy(dst + sizeof(*f), subject, v->subject_len);
	return sizeof(*f) + v->subject_len;
}

static void
enc_ack(uint8_t *p, const struct mr_frame_view *v)
{
	struct mr_ack *f = (struct mr_ack *)p;

	f->dst_kind = v->dst_kind;
	f->reserved = 0;
	wr16(&f->reason, v->reason);
	wr64(&f->sender_user, v->user);
	wr32(&f->sender_device, v->device);
	f->reserved2 = 0;
	wr64(&f->client_msg_id, v->msg_id);
	wr64(&f->dst_id, v->dst_id);
	wr64(&f->seq, v->seq);
	wr64(&f->relay_ts, v->ts);
}

static void
enc_receipt(uint8_t *p, const struct mr_frame_view *v)
{
	struct mr_receipt *f = (struct mr_receipt *)p;

	f->kind = v->rcpt_kind;
	f->dst_kind = v->dst_kind;
	f->reserved = 0;
	wr64(&f->from_user, v->user);
	wr32(&f->from_device, v->device);
	wr32(&f->to_device, v->rcpt_device);
	wr64(&f->to_user, v->rcpt_user);
	wr64(&f->dst_id, v->dst_id);
	wr64(&f->seq, v->seq);
	wr64(&f->relay_ts, v->ts);
}

static void
enc_nak(uint8_t *p, const struct mr_frame_view *v)
{
	struct mr_nak *f = (struct mr_nak *)p;

	f->dst_kind = v->dst_kind;
	f->reserved = 0;
	f->reserved2 = 0;
	wr64(&f->user, v->user);
	wr32(&f->device, v->device);
	f->reserved3 = 0;
	wr64(&f->dst_id, v->dst_id);
	wr64(&f->from_seq, v->seq);
	wr64(&f->to_seq, v->seq_end);
}

static void
enc_ping(uint8_t *p, const struct mr_frame_view *v)
{
	struct mr_ping *f = (struct mr_ping *)p;

	f->reserved = 0;
	wr64(&f->token, v->msg_id);
	wr64(&f->sender_ts, v->sender_ts);
	wr64(&f->relay_ts, v->ts);
}

int
mr_enc_frame(struct mr_enc *e, const struct mr_frame_view *v,
	     const void *subject, const void *payload, uint32_t payload_len)
{
	uint8_t *p = e->buf + e->len;
	uint32_t need, hl;

	if (e->err != 0)
		return e->err;
	if (v->type == MR_FT_MSG) {
		if (v->subject_len != 0 && subject == NULL)
			return e->err = -EINVAL;
		need = sizeof(struct mr_msg) + v->subject_len + payload_len;
	} else {
		need = mr_frame_min_len(v->type);
		if (need == 0)
			return e->err = -EINVAL;
	}
	if (need > MR_FRAME_MAX || e->nframes == UINT16_MAX)
		return e->err = -EINVAL;
	if (need > e->room - e->len)
		return e->err = -ENOSPC;

	switch (v->type) {
	case MR_FT_MSG:
		hl = mr_enc_msg_hdr(p, v, subject, payload_len);
		if (payload_len != 0)
			memcpy(p + hl, payload, payload_len);
		break;
	case MR_FT_ACK:
	case MR_FT_REJECT:
		enc_frame_hdr(p, need, v);
		enc_ack(p, v);
		break;
	case MR_FT_RECEIPT:
		enc_frame_hdr(p, need, v);
		enc_receipt(p, v);
		break;
	case MR_FT_NAK:
		enc_frame_hdr(p, need, v);
		enc_nak(p, v);
		break;
	default:
		enc_frame_hdr(p, need, v);
		enc_ping(p, v);
		break;
	}
	e->len += need;
	e->nframes++;
	return 0;
}

uint32_t
mr_enc_end(struct mr_enc *e)
{
	struct mr_dgram_hdr *h = (struct mr_dgram_hdr *)e->buf;

	if (e->err != 0)
		return 0;
	wr16(&h->nframes, e->nframes);
	return e->len;
}

uint32_t
mr_l2l4_len(const struct mr_l2l4 *h)
{
	return sizeof(struct rte_ether_hdr) + 4u * h->nb_vlan +
		(h->ip_version == 6 ? sizeof(struct rte_ipv6_hdr) :
		 sizeof(struct rte_ipv4_hdr)) + sizeof(struct rte_udp_hdr);
}

uint32_t
mr_enc_l2l4(uint8_t *buf, const struct mr_l2l4 *h, uint32_t pay_len)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	uint32_t off = sizeof(*eth), udp_len = pay_len + sizeof(struct rte_udp_hdr);
	struct rte_udp_hdr *udp;
	unsigned int i;

	if (h->nb_vlan > 2 || udp_len > UINT16_MAX)
		return 0;
	rte_ether_addr_copy(&h->dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&h->src_mac, &eth->src_addr);
	for (i = 0; i < h->nb_vlan; i++) {
		/* the type field before each tag names the tag's TPID */
		wr16(buf + off - 2, h->vlan_tpid[i]);
		wr16(buf + off, h->vlan_tci[i]);
		off += 4;
	}
	if (h->ip_version == 6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(buf + off);

		wr16(buf + off - 2, RTE_ETHER_TYPE_IPV6);
		wr32(&ip->vtc_flow, 6u << 28);
		wr16(&ip->payload_len, udp_len);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = h->ttl;
		memcpy(ip->src_addr, h->src, 16);
		memcpy(ip->dst_addr, h->dst, 16);
		off += sizeof(*ip);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + off);

		if (udp_len + sizeof(*ip) > UINT16_MAX)
			return 0;
		wr16(buf + off - 2, RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		wr16(&ip->total_length, udp_len + sizeof(*ip));
		ip->packet_id = 0;
		wr16(&ip->fragment_offset, RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = h->ttl;
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, h->src, 4);
		memcpy(&ip->dst_addr, h->dst, 4);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		off += sizeof(*ip);
	}
	udp = (struct rte_udp_hdr *)(buf + off);
	wr16(&udp->src_port, h->sport);
	wr16(&udp->dst_port, h->dport);
	wr16(&udp->dgram_len, udp_len);
	udp->dgram_cksum = 0;
	return off + sizeof(*udp);
}

void
mr_enc_udp_csum(uint8_t *pkt, const struct mr_l2l4 *h)
{
	uint32_t l3 = sizeof(struct rte_ether_hdr) + 4u * h->nb_vlan;
	struct rte_udp_hdr *udp;

	if (h->ip_version == 6) {
		const struct rte_ipv6_hdr *ip = (const void *)(pkt + l3);

		udp = (struct rte_udp_hdr *)(pkt + l3 + sizeof(*ip));
		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
	} else {
		const struct rte_ipv4_hdr *ip = (const void *)(pkt + l3);

		udp = (struct rte_udp_hdr *)(pkt + l3 + sizeof(*ip));
		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	}
}
