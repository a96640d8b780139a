/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside the configuration code (not for the daemon): the one table of keys
 * (config_keys.c) and the value parsers its rows share (config_values.c).
 *
 * A key is one row: its name, the type of its value, the field of struct
 * tun64_config it fills (offsetof), its default as file text, limits, and
 * whether reload applies it. Parsing (file lines and long options), printing
 * (tun64d --check), defaults and the reload diff all read the row; only keys
 * with their own syntax (pool4, map, bib, allow6, prefix) name callbacks in
 * their row (config_lists.c). */
#ifndef TUN64_CONFIG_KEYS_H
#define TUN64_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

#define WHYLEN 256
#define MAX_TOKENS 8
#define LINE_MAX_LEN 4096

enum config_type {
	CT_BOOL,    /* yes | no */
	CT_ENUM,    /* one of words[]: value i is words[i]; a bool field for two words */
	CT_UINT,    /* decimal min..max, unsigned or unsigned long long by field size */
	CT_STRING,  /* a char array; check() vets the text first */
	CT_ADDR4,   /* uint32_t */
	CT_ADDR6,   /* uint8_t[16] */
	CT_PREFIX4, /* struct prefix4 */
	CT_PREFIX6, /* struct prefix6 */
	CT_LIST,    /* repeatable: parse, print (and same) callbacks do everything */
};

enum {
	KF_RELOAD = 1 << 0,   /* reload applies it to a running daemon */
	KF_REPEAT = 1 << 1,   /* repeatable: each line adds an entry */
	KF_OPTIONAL = 1 << 2, /* printed only when given (flag) or not empty (string) */
};

struct config_key {
	const char *name;
	enum config_type type;
	size_t off, size;            /* the field: offsetof and sizeof in struct tun64_config */
	size_t given;                /* offset + 1 of a bool set when the key is given; 0: none */
	unsigned flags;              /* KF_* */
	const char *def;             /* default, as file text; NULL: zero, empty or unset */
	unsigned long long min, max; /* CT_UINT */
	unsigned note_below; /* CT_UINT: --check notes a value below this RFC 6146 §4 minimum */
	const char *const *words;               /* CT_ENUM, NULL-terminated */
	int (*check)(const char *v, char *why); /* CT_STRING: extra rules for the text */
	/* Own syntax: replaces the type's parser / printer / comparison. */
	int (*parse)(struct tun64_config *c, const char *v, char *why);
	void (*print)(const struct tun64_config *c, FILE *f);
	bool (*same)(const struct tun64_config *a, const struct tun64_config *b);
	/* Printed only if this says so (a key that means nothing without another). */
	bool (*shown)(const struct tun64_config *c);
};

/* The i-th row in table order, or NULL past the end. */
const struct config_key *config_key_at(size_t i);

/* The row of key, or NULL. */
const struct config_key *config_key_find(const char *key);

/* Apply a trimmed, non-empty value; -1 with the reason in why (WHYLEN). */
int config_key_set(const struct config_key *k, struct tun64_config *c, const char *v, char *why);

/* --- value parsers (config_values.c); each fills why and returns -1 on error --- */

int cfg_why(char *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool cfg_is_space(char ch);
int cfg_tokenize(const char *s, char *buf, size_t buflen, char **tok, int max);
int cfg_parse_ull(const char *s, unsigned long long *out);
int cfg_parse_number(const char *s, unsigned long long min, unsigned long long max,
                     unsigned long long *out, char *w);
int cfg_parse_bool(const char *s, bool *out, char *w);
int cfg_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi, char *w);
int cfg_parse_prefix6(const char *s, struct prefix6 *p, char *w);
int cfg_parse_prefix4(const char *s, struct prefix4 *p, char *w);
int cfg_copy_string(char *dst, size_t dstlen, const char *s, char *w);
void cfg_print_prefix6(FILE *f, const struct prefix6 *p);
void cfg_print_prefix4(FILE *f, uint32_t addr, unsigned len);

/* --- keys with their own syntax (config_lists.c) --- */

int cfg_set_prefix(struct tun64_config *c, const char *v, char *w);
void cfg_print_prefix(const struct tun64_config *c, FILE *f);
int cfg_set_pool4(struct tun64_config *c, const char *v, char *w);
void cfg_print_pool4(const struct tun64_config *c, FILE *f);
bool cfg_same_pool4(const struct tun64_config *a, const struct tun64_config *b);
bool cfg_pool4_overlap(const struct pool4_range *a, const struct pool4_range *b);
int cfg_set_map(struct tun64_config *c, const char *v, char *w);
void cfg_print_map(const struct tun64_config *c, FILE *f);
int cfg_set_bib(struct tun64_config *c, const char *v, char *w);
void cfg_print_bib(const struct tun64_config *c, FILE *f);
int cfg_set_allow6(struct tun64_config *c, const char *v, char *w);
void cfg_print_allow6(const struct tun64_config *c, FILE *f);

#endif
