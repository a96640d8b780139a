/* ICMP type, code and pointer tables of RFC 7915: §4.2 (ICMPv4 -> ICMPv6)
 * and §5.2 (ICMPv6 -> ICMPv4), informational and error messages, and the
 * Packet Too Big / Fragmentation Needed MTU. */
#include "xlat_internal.h"

/* RFC 7915 §5.2: ICMPv6 -> ICMPv4 informational messages: echo request and
 * reply. §5.2 drops every other informational type (MLD, ND, ...); the
 * errors go through icmp6_err_to_icmp4 below. */
bool icmp6_to_icmp4_type(uint8_t type, uint8_t code, uint8_t *type4, uint8_t *code4)
{
	switch (type) {
	case ICMP6_ECHO_REQUEST:
		*type4 = ICMP_ECHO;
		break;
	case ICMP6_ECHO_REPLY:
		*type4 = ICMP_ECHOREPLY;
		break;
	default:
		return false;
	}
	*code4 = code;
	return true;
}

/* RFC 7915 §4.2: ICMPv4 -> ICMPv6 informational messages: echo request and
 * reply; the other informational types are dropped, the errors go through
 * icmp4_err_to_icmp6 below. */
bool icmp4_to_icmp6_type(uint8_t type, uint8_t code, uint8_t *type6, uint8_t *code6)
{
	switch (type) {
	case ICMP_ECHO:
		*type6 = ICMP6_ECHO_REQUEST;
		break;
	case ICMP_ECHOREPLY:
		*type6 = ICMP6_ECHO_REPLY;
		break;
	default:
		return false;
	}
	*code6 = code;
	return true;
}

/* RFC 7915 §4.2 Figure 3: IPv4 header offset -> IPv6 header offset, -1 n/a. */
static enum tun64_counter icmp_pointer_4to6(uint8_t ptr4, uint32_t *ptr6)
{
	static const int8_t map[IPV4_HDR_LEN] = {0,  1,  4, 4, -1, -1, -1, -1, 7,  6,
	                                         -1, -1, 8, 8, 8,  8,  24, 24, 24, 24};

	if (ptr4 >= IPV4_HDR_LEN || map[ptr4] < 0)
		return CTR_DROP_UNSUPPORTED_ICMP;
	*ptr6 = (uint32_t)map[ptr4];
	return CTR_NONE;
}

/* RFC 7915 §5.2 Figure 6: IPv6 header offset -> IPv4 header offset. */
static enum tun64_counter icmp_pointer_6to4(uint32_t ptr6, uint32_t *ptr4)
{
	static const int8_t map[8] = {0, 1, -1, -1, 2, 2, 9, 8};

	if (ptr6 < 8 && map[ptr6] >= 0)
		*ptr4 = (uint32_t)map[ptr6];
	else if (ptr6 >= 8 && ptr6 < 24)
		*ptr4 = 12; /* Source Address */
	else if (ptr6 >= 24 && ptr6 < IPV6_HDR_LEN)
		*ptr4 = 16; /* Destination Address */
	else
		return CTR_DROP_UNSUPPORTED_ICMP;
	*ptr4 <<= 24; /* the pointer is the first byte after the checksum */
	return CTR_NONE;
}

/* RFC 7915 §4.2 Destination Unreachable codes. The MTU of code 4 is filled
 * in by icmp_ptb_mtu_4to6 once the quoted packet is known. */
static enum tun64_counter icmp4_unreach_to_icmp6(uint8_t code, struct icmp_err *e)
{
	e->type = ICMP6_DST_UNREACH;
	e->rest = 0;
	switch (code) {
	case 0:
	case 1:
	case 5:
	case 6:
	case 7:
	case 8:
	case 11:
	case 12:
		e->code = 0; /* no route to destination */
		return CTR_NONE;
	case 2: /* protocol unreachable: Parameter Problem at Next Header */
		e->type = ICMP6_PARAM_PROB;
		e->code = 1;
		e->rest = 6;
		return CTR_NONE;
	case 3:
		e->code = 4; /* port unreachable */
		return CTR_NONE;
	case ICMP_UNREACH_NEEDFRAG:
		e->type = ICMP6_PACKET_TOO_BIG;
		e->code = 0;
		return CTR_NONE;
	case 9:
	case 10:
	case 13:
	case 15:
		e->code = 1; /* administratively prohibited */
		return CTR_NONE;
	default: /* 14 (host precedence violation) and unknown codes */
		return CTR_DROP_UNSUPPORTED_ICMP;
	}
}

/* RFC 7915 §4.2: ICMPv4 error -> ICMPv6 error type, code and pointer. */
enum tun64_counter icmp4_err_to_icmp6(const uint8_t *icmp, struct icmp_err *e)
{
	switch (icmp[0]) {
	case ICMP_UNREACH:
		return icmp4_unreach_to_icmp6(icmp[1], e);
	case ICMP_TIMXCEED:
		e->type = ICMP6_TIME_EXCEEDED;
		e->code = icmp[1];
		e->rest = 0;
		return CTR_NONE;
	case ICMP_PARAMPROB:
		if (icmp[1] != 0 && icmp[1] != 2)
			return CTR_DROP_UNSUPPORTED_ICMP; /* 1: missing a required option */
		e->type = ICMP6_PARAM_PROB;
		e->code = 0;
		return icmp_pointer_4to6(icmp[4], &e->rest);
	default: /* source quench, redirect, information messages ... */
		return CTR_DROP_UNSUPPORTED_ICMP;
	}
}

/* RFC 7915 §5.2: ICMPv6 error -> ICMPv4 error type, code and pointer. The
 * MTU of Packet Too Big is filled in by icmp_ptb_mtu_6to4. */
enum tun64_counter icmp6_err_to_icmp4(const uint8_t *icmp, struct icmp_err *e)
{
	static const int8_t unreach[5] = {1, 10, 1, 1, 3};

	e->rest = 0;
	switch (icmp[0]) {
	case ICMP6_DST_UNREACH:
		if (icmp[1] >= sizeof(unreach))
			return CTR_DROP_UNSUPPORTED_ICMP;
		e->type = ICMP_UNREACH;
		e->code = (uint8_t)unreach[icmp[1]];
		return CTR_NONE;
	case ICMP6_PACKET_TOO_BIG:
		e->type = ICMP_UNREACH;
		e->code = ICMP_UNREACH_NEEDFRAG;
		return CTR_NONE;
	case ICMP6_TIME_EXCEEDED:
		e->type = ICMP_TIMXCEED;
		e->code = icmp[1];
		return CTR_NONE;
	case ICMP6_PARAM_PROB:
		if (icmp[1] == 1) { /* unrecognized next header */
			e->type = ICMP_UNREACH;
			e->code = 2; /* protocol unreachable */
			return CTR_NONE;
		}
		if (icmp[1] != 0)
			return CTR_DROP_UNSUPPORTED_ICMP; /* 2: unrecognized option */
		e->type = ICMP_PARAMPROB;
		e->code = 0;
		return icmp_pointer_6to4(get_be32(icmp + 4), &e->rest);
	default:
		return CTR_DROP_UNSUPPORTED_ICMP;
	}
}

/* RFC 1191 §7: the greatest plateau below the quoted packet's length. */
static uint32_t rfc1191_plateau_below(uint32_t total_len)
{
	static const uint16_t plateaus[] = {65535, 32000, 17914, 8166, 4352, 2002,
	                                    1492,  1006,  508,   296,  68};

	for (size_t i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
		if (plateaus[i] < total_len)
			return plateaus[i];
	return 0;
}

/* RFC 7915 §4.2: max(1280, min(MTU + 20, MTU of the IPv6 next hop, MTU of
 * the IPv4 next hop + 20)); both next hops are the tun here. An MTU of 0
 * (router without RFC 1191) is replaced by the plateau below the quoted
 * packet's Total Length. */
uint32_t icmp_ptb_mtu_4to6(const struct xlat_config *cfg, uint16_t mtu4, uint16_t quoted_total_len)
{
	uint32_t mtu = mtu4 ? mtu4 : rfc1191_plateau_below(quoted_total_len);

	mtu += IPV6_HDR_LEN - IPV4_HDR_LEN;
	if (cfg->mtu && mtu > cfg->mtu)
		mtu = cfg->mtu;
	return mtu < IPV6_MIN_MTU ? IPV6_MIN_MTU : mtu;
}

/* RFC 7915 §5.2: min(MTU - 20, MTU of the IPv4 next hop, MTU of the IPv6
 * next hop - 20), in the 16 bits RFC 1191 gives it. */
uint32_t icmp_ptb_mtu_6to4(const struct xlat_config *cfg, uint32_t mtu6)
{
	const uint32_t delta = IPV6_HDR_LEN - IPV4_HDR_LEN;
	uint32_t mtu = mtu6 > delta ? mtu6 - delta : 0;

	if (cfg->mtu > delta && mtu > cfg->mtu - delta)
		mtu = cfg->mtu - delta;
	return mtu > 0xffff ? 0xffff : mtu;
}
