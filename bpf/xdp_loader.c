/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loader of mrelay's XDP program: see xdp_loader.h for the contract and
 * README.md for how mrelayd shares the program with DPDK's af_xdp PMD.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mrelay_xdp.skel.h"
#include "xdp_loader.h"

#define LOG_BUF_SIZE	(256 * 1024)

struct mrx_xdp {
	struct mrelay_xdp_skel *skel;	/* NULL when adopted */
	int prog_fd;
	int xsks_fd;
	int config_fd;
	int counters_fd;
	int allow4_fd;
	int allow6_fd;
	int rate_fd;
	int ifindex;		/* attached by us; 0 if not */
	__u32 attach_flags;	/* mode flag used to attach */
};

static const char *const counter_names[] = {
#define MRX_X(id, name) [MRX_CNT_##id] = name,
	MRX_COUNTERS(MRX_X)
#undef MRX_X
};

/* Last warning libbpf printed while one of our calls ran (it prints the
 * kernel's netlink extack as "Kernel error message: ..."). */
static char libbpf_msg[512];

static int
capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[sizeof(libbpf_msg)];
	size_t n;

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (n > 0)
		memcpy(libbpf_msg, line, n + 1);
	return 0;
}

static libbpf_print_fn_t
capture_begin(void)
{
	libbpf_msg[0] = '\0';
	return libbpf_set_print(capture_print);
}

static void
capture_end(libbpf_print_fn_t old)
{
	libbpf_set_print(old);
}

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Last few lines of a verifier log on one line, " | " between them. */
static void
log_tail(const char *log, char *out, size_t outlen)
{
	size_t n = strlen(log), start, j = 0;
	int lines = 0;

	while (n > 0 && log[n - 1] == '\n')
		n--;
	start = n;
	while (start > 0 && lines < 4) {
		start--;
		if (log[start] == '\n')
			lines++;
	}
	if (log[start] == '\n')
		start++;
	for (size_t i = start; i < n && j + 4 < outlen; i++) {
		if (log[i] == '\n') {
			memcpy(out + j, " | ", 3);
			j += 3;
		} else {
			out[j++] = log[i];
		}
	}
	out[j] = '\0';
}

static void
explain_load_error(int e, const char *log, char *err, size_t errlen)
{
	struct rlimit rl;
	char tail[400];

	if (e == EPERM || (e == EACCES && (log == NULL || log[0] == '\0'))) {
		char ml[64] = "unlimited";

		if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			snprintf(ml, sizeof(ml), "%llu KiB",
				 (unsigned long long)rl.rlim_cur / 1024);
		seterr(err, errlen,
		       "loading XDP program: %s (euid %u): needs root or "
		       "CAP_BPF+CAP_NET_ADMIN; RLIMIT_MEMLOCK is %s (kernels "
		       "before 5.11 charge BPF maps to it; libbpf 1.x raises it "
		       "itself where it may, else `ulimit -l unlimited`)%s%s",
		       strerror(e), (unsigned int)geteuid(), ml,
		       libbpf_msg[0] ? "; libbpf: " : "", libbpf_msg);
		return;
	}
	if (log != NULL && log[0] != '\0') {
		log_tail(log, tail, sizeof(tail));
		seterr(err, errlen, "verifier rejected XDP program (%s): %s",
		       strerror(e), tail);
		return;
	}
	seterr(err, errlen, "loading XDP program: %s%s%s", strerror(e),
	       libbpf_msg[0] ? "; libbpf: " : "", libbpf_msg);
}

static struct mrx_xdp *
handle_new(void)
{
	struct mrx_xdp *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->prog_fd = x->xsks_fd = x->config_fd = x->counters_fd = -1;
	x->allow4_fd = x->allow6_fd = x->rate_fd = -1;
	return x;
}

struct mrx_xdp *
mrx_xdp_open(char *err, size_t errlen)
{
	libbpf_print_fn_t old;
	struct mrx_xdp *x;
	char *log;
	int ret;

	x = handle_new();
	log = calloc(1, LOG_BUF_SIZE);
	if (x == NULL || log == NULL) {
		free(x);
		free(log);
		seterr(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	old = capture_begin();
	x->skel = mrelay_xdp_skel__open();
	if (x->skel == NULL) {
		ret = errno;
		seterr(err, errlen, "opening XDP skeleton: %s%s%s",
		       strerror(ret), libbpf_msg[0] ? "; libbpf: " : "",
		       libbpf_msg);
		goto fail;
	}
	bpf_program__set_log_buf(x->skel->progs.mrelay_xdp, log, LOG_BUF_SIZE);
	ret = mrelay_xdp_skel__load(x->skel);
	if (ret != 0) {
		ret = -ret;
		explain_load_error(ret, log, err, errlen);
		goto fail;
	}
	capture_end(old);
	free(log);
	x->prog_fd = bpf_program__fd(x->skel->progs.mrelay_xdp);
	x->xsks_fd = bpf_map__fd(x->skel->maps.xsks_map);
	x->config_fd = bpf_map__fd(x->skel->maps.mrx_config);
	x->counters_fd = bpf_map__fd(x->skel->maps.mrx_counters);
	x->allow4_fd = bpf_map__fd(x->skel->maps.mrx_allow4);
	x->allow6_fd = bpf_map__fd(x->skel->maps.mrx_allow6);
	x->rate_fd = bpf_map__fd(x->skel->maps.mrx_rate);
	return x;
fail:
	capture_end(old);
	free(log);
	mrelay_xdp_skel__destroy(x->skel);
	free(x);
	errno = ret;
	return NULL;
}

/* Expected shape of each map, to refuse a program from another build. */
static const struct {
	const char *name;
	size_t off;		/* of the fd in struct mrx_xdp */
	__u32 type, key_size, value_size, max_entries;
} map_shapes[] = {
	{ MRX_MAP_XSKS, offsetof(struct mrx_xdp, xsks_fd),
	  BPF_MAP_TYPE_XSKMAP, 4, 4, MRX_MAX_QUEUES },
	{ MRX_MAP_CONFIG, offsetof(struct mrx_xdp, config_fd),
	  BPF_MAP_TYPE_ARRAY, 4, sizeof(struct mrx_config), 1 },
	{ MRX_MAP_COUNTERS, offsetof(struct mrx_xdp, counters_fd),
	  BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, MRX_CNT_MAX },
	{ MRX_MAP_ALLOW4, offsetof(struct mrx_xdp, allow4_fd),
	  BPF_MAP_TYPE_LPM_TRIE, sizeof(struct mrx_lpm4_key), 4,
	  MRX_ALLOW_ENTRIES },
	{ MRX_MAP_ALLOW6, offsetof(struct mrx_xdp, allow6_fd),
	  BPF_MAP_TYPE_LPM_TRIE, sizeof(struct mrx_lpm6_key), 4,
	  MRX_ALLOW_ENTRIES },
	{ MRX_MAP_RATE, offsetof(struct mrx_xdp, rate_fd),
	  BPF_MAP_TYPE_LRU_HASH, sizeof(struct mrx_src_key),
	  sizeof(struct mrx_bucket), MRX_RATE_ENTRIES },
};

struct mrx_xdp *
mrx_xdp_adopt(int ifindex, char *err, size_t errlen)
{
	struct bpf_prog_info pinfo;
	__u32 prog_id = 0, map_ids[16], len, nmaps;
	char ifname[IF_NAMESIZE] = "?";
	struct mrx_xdp *x;
	int ret;

	if_indextoname(ifindex, ifname);
	x = handle_new();
	if (x == NULL) {
		seterr(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ret = bpf_xdp_query_id(ifindex, 0, &prog_id);
	if (ret != 0 || prog_id == 0) {
		ret = ret != 0 ? -ret : ENOENT;
		seterr(err, errlen, "no XDP program on %s (ifindex %d): %s",
		       ifname, ifindex, strerror(ret));
		goto fail;
	}
	x->prog_fd = bpf_prog_get_fd_by_id(prog_id);
	if (x->prog_fd < 0) {
		ret = errno;
		seterr(err, errlen, "XDP program id %u on %s: %s", prog_id,
		       ifname, strerror(ret));
		goto fail;
	}
	memset(&pinfo, 0, sizeof(pinfo));
	memset(map_ids, 0, sizeof(map_ids));
	pinfo.nr_map_ids = sizeof(map_ids) / sizeof(map_ids[0]);
	pinfo.map_ids = (__u64)(unsigned long)map_ids;
	len = sizeof(pinfo);
	if (bpf_obj_get_info_by_fd(x->prog_fd, &pinfo, &len) != 0) {
		ret = errno;
		seterr(err, errlen, "XDP program id %u on %s: info: %s",
		       prog_id, ifname, strerror(ret));
		goto fail;
	}
	if (pinfo.type != BPF_PROG_TYPE_XDP ||
	    strcmp(pinfo.name, MRX_PROG_NAME) != 0) {
		ret = EPROTO;
		seterr(err, errlen, "XDP program on %s is \"%s\" (id %u), not "
		       MRX_PROG_NAME, ifname, pinfo.name, prog_id);
		goto fail;
	}
	nmaps = pinfo.nr_map_ids < 16 ? pinfo.nr_map_ids : 16;
	for (__u32 i = 0; i < nmaps; i++) {
		struct bpf_map_info minfo;
		int fd = bpf_map_get_fd_by_id(map_ids[i]);
		size_t k;

		if (fd < 0)
			continue;
		memset(&minfo, 0, sizeof(minfo));
		len = sizeof(minfo);
		if (bpf_obj_get_info_by_fd(fd, &minfo, &len) != 0) {
			close(fd);
			continue;
		}
		for (k = 0; k < sizeof(map_shapes) / sizeof(map_shapes[0]); k++)
			if (strcmp(minfo.name, map_shapes[k].name) == 0)
				break;
		if (k == sizeof(map_shapes) / sizeof(map_shapes[0])) {
			close(fd);	/* .rodata and the like: not ours */
			continue;
		}
		if (minfo.type != map_shapes[k].type ||
		    minfo.key_size != map_shapes[k].key_size ||
		    minfo.value_size != map_shapes[k].value_size ||
		    minfo.max_entries != map_shapes[k].max_entries) {
			close(fd);
			ret = EPROTO;
			seterr(err, errlen, "XDP program on %s comes from another "
			       "build: map %s is type %u key %u value %u entries "
			       "%u, this mrelayd expects %u/%u/%u/%u", ifname,
			       minfo.name, minfo.type, minfo.key_size,
			       minfo.value_size, minfo.max_entries,
			       map_shapes[k].type, map_shapes[k].key_size,
			       map_shapes[k].value_size,
			       map_shapes[k].max_entries);
			goto fail;
		}
		*(int *)((char *)x + map_shapes[k].off) = fd;
	}
	for (size_t k = 0; k < sizeof(map_shapes) / sizeof(map_shapes[0]); k++) {
		if (*(int *)((char *)x + map_shapes[k].off) < 0) {
			ret = EPROTO;
			seterr(err, errlen, "XDP program %s on %s has no map %s",
			       MRX_PROG_NAME, ifname, map_shapes[k].name);
			goto fail;
		}
	}
	return x;
fail:
	mrx_xdp_close(x);
	errno = ret;
	return NULL;
}

int
mrx_xdp_detach_stale(int ifindex, char *err, size_t errlen)
{
	struct mrx_xdp *x;
	__u32 id = 0, mode;
	int ret;

	if (bpf_xdp_query_id(ifindex, 0, &id) == 0 && id == 0)
		return 0;
	x = mrx_xdp_adopt(ifindex, err, errlen);
	if (x == NULL)
		return -errno;
	/* Whichever mode it is in: only that one has a program. */
	mode = bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &id) == 0 &&
		id != 0 ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	x->ifindex = ifindex;
	x->attach_flags = mode;
	ret = mrx_xdp_detach(x, err, errlen);
	if (ret != 0)
		x->ifindex = 0;
	mrx_xdp_close(x);
	return ret;
}

void
mrx_xdp_close(struct mrx_xdp *x)
{
	if (x == NULL)
		return;
	if (x->ifindex != 0)
		mrx_xdp_detach(x, NULL, 0);
	if (x->skel != NULL) {
		mrelay_xdp_skel__destroy(x->skel);	/* owns the fds */
	} else {
		int *fds[] = { &x->prog_fd, &x->xsks_fd, &x->config_fd,
			&x->counters_fd, &x->allow4_fd, &x->allow6_fd,
			&x->rate_fd };

		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (*fds[i] >= 0)
				close(*fds[i]);
	}
	free(x);
}

int
mrx_xdp_attach(struct mrx_xdp *x, int ifindex, enum mrx_xdp_mode mode,
	       char *err, size_t errlen)
{
	const char *mname = mode == MRX_XDP_NATIVE ? "native" : "generic";
	__u32 mflag = mode == MRX_XDP_NATIVE ? XDP_FLAGS_DRV_MODE :
		XDP_FLAGS_SKB_MODE;
	char ifname[IF_NAMESIZE] = "?";
	libbpf_print_fn_t old;
	__u32 other = 0;
	int ret;

	if (x->ifindex != 0) {
		seterr(err, errlen, "XDP program already attached to ifindex %d",
		       x->ifindex);
		return -EALREADY;
	}
	if_indextoname(ifindex, ifname);
	old = capture_begin();
	ret = bpf_xdp_attach(ifindex, x->prog_fd,
			     mflag | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	capture_end(old);
	if (ret == 0) {
		x->ifindex = ifindex;
		x->attach_flags = mflag;
		return 0;
	}
	switch (-ret) {
	case EBUSY:
	case EEXIST:
		bpf_xdp_query_id(ifindex, 0, &other);
		seterr(err, errlen, "attaching XDP (%s) to %s: another XDP "
		       "program (id %u) is attached%s; refusing to replace it "
		       "(detach it with `ip link set dev %s xdp off`)", mname,
		       ifname, other, -ret == EEXIST ? " in the other mode" : "",
		       ifname);
		break;
	case EOPNOTSUPP:
		seterr(err, errlen, "attaching XDP to %s: the driver has no "
		       "%s XDP; use generic mode", ifname, mname);
		break;
	case ENODEV:
		seterr(err, errlen, "attaching XDP: no interface with index %d",
		       ifindex);
		break;
	case EPERM:
	case EACCES:
		seterr(err, errlen, "attaching XDP to %s: %s: needs root or "
		       "CAP_NET_ADMIN", ifname, strerror(-ret));
		break;
	default:
		seterr(err, errlen, "attaching XDP (%s) to %s: %s%s%s", mname,
		       ifname, strerror(-ret), libbpf_msg[0] ? "; " : "",
		       libbpf_msg);
		break;
	}
	return ret;
}

int
mrx_xdp_detach(struct mrx_xdp *x, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = x->prog_fd);
	libbpf_print_fn_t old;
	int ret;

	if (x->ifindex == 0)
		return 0;
	/* old_prog_fd makes it XDP_FLAGS_REPLACE: only our program goes. */
	old = capture_begin();
	ret = bpf_xdp_detach(x->ifindex, x->attach_flags, &opts);
	capture_end(old);
	if (ret != 0) {
		seterr(err, errlen, "detaching XDP from ifindex %d: %s%s%s",
		       x->ifindex, strerror(-ret), libbpf_msg[0] ? "; " : "",
		       libbpf_msg);
		return ret;
	}
	x->ifindex = 0;
	return 0;
}

int
mrx_xdp_set_config(struct mrx_xdp *x, const struct mrx_config *cfg,
		   char *err, size_t errlen)
{
	__u32 zero = 0;

	if (cfg->n_addr4 > MRX_MAX_ADDR4 || cfg->n_addr6 > MRX_MAX_ADDR6 ||
	    cfg->n_ports > MRX_MAX_PORTS) {
		seterr(err, errlen, "XDP config: at most %d IPv4, %d IPv6 "
		       "addresses and %d ports", MRX_MAX_ADDR4, MRX_MAX_ADDR6,
		       MRX_MAX_PORTS);
		return -EINVAL;
	}
	for (int i = 0; i < cfg->n_ports; i++) {
		if (cfg->ports[i] == 0) {
			seterr(err, errlen, "XDP config: port 0");
			return -EINVAL;
		}
	}
	if (cfg->guard > 1 ||
	    (cfg->rate_pps != 0 &&
	     (cfg->burst == 0 || cfg->burst > MRX_MAX_BURST))) {
		seterr(err, errlen, "XDP config: guard must be 0/1 and burst "
		       "1..%llu when a rate is set",
		       (unsigned long long)MRX_MAX_BURST);
		return -EINVAL;
	}
	if (bpf_map_update_elem(x->config_fd, &zero, cfg, BPF_ANY) != 0) {
		int e = errno;

		seterr(err, errlen, "XDP config: %s", strerror(e));
		return -e;
	}
	return 0;
}

int
mrx_xdp_get_config(struct mrx_xdp *x, struct mrx_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(x->config_fd, &zero, cfg) == 0 ? 0 : -errno;
}

int
mrx_xdp_set_guard(struct mrx_xdp *x, bool on)
{
	struct mrx_config cfg;
	int ret = mrx_xdp_get_config(x, &cfg);

	if (ret != 0)
		return ret;
	cfg.guard = on;
	return mrx_xdp_set_config(x, &cfg, NULL, 0);
}

int
mrx_xdp_set_ratelimit(struct mrx_xdp *x, uint64_t rate_pps, uint64_t burst)
{
	struct mrx_config cfg;
	int ret = mrx_xdp_get_config(x, &cfg);

	if (ret != 0)
		return ret;
	cfg.rate_pps = rate_pps;
	cfg.burst = burst;
	return mrx_xdp_set_config(x, &cfg, NULL, 0);
}

static void
mask_bits(uint8_t *a, unsigned int nbytes, unsigned int plen)
{
	for (unsigned int i = 0; i < nbytes; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		if (plen <= 8 * i)
			a[i] = 0;
		else
			a[i] &= (uint8_t)(0xff << (8 - (plen - 8 * i)));
	}
}

static int
lpm_update(int fd, bool add, const void *key)
{
	__u32 val = 0;
	int ret = add ? bpf_map_update_elem(fd, key, &val, BPF_ANY) :
		bpf_map_delete_elem(fd, key);

	return ret == 0 ? 0 : -errno;
}

int
mrx_xdp_allow4(struct mrx_xdp *x, bool add, uint32_t addr, unsigned int plen)
{
	struct mrx_lpm4_key k;

	if (plen > 32)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.prefixlen = plen;
	k.addr = addr;
	mask_bits((uint8_t *)&k.addr, 4, plen);
	return lpm_update(x->allow4_fd, add, &k);
}

int
mrx_xdp_allow6(struct mrx_xdp *x, bool add, const uint8_t addr[16],
	       unsigned int plen)
{
	struct mrx_lpm6_key k;

	if (plen > 128)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.prefixlen = plen;
	memcpy(k.addr, addr, 16);
	mask_bits(k.addr, 16, plen);
	return lpm_update(x->allow6_fd, add, &k);
}

static int
allow_str(struct mrx_xdp *x, bool add, const char *prefix, char *err,
	  size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned long plen = ~0UL;
	uint8_t a6[16];
	uint32_t a4;
	char *slash, *end;
	int ret;

	if (strlen(prefix) >= sizeof(buf)) {
		seterr(err, errlen, "allowlist prefix too long: %.60s", prefix);
		return -EINVAL;
	}
	strcpy(buf, prefix);
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
		    errno != 0)
			plen = 999;
	}
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		if (plen == ~0UL)
			plen = 32;
		ret = plen <= 32 ? mrx_xdp_allow4(x, add, a4, plen) : -EINVAL;
	} else if (inet_pton(AF_INET6, buf, a6) == 1) {
		if (plen == ~0UL)
			plen = 128;
		ret = plen <= 128 ? mrx_xdp_allow6(x, add, a6, plen) : -EINVAL;
	} else {
		ret = -EINVAL;
	}
	if (ret == -EINVAL)
		seterr(err, errlen, "bad allowlist prefix \"%s\" (want "
		       "a.b.c.d[/0-32] or ipv6[/0-128])", prefix);
	else if (ret != 0)
		seterr(err, errlen, "allowlist %s %s: %s",
		       add ? "add" : "delete", prefix, strerror(-ret));
	return ret;
}

int
mrx_xdp_allow_add(struct mrx_xdp *x, const char *prefix, char *err,
		  size_t errlen)
{
	return allow_str(x, true, prefix, err, errlen);
}

int
mrx_xdp_allow_del(struct mrx_xdp *x, const char *prefix, char *err,
		  size_t errlen)
{
	return allow_str(x, false, prefix, err, errlen);
}

int
mrx_xdp_read_counters(struct mrx_xdp *x, uint64_t out[MRX_CNT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (vals == NULL)
		return -ENOMEM;
	for (__u32 i = 0; i < MRX_CNT_MAX; i++) {
		if (bpf_map_lookup_elem(x->counters_fd, &i, vals) != 0) {
			int e = errno;

			free(vals);
			return -e;
		}
		out[i] = 0;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

int
mrx_xdp_reset_counters(struct mrx_xdp *x)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;
	int ret = 0;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (vals == NULL)
		return -ENOMEM;
	for (__u32 i = 0; i < MRX_CNT_MAX && ret == 0; i++)
		if (bpf_map_update_elem(x->counters_fd, &i, vals, BPF_ANY) != 0)
			ret = -errno;
	free(vals);
	return ret;
}

const char *
mrx_xdp_counter_name(unsigned int idx)
{
	return idx < MRX_CNT_MAX ? counter_names[idx] : NULL;
}

int
mrx_xdp_rate_flush(struct mrx_xdp *x)
{
	struct mrx_src_key k;

	/* Delete the first key until none is left: get_next_key with NULL
	 * always works, even while the program adds keys. Bounded by the
	 * map size so a busy program cannot keep us here. */
	for (int i = 0; i < 2 * MRX_RATE_ENTRIES; i++) {
		if (bpf_map_get_next_key(x->rate_fd, NULL, &k) != 0)
			return errno == ENOENT ? 0 : -errno;
		if (bpf_map_delete_elem(x->rate_fd, &k) != 0 && errno != ENOENT)
			return -errno;
	}
	return -EAGAIN;
}

int
mrx_xdp_prog_fd(const struct mrx_xdp *x)
{
	return x->prog_fd;
}

int
mrx_xdp_xsks_fd(const struct mrx_xdp *x)
{
	return x->xsks_fd;
}
