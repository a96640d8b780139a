/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target for the configuration parser: config_parse_text() and
 * config_finalize() on arbitrary text (the input up to its first NUL byte).
 *
 * Checks beyond "no crash, no sanitizer report":
 * - a refusal leaves exactly one line in err (DESIGN.md: one clear line);
 * - an accepted configuration, printed as `tun64d --check` prints it, parses
 *   and finalizes again and prints the same text (what --check shows is a
 *   valid configuration file with the same meaning);
 * - its `map` lines build the EAM table tun64d would build (eam.c), or are
 *   refused with one "map: ..." line; with a table, an address inside each
 *   entry's IPv4 prefix maps to IPv6 and that result maps back to IPv4 (the
 *   suffix lands inside the IPv6 address, at any prefix lengths, RFC 7757
 *   §3.3). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "eam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PRINT_MAX (1024 * 1024)

static bool err_is_one_line(const char *err)
{
	size_t n = strnlen(err, CONFIG_ERRLEN);

	return n > 0 && n < CONFIG_ERRLEN && !memchr(err, '\n', n);
}

/* config_print into buf, NUL-terminated; aborts if it does not fit. */
static void print_config(const struct tun64_config *c, char *buf, size_t cap)
{
	FILE *f = fmemopen(buf, cap, "w");

	if (!f)
		abort();
	config_print(c, f);
	if (ferror(f) || ftell(f) < 0 || (size_t)ftell(f) >= cap - 1)
		abort();
	fclose(f);
}

/* Parse and finalize text into c; 0 or -1 with a checked error line. */
static int load(struct tun64_config *c, const char *name, const char *text)
{
	char err[CONFIG_ERRLEN];

	config_defaults(c);
	err[0] = '\0';
	if (config_parse_text(c, name, text, err, sizeof(err)) == 0 &&
	    config_finalize(c, err, sizeof(err)) == 0)
		return 0;
	if (!err_is_one_line(err)) {
		fprintf(stderr, "fuzz_config: error message is not one line: '%s'\n", err);
		abort();
	}
	return -1;
}

static void check_round_trip(const struct tun64_config *c)
{
	char *first = malloc(PRINT_MAX), *second = malloc(PRINT_MAX);
	struct tun64_config *again = malloc(sizeof(*again));

	if (!first || !second || !again)
		abort();
	print_config(c, first, PRINT_MAX);
	if (load(again, "printed", first) < 0) {
		fprintf(stderr, "fuzz_config: printed configuration is refused:\n%s", first);
		abort();
	}
	print_config(again, second, PRINT_MAX);
	if (strcmp(first, second) != 0) {
		fprintf(stderr, "fuzz_config: printed twice, differs:\n%s---\n%s", first, second);
		abort();
	}
	free(again);
	free(second);
	free(first);
}

/* The EAM table of an accepted configuration (see the top); the host bits
 * tried under each entry's IPv4 prefix come from the input bytes. */
static void check_eam(const struct tun64_config *c, const uint8_t *data, size_t size)
{
	char err[CONFIG_ERRLEN] = "";
	struct eam_table *t = eam_table_new(c->map, c->n_map, err, sizeof(err));

	if (!t) {
		if (!err_is_one_line(err) || strncmp(err, "map: ", 5) != 0) {
			fprintf(stderr, "fuzz_config: bad EAM refusal: '%s'\n", err);
			abort();
		}
		return;
	}
	for (size_t i = 0; i < c->n_map; i++) {
		const struct prefix4 *p4 = &c->map[i].p4;
		uint32_t host = size ? (uint32_t)data[i % size] * 0x01010101u : 0;
		uint32_t v4 = p4->addr | (p4->len >= 32 ? 0 : host & (0xffffffffu >> p4->len));
		uint32_t back;
		uint8_t v6[16];

		if (!eam_4to6(t, v4, v6) || !eam_6to4(t, v6, &back)) {
			fprintf(stderr, "fuzz_config: map line %zu does not translate %08x\n", i,
			        v4);
			abort();
		}
	}
	eam_table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tun64_config *c = malloc(sizeof(*c));
	char *text = malloc(size + 1);

	if (!c || !text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (load(c, "fuzz.conf", text) == 0) {
		check_round_trip(c);
		check_eam(c, data, size);
	}
	free(text);
	free(c);
	return 0;
}
