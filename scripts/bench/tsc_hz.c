/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Print the TSC rate in Hz, measured the way DPDK does where CPUID does not
 * give it (AMD, most VMs): TSC ticks over a wall-clock interval, here 0.5 s
 * of CLOCK_MONOTONIC_RAW, rounded to 1 MHz. scripts/bench-relay.sh uses it
 * for cycles per copy. Build: cc -O2 -o tsc_hz tsc_hz.c
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <x86intrin.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(void)
{
	double t0, t1;
	uint64_t c0, c1, mhz;

	t0 = now_s();
	c0 = __rdtsc();
	do
		t1 = now_s();
	while (t1 - t0 < 0.5);
	c1 = __rdtsc();
	mhz = (uint64_t)((double)(c1 - c0) / (t1 - t0) / 1e6 + 0.5);
	printf("%llu\n", (unsigned long long)mhz * 1000000ull);
	return 0;
}
