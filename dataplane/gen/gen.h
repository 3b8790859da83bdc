/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelay-gen: workload generator and verifier for mrelayd. One header for
 * the files of the tool, one file per concern:
 *
 *   options.c  options: defaults, parsing, consistency
 *   model.c    the workload: population and messages, a pure function of the
 *              options and the seed; the payload every message carries
 *   writers.c  --write-pcap and --write-population
 *   send.c     packets of messages and receipts; the paced sender; ARP
 *   verify.c   what comes back: copies, ACKs/REJECTs, receipt copies
 *   kvtab.c    the small hash table verify.c keeps its state in
 *   stats.c    counters, the latency histogram, progress and the report
 *   live.c     --send: EAL, the port, the run loop
 *   main.c     main(), --verify-pcap
 *
 * Error rule (docs/architecture.md): constructors return NULL and set errno;
 * others return 0 or -errno; functions that take packets return a count.
 * Nothing here is shared with mrelayd but the protocol library (mrproto)
 * and port bring-up (mr_port_init).
 */
#ifndef MRELAY_GEN_H
#define MRELAY_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "encode.h"
#include "parse.h"
#include "proto.h"

/* Ids of the population: user index u is user GEN_USER_BASE + u, group
 * index g is group GEN_GROUP_BASE + g, device index d is device d + 1. */
#define GEN_USER_BASE		1000000ull
#define GEN_GROUP_BASE		500000ull
#define GEN_EP_PORT		7400	/* UDP port of every emulated gateway */
#define GEN_MAX_DEVS		64	/* devices per user the verifier tracks */
#define GEN_PAY_HDR		24	/* magic, length, index, timestamp */
#define GEN_PAY_MAX		1400	/* fits a 1500-byte MTU with all headers */
#define GEN_PAY_MAGIC		0x4d52474eu	/* "MRGN" */
#define GEN_DEFAULT_MSGID_BASE	(1ull << 32)

/* ------------------------------------------------------------ options */

#define GEN_EXIT_PROBLEM	1	/* the verifier found a problem */
#define GEN_EXIT_USAGE		2	/* usage, I/O or set-up error */

struct gen_opts {
	uint64_t seed;
	/* population */
	uint32_t groups;
	uint32_t members;		/* fixed group size, or 0 for Zipf */
	uint32_t zipf_max;		/* --members-zipf MAX,S */
	double zipf_s;
	uint32_t users;			/* 0: derived from the memberships */
	uint32_t devs;			/* devices per user */
	uint32_t endpoints;
	uint16_t ep_port_id;		/* mrelayd's DPDK port for endpoints */
	/* messages */
	uint32_t pay_min, pay_max;
	double rate;			/* messages/s; 0: as fast as possible */
	double duration;		/* s; 0: --count decides */
	uint64_t count;			/* 0: rate x duration, or unbounded */
	double direct_share;
	double receipt_share;
	uint32_t senders;		/* only users 0..senders-1 post; 0: all */
	uint64_t msgid_base;
	bool has_msgid_base;
	/* addresses */
	uint8_t relay_ip[4];
	uint16_t relay_port;
	struct rte_ether_addr relay_mac;
	bool has_relay_mac;
	struct rte_ether_addr gen_mac;
	/* what to do */
	const char *write_pcap;
	const char *write_pop;
	const char *verify_pcap;
	const char *sent_pcap;
	bool send;
	/* live run */
	const char *port_name;
	uint32_t window;		/* messages tracked at once */
	uint32_t deadline_ms;		/* a copy later than this is lost */
	uint32_t link_timeout_s;
	bool progress;
	bool json;
	bool hold;			/* after the report, wait for a signal */
};

/* Parse argv (argv[0] is the program) into o: 0, 1 after --help, or
 * -errno with the reason printed. */
int gen_parse_opts(int argc, char **argv, struct gen_opts *o);
void gen_usage(FILE *f);

/* -------------------------------------------------------------- model */

struct gen_model {
	const struct gen_opts *o;
	uint32_t nusers;
	uint32_t ndevs;
	uint32_t nendpoints;
	uint32_t ngroups;
	uint32_t max_group;
	uint64_t nmemberships;
	uint64_t *grp_off;		/* [ngroups + 1]: members of g are */
	uint32_t *members;		/* members[grp_off[g] .. grp_off[g+1]),
					 * user indices, ascending */
	uint64_t count;			/* messages in the run, UINT64_MAX: until
					 * the duration ends */
	uint64_t msgid_base;
};

/* One message, derived from (seed, index) alone. */
struct gen_msg {
	uint64_t index;
	uint32_t su;			/* sender user index */
	uint32_t sd;			/* sender device index (0-based) */
	uint32_t target;		/* group index, or recipient user index */
	uint32_t pay_len;
	uint32_t nbits;			/* size of the recipient bit space */
	uint32_t nexp;			/* copies expected: nbits - 1 */
	uint8_t direct;
};

/* Build the population from o. 0 or -errno (message in err). */
int gen_model_init(struct gen_model *m, const struct gen_opts *o,
		   char *err, size_t errlen);
void gen_model_fini(struct gen_model *m);

/* Message i of the workload. */
void gen_model_msg(const struct gen_model *m, uint64_t i, struct gen_msg *g);

/* Endpoint index of device d of user u, and its IPv4 address. */
uint32_t gen_dev_ep(const struct gen_model *m, uint32_t u, uint32_t d);
void gen_ep_ip(uint32_t ep, uint8_t ip[4]);
/* Endpoint index of an address, or -1 if it is not one of ours. */
int64_t gen_ip_ep(const struct gen_model *m, const uint8_t ip[4]);

/* Index of a user/group id, or -1 if it is not in the population. */
int64_t gen_user_idx(const struct gen_model *m, uint64_t id);
int64_t gen_group_idx(const struct gen_model *m, uint64_t id);

/* Position of user u in group g, or -1. */
int64_t gen_member_pos(const struct gen_model *m, uint32_t g, uint32_t u);

/*
 * Recipient bit of (user u, device d) for message g, or -1 if that device
 * is not a recipient (the sending device itself is not).
 * Group: member position * ndevs + d. Direct: recipient's devices 0..D-1,
 * then the sender's D..2D-1.
 */
int64_t gen_rcpt_bit(const struct gen_model *m, const struct gen_msg *g,
		     uint32_t u, uint32_t d);

/* The conversation of message g: group index, or the user pair. */
uint64_t gen_conv(const struct gen_model *m, const struct gen_msg *g);
uint64_t gen_conv_pair(const struct gen_model *m, uint32_t a, uint32_t b);

/* Does the recipient at bit answer message i with a RECEIPT? */
bool gen_wants_receipt(const struct gen_model *m, uint64_t i, uint32_t bit);

/* Write / check a payload of len bytes for message i with timestamp ts. */
void gen_payload_fill(uint8_t *p, uint32_t len, uint64_t i, uint64_t ts);
/* 0 if intact; else 1. *i and *ts are set whenever the header is readable
 * (len >= GEN_PAY_HDR and the magic is right), else *i = UINT64_MAX. */
int gen_payload_check(const uint8_t *p, uint32_t len, uint64_t *i,
		      uint64_t *ts);

/* Nominal send time of message i in a recording, ns since the epoch. */
uint64_t gen_nominal_ns(const struct gen_model *m, uint64_t i);

/* ------------------------------------------------------------ packets */

/* Addresses of a packet from endpoint ep to the relay. */
void gen_l2l4_to_relay(const struct gen_model *m, uint32_t ep,
		       struct mr_l2l4 *h);

/* Build the packet of message g into buf (room bytes) with timestamp ts.
 * Returns its length, or 0 if it does not fit. */
uint32_t gen_build_msg(const struct gen_model *m, const struct gen_msg *g,
		       uint64_t ts, uint8_t *buf, uint32_t room);

/* Build a RECEIPT from (u, d) about copy c into buf; length or 0. */
uint32_t gen_build_receipt(const struct gen_model *m, uint32_t u, uint32_t d,
			   const struct mr_frame_view *copy, uint8_t *buf,
			   uint32_t room);

/* Live sender on one DPDK port (queue 0). */
#define GEN_TX_BURST	32
#define GEN_TX_PEND	256

struct gen_verify;
struct gen_rc_req;
struct rte_mempool;

struct gen_tx {
	const struct gen_model *m;
	struct gen_verify *v;
	struct gen_stats *st;
	struct rte_mempool *pool;
	uint16_t port;
	uint16_t npend;
	bool done;
	bool stalled;			/* the window was full last turn */
	uint64_t next;			/* next message index */
	uint64_t hz;
	uint64_t tsc0;			/* the run's clock starts here */
	uint64_t mult;			/* ns = (tsc - tsc0) * mult >> 32 */
	uint64_t gap_tsc;		/* between two messages; 0: no pacing */
	uint64_t next_tsc;		/* when the next message is due */
	uint64_t end_tsc;		/* --rate 0 --duration: time limit; 0: none */
	struct rte_mbuf *pend[GEN_TX_PEND];	/* built, not yet taken */
};

int gen_tx_init(struct gen_tx *tx, const struct gen_model *m,
		struct gen_verify *v, struct gen_stats *st, uint16_t port,
		struct rte_mempool *pool);
/* Start the clock and the pacing now. */
void gen_tx_start(struct gen_tx *tx, uint64_t now_tsc);
/* The run's clock in ns at TSC tsc. */
uint64_t gen_tx_ns(const struct gen_tx *tx, uint64_t tsc);
/* Send what is due; returns true once every message has been built. */
bool gen_tx_poll(struct gen_tx *tx, uint64_t now_tsc);
/* Build and queue receipts (gen_verify_pkt's requests). */
void gen_tx_receipts(struct gen_tx *tx, const struct gen_rc_req *rc,
		     uint16_t n);
void gen_tx_flush(struct gen_tx *tx);
/* Send no more messages (a signal). */
void gen_tx_stop(struct gen_tx *tx);
/* Free what is still pending. */
void gen_tx_fini(struct gen_tx *tx);
/* ARP: ask for the relay's MAC; handle an ARP packet (1 if it was one). */
int gen_arp_request(struct gen_tx *tx);
int gen_arp_input(struct gen_tx *tx, struct rte_mbuf *mb,
		  struct rte_ether_addr *mac);

/* ------------------------------------------------------------- writers */

int gen_write_pcap(const struct gen_model *m, const char *path, char *err,
		   size_t errlen);
int gen_write_population(const struct gen_model *m, const char *path,
			 char *err, size_t errlen);

/* ------------------------------------------------------------ kv table */

/*
 * Open addressing, linear probing, two 64-bit keys and a 64-bit value; a
 * value of 0 marks a free cell, so callers store non-zero values. Tables
 * that hold per-message state are purged (rebuilt without the entries of
 * retired messages) before they grow: their size follows what is in flight,
 * not the length of the run.
 */
struct gen_kv {
	uint64_t k1, k2, v;
};

struct gen_kvtab {
	struct gen_kv *t;
	uint64_t mask;
	uint64_t n;
	/* keep(entry, arg) says whether a purge keeps it; NULL: never purge */
	bool (*keep)(const struct gen_kv *e, void *arg);
	void *arg;
};

int gen_kv_init(struct gen_kvtab *t, uint64_t cap,
		bool (*keep)(const struct gen_kv *, void *), void *arg);
void gen_kv_fini(struct gen_kvtab *t);
/* The value of (k1, k2), or NULL. */
uint64_t *gen_kv_find(struct gen_kvtab *t, uint64_t k1, uint64_t k2);
/* The value of (k1, k2), inserted as 0 if absent (the caller must make it
 * non-zero at once); NULL when out of memory. */
uint64_t *gen_kv_upsert(struct gen_kvtab *t, uint64_t k1, uint64_t k2);

/* ------------------------------------------------------------- stats */

/* Log-linear histogram of nanoseconds: 2^GEN_HIST_SUB linear buckets per
 * power of two, so every value is kept within 1/2^GEN_HIST_SUB (3%). */
#define GEN_HIST_SUB		5
#define GEN_HIST_BUCKETS	((64 - GEN_HIST_SUB + 1) << GEN_HIST_SUB)

struct gen_hist {
	uint64_t b[GEN_HIST_BUCKETS];
	uint64_t n;
	uint64_t min, max;
	long double sum;
};

void gen_hist_add(struct gen_hist *h, uint64_t v);
/* Value at quantile q (0..1): the upper bound of its bucket, at most max. */
uint64_t gen_hist_quantile(const struct gen_hist *h, double q);

/* Everything the report says. */
struct gen_stats {
	/* messages */
	uint64_t sent;
	uint64_t acked;
	uint64_t rejected;
	uint64_t rejects[MR_REJ_MAX];
	uint64_t ack_dup_flag;		/* ACK with DUPLICATE: not expected */
	uint64_t ack_extra;		/* a second ACK/REJECT for a message */
	uint64_t ack_missing;
	uint64_t ack_unexpected;	/* for no message we sent */
	uint64_t ack_mismatch;		/* fields differ from the message */
	/* copies */
	uint64_t copies_expected;
	uint64_t copies;		/* received once, as expected */
	uint64_t lost;
	uint64_t duplicated;
	uint64_t reordered;
	uint64_t unexpected;		/* not a recipient, or never sent */
	uint64_t late;			/* after the message was retired */
	uint64_t corrupt;		/* payload not what was sent */
	uint64_t mismatch;		/* header fields not the message's */
	uint64_t seq_mismatch;		/* seq differs from the ACK / others */
	uint64_t misrouted;		/* to another endpoint than the device's */
	/* receipts */
	uint64_t rc_sent;
	uint64_t rc_expected;		/* copies: rc_sent x devices */
	uint64_t rc_copies;
	uint64_t rc_lost;
	uint64_t rc_duplicated;
	uint64_t rc_unexpected;
	/* packets */
	uint64_t tx_pkts;
	uint64_t tx_retries;		/* TX queue full: sent again later */
	uint64_t rx_pkts;
	uint64_t rx_bad[MR_DROP_MAX];	/* did not parse, by reason */
	uint64_t rx_other;		/* ARP, ICMP, foreign UDP */
	uint64_t rx_frames_other;	/* PONG, NAK, ... */
	uint64_t arp_replies;
	uint64_t window_stalls;		/* times sending paused: window full */
	uint64_t tx_no_mbuf;
	uint64_t tx_unsent;		/* still queued at the end: never sent */
	bool link_lost;			/* the port went down during the run */
	/* the generator's own port: what it lost itself */
	uint64_t port_imissed;
	uint64_t port_rx_nombuf;
	uint64_t port_ierrors;
	uint64_t port_oerrors;
	/* time */
	uint64_t t_first_tx, t_last_tx;	/* ns on the run's clock */
	uint64_t t_first_rx, t_last_rx;
	struct gen_hist lat;		/* send -> copy received, ns */
	bool live;
};

/* True if nothing went wrong. */
bool gen_stats_clean(const struct gen_stats *s);
/* Final report, human or JSON. */
void gen_report(FILE *f, const struct gen_model *m, const struct gen_stats *s,
		bool json);
/* One progress line. */
void gen_progress(FILE *f, const struct gen_stats *s, const struct gen_stats *prev,
		  double t_s, double dt_s, uint64_t in_flight);

/* ------------------------------------------------------------ verifier */

struct gen_verify;

/* Track up to window messages (rounded up to a power of two); copies of a
 * message are expected within deadline_ns of its sending. */
struct gen_verify *gen_verify_new(const struct gen_model *m,
				  struct gen_stats *st, uint32_t window,
				  uint64_t deadline_ns);
void gen_verify_free(struct gen_verify *v);
/* Live run: payload timestamps are TSC; run ns = (tsc - tsc0) * mult >> 32. */
void gen_verify_set_clock(struct gen_verify *v, uint64_t tsc0, uint64_t mult);

/* Room for one more message in the window? */
bool gen_verify_room(const struct gen_verify *v);
/* Message g was sent at now_ns (ts: what its payload carries). */
void gen_verify_sent(struct gen_verify *v, const struct gen_msg *g,
		     uint64_t ts, uint64_t now_ns);
/* Message index i was not sent (absent from a recording): skip it. */
void gen_verify_skip(struct gen_verify *v, uint64_t i);

/*
 * Check one received packet at now_ns. Receipts the recipients answer with
 * (gen_wants_receipt) are returned in rc[0..room): the caller builds each
 * with gen_build_receipt() and, once it is sent, calls
 * gen_verify_receipt_sent(). Returns how many were returned.
 */
struct gen_rc_req {
	uint32_t user, dev;		/* the recipient that answers */
	uint64_t index;			/* the message */
	uint32_t bit;			/* its recipient bit */
	struct mr_frame_view copy;	/* the copy it answers */
};
uint16_t gen_verify_pkt(struct gen_verify *v, const struct rte_mbuf *pkt,
			uint64_t now_ns, struct gen_rc_req *rc, uint16_t room);
/* The receipt rc was sent: expect its copies. */
void gen_verify_receipt_sent(struct gen_verify *v, const struct gen_rc_req *rc);

/* Retire messages that are complete or past the deadline at now_ns; all of
 * them if final. Returns the messages still in flight. */
uint64_t gen_verify_retire(struct gen_verify *v, uint64_t now_ns, bool final);
uint64_t gen_verify_in_flight(const struct gen_verify *v);

/* --send: EAL (eal_argc/eal_argv), the port, the run and the report.
 * Returns the exit status. */
int gen_run_live(struct gen_opts *o, struct gen_model *m,
		 struct gen_stats *st, int eal_argc, char **eal_argv);

/* Turn a pcap record into a one-segment mbuf view (no EAL needed). */
void gen_flat_mbuf(struct rte_mbuf *m, const uint8_t *data, uint32_t len);

#endif /* MRELAY_GEN_H */
