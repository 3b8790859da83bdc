/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Counters, the latency histogram, progress lines and the final report.
 *
 * The histogram is log-linear (HdrHistogram's layout): values below 2^SUB
 * have a bucket each, and every power of two above is split into 2^SUB
 * equal buckets, so a quantile is known within 1/2^SUB of its value with a
 * fixed 15 KiB of counters, whatever the number of samples.
 */
#include <inttypes.h>
#include <string.h>

#include "gen.h"

static inline unsigned int
hist_index(uint64_t v)
{
	unsigned int e, shift;

	if (v < (1u << GEN_HIST_SUB))
		return (unsigned int)v;
	e = 63 - (unsigned int)__builtin_clzll(v);
	shift = e - GEN_HIST_SUB;
	return ((shift + 1) << GEN_HIST_SUB) +
		(unsigned int)((v >> shift) - (1u << GEN_HIST_SUB));
}

/* Largest value of bucket idx. */
static inline uint64_t
hist_upper(unsigned int idx)
{
	unsigned int shift;
	uint64_t mant;

	if (idx < (1u << GEN_HIST_SUB))
		return idx;
	shift = (idx >> GEN_HIST_SUB) - 1;
	mant = (idx & ((1u << GEN_HIST_SUB) - 1)) + (1u << GEN_HIST_SUB);
	return ((mant + 1) << shift) - 1;
}

void
gen_hist_add(struct gen_hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	if (h->n == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->n++;
	h->sum += v;
}

uint64_t
gen_hist_quantile(const struct gen_hist *h, double q)
{
	uint64_t want, seen = 0, up;
	unsigned int i;

	if (h->n == 0)
		return 0;
	want = (uint64_t)(q * (double)h->n + 0.999999);
	if (want < 1)
		want = 1;
	if (want > h->n)
		want = h->n;
	for (i = 0; i < GEN_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			up = hist_upper(i);
			return up < h->max ? up : h->max;
		}
	}
	return h->max;
}

bool
gen_stats_clean(const struct gen_stats *s)
{
	uint64_t bad = 0;
	unsigned int i;

	for (i = 0; i < MR_DROP_MAX; i++)
		bad += s->rx_bad[i];
	return s->sent > 0 && s->acked == s->sent && s->rejected == 0 &&
		s->ack_dup_flag == 0 && s->ack_extra == 0 &&
		s->ack_missing == 0 && s->ack_unexpected == 0 &&
		s->ack_mismatch == 0 && s->copies == s->copies_expected &&
		s->lost == 0 && s->duplicated == 0 && s->reordered == 0 &&
		s->unexpected == 0 && s->late == 0 && s->corrupt == 0 &&
		s->mismatch == 0 && s->seq_mismatch == 0 &&
		s->misrouted == 0 && s->rc_copies == s->rc_expected &&
		s->rc_lost == 0 && s->rc_duplicated == 0 &&
		s->rc_unexpected == 0 && bad == 0 && s->tx_unsent == 0 &&
		!s->link_lost;
}

static const char *const reject_names[MR_REJ_MAX] = {
	"none", "not_member", "unknown_group", "unknown_user",
	"unknown_device", "not_allowed", "too_large", "rate_limited",
	"no_subscribers", "no_permission", "overloaded", "bad_subject",
};

static double
per_s(uint64_t n, uint64_t t0, uint64_t t1)
{
	return t1 > t0 ? (double)n * 1e9 / (double)(t1 - t0) : 0;
}

/* Human numbers: 1234567 -> "1.23M". */
static const char *
human(char *buf, size_t len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

static const char *
human_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns >= 10000000)
		snprintf(buf, len, "%.0f ms", ns / 1e6);
	else if (ns >= 1000000)
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	else if (ns >= 10000)
		snprintf(buf, len, "%.0f us", ns / 1e3);
	else
		snprintf(buf, len, "%.1f us", ns / 1e3);
	return buf;
}

void
gen_progress(FILE *f, const struct gen_stats *s, const struct gen_stats *p,
	     double t_s, double dt_s, uint64_t in_flight)
{
	char a[16], b[16], c[16], d[16], e[16];

	fprintf(f, "%6.1f s  sent %s (%s/s)  acked %s  copies %s (%s/s)  "
		"lost %" PRIu64 " dup %" PRIu64 " reord %" PRIu64
		"  p99 %s  in flight %" PRIu64 "\n", t_s,
		human(a, sizeof(a), (double)s->sent),
		human(b, sizeof(b), (double)(s->sent - p->sent) / dt_s),
		human(c, sizeof(c), (double)s->acked),
		human(d, sizeof(d), (double)s->copies),
		human(e, sizeof(e), (double)(s->copies - p->copies) / dt_s),
		s->lost, s->duplicated, s->reordered,
		s->lat.n ? human_ns((char[16]){0}, 16,
				    gen_hist_quantile(&s->lat, 0.99)) : "-",
		in_flight);
	fflush(f);
}

/* Problems worth a line of their own, name and count. */
#define PROBLEMS(X) \
	X(ack_missing, "ACKs missing") \
	X(ack_dup_flag, "ACKs flagged duplicate") \
	X(ack_extra, "extra ACKs") \
	X(ack_unexpected, "unexpected ACKs") \
	X(ack_mismatch, "ACKs with wrong fields") \
	X(unexpected, "unexpected copies") \
	X(late, "late copies") \
	X(corrupt, "corrupt payloads") \
	X(mismatch, "copies with wrong header fields") \
	X(seq_mismatch, "sequence numbers differing from the ACK") \
	X(misrouted, "packets to the wrong endpoint") \
	X(rc_lost, "receipt copies lost") \
	X(rc_duplicated, "receipt copies duplicated") \
	X(rc_unexpected, "unexpected receipt copies") \
	X(tx_unsent, "packets never sent (TX queue full or link down)") \
	X(tx_no_mbuf, "packets not built (generator out of mbufs)")

static void
report_human(FILE *f, const struct gen_model *m, const struct gen_stats *s)
{
	const struct gen_opts *o = m->o;
	uint64_t bad = 0;
	unsigned int i, nprob = 0;
	char a[16], b[16], c[16], d[16];

	fprintf(f, "workload  seed %" PRIu64 ": %u groups (", o->seed,
		m->ngroups);
	if (o->members)
		fprintf(f, "%u members each", o->members);
	else
		fprintf(f, "2..%u members, Zipf %.2f, largest %u", o->zipf_max,
			o->zipf_s, m->max_group);
	fprintf(f, "), %u users x %u devices, %u endpoints, %" PRIu64
		" memberships; payload %u..%u B, %.0f%% direct\n", m->nusers,
		m->ndevs, m->nendpoints, m->nmemberships, o->pay_min,
		o->pay_max, o->direct_share * 100);
	fprintf(f, "messages  sent %" PRIu64, s->sent);
	if (s->live)
		fprintf(f, " in %.1f s = %s msgs/s", (s->t_last_tx -
			s->t_first_tx) / 1e9, human(a, sizeof(a), per_s(
			s->sent, s->t_first_tx, s->t_last_tx)));
	fprintf(f, "; acked %" PRIu64 ", rejected %" PRIu64, s->acked,
		s->rejected);
	for (i = 1; i < MR_REJ_MAX; i++)
		if (s->rejects[i])
			fprintf(f, " (%s %" PRIu64 ")", reject_names[i],
				s->rejects[i]);
	fprintf(f, ", ACKs missing %" PRIu64 "\n", s->ack_missing);
	fprintf(f, "copies    expected %" PRIu64 ", delivered %" PRIu64,
		s->copies_expected, s->copies);
	if (s->live)
		fprintf(f, " = %s copies/s", human(a, sizeof(a), per_s(
			s->copies, s->t_first_tx, s->t_last_rx)));
	fprintf(f, "; lost %" PRIu64 ", duplicated %" PRIu64 ", reordered %"
		PRIu64 "\n", s->lost, s->duplicated, s->reordered);
	fprintf(f, "receipts  sent %" PRIu64 ", copies expected %" PRIu64
		", delivered %" PRIu64 "\n", s->rc_sent, s->rc_expected,
		s->rc_copies);
	if (s->live && s->lat.n)
		fprintf(f, "latency   p50 %s  p99 %s  p99.9 %s  max %s  "
			"(payload timestamp to copy received, %" PRIu64
			" copies)\n",
			human_ns(a, sizeof(a), gen_hist_quantile(&s->lat, 0.5)),
			human_ns(b, sizeof(b), gen_hist_quantile(&s->lat, 0.99)),
			human_ns(c, sizeof(c), gen_hist_quantile(&s->lat, 0.999)),
			human_ns(d, sizeof(d), s->lat.max), s->lat.n);
	else if (!s->live)
		fprintf(f, "latency   n/a (a recording)\n");
#define X(name, text) \
	if (s->name) { \
		fprintf(f, "problem   %s: %" PRIu64 "\n", text, s->name); \
		nprob++; \
	}
	PROBLEMS(X)
#undef X
	for (i = 0; i < MR_DROP_MAX; i++) {
		bad += s->rx_bad[i];
		if (s->rx_bad[i]) {
			fprintf(f, "problem   received packets dropped as %s: %"
				PRIu64 "\n", mr_drop_name(i), s->rx_bad[i]);
			nprob++;
		}
	}
	if (s->live)
		fprintf(f, "packets   tx %" PRIu64 " (retried %" PRIu64
			", window stalls %" PRIu64 "), rx %" PRIu64
			" (other %" PRIu64 ")\n", s->tx_pkts, s->tx_retries,
			s->window_stalls, s->rx_pkts, s->rx_other);
	if (s->link_lost)
		fprintf(f, "problem   the port's link went down during the "
			"run (the peer stopped?)\n");
	if (s->port_imissed || s->port_rx_nombuf || s->port_ierrors ||
	    s->port_oerrors)
		fprintf(f, "problem   the generator's own port dropped: rx "
			"missed %" PRIu64 ", rx no mbuf %" PRIu64 ", rx errors %"
			PRIu64 ", tx errors %" PRIu64 " (losses above may be "
			"the generator's, not the relay's)\n", s->port_imissed,
			s->port_rx_nombuf, s->port_ierrors, s->port_oerrors);
	fprintf(f, "verdict   %s\n", gen_stats_clean(s) ?
		"PASS: every message acknowledged, every copy delivered once, "
		"in order, intact" : "FAIL");
}

static void
report_json(FILE *f, const struct gen_model *m, const struct gen_stats *s)
{
	const struct gen_opts *o = m->o;
	unsigned int i;
	const char *sep;

	fprintf(f, "{\"verdict\":\"%s\",", gen_stats_clean(s) ? "pass" :
		"fail");
	fprintf(f, "\"workload\":{\"seed\":%" PRIu64 ",\"groups\":%u,"
		"\"users\":%u,\"devices_per_user\":%u,\"endpoints\":%u,"
		"\"memberships\":%" PRIu64 ",\"largest_group\":%u,"
		"\"msg_id_base\":%" PRIu64 "},", o->seed, m->ngroups,
		m->nusers, m->ndevs, m->nendpoints, m->nmemberships,
		m->max_group, m->msgid_base);
	fprintf(f, "\"messages\":{\"sent\":%" PRIu64 ",\"acked\":%" PRIu64
		",\"rejected\":%" PRIu64 ",\"rejects\":{", s->sent, s->acked,
		s->rejected);
	for (i = 1, sep = ""; i < MR_REJ_MAX; i++)
		if (s->rejects[i]) {
			fprintf(f, "%s\"%s\":%" PRIu64, sep, reject_names[i],
				s->rejects[i]);
			sep = ",";
		}
	fprintf(f, "},\"ack_missing\":%" PRIu64 ",\"ack_duplicate_flag\":%"
		PRIu64 ",\"ack_extra\":%" PRIu64 ",\"ack_unexpected\":%" PRIu64
		",\"ack_mismatch\":%" PRIu64 "},", s->ack_missing,
		s->ack_dup_flag, s->ack_extra, s->ack_unexpected,
		s->ack_mismatch);
	fprintf(f, "\"copies\":{\"expected\":%" PRIu64 ",\"delivered\":%"
		PRIu64 ",\"lost\":%" PRIu64 ",\"duplicated\":%" PRIu64
		",\"reordered\":%" PRIu64 ",\"unexpected\":%" PRIu64
		",\"late\":%" PRIu64 ",\"corrupt\":%" PRIu64 ",\"mismatch\":%"
		PRIu64 ",\"seq_mismatch\":%" PRIu64 ",\"misrouted\":%" PRIu64
		"},", s->copies_expected, s->copies, s->lost, s->duplicated,
		s->reordered, s->unexpected, s->late, s->corrupt, s->mismatch,
		s->seq_mismatch, s->misrouted);
	fprintf(f, "\"receipts\":{\"sent\":%" PRIu64 ",\"expected\":%" PRIu64
		",\"delivered\":%" PRIu64 ",\"lost\":%" PRIu64
		",\"duplicated\":%" PRIu64 ",\"unexpected\":%" PRIu64 "},",
		s->rc_sent, s->rc_expected, s->rc_copies, s->rc_lost,
		s->rc_duplicated, s->rc_unexpected);
	if (s->live)
		fprintf(f, "\"rates\":{\"send_s\":%.3f,\"ingress_msgs_per_s\":"
			"%.1f,\"egress_copies_per_s\":%.1f},"
			"\"latency_ns\":{\"count\":%" PRIu64 ",\"p50\":%" PRIu64
			",\"p90\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"p99_9\":%"
			PRIu64 ",\"max\":%" PRIu64 ",\"min\":%" PRIu64 "},",
			(s->t_last_tx - s->t_first_tx) / 1e9,
			per_s(s->sent, s->t_first_tx, s->t_last_tx),
			per_s(s->copies, s->t_first_tx, s->t_last_rx),
			s->lat.n, gen_hist_quantile(&s->lat, 0.5),
			gen_hist_quantile(&s->lat, 0.9),
			gen_hist_quantile(&s->lat, 0.99),
			gen_hist_quantile(&s->lat, 0.999), s->lat.max,
			s->lat.min);
	fprintf(f, "\"packets\":{\"tx\":%" PRIu64 ",\"tx_retries\":%" PRIu64
		",\"window_stalls\":%" PRIu64 ",\"rx\":%" PRIu64
		",\"rx_other\":%" PRIu64 ",\"rx_frames_other\":%" PRIu64
		",\"arp_replies\":%" PRIu64 ",\"tx_unsent\":%" PRIu64
		",\"tx_no_mbuf\":%" PRIu64 ",\"link_lost\":%s"
		",\"port_imissed\":%" PRIu64
		",\"port_rx_nombuf\":%" PRIu64 ",\"port_ierrors\":%" PRIu64
		",\"port_oerrors\":%" PRIu64 ",\"rx_bad\":{", s->tx_pkts,
		s->tx_retries, s->window_stalls, s->rx_pkts, s->rx_other,
		s->rx_frames_other, s->arp_replies, s->tx_unsent,
		s->tx_no_mbuf, s->link_lost ? "true" : "false", s->port_imissed,
		s->port_rx_nombuf, s->port_ierrors, s->port_oerrors);
	for (i = 1, sep = ""; i < MR_DROP_MAX; i++)
		if (s->rx_bad[i]) {
			fprintf(f, "%s\"%s\":%" PRIu64, sep, mr_drop_name(i),
				s->rx_bad[i]);
			sep = ",";
		}
	fprintf(f, "}}}\n");
}

void
gen_report(FILE *f, const struct gen_model *m, const struct gen_stats *s,
	   bool json)
{
	if (json)
		report_json(f, m, s);
	else
		report_human(f, m, s);
	fflush(f);
}
