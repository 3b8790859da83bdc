/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Writes the seed corpus of the fuzz harnesses from packets built with the
 * real encoder: every frame type, IPv4/IPv6, no tag/VLAN/QinQ, batches of 1,
 * 8 and 32 frames, IPv4 options, IPv6 extension headers, ICMP, ARP, padding,
 * an extended datagram header, an unknown frame type, segment cuts and RX
 * checksum flags. File names are stable, so regenerating changes nothing
 * unless the encoder does:
 *
 *   ninja -C build-fuzz tests/fuzz/gen_corpus
 *   rm -rf tests/fuzz/corpus && build-fuzz/tests/fuzz/gen_corpus tests/fuzz/corpus
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_ip.h>

#include "encode.h"
#include "fuzz_input.h"
#include "pktgen_util.h"

#define PKT_MAX 9216

static const char *outdir;
static unsigned int nfiles;
static unsigned long nbytes;

static void
put(const char *harness, const char *name, uint8_t ctl, uint16_t c0,
    uint16_t c1, uint16_t c2, const uint8_t *body, uint32_t len)
{
	char path[512];
	uint8_t hdr[FZ_HDR_LEN];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, harness);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, harness, name);
	f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fz_hdr(hdr, ctl, c0, c1, c2);
	if (fwrite(hdr, 1, sizeof(hdr), f) != sizeof(hdr) ||
	    fwrite(body, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	nfiles++;
	nbytes += sizeof(hdr) + len;
}

/* A datagram of n frames; MSGs get the subject and payload given. */
static uint32_t
dgram(uint8_t *dg, uint8_t flags, const struct mr_frame_view *fv,
      unsigned int n, const char *subject, const uint8_t *payload,
      uint32_t payload_len)
{
	struct mr_enc e;
	unsigned int i;

	mr_enc_begin(&e, dg, PKT_MAX, flags);
	for (i = 0; i < n; i++)
		mr_enc_frame(&e, &fv[i], subject, payload, payload_len);
	if (mr_enc_end(&e) == 0) {
		fprintf(stderr, "gen_corpus: encoder failed (%d)\n", e.err);
		exit(1);
	}
	return e.len;
}

static uint32_t
packet(uint8_t *pkt, int ipv, unsigned int tags, const uint8_t *dg,
       uint32_t dlen)
{
	struct mr_l2l4 h;

	tp_flow(&h, ipv, tags);
	return tp_wrap(pkt, &h, dg, dlen);
}

/* Both harnesses: the datagram alone and inside a packet. */
static void
put_both(const char *name, int ipv, unsigned int tags, uint8_t pctl,
	 const uint8_t *dg, uint32_t dlen)
{
	uint8_t pkt[PKT_MAX + 128];
	uint32_t len = packet(pkt, ipv, tags, dg, dlen);
	uint8_t dctl = (ipv == 6 ? FZ_D_IPV6 : 0) |
		(tags << FZ_D_VLAN_SHIFT) | FZ_D_VERIFY;

	put("parse_fuzz", name, pctl, 0, 0, 0, pkt, len);
	put("dgram_fuzz", name, dctl, 0, 0, 0, dg, dlen);
}

static const struct mr_frame_view every_type[] = {
	{.type = MR_FT_MSG, .dst_kind = MR_DST_GROUP, .user = 1001,
	 .device = 2, .msg_id = 0x1122334455667788ull, .dst_id = 42},
	{.type = MR_FT_MSG, .flags = MR_MSG_F_RELAYED, .dst_kind = MR_DST_USER,
	 .user = 1001, .device = 2, .rcpt_device = 3, .rcpt_user = 1002,
	 .msg_id = 7, .dst_id = 1002, .seq = 9, .ts = 1700000000000000000ull},
	{.type = MR_FT_MSG, .dst_kind = MR_DST_TOPIC, .subject_len = 9,
	 .user = 1001, .device = 2, .msg_id = 8},
	{.type = MR_FT_ACK, .flags = MR_ACK_F_DUPLICATE,
	 .dst_kind = MR_DST_GROUP, .user = 1001, .device = 2, .msg_id = 77,
	 .dst_id = 42, .seq = 8, .ts = 1},
	{.type = MR_FT_REJECT, .dst_kind = MR_DST_GROUP,
	 .reason = MR_REJ_NOT_MEMBER, .user = 1001, .device = 2, .msg_id = 78,
	 .dst_id = 42},
	{.type = MR_FT_RECEIPT, .rcpt_kind = MR_RCPT_READ,
	 .dst_kind = MR_DST_GROUP, .user = 1002, .device = 1, .rcpt_device = 3,
	 .rcpt_user = 1001, .dst_id = 42, .seq = 8, .ts = 5},
	{.type = MR_FT_NAK, .dst_kind = MR_DST_USER, .user = 1002, .device = 1,
	 .dst_id = 1001, .seq = 3, .seq_end = 9},
	{.type = MR_FT_PING, .msg_id = 0xdeadbeef, .sender_ts = 12},
	{.type = MR_FT_PONG, .msg_id = 0xdeadbeef, .sender_ts = 12, .ts = 13},
};

static const char *const type_names[] = {
	"msg-group", "msg-user-relayed", "msg-topic", "ack", "reject",
	"receipt", "nak", "ping", "pong",
};

int
main(int argc, char **argv)
{
	static uint8_t dg[PKT_MAX], pkt[PKT_MAX + 128], q[PKT_MAX + 128];
	static const char subject[] = "news.tech";
	uint8_t payload[64];
	struct mr_frame_view batch[32];
	struct rte_ipv4_hdr *ip4;
	struct rte_ipv6_hdr *ip6;
	uint32_t dlen, len, l3;
	static const unsigned int batch_sizes[] = {1, 8, 32};
	unsigned int i, k, ipv, tags, n;
	char name[64];

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) != 0 && errno != EEXIST) {
		perror(outdir);
		return 1;
	}
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = 'a' + i % 26;

	/* each frame type alone, IPv4 untagged, software checksum check */
	for (i = 0; i < RTE_DIM(every_type); i++) {
		dlen = dgram(dg, 0, &every_type[i], 1, subject, payload, 16);
		snprintf(name, sizeof(name), "type-%s", type_names[i]);
		put_both(name, 4, 0, FZ_P_VERIFY, dg, dlen);
	}

	/* every type in one datagram, in each encapsulation */
	dlen = dgram(dg, MR_DGRAM_F_FROM_RELAY, every_type,
		     RTE_DIM(every_type), subject, payload, 16);
	for (ipv = 4; ipv <= 6; ipv += 2)
		for (tags = 0; tags <= 2; tags++) {
			snprintf(name, sizeof(name), "all-types-ip%u-tags%u",
				 ipv, tags);
			put_both(name, ipv, tags, FZ_P_VERIFY, dg, dlen);
		}

	/* batches of 1, 8, 32 MSGs with a 64-byte payload */
	for (k = 0; k < RTE_DIM(batch_sizes); k++) {
		n = batch_sizes[k];
		for (i = 0; i < n; i++) {
			batch[i] = every_type[0];
			batch[i].msg_id = i + 1;
		}
		dlen = dgram(dg, 0, batch, n, NULL, payload, sizeof(payload));
		snprintf(name, sizeof(name), "batch-%u-ip4", n);
		put_both(name, 4, 0, FZ_P_VERIFY, dg, dlen);
		snprintf(name, sizeof(name), "batch-%u-ip6-qinq", n);
		put_both(name, 6, 2, 0, dg, dlen);
	}

	/* the mixed datagram cut into segments, odd and even, with flags */
	dlen = dgram(dg, 0, every_type, RTE_DIM(every_type), subject, payload,
		     16);
	len = packet(pkt, 6, 1, dg, dlen);
	put("parse_fuzz", "cut3-ip6-vlan", 3 | FZ_P_VERIFY, 17, 61, 201, pkt,
	    len);
	put("parse_fuzz", "cut2-zero-seg", 2 | FZ_P_VERIFY, 57, 57, 0, pkt,
	    len);
	put("parse_fuzz", "cut1-hw-good",
	    1 | FZ_CS_GOOD << FZ_P_IPCS_SHIFT | FZ_CS_GOOD << FZ_P_L4CS_SHIFT,
	    43, 0, 0, pkt, len);
	put("parse_fuzz", "hw-l4-bad", FZ_CS_BAD << FZ_P_L4CS_SHIFT, 0, 0, 0,
	    pkt, len);
	put("parse_fuzz", "hw-l4-none",
	    FZ_P_VERIFY | FZ_CS_NONE << FZ_P_L4CS_SHIFT, 0, 0, 0, pkt, len);
	/* regression: CKSUM_NONE was re-checked in software and dropped */
	len = packet(pkt, 4, 0, dg, dlen);
	pkt[RTE_ETHER_HDR_LEN + 10] ^= 0xff;
	pkt[RTE_ETHER_HDR_LEN + 20 + 6] ^= 0xff;
	put("parse_fuzz", "regress-cksum-none-bad", FZ_P_VERIFY |
	    FZ_CS_NONE << FZ_P_IPCS_SHIFT | FZ_CS_NONE << FZ_P_L4CS_SHIFT,
	    0, 0, 0, pkt, len);
	put("dgram_fuzz", "cut3-ip6-vlan",
	    3 | FZ_D_IPV6 | 1 << FZ_D_VLAN_SHIFT | FZ_D_VERIFY, 17, 61, 201,
	    dg, dlen);
	put("dgram_fuzz", "pad-l4-good", FZ_D_PAD | FZ_D_L4_GOOD, 0, 0, 0, dg,
	    dlen);

	/* IPv4 with 8 bytes of options; Ethernet padding behind it */
	dlen = dgram(dg, 0, &every_type[7], 1, NULL, NULL, 0);
	len = packet(pkt, 4, 0, dg, dlen);
	l3 = RTE_ETHER_HDR_LEN;
	memcpy(q, pkt, l3 + 20);
	memset(q + l3 + 20, 1, 8);
	memcpy(q + l3 + 28, pkt + l3 + 20, len - l3 - 20);
	ip4 = (struct rte_ipv4_hdr *)(q + l3);
	ip4->version_ihl = 0x47;
	ip4->total_length = rte_cpu_to_be_16(len - l3 + 8);
	ip4->hdr_checksum = 0;
	ip4->hdr_checksum = rte_ipv4_cksum(ip4);
	memset(q + len + 8, 0, 10);
	put("parse_fuzz", "ip4-options-padding", FZ_P_VERIFY, 0, 0, 0, q,
	    len + 8 + 10);

	/* IPv6 with a hop-by-hop and a destination options header */
	len = packet(pkt, 6, 0, dg, dlen);
	l3 = RTE_ETHER_HDR_LEN;
	memcpy(q, pkt, l3 + 40);
	memset(q + l3 + 40, 0, 24);
	q[l3 + 40] = IPPROTO_DSTOPTS;	/* hop-by-hop, 8 bytes */
	q[l3 + 48] = IPPROTO_UDP;	/* destination options, 16 bytes */
	q[l3 + 49] = 1;
	memcpy(q + l3 + 64, pkt + l3 + 40, len - l3 - 40);
	ip6 = (struct rte_ipv6_hdr *)(q + l3);
	ip6->proto = IPPROTO_HOPOPTS;
	ip6->payload_len = rte_cpu_to_be_16(len - l3 - 40 + 24);
	put("parse_fuzz", "ip6-ext-headers", FZ_P_VERIFY, 0, 0, 0, q, len + 24);

	/* ICMPv4 echo request, ICMPv6 echo request, ARP request */
	len = packet(pkt, 4, 1, dg, dlen);
	l3 = RTE_ETHER_HDR_LEN + 4;
	ip4 = (struct rte_ipv4_hdr *)(pkt + l3);
	ip4->next_proto_id = IPPROTO_ICMP;
	ip4->hdr_checksum = 0;
	ip4->hdr_checksum = rte_ipv4_cksum(ip4);
	pkt[l3 + 20] = 8;
	pkt[l3 + 21] = 0;
	put("parse_fuzz", "icmp4-echo", 0, 0, 0, 0, pkt, len);
	/* regression: ICMPv6 over IPv4 was classified MR_PKT_ICMP6 */
	ip4->next_proto_id = IPPROTO_ICMPV6;
	ip4->hdr_checksum = 0;
	ip4->hdr_checksum = rte_ipv4_cksum(ip4);
	put("parse_fuzz", "regress-icmp6-over-ip4", 0, 0, 0, 0, pkt, len);
	len = packet(pkt, 6, 0, dg, dlen);
	l3 = RTE_ETHER_HDR_LEN;
	pkt[l3 + 6] = IPPROTO_ICMPV6;
	pkt[l3 + 40] = 128;
	pkt[l3 + 41] = 0;
	put("parse_fuzz", "icmp6-echo", 0, 0, 0, 0, pkt, len);
	memset(pkt, 0, 60);
	memset(pkt, 0xff, 6);
	pkt[6] = 0x02;
	pkt[11] = 0x01;
	pkt[12] = 0x08;
	pkt[13] = 0x06;
	memcpy(pkt + 14, (uint8_t[]){0, 1, 8, 0, 6, 4, 0, 1}, 8);
	put("parse_fuzz", "arp-request", 0, 0, 0, 0, pkt, 60);

	/* extended datagram header (hdr_len 12) and an unknown frame type */
	dlen = dgram(dg, 0, &every_type[7], 2, NULL, NULL, 0);
	memmove(dg + 12, dg + 8, dlen - 8);
	memset(dg + 8, 0xab, 4);
	dg[4] = 12;
	dlen += 4;
	dg[12 + 2] = 0x42;	/* first frame: unknown type, skipped */
	put_both("hdr-len-12-unknown-type", 4, 0, FZ_P_VERIFY, dg, dlen);

	/* a PING with a v2 tail: longer than its fixed size */
	dlen = dgram(dg, 0, &every_type[7], 1, NULL, NULL, 0);
	dg[8 + 1] = 40;
	memset(dg + dlen, 0x5a, 8);
	dlen += 8;
	put_both("ping-v2-tail", 4, 0, FZ_P_VERIFY, dg, dlen);

	printf("gen_corpus: %u files, %lu bytes in %s\n", nfiles, nbytes,
	       outdir);
	return 0;
}
