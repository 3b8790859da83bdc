/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelayctl helpers: strict argument parsers, connecting and reporting,
 * JSON output. Every argument is checked here before any request is sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mrelayctl.h"
#include "records.h"

int
usage_error(struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fputs("mrelayctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (ctx->cmd != NULL)
		fprintf(stderr, "usage: %s%s%s\n", ctx->words,
			ctx->cmd->args != NULL ? " " : "",
			ctx->cmd->args != NULL ? ctx->cmd->args : "");
	fprintf(stderr, "Try '%s --help' for more information.\n",
		ctx->words);
	return EXIT_USAGE;
}

static void
print_tree(const struct cmd *t, const char *prefix)
{
	char words[160];

	const struct cmd *c;

	for (; t->name != NULL; t++) {
		c = t->link != NULL ? t->link : t;
		snprintf(words, sizeof(words), "%s%s%s", prefix,
			 prefix[0] != '\0' ? " " : "", t->name);
		if (c->sub != NULL) {
			print_tree(c->sub, words);
			continue;
		}
		printf("  %s%s%s\n", words, c->args != NULL ? " " : "",
		       c->args != NULL ? c->args : "");
	}
}

void
print_help(const struct cmd *c, const char *words)
{
	const char *rest = strchr(words, ' ');	/* words after "mrelayctl" */

	if (c->sub == NULL) {
		printf("usage: %s%s%s\n\n%s\n", words,
		       c->args != NULL ? " " : "",
		       c->args != NULL ? c->args : "", c->help);
		if (c->details != NULL)
			printf("\n%s", c->details);
		return;
	}
	printf("usage: %s %sCOMMAND [ARGS]\n\n%s\n\ncommands:\n", words,
	       rest == NULL ? "[OPTIONS] OBJECT " : "", c->help);
	print_tree(c->sub, rest != NULL ? rest + 1 : "");
	printf("\nRun '%s COMMAND --help' for the details of one.\n", words);
}

int
ctx_connect(struct ctx *ctx)
{
	if (ctx->client != NULL)
		return EXIT_OK;
	ctx->client = mr_client_connect(ctx->sock);
	if (ctx->client != NULL)
		return EXIT_OK;
	if (errno == EPROTONOSUPPORT)
		fprintf(stderr,
			"mrelayctl: mrelayd at %s speaks another control API version (this mrelayctl speaks %u)\n",
			ctx->sock, MR_API_VERSION);
	else
		fprintf(stderr, "mrelayctl: cannot reach mrelayd at %s: %s\n",
			ctx->sock, strerror(errno));
	return EXIT_UNREACHABLE;
}

int
ctx_result(struct ctx *ctx, int rc)
{
	if (rc == 0)
		return EXIT_OK;
	if (ctx->client != NULL && mr_client_error(ctx->client) != 0) {
		fprintf(stderr,
			"mrelayctl: %s: lost mrelayd at %s: %s\n", ctx->what,
			ctx->sock, strerror(mr_client_error(ctx->client)));
		return EXIT_UNREACHABLE;
	}
	/* ENOSPC is a configured limit, never the disk: say so */
	fprintf(stderr, "mrelayctl: %s: refused by mrelayd: %s%s\n", ctx->what,
		strerror(-rc), rc == -ENOSPC ? " (a configured limit was "
		"reached; mrelayd's log names it)" : "");
	return EXIT_REFUSED;
}

/* ---- parsers ---- */

int
parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	unsigned int d;

	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;	/* signs, spaces, junk */
		d = *s - '0';
		if (x > (UINT64_MAX - d) / 10)
			return -EINVAL;	/* overflow */
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int
parse_u32(const char *s, uint32_t max, uint32_t *v)
{
	uint64_t x;

	if (parse_u64(s, &x) < 0 || x > max)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

int
parse_name(const char *s, char out[MR_NAME_MAX])
{
	size_t n = strlen(s);

	if (n == 0 || n >= MR_NAME_MAX || !mr_name_valid(s, n + 1))
		return -EINVAL;
	memset(out, 0, MR_NAME_MAX);
	memcpy(out, s, n);
	return 0;
}

int
parse_ip(const char *s, uint8_t addr[16], uint8_t *version)
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*version = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*version = 6;
		return 0;
	}
	return -EINVAL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly xx:xx:xx:xx:xx:xx, unicast and not zero. */
int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int i;
	int h, l;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++, s += 3) {
		h = hexval(s[0]);
		l = hexval(s[1]);
		if (h < 0 || l < 0 || (i < 5 && s[2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(h << 4 | l);
	}
	if (mac[0] & 1)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		if (mac[i] != 0)
			return 0;
	return -EINVAL;
}

int
parse_pattern(const char *s, char out[MR_PATTERN_MAX])
{
	struct mr_api_sub sub;
	size_t n = strlen(s);

	if (n == 0 || n >= MR_PATTERN_MAX)
		return -EINVAL;
	memset(&sub, 0, sizeof(sub));
	memcpy(sub.pattern, s, n);
	if (mr_record_check(MR_REC_SUB, &sub, NULL, 0) < 0)
		return -EINVAL;	/* the daemon's own rule: UTF-8, no controls */
	memcpy(out, sub.pattern, MR_PATTERN_MAX);
	return 0;
}

int
keyword(const char *s, const char *const *words)
{
	int i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(s, words[i]) == 0)
			return i;
	return -1;
}

const char *
policy_name(unsigned int policy)
{
	switch (policy) {
	case MR_POLICY_EVERYONE:
		return "everyone";
	case MR_POLICY_ADMINS:
		return "admins-post";
	}
	return "?";
}

const char *
role_name(unsigned int role)
{
	switch (role) {
	case MR_ROLE_MEMBER:
		return "member";
	case MR_ROLE_ADMIN:
		return "admin";
	case MR_ROLE_READONLY:
		return "read-only";
	}
	return "?";
}

/* ---- JSON ----
 * Records are written by mr_record_to_json() so that show --json and
 * export agree key for key; numbers are printed as exact decimals because
 * jansson's integers are signed 64-bit and ids go up to 2^64-1. jansson
 * escapes the free-form strings (stat names).
 */

int
json_record_open(int kind, const void *rec, const char *const *extra)
{
	char line[MR_RECORD_LINE_MAX];
	int n;

	n = mr_record_to_json(kind, rec, line, sizeof(line));
	if (n < 2) {
		fprintf(stderr, "mrelayctl: mrelayd sent a malformed %s record\n",
			mr_record_kind_name(kind));
		return -EBADMSG;
	}
	line[n - 2] = '\0';	/* drop "}\n" */
	fputs(line, stdout);
	for (; extra != NULL && extra[0] != NULL; extra += 2)
		printf(",\"%s\":%s", extra[0], extra[1]);
	return 0;
}

int
json_record(int kind, const void *rec, const char *const *extra)
{
	int rc = json_record_open(kind, rec, extra);

	if (rc == 0)
		putchar('}');
	return rc;
}

void
json_string_out(const char *s)
{
	json_t *j = json_string(s);
	char *txt = j != NULL ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	fputs(txt != NULL ? txt : "null", stdout);
	free(txt);
	json_decref(j);
}
