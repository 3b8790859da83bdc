/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Copies and fan-outs. See fanout.c.
 */
#ifndef MRELAY_FANOUT_H
#define MRELAY_FANOUT_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "encode.h"
#include "parse.h"
#include "proto.h"

struct mr_worker;
struct mr_group;
struct mr_endpoint;

/*
 * What every copy of one frame shares: the stamped frame (recipient fields
 * zero), its checksum contribution, and where the payload is.
 */
struct mr_tmpl {
	const struct rte_mbuf *src;	/* payload source, NULL if none */
	uint32_t pay_off, pay_len;
	uint32_t pay_sum;		/* raw sum, aligned to its offset */
	uint32_t frame_sum;		/* raw sum of datagram header + frame */
	uint16_t flen;
	uint16_t rcpt_dev_off;		/* 0: not patched per copy */
	uint16_t rcpt_user_off;		/* 0: not patched per copy */
	uint8_t reply;			/* from the RX pool (replies) */
	uint64_t serial;		/* names the template for header caches */
	uint8_t frame[sizeof(struct mr_msg) + MR_SUBJECT_MAX];
};

/* Ethernet + 2 tags + IPv6 + UDP + datagram header + MSG with subject */
#define MR_HDR_MAX	(22 + 40 + 8 + 8 + sizeof(struct mr_msg) + MR_SUBJECT_MAX)

/*
 * The headers of a copy for one destination, ready to be copied into each
 * packet: bytes, where the UDP header and the frame are, and the UDP
 * checksum sum without the recipient fields. In the per-endpoint cache,
 * also what they were built for.
 */
struct mr_hdr {
	uint64_t serial;		/* template (message) */
	const struct mr_endpoint *ep;	/* endpoint object */
	uint64_t mac;			/* resolved MAC word, 0 if static */
	uint32_t sum;
	uint16_t port;
	uint16_t len;
	uint16_t udp_off;
	uint16_t frame_off;
	uint8_t b[MR_HDR_MAX];
};

/* One pending fan-out: a message and a cursor over its recipients. */
struct mr_fanout {
	struct rte_mbuf *src;		/* one reference held */
	const struct mr_group *g;	/* pinned, or NULL for a direct chat */
	uint32_t users[2];		/* direct: recipient, sender */
	uint32_t nusers;
	uint32_t mi;			/* next member (or users[]) index */
	uint32_t di;			/* next device index of that user */
	uint32_t skip_u;		/* the sending device is not a recipient */
	uint32_t skip_dev;
	uint32_t ncopies;
	struct mr_tmpl t;		/* last: not cleared by mr_fanout_new */
};

/* Template of a MSG copy from the stamped view v (payload in src). */
void mr_tmpl_init(struct mr_tmpl *t, const struct mr_frame_view *v,
		  const struct rte_mbuf *src, const void *subject);

/* Template of a whole fixed frame (ACK, REJECT, RECEIPT, PONG). */
void mr_tmpl_init_frame(struct mr_tmpl *t, const void *frame, uint16_t flen,
			uint16_t rcpt_dev_off, uint16_t rcpt_user_off);

/* Addresses for endpoint ep: 0 or a drop reason (not counted). */
unsigned int mr_ep_dest(struct mr_worker *w, const struct mr_endpoint *ep,
			struct mr_l2l4 *h, uint16_t *port);

/* Build and queue one packet; 0 or a drop reason (not counted). */
unsigned int mr_send(struct mr_worker *w, uint16_t port,
		     const struct mr_l2l4 *h, const struct mr_tmpl *t,
		     uint64_t rcpt_user, uint32_t rcpt_dev);

/* mr_ep_dest() + mr_send(); counts a drop. 0 or the reason. */
unsigned int mr_send_ep(struct mr_worker *w, const struct mr_endpoint *ep,
			const struct mr_tmpl *t, uint64_t rcpt_user,
			uint32_t rcpt_dev);

/* A free FIFO slot (cursor cleared), or NULL when the FIFO is full. */
struct mr_fanout *mr_fanout_new(struct mr_worker *w);
/* Queue the slot filled after mr_fanout_new(). */
void mr_fanout_push(struct mr_worker *w, struct mr_fanout *f);
/* Release every pending fan-out. */
void mr_fanout_flush(struct mr_worker *w);

#endif /* MRELAY_FANOUT_H */
