/* SPDX-License-Identifier: BSD-2-Clause */
#include "counters.h"

static const char *const names[CTR_MAX] = {
#define X(id, name, meaning) [CTR_##id] = name,
    TUN64_COUNTERS(X)
#undef X
};

static const char *const meanings[CTR_MAX] = {
#define X(id, name, meaning) [CTR_##id] = meaning,
    TUN64_COUNTERS(X)
#undef X
};

const char *counter_name(enum tun64_counter c)
{
	return (unsigned)c < CTR_MAX ? names[c] : "?";
}

const char *counter_meaning(enum tun64_counter c)
{
	return (unsigned)c < CTR_MAX ? meanings[c] : "?";
}

const char *dir_name(enum tun64_dir d)
{
	return d == DIR_6TO4 ? "6to4" : d == DIR_4TO6 ? "4to6" : "?";
}
