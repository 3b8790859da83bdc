/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelay-gen: main(), the files it writes, and the verification of a
 * recording (--verify-pcap). docs/mrelay-gen.md is the manual.
 *
 *   mrelay-gen [MODEL] --write-population FILE --write-pcap FILE
 *   mrelay-gen [EAL options] -- [MODEL] --send [--progress] [--json]
 *   mrelay-gen [MODEL] --verify-pcap OUT.pcap [--sent-pcap IN.pcap]
 *
 * Exit status: 0 when every check held, 1 when the verifier found a
 * problem, 2 on usage, I/O or set-up errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "gen.h"

/* ------------------------------------------------------ verify a pcap */

static pcap_t *
open_pcap(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, errbuf);

	if (p == NULL) {
		fprintf(stderr, "mrelay-gen: %s\n", errbuf);
		return NULL;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "mrelay-gen: %s: not an Ethernet capture\n",
			path);
		pcap_close(p);
		return NULL;
	}
	return p;
}

/*
 * Message indices in a recording of the workload, in file order: the
 * payload of each MSG names its message. -errno or the count (*out is
 * malloc'ed).
 */
static int64_t
read_sent(const char *path, uint64_t **out)
{
	struct mr_parse_cfg cfg = {.verify_l4_csum = 1};
	const uint8_t *data, *pay;
	uint8_t buf[GEN_PAY_HDR];
	struct pcap_pkthdr *ph;
	struct mr_frame_iter it;
	struct mr_frame_view f;
	struct mr_pkt_info pi;
	struct rte_mbuf mb;
	uint64_t *idx = NULL, *nidx, n = 0, cap = 0, i, ts;
	unsigned int reason;
	pcap_t *p;
	int r;

	p = open_pcap(path);
	if (p == NULL)
		return -EIO;
	while ((r = pcap_next_ex(p, &ph, &data)) == 1) {
		if (ph->caplen != ph->len || ph->caplen > UINT16_MAX) {
			fprintf(stderr, "mrelay-gen: %s: a record is cut or "
				"too large (%u of %u bytes)\n", path,
				ph->caplen, ph->len);
			free(idx);
			pcap_close(p);
			return -EIO;
		}
		gen_flat_mbuf(&mb, data, ph->caplen);
		if (mr_parse_l2l4(&mb, &cfg, &pi, &reason) != MR_PKT_UDP ||
		    mr_dgram_check(&mb, pi.pay_off, pi.pay_len, &it) != 0)
			continue;
		while ((r = mr_frame_next(&it, &f)) != 0) {
			if (r < 0 || f.type != MR_FT_MSG ||
			    f.payload_len < GEN_PAY_HDR)
				continue;
			pay = rte_pktmbuf_read(&mb, f.payload_off, GEN_PAY_HDR,
					       buf);
			/* the header is enough to name the message */
			gen_payload_check(pay, GEN_PAY_HDR, &i, &ts);
			if (i == UINT64_MAX)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				nidx = realloc(idx, cap * sizeof(*idx));
				if (nidx == NULL) {
					free(idx);
					pcap_close(p);
					return -ENOMEM;
				}
				idx = nidx;
			}
			idx[n++] = i;
		}
		r = 1;
	}
	if (r == PCAP_ERROR) {
		fprintf(stderr, "mrelay-gen: %s: %s\n", path, pcap_geterr(p));
		free(idx);
		pcap_close(p);
		return -EIO;
	}
	pcap_close(p);
	*out = idx;
	return (int64_t)n;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
verify_pcap(const struct gen_model *m, struct gen_stats *st)
{
	const struct gen_opts *o = m->o;
	uint64_t *idx = NULL, n, i, top;
	struct pcap_pkthdr *ph;
	struct gen_verify *v;
	const uint8_t *data;
	struct gen_msg g;
	struct rte_mbuf mb;
	int64_t got;
	pcap_t *p;
	int r;

	if (o->sent_pcap != NULL) {
		got = read_sent(o->sent_pcap, &idx);
		if (got < 0)
			return GEN_EXIT_USAGE;
		n = (uint64_t)got;
		/* registered in index order; a repeated one counts once */
		qsort(idx, n, sizeof(*idx), cmp_u64);
		top = n ? idx[n - 1] + 1 : 0;
	} else {
		if (m->count == UINT64_MAX) {
			fprintf(stderr, "mrelay-gen: --verify-pcap needs "
				"--sent-pcap, --count, or --rate with "
				"--duration\n");
			return GEN_EXIT_USAGE;
		}
		n = top = m->count;
	}
	if (top > (1ull << 28)) {
		fprintf(stderr, "mrelay-gen: %" PRIu64 " messages: too many "
			"to verify a recording in memory\n", top);
		free(idx);
		return GEN_EXIT_USAGE;
	}
	v = gen_verify_new(m, st, top ? (uint32_t)top : 1, UINT64_MAX);
	if (v == NULL) {
		fprintf(stderr, "mrelay-gen: verifier: out of memory\n");
		free(idx);
		return GEN_EXIT_USAGE;
	}
	for (i = 0; i < n; i++) {
		gen_model_msg(m, idx ? idx[i] : i, &g);
		gen_verify_sent(v, &g, gen_nominal_ns(m, g.index), 0);
	}
	free(idx);

	p = open_pcap(o->verify_pcap);
	if (p == NULL) {
		gen_verify_free(v);
		return GEN_EXIT_USAGE;
	}
	while ((r = pcap_next_ex(p, &ph, &data)) == 1) {
		if (ph->caplen != ph->len || ph->caplen > UINT16_MAX) {
			fprintf(stderr, "mrelay-gen: %s: a record is cut or "
				"too large (%u of %u bytes)\n", o->verify_pcap,
				ph->caplen, ph->len);
			pcap_close(p);
			gen_verify_free(v);
			return GEN_EXIT_USAGE;
		}
		gen_flat_mbuf(&mb, data, ph->caplen);
		gen_verify_pkt(v, &mb, 0, NULL, 0);
	}
	if (r == PCAP_ERROR) {
		fprintf(stderr, "mrelay-gen: %s: %s\n", o->verify_pcap,
			pcap_geterr(p));
		pcap_close(p);
		gen_verify_free(v);
		return GEN_EXIT_USAGE;
	}
	pcap_close(p);
	gen_verify_retire(v, 0, true);
	gen_verify_free(v);
	gen_report(stdout, m, st, o->json);
	return gen_stats_clean(st) ? 0 : GEN_EXIT_PROBLEM;
}

int
main(int argc, char **argv)
{
	struct gen_opts o;
	struct gen_model m;
	static struct gen_stats st;
	char err[256];
	int sep, ret;

	/* EAL options end at "--"; without one there are none */
	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	if (sep == argc)
		sep = 0;
	argv[sep] = argv[0];
	ret = gen_parse_opts(argc - sep, argv + sep, &o);
	argv[sep] = sep ? "--" : argv[0];
	if (ret != 0)
		return ret > 0 ? 0 : GEN_EXIT_USAGE;
	if (o.send && sep == 0) {
		fprintf(stderr, "mrelay-gen: --send needs EAL options and a "
			"port: mrelay-gen -l 0 --vdev ... -- --send ...\n");
		return GEN_EXIT_USAGE;
	}
	ret = gen_model_init(&m, &o, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "mrelay-gen: %s\n", err);
		return GEN_EXIT_USAGE;
	}
	if (o.write_pop != NULL &&
	    gen_write_population(&m, o.write_pop, err, sizeof(err)) != 0) {
		fprintf(stderr, "mrelay-gen: %s\n", err);
		ret = GEN_EXIT_USAGE;
		goto out;
	}
	if (o.write_pcap != NULL &&
	    gen_write_pcap(&m, o.write_pcap, err, sizeof(err)) != 0) {
		fprintf(stderr, "mrelay-gen: %s\n", err);
		ret = GEN_EXIT_USAGE;
		goto out;
	}
	if (o.verify_pcap != NULL)
		ret = verify_pcap(&m, &st);
	else if (o.send)
		ret = gen_run_live(&o, &m, &st, sep, argv);
out:
	gen_model_fini(&m);
	return ret;
}
