/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP session states of RFC 6146 §3.5.2.2 and the timer each state runs on.
 * Pure functions: the caller applies the result to its session. */
#include <netinet/in.h>

#include "tables.h"

/* RFC 6146 §3.5.2.2: ESTABLISHED and the half-closed states run on the
 * TCP_EST timeout, the opening and closing ones on TCP_TRANS (§4 gives
 * both). UDP (§3.5.1) and ICMP (§3.5.3) sessions have one timer each. */
enum timer_class timer_for(uint8_t proto, enum nat64_tcp_state st)
{
	if (proto == IPPROTO_UDP)
		return TIMER_UDP;
	if (proto == IPPROTO_ICMP)
		return TIMER_ICMP;
	switch (st) {
	case NAT64_TCP_ESTABLISHED:
	case NAT64_TCP_V4_FIN_RCV:
	case NAT64_TCP_V6_FIN_RCV:
		return TIMER_TCP_EST;
	default:
		return TIMER_TCP_TRANS;
	}
}

bool tcp_needs_state(uint8_t proto, uint8_t flags)
{
	/* RFC 6146 §3.5.2.2: only a SYN may open a TCP session */
	return proto == IPPROTO_TCP && !(flags & NAT64_TCP_SYN);
}

static bool tcp_established(bool from6, uint8_t flags, enum nat64_tcp_state *next)
{
	if (flags & NAT64_TCP_RST)
		*next = NAT64_TCP_TRANS;
	else if (flags & NAT64_TCP_FIN)
		*next = from6 ? NAT64_TCP_V6_FIN_RCV : NAT64_TCP_V4_FIN_RCV;
	return true;
}

/* A FIN from the side that has not closed yet ends in V6 FIN + V4 FIN
 * (transitory, not refreshed again); anything else keeps TCP_EST. */
static bool tcp_half_closed(bool other_side, uint8_t flags, enum nat64_tcp_state *next)
{
	if (other_side && (flags & NAT64_TCP_FIN))
		*next = NAT64_TCP_V6_FIN_V4_FIN;
	return true;
}

bool tcp_transition(enum nat64_tcp_state cur, bool from6, uint8_t flags, enum nat64_tcp_state *next)
{
	bool syn = flags & NAT64_TCP_SYN;

	*next = cur;
	switch (cur) {
	case NAT64_TCP_V6_INIT:
		if (syn && !from6)
			*next = NAT64_TCP_ESTABLISHED;
		return syn; /* from6: a V6 SYN retransmit restarts the timer */
	case NAT64_TCP_V4_INIT:
		if (syn && from6)
			*next = NAT64_TCP_ESTABLISHED;
		return syn && from6;
	case NAT64_TCP_ESTABLISHED:
		return tcp_established(from6, flags, next);
	case NAT64_TCP_V4_FIN_RCV:
		return tcp_half_closed(from6, flags, next);
	case NAT64_TCP_V6_FIN_RCV:
		return tcp_half_closed(!from6, flags, next);
	case NAT64_TCP_TRANS:
		/* RFC 6146: a packet other than RST revives the connection */
		if (flags & NAT64_TCP_RST)
			return false;
		*next = NAT64_TCP_ESTABLISHED;
		return true;
	default: /* V6 FIN + V4 FIN: translated, lifetime not updated */
		return false;
	}
}

const char *nat64_tcp_state_name(enum nat64_tcp_state s)
{
	switch (s) {
	case NAT64_TCP_NONE:
		return "-";
	case NAT64_TCP_CLOSED:
		return "CLOSED";
	case NAT64_TCP_V6_INIT:
		return "V6_INIT";
	case NAT64_TCP_V4_INIT:
		return "V4_INIT";
	case NAT64_TCP_ESTABLISHED:
		return "ESTABLISHED";
	case NAT64_TCP_V6_FIN_RCV:
		return "V6_FIN_RCV";
	case NAT64_TCP_V4_FIN_RCV:
		return "V4_FIN_RCV";
	case NAT64_TCP_V6_FIN_V4_FIN:
		return "V6_FIN_V4_FIN";
	case NAT64_TCP_TRANS:
		return "TRANS";
	}
	return "?";
}
