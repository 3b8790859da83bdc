/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 */
#ifndef MRELAY_PORT_H
#define MRELAY_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

struct mr_port_params {
	const char *name;	/* ethdev name */
	uint16_t nb_queues;	/* one RX and one TX queue per worker */
	uint16_t rxd, txd, mtu;
	uint8_t has_mac;
	uint8_t mac[6];
};

/*
 * Configure and start the port named pp->name with RX queue q drawing from
 * pools[q]. Returns 0 and *port_id, or -errno with a message in err.
 */
int mr_port_init(const struct mr_port_params *pp, struct rte_mempool **pools,
		 uint16_t *port_id, char *err, size_t errlen);

/* Stop and close a port started by mr_port_init(). */
void mr_port_fini(uint16_t port_id);

#endif /* MRELAY_PORT_H */
