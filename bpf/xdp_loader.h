/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loader of mrelay's XDP program (mrelay_xdp.bpf.c), for mrelayd and tests.
 *
 * Two ways to get a handle:
 *  - mrx_xdp_open(): load our own copy from the embedded skeleton; attach it
 *    with mrx_xdp_attach() or run it with BPF_PROG_TEST_RUN.
 *  - mrx_xdp_adopt(): find the copy that DPDK's af_xdp PMD loaded and
 *    attached from the `xdp_prog=` devarg (README.md says why mrelayd goes
 *    this way), by ifindex, and take its maps by name.
 * Either way the map functions below then change what the program does at
 * run time.
 *
 * Errors: constructors return NULL and set errno; the others return 0 or
 * -errno. Functions that take err/errlen also write a one-line explanation
 * there (permission, memlock, verifier log tail, attach mode...) fit for
 * mrelayd's startup error. Control-plane only; not thread-safe.
 */
#ifndef MRELAY_XDP_LOADER_H
#define MRELAY_XDP_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mrelay_xdp.h"

#ifndef MRX_XDP_OBJ_PATH
/* Build-dir path of the compiled object, for the PMD's xdp_prog= devarg;
 * meson defines it (installed copy: <libdir>/mrelay/mrelay_xdp.bpf.o). */
#define MRX_XDP_OBJ_PATH "mrelay_xdp.bpf.o"
#endif

struct mrx_xdp;

enum mrx_xdp_mode {
	MRX_XDP_NATIVE,		/* driver mode; fails if the driver lacks it */
	MRX_XDP_GENERIC,	/* skb mode; works everywhere, slower */
};

/* Open and load the program (maps created empty, config zeroed). */
struct mrx_xdp *mrx_xdp_open(char *err, size_t errlen);

/* Handle on the program attached to ifindex by someone else; checks that it
 * is ours (program name and map layouts). Never detaches it on close.
 * mrelayd's way: DPDK 22.11's af_xdp PMD loads and attaches the .o given
 * as xdp_prog=MRX_XDP_OBJ_PATH itself (and, with libxdp, refuses to share
 * a program attached by anyone else), so mrelayd adopts it after the rx
 * queues are set up. */
struct mrx_xdp *mrx_xdp_adopt(int ifindex, char *err, size_t errlen);

/* Detach a leftover mrelay_xdp from ifindex (mrelayd killed with -9: the
 * PMD's own cleanup never ran, and the PMD attaches with
 * XDP_FLAGS_UPDATE_IF_NOEXIST, so the next start would fail). 0 if nothing
 * was attached or ours was removed; -EPROTO, leaving it alone, if the
 * attached program is someone else's. */
int mrx_xdp_detach_stale(int ifindex, char *err, size_t errlen);

/* Detach if this handle attached, close fds, free. NULL is fine. */
void mrx_xdp_close(struct mrx_xdp *x);

/* Attach to ifindex in mode; refuses to replace another program. */
int mrx_xdp_attach(struct mrx_xdp *x, int ifindex, enum mrx_xdp_mode mode,
		   char *err, size_t errlen);
int mrx_xdp_detach(struct mrx_xdp *x, char *err, size_t errlen);

/* Whole config record (see struct mrx_config); validated. */
int mrx_xdp_set_config(struct mrx_xdp *x, const struct mrx_config *cfg,
		       char *err, size_t errlen);
int mrx_xdp_get_config(struct mrx_xdp *x, struct mrx_config *cfg);
/* Read-modify-write helpers on the config record. */
int mrx_xdp_set_guard(struct mrx_xdp *x, bool on);
int mrx_xdp_set_ratelimit(struct mrx_xdp *x, uint64_t rate_pps,
			  uint64_t burst);

/* Allowlist: a prefix "192.0.2.0/24", "2001:db8::/32" or a bare address
 * (full length). add: insert or keep; del: -ENOENT if absent. Host bits
 * beyond the prefix are ignored. */
int mrx_xdp_allow_add(struct mrx_xdp *x, const char *prefix,
		      char *err, size_t errlen);
int mrx_xdp_allow_del(struct mrx_xdp *x, const char *prefix,
		      char *err, size_t errlen);
/* Same in binary; addresses in network byte order. */
int mrx_xdp_allow4(struct mrx_xdp *x, bool add, uint32_t addr,
		   unsigned int plen);
int mrx_xdp_allow6(struct mrx_xdp *x, bool add, const uint8_t addr[16],
		   unsigned int plen);

/* Counters summed over CPUs, indexed by enum mrx_counter. */
int mrx_xdp_read_counters(struct mrx_xdp *x, uint64_t out[MRX_CNT_MAX]);
/* Zero every CPU's counters. */
int mrx_xdp_reset_counters(struct mrx_xdp *x);
const char *mrx_xdp_counter_name(unsigned int idx);

/* Forget all per-source token buckets (e.g. after a rate change). */
int mrx_xdp_rate_flush(struct mrx_xdp *x);

/* Raw fds, owned by the handle: for BPF_PROG_TEST_RUN and the PMD. */
int mrx_xdp_prog_fd(const struct mrx_xdp *x);
int mrx_xdp_xsks_fd(const struct mrx_xdp *x);

#endif /* MRELAY_XDP_LOADER_H */
