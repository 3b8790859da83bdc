/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelay wire protocol, version 1.
 *
 * This header is the single C definition of what travels on the wire between
 * gateways and the relay. docs/protocol.md says the same thing in prose with
 * byte offsets; tests/vectors/ holds byte-exact examples that the C encoder,
 * the Python codec (scripts/python/mrelay_codec.py) and the Wireshark
 * dissector (scripts/wireshark/mrelay.lua) are all checked against.
 *
 * Everything is in network byte order. All structures are packed and may sit
 * at any byte offset in a packet: read them through the helpers in parse.h,
 * never by casting a pointer into a possibly multi-segment mbuf.
 *
 * It depends on nothing but libc so that tools outside the dataplane can use it.
 */
#ifndef MRELAY_PROTO_H
#define MRELAY_PROTO_H

#include <stdint.h>

#define MR_PROTO_MAGIC		0x4d52	/* "MR" */
#define MR_PROTO_VERSION	1
#define MR_DEFAULT_UDP_PORT	7400

/*
 * Datagram header: the UDP payload starts with it, frames follow.
 *
 * hdr_len lets a later minor revision append header fields: a v1 reader
 * accepts hdr_len >= sizeof(struct mr_dgram_hdr) and skips what it does not
 * know. nframes is the exact number of frames that follow; a datagram whose
 * frames do not add up to exactly the UDP payload, or whose count differs, is
 * rejected whole.
 */
struct mr_dgram_hdr {
	uint16_t magic;		/* MR_PROTO_MAGIC */
	uint8_t version;	/* MR_PROTO_VERSION */
	uint8_t flags;		/* MR_DGRAM_F_*; other bits must be zero */
	uint8_t hdr_len;	/* bytes from the start of this header to frame 0 */
	uint8_t reserved;	/* must be zero */
	uint16_t nframes;	/* number of frames that follow, >= 1 */
} __attribute__((packed));

#define MR_DGRAM_F_FROM_RELAY	0x01	/* sent by a relay, not by a gateway */
#define MR_DGRAM_F_MASK		0x01

/*
 * Every frame starts with this header. len counts the whole frame, header
 * included, so a reader can always skip a frame it does not understand.
 */
struct mr_frame_hdr {
	uint16_t len;		/* whole frame in bytes, >= 4 */
	uint8_t type;		/* enum mr_frame_type */
	uint8_t flags;		/* per type; undefined bits must be zero */
} __attribute__((packed));

enum mr_frame_type {
	MR_FT_MSG = 1,
	MR_FT_ACK = 2,
	MR_FT_REJECT = 3,
	MR_FT_RECEIPT = 4,
	MR_FT_NAK = 5,
	MR_FT_PING = 6,
	MR_FT_PONG = 7,
	MR_FT_MAX		/* first unknown type */
};

/* Destination kinds of a MSG (and of the conversation in ACK/RECEIPT/NAK). */
enum mr_dst_kind {
	MR_DST_GROUP = 1,	/* dst_id is a group id */
	MR_DST_USER = 2,	/* dst_id is the peer user id (direct chat) */
	MR_DST_TOPIC = 3,	/* the subject names the topic; dst_id is 0 */
	MR_DST_MAX
};

#define MR_SUBJECT_MAX		255

/*
 * MSG: a message from a sender device to a group, a user or a topic subject.
 *
 * A gateway sends it with the stamped fields (rcpt_user, rcpt_device, seq,
 * relay_ts) set to zero. The relay delivers the same frame to each recipient
 * device with those fields filled in and MR_MSG_F_RELAYED set. The subject
 * (subject_len bytes, MR_DST_TOPIC only) follows the fixed part, then the
 * opaque payload runs to the end of the frame.
 */
struct mr_msg {
	struct mr_frame_hdr h;	/* type MR_FT_MSG */
	uint8_t dst_kind;	/* enum mr_dst_kind */
	uint8_t subject_len;	/* 0 unless dst_kind == MR_DST_TOPIC */
	uint16_t reserved;	/* must be zero */
	uint64_t sender_user;
	uint32_t sender_device;
	uint32_t rcpt_device;	/* stamped by the relay */
	uint64_t client_msg_id;	/* unique per sender device: the dedup key */
	uint64_t dst_id;	/* group id or peer user id */
	uint64_t seq;		/* stamped: conversation sequence number */
	uint64_t relay_ts;	/* stamped: relay time, ns since the Unix epoch */
	uint64_t rcpt_user;	/* stamped */
	/* uint8_t subject[subject_len]; uint8_t payload[]; */
} __attribute__((packed));

#define MR_MSG_F_RELAYED	0x01	/* a delivered copy, stamped by the relay */
#define MR_MSG_F_RETRANSMIT	0x02	/* the gateway resends: informative only */
#define MR_MSG_F_MASK		0x03

/*
 * ACK and REJECT: relay to the sending device, one per MSG. They share one
 * layout. An ACK carries the assigned sequence number and reason 0; a REJECT
 * carries a reason (enum mr_reject_reason) and seq 0.
 */
struct mr_ack {
	struct mr_frame_hdr h;	/* type MR_FT_ACK or MR_FT_REJECT */
	uint8_t dst_kind;
	uint8_t reserved;	/* must be zero */
	uint16_t reason;	/* 0 for ACK */
	uint64_t sender_user;
	uint32_t sender_device;
	uint32_t reserved2;	/* must be zero */
	uint64_t client_msg_id;
	uint64_t dst_id;
	uint64_t seq;		/* ACK: assigned sequence number */
	uint64_t relay_ts;
} __attribute__((packed));

#define MR_ACK_F_DUPLICATE	0x01	/* the MSG was seen before: original seq */
#define MR_ACK_F_MASK		0x01

enum mr_reject_reason {
	MR_REJ_NONE = 0,
	MR_REJ_NOT_MEMBER = 1,		/* sender is not a member of the group */
	MR_REJ_UNKNOWN_GROUP = 2,
	MR_REJ_UNKNOWN_USER = 3,	/* direct message to an unknown user */
	MR_REJ_UNKNOWN_DEVICE = 4,	/* sending device is not registered */
	MR_REJ_NOT_ALLOWED = 5,		/* posting policy or read-only role */
	MR_REJ_TOO_LARGE = 6,
	MR_REJ_RATE_LIMITED = 7,
	MR_REJ_NO_SUBSCRIBERS = 8,	/* reserved for topics */
	MR_REJ_NO_PERMISSION = 9,	/* may not publish to this topic */
	MR_REJ_OVERLOADED = 10,		/* relay out of buffers or queue space */
	MR_REJ_BAD_SUBJECT = 11,
	MR_REJ_MAX
};

/*
 * RECEIPT: from a recipient device about one delivered message, routed by the
 * relay to every device of the original sender (never to the whole group).
 * (dst_kind, dst_id, seq) are copied from the delivered MSG and identify it.
 */
struct mr_receipt {
	struct mr_frame_hdr h;	/* type MR_FT_RECEIPT */
	uint8_t kind;		/* enum mr_receipt_kind */
	uint8_t dst_kind;
	uint16_t reserved;	/* must be zero */
	uint64_t from_user;	/* the recipient that reports */
	uint32_t from_device;
	uint32_t to_device;	/* stamped by the relay */
	uint64_t to_user;	/* the original sender */
	uint64_t dst_id;
	uint64_t seq;
	uint64_t relay_ts;	/* stamped */
} __attribute__((packed));

enum mr_receipt_kind {
	MR_RCPT_DELIVERED = 1,
	MR_RCPT_READ = 2,
	MR_RCPT_MAX
};

#define MR_RECEIPT_F_RELAYED	0x01
#define MR_RECEIPT_F_MASK	0x01

/*
 * NAK: a device asks for sequence numbers [from_seq, to_seq] of a
 * conversation to be sent again. from_seq <= to_seq.
 */
struct mr_nak {
	struct mr_frame_hdr h;	/* type MR_FT_NAK */
	uint8_t dst_kind;
	uint8_t reserved;	/* must be zero */
	uint16_t reserved2;	/* must be zero */
	uint64_t user;
	uint32_t device;
	uint32_t reserved3;	/* must be zero */
	uint64_t dst_id;
	uint64_t from_seq;
	uint64_t to_seq;
} __attribute__((packed));

/*
 * PING and PONG: endpoint liveness. The relay answers a PING with a PONG that
 * echoes token and sender_ts and fills in relay_ts.
 */
struct mr_ping {
	struct mr_frame_hdr h;	/* type MR_FT_PING or MR_FT_PONG */
	uint32_t reserved;	/* must be zero */
	uint64_t token;
	uint64_t sender_ts;
	uint64_t relay_ts;	/* 0 in a PING */
} __attribute__((packed));

_Static_assert(sizeof(struct mr_dgram_hdr) == 8, "datagram header size");
_Static_assert(sizeof(struct mr_frame_hdr) == 4, "frame header size");
_Static_assert(sizeof(struct mr_msg) == 64, "MSG fixed part");
_Static_assert(sizeof(struct mr_ack) == 56, "ACK size");
_Static_assert(sizeof(struct mr_receipt) == 56, "RECEIPT size");
_Static_assert(sizeof(struct mr_nak) == 48, "NAK size");
_Static_assert(sizeof(struct mr_ping) == 32, "PING size");

/* Largest frame: len is 16 bits and counts the header. */
#define MR_FRAME_MAX		UINT16_MAX

#endif /* MRELAY_PROTO_H */
