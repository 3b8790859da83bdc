/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Encoder for mrelay datagrams and the Ethernet/VLAN/IP/UDP headers that
 * carry them. It writes into flat buffers so that the dataplane (header mbufs
 * of copies, ACKs), mrelay-gen and the tests share one implementation. It
 * needs no EAL: only DPDK's inline header helpers.
 *
 * The frame input is the same host-order struct mr_frame_view the parser
 * produces, so decode(encode(v)) == v is the property the tests check.
 */
#ifndef MRELAY_ENCODE_H
#define MRELAY_ENCODE_H

#include <stdint.h>

#include <rte_ether.h>

#include "parse.h"
#include "proto.h"

/* Cursor building one datagram in a caller-provided buffer. */
struct mr_enc {
	uint8_t *buf;
	uint32_t room;
	uint32_t len;
	uint16_t nframes;
	int err;		/* sticky: -ENOSPC or -EINVAL once anything failed */
};

/* Start a datagram in buf (room bytes) with the given MR_DGRAM_F_* flags. */
void mr_enc_begin(struct mr_enc *e, void *buf, uint32_t room, uint8_t flags);

/*
 * Append one frame described by v (v->type selects the layout; v->len and
 * v->off are ignored). subject (v->subject_len bytes) and payload
 * (payload_len bytes) are used by MSG only and may be NULL otherwise.
 * Returns 0, or -ENOSPC / -EINVAL (also remembered in e->err).
 */
int mr_enc_frame(struct mr_enc *e, const struct mr_frame_view *v,
		 const void *subject, const void *payload,
		 uint32_t payload_len);

/* Patch the frame count; returns the datagram length, or 0 after an error. */
uint32_t mr_enc_end(struct mr_enc *e);

/*
 * Write the fixed part of a MSG frame (64 bytes) followed by its subject to
 * dst, with the frame length set for a payload of payload_len bytes. Returns
 * the bytes written, or 0 if the frame would exceed MR_FRAME_MAX. The
 * dataplane uses this to build the header of each delivered copy.
 */
uint32_t mr_enc_msg_hdr(uint8_t *dst, const struct mr_frame_view *v,
			const void *subject, uint32_t payload_len);

/* Addresses and tags of one UDP flow, host order. */
struct mr_l2l4 {
	struct rte_ether_addr src_mac;
	struct rte_ether_addr dst_mac;
	uint8_t nb_vlan;		/* 0, 1 or 2 */
	uint16_t vlan_tpid[2];		/* outer, inner */
	uint16_t vlan_tci[2];
	uint8_t ip_version;		/* 4 or 6 */
	uint8_t ttl;
	uint8_t src[16];		/* IPv4 in the first 4 bytes */
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
};

/* Bytes of Ethernet + tags + IP + UDP headers for h. */
uint32_t mr_l2l4_len(const struct mr_l2l4 *h);

/*
 * Write the headers for a UDP payload of pay_len bytes to buf and return
 * their length (mr_l2l4_len(h)), or 0 if the lengths do not fit. The IPv4
 * header checksum is filled; the UDP checksum is left 0: call
 * mr_enc_udp_csum() once the payload is in place behind the headers.
 */
uint32_t mr_enc_l2l4(uint8_t *buf, const struct mr_l2l4 *h, uint32_t pay_len);

/* Fill the UDP checksum of a flat packet built by mr_enc_l2l4(). */
void mr_enc_udp_csum(uint8_t *pkt, const struct mr_l2l4 *h);

#endif /* MRELAY_ENCODE_H */
