/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Mbuf chains built on the heap without EAL or a mempool, for parser tests
 * and the fuzzer. Each segment's buffer is exactly as long as its data, so
 * AddressSanitizer reports any read past a segment.
 */
#ifndef MRELAY_FAKE_MBUF_H
#define MRELAY_FAKE_MBUF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

/*
 * Chain of nseg segments holding len bytes of data; cuts[i] is where segment
 * i+1 starts (ascending, may repeat: zero-length segments). Free with
 * fake_mbuf_free().
 */
static inline struct rte_mbuf *
fake_mbuf_chain(const uint8_t *data, uint32_t len, const uint32_t *cuts,
		unsigned int ncuts)
{
	struct rte_mbuf *head = NULL, *prev = NULL, *m;
	uint32_t start = 0, end;
	unsigned int i;

	for (i = 0; i <= ncuts; i++) {
		end = i < ncuts ? cuts[i] : len;
		if (end > len)
			end = len;
		if (end < start)
			end = start;
		m = calloc(1, sizeof(*m));
		/* a zero-length buffer still needs a distinct address */
		m->buf_addr = malloc(end - start ? end - start : 1);
		memcpy(m->buf_addr, data + start, end - start);
		m->buf_len = end - start;
		m->data_off = 0;
		m->data_len = end - start;
		m->nb_segs = 1;
		if (head == NULL) {
			head = m;
		} else {
			prev->next = m;
			head->nb_segs++;
		}
		prev = m;
		start = end;
	}
	head->pkt_len = len;
	return head;
}

static inline struct rte_mbuf *
fake_mbuf(const uint8_t *data, uint32_t len)
{
	return fake_mbuf_chain(data, len, NULL, 0);
}

static inline void
fake_mbuf_free(struct rte_mbuf *m)
{
	struct rte_mbuf *n;

	while (m != NULL) {
		n = m->next;
		free(m->buf_addr);
		free(m);
		m = n;
	}
}

#endif /* MRELAY_FAKE_MBUF_H */
