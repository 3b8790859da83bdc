/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelayd configuration file parser. See config.h and docs/configuration.md.
 *
 * The file is loaded whole with libyaml's document API (a node tree with the
 * line of every node), then walked with one table per YAML mapping: each
 * table row names a key, the function that parses its value and where the
 * value goes. Every key a table does not name is an error, every key may
 * appear once, and every value is checked against its range before it is
 * stored. Parsing fills a private copy that is handed back only when the
 * whole file is valid.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <yaml.h>

#include "api.h"
#include "config.h"

_Static_assert(MR_CFG_SOCK_MAX == sizeof(((struct sockaddr_un *)0)->sun_path),
	       "MR_CFG_SOCK_MAX must be sizeof(sun_path)");
_Static_assert(sizeof(MR_API_DEFAULT_SOCK) <= MR_CFG_SOCK_MAX,
	       "default control socket path too long");

#define SHOW_MAX	48	/* value bytes quoted in a message */
#define PATH_STR_MAX	64	/* "ports[15].name" and the like */
#define FIELDS_MAX	16	/* rows in one table */

/* What one parse is about: where messages go and the tree being walked. */
struct pctx {
	const char *name;	/* FILE in messages */
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

struct field;

/*
 * Parse val, the value of key, into base (the struct the table describes).
 * path is the dotted key path for messages ("workers.burst").
 * Returns 0 or -errno with the message written.
 */
typedef int (field_parse_t)(struct pctx *px, const struct field *f,
			    yaml_node_t *key, yaml_node_t *val, void *base,
			    const char *path);

/* One key of a YAML mapping. Tables end with a row whose key is NULL. */
struct field {
	const char *key;
	field_parse_t *parse;
	size_t off;		/* value (or array) offset in base */
	size_t size;		/* value (or string buffer) size */
	uint64_t min;		/* numbers and list elements: range */
	uint64_t max;
	size_t cnt_off;		/* lists: offset of the unsigned int count */
	unsigned int nmin;	/* lists: length range */
	unsigned int nmax;
	const void *arg;	/* sub-table (mapping) or name table (enum) */
	unsigned int flags;
};

#define F_REQ		0x01	/* must be present */
#define F_HIDDEN	0x02	/* not listed among the expected keys */
#define F_OCTAL		0x04	/* number written in octal (a file mode) */
#define F_ABS		0x08	/* string is an absolute path */
#define F_SUN		0x10	/* string is a Unix socket path */
#define F_ETHNAME	0x20	/* string is an ethdev name */
#define F_GROUP		0x40	/* string is a group name */
#define F_IPV6		0x80	/* address list is IPv6 */

struct name_val {
	const char *name;
	unsigned int val;
};

static inline unsigned long
line_of(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

/*
 * Write "NAME:LINE: message" (or "NAME: message" when line is 0) into the
 * caller's buffer. Returns rc, so that callers can "return fail(...)".
 */
static int __attribute__((format(printf, 4, 5)))
fail(struct pctx *px, int rc, unsigned long line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	if (px->err == NULL || px->errlen == 0)
		return rc;
	if (line > 0)
		n = snprintf(px->err, px->errlen, "%s:%lu: ", px->name, line);
	else
		n = snprintf(px->err, px->errlen, "%s: ", px->name);
	if (n < 0 || (size_t)n >= px->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(px->err + n, px->errlen - n, "%s", msg);
	return rc;
}

static inline const char *
sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static inline size_t
slen(const yaml_node_t *n)
{
	return n->data.scalar.length;
}

static inline bool
is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A plain scalar that YAML reads as null: "", "~", "null". */
static bool
is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	unsigned int i;

	if (!is_plain(n))
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strlen(nulls[i]) == slen(n) &&
		    memcmp(nulls[i], sval(n), slen(n)) == 0)
			return true;
	return false;
}

static bool
key_is(const yaml_node_t *k, const char *s)
{
	return slen(k) == strlen(s) && memcmp(sval(k), s, slen(k)) == 0;
}

/*
 * Copy scalar n into buf for a message: at most SHOW_MAX bytes, control
 * characters replaced by '?', "..." appended if cut (never inside a UTF-8
 * sequence).
 */
static const char *
show(const yaml_node_t *n, char buf[SHOW_MAX + 4])
{
	size_t len = slen(n), i;
	const unsigned char *s = n->data.scalar.value;

	if (len > SHOW_MAX) {
		len = SHOW_MAX;
		while (len > 0 && (s[len] & 0xc0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++)
		buf[i] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
	if (len < slen(n))
		memcpy(buf + len, "...", 3), len += 3;
	buf[len] = '\0';
	return buf;
}

/* "a mapping", "a list", "an empty value" or the scalar in quotes. */
static const char *
describe(const yaml_node_t *n, char buf[SHOW_MAX + 24])
{
	char s[SHOW_MAX + 4];

	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (is_null(n))
		return "an empty value";
	snprintf(buf, SHOW_MAX + 24, "%s'%s'",
		 is_plain(n) ? "" : "the quoted string ", show(n, s));
	return buf;
}

static int
wrong_type(struct pctx *px, const yaml_node_t *v, const char *path,
	   const char *expected)
{
	char d[SHOW_MAX + 24];

	return fail(px, -EINVAL, line_of(v), "%s: expected %s, got %s", path,
		    expected, describe(v, d));
}

static void
store_uint(void *dst, size_t size, uint64_t v)
{
	uint8_t u8 = v;
	uint16_t u16 = v;
	uint32_t u32 = v;

	switch (size) {
	case 1:
		memcpy(dst, &u8, 1);
		break;
	case 2:
		memcpy(dst, &u16, 2);
		break;
	case 4:
		memcpy(dst, &u32, 4);
		break;
	default:
		memcpy(dst, &v, 8);
		break;
	}
}

/*
 * Read scalar v as an unsigned integer within f->min..f->max: decimal without
 * leading zeros, or octal (optional "0o" prefix) when f has F_OCTAL. YAML
 * typing is respected: a quoted "32" is a string, not a number.
 */
static int
get_uint(struct pctx *px, const struct field *f, const yaml_node_t *v,
	 const char *path, uint64_t *out)
{
	bool octal = (f->flags & F_OCTAL) != 0, neg = false, big = false;
	const char *what = octal ? "an octal mode such as 0660" : "an integer";
	unsigned int base = octal ? 8 : 10;
	char shown[SHOW_MAX + 4];
	const char *s = sval(v);
	size_t len = slen(v), i = 0;
	uint64_t x = 0;

	if (!is_plain(v) || is_null(v))
		return wrong_type(px, v, path, what);
	if (octal && len > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		i = 2;
	else if (!octal && len > 1 && s[0] == '-')
		neg = true, i = 1;
	else if (!octal && len > 1 && s[0] == '0')
		return wrong_type(px, v, path,
				  "a decimal integer (no leading zero)");
	if (i == len)
		return wrong_type(px, v, path, what);
	for (; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (s[i] < '0' || d >= base)
			return wrong_type(px, v, path, what);
		if (x > (UINT64_MAX - d) / base)
			big = true;
		else
			x = x * base + d;
	}
	if (neg || big || x < f->min || x > f->max) {
		if (octal)
			return fail(px, -ERANGE, line_of(v),
				    "%s: %s is out of range %#llo..%#llo", path,
				    show(v, shown), (unsigned long long)f->min,
				    (unsigned long long)f->max);
		return fail(px, -ERANGE, line_of(v),
			    "%s: %s is out of range %llu..%llu", path,
			    show(v, shown), (unsigned long long)f->min,
			    (unsigned long long)f->max);
	}
	*out = x;
	return 0;
}

/* Unsigned integer in f->min..f->max, stored in f->size bytes. */
static int
p_uint(struct pctx *px, const struct field *f, yaml_node_t *key,
       yaml_node_t *val, void *base, const char *path)
{
	uint64_t x;
	int rc;

	rc = get_uint(px, f, val, path, &x);
	if (rc < 0)
		return rc;
	store_uint((char *)base + f->off, f->size, x);
	return 0;
}

/* YAML 1.1 boolean, stored as uint8_t 0 or 1. */
static int
p_bool(struct pctx *px, const struct field *f, yaml_node_t *key,
       yaml_node_t *val, void *base, const char *path)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	uint8_t *dst = (uint8_t *)base + f->off;
	unsigned int i;

	if (!is_plain(val))
		return wrong_type(px, val, path, "true or false");
	for (i = 0; i < 3; i++) {
		if (slen(val) == strlen(yes[i]) &&
		    strcasecmp(sval(val), yes[i]) == 0) {
			*dst = 1;
			return 0;
		}
		if (slen(val) == strlen(no[i]) &&
		    strcasecmp(sval(val), no[i]) == 0) {
			*dst = 0;
			return 0;
		}
	}
	return wrong_type(px, val, path, "true or false");
}

/* One of the names of f->arg (struct name_val[]), stored as its value. */
static int
p_enum(struct pctx *px, const struct field *f, yaml_node_t *key,
       yaml_node_t *val, void *base, const char *path)
{
	const struct name_val *nv;
	char list[256] = "one of ";
	size_t n = strlen(list);

	if (val->type == YAML_SCALAR_NODE) {
		for (nv = f->arg; nv->name != NULL; nv++) {
			if (key_is(val, nv->name)) {
				store_uint((char *)base + f->off, f->size,
					   nv->val);
				return 0;
			}
		}
	}
	for (nv = f->arg; nv->name != NULL && n < sizeof(list); nv++)
		n += snprintf(list + n, sizeof(list) - n, "%s%s",
			      nv == f->arg ? "" : "|", nv->name);
	return wrong_type(px, val, path, list);
}

/*
 * A string into a char[f->size]: never empty, no NUL or control characters,
 * shorter than the buffer, plus the checks its flags ask for.
 */
static int
p_str(struct pctx *px, const struct field *f, yaml_node_t *key,
      yaml_node_t *val, void *base, const char *path)
{
	char *dst = (char *)base + f->off, shown[SHOW_MAX + 4];
	const char *s;
	size_t len, i;

	if (val->type != YAML_SCALAR_NODE || is_null(val))
		return wrong_type(px, val, path,
				  f->flags & F_ABS ? "a path" : "a string");
	s = sval(val);
	len = slen(val);
	show(val, shown);
	if (len == 0)
		return fail(px, -EINVAL, line_of(val), "%s: is empty", path);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(px, -EINVAL, line_of(val),
				    "%s: '%s' contains a control character",
				    path, shown);
	if (len >= f->size) {
		if (f->flags & F_SUN)
			return fail(px, -ENAMETOOLONG, line_of(val),
				    "%s: '%s' is %zu bytes, over the limit of %zu (sizeof(sun_path) is %zu, incl. the NUL)",
				    path, shown, len, f->size - 1, f->size);
		return fail(px, -ENAMETOOLONG, line_of(val),
			    "%s: '%s' is %zu bytes, over the limit of %zu",
			    path, shown, len, f->size - 1);
	}
	if ((f->flags & F_ABS) && s[0] != '/')
		return fail(px, -EINVAL, line_of(val),
			    "%s: '%s' is not an absolute path", path, shown);
	if (f->flags & F_ETHNAME) {
		if (strchr(s, ' ') != NULL)
			return fail(px, -EINVAL, line_of(val),
				    "%s: '%s' contains a space", path, shown);
		if (strchr(s, ',') != NULL)
			return fail(px, -EINVAL, line_of(val),
				    "%s: '%s' has devargs; give them to EAL (--vdev, -a) and name the port only",
				    path, shown);
	}
	if (f->flags & F_GROUP) {
		for (i = 0; i < len; i++)
			if (!(s[i] >= 'a' && s[i] <= 'z') &&
			    !(s[i] >= 'A' && s[i] <= 'Z') &&
			    !(s[i] >= '0' && s[i] <= '9') && s[i] != '_' &&
			    s[i] != '.' && !(s[i] == '-' && i > 0))
				return fail(px, -EINVAL, line_of(val),
					    "%s: '%s' is not a group name ([A-Za-z0-9._-], not starting with '-')",
					    path, shown);
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
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

/* "aa:bb:cc:dd:ee:ff", unicast and not all zero, into a port's mac. */
static int
p_mac(struct pctx *px, const struct field *f, yaml_node_t *key,
      yaml_node_t *val, void *base, const char *path)
{
	struct mr_config_port *p = base;
	char shown[SHOW_MAX + 4];
	uint8_t mac[6];
	const char *s;
	unsigned int i;
	int hi, lo;

	if (val->type != YAML_SCALAR_NODE || is_null(val))
		return wrong_type(px, val, path,
				  "a MAC address aa:bb:cc:dd:ee:ff");
	s = sval(val);
	show(val, shown);
	if (slen(val) != 17)
		goto bad;
	for (i = 0; i < 6; i++) {
		hi = hexval(s[3 * i]);
		lo = hexval(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			goto bad;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1)
		return fail(px, -EINVAL, line_of(val),
			    "%s: %s is a multicast address, a port needs a unicast one",
			    path, shown);
	if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
		return fail(px, -EINVAL, line_of(val),
			    "%s: %s is not a usable address", path, shown);
	memcpy(p->mac, mac, sizeof(mac));
	p->has_mac = 1;
	return 0;
bad:
	return fail(px, -EINVAL, line_of(val),
		    "%s: '%s' is not a MAC address (expected aa:bb:cc:dd:ee:ff)",
		    path, shown);
}

/* Keys that exist in DPDK terms but are derived here: explain, refuse. */
static int
p_implicit(struct pctx *px, const struct field *f, yaml_node_t *key,
	   yaml_node_t *val, void *base, const char *path)
{
	return fail(px, -EINVAL, line_of(key),
		    "%s: not configurable: a port has one RX and one TX queue per worker lcore",
		    path);
}

/*
 * Check seq as a list of f->nmin..f->nmax entries. Null reads as an empty
 * list. Returns the number of entries or -errno.
 */
static int
list_len(struct pctx *px, const struct field *f, yaml_node_t *key,
	 yaml_node_t *seq, const char *path)
{
	size_t n;

	if (is_null(seq))
		n = 0;
	else if (seq->type != YAML_SEQUENCE_NODE)
		return wrong_type(px, seq, path, "a list");
	else
		n = seq->data.sequence.items.top -
		    seq->data.sequence.items.start;
	if (n > f->nmax) {
		yaml_node_t *extra = yaml_document_get_node(px->doc,
				seq->data.sequence.items.start[f->nmax]);

		return fail(px, -ERANGE, line_of(extra),
			    "%s: more than %u entries", path, f->nmax);
	}
	if (n < f->nmin)
		return fail(px, -ERANGE, line_of(key),
			    "%s: needs %u..%u entries, got %zu", path, f->nmin,
			    f->nmax, n);
	return (int)n;
}

static inline yaml_node_t *
list_item(struct pctx *px, yaml_node_t *seq, int i)
{
	return yaml_document_get_node(px->doc,
				      seq->data.sequence.items.start[i]);
}

/* Distinct integers in f->min..f->max into a uint16_t array. */
static int
p_u16_list(struct pctx *px, const struct field *f, yaml_node_t *key,
	   yaml_node_t *val, void *base, const char *path)
{
	uint16_t *arr = (uint16_t *)((char *)base + f->off);
	char ipath[PATH_STR_MAX];
	int n, i, j, rc;
	yaml_node_t *e;
	uint64_t x;

	n = list_len(px, f, key, val, path);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		e = list_item(px, val, i);
		snprintf(ipath, sizeof(ipath), "%s[%d]", path, i);
		rc = get_uint(px, f, e, ipath, &x);
		if (rc < 0)
			return rc;
		for (j = 0; j < i; j++)
			if (arr[j] == x)
				return fail(px, -EINVAL, line_of(e),
					    "%s: %llu is listed twice (also %s[%d])",
					    ipath, (unsigned long long)x, path,
					    j);
		arr[i] = (uint16_t)x;
	}
	*(unsigned int *)((char *)base + f->cnt_off) = n;
	return 0;
}

/* Distinct unicast IPv4 or IPv6 addresses into uint8_t[16] entries. */
static int
p_addr_list(struct pctx *px, const struct field *f, yaml_node_t *key,
	    yaml_node_t *val, void *base, const char *path)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					   0xff, 0xff};
	static const uint8_t zero[16];
	uint8_t (*arr)[16] = (uint8_t (*)[16])((char *)base + f->off);
	bool v6 = (f->flags & F_IPV6) != 0;
	char ipath[PATH_STR_MAX], shown[SHOW_MAX + 4];
	const char *fam = v6 ? "IPv6" : "IPv4";
	char text[INET6_ADDRSTRLEN];
	uint8_t a[16];
	yaml_node_t *e;
	int n, i, j;

	n = list_len(px, f, key, val, path);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		e = list_item(px, val, i);
		snprintf(ipath, sizeof(ipath), "%s[%d]", path, i);
		if (e->type != YAML_SCALAR_NODE || is_null(e))
			return wrong_type(px, e, ipath,
					  v6 ? "an IPv6 address" :
					       "an IPv4 address");
		memset(a, 0, sizeof(a));
		show(e, shown);
		if (slen(e) >= sizeof(text))
			goto bad;
		memcpy(text, sval(e), slen(e));
		text[slen(e)] = '\0';
		if (inet_pton(v6 ? AF_INET6 : AF_INET, text, a) != 1)
			goto bad;
		if (memcmp(a, zero, 16) == 0 || (v6 && a[0] == 0xff) ||
		    (!v6 && (a[0] & 0xf0) == 0xe0) ||
		    (!v6 && memcmp(a, "\xff\xff\xff\xff", 4) == 0))
			return fail(px, -EINVAL, line_of(e),
				    "%s: %s is not a unicast address", ipath,
				    shown);
		if ((!v6 && a[0] == 127) ||
		    (v6 && memcmp(a, zero, 15) == 0 && a[15] == 1))
			return fail(px, -EINVAL, line_of(e),
				    "%s: %s is a loopback address", ipath,
				    shown);
		if (v6 && memcmp(a, mapped, sizeof(mapped)) == 0)
			return fail(px, -EINVAL, line_of(e),
				    "%s: %s is IPv4-mapped, list it under relay.ipv4",
				    ipath, shown);
		for (j = 0; j < i; j++)
			if (memcmp(arr[j], a, 16) == 0)
				return fail(px, -EINVAL, line_of(e),
					    "%s: %s is listed twice (also %s[%d])",
					    ipath, shown, path, j);
		memcpy(arr[i], a, 16);
	}
	*(unsigned int *)((char *)base + f->cnt_off) = n;
	return 0;
bad:
	return fail(px, -EINVAL, line_of(e), "%s: '%s' is not an %s address",
		    ipath, shown, fam);
}

/*
 * Walk mapping map against table tab, filling base. line is where the
 * mapping is named (its key), for "missing required key" messages.
 */
static int
parse_map(struct pctx *px, yaml_node_t *map, const struct field *tab,
	  void *base, const char *path, unsigned long line)
{
	unsigned long seen[FIELDS_MAX] = {0};
	char cpath[PATH_STR_MAX], shown[SHOW_MAX + 4], list[256];
	const struct field *f;
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	size_t n;
	int rc;

	if (is_null(map))
		goto check_required;
	if (map->type != YAML_MAPPING_NODE)
		return wrong_type(px, map, path[0] ? path : "top level",
				  "a mapping");
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(px->doc, p->key);
		v = yaml_document_get_node(px->doc, p->value);
		if (k->type != YAML_SCALAR_NODE)
			return fail(px, -EINVAL, line_of(k),
				    "%s: a key must be a name, got %s",
				    path[0] ? path : "top level",
				    k->type == YAML_MAPPING_NODE ? "a mapping" :
								   "a list");
		for (f = tab; f->key != NULL; f++)
			if (key_is(k, f->key))
				break;
		if (f->key == NULL) {
			n = snprintf(list, sizeof(list), "expected one of: ");
			for (f = tab; f->key != NULL && n < sizeof(list); f++)
				if (!(f->flags & F_HIDDEN))
					n += snprintf(list + n,
						      sizeof(list) - n, "%s%s",
						      f == tab ? "" : ", ",
						      f->key);
			return fail(px, -EINVAL, line_of(k),
				    "unknown key '%s' %s%s (%s)",
				    show(k, shown), path[0] ? "in " : "at ",
				    path[0] ? path : "top level", list);
		}
		if (path[0])
			snprintf(cpath, sizeof(cpath), "%s.%s", path, f->key);
		else
			snprintf(cpath, sizeof(cpath), "%s", f->key);
		if (seen[f - tab])
			return fail(px, -EINVAL, line_of(k),
				    "%s: duplicate key (first at line %lu)",
				    cpath, seen[f - tab]);
		seen[f - tab] = line_of(k);
		rc = f->parse(px, f, k, v, base, cpath);
		if (rc < 0)
			return rc;
	}
check_required:
	for (f = tab; f->key != NULL; f++)
		if ((f->flags & F_REQ) && !seen[f - tab])
			return fail(px, -EINVAL, line, "%s%smissing required key '%s'",
				    path, path[0] ? ": " : "", f->key);
	return 0;
}

/* A nested mapping described by f->arg, at f->off in base. */
static int
p_map(struct pctx *px, const struct field *f, yaml_node_t *key,
      yaml_node_t *val, void *base, const char *path)
{
	return parse_map(px, val, f->arg, (char *)base + f->off, path,
			 line_of(key));
}

static const struct name_val role_names[] = {
	{"relay", MR_PORT_RELAY},
	{"egress", MR_PORT_EGRESS},
	{NULL, 0},
};

static const struct name_val level_names[] = {
	{"emerg", MR_LOG_EMERG},
	{"alert", MR_LOG_ALERT},
	{"crit", MR_LOG_CRIT},
	{"err", MR_LOG_ERR},
	{"warning", MR_LOG_WARNING},
	{"notice", MR_LOG_NOTICE},
	{"info", MR_LOG_INFO},
	{"debug", MR_LOG_DEBUG},
	{NULL, 0},
};

#define MEMBER_SIZE(type, m) sizeof(((type *)0)->m)

/* A scalar key of struct type stored in member m. */
#define FLD(type, k, fn, m, lo, hi, fl) {			\
	.key = (k), .parse = (fn), .off = offsetof(type, m),	\
	.size = MEMBER_SIZE(type, m), .min = (lo), .max = (hi),	\
	.flags = (fl),						\
}
/* A list in array m with count c of nlo..nhi entries within lo..hi. */
#define LIST(type, k, fn, m, c, nlo, nhi, lo, hi, fl) {	\
	.key = (k), .parse = (fn), .off = offsetof(type, m),	\
	.size = MEMBER_SIZE(type, m), .cnt_off = offsetof(type, c), \
	.nmin = (nlo), .nmax = (nhi), .min = (lo), .max = (hi),	\
	.flags = (fl),						\
}
#define ENUM(type, k, m, names) {				\
	.key = (k), .parse = p_enum, .off = offsetof(type, m),	\
	.size = MEMBER_SIZE(type, m), .arg = (names),		\
}
#define MAP(type, k, fn, m, tab, fl) {				\
	.key = (k), .parse = (fn), .off = offsetof(type, m),	\
	.arg = (tab), .flags = (fl),				\
}

static const struct field port_fields[] = {
	FLD(struct mr_config_port, "name", p_str, name, 0, 0,
	    F_REQ | F_ETHNAME),
	ENUM(struct mr_config_port, "role", role, role_names),
	FLD(struct mr_config_port, "rxd", p_uint, rxd, 64, 16384, 0),
	FLD(struct mr_config_port, "txd", p_uint, txd, 64, 16384, 0),
	FLD(struct mr_config_port, "mtu", p_uint, mtu, 68, 9600, 0),
	FLD(struct mr_config_port, "mac", p_mac, mac, 0, 0, 0),
	{.key = "rx_queues", .parse = p_implicit, .flags = F_HIDDEN},
	{.key = "tx_queues", .parse = p_implicit, .flags = F_HIDDEN},
	{.key = NULL},
};

static const struct field relay_fields[] = {
	LIST(struct mr_config_relay, "ipv4", p_addr_list, ipv4, nb_ipv4,
	     0, MR_CFG_MAX_ADDRS, 0, 0, 0),
	LIST(struct mr_config_relay, "ipv6", p_addr_list, ipv6, nb_ipv6,
	     0, MR_CFG_MAX_ADDRS, 0, 0, F_IPV6),
	LIST(struct mr_config_relay, "udp_ports", p_u16_list, udp_ports,
	     nb_udp_ports, 1, MR_CFG_MAX_UDP_PORTS, 1, 65535, 0),
	FLD(struct mr_config_relay, "verify_udp_checksum", p_bool,
	    verify_udp_checksum, 0, 1, 0),
	{.key = NULL},
};

static const struct field workers_fields[] = {
	LIST(struct mr_config_workers, "lcores", p_u16_list, lcores,
	     nb_lcores, 1, MR_CFG_MAX_LCORE, 0, MR_CFG_MAX_LCORE - 1, F_REQ),
	FLD(struct mr_config_workers, "burst", p_uint, burst, 1, 512, 0),
	FLD(struct mr_config_workers, "tx_drain_us", p_uint, tx_drain_us,
	    1, 1000, 0),
	FLD(struct mr_config_workers, "fanout_chunk", p_uint, fanout_chunk,
	    16, 65536, 0),
	{.key = NULL},
};

static const struct field mempool_fields[] = {
	FLD(struct mr_config_mempool, "mbufs", p_uint, mbufs,
	    1023, 16777215, 0),
	FLD(struct mr_config_mempool, "cache", p_uint, cache, 0, 512, 0),
	FLD(struct mr_config_mempool, "hdr_mbufs", p_uint, hdr_mbufs,
	    1023, 16777215, 0),
	FLD(struct mr_config_mempool, "mbuf_size", p_uint, mbuf_size,
	    2176, 10240, 0),
	{.key = NULL},
};

static const struct field control_fields[] = {
	FLD(struct mr_config_control, "socket", p_str, socket, 0, 0,
	    F_ABS | F_SUN),
	FLD(struct mr_config_control, "mode", p_uint, mode, 0, 0777, F_OCTAL),
	FLD(struct mr_config_control, "group", p_str, group, 0, 0, F_GROUP),
	{.key = NULL},
};

static const struct field limits_fields[] = {
	FLD(struct mr_config_limits, "max_endpoints", p_uint, max_endpoints,
	    1, 65535, 0),
	FLD(struct mr_config_limits, "max_users", p_uint, max_users,
	    1, 1u << 30, 0),
	FLD(struct mr_config_limits, "max_devices_per_user", p_uint,
	    max_devices_per_user, 1, 255, 0),
	FLD(struct mr_config_limits, "max_groups", p_uint, max_groups,
	    1, 1u << 26, 0),
	FLD(struct mr_config_limits, "max_group_members", p_uint,
	    max_group_members, 1, 1u << 24, 0),
	FLD(struct mr_config_limits, "max_memberships", p_uint,
	    max_memberships, 1, 1u << 30, 0),
	FLD(struct mr_config_limits, "max_payload", p_uint, max_payload,
	    0, 65000, 0),
	FLD(struct mr_config_limits, "dedup_window", p_uint, dedup_window,
	    1024, 1u << 24, 0),
	FLD(struct mr_config_limits, "max_conversations", p_uint,
	    max_conversations, 1024, 1u << 24, 0),
	FLD(struct mr_config_limits, "max_subscriptions", p_uint,
	    max_subscriptions, 1, 1u << 26, 0),
	{.key = NULL},
};

static const struct field log_fields[] = {
	ENUM(struct mr_config_log, "level", level, level_names),
	{.key = NULL},
};

/* The port list: each entry starts from the port defaults. */
static int
p_ports(struct pctx *px, const struct field *f, yaml_node_t *key,
	yaml_node_t *val, void *base, const char *path)
{
	struct mr_config *c = base;
	char ipath[PATH_STR_MAX];
	struct mr_config_port *p;
	bool any_relay = false;
	yaml_node_t *e;
	int n, i, j, rc;

	n = list_len(px, f, key, val, path);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		e = list_item(px, val, i);
		p = &c->ports[i];
		snprintf(ipath, sizeof(ipath), "%s[%d]", path, i);
		if (e->type != YAML_MAPPING_NODE)
			return wrong_type(px, e, ipath, "a mapping");
		memset(p, 0, sizeof(*p));
		p->role = MR_PORT_RELAY;
		p->rxd = 1024;
		p->txd = 1024;
		p->mtu = 1500;
		p->line = line_of(e);
		rc = parse_map(px, e, port_fields, p, ipath, line_of(e));
		if (rc < 0)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(c->ports[j].name, p->name) == 0)
				return fail(px, -EINVAL, line_of(e),
					    "%s.name: '%s' is already ports[%d] (line %u)",
					    ipath, p->name, j,
					    (unsigned int)c->ports[j].line);
		any_relay |= p->role == MR_PORT_RELAY;
	}
	if (!any_relay)
		return fail(px, -EINVAL, line_of(key),
			    "%s: no port has role relay, nothing would be received",
			    path);
	c->nb_ports = n;
	return 0;
}

/* The relay mapping, which must name at least one address. */
static int
p_relay(struct pctx *px, const struct field *f, yaml_node_t *key,
	yaml_node_t *val, void *base, const char *path)
{
	struct mr_config_relay *r = (void *)((char *)base + f->off);
	int rc;

	rc = p_map(px, f, key, val, base, path);
	if (rc < 0)
		return rc;
	if (r->nb_ipv4 + r->nb_ipv6 == 0)
		return fail(px, -EINVAL, line_of(key),
			    "%s: needs at least one address in ipv4 or ipv6",
			    path);
	return 0;
}

static const struct field top_fields[] = {
	LIST(struct mr_config, "ports", p_ports, ports, nb_ports,
	     1, MR_CFG_MAX_PORTS, 0, 0, F_REQ),
	MAP(struct mr_config, "relay", p_relay, relay, relay_fields, F_REQ),
	MAP(struct mr_config, "workers", p_map, workers, workers_fields,
	    F_REQ),
	MAP(struct mr_config, "mempool", p_map, mempool, mempool_fields, 0),
	FLD(struct mr_config, "state_dir", p_str, state_dir, 0, 0, F_ABS),
	MAP(struct mr_config, "control", p_map, control, control_fields, 0),
	MAP(struct mr_config, "limits", p_map, limits, limits_fields, 0),
	MAP(struct mr_config, "log", p_map, log, log_fields, 0),
	{.key = NULL},
};

_Static_assert(sizeof(top_fields) / sizeof(top_fields[0]) <= FIELDS_MAX &&
	       sizeof(port_fields) / sizeof(port_fields[0]) <= FIELDS_MAX &&
	       sizeof(limits_fields) / sizeof(limits_fields[0]) <= FIELDS_MAX,
	       "raise FIELDS_MAX");

void
mr_config_defaults(struct mr_config *c)
{
	memset(c, 0, sizeof(*c));
	c->relay.udp_ports[0] = 7400;
	c->relay.nb_udp_ports = 1;
	c->relay.verify_udp_checksum = 1;
	c->workers.burst = 32;
	c->workers.tx_drain_us = 100;
	c->workers.fanout_chunk = 1024;
	c->mempool.mbufs = 65535;
	c->mempool.cache = 256;
	c->mempool.hdr_mbufs = 65535;
	c->mempool.mbuf_size = 2176;
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", "/var/lib/mrelay");
	snprintf(c->control.socket, sizeof(c->control.socket), "%s",
		 MR_API_DEFAULT_SOCK);
	c->control.mode = 0660;
	c->limits.max_endpoints = 4096;
	c->limits.max_users = 16777216;
	c->limits.max_devices_per_user = 16;
	c->limits.max_groups = 2097152;
	c->limits.max_group_members = 1000000;
	c->limits.max_memberships = 16777216;
	c->limits.max_payload = 9000;
	c->limits.dedup_window = 1048576;
	c->limits.max_conversations = 1048576;
	c->limits.max_subscriptions = 1048576;
	c->log.level = MR_LOG_INFO;
}

/* Turn a libyaml failure into "NAME:LINE: problem (context at line N)". */
static int
yaml_fail(struct pctx *px, const yaml_parser_t *yp, const char *buf,
	  size_t len)
{
	unsigned long line = 1;
	size_t i;

	switch (yp->error) {
	case YAML_MEMORY_ERROR:
		return fail(px, -ENOMEM, 0, "out of memory parsing YAML");
	case YAML_READER_ERROR:
		/* The reader only knows a byte offset. */
		for (i = 0; i < yp->problem_offset && i < len; i++)
			line += buf[i] == '\n';
		if (yp->problem_value != -1)
			return fail(px, -EINVAL, line, "%s (byte 0x%02x)",
				    yp->problem, yp->problem_value & 0xff);
		return fail(px, -EINVAL, line, "%s", yp->problem);
	default:
		break;
	}
	line = yp->problem_mark.line + 1;
	if (yp->context != NULL)
		return fail(px, -EINVAL, line, "%s (%s at line %lu)",
			    yp->problem != NULL ? yp->problem : "syntax error",
			    yp->context,
			    (unsigned long)yp->context_mark.line + 1);
	return fail(px, -EINVAL, line, "%s",
		    yp->problem != NULL ? yp->problem : "syntax error");
}

int
mr_config_load_buf(const char *name, const char *buf, size_t len,
		   struct mr_config *c, char *err, size_t errlen)
{
	struct pctx px = {.name = name, .err = err, .errlen = errlen};
	yaml_document_t doc, extra;
	struct mr_config tmp;
	yaml_parser_t yp;
	yaml_node_t *root;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > MR_CFG_FILE_MAX)
		return fail(&px, -EFBIG, 0, "larger than %u bytes",
			    MR_CFG_FILE_MAX);
	if (!yaml_parser_initialize(&yp))
		return fail(&px, -ENOMEM, 0, "out of memory parsing YAML");
	yaml_parser_set_input_string(&yp, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&yp, &doc)) {
		rc = yaml_fail(&px, &yp, buf, len);
		goto out_parser;
	}
	px.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		rc = fail(&px, -EINVAL, 1,
			  "empty file, expected a mapping of settings");
		goto out_doc;
	}
	if (is_null(root)) {
		rc = fail(&px, -EINVAL, line_of(root),
			  "empty document, expected a mapping of settings");
		goto out_doc;
	}
	/* A second document would be ignored silently: refuse it. */
	if (!yaml_parser_load(&yp, &extra)) {
		rc = yaml_fail(&px, &yp, buf, len);
		goto out_doc;
	}
	if (yaml_document_get_root_node(&extra) != NULL) {
		rc = fail(&px, -EINVAL, extra.start_mark.line + 1,
			  "a second YAML document; only one is allowed");
		yaml_document_delete(&extra);
		goto out_doc;
	}
	yaml_document_delete(&extra);

	mr_config_defaults(&tmp);
	rc = parse_map(&px, root, top_fields, &tmp, "", line_of(root));
	if (rc == 0)
		*c = tmp;
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&yp);
	return rc;
}

int
mr_config_load(const char *path, struct mr_config *c, char *err,
	       size_t errlen)
{
	struct pctx px = {.name = path, .err = err, .errlen = errlen};
	size_t len = 0, room = 0;
	char *buf = NULL, *nb;
	struct stat st;
	ssize_t r;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(&px, -errno, 0, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = fail(&px, -errno, 0, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = fail(&px, -EISDIR, 0, "is a directory");
		goto out;
	}
	/* Read it all (pipes included), one byte past the limit at most. */
	for (;;) {
		if (len == room) {
			if (room > MR_CFG_FILE_MAX) {
				rc = fail(&px, -EFBIG, 0, "larger than %u bytes",
					  MR_CFG_FILE_MAX);
				goto out;
			}
			room = room == 0 ? 4096 : room * 2;
			nb = realloc(buf, room + 1);
			if (nb == NULL) {
				rc = fail(&px, -ENOMEM, 0, "out of memory");
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + len, room - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = fail(&px, -errno, 0, "cannot read: %s",
				  strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	rc = mr_config_load_buf(path, buf != NULL ? buf : "", len, c, err,
				errlen);
out:
	free(buf);
	close(fd);
	return rc;
}

const char *
mr_config_role_name(enum mr_port_role role)
{
	const struct name_val *nv;

	for (nv = role_names; nv->name != NULL; nv++)
		if (nv->val == (unsigned int)role)
			return nv->name;
	return NULL;
}

const char *
mr_config_log_level_name(enum mr_log_level level)
{
	const struct name_val *nv;

	for (nv = level_names; nv->name != NULL; nv++)
		if (nv->val == (unsigned int)level)
			return nv->name;
	return NULL;
}
