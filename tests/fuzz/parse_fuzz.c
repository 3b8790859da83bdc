/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * libFuzzer harness of the whole parser: mr_parse_l2l4(), mr_udp_csum_ok(),
 * mr_dgram_check() and mr_frame_next(), on mbuf chains whose every segment
 * is an exact-size heap buffer so that AddressSanitizer sees any over-read.
 *
 * Built twice from this file (tests/fuzz/meson.build):
 *  - parse_fuzz: the input is a whole Ethernet frame, cut into segments and
 *    given RX checksum flags as the control bytes say (fuzz_input.h);
 *  - dgram_fuzz (FZ_MODE_DGRAM): the input is an mrelay datagram that the
 *    harness wraps with the encoder into a valid packet, so the fuzzer
 *    spends its time on the datagram and frame decoders; the packet must
 *    then always parse as UDP, software checksum included.
 *
 * On every input it checks, and abort()s on a violation:
 *  - a segmented chain and the same bytes in one flat buffer give identical
 *    results (class, reason, pkt_info, datagram verdict, every frame view);
 *  - every offset and length returned lies within pkt_len; the payload is
 *    where the UDP header says; frames chain back to back from the datagram
 *    header to its exact end, at most and exactly nframes of them;
 *  - each layer drops only with reasons of its own layer, all named;
 *  - RX checksum flags: only BAD, or UNKNOWN with software verification,
 *    may drop for a checksum; the software UDP checksum agrees with a
 *    reference computed here on the flat bytes;
 *  - the mbuf is not modified;
 *  - round trip: the frames that decode are re-encoded with mr_enc_frame()
 *    (byte-identical to the original frame, apart from the length field of
 *    a fixed-size frame that carried a v2 tail), wrapped in a new packet with
 *    the same encapsulation, parsed again and give the same views.
 *
 * Reproduce a finding: ./parse_fuzz crash-<sha1>   (or dgram_fuzz).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "encode.h"
#include "fake_mbuf.h"
#include "fuzz_input.h"
#include "parse.h"
#include "pktgen_util.h"

#define MAX_PKT		UINT16_MAX	/* a segment's data_len is 16 bits */
#define MAX_VIEWS	(MAX_PKT / sizeof(struct mr_frame_hdr))

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant broken: %s\n",\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

/* Reasons mr_parse_l2l4() may give. A new one belongs in this list. */
static int
is_l2l4_reason(unsigned int r)
{
	switch (r) {
	case MR_DROP_ETH_TRUNCATED:
	case MR_DROP_VLAN_TRUNCATED:
	case MR_DROP_VLAN_TOO_MANY:
	case MR_DROP_ETHERTYPE:
	case MR_DROP_IP4_TRUNCATED:
	case MR_DROP_IP4_VERSION:
	case MR_DROP_IP4_IHL:
	case MR_DROP_IP4_TOTAL_LEN:
	case MR_DROP_IP4_CHECKSUM:
	case MR_DROP_IP4_FRAGMENT:
	case MR_DROP_IP4_BAD_SRC:
	case MR_DROP_IP6_TRUNCATED:
	case MR_DROP_IP6_VERSION:
	case MR_DROP_IP6_PAYLOAD_LEN:
	case MR_DROP_IP6_EXT_TRUNCATED:
	case MR_DROP_IP6_EXT_TOO_MANY:
	case MR_DROP_IP6_FRAGMENT:
	case MR_DROP_IP6_EXT_UNSUPPORTED:
	case MR_DROP_IP6_BAD_SRC:
	case MR_DROP_L4_PROTO:
	case MR_DROP_UDP_TRUNCATED:
	case MR_DROP_UDP_LEN:
	case MR_DROP_UDP_CHECKSUM:
	case MR_DROP_UDP6_ZERO_CSUM:
	case MR_DROP_ICMP_TRUNCATED:
		return 1;
	default:
		return 0;
	}
}

/* Reasons mr_dgram_check() may give. */
static int
is_dgram_reason(unsigned int r)
{
	switch (r) {
	case MR_DROP_DGRAM_TRUNCATED:
	case MR_DROP_DGRAM_MAGIC:
	case MR_DROP_DGRAM_VERSION:
	case MR_DROP_DGRAM_RESERVED:
	case MR_DROP_DGRAM_HDR_LEN:
	case MR_DROP_DGRAM_NO_FRAMES:
	case MR_DROP_FRAME_TRUNCATED:
	case MR_DROP_FRAME_LEN:
	case MR_DROP_FRAME_COUNT:
		return 1;
	default:
		return 0;
	}
}

/* Reasons mr_frame_next() may give for one frame. */
static int
is_frame_reason(unsigned int r)
{
	switch (r) {
	case MR_DROP_FRAME_UNKNOWN:
	case MR_DROP_FRAME_SHORT:
	case MR_DROP_FRAME_RESERVED:
	case MR_DROP_FRAME_DST_KIND:
	case MR_DROP_FRAME_SUBJECT:
	case MR_DROP_FRAME_RCPT_KIND:
	case MR_DROP_FRAME_NAK_RANGE:
		return 1;
	default:
		return 0;
	}
}

static void
check_named(unsigned int r)
{
	CHECK(r != MR_DROP_NONE);
	CHECK(r < MR_DROP_PARSE_MAX);
	CHECK(mr_drop_name(r) != NULL);
	CHECK(mr_drop_desc(r) != NULL);
}

/* Every decoded field; offsets only if with_offsets. */
static int
view_eq(const struct mr_frame_view *a, const struct mr_frame_view *b,
	int with_offsets)
{
	if (with_offsets && (a->off != b->off || a->len != b->len ||
			     a->subject_off != b->subject_off ||
			     a->payload_off != b->payload_off))
		return 0;
	return a->type == b->type && a->flags == b->flags &&
		a->dst_kind == b->dst_kind && a->subject_len == b->subject_len &&
		a->rcpt_kind == b->rcpt_kind && a->reason == b->reason &&
		a->user == b->user && a->device == b->device &&
		a->rcpt_device == b->rcpt_device &&
		a->rcpt_user == b->rcpt_user && a->msg_id == b->msg_id &&
		a->dst_id == b->dst_id && a->seq == b->seq &&
		a->seq_end == b->seq_end && a->ts == b->ts &&
		a->sender_ts == b->sender_ts &&
		a->payload_len == b->payload_len;
}

/* The chain still holds exactly the input bytes and its metadata. */
static void
check_unmodified(const struct rte_mbuf *m, const uint8_t *pkt, uint32_t len,
		 uint16_t nb_segs, uint64_t ol_flags)
{
	const struct rte_mbuf *s;
	uint32_t off = 0;

	CHECK(m->pkt_len == len);
	CHECK(m->nb_segs == nb_segs);
	CHECK(m->ol_flags == ol_flags);
	for (s = m; s != NULL; s = s->next) {
		CHECK(s->data_off == 0);
		CHECK((uint32_t)off + s->data_len <= len);
		CHECK(memcmp(rte_pktmbuf_mtod(s, const uint8_t *), pkt + off,
			     s->data_len) == 0);
		off += s->data_len;
	}
	CHECK(off == len);
}

/* Reference UDP checksum verdict, on the flat bytes. */
static int
ref_udp_csum_ok(const uint8_t *pkt, const struct mr_pkt_info *pi)
{
	uint8_t ph[40];
	uint32_t sum, alen = pi->ip_version == 4 ? 4 : 16;

	memcpy(ph, pi->src, alen);
	memcpy(ph + alen, pi->dst, alen);
	ph[2 * alen] = 0;
	ph[2 * alen + 1] = IPPROTO_UDP;
	ph[2 * alen + 2] = pi->l4_len >> 8;
	ph[2 * alen + 3] = pi->l4_len & 0xff;
	sum = __rte_raw_cksum(ph, 2 * alen + 4, 0);
	sum = __rte_raw_cksum(pkt + pi->l4_off, pi->l4_len, sum);
	return __rte_raw_cksum_reduce(sum) == 0xffff;
}

/* Layer 2-4 invariants of a packet that was not dropped. */
static void
check_pkt_info(const uint8_t *pkt, uint32_t len, enum mr_pkt_class c,
	       const struct mr_pkt_info *pi)
{
	const uint8_t *ip;
	uint32_t ip_end;
	uint16_t ulen;

	CHECK(pi->nb_vlan <= 2);
	CHECK(pi->l3_off == RTE_ETHER_HDR_LEN + 4u * pi->nb_vlan);
	CHECK(pi->l3_off <= len);
	if (c == MR_PKT_ARP) {
		CHECK(pi->ip_version == 0);
		return;
	}
	CHECK(pi->ip_version == 4 || pi->ip_version == 6);
	CHECK(pi->l4_off >= pi->l3_off + (pi->ip_version == 4 ? 20u : 40u));
	CHECK((uint64_t)pi->l4_off + pi->l4_len <= len);
	/* L4 within the IP length, which is within the packet */
	ip = pkt + pi->l3_off;
	if (pi->ip_version == 4) {
		CHECK(pi->l4_off == pi->l3_off + (ip[0] & 0x0f) * 4u);
		ip_end = pi->l3_off + (ip[2] << 8 | ip[3]);
		CHECK(pi->hop_limit == ip[8]);
		CHECK(memcmp(pi->src, ip + 12, 4) == 0);
		CHECK(memcmp(pi->dst, ip + 16, 4) == 0);
	} else {
		ip_end = pi->l3_off + 40 + (ip[4] << 8 | ip[5]);
		CHECK(pi->hop_limit == ip[7]);
		CHECK(memcmp(pi->src, ip + 8, 16) == 0);
		CHECK(memcmp(pi->dst, ip + 24, 16) == 0);
	}
	CHECK(ip_end <= len);
	CHECK(pi->l4_off + pi->l4_len <= ip_end);
	if (c != MR_PKT_UDP)
		CHECK(pi->l4_off + pi->l4_len == ip_end);
	CHECK(pi->l4_proto == (c == MR_PKT_UDP ? IPPROTO_UDP :
			       c == MR_PKT_ICMP4 ? IPPROTO_ICMP :
			       IPPROTO_ICMPV6));
	/* ICMP is ICMPv4 over IPv4 and ICMPv6 over IPv6, never crossed */
	if (c == MR_PKT_ICMP4)
		CHECK(pi->ip_version == 4);
	if (c == MR_PKT_ICMP6)
		CHECK(pi->ip_version == 6);
	if (c != MR_PKT_UDP) {
		CHECK(pi->l4_len >= 4);
		return;
	}
	CHECK(pi->l4_len >= sizeof(struct rte_udp_hdr));
	CHECK(pi->pay_off == pi->l4_off + sizeof(struct rte_udp_hdr));
	CHECK(pi->pay_len == pi->l4_len - sizeof(struct rte_udp_hdr));
	CHECK((uint64_t)pi->pay_off + pi->pay_len <= len);
	/* the lengths and ports are the ones in the UDP header */
	ulen = (uint16_t)(pkt[pi->l4_off + 4] << 8 | pkt[pi->l4_off + 5]);
	CHECK(ulen == pi->l4_len);
	CHECK(pi->sport == (pkt[pi->l4_off] << 8 | pkt[pi->l4_off + 1]));
	CHECK(pi->dport == (pkt[pi->l4_off + 2] << 8 | pkt[pi->l4_off + 3]));
}

struct dgram_result {
	unsigned int verdict;
	uint8_t flags;
	unsigned int nvalid;
	struct mr_frame_view *valid;	/* MAX_VIEWS entries, caller's */
};

/*
 * Validate the datagram at [off, off + dlen) in chain m and in flat f, walk
 * its frames in both and check them. Fills res (valid views in order).
 */
static void
check_dgram(const struct rte_mbuf *m, const struct rte_mbuf *f, uint32_t off,
	    uint32_t dlen, struct dgram_result *res)
{
	struct mr_frame_iter it, itf;
	struct mr_frame_view v, vf;
	uint32_t pkt_len = rte_pktmbuf_pkt_len(m), prev_end;
	unsigned int nframes, k, min;
	int r, rf;

	res->nvalid = 0;
	memset(&it, 0, sizeof(it));
	memset(&itf, 0, sizeof(itf));
	res->verdict = mr_dgram_check(m, off, dlen, &it);
	CHECK(mr_dgram_check(f, off, dlen, &itf) == res->verdict);
	if (res->verdict != MR_DROP_NONE) {
		check_named(res->verdict);
		CHECK(is_dgram_reason(res->verdict));
		return;
	}
	CHECK((uint64_t)off + dlen <= pkt_len);
	CHECK(it.m == m);
	CHECK(it.off >= off + sizeof(struct mr_dgram_hdr));
	CHECK(it.off < it.end);
	CHECK(it.end == off + dlen);
	CHECK(it.left >= 1);
	CHECK((it.dgram_flags & ~MR_DGRAM_F_MASK) == 0);
	CHECK(it.off == itf.off && it.end == itf.end && it.left == itf.left &&
	      it.dgram_flags == itf.dgram_flags);
	res->flags = it.dgram_flags;

	nframes = it.left;
	prev_end = it.off;
	for (k = 0; (r = mr_frame_next(&it, &v)) != 0; k++) {
		rf = mr_frame_next(&itf, &vf);
		CHECK(r == rf);
		CHECK(view_eq(&v, &vf, 1));
		CHECK(k < nframes);
		CHECK(v.off == prev_end);
		CHECK(v.len >= sizeof(struct mr_frame_hdr));
		CHECK((uint64_t)v.off + v.len <= off + dlen);
		prev_end = v.off + v.len;
		if (r < 0) {
			check_named(-r);
			CHECK(is_frame_reason(-r));
			continue;
		}
		CHECK(r == 1);
		min = mr_frame_min_len(v.type);
		CHECK(min != 0 && v.len >= min);
		if (v.type == MR_FT_MSG) {
			CHECK(v.dst_kind >= MR_DST_GROUP &&
			      v.dst_kind < MR_DST_MAX);
			CHECK((v.dst_kind == MR_DST_TOPIC) ==
			      (v.subject_len != 0));
			CHECK(v.subject_off == v.off + sizeof(struct mr_msg));
			CHECK(v.payload_off == v.subject_off + v.subject_len);
			CHECK((uint64_t)v.payload_off + v.payload_len ==
			      (uint64_t)v.off + v.len);
			CHECK((uint64_t)v.payload_off + v.payload_len <=
			      pkt_len);
		} else {
			CHECK(v.subject_len == 0 && v.subject_off == 0 &&
			      v.payload_off == 0 && v.payload_len == 0);
		}
		if (v.type == MR_FT_NAK)
			CHECK(v.seq != 0 && v.seq <= v.seq_end);
		res->valid[res->nvalid++] = v;
	}
	CHECK(mr_frame_next(&itf, &vf) == 0);
	CHECK(k == nframes);
	CHECK(prev_end == off + dlen);
	CHECK(it.left == 0);
	/* an exhausted iterator stays exhausted */
	CHECK(mr_frame_next(&it, &v) == 0);
}

static struct rte_mbuf *
chain(const uint8_t *pkt, uint32_t len, const uint16_t *raw_cuts,
      unsigned int ncuts, uint64_t ol_flags)
{
	uint32_t cuts[FZ_MAX_CUTS], t;
	struct rte_mbuf *m;
	unsigned int i, j;

	for (i = 0; i < ncuts; i++)
		cuts[i] = raw_cuts[i] % (len + 1);
	for (i = 1; i < ncuts; i++)	/* insertion sort of <= 3 */
		for (j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
			t = cuts[j];
			cuts[j] = cuts[j - 1];
			cuts[j - 1] = t;
		}
	m = fake_mbuf_chain(pkt, len, cuts, ncuts);
	m->ol_flags = ol_flags;
	return m;
}

static void check_packet(const uint8_t *pkt, uint32_t len,
			 const uint16_t *cuts, unsigned int ncuts,
			 uint64_t ol_flags, const struct mr_parse_cfg *cfg,
			 int must_be_udp, const struct mr_frame_view *expect,
			 unsigned int nexpect, int depth);

/*
 * Re-encode the valid frames of a datagram (original bytes in pkt), check
 * each is byte-identical to the frame it came from, wrap them into a new
 * packet with the same encapsulation and run the whole check on it,
 * expecting exactly these views back.
 */
static void
roundtrip(const uint8_t *pkt, const struct mr_pkt_info *pi,
	  const struct dgram_result *dr, const uint16_t *cuts,
	  unsigned int ncuts)
{
	static uint8_t dg[MAX_PKT], out[MAX_PKT + 128];
	const struct mr_frame_view *v;
	struct mr_l2l4 h;
	struct mr_enc e;
	uint32_t at, dlen, plen;
	unsigned int i;

	if (dr->nvalid == 0)
		return;
	mr_enc_begin(&e, dg, sizeof(dg), dr->flags);
	for (i = 0; i < dr->nvalid; i++) {
		v = &dr->valid[i];
		at = e.len;
		CHECK(mr_enc_frame(&e, v, pkt + v->subject_off,
				   pkt + v->payload_off, v->payload_len) == 0);
		if (v->type == MR_FT_MSG)
			CHECK(e.len - at == v->len);
		else
			CHECK(e.len - at == mr_frame_min_len(v->type));
		/* same bytes; the length differs only for a longer frame */
		CHECK(memcmp(dg + at + 2, pkt + v->off + 2, e.len - at - 2) ==
		      0);
		if (e.len - at == v->len)
			CHECK(memcmp(dg + at, pkt + v->off, 2) == 0);
	}
	dlen = mr_enc_end(&e);
	CHECK(dlen == e.len && dlen > 0);

	memset(&h, 0, sizeof(h));
	h.nb_vlan = pi->nb_vlan;
	memcpy(h.vlan_tpid, pi->vlan_tpid, sizeof(h.vlan_tpid));
	memcpy(h.vlan_tci, pi->vlan_tci, sizeof(h.vlan_tci));
	h.ip_version = pi->ip_version;
	h.ttl = pi->hop_limit;
	memcpy(h.src, pi->src, sizeof(h.src));
	memcpy(h.dst, pi->dst, sizeof(h.dst));
	h.sport = pi->sport;
	h.dport = pi->dport;
	/* no longer than the original: it fits wherever that one fitted */
	CHECK(mr_l2l4_len(&h) + dlen <= sizeof(out));
	CHECK(mr_enc_l2l4(out, &h, dlen) == mr_l2l4_len(&h));
	plen = tp_wrap(out, &h, dg, dlen);
	check_packet(out, plen, cuts, ncuts, 0,
		     &(struct mr_parse_cfg){.verify_l4_csum = 1}, 1,
		     dr->valid, dr->nvalid, 1);
}

/*
 * The whole check of one packet. must_be_udp: the packet is known good.
 * expect (depth 1, round trip): the views the datagram must decode to.
 */
static void
check_packet(const uint8_t *pkt, uint32_t len, const uint16_t *cuts,
	     unsigned int ncuts, uint64_t ol_flags,
	     const struct mr_parse_cfg *cfg, int must_be_udp,
	     const struct mr_frame_view *expect, unsigned int nexpect,
	     int depth)
{
	/* per depth: the round trip compares depth 1 against depth 0 */
	static struct mr_frame_view views[2][MAX_VIEWS];
	struct mr_frame_view *valid = views[depth];
	struct mr_pkt_info pi, pif;
	struct dgram_result dr;
	struct rte_mbuf *m, *f;
	enum mr_pkt_class c, cf;
	unsigned int reason, rf, i;
	uint64_t ipcs = ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	uint64_t l4cs = ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	uint16_t nb_segs;

	m = chain(pkt, len, cuts, ncuts, ol_flags);
	f = fake_mbuf(pkt, len);
	f->ol_flags = ol_flags;
	nb_segs = m->nb_segs;
	dr.valid = valid;

	memset(&pi, 0xa5, sizeof(pi));
	memset(&pif, 0xa5, sizeof(pif));
	reason = rf = 12345;
	c = mr_parse_l2l4(m, cfg, &pi, &reason);
	cf = mr_parse_l2l4(f, cfg, &pif, &rf);
	CHECK(c == cf);
	CHECK(reason == rf);
	CHECK(memcmp(&pi, &pif, sizeof(pi)) == 0);
	CHECK(c == MR_PKT_DROP || c == MR_PKT_UDP || c == MR_PKT_ARP ||
	      c == MR_PKT_ICMP4 || c == MR_PKT_ICMP6);
	if (must_be_udp)
		CHECK(c == MR_PKT_UDP);

	if (c == MR_PKT_DROP) {
		check_named(reason);
		CHECK(is_l2l4_reason(reason));
		/* only a BAD verdict, or none plus our own check, drops */
		if (reason == MR_DROP_IP4_CHECKSUM)
			CHECK(ipcs == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
			      ipcs == RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN);
		if (reason == MR_DROP_UDP_CHECKSUM)
			CHECK(l4cs == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
			      (l4cs == RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN &&
			       cfg->verify_l4_csum));
	} else {
		CHECK(reason == MR_DROP_NONE);
		check_pkt_info(pkt, len, c, &pi);
	}
	if (c == MR_PKT_UDP) {
		CHECK(l4cs != RTE_MBUF_F_RX_L4_CKSUM_BAD);
		CHECK(mr_udp_csum_ok(m, &pi) == ref_udp_csum_ok(pkt, &pi));
		CHECK(mr_udp_csum_ok(f, &pi) == ref_udp_csum_ok(pkt, &pi));
		if (l4cs == RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN &&
		    cfg->verify_l4_csum &&
		    (pkt[pi.l4_off + 6] | pkt[pi.l4_off + 7]) != 0)
			CHECK(ref_udp_csum_ok(pkt, &pi));

		check_dgram(m, f, pi.pay_off, pi.pay_len, &dr);
		if (expect != NULL) {
			CHECK(dr.verdict == MR_DROP_NONE);
			CHECK(dr.nvalid == nexpect);
			for (i = 0; i < nexpect; i++) {
				CHECK(view_eq(&valid[i], &expect[i], 0));
				if (valid[i].type == MR_FT_MSG)
					CHECK(valid[i].len == expect[i].len);
			}
		}
		if (depth == 0 && dr.verdict == MR_DROP_NONE)
			roundtrip(pkt, &pi, &dr, cuts, ncuts);
	}
	if (depth == 0) {
		/* the frame layer alone, on whatever the packet holds */
		check_dgram(m, f, 0, len, &dr);
		if (len > RTE_ETHER_HDR_LEN)
			check_dgram(m, f, RTE_ETHER_HDR_LEN,
				    len - RTE_ETHER_HDR_LEN, &dr);
		/* and ranges that are not inside the packet */
		CHECK(mr_dgram_check(m, len, 1, &(struct mr_frame_iter){0}) ==
		      MR_DROP_DGRAM_TRUNCATED);
		CHECK(mr_dgram_check(m, UINT32_MAX, 8,
				     &(struct mr_frame_iter){0}) ==
		      MR_DROP_DGRAM_TRUNCATED);
	}

	check_unmodified(m, pkt, len, nb_segs, ol_flags);
	check_unmodified(f, pkt, len, 1, ol_flags);
	fake_mbuf_free(m);
	fake_mbuf_free(f);
}

static void
read_hdr(const uint8_t *data, uint16_t *cuts, unsigned int *ncuts)
{
	unsigned int i;

	for (i = 0; i < FZ_MAX_CUTS; i++)
		cuts[i] = (uint16_t)(data[1 + 2 * i] << 8 | data[2 + 2 * i]);
	*ncuts = data[0] & FZ_NCUTS_MASK;
	if (*ncuts > FZ_MAX_CUTS)
		*ncuts = FZ_MAX_CUTS;
}

#ifndef FZ_MODE_DGRAM

static const uint64_t ip_cs_flags[4] = {
	[FZ_CS_UNKNOWN] = RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN,
	[FZ_CS_BAD] = RTE_MBUF_F_RX_IP_CKSUM_BAD,
	[FZ_CS_GOOD] = RTE_MBUF_F_RX_IP_CKSUM_GOOD,
	[FZ_CS_NONE] = RTE_MBUF_F_RX_IP_CKSUM_NONE,
};

static const uint64_t l4_cs_flags[4] = {
	[FZ_CS_UNKNOWN] = RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN,
	[FZ_CS_BAD] = RTE_MBUF_F_RX_L4_CKSUM_BAD,
	[FZ_CS_GOOD] = RTE_MBUF_F_RX_L4_CKSUM_GOOD,
	[FZ_CS_NONE] = RTE_MBUF_F_RX_L4_CKSUM_NONE,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mr_parse_cfg cfg = {0};
	uint16_t cuts[FZ_MAX_CUTS];
	unsigned int ncuts;
	uint64_t ol;
	uint8_t ctl;
	uint32_t len;

	if (size < FZ_HDR_LEN || size - FZ_HDR_LEN > MAX_PKT)
		return -1;	/* not added to the corpus */
	ctl = data[0];
	read_hdr(data, cuts, &ncuts);
	cfg.verify_l4_csum = !!(ctl & FZ_P_VERIFY);
	ol = ip_cs_flags[(ctl >> FZ_P_IPCS_SHIFT) & 3] |
		l4_cs_flags[(ctl >> FZ_P_L4CS_SHIFT) & 3];
	len = size - FZ_HDR_LEN;
	check_packet(data + FZ_HDR_LEN, len, cuts, ncuts, ol, &cfg, 0, NULL, 0,
		     0);
	return 0;
}

#else /* FZ_MODE_DGRAM */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[MAX_PKT + 128];
	struct mr_parse_cfg cfg = {0};
	uint16_t cuts[FZ_MAX_CUTS];
	unsigned int ncuts, tags;
	struct mr_l2l4 h;
	uint32_t dlen, len;
	uint8_t ctl;

	if (size < FZ_HDR_LEN)
		return -1;
	ctl = data[0];
	read_hdr(data, cuts, &ncuts);
	dlen = size - FZ_HDR_LEN;
	tags = (ctl >> FZ_D_VLAN_SHIFT) & 3;
	tp_flow(&h, ctl & FZ_D_IPV6 ? 6 : 4, tags == 3 ? 2 : tags);
	if (tags == 3)
		h.vlan_tpid[0] = RTE_ETHER_TYPE_VLAN;
	if (mr_l2l4_len(&h) + dlen + 6 > MAX_PKT ||
	    mr_enc_l2l4(pkt, &h, dlen) == 0)
		return -1;	/* too long for one UDP datagram */
	len = tp_wrap(pkt, &h, data + FZ_HDR_LEN, dlen);
	if (ctl & FZ_D_PAD) {
		memset(pkt + len, 0xee, 6);
		len += 6;
	}
	cfg.verify_l4_csum = !!(ctl & FZ_D_VERIFY);
	check_packet(pkt, len, cuts, ncuts,
		     ctl & FZ_D_L4_GOOD ? RTE_MBUF_F_RX_L4_CKSUM_GOOD : 0,
		     &cfg, 1, NULL, 0, 0);
	return 0;
}

#endif /* FZ_MODE_DGRAM */
