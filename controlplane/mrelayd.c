/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelayd: the appliance. Worker lcores run the dataplane; the main lcore
 * runs the control plane (control socket, state database, table updates).
 *
 *   mrelayd [EAL args] -- --config FILE [--check-config]
 *   mrelayd --check-config FILE
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <inttypes.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <time.h>

#include "daemon.h"
#include "port.h"

RTE_LOG_REGISTER(mr_cp_logtype, mrelay.cp, INFO);
#define CP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, mr_cp_logtype, "mrelayd: " fmt "\n", \
		##__VA_ARGS__)

static struct mrelayd daemon_state;

static void
on_signal(int sig)
{
	daemon_state.quit = true;
}

/* Control socket messages go to our log, not stderr. */
static void
ctl_log(void *arg, int level, const char *msg)
{
	rte_log(level <= LOG_ERR ? RTE_LOG_ERR : level <= LOG_NOTICE ?
		RTE_LOG_NOTICE : RTE_LOG_INFO, mr_cp_logtype,
		"mrelayd: control: %s\n", msg);
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: mrelayd [EAL options] -- --config FILE [--check-config]\n"
		"       mrelayd --check-config FILE\n"
		"\n"
		"  --config FILE     YAML configuration (docs/configuration.md)\n"
		"  --check-config    check the file, print \"configuration OK\"\n"
		"                    or FILE:LINE: reason, and exit\n");
}

static int
check_config(const char *path)
{
	struct mr_config cfg;
	char err[512];

	if (mr_config_load(path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("configuration OK\n");
	return 0;
}

/* Checks that need EAL: lcores exist and are not the main lcore. */
static int
check_lcores(const struct mr_config *c, char *err, size_t errlen)
{
	unsigned int i;

	if (c->workers.nb_lcores > MR_MAX_WORKERS) {
		snprintf(err, errlen, "workers.lcores: at most %u workers",
			 MR_MAX_WORKERS);
		return -EINVAL;
	}
	for (i = 0; i < c->workers.nb_lcores; i++) {
		unsigned int l = c->workers.lcores[i];

		if (!rte_lcore_is_enabled(l)) {
			snprintf(err, errlen, "workers.lcores: lcore %u is not "
				 "in the EAL core list (-l)", l);
			return -EINVAL;
		}
		if (l == rte_get_main_lcore()) {
			snprintf(err, errlen, "workers.lcores: lcore %u is the "
				 "main lcore, which runs the control plane", l);
			return -EINVAL;
		}
	}
	return 0;
}

static void
relay_addrs(struct mrelayd *d)
{
	const struct mr_config_relay *r = &d->cfg.relay;
	unsigned int i;

	for (i = 0; i < r->nb_ipv4; i++)
		memcpy(d->addrs.ipv4[i], r->ipv4[i], 4);
	for (i = 0; i < r->nb_ipv6; i++)
		memcpy(d->addrs.ipv6[i], r->ipv6[i], 16);
	memcpy(d->addrs.udp_ports, r->udp_ports, sizeof(d->addrs.udp_ports));
	d->addrs.nb_ipv4 = r->nb_ipv4;
	d->addrs.nb_ipv6 = r->nb_ipv6;
	d->addrs.nb_udp_ports = r->nb_udp_ports;
}

/* The relay context the workers share: clock, ports, neighbours, rings. */
static int
setup_relay(struct mrelayd *d, char *err, size_t errlen)
{
	const struct mr_config *c = &d->cfg;
	struct mr_relay *r;
	struct timespec ts;
	char name[RTE_RING_NAMESIZE];
	unsigned int a, b;

	r = rte_zmalloc("mr_relay", sizeof(*r), RTE_CACHE_LINE_SIZE);
	if (r == NULL)
		goto nomem;
	d->relay = r;
	r->tables = d->tables;
	r->addrs = &d->addrs;
	r->nb_workers = c->workers.nb_lcores;
	r->fanout_chunk = c->workers.fanout_chunk;
	r->max_payload = c->limits.max_payload;
	r->tsc_hz = rte_get_tsc_hz();
	r->drain_tsc = r->tsc_hz * c->workers.tx_drain_us / 1000000;
	r->solicit_tsc = r->tsc_hz;	/* one ARP/ND request a second */
	clock_gettime(CLOCK_REALTIME, &ts);
	r->clock.base_tsc = rte_rdtsc();
	r->clock.base_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	r->clock.mult = (uint64_t)(((unsigned __int128)1000000000ull << 32) /
				   r->tsc_hz);
	r->neigh = rte_zmalloc("mr_neigh", c->limits.max_endpoints *
			       sizeof(*r->neigh), RTE_CACHE_LINE_SIZE);
	if (r->neigh == NULL)
		goto nomem;
	for (a = 0; r->nb_workers > 1 && a < r->nb_workers; a++) {
		for (b = 0; b < r->nb_workers; b++) {
			if (a == b)
				continue;
			snprintf(name, sizeof(name), "mr_ho_%u_%u", a, b);
			r->ring[a][b] = rte_ring_create(name, MR_HANDOVER_RING,
				rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (r->ring[a][b] == NULL)
				goto nomem;
		}
	}
	return 0;
nomem:
	snprintf(err, errlen, "relay context: %s", rte_strerror(rte_errno));
	return -ENOMEM;
}

/* Per worker: relay state and, with several workers, handover buffers. */
static int
setup_worker_relay(struct mrelayd *d, struct mr_worker *w, char *err,
		   size_t errlen)
{
	const struct mr_config *c = &d->cfg;
	char name[RTE_MEMPOOL_NAMESIZE];
	int ret;

	w->relay = d->relay;
	ret = mr_relay_worker_init(w, c->limits.dedup_window,
				   c->limits.max_conversations,
				   rte_hash_max_key_id(d->tables->groups) + 1);
	if (ret == 0 && d->relay->nb_workers > 1) {
		snprintf(name, sizeof(name), "mr_hop_%u", w->idx);
		w->ho_pool = rte_mempool_create(name,
			MR_HANDOVER_RING * (d->relay->nb_workers - 1) + 1024,
			sizeof(struct mr_handover), 64, 0, NULL, NULL, NULL,
			NULL, rte_lcore_to_socket_id(w->lcore_id), 0);
		if (w->ho_pool == NULL)
			ret = -ENOMEM;
	}
	if (ret != 0)
		snprintf(err, errlen, "worker %u: relay state (dedup %u, "
			 "conversations %u): %s", w->idx,
			 c->limits.dedup_window, c->limits.max_conversations,
			 strerror(-ret));
	return ret;
}

/* Workers, their mempools and the ports with one queue pair per worker. */
static int
setup_dataplane(struct mrelayd *d, char *err, size_t errlen)
{
	const struct mr_config *c = &d->cfg;
	struct rte_mempool *pools[MR_MAX_WORKERS];
	struct mr_port_params pp;
	struct mr_worker *w;
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned int i, p;
	int ret;

	d->nb_workers = c->workers.nb_lcores;
	for (i = 0; i < d->nb_workers; i++) {
		unsigned int lc = c->workers.lcores[i];
		int sock = rte_lcore_to_socket_id(lc);

		w = rte_zmalloc_socket("mr_worker", sizeof(*w),
				       RTE_CACHE_LINE_SIZE, sock);
		snprintf(name, sizeof(name), "mr_pool_%u", i);
		pools[i] = rte_pktmbuf_pool_create(name, c->mempool.mbufs,
			c->mempool.cache, 0, c->mempool.mbuf_size, sock);
		snprintf(name, sizeof(name), "mr_hdr_%u", i);
		if (w != NULL)
			w->hdr_pool = rte_pktmbuf_pool_create(name,
				c->mempool.hdr_mbufs, c->mempool.cache, 0,
				RTE_PKTMBUF_HEADROOM + 256, sock);
		if (w == NULL || pools[i] == NULL || w->hdr_pool == NULL) {
			snprintf(err, errlen, "worker %u: mempools of %u + %u "
				 "mbufs: %s (reserve more hugepages or lower "
				 "mempool.mbufs)", i, c->mempool.mbufs,
				 c->mempool.hdr_mbufs, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		w->lcore_id = lc;
		w->idx = i;
		w->pool = pools[i];
		w->burst = c->workers.burst;
		w->qs = d->qs;
		w->tables = d->tables;
		w->addrs = &d->addrs;
		w->quit = &d->quit;
		w->parse.verify_l4_csum = c->relay.verify_udp_checksum;
		d->workers[i] = w;
		ret = setup_worker_relay(d, w, err, errlen);
		if (ret != 0)
			return ret;
	}

	for (p = 0; p < c->nb_ports; p++) {
		const struct mr_config_port *cp = &c->ports[p];

		memset(&pp, 0, sizeof(pp));
		pp.name = cp->name;
		pp.nb_queues = d->nb_workers;
		pp.rxd = cp->rxd;
		pp.txd = cp->txd;
		pp.mtu = cp->mtu;
		pp.has_mac = cp->has_mac;
		memcpy(pp.mac, cp->mac, 6);
		ret = mr_port_init(&pp, pools, &d->port_ids[p], err, errlen);
		if (ret != 0)
			return ret;
		d->nb_ports++;
		if (d->port_ids[p] >= MR_MAX_PORTS) {
			snprintf(err, errlen, "port %s: DPDK port id %u, at most "
				 "%u ports", cp->name, d->port_ids[p],
				 MR_MAX_PORTS);
			return -EINVAL;
		}
		{
			struct mr_port_info *pi =
				&d->relay->ports[d->port_ids[p]];
			struct rte_eth_dev_info info;

			rte_eth_macaddr_get(d->port_ids[p], &pi->mac);
			rte_eth_dev_info_get(d->port_ids[p], &info);
			pi->tx_multiseg = !!(info.tx_offload_capa &
					     RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
			if (rte_eth_dev_get_mtu(d->port_ids[p], &pi->mtu) != 0)
				pi->mtu = cp->mtu;
			pi->present = 1;
		}
		if (cp->role == MR_PORT_EGRESS)
			continue;
		for (i = 0; i < d->nb_workers; i++) {
			w = d->workers[i];
			w->rxq[w->nb_rxq].port = d->port_ids[p];
			w->rxq[w->nb_rxq].queue = i;
			w->nb_rxq++;
		}
	}
	return 0;
}

static void
teardown_dataplane(struct mrelayd *d)
{
	unsigned int i, a, b;

	if (d->relay != NULL)
		mr_relay_drain_rings(d->relay);
	for (i = 0; i < d->nb_ports; i++)
		mr_port_fini(d->port_ids[i]);
	for (i = 0; i < d->nb_workers; i++) {
		struct mr_worker *w = d->workers[i];

		if (w == NULL)
			continue;
		mr_relay_worker_fini(w);
		rte_mempool_free(w->ho_pool);
		/*
		 * After a failed start a half-set-up port may still hold RX
		 * mbufs of the pool (and use it): no count, it would read as
		 * a leak, and no free; the process is about to exit.
		 */
		if (!d->setup_failed) {
			if (w->pool != NULL)
				CP_LOG(INFO, "worker %u: %u of %u mbufs back "
				       "in %s", i,
				       rte_mempool_avail_count(w->pool),
				       w->pool->size, w->pool->name);
			if (w->hdr_pool != NULL)
				CP_LOG(INFO, "worker %u: %u of %u mbufs back "
				       "in %s", i,
				       rte_mempool_avail_count(w->hdr_pool),
				       w->hdr_pool->size, w->hdr_pool->name);
			rte_mempool_free(w->pool);
		}
		rte_mempool_free(w->hdr_pool);
		rte_free(w);
	}
	if (d->relay != NULL) {
		for (a = 0; a < MR_MAX_WORKERS; a++)
			for (b = 0; b < MR_MAX_WORKERS; b++)
				rte_ring_free(d->relay->ring[a][b]);
		rte_free(d->relay->neigh);
		rte_free(d->relay);
	}
}

static int
run(struct mrelayd *d, const char *config)
{
	struct mr_tables_cfg tc;
	struct sigaction sa;
	char err[512];
	unsigned int i;
	size_t sz;
	int ret = 1;

	if (mr_config_load(config, &d->cfg, err, sizeof(err)) != 0 ||
	    check_lcores(&d->cfg, err, sizeof(err)) != 0) {
		CP_LOG(ERR, "%s", err);
		return 1;
	}
	rte_log_set_level_pattern("mrelay.*", d->cfg.log.level);
	relay_addrs(d);

	d->store = mr_store_open(d->cfg.state_dir, err, sizeof(err));
	if (d->store == NULL) {
		CP_LOG(ERR, "%s", err);
		return 1;
	}

	sz = rte_rcu_qsbr_get_memsize(d->cfg.workers.nb_lcores);
	d->qs = rte_zmalloc("mr_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (d->qs == NULL ||
	    rte_rcu_qsbr_init(d->qs, d->cfg.workers.nb_lcores) != 0) {
		CP_LOG(ERR, "RCU: out of memory");
		goto out;
	}
	tc = (struct mr_tables_cfg){
		.max_endpoints = d->cfg.limits.max_endpoints,
		.max_users = d->cfg.limits.max_users,
		.max_groups = d->cfg.limits.max_groups,
		.max_devices_per_user = d->cfg.limits.max_devices_per_user,
		.max_group_members = d->cfg.limits.max_group_members,
		.max_memberships = d->cfg.limits.max_memberships,
		.socket_id = (int)rte_socket_id(),
	};
	d->tables = mr_tables_create("mr", &tc, d->qs);
	if (d->tables == NULL) {
		CP_LOG(ERR, "routing tables for %u users, %u groups: %s",
		       tc.max_users, tc.max_groups, strerror(errno));
		goto out;
	}
	if (mr_restore(d, err, sizeof(err)) != 0) {
		CP_LOG(ERR, "restoring state from %s: %s", d->cfg.state_dir,
		       err);
		goto out;
	}
	CP_LOG(INFO, "restored %u endpoints, %u devices, %u groups, %" PRIu64
	       " memberships, %u subscriptions", d->tables->nendpoints,
	       d->tables->ndevices, d->tables->ngroups,
	       d->tables->nmemberships, rte_hash_count(d->subs));

	if (mr_seq_start(d, err, sizeof(err)) != 0 ||
	    setup_relay(d, err, sizeof(err)) != 0 ||
	    setup_dataplane(d, err, sizeof(err)) != 0 ||
	    mr_seq_seed(d) != 0) {
		CP_LOG(ERR, "%s", err);
		d->setup_failed = true;
		goto out;
	}
	if (mr_ctl_open(&d->ctl, d->cfg.control.socket, d->cfg.control.mode,
			d->cfg.control.group[0] ? d->cfg.control.group : NULL,
			err, sizeof(err)) != 0) {
		CP_LOG(ERR, "control socket: %s", err);
		goto out;
	}
	mr_ctl_set_log(d->ctl, ctl_log, NULL);
	mr_handlers_register(d);
	if (mr_telemetry_register(d) != 0)
		CP_LOG(WARNING, "telemetry commands not registered");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);	/* a closed terminal: stop cleanly */
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < d->nb_workers; i++) {
		if (rte_eal_remote_launch(mr_worker_main, d->workers[i],
					  d->workers[i]->lcore_id) != 0) {
			CP_LOG(ERR, "cannot launch worker on lcore %u",
			       d->workers[i]->lcore_id);
			d->quit = true;
			break;
		}
	}
	if (!d->quit)
		CP_LOG(NOTICE, "running: %u workers, %u ports, control socket "
		       "%s", d->nb_workers, d->nb_ports,
		       d->cfg.control.socket);
	while (!d->quit) {
		unsigned int left = 0;

		/* membership changes are logged, then merged in key order a
		 * bounded chunk at a time (about 50 ms), between requests */
		if (mr_store_compact(d->store, 20000, &left) != 0)
			CP_LOG(ERR, "state database: merging the member log: "
			       "%s", mr_store_errmsg(d->store));
		mr_ctl_poll(d->ctl, left != 0 ? 0 : 200);
		/* groups unpinned by finished fan-outs can be freed now */
		if (mr_tables_pending(d->tables) != 0)
			mr_tables_sync(d->tables);
	}
	CP_LOG(NOTICE, "stopping");
	rte_eal_mp_wait_lcore();
	ret = mr_seq_save(d) != 0;
out:
	d->quit = true;
	rte_eal_mp_wait_lcore();
	if (d->ctl != NULL)
		mr_ctl_close(d->ctl);
	teardown_dataplane(d);
	mr_tables_free(d->tables);
	rte_hash_free(d->subs);
	rte_free(d->qs);
	free(d->seqs);
	if (d->store != NULL)
		mr_store_close(d->store);
	CP_LOG(NOTICE, "stopped");
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL;
	int check = 0, n, c, ret;

	/* no EAL for checking a file or asking for help */
	if (argc >= 2 && strcmp(argv[1], "--check-config") == 0) {
		if (argc == 3)
			return check_config(argv[2]);
		if (argc == 4 && strcmp(argv[2], "--config") == 0)
			return check_config(argv[3]);
		usage(stderr);
		return 2;
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	/* find our options after "--" first, to check before EAL starts */
	for (n = 1; n < argc && strcmp(argv[n], "--") != 0; n++)
		;
	optind = n < argc ? n + 1 : argc;
	while (optind < argc &&
	       (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'k':
			check = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (config == NULL) {
		fprintf(stderr, "mrelayd: --config FILE is required\n");
		usage(stderr);
		return 2;
	}
	if (check)
		return check_config(config);

	ret = rte_eal_init(n, argv);
	if (ret < 0) {
		fprintf(stderr, "mrelayd: EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	ret = run(&daemon_state, config);
	/*
	 * A port whose setup failed half way is not closed: DPDK 22.11's
	 * net_pcap crashes closing one (a port with queues never set up), and
	 * rte_eal_cleanup() would close it. Exit with the error instead.
	 */
	if (!daemon_state.setup_failed)
		rte_eal_cleanup();
	return ret;
}
