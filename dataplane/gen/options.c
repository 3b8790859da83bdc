/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelay-gen's options: defaults, parsing, consistency. Every number is
 * range-checked and every value is refused rather than truncated.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "gen.h"

void
gen_usage(FILE *f)
{
	fprintf(f,
"usage: mrelay-gen [EAL options --] [options]\n"
"\n"
"Workload model (the same options and seed give the same workload):\n"
"  --seed N                  random seed (default 1)\n"
"  --groups N                groups (default 100)\n"
"  --members N               members per group (default 8)\n"
"  --members-zipf MAX,S      group sizes 2..MAX, P(size) ~ (size-1)^-S\n"
"  --users N                 users (default: half the memberships)\n"
"  --devices-per-user N      devices of every user, 1..%u (default 2)\n"
"  --endpoints N             gateways emulated, 10.0.0.1.. (default 8)\n"
"  --endpoint-port-id N      mrelayd's DPDK port of the endpoints (default 0)\n"
"  --payload B | MIN-MAX     payload bytes, %u..%u (default 64)\n"
"  --rate R                  messages/s, 0: as fast as possible (default 10000)\n"
"  --duration S              seconds of sending (default 5)\n"
"  --count N                 messages to send (instead of the duration)\n"
"  --direct-share P          share of direct messages, 0..1 (default 0.1)\n"
"  --receipt-share P         share of received copies answered with a\n"
"                            RECEIPT, 0..1 (default 0.05; live runs only)\n"
"  --senders N               only the first N users post (default: all)\n"
"  --msg-id-base N           client_msg_id of message 0 (default 2^32;\n"
"                            live runs: derived from the clock)\n"
"Addresses:\n"
"  --relay-ip A              relay address (default 192.0.2.1)\n"
"  --relay-port P            relay UDP port (default 7400)\n"
"  --relay-mac M             relay MAC (default: ask by ARP; recordings:\n"
"                            02:00:00:00:00:01)\n"
"  --gen-mac M               MAC of the generator's port and of every\n"
"                            endpoint (default 02:00:00:6d:72:67)\n"
"Outputs:\n"
"  --write-population FILE   JSON lines for `mrelayctl import` ('-': stdout)\n"
"  --write-pcap FILE         the workload's datagrams\n"
"Live run (needs EAL options and a port):\n"
"  --send                    send the workload and verify what comes back\n"
"  --port NAME               DPDK port (default: the first)\n"
"  --window N                messages tracked at once; with --rate 0, the\n"
"                            messages in flight (default 262144; 8192\n"
"                            with --rate 0)\n"
"  --deadline-ms N           a copy later than this is lost (default 2000)\n"
"  --link-timeout S          wait for the link (default 10)\n"
"  --progress                a line a second on stderr\n"
"  --hold                    after the report, keep the port open (not\n"
"                            polled) until SIGINT/SIGTERM (memif peers)\n"
"Verify a recording:\n"
"  --verify-pcap OUT.pcap    what the relay sent, with the model options\n"
"  --sent-pcap IN.pcap       what it was given (default: all of --count)\n"
"Report:\n"
"  --json                    the report as one JSON object on stdout\n",
		GEN_MAX_DEVS, GEN_PAY_HDR, GEN_PAY_MAX);
}

/* ------------------------------------------------------------ parsing */

static int
bad_arg(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "mrelay-gen: %s '%s': %s\n", opt, val, why);
	return -EINVAL;
}

static int
parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
	  uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return bad_arg(opt, s, "not a decimal number");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return bad_arg(opt, s, "not a decimal number");
	if (v < min || v > max) {
		fprintf(stderr, "mrelay-gen: %s %s: out of range %" PRIu64
			"..%" PRIu64 "\n", opt, s, min, max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

static int
parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max,
	  uint32_t *out)
{
	uint64_t v;
	int ret = parse_u64(opt, s, min, max, &v);

	if (ret == 0)
		*out = (uint32_t)v;
	return ret;
}

static int
parse_double(const char *opt, const char *s, double min, double max,
	     double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v))
		return bad_arg(opt, s, "not a number");
	if (v < min || v > max) {
		fprintf(stderr, "mrelay-gen: %s %s: out of range %g..%g\n",
			opt, s, min, max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

static int
parse_mac(const char *opt, const char *s, struct rte_ether_addr *a)
{
	if (rte_ether_unformat_addr(s, a) != 0 || strlen(s) != 17)
		return bad_arg(opt, s, "not a MAC address xx:xx:xx:xx:xx:xx");
	if (!rte_is_unicast_ether_addr(a) || rte_is_zero_ether_addr(a))
		return bad_arg(opt, s, "not a unicast MAC address");
	return 0;
}

static int
parse_payload(const char *s, struct gen_opts *o)
{
	char buf[64], *dash;

	if (strlen(s) >= sizeof(buf))
		return bad_arg("--payload", s, "too long");
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash != NULL)
		*dash = '\0';
	if (parse_u32("--payload", buf, GEN_PAY_HDR, GEN_PAY_MAX,
		      &o->pay_min) != 0)
		return -EINVAL;
	o->pay_max = o->pay_min;
	if (dash != NULL &&
	    parse_u32("--payload", dash + 1, o->pay_min, GEN_PAY_MAX,
		      &o->pay_max) != 0)
		return -EINVAL;
	return 0;
}

static int
parse_zipf(const char *s, struct gen_opts *o)
{
	char buf[64], *comma;

	if (strlen(s) >= sizeof(buf))
		return bad_arg("--members-zipf", s, "too long");
	strcpy(buf, s);
	comma = strchr(buf, ',');
	if (comma == NULL)
		return bad_arg("--members-zipf", s, "expected MAX,S");
	*comma = '\0';
	if (parse_u32("--members-zipf", buf, 2, 16777216, &o->zipf_max) != 0 ||
	    parse_double("--members-zipf", comma + 1, 0, 10, &o->zipf_s) != 0)
		return -EINVAL;
	return 0;
}

enum {
	O_SEED = 256, O_GROUPS, O_MEMBERS, O_ZIPF, O_USERS, O_DEVS,
	O_ENDPOINTS, O_EP_PORT, O_PAYLOAD, O_RATE, O_DURATION, O_COUNT,
	O_DIRECT, O_RECEIPT, O_SENDERS, O_MSGID, O_RELAY_IP, O_RELAY_PORT,
	O_RELAY_MAC, O_GEN_MAC, O_WPOP, O_WPCAP, O_SEND, O_PORT, O_WINDOW,
	O_DEADLINE, O_LINK, O_PROGRESS, O_HOLD, O_VPCAP, O_SPCAP, O_JSON,
	O_HELP,
};

static const struct option long_opts[] = {
	{"seed", required_argument, NULL, O_SEED},
	{"groups", required_argument, NULL, O_GROUPS},
	{"members", required_argument, NULL, O_MEMBERS},
	{"members-zipf", required_argument, NULL, O_ZIPF},
	{"users", required_argument, NULL, O_USERS},
	{"devices-per-user", required_argument, NULL, O_DEVS},
	{"endpoints", required_argument, NULL, O_ENDPOINTS},
	{"endpoint-port-id", required_argument, NULL, O_EP_PORT},
	{"payload", required_argument, NULL, O_PAYLOAD},
	{"rate", required_argument, NULL, O_RATE},
	{"duration", required_argument, NULL, O_DURATION},
	{"count", required_argument, NULL, O_COUNT},
	{"direct-share", required_argument, NULL, O_DIRECT},
	{"receipt-share", required_argument, NULL, O_RECEIPT},
	{"senders", required_argument, NULL, O_SENDERS},
	{"msg-id-base", required_argument, NULL, O_MSGID},
	{"relay-ip", required_argument, NULL, O_RELAY_IP},
	{"relay-port", required_argument, NULL, O_RELAY_PORT},
	{"relay-mac", required_argument, NULL, O_RELAY_MAC},
	{"gen-mac", required_argument, NULL, O_GEN_MAC},
	{"write-population", required_argument, NULL, O_WPOP},
	{"write-pcap", required_argument, NULL, O_WPCAP},
	{"send", no_argument, NULL, O_SEND},
	{"port", required_argument, NULL, O_PORT},
	{"window", required_argument, NULL, O_WINDOW},
	{"deadline-ms", required_argument, NULL, O_DEADLINE},
	{"link-timeout", required_argument, NULL, O_LINK},
	{"progress", no_argument, NULL, O_PROGRESS},
	{"hold", no_argument, NULL, O_HOLD},
	{"verify-pcap", required_argument, NULL, O_VPCAP},
	{"sent-pcap", required_argument, NULL, O_SPCAP},
	{"json", no_argument, NULL, O_JSON},
	{"help", no_argument, NULL, O_HELP},
	{NULL, 0, NULL, 0},
};

int
gen_parse_opts(int argc, char **argv, struct gen_opts *o)
{
	bool has_duration = false;
	uint64_t v64;
	int c, ret = 0;

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->groups = 100;
	o->devs = 2;
	o->endpoints = 8;
	o->pay_min = o->pay_max = 64;
	o->rate = 10000;
	o->direct_share = 0.1;
	o->receipt_share = 0.05;
	o->relay_ip[0] = 192;
	o->relay_ip[1] = 0;
	o->relay_ip[2] = 2;
	o->relay_ip[3] = 1;
	o->relay_port = MR_DEFAULT_UDP_PORT;
	rte_ether_unformat_addr("02:00:00:6d:72:67", &o->gen_mac);
	o->window = 0;		/* 262144, or 8192 with --rate 0 */
	o->deadline_ms = 2000;
	o->link_timeout_s = 10;

	optind = 1;
	while (ret == 0 &&
	       (c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case O_SEED:
			ret = parse_u64("--seed", optarg, 0, UINT64_MAX,
					&o->seed);
			break;
		case O_GROUPS:
			ret = parse_u32("--groups", optarg, 0, 1u << 26,
					&o->groups);
			break;
		case O_MEMBERS:
			ret = parse_u32("--members", optarg, 1, 1u << 24,
					&o->members);
			break;
		case O_ZIPF:
			ret = parse_zipf(optarg, o);
			break;
		case O_USERS:
			ret = parse_u32("--users", optarg, 2, 1u << 30,
					&o->users);
			break;
		case O_DEVS:
			ret = parse_u32("--devices-per-user", optarg, 1,
					GEN_MAX_DEVS, &o->devs);
			break;
		case O_ENDPOINTS:
			ret = parse_u32("--endpoints", optarg, 1, 65535,
					&o->endpoints);
			break;
		case O_EP_PORT:
			ret = parse_u64("--endpoint-port-id", optarg, 0,
					UINT16_MAX, &v64);
			o->ep_port_id = (uint16_t)v64;
			break;
		case O_PAYLOAD:
			ret = parse_payload(optarg, o);
			break;
		case O_RATE:
			ret = parse_double("--rate", optarg, 0, 1e9, &o->rate);
			break;
		case O_DURATION:
			ret = parse_double("--duration", optarg, 0.001, 1e7,
					   &o->duration);
			has_duration = true;
			break;
		case O_COUNT:
			ret = parse_u64("--count", optarg, 1, UINT64_MAX / 2,
					&o->count);
			break;
		case O_DIRECT:
			ret = parse_double("--direct-share", optarg, 0, 1,
					   &o->direct_share);
			break;
		case O_RECEIPT:
			ret = parse_double("--receipt-share", optarg, 0, 1,
					   &o->receipt_share);
			break;
		case O_SENDERS:
			ret = parse_u32("--senders", optarg, 1, 1u << 30,
					&o->senders);
			break;
		case O_MSGID:
			ret = parse_u64("--msg-id-base", optarg, 0,
					UINT64_MAX / 2, &o->msgid_base);
			o->has_msgid_base = true;
			break;
		case O_RELAY_IP:
			if (inet_pton(AF_INET, optarg, o->relay_ip) != 1)
				ret = bad_arg("--relay-ip", optarg,
					      "not an IPv4 address");
			break;
		case O_RELAY_PORT:
			ret = parse_u64("--relay-port", optarg, 1, 65535, &v64);
			o->relay_port = (uint16_t)v64;
			break;
		case O_RELAY_MAC:
			ret = parse_mac("--relay-mac", optarg, &o->relay_mac);
			o->has_relay_mac = true;
			break;
		case O_GEN_MAC:
			ret = parse_mac("--gen-mac", optarg, &o->gen_mac);
			break;
		case O_WPOP:
			o->write_pop = optarg;
			break;
		case O_WPCAP:
			o->write_pcap = optarg;
			break;
		case O_SEND:
			o->send = true;
			break;
		case O_PORT:
			o->port_name = optarg;
			break;
		case O_WINDOW:
			ret = parse_u32("--window", optarg, 64, 1u << 26,
					&o->window);
			break;
		case O_DEADLINE:
			ret = parse_u32("--deadline-ms", optarg, 1, 3600000,
					&o->deadline_ms);
			break;
		case O_LINK:
			ret = parse_u32("--link-timeout", optarg, 1, 3600,
					&o->link_timeout_s);
			break;
		case O_PROGRESS:
			o->progress = true;
			break;
		case O_HOLD:
			o->hold = true;
			break;
		case O_VPCAP:
			o->verify_pcap = optarg;
			break;
		case O_SPCAP:
			o->sent_pcap = optarg;
			break;
		case O_JSON:
			o->json = true;
			break;
		case 'h':
		case O_HELP:
			gen_usage(stdout);
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (ret != 0)
		return ret;
	if (optind < argc) {
		fprintf(stderr, "mrelay-gen: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	if (o->members != 0 && o->zipf_max != 0) {
		fprintf(stderr, "mrelay-gen: --members and --members-zipf "
			"exclude each other\n");
		return -EINVAL;
	}
	if (o->members == 0 && o->zipf_max == 0)
		o->members = 8;
	if (o->count != 0 && has_duration) {
		fprintf(stderr, "mrelay-gen: --count and --duration exclude "
			"each other\n");
		return -EINVAL;
	}
	if (o->count == 0 && !has_duration)
		o->duration = 5;
	if (o->send && o->verify_pcap != NULL) {
		fprintf(stderr, "mrelay-gen: --send and --verify-pcap exclude "
			"each other\n");
		return -EINVAL;
	}
	if (o->sent_pcap != NULL && o->verify_pcap == NULL) {
		fprintf(stderr, "mrelay-gen: --sent-pcap goes with "
			"--verify-pcap\n");
		return -EINVAL;
	}
	if (!o->send && o->verify_pcap == NULL && o->write_pcap == NULL &&
	    o->write_pop == NULL) {
		fprintf(stderr, "mrelay-gen: nothing to do: --send, "
			"--verify-pcap, --write-pcap or --write-population\n");
		return -EINVAL;
	}
	if (o->window == 0)
		o->window = o->rate > 0 ? 1u << 18 : 1u << 13;
	if (!o->has_relay_mac && !o->send)
		rte_ether_unformat_addr("02:00:00:00:00:01", &o->relay_mac);
	return 0;
}
