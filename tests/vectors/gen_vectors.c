/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * gen_vectors OUTDIR: write OUTDIR/vectors.json and OUTDIR/vectors.pcap, the
 * shared test vectors of the mrelay wire protocol (docs/protocol.md).
 *
 * Valid datagrams are built with the C encoder only (encode.h); the JSON
 * expectation of each frame is written from the same struct mr_frame_view
 * the encoder was given, so the Python codec and the Wireshark dissector,
 * which decode the bytes, check the encoder field by field. Invalid
 * datagrams are valid ones patched by hand at offsets taken from proto.h,
 * each with the drop reason the parser must give. Everything is fixed (no
 * clock, no randomness): the output is byte-identical on every run, and the
 * meson test diffs it with the committed copy.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "encode.h"
#include "parse.h"
#include "proto.h"

#define BUF_SIZE	2048
#define MAX_FRAMES	8
#define PCAP_T0		1767225600	/* 2026-01-01T00:00:00Z */

/* People and things of the examples: every field value distinct. */
#define ALICE		UINT64_C(0xa11ce00000000001)
#define BOB		UINT64_C(0x0000b0b000000002)
#define CAROL		UINT64_C(0x00000000ca401003)
#define DEV_A1		0xd00a0001u
#define DEV_A2		0xd00a0002u
#define DEV_B1		0x000b0d01u
#define DEV_C1		0x00c0de01u
#define GROUP		UINT64_C(0x6700000000000042)
#define TS		UINT64_C(1767225600123456789)	/* ns */

#define ENCAP_BASE \
	.src_mac = {{0x02, 0, 0, 0, 0, 0x01}}, \
	.dst_mac = {{0x02, 0, 0, 0, 0, 0x02}}, \
	.ttl = 64, .sport = 40000, .dport = MR_DEFAULT_UDP_PORT

static const struct mr_l2l4 V4 = {
	ENCAP_BASE, .ip_version = 4,
	.src = {192, 0, 2, 1}, .dst = {192, 0, 2, 10},
};
static const struct mr_l2l4 V6 = {
	ENCAP_BASE, .ip_version = 6,
	.src = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01},
	.dst = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10},
};
static const struct mr_l2l4 V4_VLAN = {	/* PCP 3, VID 100 */
	ENCAP_BASE, .ip_version = 4, .nb_vlan = 1,
	.vlan_tpid = {RTE_ETHER_TYPE_VLAN}, .vlan_tci = {0x6064},
	.src = {192, 0, 2, 1}, .dst = {192, 0, 2, 10},
};
static const struct mr_l2l4 V6_QINQ = {	/* S-tag 10, C-tag 4094 */
	ENCAP_BASE, .ip_version = 6, .nb_vlan = 2,
	.vlan_tpid = {RTE_ETHER_TYPE_QINQ, RTE_ETHER_TYPE_VLAN},
	.vlan_tci = {0x000a, 0x0ffe},
	.src = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01},
	.dst = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10},
};

/* The vector being built. */
struct vec {
	const char *name;
	const struct mr_l2l4 *encap;
	struct mr_enc e;
	uint8_t dgram[BUF_SIZE];
	uint32_t len;			/* after vec_end(), patches may change it */
	uint32_t foff[MAX_FRAMES];	/* offset of each frame in dgram */
	char *frames;			/* expected frames, JSON */
	size_t frames_len;
	FILE *fj;
};

static FILE *json;
static pcap_dumper_t *dumper;
static unsigned int nvec;

static void
die(const char *what, const char *name)
{
	fprintf(stderr, "gen_vectors: %s: %s\n", name, what);
	exit(1);
}

static void
put_hex(FILE *f, const void *p, uint32_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		fprintf(f, "%02x", *b++);
}

static void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void
put_u64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = v;
}

static void
vec_begin(struct vec *x, const char *name, uint8_t flags,
	  const struct mr_l2l4 *encap)
{
	memset(x, 0, sizeof(*x));
	x->name = name;
	x->encap = encap;
	x->fj = open_memstream(&x->frames, &x->frames_len);
	if (x->fj == NULL)
		die("open_memstream failed", name);
	mr_enc_begin(&x->e, x->dgram, sizeof(x->dgram), flags);
}

/* Extend the datagram header by n bytes (only before the first frame). */
static void
vec_hdr_ext(struct vec *x, const void *ext, uint8_t n)
{
	if (x->e.nframes != 0 || x->e.len + n > sizeof(x->dgram))
		die("header extension after a frame", x->name);
	memcpy(x->dgram + x->e.len, ext, n);
	x->e.len += n;
	x->dgram[offsetof(struct mr_dgram_hdr, hdr_len)] += n;
}

#define U64(name, v)	fprintf(f, ", \"" name "\": %" PRIu64, (uint64_t)(v))

/* Expected decoding of v: proto.h field names, as mrelay_codec.py gives. */
static void
json_view(FILE *f, const struct mr_frame_view *v, const void *subject,
	  const void *payload, uint32_t payload_len)
{
	static const char *const names[] = {
		[MR_FT_MSG] = "MSG", [MR_FT_ACK] = "ACK",
		[MR_FT_REJECT] = "REJECT", [MR_FT_RECEIPT] = "RECEIPT",
		[MR_FT_NAK] = "NAK", [MR_FT_PING] = "PING",
		[MR_FT_PONG] = "PONG",
	};

	fprintf(f, "{\"type\": \"%s\", \"flags\": %u", names[v->type], v->flags);
	switch (v->type) {
	case MR_FT_MSG:
		U64("dst_kind", v->dst_kind);
		U64("subject_len", v->subject_len);
		U64("sender_user", v->user);
		U64("sender_device", v->device);
		U64("rcpt_device", v->rcpt_device);
		U64("client_msg_id", v->msg_id);
		U64("dst_id", v->dst_id);
		U64("seq", v->seq);
		U64("relay_ts", v->ts);
		U64("rcpt_user", v->rcpt_user);
		fputs(", \"subject_hex\": \"", f);
		put_hex(f, subject, v->subject_len);
		fputs("\", \"payload_hex\": \"", f);
		put_hex(f, payload, payload_len);
		fputc('"', f);
		break;
	case MR_FT_ACK:
	case MR_FT_REJECT:
		U64("dst_kind", v->dst_kind);
		U64("reason", v->reason);
		U64("sender_user", v->user);
		U64("sender_device", v->device);
		U64("client_msg_id", v->msg_id);
		U64("dst_id", v->dst_id);
		U64("seq", v->seq);
		U64("relay_ts", v->ts);
		break;
	case MR_FT_RECEIPT:
		U64("kind", v->rcpt_kind);
		U64("dst_kind", v->dst_kind);
		U64("from_user", v->user);
		U64("from_device", v->device);
		U64("to_device", v->rcpt_device);
		U64("to_user", v->rcpt_user);
		U64("dst_id", v->dst_id);
		U64("seq", v->seq);
		U64("relay_ts", v->ts);
		break;
	case MR_FT_NAK:
		U64("dst_kind", v->dst_kind);
		U64("user", v->user);
		U64("device", v->device);
		U64("dst_id", v->dst_id);
		U64("from_seq", v->seq);
		U64("to_seq", v->seq_end);
		break;
	default:
		U64("token", v->msg_id);
		U64("sender_ts", v->sender_ts);
		U64("relay_ts", v->ts);
		break;
	}
}

/* Append frame v with the encoder and start its JSON entry. */
static void
enc_frame(struct vec *x, const struct mr_frame_view *v, const void *subject,
	  const void *payload, uint32_t payload_len)
{
	if (x->e.nframes == MAX_FRAMES)
		die("too many frames", x->name);
	x->foff[x->e.nframes] = x->e.len;
	if (mr_enc_frame(&x->e, v, subject, payload, payload_len) != 0)
		die("mr_enc_frame failed", x->name);
	fputs(x->e.nframes > 1 ? ",\n    " : "\n    ", x->fj);
}

/*
 * Append frame v. err is NULL if the frame stays valid, or the reason it
 * will be dropped with once the caller has patched it.
 */
static void
vec_frame(struct vec *x, const struct mr_frame_view *v, const void *subject,
	  const void *payload, uint32_t payload_len, const char *err)
{
	enc_frame(x, v, subject, payload, payload_len);
	if (err != NULL) {
		fprintf(x->fj, "{\"error\": \"%s\"}", err);
		return;
	}
	json_view(x->fj, v, subject, payload, payload_len);
	fputc('}', x->fj);
}

/* Append frame v (not a MSG) lengthened by n bytes a v1 reader ignores. */
static void
vec_frame_ext(struct vec *x, const struct mr_frame_view *v, const void *ext,
	      uint16_t n)
{
	uint8_t *f;

	enc_frame(x, v, NULL, NULL, 0);
	f = x->dgram + x->foff[x->e.nframes - 1];
	if (v->type == MR_FT_MSG || x->e.len + n > sizeof(x->dgram))
		die("cannot extend", x->name);
	memcpy(x->dgram + x->e.len, ext, n);
	x->e.len += n;
	put_u16(f, ((f[0] << 8) | f[1]) + n);
	json_view(x->fj, v, NULL, NULL, 0);
	fputs(", \"ext_hex\": \"", x->fj);
	put_hex(x->fj, ext, n);
	fputs("\"}", x->fj);
}

static void
vec_end(struct vec *x)
{
	x->len = mr_enc_end(&x->e);
	if (x->len == 0)
		die("mr_enc_end failed", x->name);
}

/* Patch helpers: offsets within frame i, named after proto.h fields. */
#define PATCH8(x, i, st, field, v) \
	((x)->dgram[(x)->foff[i] + offsetof(struct st, field)] = (v))
#define PATCH16(x, i, st, field, v) \
	put_u16((x)->dgram + (x)->foff[i] + offsetof(struct st, field), (v))
#define PATCH64(x, i, st, field, v) \
	put_u64((x)->dgram + (x)->foff[i] + offsetof(struct st, field), (v))
#define DPATCH8(x, field, v) \
	((x)->dgram[offsetof(struct mr_dgram_hdr, field)] = (v))

static void
json_encap(const struct mr_l2l4 *h)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = h->ip_version == 6 ? AF_INET6 : AF_INET;
	const uint8_t *sm = h->src_mac.addr_bytes, *dm = h->dst_mac.addr_bytes;
	unsigned int i;

	inet_ntop(af, h->src, src, sizeof(src));
	inet_ntop(af, h->dst, dst, sizeof(dst));
	fprintf(json, "   \"encap\": {\"ip_version\": %u, \"vlans\": [",
		h->ip_version);
	for (i = 0; i < h->nb_vlan; i++)
		fprintf(json, "%s{\"tpid\": %u, \"tci\": %u}", i ? ", " : "",
			h->vlan_tpid[i], h->vlan_tci[i]);
	fprintf(json, "],\n     \"src_mac\": "
		"\"%02x:%02x:%02x:%02x:%02x:%02x\", \"dst_mac\": "
		"\"%02x:%02x:%02x:%02x:%02x:%02x\",\n",
		sm[0], sm[1], sm[2], sm[3], sm[4], sm[5],
		dm[0], dm[1], dm[2], dm[3], dm[4], dm[5]);
	fprintf(json, "     \"src\": \"%s\", \"dst\": \"%s\", \"sport\": %u, "
		"\"dport\": %u, \"ttl\": %u},\n",
		src, dst, h->sport, h->dport, h->ttl);
}

/* Write the vector to the JSON and the pcap; drop is NULL if not dropped. */
static void
vec_emit(struct vec *x, const char *drop)
{
	uint8_t pkt[BUF_SIZE + 128];
	struct pcap_pkthdr ph = {0};
	const struct mr_l2l4 *h = x->encap;
	const struct mr_dgram_hdr *hdr = (const void *)x->dgram;
	uint32_t hl;

	fclose(x->fj);
	fprintf(json, "%s  {\"name\": \"%s\",\n   \"udp_payload_hex\": \"",
		nvec ? ",\n" : "", x->name);
	put_hex(json, x->dgram, x->len);
	fputs("\",\n", json);
	json_encap(h);
	if (drop != NULL) {
		fprintf(json, "   \"expect\": {\"drop\": \"%s\", \"dgram\": null, "
			"\"frames\": []}}", drop);
	} else {
		fprintf(json, "   \"expect\": {\"drop\": null, \"dgram\": "
			"{\"flags\": %u, \"hdr_len\": %u, \"nframes\": %u, "
			"\"hdr_ext_hex\": \"", hdr->flags, hdr->hdr_len,
			x->e.nframes);
		put_hex(json, hdr + 1, hdr->hdr_len - sizeof(*hdr));
		fprintf(json, "\"},\n   \"frames\": [%s]}}", x->frames);
	}
	free(x->frames);

	hl = mr_enc_l2l4(pkt, h, x->len);
	if (hl == 0)
		die("mr_enc_l2l4 failed", x->name);
	memcpy(pkt + hl, x->dgram, x->len);
	mr_enc_udp_csum(pkt, h);
	ph.ts.tv_sec = PCAP_T0 + nvec;
	ph.caplen = ph.len = hl + x->len;
	pcap_dump((u_char *)dumper, &ph, pkt);
	nvec++;
}

/* Frames of the examples, each a struct mr_frame_view as the parser fills. */
static const char SUBJECT[] = "sensors.room1.temp";
static const uint8_t PAYLOAD[] = "hello, group";
static const uint8_t BINARY[] = {0x00, 0xff, 0x7f, 0x80, 0x0a};

static const struct mr_frame_view MSG_GROUP = {
	.type = MR_FT_MSG, .dst_kind = MR_DST_GROUP,
	.user = ALICE, .device = DEV_A1,
	.msg_id = UINT64_C(0xc11e000000000101), .dst_id = GROUP,
};
/* Bob's copy of a direct message from Alice to Bob, stamped by the relay. */
static const struct mr_frame_view MSG_USER_COPY = {
	.type = MR_FT_MSG, .flags = MR_MSG_F_RELAYED, .dst_kind = MR_DST_USER,
	.user = ALICE, .device = DEV_A1, .rcpt_device = DEV_B1,
	.msg_id = UINT64_C(0xc11e000000000102), .dst_id = BOB,
	.seq = 7001, .ts = TS, .rcpt_user = BOB,
};
static const struct mr_frame_view MSG_TOPIC = {
	.type = MR_FT_MSG, .flags = MR_MSG_F_RETRANSMIT,
	.dst_kind = MR_DST_TOPIC, .subject_len = sizeof(SUBJECT) - 1,
	.user = CAROL, .device = DEV_C1, .msg_id = 0x103,
};
static const struct mr_frame_view ACK = {
	.type = MR_FT_ACK, .flags = MR_ACK_F_DUPLICATE,
	.dst_kind = MR_DST_GROUP, .user = ALICE, .device = DEV_A1,
	.msg_id = UINT64_C(0xc11e000000000101), .dst_id = GROUP,
	.seq = 9001, .ts = TS + 1,
};
static const struct mr_frame_view REJECT = {
	.type = MR_FT_REJECT, .dst_kind = MR_DST_GROUP,
	.reason = MR_REJ_NOT_MEMBER, .user = CAROL, .device = DEV_C1,
	.msg_id = 0x104, .dst_id = GROUP, .ts = TS + 2,
};
/* Bob has read Alice's message: routed to Alice's device A2. */
static const struct mr_frame_view RECEIPT = {
	.type = MR_FT_RECEIPT, .flags = MR_RECEIPT_F_RELAYED,
	.rcpt_kind = MR_RCPT_READ, .dst_kind = MR_DST_USER,
	.user = BOB, .device = DEV_B1, .rcpt_device = DEV_A2,
	.rcpt_user = ALICE, .dst_id = BOB, .seq = 7001, .ts = TS + 3,
};
static const struct mr_frame_view NAK = {
	.type = MR_FT_NAK, .dst_kind = MR_DST_GROUP, .user = BOB,
	.device = DEV_B1, .dst_id = GROUP, .seq = 5, .seq_end = 9,
};
static const struct mr_frame_view PING = {
	.type = MR_FT_PING, .msg_id = UINT64_C(0x70cee00000000001),
	.sender_ts = TS - 1000,
};
static const struct mr_frame_view PONG = {
	.type = MR_FT_PONG, .msg_id = UINT64_C(0x70cee00000000001),
	.sender_ts = TS - 1000, .ts = TS + 4,
};

/* One valid frame in its own datagram. */
static void
single(const char *name, uint8_t flags, const struct mr_l2l4 *encap,
       const struct mr_frame_view *v, const void *payload, uint32_t plen)
{
	struct vec x;

	vec_begin(&x, name, flags, encap);
	vec_frame(&x, v, SUBJECT, payload, plen, NULL);
	vec_end(&x);
	vec_emit(&x, NULL);
}

/*
 * A datagram whose chain is sound: frame v, to be broken by the caller so
 * that it is dropped with err, then a NAK that must still be decoded.
 */
static void
bad_then_nak(struct vec *x, const char *name, const struct mr_frame_view *v,
	     const void *subject, uint32_t payload_len, const char *err)
{
	vec_begin(x, name, 0, &V4);
	vec_frame(x, v, subject, PAYLOAD, payload_len, err);
	vec_frame(x, &NAK, NULL, NULL, 0, NULL);
	vec_end(x);
}

static void
valid_vectors(void)
{
	static const uint8_t ext[] = {0xa1, 0xb2, 0xc3, 0xd4};
	static const uint8_t v2[] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct vec x;

	single("msg_group", 0, &V4, &MSG_GROUP, PAYLOAD, sizeof(PAYLOAD) - 1);
	single("msg_user_copy_ipv6", MR_DGRAM_F_FROM_RELAY, &V6,
	       &MSG_USER_COPY, BINARY, sizeof(BINARY));
	single("msg_topic_vlan", 0, &V4_VLAN, &MSG_TOPIC, BINARY,
	       sizeof(BINARY));
	single("msg_empty_payload_qinq", 0, &V6_QINQ, &MSG_GROUP, NULL, 0);
	single("ack_duplicate", MR_DGRAM_F_FROM_RELAY, &V4, &ACK, NULL, 0);
	single("reject_not_member", MR_DGRAM_F_FROM_RELAY, &V4, &REJECT,
	       NULL, 0);
	single("receipt_read_relayed", MR_DGRAM_F_FROM_RELAY, &V6, &RECEIPT,
	       NULL, 0);
	single("nak", 0, &V4, &NAK, NULL, 0);
	single("ping", 0, &V4, &PING, NULL, 0);
	single("pong", MR_DGRAM_F_FROM_RELAY, &V4, &PONG, NULL, 0);

	vec_begin(&x, "batch_3_frames", 0, &V4_VLAN);
	vec_frame(&x, &MSG_TOPIC, SUBJECT, PAYLOAD, sizeof(PAYLOAD) - 1, NULL);
	vec_frame(&x, &NAK, NULL, NULL, 0, NULL);
	vec_frame(&x, &PING, NULL, NULL, 0, NULL);
	vec_end(&x);
	vec_emit(&x, NULL);

	vec_begin(&x, "hdr_len_12", 0, &V6);
	vec_hdr_ext(&x, ext, sizeof(ext));
	vec_frame(&x, &MSG_GROUP, NULL, PAYLOAD, sizeof(PAYLOAD) - 1, NULL);
	vec_end(&x);
	vec_emit(&x, NULL);

	vec_begin(&x, "ping_with_v2_tail", 0, &V4);
	vec_frame_ext(&x, &PING, v2, sizeof(v2));
	vec_end(&x);
	vec_emit(&x, NULL);

	/* types 8 (MR_FT_MAX) and 0 are unknown: skipped, the NAK decoded */
	bad_then_nak(&x, "unknown_type_skipped", &PING, NULL, 0,
		     "frame_unknown_type");
	PATCH8(&x, 0, mr_frame_hdr, type, MR_FT_MAX);
	vec_emit(&x, NULL);

	bad_then_nak(&x, "unknown_type_zero", &PING, NULL, 0,
		     "frame_unknown_type");
	PATCH8(&x, 0, mr_frame_hdr, type, 0);
	vec_emit(&x, NULL);
}

/* A valid one-PING datagram, to be broken by the caller. */
static void
ping_dgram(struct vec *x, const char *name)
{
	vec_begin(x, name, 0, &V4);
	vec_frame(x, &PING, NULL, NULL, 0, NULL);
	vec_end(x);
}

static void
dgram_drops(void)
{
	struct vec x;

	ping_dgram(&x, "dgram_truncated");
	x.len = sizeof(struct mr_dgram_hdr) - 1;
	vec_emit(&x, "dgram_truncated");

	ping_dgram(&x, "bad_magic");
	DPATCH8(&x, magic, 0x4e);	/* "NR" */
	vec_emit(&x, "dgram_bad_magic");

	ping_dgram(&x, "bad_version");
	DPATCH8(&x, version, 2);
	vec_emit(&x, "dgram_bad_version");

	ping_dgram(&x, "dgram_reserved_flag");
	DPATCH8(&x, flags, 0x02);
	vec_emit(&x, "dgram_reserved_bits");

	ping_dgram(&x, "dgram_reserved_byte");
	DPATCH8(&x, reserved, 0x80);
	vec_emit(&x, "dgram_reserved_bits");

	ping_dgram(&x, "hdr_len_short");
	DPATCH8(&x, hdr_len, 7);
	vec_emit(&x, "dgram_bad_hdr_len");

	ping_dgram(&x, "hdr_len_past_end");
	DPATCH8(&x, hdr_len, 41);
	vec_emit(&x, "dgram_bad_hdr_len");

	ping_dgram(&x, "no_frames");
	x.dgram[offsetof(struct mr_dgram_hdr, nframes) + 1] = 0;
	vec_emit(&x, "dgram_no_frames");

	ping_dgram(&x, "frame_truncated");
	x.len -= 1;
	vec_emit(&x, "frame_truncated");

	ping_dgram(&x, "frame_len_max");	/* a frame far past the end */
	PATCH16(&x, 0, mr_frame_hdr, len, UINT16_MAX);
	vec_emit(&x, "frame_truncated");

	ping_dgram(&x, "frame_hdr_truncated");
	x.dgram[offsetof(struct mr_dgram_hdr, nframes) + 1] = 2;
	x.len += 3;		/* 3 bytes cannot hold a frame header */
	vec_emit(&x, "frame_truncated");

	ping_dgram(&x, "frame_len_zero");
	PATCH16(&x, 0, mr_frame_hdr, len, 0);
	vec_emit(&x, "frame_bad_len");

	ping_dgram(&x, "count_mismatch_trailing");
	x.len += 4;		/* bytes after the last counted frame */
	vec_emit(&x, "frame_count_mismatch");

	ping_dgram(&x, "count_mismatch_short");
	x.dgram[offsetof(struct mr_dgram_hdr, nframes) + 1] = 2;
	vec_emit(&x, "frame_count_mismatch");
}

static void
frame_drops(void)
{
	static const char topic_subject[] = "a.b";
	struct mr_frame_view topic = MSG_TOPIC;
	struct vec x;

	/* a PING cut 4 bytes short, its len saying so */
	vec_begin(&x, "frame_too_short", 0, &V4);
	vec_frame(&x, &PING, NULL, NULL, 0, "frame_too_short");
	vec_end(&x);
	PATCH16(&x, 0, mr_frame_hdr, len, sizeof(struct mr_ping) - 4);
	x.len -= 4;
	vec_emit(&x, NULL);

	bad_then_nak(&x, "frame_reserved_flag", &NAK, NULL, 0,
		     "frame_reserved_bits");
	PATCH8(&x, 0, mr_frame_hdr, flags, 0x01);
	vec_emit(&x, NULL);

	bad_then_nak(&x, "frame_reserved_field", &MSG_GROUP, NULL, 3,
		     "frame_reserved_bits");
	PATCH16(&x, 0, mr_msg, reserved, 0x0100);
	vec_emit(&x, NULL);

	bad_then_nak(&x, "bad_dst_kind", &ACK, NULL, 0, "frame_bad_dst_kind");
	PATCH8(&x, 0, mr_ack, dst_kind, MR_DST_MAX);
	vec_emit(&x, NULL);

	/* group MSG claiming the first 3 payload bytes as a subject */
	bad_then_nak(&x, "bad_subject_group", &MSG_GROUP, NULL, 5,
		     "frame_bad_subject");
	PATCH8(&x, 0, mr_msg, subject_len, 3);
	vec_emit(&x, NULL);

	topic.subject_len = sizeof(topic_subject) - 1;
	bad_then_nak(&x, "bad_subject_topic_empty", &topic, topic_subject, 0,
		     "frame_bad_subject");
	PATCH8(&x, 0, mr_msg, subject_len, 0);
	vec_emit(&x, NULL);

	bad_then_nak(&x, "bad_subject_past_frame", &topic, topic_subject, 0,
		     "frame_bad_subject");
	PATCH8(&x, 0, mr_msg, subject_len, sizeof(topic_subject));
	vec_emit(&x, NULL);

	bad_then_nak(&x, "bad_receipt_kind", &RECEIPT, NULL, 0,
		     "frame_bad_receipt_kind");
	PATCH8(&x, 0, mr_receipt, kind, MR_RCPT_MAX);
	vec_emit(&x, NULL);

	/* both wrong: the receipt kind (the earlier field) is reported */
	bad_then_nak(&x, "bad_receipt_kind_and_dst_kind", &RECEIPT, NULL, 0,
		     "frame_bad_receipt_kind");
	PATCH8(&x, 0, mr_receipt, kind, 0);
	PATCH8(&x, 0, mr_receipt, dst_kind, 0);
	vec_emit(&x, NULL);

	bad_then_nak(&x, "nak_range_reversed", &NAK, NULL, 0,
		     "frame_bad_nak_range");
	PATCH64(&x, 0, mr_nak, from_seq, NAK.seq_end + 1);
	vec_emit(&x, NULL);

	bad_then_nak(&x, "nak_range_from_zero", &NAK, NULL, 0,
		     "frame_bad_nak_range");
	PATCH64(&x, 0, mr_nak, from_seq, 0);
	vec_emit(&x, NULL);
}

int
main(int argc, char **argv)
{
	char path[4096];
	pcap_t *p;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_vectors OUTDIR\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/vectors.json", argv[1]);
	json = fopen(path, "w");
	if (json == NULL)
		die("cannot create", path);
	snprintf(path, sizeof(path), "%s/vectors.pcap", argv[1]);
	p = pcap_open_dead(DLT_EN10MB, 65535);
	dumper = p != NULL ? pcap_dump_open(p, path) : NULL;
	if (dumper == NULL)
		die("cannot create", path);

	fputs("{\"vectors\": [\n", json);
	valid_vectors();
	dgram_drops();
	frame_drops();
	fputs("\n]}\n", json);

	pcap_dump_close(dumper);
	pcap_close(p);
	if (fclose(json) != 0)
		die("write failed", "vectors.json");
	return 0;
}
