/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * The live run (--send): EAL, the port, the relay's MAC, and the loop that
 * receives and verifies, sends what is due, retires finished messages and
 * prints progress, then the report. How it shares a machine with mrelayd
 * and how the two stop: docs/mrelay-gen.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "gen.h"
#include "port.h"

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit++;
}

static int
port_up(const struct gen_opts *o, struct rte_mempool *pool, uint16_t *port)
{
	struct mr_port_params pp = {
		.nb_queues = 1, .rxd = 1024, .txd = 1024, .mtu = 0,
		.has_mac = 1,
	};
	char name[RTE_ETH_NAME_MAX_LEN], err[256];
	struct rte_ether_addr mac;
	uint16_t pid;
	int ret;

	if (o->port_name != NULL) {
		pp.name = o->port_name;
	} else {
		pid = rte_eth_find_next_owned_by(0, RTE_ETH_DEV_NO_OWNER);
		if (pid >= RTE_MAX_ETHPORTS ||
		    rte_eth_dev_get_name_by_port(pid, name) != 0) {
			fprintf(stderr, "mrelay-gen: no DPDK port (give one "
				"with --vdev or -a)\n");
			return -ENODEV;
		}
		pp.name = name;
	}
	memcpy(pp.mac, o->gen_mac.addr_bytes, 6);
	ret = mr_port_init(&pp, &pool, port, err, sizeof(err));
	if (ret == -ENOTSUP) {
		/* cannot change its MAC: fine if it already has ours */
		pp.has_mac = 0;
		ret = mr_port_init(&pp, &pool, port, err, sizeof(err));
		if (ret == 0 && (rte_eth_macaddr_get(*port, &mac) != 0 ||
				 !rte_is_same_ether_addr(&mac, &o->gen_mac))) {
			char want[RTE_ETHER_ADDR_FMT_SIZE];
			char have[RTE_ETHER_ADDR_FMT_SIZE];

			rte_ether_format_addr(want, sizeof(want), &o->gen_mac);
			rte_ether_format_addr(have, sizeof(have), &mac);
			mr_port_fini(*port);
			snprintf(err, sizeof(err), "port %s has MAC %s and "
				 "cannot take %s (the endpoints' MAC): create "
				 "it with that MAC (memif: mac=%s) or give "
				 "--gen-mac %s everywhere", pp.name, have, want,
				 want, have);
			ret = -ENOTSUP;
		}
	}
	if (ret != 0)
		fprintf(stderr, "mrelay-gen: %s\n", err);
	return ret;
}

static int
wait_link(const struct gen_opts *o, uint16_t port)
{
	struct rte_eth_link link;
	uint64_t end = rte_get_tsc_cycles() +
		(uint64_t)o->link_timeout_s * rte_get_tsc_hz();

	while (rte_get_tsc_cycles() < end && !quit) {
		if (rte_eth_link_get_nowait(port, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return 0;
		rte_delay_ms(10);
	}
	fprintf(stderr, "mrelay-gen: the port's link is not up after %u s "
		"(is the peer running? memif: same socket, other role)\n",
		o->link_timeout_s);
	return -ETIMEDOUT;
}

/* Learn the relay's MAC by ARP, for up to 5 s. */
static int
resolve_relay(struct gen_opts *o, struct gen_tx *tx, uint16_t port)
{
	uint64_t hz = rte_get_tsc_hz(), end = rte_rdtsc() + 5 * hz, next = 0;
	struct rte_ether_addr mac;
	struct rte_mbuf *pkts[32];
	uint16_t n, i;

	memset(&mac, 0, sizeof(mac));
	while (rte_rdtsc() < end && !quit) {
		if (rte_rdtsc() >= next) {
			gen_arp_request(tx);
			next = rte_rdtsc() + hz / 4;
		}
		gen_tx_flush(tx);
		n = rte_eth_rx_burst(port, 0, pkts, RTE_DIM(pkts));
		for (i = 0; i < n; i++)
			gen_arp_input(tx, pkts[i], &mac);
		rte_pktmbuf_free_bulk(pkts, n);
		if (!rte_is_zero_ether_addr(&mac)) {
			o->relay_mac = mac;
			return 0;
		}
	}
	fprintf(stderr, "mrelay-gen: no ARP answer for the relay's address "
		"%u.%u.%u.%u (give --relay-mac)\n", o->relay_ip[0],
		o->relay_ip[1], o->relay_ip[2], o->relay_ip[3]);
	return -ETIMEDOUT;
}

static void
port_counters(uint16_t port, struct gen_stats *st)
{
	struct rte_eth_stats es;

	if (rte_eth_stats_get(port, &es) != 0)
		return;
	st->port_imissed = es.imissed;
	st->port_rx_nombuf = es.rx_nombuf;
	st->port_ierrors = es.ierrors;
	st->port_oerrors = es.oerrors;
}

/* The loop: receive and verify, send what is due, retire, report. */
static void
run_loop(const struct gen_opts *o, struct gen_tx *tx, struct gen_verify *v,
	 struct gen_stats *st, uint16_t port)
{
	uint64_t hz = rte_get_tsc_hz(), now, ns, t_done = 0, next_prog;
	uint64_t drain_tsc = (uint64_t)o->deadline_ms * hz / 1000 + hz / 2;
	static struct gen_stats prev;
	struct gen_rc_req rc[GEN_TX_BURST];
	struct rte_mbuf *pkts[64];
	struct rte_eth_link link;
	bool done = false;
	uint16_t n, i, nrc;
	uint64_t prev_tsc;

	now = rte_rdtsc();
	gen_tx_start(tx, now);
	next_prog = prev_tsc = now;
	next_prog += hz;
	prev = *st;
	for (;;) {
		now = rte_rdtsc();
		ns = gen_tx_ns(tx, now);
		n = rte_eth_rx_burst(port, 0, pkts, RTE_DIM(pkts));
		for (i = 0; i < n; i++) {
			if (gen_arp_input(tx, pkts[i], NULL))
				continue;
			nrc = gen_verify_pkt(v, pkts[i], ns, rc, RTE_DIM(rc));
			if (nrc != 0)
				gen_tx_receipts(tx, rc, nrc);
		}
		rte_pktmbuf_free_bulk(pkts, n);
		if (quit && !done)
			gen_tx_stop(tx);
		if (!done) {
			done = gen_tx_poll(tx, now);
			if (done)
				t_done = now;
		} else {
			gen_tx_flush(tx);
		}
		gen_verify_retire(v, ns, false);
		if (now >= next_prog) {
			if (o->progress) {
				gen_progress(stderr, st, &prev, (double)ns / 1e9,
					     (double)(now - prev_tsc) /
					     (double)hz,
					     gen_verify_in_flight(v));
				prev = *st;
				prev_tsc = now;
			}
			next_prog += hz;
			/* a peer that went away answers nothing more */
			if (rte_eth_link_get_nowait(port, &link) == 0 &&
			    link.link_status != RTE_ETH_LINK_UP) {
				fprintf(stderr, "mrelay-gen: link down after "
					"%.1f s: stopping\n", (double)ns / 1e9);
				st->link_lost = true;
				break;
			}
		}
		if (done && (gen_verify_in_flight(v) == 0 ||
			     now - t_done > drain_tsc || quit > 1))
			break;
	}
	gen_verify_retire(v, gen_tx_ns(tx, rte_rdtsc()), true);
	port_counters(port, st);
}

int
gen_run_live(struct gen_opts *o, struct gen_model *m, struct gen_stats *st,
	     int eal_argc, char **eal_argv)
{
	struct rte_mempool *pool = NULL;
	struct gen_verify *v = NULL;
	struct sigaction sa;
	struct gen_tx tx;
	uint16_t port = RTE_MAX_ETHPORTS;
	int ret = GEN_EXIT_USAGE;
	struct timespec now;

	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "mrelay-gen: EAL: %s\n",
			rte_strerror(rte_errno));
		return GEN_EXIT_USAGE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (!o->has_msgid_base) {
		/* a new id space every run: mrelayd remembers client ids,
		 * and a rerun against the same daemon must not look like a
		 * retransmission */
		clock_gettime(CLOCK_REALTIME, &now);
		m->msgid_base = (uint64_t)now.tv_sec << 32;
	}
	pool = rte_pktmbuf_pool_create("gen_pool", 16383, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "mrelay-gen: mempool: %s\n",
			rte_strerror(rte_errno));
		goto out;
	}
	if (port_up(o, pool, &port) != 0) {
		port = RTE_MAX_ETHPORTS;
		goto out;
	}
	if (wait_link(o, port) != 0)
		goto out;
	v = gen_verify_new(m, st, o->window, (uint64_t)o->deadline_ms *
			   1000000);
	if (v == NULL) {
		fprintf(stderr, "mrelay-gen: verifier: out of memory\n");
		goto out;
	}
	gen_tx_init(&tx, m, v, st, port, pool);
	if (!o->has_relay_mac && resolve_relay(o, &tx, port) != 0) {
		gen_tx_fini(&tx);
		goto out;
	}
	if (o->progress) {
		const uint8_t *a = o->relay_mac.addr_bytes;

		char what[64];

		if (m->count == UINT64_MAX)
			snprintf(what, sizeof(what), "for %g s", o->duration);
		else
			snprintf(what, sizeof(what), "%" PRIu64 " messages",
				 m->count);
		fprintf(stderr, "mrelay-gen: relay %u.%u.%u.%u port %u at "
			"%02x:%02x:%02x:%02x:%02x:%02x; sending %s, %s\n",
			o->relay_ip[0], o->relay_ip[1], o->relay_ip[2],
			o->relay_ip[3], o->relay_port, a[0], a[1], a[2], a[3],
			a[4], a[5], what, o->rate > 0 ? "paced" :
			"as fast as the window allows");
	}
	st->live = true;
	run_loop(o, &tx, v, st, port);
	gen_tx_fini(&tx);
	/* a signal from now on ends --hold: whoever waits for the report
	 * may send one as soon as it appears */
	quit = 0;
	gen_report(stdout, m, st, o->json);
	ret = gen_stats_clean(st) ? 0 : GEN_EXIT_PROBLEM;
	if (o->hold) {
		/* memif: the port stays open, not polled, until we are told
		 * to go (docs/mrelay-gen.md, "Stopping") */
		while (!quit)
			usleep(50000);
	}
out:
	if (port != RTE_MAX_ETHPORTS)
		mr_port_fini(port);
	gen_verify_free(v);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return ret;
}
