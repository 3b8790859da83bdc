/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Building and sending copies: one header mbuf per destination (Ethernet,
 * VLAN, IP, UDP, datagram header, the stamped frame) plus the payload, copied
 * into it when small, attached as an indirect mbuf (zero copy) when large
 * and the port can send chains. Fan-outs run from a per-worker FIFO in
 * chunks of at most fanout_chunk copies, so a huge group never keeps the
 * worker from polling RX for long, and copies of one conversation leave in
 * sequence order because the FIFO is never reordered.
 *
 * UDP checksums are computed once per message for the parts every copy
 * shares (datagram header, stamped frame, payload) and completed per copy
 * with the parts that differ (addresses, ports, recipient fields).
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "fanout.h"
#include "tables.h"
#include "worker.h"

static const uint8_t dgram_hdr[8] = {
	0x4d, 0x52, MR_PROTO_VERSION, MR_DGRAM_F_FROM_RELAY, 8, 0, 0, 1,
};

void
mr_tx_drain(struct mr_worker *w, uint64_t now, int force)
{
	uint16_t port, sent, n;
	struct mr_txq *q;

	for (port = 0; port < MR_MAX_PORTS; port++) {
		q = &w->txq[port];
		n = q->n;
		if (n == 0 || (!force && now - q->since < w->relay->drain_tsc))
			continue;
		sent = rte_eth_tx_burst(port, w->idx, q->m, n);
		w->st.tx_pkts += sent;
		w->st.port_tx[port] += sent;
		if (unlikely(sent < n)) {
			/* the NIC refused them: freed once, counted once */
			rte_pktmbuf_free_bulk(&q->m[sent], n - sent);
			w->st.drops[MR_DROP_DP_TX_FULL] += n - sent;
		}
		q->n = 0;
	}
}

static inline void
tx_enqueue(struct mr_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct mr_txq *q = &w->txq[port];
	uint16_t sent;

	if (q->n == 0)
		q->since = w->now;
	q->m[q->n++] = m;
	if (q->n < MR_TX_BURST)
		return;
	sent = rte_eth_tx_burst(port, w->idx, q->m, q->n);
	w->st.tx_pkts += sent;
	w->st.port_tx[port] += sent;
	if (unlikely(sent < q->n)) {
		rte_pktmbuf_free_bulk(&q->m[sent], q->n - sent);
		w->st.drops[MR_DROP_DP_TX_FULL] += q->n - sent;
	}
	q->n = 0;
}

/*
 * Templates are numbered so that cached headers name the message they were
 * built for. Per thread: each worker numbers its own (never 0).
 */
static RTE_DEFINE_PER_LCORE(uint64_t, tmpl_serial);

/* Raw sum of the payload slice, as if it started at an even offset. */
static uint32_t
payload_sum(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	uint16_t cs = 0;

	/* the parser proved the slice is inside the packet */
	mr_raw_cksum_chain(m, off, len, &cs);
	return cs;
}

void
mr_tmpl_init(struct mr_tmpl *t, const struct mr_frame_view *v,
	     const struct rte_mbuf *src, const void *subject)
{
	t->flen = mr_enc_msg_hdr(t->frame, v, subject, v->payload_len);
	t->frame_sum = __rte_raw_cksum(dgram_hdr, sizeof(dgram_hdr),
				       __rte_raw_cksum(t->frame, t->flen, 0));
	t->src = src;
	t->pay_off = v->payload_off;
	t->pay_len = v->payload_len;
	t->pay_sum = payload_sum(src, v->payload_off, v->payload_len);
	/* the payload follows 8 + flen bytes of UDP payload */
	if (t->flen & 1)
		t->pay_sum = rte_bswap16(__rte_raw_cksum_reduce(t->pay_sum));
	t->rcpt_dev_off = offsetof(struct mr_msg, rcpt_device);
	t->rcpt_user_off = offsetof(struct mr_msg, rcpt_user);
	t->reply = 0;
	t->serial = ++RTE_PER_LCORE(tmpl_serial);
}

void
mr_tmpl_init_frame(struct mr_tmpl *t, const void *frame, uint16_t flen,
		   uint16_t rcpt_dev_off, uint16_t rcpt_user_off)
{
	memcpy(t->frame, frame, flen);
	t->flen = flen;
	t->frame_sum = __rte_raw_cksum(dgram_hdr, sizeof(dgram_hdr),
				       __rte_raw_cksum(t->frame, t->flen, 0));
	t->src = NULL;
	t->pay_off = t->pay_len = t->pay_sum = 0;
	t->rcpt_dev_off = rcpt_dev_off;
	t->rcpt_user_off = rcpt_user_off;
	t->reply = 0;
	t->serial = ++RTE_PER_LCORE(tmpl_serial);
}

/*
 * Fill the L2-L4 addresses for endpoint ep. 0, or the drop reason (the
 * caller counts it).
 */
unsigned int
mr_ep_dest(struct mr_worker *w, const struct mr_endpoint *ep,
	   struct mr_l2l4 *h, uint16_t *port)
{
	const struct mr_relay *r = w->relay;
	const struct mr_relay_addrs *a = w->addrs;
	uint64_t mac;

	if (ep == NULL || ep->port_id >= MR_MAX_PORTS ||
	    !r->ports[ep->port_id].present)
		return MR_DROP_DP_ENDPOINT_GONE;
	if (ep->has_mac) {
		h->dst_mac = ep->mac;
	} else {
		mac = __atomic_load_n(&r->neigh[ep->id].mac, __ATOMIC_RELAXED);
		if (!(mac & MR_NEIGH_VALID)) {
			mr_neigh_solicit(w, ep->id);
			return MR_DROP_DP_NEIGH_UNRESOLVED;
		}
		memcpy(h->dst_mac.addr_bytes, &mac, RTE_ETHER_ADDR_LEN);
	}
	h->src_mac = r->ports[ep->port_id].mac;
	h->nb_vlan = ep->vlan != 0;
	h->vlan_tpid[0] = RTE_ETHER_TYPE_VLAN;
	h->vlan_tci[0] = ep->vlan;
	h->ip_version = ep->ip_version;
	h->ttl = 64;
	if (ep->ip_version == 4) {
		if (a->nb_ipv4 == 0)
			return MR_DROP_DP_NO_SRC_ADDR;
		memcpy(h->src, a->ipv4[0], 4);
		memcpy(h->dst, ep->addr, 4);
	} else {
		if (a->nb_ipv6 == 0)
			return MR_DROP_DP_NO_SRC_ADDR;
		memcpy(h->src, a->ipv6[0], 16);
		memcpy(h->dst, ep->addr, 16);
	}
	h->sport = a->udp_ports[0];
	h->dport = ep->udp_port;
	*port = ep->port_id;
	return 0;
}

/*
 * Write the headers of a copy of t for addresses h into b (at most
 * MR_HDR_MAX bytes): Ethernet, tags, IP, UDP, the datagram header and the
 * frame with zero recipient fields. Fills *hh with the length, where the UDP
 * header is, and the raw UDP checksum sum of everything but the recipient
 * fields. Returns 0 or a drop reason.
 */
static unsigned int
hdr_build(struct mr_worker *w, uint16_t port, const struct mr_l2l4 *h,
	  const struct mr_tmpl *t, struct mr_hdr *hh)
{
	uint32_t hl = mr_l2l4_len(h), udp_len, sum;
	struct rte_udp_hdr *udp;
	uint8_t *b = hh->b;

	udp_len = sizeof(*udp) + sizeof(dgram_hdr) + t->flen + t->pay_len;
	/* the IP packet must fit the egress port's MTU */
	if (unlikely(udp_len + (h->ip_version == 4 ? 20 : 40) >
		     w->relay->ports[port].mtu || udp_len > UINT16_MAX - 40))
		return MR_DROP_DP_TOO_LARGE;
	mr_enc_l2l4(b, h, udp_len - sizeof(*udp));
	udp = (struct rte_udp_hdr *)(b + hl - sizeof(*udp));
	memcpy(b + hl, dgram_hdr, sizeof(dgram_hdr));
	memcpy(b + hl + sizeof(dgram_hdr), t->frame, t->flen);
	/* pseudo header + UDP header + datagram header, frame and payload */
	sum = __rte_raw_cksum(udp, sizeof(*udp), t->frame_sum + t->pay_sum);
	if (h->ip_version == 4)
		sum += rte_ipv4_phdr_cksum((const struct rte_ipv4_hdr *)
					   ((uint8_t *)udp - 20), 0);
	else
		sum += rte_ipv6_phdr_cksum((const struct rte_ipv6_hdr *)
					   ((uint8_t *)udp - 40), 0);
	hh->sum = sum;
	hh->len = hl + sizeof(dgram_hdr) + t->flen;
	hh->udp_off = hl - sizeof(*udp);
	hh->frame_off = hl + sizeof(dgram_hdr);
	hh->port = port;
	return 0;
}

/*
 * One packet from prebuilt headers hh: the headers copied, the recipient
 * fields set, the payload copied or attached, the UDP checksum completed;
 * queued on hh->port. Returns 0 or a drop reason (counted by the caller).
 */
static unsigned int
pkt_emit(struct mr_worker *w, const struct mr_hdr *hh, const struct mr_tmpl *t,
	 uint64_t rcpt_user, uint32_t rcpt_dev)
{
	struct rte_mempool *mp = t->reply ? w->pool : w->hdr_pool;
	struct rte_mbuf *m, *c = NULL;
	uint32_t sum = hh->sum, room;
	uint64_t be_user;
	uint32_t be_dev;
	uint8_t *p, *f;
	uint16_t cs;
	int clone;

	/* zero copy for large payloads in one segment, on ports with chains */
	clone = t->pay_len > MR_COPY_THRESHOLD &&
		w->relay->ports[hh->port].tx_multiseg &&
		t->pay_off + t->pay_len <= t->src->data_len;
	room = hh->len + (clone ? 0 : t->pay_len);
	if (room > (uint32_t)rte_pktmbuf_data_room_size(mp) -
	    RTE_PKTMBUF_HEADROOM)
		mp = w->pool;
	if (unlikely(room > (uint32_t)rte_pktmbuf_data_room_size(mp) -
		     RTE_PKTMBUF_HEADROOM))
		return MR_DROP_DP_TOO_LARGE;
	m = rte_pktmbuf_alloc(mp);
	if (unlikely(m == NULL))
		return MR_DROP_DP_NO_MBUF;
	if (clone) {
		c = rte_pktmbuf_alloc(w->hdr_pool);
		if (unlikely(c == NULL)) {
			rte_pktmbuf_free(m);
			return MR_DROP_DP_NO_MBUF;
		}
		rte_pktmbuf_attach(c, (struct rte_mbuf *)(uintptr_t)t->src);
		c->data_off += t->pay_off;
		c->data_len = t->pay_len;
		c->pkt_len = t->pay_len;
	}

	p = rte_pktmbuf_mtod(m, uint8_t *);
	rte_memcpy(p, hh->b, hh->len);
	f = p + hh->frame_off;
	/* recipient fields: zero in the template, so add their sums */
	if (t->rcpt_user_off != 0) {
		be_user = rte_cpu_to_be_64(rcpt_user);
		memcpy(f + t->rcpt_user_off, &be_user, sizeof(be_user));
		sum = __rte_raw_cksum(&be_user, sizeof(be_user), sum);
	}
	if (t->rcpt_dev_off != 0) {
		be_dev = rte_cpu_to_be_32(rcpt_dev);
		memcpy(f + t->rcpt_dev_off, &be_dev, sizeof(be_dev));
		sum = __rte_raw_cksum(&be_dev, sizeof(be_dev), sum);
	}
	m->data_len = room;
	m->pkt_len = room;
	if (clone) {
		m->next = c;
		m->nb_segs = 2;
		m->pkt_len += t->pay_len;
	} else if (t->pay_len != 0) {
		const void *src = rte_pktmbuf_read(t->src, t->pay_off,
						   t->pay_len, f + t->flen);

		if (src != f + t->flen)
			rte_memcpy(f + t->flen, src, t->pay_len);
	}
	cs = ~__rte_raw_cksum_reduce(sum);
	((struct rte_udp_hdr *)(p + hh->udp_off))->dgram_cksum =
		cs == 0 ? 0xffff : cs;

	w->st.tx_bytes += m->pkt_len;
	tx_enqueue(w, hh->port, m);
	return 0;
}

unsigned int
mr_send(struct mr_worker *w, uint16_t port, const struct mr_l2l4 *h,
	const struct mr_tmpl *t, uint64_t rcpt_user, uint32_t rcpt_dev)
{
	struct mr_hdr hh;
	unsigned int r;

	r = hdr_build(w, port, h, t, &hh);
	return r != 0 ? r : pkt_emit(w, &hh, t, rcpt_user, rcpt_dev);
}

/*
 * A copy of the fan-out template t to device rcpt_dev of rcpt_user at ep.
 * The headers for one endpoint are the same for every copy of a message,
 * so they are built once per (message, endpoint) and kept in the worker's
 * per-endpoint cache, checked against the endpoint object and its
 * resolved MAC. Returns 0 or a drop reason (not counted).
 */
static unsigned int
copy_to_ep(struct mr_worker *w, const struct mr_endpoint *ep,
	   const struct mr_tmpl *t, uint64_t rcpt_user, uint32_t rcpt_dev)
{
	struct mr_hdr *hh;
	struct mr_l2l4 h;
	uint64_t mac = 0;
	unsigned int r;
	uint16_t port;

	if (ep == NULL)
		return MR_DROP_DP_ENDPOINT_GONE;
	hh = &w->ephdr[ep->id];
	if (!ep->has_mac)
		mac = __atomic_load_n(&w->relay->neigh[ep->id].mac,
				      __ATOMIC_RELAXED);
	if (hh->serial != t->serial || hh->ep != ep || hh->mac != mac) {
		hh->serial = 0;
		r = mr_ep_dest(w, ep, &h, &port);
		if (r == 0)
			r = hdr_build(w, port, &h, t, hh);
		if (r != 0)
			return r;
		hh->serial = t->serial;
		hh->ep = ep;
		hh->mac = mac;
	}
	return pkt_emit(w, hh, t, rcpt_user, rcpt_dev);
}

unsigned int
mr_send_ep(struct mr_worker *w, const struct mr_endpoint *ep,
	   const struct mr_tmpl *t, uint64_t rcpt_user, uint32_t rcpt_dev)
{
	struct mr_l2l4 h;
	uint16_t port;
	unsigned int r;

	r = mr_ep_dest(w, ep, &h, &port);
	if (r == 0)
		r = mr_send(w, port, &h, t, rcpt_user, rcpt_dev);
	if (r != 0)
		w->st.drops[r]++;
	return r;
}

/* -------------------------------------------------------------- fan-out */

static inline unsigned int
hist_bucket(uint32_t n)
{
	if (n <= 1)
		return n;
	if (n < 8)
		return 2;
	if (n < 64)
		return 3;
	if (n < 1024)
		return 4;
	if (n < 65536)
		return 5;
	return n < (1u << 20) ? 6 : 7;
}

static void
fanout_done(struct mr_worker *w, struct mr_fanout *f)
{
	w->st.fanout_hist[hist_bucket(f->ncopies)]++;
	if (f->g != NULL)
		mr_group_unpin(f->g);
	rte_pktmbuf_free(f->src);
	f->src = NULL;
	f->g = NULL;
}

/*
 * Send the copies of user index u's devices from device index *di on,
 * skipping the sending device. Returns copies made (at most budget);
 * *di is where to resume.
 */
static uint32_t
user_copies(struct mr_worker *w, struct mr_fanout *f, uint32_t u,
	    uint32_t *di, uint32_t budget)
{
	const struct mr_tables *t = w->tables;
	const struct mr_devset *ds = mr_tables_devices(t, u);
	uint64_t uid = t->user_ids[u];
	uint32_t made = 0;

	unsigned int r;

	for (; ds != NULL && *di < ds->n && made < budget; (*di)++) {
		const struct mr_dev *d = &ds->d[*di];

		if (u == f->skip_u && d->device == f->skip_dev)
			continue;
		r = copy_to_ep(w, mr_tables_endpoint(t, d->ep), &f->t, uid,
			       d->device);
		if (unlikely(r == MR_DROP_DP_NO_MBUF)) {
			/* out of buffers: this copy is retried next loop,
			 * once TX has given some back, not dropped */
			w->stalled = 1;
			w->st.fanout_stalls++;
			return made;
		}
		f->ncopies++;
		made++;
		if (r == 0)
			w->st.copies++;
		else
			w->st.drops[r]++;
	}
	if (ds == NULL || *di >= ds->n)
		*di = UINT32_MAX;	/* this user is done */
	return made;
}

/* One step of f: up to budget copies. Returns copies made. */
static uint32_t
fanout_step(struct mr_worker *w, struct mr_fanout *f, uint32_t budget)
{
	const struct mr_tables *t = w->tables;
	uint32_t made = 0, u;

	if (f->g == NULL) {
		/* direct: the recipient's devices, then the sender's others */
		while (f->mi < f->nusers && made < budget && !w->stalled) {
			made += user_copies(w, f, f->users[f->mi], &f->di,
					    budget - made);
			if (f->di == UINT32_MAX) {
				f->mi++;
				f->di = 0;
			}
		}
		return made;
	}
	while (f->mi < f->g->n && made < budget && !w->stalled) {
		if (f->mi + 8 < f->g->n)
			rte_prefetch0(&t->devs[MR_MEMBER_USER(f->g->m[f->mi + 8])]);
		if (f->mi + 4 < f->g->n)
			rte_prefetch0(t->devs[MR_MEMBER_USER(f->g->m[f->mi + 4])]);
		u = MR_MEMBER_USER(f->g->m[f->mi]);
		made += user_copies(w, f, u, &f->di, budget - made);
		if (f->di == UINT32_MAX) {
			f->mi++;
			f->di = 0;
		}
	}
	return made;
}

static inline int
fanout_finished(const struct mr_fanout *f)
{
	return f->mi >= (f->g != NULL ? f->g->n : f->nusers);
}

void
mr_fanout_run(struct mr_worker *w)
{
	uint32_t budget = w->relay->fanout_chunk;
	struct mr_fanout *f;

	w->stalled = 0;
	while (w->fq_head != w->fq_tail && budget > 0) {
		f = &w->fq[w->fq_head % MR_FANOUT_QUEUE];
		budget -= fanout_step(w, f, budget);
		if (!fanout_finished(f))
			break;
		fanout_done(w, f);
		w->fq_head++;
	}
	if (w->fq_head != w->fq_tail)
		w->st.fanout_steps++;	/* yields to RX with work left */
}

struct mr_fanout *
mr_fanout_new(struct mr_worker *w)
{
	struct mr_fanout *f;

	if (w->fq_tail - w->fq_head >= MR_FANOUT_QUEUE)
		return NULL;
	f = &w->fq[w->fq_tail % MR_FANOUT_QUEUE];
	memset(f, 0, offsetof(struct mr_fanout, t));
	return f;
}

void
mr_fanout_push(struct mr_worker *w, struct mr_fanout *f)
{
	RTE_SET_USED(f);
	w->fq_tail++;
}

/* Drop every pending fan-out (worker stopping). */
void
mr_fanout_flush(struct mr_worker *w)
{
	while (w->fq_head != w->fq_tail) {
		fanout_done(w, &w->fq[w->fq_head % MR_FANOUT_QUEUE]);
		w->fq_head++;
	}
}
