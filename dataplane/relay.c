/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * The relay logic of a worker: MSG (authorise, deduplicate, stamp, ACK, fan
 * out), RECEIPT (to every device of the original sender), PING (PONG), and
 * the handover of frames to the worker that owns their conversation.
 */
#include <errno.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fanout.h"
#include "relay.h"
#include "tables.h"
#include "worker.h"

/* ------------------------------------------------------------ replies */

/* Reply address of a received packet: back where it came from. */
static void
reply_of(const struct mr_worker *w, const struct rte_mbuf *m,
	 const struct mr_pkt_info *pi, struct mr_reply *r)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct mr_l2l4 *h = &r->l2l4;

	r->port = m->port;
	rte_ether_addr_copy(&eth->src_addr, &h->dst_mac);
	/* from the port's own MAC, whatever the request was sent to */
	rte_ether_addr_copy(&w->relay->ports[m->port].mac, &h->src_mac);
	h->nb_vlan = pi->nb_vlan;
	memcpy(h->vlan_tpid, pi->vlan_tpid, sizeof(h->vlan_tpid));
	memcpy(h->vlan_tci, pi->vlan_tci, sizeof(h->vlan_tci));
	h->ip_version = pi->ip_version;
	h->ttl = 64;
	memcpy(h->src, pi->dst, 16);
	memcpy(h->dst, pi->src, 16);
	h->sport = pi->dport;
	h->dport = pi->sport;
}

/*
 * Send a fixed frame built in v back along r. Replies come from the RX pool,
 * not from the header pool that fan-outs drain, so that a REJECT OVERLOADED
 * still goes out when copies are what exhausted the buffers. Returns 1 if
 * the reply was queued, 0 if it was dropped (and counted).
 */
static int
reply_frame(struct mr_worker *w, const struct mr_reply *r,
	    const struct mr_frame_view *v)
{
	uint8_t buf[64];
	struct mr_enc e;
	struct mr_tmpl t;
	unsigned int ret;

	/* encode the frame alone, skipping the datagram header */
	mr_enc_begin(&e, buf, sizeof(buf), 0);
	if (mr_enc_frame(&e, v, NULL, NULL, 0) != 0)
		return 0;
	mr_tmpl_init_frame(&t, buf + sizeof(struct mr_dgram_hdr),
			   e.len - sizeof(struct mr_dgram_hdr), 0, 0);
	t.reply = 1;
	ret = mr_send(w, r->port, &r->l2l4, &t, 0, 0);
	if (ret != 0) {
		w->st.drops[ret]++;
		return 0;
	}
	return 1;
}

static void
send_ack(struct mr_worker *w, const struct mr_reply *r,
	 const struct mr_frame_view *msg, uint64_t seq, uint64_t ts,
	 uint8_t flags)
{
	struct mr_frame_view a = {
		.type = MR_FT_ACK,
		.flags = flags,
		.dst_kind = msg->dst_kind,
		.user = msg->user,
		.device = msg->device,
		.msg_id = msg->msg_id,
		.dst_id = msg->dst_id,
		.seq = seq,
		.ts = ts,
	};

	w->st.acks += reply_frame(w, r, &a);
}

static void
send_reject(struct mr_worker *w, const struct mr_reply *r,
	    const struct mr_frame_view *msg, uint16_t reason)
{
	struct mr_frame_view a = {
		.type = MR_FT_REJECT,
		.dst_kind = msg->dst_kind,
		.reason = reason,
		.user = msg->user,
		.device = msg->device,
		.msg_id = msg->msg_id,
		.dst_id = msg->dst_id,
		.ts = mr_clock_ns(&w->relay->clock, w->now),
	};

	w->st.rejects[reason] += reply_frame(w, r, &a);
}

/* ---------------------------------------------------------------- MSG */

static int
dev_registered(const struct mr_devset *ds, uint32_t device)
{
	uint32_t i;

	for (i = 0; ds != NULL && i < ds->n; i++)
		if (ds->d[i].device == device)
			return 1;
	return 0;
}

/* Next sequence number of the direct conversation (a, b); 0 if full. */
static uint64_t
pair_next_seq(struct mr_worker *w, uint64_t a, uint64_t b)
{
	uint64_t key[2] = {a < b ? a : b, a < b ? b : a};
	int32_t pos = rte_hash_lookup(w->convs, key);

	if (pos < 0) {
		pos = rte_hash_add_key(w->convs, key);
		if (pos < 0)
			return 0;
		w->conv_seq[pos] = w->seq_base;
	}
	return ++w->conv_seq[pos];
}

/*
 * A MSG on its owning worker. Either a REJECT goes back, or the message is
 * stamped, ACKed and queued for fan-out; a retransmit is ACKed again with
 * its original sequence number and not delivered twice.
 */
static void
handle_msg(struct mr_worker *w, struct rte_mbuf *m,
	   const struct mr_frame_view *v, const struct mr_reply *r)
{
	const struct mr_tables *t = w->tables;
	const struct mr_group *g = NULL;
	struct mr_dedup_ent *dup, *slot = NULL;
	struct mr_frame_view s;
	struct mr_fanout *f;
	int32_t su, ru = -1, gpos = -1;
	uint64_t seq, ts;
	int role;

	if (v->payload_len > w->relay->max_payload) {
		send_reject(w, r, v, MR_REJ_TOO_LARGE);
		return;
	}
	if (v->dst_kind == MR_DST_TOPIC) {
		send_reject(w, r, v, MR_REJ_NO_SUBSCRIBERS);
		return;
	}
	su = mr_tables_user(t, v->user);
	if (su < 0 || !dev_registered(mr_tables_devices(t, su), v->device)) {
		send_reject(w, r, v, MR_REJ_UNKNOWN_DEVICE);
		return;
	}
	if (v->dst_kind == MR_DST_GROUP) {
		gpos = rte_hash_lookup(t->groups, &v->dst_id);
		g = gpos < 0 ? NULL : __atomic_load_n(&t->grp[gpos],
						      __ATOMIC_ACQUIRE);
		if (g == NULL) {
			send_reject(w, r, v, MR_REJ_UNKNOWN_GROUP);
			return;
		}
		role = mr_group_role(g, su);
		if (role < 0) {
			send_reject(w, r, v, MR_REJ_NOT_MEMBER);
			return;
		}
		if (role == MR_ROLE_READONLY ||
		    (g->policy == MR_POLICY_ADMINS && role != MR_ROLE_ADMIN)) {
			send_reject(w, r, v, MR_REJ_NOT_ALLOWED);
			return;
		}
	} else {
		ru = mr_tables_user(t, v->dst_id);
		if (ru < 0 || mr_tables_devices(t, ru) == NULL) {
			send_reject(w, r, v, MR_REJ_UNKNOWN_USER);
			return;
		}
	}

	dup = mr_dedup_lookup(&w->dedup, v->user, v->device, v->msg_id,
			      v->dst_kind, v->dst_id, &slot);
	if (dup != NULL) {
		send_ack(w, r, v, dup->seq, dup->ts, MR_ACK_F_DUPLICATE);
		w->st.dup_acks++;
		return;
	}
	/* room first, so that a refused message uses no sequence number */
	f = mr_fanout_new(w);
	if (f == NULL) {
		w->st.drops[MR_DROP_DP_FANOUT_FULL]++;
		send_reject(w, r, v, MR_REJ_OVERLOADED);
		return;
	}
	if (g != NULL) {
		struct mr_gseq *gs = &w->gseq[gpos];

		if (gs->seq == 0 || gs->id != g->id) {
			/* first use, or a position reused by another group */
			gs->id = g->id;
			gs->seq = w->seq_base;
		}
		seq = ++gs->seq;
	} else {
		seq = pair_next_seq(w, v->user, v->dst_id);
		if (seq == 0) {
			send_reject(w, r, v, MR_REJ_OVERLOADED);
			return;
		}
	}
	ts = mr_clock_ns(&w->relay->clock, w->now);
	*slot = (struct mr_dedup_ent){
		.user = v->user, .msg_id = v->msg_id, .dst_id = v->dst_id,
		.seq = seq, .ts = ts, .device = v->device,
		.dst_kind = v->dst_kind,
	};
	send_ack(w, r, v, seq, ts, 0);

	/* the stamped frame every copy shares */
	s = *v;
	s.flags = (v->flags & ~MR_MSG_F_RETRANSMIT) | MR_MSG_F_RELAYED;
	s.seq = seq;
	s.ts = ts;
	s.rcpt_user = 0;
	s.rcpt_device = 0;
	mr_tmpl_init(&f->t, &s, m, NULL);
	rte_mbuf_refcnt_update(m, 1);
	f->src = m;
	f->skip_u = su;
	f->skip_dev = v->device;
	if (g != NULL) {
		mr_group_pin(g);
		f->g = g;
	} else {
		f->users[0] = ru;
		f->users[1] = su;
		f->nusers = ru == su ? 1 : 2;
	}
	mr_fanout_push(w, f);
}

/* ------------------------------------------------------------ RECEIPT */

/* To every device of the original sender; never to the whole group. */
static void
handle_receipt(struct mr_worker *w, const struct mr_frame_view *v)
{
	const struct mr_tables *t = w->tables;
	const struct mr_devset *ds;
	struct mr_frame_view s = *v;
	struct mr_tmpl tm;
	uint8_t buf[64];
	struct mr_enc e;
	int32_t u;
	uint32_t i;

	u = mr_tables_user(t, v->rcpt_user);
	ds = u < 0 ? NULL : mr_tables_devices(t, u);
	if (ds == NULL) {
		w->st.drops[MR_DROP_DP_RECEIPT_UNKNOWN]++;
		return;
	}
	s.flags = MR_RECEIPT_F_RELAYED;
	s.rcpt_device = 0;
	s.ts = mr_clock_ns(&w->relay->clock, w->now);
	mr_enc_begin(&e, buf, sizeof(buf), 0);
	if (mr_enc_frame(&e, &s, NULL, NULL, 0) != 0)
		return;
	mr_tmpl_init_frame(&tm, buf + sizeof(struct mr_dgram_hdr),
			   sizeof(struct mr_receipt),
			   offsetof(struct mr_receipt, to_device), 0);
	for (i = 0; i < ds->n; i++)
		if (mr_send_ep(w, mr_tables_endpoint(t, ds->d[i].ep), &tm, 0,
			       ds->d[i].device) == 0)
			w->st.receipts++;
}

/* ------------------------------------------------------------ dispatch */

static void
handle_owned(struct mr_worker *w, struct rte_mbuf *m,
	     const struct mr_frame_view *v, const struct mr_reply *r)
{
	handle_msg(w, m, v, r);
}

/* Which worker owns this MSG's conversation. */
static unsigned int
msg_owner(const struct mr_worker *w, const struct mr_frame_view *v)
{
	const struct mr_relay *r = w->relay;

	if (r->nb_workers == 1 || v->dst_kind == MR_DST_TOPIC)
		return w->idx;
	if (v->dst_kind == MR_DST_GROUP)
		return mr_group_owner(r, v->dst_id);
	return mr_pair_owner(r, v->user, v->dst_id);
}

static void
hand_over(struct mr_worker *w, unsigned int owner, struct rte_mbuf *m,
	  const struct mr_frame_view *v, const struct mr_reply *r)
{
	struct mr_handover *ho;

	if (rte_mempool_get(w->ho_pool, (void **)&ho) != 0) {
		w->st.drops[MR_DROP_DP_HANDOVER_FULL]++;
		send_reject(w, r, v, MR_REJ_OVERLOADED);
		return;
	}
	ho->m = m;
	ho->v = *v;
	ho->reply = *r;
	rte_mbuf_refcnt_update(m, 1);
	if (rte_ring_sp_enqueue(w->relay->ring[w->idx][owner], ho) != 0) {
		rte_mbuf_refcnt_update(m, -1);
		rte_mempool_put(w->ho_pool, ho);
		w->st.drops[MR_DROP_DP_HANDOVER_FULL]++;
		send_reject(w, r, v, MR_REJ_OVERLOADED);
		return;
	}
	w->st.handed_over++;
}

void
mr_relay_frame(struct mr_worker *w, struct rte_mbuf *m,
	       const struct mr_pkt_info *pi, const struct mr_frame_view *v)
{
	struct mr_frame_view p;
	struct mr_reply r;
	unsigned int owner;

	switch (v->type) {
	case MR_FT_MSG:
		if (v->flags & MR_MSG_F_RELAYED)
			break;
		reply_of(w, m, pi, &r);
		owner = msg_owner(w, v);
		if (owner == w->idx)
			handle_owned(w, m, v, &r);
		else
			hand_over(w, owner, m, v, &r);
		return;
	case MR_FT_RECEIPT:
		if (v->flags & MR_RECEIPT_F_RELAYED)
			break;
		handle_receipt(w, v);
		return;
	case MR_FT_PING:
		reply_of(w, m, pi, &r);
		p = *v;
		p.type = MR_FT_PONG;
		p.ts = mr_clock_ns(&w->relay->clock, w->now);
		w->st.pongs += reply_frame(w, &r, &p);
		return;
	case MR_FT_NAK:
		w->st.drops[MR_DROP_DP_NAK_NO_HISTORY]++;
		return;
	default:
		break;
	}
	/* ACK, REJECT, PONG and stamped copies only ever leave the relay */
	w->st.drops[MR_DROP_DP_DIRECTION]++;
}

void
mr_relay_handover(struct mr_worker *w)
{
	struct mr_handover *ho[32];
	unsigned int from, n, i;

	for (from = 0; from < w->relay->nb_workers; from++) {
		if (from == w->idx)
			continue;
		n = rte_ring_sc_dequeue_burst(w->relay->ring[from][w->idx],
					      (void **)ho, RTE_DIM(ho), NULL);
		for (i = 0; i < n; i++) {
			handle_owned(w, ho[i]->m, &ho[i]->v, &ho[i]->reply);
			rte_pktmbuf_free(ho[i]->m);
			/* back to the sender's pool; mempools are MP-safe */
			rte_mempool_put(rte_mempool_from_obj(ho[i]), ho[i]);
		}
		w->st.taken_over += n;
	}
}

/* -------------------------------------------------------------- setup */

void
mr_relay_drain_rings(struct mr_relay *r)
{
	struct mr_handover *ho;
	unsigned int a, b;

	for (a = 0; a < r->nb_workers; a++)
		for (b = 0; b < r->nb_workers; b++)
			while (r->ring[a][b] != NULL &&
			       rte_ring_dequeue(r->ring[a][b],
						(void **)&ho) == 0) {
				rte_pktmbuf_free(ho->m);
				rte_mempool_put(rte_mempool_from_obj(ho), ho);
			}
}

int
mr_relay_worker_init(struct mr_worker *w, uint32_t dedup_entries,
		     uint32_t max_convs, uint32_t max_group_pos)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = name,
		.entries = max_convs,
		.key_len = 2 * sizeof(uint64_t),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_lcore_to_socket_id(w->lcore_id),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	snprintf(name, sizeof(name), "mr_convs_%u", w->idx);
	w->convs = rte_hash_create(&p);
	w->conv_seq = rte_zmalloc_socket("mr_conv_seq",
		(rte_hash_max_key_id(w->convs) + 1) * sizeof(uint64_t), 0,
		p.socket_id);
	w->gseq = rte_zmalloc_socket("mr_gseq",
		(size_t)max_group_pos * sizeof(*w->gseq), 0, p.socket_id);
	w->fq = rte_zmalloc_socket("mr_fanout",
		MR_FANOUT_QUEUE * sizeof(*w->fq), RTE_CACHE_LINE_SIZE,
		p.socket_id);
	w->ephdr = rte_zmalloc_socket("mr_ephdr", (size_t)
		w->tables->cfg.max_endpoints * sizeof(*w->ephdr),
		RTE_CACHE_LINE_SIZE, p.socket_id);
	if (w->convs == NULL || w->conv_seq == NULL || w->gseq == NULL ||
	    w->fq == NULL || w->ephdr == NULL ||
	    mr_dedup_init(&w->dedup, dedup_entries) != 0) {
		mr_relay_worker_fini(w);
		return -ENOMEM;
	}
	return 0;
}

void
mr_relay_worker_fini(struct mr_worker *w)
{
	if (w->fq != NULL)
		mr_fanout_flush(w);
	rte_hash_free(w->convs);
	rte_free(w->conv_seq);
	rte_free(w->gseq);
	rte_free(w->fq);
	rte_free(w->ephdr);
	mr_dedup_fini(&w->dedup);
	w->convs = NULL;
	w->conv_seq = NULL;
	w->gseq = NULL;
	w->fq = NULL;
	w->ephdr = NULL;
}
