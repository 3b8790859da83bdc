/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Layout of a fuzz input, shared by the harnesses (parse_fuzz.c) and the
 * seed generator (gen_corpus.c) so that the seeds mean what the harness reads.
 *
 *   byte 0     control byte, see FZ_* below (meaning depends on the harness)
 *   bytes 1-6  three big-endian 16-bit segment cut offsets; the first
 *              (ctl & FZ_NCUTS_MASK) are used, each modulo (packet length + 1),
 *              then sorted: equal cuts give zero-length segments
 *   bytes 7-   parse_fuzz: a whole Ethernet frame
 *              dgram_fuzz: an mrelay datagram (UDP payload), which the harness
 *              wraps into a valid Ethernet/VLAN/IP/UDP packet
 */
#ifndef MRELAY_FUZZ_INPUT_H
#define MRELAY_FUZZ_INPUT_H

#include <stdint.h>

#define FZ_HDR_LEN		7
#define FZ_MAX_CUTS		3
#define FZ_NCUTS_MASK		0x03

/* parse_fuzz control byte */
#define FZ_P_VERIFY		0x04	/* mr_parse_cfg.verify_l4_csum */
#define FZ_P_IPCS_SHIFT		3	/* 2 bits: index into fz_cksum_state */
#define FZ_P_L4CS_SHIFT		5	/* 2 bits: index into fz_cksum_state */

/* dgram_fuzz control byte */
#define FZ_D_IPV6		0x04
#define FZ_D_VLAN_SHIFT		3	/* 2 bits: 0, 1, 2 tags; 3 = 2 x 0x8100 */
#define FZ_D_VERIFY		0x20
#define FZ_D_L4_GOOD		0x40	/* RX L4 checksum flag GOOD, else UNKNOWN */
#define FZ_D_PAD		0x80	/* Ethernet padding after the IP packet */

/* RX checksum states, in the order the 2-bit fields select them. */
enum fz_cksum_state {
	FZ_CS_UNKNOWN = 0,
	FZ_CS_BAD = 1,
	FZ_CS_GOOD = 2,
	FZ_CS_NONE = 3,
};

static inline void
fz_hdr(uint8_t *dst, uint8_t ctl, uint16_t c0, uint16_t c1, uint16_t c2)
{
	dst[0] = ctl;
	dst[1] = c0 >> 8;
	dst[2] = c0 & 0xff;
	dst[3] = c1 >> 8;
	dst[4] = c1 & 0xff;
	dst[5] = c2 >> 8;
	dst[6] = c2 & 0xff;
}

#endif /* MRELAY_FUZZ_INPUT_H */
