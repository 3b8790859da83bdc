/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Port bring-up: one RX and one TX queue per worker on every port, RSS
 * where the port has it, only the offloads the port reports.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "port.h"

int
mr_port_init(const struct mr_port_params *pp, struct rte_mempool **pools,
	     uint16_t *port_id, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint16_t pid, q, rxd = pp->rxd, txd = pp->txd;
	int ret;

	if (rte_eth_dev_get_port_by_name(pp->name, &pid) != 0) {
		snprintf(err, errlen, "port %s: no such DPDK port (check the "
			 "EAL arguments: --vdev or -a)", pp->name);
		return -ENODEV;
	}
	ret = rte_eth_dev_info_get(pid, &info);
	if (ret != 0) {
		snprintf(err, errlen, "port %s: info: %s", pp->name,
			 rte_strerror(-ret));
		return ret;
	}
	if (pp->nb_queues > info.max_rx_queues ||
	    pp->nb_queues > info.max_tx_queues) {
		snprintf(err, errlen, "port %s: %u workers need %u queues, the "
			 "port has %u RX / %u TX", pp->name, pp->nb_queues,
			 pp->nb_queues, info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	if (pp->nb_queues > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
	}
	conf.txmode.offloads = info.tx_offload_capa &
		(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
		 RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
	conf.rxmode.offloads = info.rx_offload_capa &
		(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	ret = rte_eth_dev_configure(pid, pp->nb_queues, pp->nb_queues, &conf);
	if (ret != 0) {
		snprintf(err, errlen, "port %s: configure: %s", pp->name,
			 rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	if (ret != 0) {
		snprintf(err, errlen, "port %s: descriptors: %s", pp->name,
			 rte_strerror(-ret));
		return ret;
	}
	if (pp->mtu != 0 && pp->mtu != RTE_ETHER_MTU) {
		ret = rte_eth_dev_set_mtu(pid, pp->mtu);
		if (ret != 0) {
			snprintf(err, errlen, "port %s: MTU %u: %s", pp->name,
				 pp->mtu, rte_strerror(-ret));
			return ret;
		}
	}
	rxc = info.default_rxconf;
	rxc.offloads = conf.rxmode.offloads;
	txc = info.default_txconf;
	txc.offloads = conf.txmode.offloads;
	for (q = 0; q < pp->nb_queues; q++) {
		ret = rte_eth_rx_queue_setup(pid, q, rxd,
					     rte_eth_dev_socket_id(pid), &rxc,
					     pools[q]);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(pid, q, txd,
						     rte_eth_dev_socket_id(pid),
						     &txc);
		if (ret != 0) {
			snprintf(err, errlen, "port %s: queue %u: %s (the RX "
				 "queue needs %u mbufs of mempool.mbufs %u; a "
				 "net_pcap infinite_rx capture needs one per "
				 "packet of the capture)", pp->name, q,
				 rte_strerror(-ret), rxd,
				 pools[q]->size);
			return ret;
		}
	}
	if (pp->has_mac) {
		ret = rte_eth_dev_default_mac_addr_set(pid,
			(struct rte_ether_addr *)(uintptr_t)pp->mac);
		if (ret != 0) {
			snprintf(err, errlen, "port %s: set MAC: %s", pp->name,
				 rte_strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_start(pid);
	if (ret != 0) {
		snprintf(err, errlen, "port %s: start: %s", pp->name,
			 rte_strerror(-ret));
		return ret;
	}
	*port_id = pid;
	return 0;
}

void
mr_port_fini(uint16_t pid)
{
	rte_eth_dev_stop(pid);
	rte_eth_dev_close(pid);
}
