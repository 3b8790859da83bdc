/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Copy or clone: the cost of giving one copy its payload, by payload size.
 *
 *   copy:  header mbuf from the header pool (2 KiB data room here), the
 *          payload memcpy'd behind the headers, freed;
 *   clone: header mbuf + an indirect mbuf attached to the received packet
 *          (rte_pktmbuf_attach: two refcount atomics on the source), both
 *          freed (detach: one more atomic).
 *
 * The source packet is a real mbuf from another pool, its payload cold in
 * no particular way: the same one for every copy, as in a fan-out. Prints
 * cycles per copy, median of 7 rounds, and the crossover; the threshold
 * MR_COPY_THRESHOLD in dataplane/relay.h is set from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#define ROUNDS	7
#define ITERS	200000
#define BATCH	32		/* copies alive at once, like a TX burst */
#define HDR	114		/* Ethernet+IPv4+UDP+datagram+MSG header */

static struct rte_mempool *src_pool, *hdr_pool;

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
run(struct rte_mbuf *src, uint32_t len, int clone)
{
	struct rte_mbuf *m[BATCH], *c;
	uint64_t t[ROUNDS], t0;
	unsigned int r, i, k;

	for (r = 0; r < ROUNDS; r++) {
		t0 = rte_rdtsc_precise();
		for (i = 0; i < ITERS / BATCH; i++) {
			for (k = 0; k < BATCH; k++) {
				m[k] = rte_pktmbuf_alloc(hdr_pool);
				if (m[k] == NULL)
					abort();
				m[k]->data_len = HDR;
				if (!clone) {
					rte_memcpy(rte_pktmbuf_mtod_offset(m[k],
						void *, HDR), rte_pktmbuf_mtod(src,
						void *), len);
					m[k]->data_len += len;
					m[k]->pkt_len = m[k]->data_len;
					continue;
				}
				c = rte_pktmbuf_alloc(hdr_pool);
				if (c == NULL)
					abort();
				rte_pktmbuf_attach(c, src);
				c->data_len = len;
				c->pkt_len = len;
				m[k]->next = c;
				m[k]->nb_segs = 2;
				m[k]->pkt_len = HDR + len;
			}
			rte_pktmbuf_free_bulk(m, BATCH);
		}
		t[r] = rte_rdtsc_precise() - t0;
	}
	qsort(t, ROUNDS, sizeof(t[0]), cmp_u64);
	return (double)t[ROUNDS / 2] / ITERS;
}

int
main(int argc, char **argv)
{
	static const uint32_t sizes[] = {64, 128, 256, 384, 512, 576, 640,
					 704, 768, 1024, 1400};
	struct rte_mbuf *src;
	double cp, cl;
	unsigned int i;
	int cross = -1;

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	src_pool = rte_pktmbuf_pool_create("src", 1023, 0, 0, 2176,
					   rte_socket_id());
	hdr_pool = rte_pktmbuf_pool_create("hdr", 8191, 256, 0, 2176,
					   rte_socket_id());
	if (src_pool == NULL || hdr_pool == NULL) {
		fprintf(stderr, "mempools: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	src = rte_pktmbuf_alloc(src_pool);
	memset(rte_pktmbuf_mtod(src, void *), 0x5a, 1500);
	src->data_len = src->pkt_len = 1500;

	printf("TSC %.2f GHz; cycles per copy, median of %d rounds of %d\n\n",
	       rte_get_tsc_hz() / 1e9, ROUNDS, ITERS);
	printf("| payload B | copy | clone | clone/copy |\n|---:|---:|---:|---:|\n");
	for (i = 0; i < RTE_DIM(sizes); i++) {
		cp = run(src, sizes[i], 0);
		cl = run(src, sizes[i], 1);
		printf("| %u | %.1f | %.1f | %.2f |\n", sizes[i], cp, cl, cl / cp);
		if (cross < 0 && cl < cp)
			cross = sizes[i];
	}
	if (cross < 0)
		printf("\ncopy is cheaper at every size measured\n");
	else
		printf("\nclone is cheaper from %d B on\n", cross);
	rte_pktmbuf_free(src);
	rte_eal_cleanup();
	return 0;
}
