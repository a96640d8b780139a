/* SPDX-License-Identifier: BSD-2-Clause */
/* ICMP type, code and pointer tables of RFC 7915: §4.2 (ICMPv4 -> ICMPv6)
 * and §5.2 (ICMPv6 -> ICMPv4), informational and error messages, and the
 * Packet Too Big / Fragmentation Needed MTU. */
#include "rfc7915.h"

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
	static const int8_t map[IPV4_HDR_LEN] = {
	    [IP4_VHL] = IP6_FLOW,     /* Version/IHL -> Version/Traffic Class */
	    [IP4_TOS] = IP6_FLOW + 1, /* Type of Service -> Traffic Class */
	    [IP4_LEN] = IP6_PLEN,     [IP4_LEN + 1] = IP6_PLEN, [IP4_ID] = -1,
	    [IP4_ID + 1] = -1,        [IP4_OFF] = -1,           [IP4_OFF + 1] = -1,
	    [IP4_TTL] = IP6_HLIM,     [IP4_PROTO] = IP6_NXT,    [IP4_SUM] = -1,
	    [IP4_SUM + 1] = -1,       [IP4_SRC] = IP6_SRC,      [IP4_SRC + 1] = IP6_SRC,
	    [IP4_SRC + 2] = IP6_SRC,  [IP4_SRC + 3] = IP6_SRC,  [IP4_DST] = IP6_DST,
	    [IP4_DST + 1] = IP6_DST,  [IP4_DST + 2] = IP6_DST,  [IP4_DST + 3] = IP6_DST,
	};

	if (ptr4 >= IPV4_HDR_LEN || map[ptr4] < 0)
		return CTR_DROP_UNSUPPORTED_ICMP;
	*ptr6 = (uint32_t)map[ptr4];
	return CTR_NONE;
}

/* RFC 7915 §5.2 Figure 6: IPv6 header offset -> IPv4 header offset. */
static enum tun64_counter icmp_pointer_6to4(uint32_t ptr6, uint32_t *ptr4)
{
	static const int8_t map[IP6_SRC] = {
	    [IP6_FLOW] = IP4_VHL,     /* Version -> Version/IHL */
	    [IP6_FLOW + 1] = IP4_TOS, /* Traffic Class -> Type of Service */
	    [IP6_FLOW + 2] = -1,      /* Flow Label */
	    [IP6_FLOW + 3] = -1,      [IP6_PLEN] = IP4_LEN, [IP6_PLEN + 1] = IP4_LEN,
	    [IP6_NXT] = IP4_PROTO,    [IP6_HLIM] = IP4_TTL,
	};

	if (ptr6 < IP6_SRC && map[ptr6] >= 0)
		*ptr4 = (uint32_t)map[ptr6];
	else if (ptr6 >= IP6_SRC && ptr6 < IP6_DST)
		*ptr4 = IP4_SRC;
	else if (ptr6 >= IP6_DST && ptr6 < IPV6_HDR_LEN)
		*ptr4 = IP4_DST;
	else
		return CTR_DROP_UNSUPPORTED_ICMP;
	*ptr4 <<= 24; /* ICMP4_PPTR: the first byte after the checksum */
	return CTR_NONE;
}

/* RFC 7915 §4.2 Destination Unreachable codes. The MTU of code 4 is filled
 * in by icmp_ptb_mtu_4to6 once the quoted packet is known. */
static enum tun64_counter icmp4_unreach_to_icmp6(uint8_t code, struct icmp_err *e)
{
	e->type = ICMP6_DST_UNREACH;
	e->rest = 0;
	switch (code) {
	case ICMP_UNREACH_NET:
	case ICMP_UNREACH_HOST:
	case ICMP_UNREACH_SRCFAIL:
	case ICMP_UNREACH_NET_UNKNOWN:
	case ICMP_UNREACH_HOST_UNKNOWN:
	case ICMP_UNREACH_ISOLATED:
	case ICMP_UNREACH_TOSNET:
	case ICMP_UNREACH_TOSHOST:
		e->code = ICMP6_DST_UNREACH_NOROUTE;
		return CTR_NONE;
	case ICMP_UNREACH_PROTOCOL: /* Parameter Problem at Next Header */
		e->type = ICMP6_PARAM_PROB;
		e->code = ICMP6_PARAMPROB_NEXTHEADER;
		e->rest = IP6_NXT;
		return CTR_NONE;
	case ICMP_UNREACH_PORT:
		e->code = ICMP6_DST_UNREACH_NOPORT;
		return CTR_NONE;
	case ICMP_UNREACH_NEEDFRAG:
		e->type = ICMP6_PACKET_TOO_BIG;
		e->code = 0;
		return CTR_NONE;
	case ICMP_UNREACH_NET_PROHIB:
	case ICMP_UNREACH_HOST_PROHIB:
	case ICMP_UNREACH_FILTER_PROHIB:
	case ICMP_UNREACH_PRECEDENCE_CUTOFF:
		e->code = ICMP6_DST_UNREACH_ADMIN;
		return CTR_NONE;
	default: /* ICMP_UNREACH_HOST_PRECEDENCE and unknown codes */
		return CTR_DROP_UNSUPPORTED_ICMP;
	}
}

/* RFC 7915 §4.2: ICMPv4 error -> ICMPv6 error type, code and pointer. */
enum tun64_counter icmp4_err_to_icmp6(const uint8_t *icmp, struct icmp_err *e)
{
	uint8_t code = icmp[ICMP_CODE];

	switch (icmp[ICMP_TYPE]) {
	case ICMP_UNREACH:
		return icmp4_unreach_to_icmp6(code, e);
	case ICMP_TIMXCEED: /* the codes are the same */
		e->type = ICMP6_TIME_EXCEEDED;
		e->code = code;
		e->rest = 0;
		return CTR_NONE;
	case ICMP_PARAMPROB:
		if (code != ICMP4_PARAMPROB_POINTER && code != ICMP4_PARAMPROB_LENGTH)
			return CTR_DROP_UNSUPPORTED_ICMP; /* ICMP_PARAMPROB_OPTABSENT */
		e->type = ICMP6_PARAM_PROB;
		e->code = ICMP6_PARAMPROB_HEADER;
		return icmp_pointer_4to6(icmp[ICMP4_PPTR], &e->rest);
	default: /* source quench, redirect, information messages ... */
		return CTR_DROP_UNSUPPORTED_ICMP;
	}
}

/* RFC 7915 §5.2: ICMPv6 error -> ICMPv4 error type, code and pointer. The
 * MTU of Packet Too Big is filled in by icmp_ptb_mtu_6to4. */
enum tun64_counter icmp6_err_to_icmp4(const uint8_t *icmp, struct icmp_err *e)
{
	static const uint8_t unreach[] = {
	    [ICMP6_DST_UNREACH_NOROUTE] = ICMP_UNREACH_HOST,
	    [ICMP6_DST_UNREACH_ADMIN] = ICMP_UNREACH_HOST_PROHIB,
	    [ICMP6_DST_UNREACH_BEYONDSCOPE] = ICMP_UNREACH_HOST,
	    [ICMP6_DST_UNREACH_ADDR] = ICMP_UNREACH_HOST,
	    [ICMP6_DST_UNREACH_NOPORT] = ICMP_UNREACH_PORT,
	};
	uint8_t code = icmp[ICMP_CODE];

	e->rest = 0;
	switch (icmp[ICMP_TYPE]) {
	case ICMP6_DST_UNREACH:
		if (code >= sizeof(unreach))
			return CTR_DROP_UNSUPPORTED_ICMP;
		e->type = ICMP_UNREACH;
		e->code = unreach[code];
		return CTR_NONE;
	case ICMP6_PACKET_TOO_BIG:
		e->type = ICMP_UNREACH;
		e->code = ICMP_UNREACH_NEEDFRAG;
		return CTR_NONE;
	case ICMP6_TIME_EXCEEDED: /* the codes are the same */
		e->type = ICMP_TIMXCEED;
		e->code = code;
		return CTR_NONE;
	case ICMP6_PARAM_PROB:
		if (code == ICMP6_PARAMPROB_NEXTHEADER) {
			e->type = ICMP_UNREACH;
			e->code = ICMP_UNREACH_PROTOCOL;
			return CTR_NONE;
		}
		if (code != ICMP6_PARAMPROB_HEADER)
			return CTR_DROP_UNSUPPORTED_ICMP; /* ICMP6_PARAMPROB_OPTION */
		e->type = ICMP_PARAMPROB;
		e->code = ICMP4_PARAMPROB_POINTER;
		return icmp_pointer_6to4(get_be32(icmp + ICMP_REST), &e->rest);
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
 * next hop - 20), in the 16 bits RFC 1191 gives it, "taking into account
 * whether or not the packet in error includes a Fragment Header": when it
 * does, its IPv4 form is 28 bytes shorter than the IPv6 one, not 20. */
uint32_t icmp_ptb_mtu_6to4(const struct xlat_config *cfg, uint32_t mtu6, bool quoted_frag)
{
	const uint32_t delta = IPV6_HDR_LEN - IPV4_HDR_LEN;
	uint32_t shrink = delta + (quoted_frag ? IPV6_FRAG_HDR_LEN : 0);
	uint32_t mtu = mtu6 > shrink ? mtu6 - shrink : 0;

	if (cfg->mtu > delta && mtu > cfg->mtu - delta)
		mtu = cfg->mtu - delta;
	return mtu > 0xffff ? 0xffff : mtu;
}
