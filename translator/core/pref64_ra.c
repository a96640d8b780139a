/* SPDX-License-Identifier: BSD-2-Clause */
/* The bytes of an RFC 8781 PREF64-only Router Advertisement (pref64_ra.h). */
#include <netinet/icmp6.h>
#include <string.h>

#include "pref64_ra.h"

int pref64_plc(unsigned len)
{
	/* RFC 8781 §4: PLC 0 is /96, then /64 down to /32 in steps of 8. */
	switch (len) {
	case 96:
		return 0;
	case 64:
		return 1;
	case 56:
		return 2;
	case 48:
		return 3;
	case 40:
		return 4;
	case 32:
		return 5;
	default:
		return -1;
	}
}

uint16_t pref64_scaled_lifetime(unsigned seconds)
{
	if (seconds >= PREF64_LIFETIME_MAX)
		return PREF64_LIFETIME_MAX / 8;
	return (uint16_t)((seconds + 7) / 8);
}

size_t pref64_ra_build(const struct prefix6 *p, unsigned lifetime_s, uint8_t *buf, size_t len)
{
	struct nd_router_advert ra;
	int plc = pref64_plc(p->len);
	uint8_t *opt = buf + sizeof(ra);
	uint16_t word;

	_Static_assert(sizeof(ra) == PREF64_RA_LEN - PREF64_OPT_LEN, "RA header is 16 bytes");
	if (plc < 0 || len < PREF64_RA_LEN)
		return 0;
	memset(&ra, 0, sizeof(ra)); /* hop limit, flags, lifetimes, timers: 0 */
	ra.nd_ra_type = ND_ROUTER_ADVERT;
	ra.nd_ra_code = 0;
	memcpy(buf, &ra, sizeof(ra));
	/* RFC 8781 §4: type, length, then Scaled Lifetime (13 bits) and PLC
	 * (3 bits) in one 16-bit word, then the highest 96 bits of the prefix. */
	opt[0] = PREF64_OPT_TYPE;
	opt[1] = PREF64_OPT_LEN / 8;
	word = (uint16_t)(pref64_scaled_lifetime(lifetime_s) << 3 | (unsigned)plc);
	opt[2] = (uint8_t)(word >> 8);
	opt[3] = (uint8_t)word;
	memcpy(opt + 4, p->addr, 12);
	return PREF64_RA_LEN;
}
