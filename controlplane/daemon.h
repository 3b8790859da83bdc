/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * State of the running mrelayd, owned by the main (control) lcore.
 */
#ifndef MRELAY_DAEMON_H
#define MRELAY_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include "config.h"
#include "ctlsock.h"
#include "store.h"
#include "tables.h"
#include "worker.h"

struct mrelayd {
	struct mr_config cfg;
	struct mr_store *store;
	struct mr_tables *tables;
	struct rte_rcu_qsbr *qs;
	struct mr_ctl *ctl;
	struct rte_hash *subs;		/* topic subscriptions (control only) */
	unsigned int nb_workers;
	struct mr_worker *workers[MR_MAX_WORKERS];
	unsigned int nb_ports;
	uint16_t port_ids[MR_MAX_PORTS];
	struct mr_relay_addrs addrs;
	struct mr_relay *relay;
	volatile bool quit;
	uint64_t ctl_requests;
	uint64_t ctl_errors;
};

/* Register every control API handler on d->ctl. */
void mr_handlers_register(struct mrelayd *d);

/* Restore the routing tables from the state database. 0 or -errno. */
int mr_restore(struct mrelayd *d, char *err, size_t errlen);

/* Sum of one counter over all workers, by byte offset in mr_wstats. */
uint64_t mr_stat_sum(const struct mrelayd *d, size_t off);

/* DPDK telemetry commands under /mrelay/. */
int mr_telemetry_register(struct mrelayd *d);

#endif /* MRELAY_DAEMON_H */
