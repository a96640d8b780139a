/* libFuzzer target for the configuration parser: config_parse_text() and
 * config_finalize() on arbitrary text (the input up to its first NUL byte).
 *
 * Checks beyond "no crash, no sanitizer report":
 * - a refusal leaves exactly one line in err (DESIGN.md: one clear line);
 * - an accepted configuration, printed as `tun64d --check` prints it, parses
 *   and finalizes again and prints the same text (what --check shows is a
 *   valid configuration file with the same meaning). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tun64_config *c = malloc(sizeof(*c));
	char *text = malloc(size + 1);

	if (!c || !text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (load(c, "fuzz.conf", text) == 0)
		check_round_trip(c);
	free(text);
	free(c);
	return 0;
}
