/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelayctl internals: the command table type shared by main.c and the one
 * file per object (endpoint.c, device.c, group.c, member.c, topic.c,
 * stats.c, import_export.c), and the helpers in util.c that every command
 * uses to check its arguments, reach the daemon and print.
 *
 * Error rule: a command returns its exit status (enum exit_code) and has
 * already printed why on stderr.
 */
#ifndef MRELAYCTL_H
#define MRELAYCTL_H

#include <stdint.h>

#include "api.h"
#include "ctlclient.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,	/* mrelayd refused the request */
	EXIT_USAGE = 2,		/* bad command line or input file */
	EXIT_UNREACHABLE = 3,	/* cannot connect or talk to mrelayd */
};

struct ctx;

/*
 * One node of the command tree. A node has either sub (a table ended by a
 * zeroed entry: an object and its verbs) or run (a verb). run gets the
 * arguments after the verb's own words.
 */
struct cmd {
	const char *name;
	const char *args;	/* synopsis after the words, or NULL */
	const char *help;	/* one line */
	const char *details;	/* more text for --help, or NULL */
	int (*run)(struct ctx *ctx, int argc, char **argv);
	const struct cmd *sub;
	const struct cmd *link;	/* this entry is that node (defined elsewhere) */
};

struct ctx {
	const char *sock;	/* control socket path */
	int json;		/* --json */
	struct mr_client *client;	/* connected on first use */
	const struct cmd *cmd;	/* the verb running */
	char words[128];	/* "mrelayctl group member add" */
	char what[256];		/* the command words and arguments, for errors */
};

/* Object tables, one per file. */
extern const struct cmd endpoint_cmds[];
extern const struct cmd device_cmds[];
extern const struct cmd user_cmds[];
extern const struct cmd group_cmds[];
extern const struct cmd member_cmds[];
extern const struct cmd topic_cmds[];
extern const struct cmd topic_sub_cmds[];
extern const struct cmd stats_cmd;
extern const struct cmd import_cmd;
extern const struct cmd export_cmd;

/* ---- util.c ---- */

/* Print "mrelayctl: <msg>" and the verb's usage on stderr; EXIT_USAGE. */
int usage_error(struct ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print the help of a node (verb or object) on stdout. */
void print_help(const struct cmd *c, const char *words);

/* Connect if not yet connected. EXIT_OK or EXIT_UNREACHABLE (printed). */
int ctx_connect(struct ctx *ctx);

/*
 * Turn a library result into an exit status, printing why on failure:
 * a broken connection is EXIT_UNREACHABLE, a refusal EXIT_REFUSED.
 */
int ctx_result(struct ctx *ctx, int rc);

/* Strict parsers: 0 or -EINVAL (callers report with usage_error). */
int parse_u64(const char *s, uint64_t *v);
int parse_u32(const char *s, uint32_t max, uint32_t *v);
int parse_name(const char *s, char out[MR_NAME_MAX]);
int parse_ip(const char *s, uint8_t addr[16], uint8_t *version);
int parse_mac(const char *s, uint8_t mac[6]);
int parse_pattern(const char *s, char out[MR_PATTERN_MAX]);

/* Index of s in the NULL-terminated list words, or -1. */
int keyword(const char *s, const char *const *words);

const char *policy_name(unsigned int policy);	/* CLI spelling */
const char *role_name(unsigned int role);

/*
 * JSON output. One record as the import format writes it (records.h), with
 * extra output-only members appended from the NULL-terminated extra list
 * of "key", "raw JSON value" pairs. Prints on stdout without a newline.
 */
int json_record(int kind, const void *rec, const char *const *extra);
/* The same, leaving the object open for more members and the closing '}'. */
int json_record_open(int kind, const void *rec, const char *const *extra);
/* A JSON string (escaped by jansson) on stdout. */
void json_string_out(const char *s);

#endif /* MRELAYCTL_H */
