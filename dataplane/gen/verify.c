/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * The verifier: everything the relay sends back is checked against the
 * model.
 *
 * A message is tracked from the moment it is sent until it is retired:
 * when its ACK (or REJECT), every expected copy and every expected receipt
 * copy have arrived, or when it is older than the deadline. At retirement
 * whatever is missing is counted (lost copies, missing ACK, lost receipt
 * copies). Slots live in a ring indexed by message index, so memory follows
 * the window, not the length of the run; sending waits when the ring is
 * full.
 *
 * For each copy: the payload's index names the message; its header must be
 * the message's (sender, client id, destination, flags), its payload intact
 * (length, magic, index, timestamp, pattern), its recipient one of the
 * expected ones and not seen before (a bit per recipient device: else a
 * duplicate), delivered to that device's endpoint, with the sequence number
 * the ACK gave, and after every earlier copy of the conversation for that
 * device (else reordered: kept per (device, conversation), the largest
 * sequence number seen).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>

#include "gen.h"

struct vslot {
	uint64_t idx;		/* UINT64_MAX: free */
	uint64_t ts;		/* what the payload carries */
	uint64_t sent_ns;
	uint64_t seq;		/* 0: not known yet */
	uint32_t su, sd, target, pay_len;
	uint32_t nbits, nexp, ngot;
	uint32_t rc_sent, rc_got;
	uint8_t direct, acked, rejected, skipped;
	uint64_t inl[2];	/* recipient bits when nbits <= 128 */
	uint64_t *bits;
};

struct gen_verify {
	const struct gen_model *m;
	struct gen_stats *st;
	struct vslot *s;
	uint64_t mask;
	uint64_t next;		/* every index below is registered */
	uint64_t oldest;	/* every index below is retired */
	uint64_t deadline_ns;
	struct gen_kvtab order;		/* (device, conv) -> last seq */
	struct gen_kvtab convseq;	/* (conv, seq) -> index + 1 */
	struct gen_kvtab rcs;		/* (index, bit << 8 | to_dev) -> 1|2 */
	struct mr_parse_cfg pcfg;
	uint64_t tsc0, mult;	/* live: payload TSC -> run ns */
	uint8_t pay[UINT16_MAX + 1];
};

void
gen_verify_set_clock(struct gen_verify *v, uint64_t tsc0, uint64_t mult)
{
	v->tsc0 = tsc0;
	v->mult = mult;
}

static bool
keep_convseq(const struct gen_kv *e, void *arg)
{
	const struct gen_verify *v = arg;

	return e->v - 1 >= v->oldest;
}

static bool
keep_rcs(const struct gen_kv *e, void *arg)
{
	const struct gen_verify *v = arg;

	return e->k1 >= v->oldest;
}

struct gen_verify *
gen_verify_new(const struct gen_model *m, struct gen_stats *st,
	       uint32_t window, uint64_t deadline_ns)
{
	struct gen_verify *v = calloc(1, sizeof(*v));
	uint64_t n = 1, i;

	if (v == NULL)
		return NULL;
	while (n < window)
		n <<= 1;
	v->m = m;
	v->st = st;
	v->mask = n - 1;
	v->deadline_ns = deadline_ns;
	v->pcfg.verify_l4_csum = 1;
	v->s = malloc(n * sizeof(*v->s));
	if (v->s == NULL ||
	    gen_kv_init(&v->order, 1024, NULL, NULL) != 0 ||
	    gen_kv_init(&v->convseq, 1024, keep_convseq, v) != 0 ||
	    gen_kv_init(&v->rcs, 1024, keep_rcs, v) != 0) {
		gen_verify_free(v);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		v->s[i].idx = UINT64_MAX;
		v->s[i].bits = NULL;
	}
	return v;
}

void
gen_verify_free(struct gen_verify *v)
{
	uint64_t i;

	if (v == NULL)
		return;
	for (i = 0; v->s != NULL && i <= v->mask; i++)
		if (v->s[i].bits != v->s[i].inl)
			free(v->s[i].bits);
	free(v->s);
	gen_kv_fini(&v->order);
	gen_kv_fini(&v->convseq);
	gen_kv_fini(&v->rcs);
	free(v);
}

bool
gen_verify_room(const struct gen_verify *v)
{
	return v->next - v->oldest <= v->mask;
}

uint64_t
gen_verify_in_flight(const struct gen_verify *v)
{
	return v->next - v->oldest;
}

static struct vslot *
slot_new(struct gen_verify *v, uint64_t i)
{
	struct vslot *s = &v->s[i & v->mask];

	memset(s, 0, offsetof(struct vslot, inl));
	s->idx = i;
	s->bits = NULL;
	v->next = i + 1;
	return s;
}

void
gen_verify_skip(struct gen_verify *v, uint64_t i)
{
	while (v->next <= i)
		slot_new(v, v->next)->skipped = 1;
}

void
gen_verify_sent(struct gen_verify *v, const struct gen_msg *g, uint64_t ts,
		uint64_t now_ns)
{
	struct vslot *s;
	size_t words;

	if (g->index < v->next)
		return;		/* twice in a recording: the first counts */
	if (g->index > v->next)
		gen_verify_skip(v, g->index - 1);
	s = slot_new(v, g->index);
	s->ts = ts;
	s->sent_ns = now_ns;
	s->su = g->su;
	s->sd = g->sd;
	s->target = g->target;
	s->direct = g->direct;
	s->pay_len = g->pay_len;
	s->nbits = g->nbits;
	s->nexp = g->nexp;
	words = (g->nbits + 63) / 64;
	if (words <= 2) {
		s->inl[0] = s->inl[1] = 0;
		s->bits = s->inl;
	} else {
		s->bits = calloc(words, sizeof(uint64_t));
		/* out of memory: every copy of it will look unexpected */
	}
	v->st->sent++;
	v->st->copies_expected += g->nexp;
	if (v->st->sent == 1)
		v->st->t_first_tx = now_ns;
	v->st->t_last_tx = now_ns;
}

/* The live slot of message index i, or NULL. */
static struct vslot *
slot_get(struct gen_verify *v, uint64_t i)
{
	struct vslot *s;

	if (i >= v->next || i < v->oldest)
		return NULL;
	s = &v->s[i & v->mask];
	return s->idx == i && !s->skipped ? s : NULL;
}

static void
slot_msg(const struct vslot *s, struct gen_msg *g)
{
	memset(g, 0, sizeof(*g));
	g->index = s->idx;
	g->su = s->su;
	g->sd = s->sd;
	g->target = s->target;
	g->direct = s->direct;
	g->pay_len = s->pay_len;
	g->nbits = s->nbits;
	g->nexp = s->nexp;
}

static uint64_t
slot_dst_id(const struct vslot *s)
{
	return s->direct ? GEN_USER_BASE + s->target :
		GEN_GROUP_BASE + s->target;
}

/* Is the packet addressed to device (u, d)'s endpoint, on our MAC? */
static bool
to_endpoint(const struct gen_verify *v, const struct rte_mbuf *pkt,
	    const struct mr_pkt_info *pi, uint32_t u, uint32_t d)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(pkt, const struct rte_ether_hdr *);
	uint8_t ip[4];

	gen_ep_ip(gen_dev_ep(v->m, u, d), ip);
	return memcmp(pi->dst, ip, 4) == 0 && pi->dport == GEN_EP_PORT &&
		rte_is_same_ether_addr(&eth->dst_addr, &v->m->o->gen_mac);
}

/* A sequence number learnt for s (from its ACK or its first copy). */
static void
learn_seq(struct gen_verify *v, struct vslot *s, uint64_t seq)
{
	struct gen_msg g;
	uint64_t *e;

	if (s->seq != 0) {
		if (seq != s->seq)
			v->st->seq_mismatch++;
		return;
	}
	s->seq = seq;
	slot_msg(s, &g);
	e = gen_kv_upsert(&v->convseq, gen_conv(v->m, &g), seq);
	if (e != NULL)
		*e = s->idx + 1;
}

static void
on_ack(struct gen_verify *v, const struct rte_mbuf *pkt,
       const struct mr_pkt_info *pi, const struct mr_frame_view *f)
{
	struct gen_stats *st = v->st;
	struct vslot *s;

	if (f->msg_id < v->m->msgid_base) {
		st->ack_unexpected++;
		return;
	}
	s = slot_get(v, f->msg_id - v->m->msgid_base);
	if (s == NULL) {
		st->ack_unexpected++;
		return;
	}
	if (f->user != GEN_USER_BASE + s->su || f->device != s->sd + 1 ||
	    f->dst_kind != (s->direct ? MR_DST_USER : MR_DST_GROUP) ||
	    f->dst_id != slot_dst_id(s)) {
		st->ack_mismatch++;
		return;
	}
	if (!to_endpoint(v, pkt, pi, s->su, s->sd))
		st->misrouted++;
	if (s->acked || s->rejected) {
		st->ack_extra++;
		return;
	}
	if (f->type == MR_FT_ACK) {
		s->acked = 1;
		st->acked++;
		if (f->flags & MR_ACK_F_DUPLICATE)
			st->ack_dup_flag++;
		learn_seq(v, s, f->seq);
		return;
	}
	s->rejected = 1;
	st->rejected++;
	st->rejects[f->reason < MR_REJ_MAX ? f->reason : 0]++;
	st->copies_expected -= s->nexp;
}

/* A copy: see the top of the file. Returns 1 if it asks for a receipt
 * (written to *rc; none is asked for when rc is NULL). */
static int
on_copy(struct gen_verify *v, const struct rte_mbuf *pkt,
	const struct mr_pkt_info *pi, const struct mr_frame_view *f,
	uint8_t dgram_flags, uint64_t now_ns, struct gen_rc_req *rc)
{
	struct gen_stats *st = v->st;
	const uint8_t *p;
	struct gen_msg g;
	struct vslot *s;
	uint64_t i = UINT64_MAX, ts = 0, *last, conv, lat, w;
	int64_t uu, bit;
	uint32_t d;
	int bad;

	p = rte_pktmbuf_read(pkt, f->payload_off, f->payload_len, v->pay);
	bad = p == NULL || gen_payload_check(p, f->payload_len, &i, &ts);
	if (i == UINT64_MAX) {
		st->corrupt++;		/* cannot even tell which message */
		return 0;
	}
	if (i >= v->next) {
		st->unexpected++;	/* never sent */
		return 0;
	}
	if (i < v->oldest) {
		st->late++;
		return 0;
	}
	s = slot_get(v, i);
	if (s == NULL) {
		st->unexpected++;	/* not in the recording */
		return 0;
	}
	if (bad || ts != s->ts || f->payload_len != s->pay_len) {
		st->corrupt++;
		return 0;
	}
	if (f->user != GEN_USER_BASE + s->su || f->device != s->sd + 1 ||
	    f->msg_id != v->m->msgid_base + i ||
	    f->dst_kind != (s->direct ? MR_DST_USER : MR_DST_GROUP) ||
	    f->dst_id != slot_dst_id(s) || f->subject_len != 0 ||
	    f->flags != MR_MSG_F_RELAYED ||
	    !(dgram_flags & MR_DGRAM_F_FROM_RELAY) || f->ts == 0 ||
	    f->seq == 0) {
		st->mismatch++;
		return 0;
	}
	slot_msg(s, &g);
	uu = gen_user_idx(v->m, f->rcpt_user);
	d = f->rcpt_device - 1;
	bit = uu < 0 || f->rcpt_device == 0 ? -1 :
		gen_rcpt_bit(v->m, &g, (uint32_t)uu, d);
	if (bit < 0 || s->bits == NULL || s->rejected) {
		st->unexpected++;
		return 0;
	}
	w = s->bits[bit / 64];
	if (w & (1ull << (bit % 64))) {
		st->duplicated++;
		return 0;
	}
	s->bits[bit / 64] = w | 1ull << (bit % 64);
	s->ngot++;
	st->copies++;
	if (!to_endpoint(v, pkt, pi, (uint32_t)uu, d))
		st->misrouted++;
	learn_seq(v, s, f->seq);

	conv = gen_conv(v->m, &g);
	last = gen_kv_upsert(&v->order, (uint64_t)uu * v->m->ndevs + d, conv);
	if (last != NULL) {
		if (*last != 0 && f->seq <= *last)
			st->reordered++;
		else
			*last = f->seq;
	}

	if (st->live) {
		/* the payload's TSC on the run's clock */
		lat = (uint64_t)(((unsigned __int128)(ts - v->tsc0) * v->mult)
				 >> 32);
		gen_hist_add(&st->lat, now_ns > lat ? now_ns - lat : 0);
	}
	if (st->t_first_rx == 0)
		st->t_first_rx = now_ns;
	st->t_last_rx = now_ns;

	if (rc == NULL || !gen_wants_receipt(v->m, i, (uint32_t)bit))
		return 0;
	rc->user = (uint32_t)uu;
	rc->dev = d;
	rc->index = i;
	rc->bit = (uint32_t)bit;
	rc->copy = *f;
	return 1;
}

void
gen_verify_receipt_sent(struct gen_verify *v, const struct gen_rc_req *rc)
{
	struct vslot *s = slot_get(v, rc->index);
	uint64_t *e;
	uint32_t d;

	if (s == NULL)
		return;
	s->rc_sent++;
	v->st->rc_sent++;
	v->st->rc_expected += v->m->ndevs;
	for (d = 0; d < v->m->ndevs; d++) {
		e = gen_kv_upsert(&v->rcs, rc->index, (uint64_t)rc->bit << 8 | d);
		if (e != NULL)
			*e = 1;
	}
}

/* A receipt copy: to a device of the original sender, once. */
static void
on_receipt(struct gen_verify *v, const struct rte_mbuf *pkt,
	   const struct mr_pkt_info *pi, const struct mr_frame_view *f)
{
	struct gen_stats *st = v->st;
	int64_t su, other, fu, bit;
	struct gen_msg g;
	struct vslot *s;
	uint64_t conv, *e;

	su = gen_user_idx(v->m, f->rcpt_user);
	if (f->dst_kind == MR_DST_GROUP) {
		other = gen_group_idx(v->m, f->dst_id);
		conv = (uint64_t)other;
	} else {
		other = gen_user_idx(v->m, f->dst_id);
		conv = su < 0 || other < 0 ? 0 :
			gen_conv_pair(v->m, (uint32_t)su, (uint32_t)other);
	}
	e = su < 0 || other < 0 || !(f->flags & MR_RECEIPT_F_RELAYED) ? NULL :
		gen_kv_find(&v->convseq, conv, f->seq);
	s = e == NULL ? NULL : slot_get(v, *e - 1);
	if (s == NULL || s->su != (uint64_t)su || f->rcpt_device == 0 ||
	    f->rcpt_device > v->m->ndevs) {
		st->rc_unexpected++;
		return;
	}
	slot_msg(s, &g);
	fu = gen_user_idx(v->m, f->user);
	bit = fu < 0 || f->device == 0 ? -1 :
		gen_rcpt_bit(v->m, &g, (uint32_t)fu, f->device - 1);
	e = bit < 0 ? NULL : gen_kv_find(&v->rcs, s->idx,
					 (uint64_t)bit << 8 |
					 (f->rcpt_device - 1));
	if (e == NULL) {
		st->rc_unexpected++;
		return;
	}
	if (*e != 1) {
		st->rc_duplicated++;
		return;
	}
	*e = 2;
	s->rc_got++;
	st->rc_copies++;
	if (!to_endpoint(v, pkt, pi, s->su, f->rcpt_device - 1))
		st->misrouted++;
}

uint16_t
gen_verify_pkt(struct gen_verify *v, const struct rte_mbuf *pkt,
	       uint64_t now_ns, struct gen_rc_req *rc, uint16_t room)
{
	struct gen_stats *st = v->st;
	struct mr_frame_iter it;
	struct mr_frame_view f;
	struct mr_pkt_info pi;
	unsigned int reason;
	uint16_t nrc = 0;
	int cls, r;

	st->rx_pkts++;
	cls = mr_parse_l2l4(pkt, &v->pcfg, &pi, &reason);
	if (cls == MR_PKT_DROP) {
		st->rx_bad[reason]++;
		return 0;
	}
	if (cls != MR_PKT_UDP || pi.ip_version != 4 ||
	    memcmp(pi.src, v->m->o->relay_ip, 4) != 0 ||
	    pi.sport != v->m->o->relay_port) {
		st->rx_other++;
		return 0;
	}
	reason = mr_dgram_check(pkt, pi.pay_off, pi.pay_len, &it);
	if (reason != MR_DROP_NONE) {
		st->rx_bad[reason]++;
		return 0;
	}
	while ((r = mr_frame_next(&it, &f)) != 0) {
		if (r < 0) {
			st->rx_bad[-r]++;
			continue;
		}
		switch (f.type) {
		case MR_FT_MSG:
			nrc += on_copy(v, pkt, &pi, &f, it.dgram_flags,
				       now_ns, nrc < room ? &rc[nrc] : NULL);
			break;
		case MR_FT_ACK:
		case MR_FT_REJECT:
			on_ack(v, pkt, &pi, &f);
			break;
		case MR_FT_RECEIPT:
			on_receipt(v, pkt, &pi, &f);
			break;
		default:
			st->rx_frames_other++;
			break;
		}
	}
	return nrc;
}

static bool
complete(const struct gen_verify *v, const struct vslot *s)
{
	if (s->skipped)
		return true;
	return (s->rejected || (s->acked && s->ngot == s->nexp)) &&
		s->rc_got == s->rc_sent * v->m->ndevs;
}

static void
retire(struct gen_verify *v, struct vslot *s)
{
	struct gen_stats *st = v->st;

	if (!s->skipped) {
		if (!s->acked && !s->rejected)
			st->ack_missing++;
		if (!s->rejected)
			st->lost += s->nexp - s->ngot;
		st->rc_lost += (uint64_t)s->rc_sent * v->m->ndevs - s->rc_got;
	}
	if (s->bits != s->inl)
		free(s->bits);
	s->bits = NULL;
	s->idx = UINT64_MAX;
}

uint64_t
gen_verify_retire(struct gen_verify *v, uint64_t now_ns, bool final)
{
	struct vslot *s;

	while (v->oldest < v->next) {
		s = &v->s[v->oldest & v->mask];
		if (!final && !complete(v, s) &&
		    now_ns - s->sent_ns < v->deadline_ns)
			break;
		retire(v, s);
		v->oldest++;
	}
	return v->next - v->oldest;
}

void
gen_flat_mbuf(struct rte_mbuf *m, const uint8_t *data, uint32_t len)
{
	/* callers refuse records over UINT16_MAX (an mbuf segment's limit) */
	memset(m, 0, sizeof(*m));
	m->buf_addr = (void *)(uintptr_t)data;
	m->buf_len = len > UINT16_MAX ? UINT16_MAX : len;
	m->data_len = m->buf_len;
	m->pkt_len = m->buf_len;
	m->nb_segs = 1;
}
