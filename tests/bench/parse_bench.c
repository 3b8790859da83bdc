/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Cost of parsing one received datagram, per frame: mr_parse_l2l4() +
 * mr_dgram_check() + the mr_frame_next() loop, on real mempool mbufs under
 * EAL. Cases: 1, 8 and 32 MSG frames (64-byte payload) per IPv4/UDP
 * datagram; UDP checksum verified in software or not; the packet in one
 * segment or cut in two in its middle (so one frame straddles the cut).
 * The RX offload flags say nothing (as with net_null, pcap, memif, af_xdp),
 * so the IPv4 header checksum is always checked in software.
 *
 * All cases run interleaved, round after round, and each reports the median
 * of its rounds and its best round: on a shared, noisy machine the ratios
 * between rows of one run mean more than any single figure. Rounds are
 * short (5 ms, about one scheduler slice) so that when another busy thread
 * shares the CPU some rounds still run alone: the best round is then the
 * closest to the cost itself, the median to what a shared core gives.
 * Output is a markdown table.
 *
 *   parse_bench [EAL args] [-- -r ROUNDS -t MS_PER_ROUND]   (41 x 5 ms)
 * Without EAL args it uses --in-memory if 2 MB hugepages are free, else
 * --no-huge --no-shconf -m 256; always --no-pci --no-telemetry -l 0.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "encode.h"
#include "parse.h"
#include "pktgen_util.h"

#define NB_PKTS		256	/* distinct mbufs per pass, ~1 MB at 32 frames */
#define PAYLOAD		64
#define MAX_FRAMES	32
#define MAX_CASES	12
#define MAX_ROUNDS	101
#define DATA_ROOM	4608	/* a 32-frame packet is 4146 bytes */

struct bcase {
	unsigned int nframes;
	unsigned int nsegs;
	int verify;
	struct rte_mbuf *pkts[NB_PKTS];
	uint32_t pkt_len;
	uint64_t iters;			/* passes over pkts per round */
	double cyc[MAX_ROUNDS];		/* TSC cycles per frame, per round */
};

static volatile uint64_t sink;	/* keeps the decoded fields alive */

/*
 * Parse one packet the way the worker does. Returns the frames decoded, or
 * 0 if anything was dropped (a benchmark bug: the packets are valid).
 */
static inline unsigned int
parse_pkt(const struct rte_mbuf *m, const struct mr_parse_cfg *cfg,
	  uint64_t *acc)
{
	struct mr_frame_view v;
	struct mr_frame_iter it;
	struct mr_pkt_info pi;
	unsigned int reason, n = 0;
	int r;

	if (mr_parse_l2l4(m, cfg, &pi, &reason) != MR_PKT_UDP)
		return 0;
	if (mr_dgram_check(m, pi.pay_off, pi.pay_len, &it) != MR_DROP_NONE)
		return 0;
	while ((r = mr_frame_next(&it, &v)) != 0) {
		if (r < 0)
			return 0;
		*acc += v.msg_id + v.payload_off;
		n++;
	}
	return n;
}

static uint64_t
run_pass(struct bcase *c, uint64_t iters)
{
	const struct mr_parse_cfg cfg = {.verify_l4_csum = c->verify};
	uint64_t acc = 0, frames = 0, i;
	unsigned int p;

	for (i = 0; i < iters; i++)
		for (p = 0; p < NB_PKTS; p++)
			frames += parse_pkt(c->pkts[p], &cfg, &acc);
	sink += acc;
	return frames;
}

/* Fill c->pkts with one datagram of c->nframes MSGs each. */
static int
build_case(struct bcase *c, struct rte_mempool *mp)
{
	struct mr_frame_view fv;
	uint8_t dg[DATA_ROOM], pkt[DATA_ROOM], payload[PAYLOAD];
	struct mr_l2l4 h;
	struct mr_enc e;
	uint32_t dlen, len, cut;
	struct rte_mbuf *m, *m2;
	unsigned int i, p;

	memset(payload, 'p', sizeof(payload));
	tp_flow(&h, 4, 0);
	for (p = 0; p < NB_PKTS; p++) {
		mr_enc_begin(&e, dg, sizeof(dg), 0);
		for (i = 0; i < c->nframes; i++) {
			fv = tp_msg(MR_DST_GROUP, 42, 0);
			fv.msg_id = (uint64_t)p << 8 | i;
			mr_enc_frame(&e, &fv, NULL, payload, sizeof(payload));
		}
		dlen = mr_enc_end(&e);
		if (dlen == 0)
			return -1;
		len = tp_wrap(pkt, &h, dg, dlen);
		cut = c->nsegs == 2 ? len / 2 : len;
		m = rte_pktmbuf_alloc(mp);
		if (m == NULL)
			return -1;
		memcpy(rte_pktmbuf_append(m, cut), pkt, cut);
		if (c->nsegs == 2) {
			m2 = rte_pktmbuf_alloc(mp);
			if (m2 == NULL)
				return -1;
			memcpy(rte_pktmbuf_append(m2, len - cut), pkt + cut,
			       len - cut);
			if (rte_pktmbuf_chain(m, m2) != 0)
				return -1;
		}
		c->pkts[p] = m;
		c->pkt_len = len;
	}
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
hugepages_free(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
			"r");
	int n = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%d", &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

int
main(int argc, char **argv)
{
	static struct bcase cases[MAX_CASES];
	static const unsigned int frame_counts[] = {1, 8, 32};
	char *def_argv[32];
	const char *mem_mode;
	struct rte_mempool *mp;
	unsigned int ncases = 0, rounds = 41, ms = 5, i, r, f, s, v;
	uint64_t hz, t0, t1, frames;
	struct bcase *c;
	double ns, cyc, best;
	int n, opt;

	if (argc == 1 || strcmp(argv[1], "--") == 0) {
		/* defaults: no PCI, one lcore, hugepages if there are some */
		n = 0;
		def_argv[n++] = argv[0];
		if (hugepages_free() >= 32) {
			def_argv[n++] = "--in-memory";
			mem_mode = "hugepages (--in-memory)";
		} else {
			def_argv[n++] = "--no-huge";
			def_argv[n++] = "--no-shconf";
			def_argv[n++] = "-m";
			def_argv[n++] = "256";
			mem_mode = "no hugepages (--no-huge --no-shconf)";
		}
		def_argv[n++] = "--no-pci";
		def_argv[n++] = "--no-telemetry";
		def_argv[n++] = "-l";
		def_argv[n++] = "0";
		def_argv[n++] = "--file-prefix=mr_parse_bench";
		def_argv[n++] = "--log-level=lib.eal:error";
		for (i = 1; i < (unsigned int)argc && n < 31; i++)
			def_argv[n++] = argv[i];	/* "--" and bench options */
		def_argv[n] = NULL;
		argc = n;
		argv = def_argv;
	} else {
		mem_mode = "as given on the command line";
	}
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "parse_bench: EAL init: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	while ((opt = getopt(argc, argv, "r:t:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = RTE_MIN(RTE_MAX(atoi(optarg), 1), MAX_ROUNDS);
			break;
		case 't':
			ms = RTE_MAX(atoi(optarg), 1);
			break;
		default:
			fprintf(stderr, "usage: parse_bench [EAL] [-- -r ROUNDS -t MS]\n");
			return 2;
		}
	}

	/* half the cases have 2 segments per packet */
	mp = rte_pktmbuf_pool_create("parse_bench", 3 * NB_PKTS * MAX_CASES / 2,
				     0, 0, DATA_ROOM + RTE_PKTMBUF_HEADROOM,
				     SOCKET_ID_ANY);
	if (mp == NULL) {
		fprintf(stderr, "parse_bench: mempool: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	for (f = 0; f < RTE_DIM(frame_counts); f++)
		for (s = 1; s <= 2; s++)
			for (v = 0; v <= 1; v++) {
				c = &cases[ncases++];
				c->nframes = frame_counts[f];
				c->nsegs = s;
				c->verify = v;
				if (build_case(c, mp) != 0) {
					fprintf(stderr, "parse_bench: no mbufs\n");
					return 1;
				}
			}

	/* check every case decodes fully, and size its rounds to ~ms each */
	hz = rte_get_tsc_hz();
	for (i = 0; i < ncases; i++) {
		c = &cases[i];
		frames = run_pass(c, 1);
		if (frames != (uint64_t)NB_PKTS * c->nframes) {
			fprintf(stderr, "parse_bench: case %u decoded %lu frames\n",
				i, (unsigned long)frames);
			return 1;
		}
		run_pass(c, 4);		/* warm up, then time 4 passes */
		t0 = rte_rdtsc_precise();
		run_pass(c, 4);
		t1 = rte_rdtsc_precise();
		c->iters = RTE_MAX((uint64_t)1, (uint64_t)ms * hz / 1000 * 4 /
				   RTE_MAX(t1 - t0, (uint64_t)1));
	}

	for (r = 0; r < rounds; r++)
		for (i = 0; i < ncases; i++) {
			c = &cases[i];
			t0 = rte_rdtsc_precise();
			frames = run_pass(c, c->iters);
			t1 = rte_rdtsc_precise();
			c->cyc[r] = (double)(t1 - t0) / frames;
		}

	printf("Parse cost per frame: mr_parse_l2l4 + mr_dgram_check + "
	       "mr_frame_next loop, IPv4/UDP, MSG frames with a %u-byte "
	       "payload, %u mbufs per pass, %u rounds of ~%u ms, cases "
	       "interleaved; median round unless said otherwise. TSC %.3f GHz; "
	       "EAL memory: %s. IPv4 header checksum always checked in "
	       "software (no RX offload flags). 2 segments: the packet cut in "
	       "its middle. The median is what a core shared with other busy "
	       "threads gives; the best round is the closest to the cost "
	       "alone.\n\n", PAYLOAD, NB_PKTS, rounds, ms, hz / 1e9,
	       mem_mode);
	printf("| frames/datagram | bytes/packet | segments | UDP checksum in "
	       "software | ns/frame | TSC cycles/frame | Mframes/s | "
	       "ns/packet | ns/frame, best round |\n");
	printf("|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < ncases; i++) {
		c = &cases[i];
		cyc = median(c->cyc, rounds);	/* sorts c->cyc */
		best = c->cyc[0];
		ns = cyc * 1e9 / hz;
		printf("| %u | %u | %u | %s | %.1f | %.0f | %.1f | %.0f | %.1f |\n",
		       c->nframes, c->pkt_len, c->nsegs,
		       c->verify ? "verified" : "not verified", ns, cyc,
		       1e3 / ns, ns * c->nframes, best * 1e9 / hz);
	}

	for (i = 0; i < ncases; i++)
		for (n = 0; n < NB_PKTS; n++)
			rte_pktmbuf_free(cases[i].pkts[n]);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
