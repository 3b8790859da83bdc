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

struct mr_seqrec {
	uint32_t kind;
	uint64_t a, b, hwm;
};

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
	bool setup_failed;		/* the dataplane did not come up */
	/* sequence numbers across restarts (seqstate.c) */
	uint64_t seq_meta[3];		/* epoch, clean epoch, floor as loaded */
	uint64_t epoch;			/* this run */
	uint64_t seq_floor;
	struct mr_seqrec *seqs;		/* loaded, until mr_seq_seed() */
	uint32_t nseqs, seqs_cap;
	uint64_t ctl_requests;
	uint64_t ctl_errors;
};

/* Register every control API handler on d->ctl. */
void mr_handlers_register(struct mrelayd *d);

/* Restore the routing tables from the state database. 0 or -errno. */
int mr_restore(struct mrelayd *d, char *err, size_t errlen);

/* Sequence numbers: note loaded marks, start the run, seed the workers,
 * save at a clean stop; the next number of a group (seqstate.c). */
int mr_seq_note(struct mrelayd *d, uint32_t kind, uint64_t a, uint64_t b,
		uint64_t hwm);
int mr_seq_start(struct mrelayd *d, char *err, size_t errlen);
int mr_seq_seed(struct mrelayd *d);
int mr_seq_save(struct mrelayd *d);
uint64_t mr_seq_group_next(const struct mrelayd *d, uint64_t id);

/* Sum of one counter over all workers, by byte offset in mr_wstats. */
uint64_t mr_stat_sum(const struct mrelayd *d, size_t off);

/* Every dataplane counter by name, summed (wi < 0) or of worker wi. */
typedef int (*mr_stat_cb)(void *arg, const char *name, uint64_t value);
int mr_stats_foreach(const struct mrelayd *d, int wi, mr_stat_cb cb,
		     void *arg);

/* DPDK telemetry commands under /mrelay/. */
int mr_telemetry_register(struct mrelayd *d);

#endif /* MRELAY_DAEMON_H */
