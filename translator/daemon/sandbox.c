/* SPDX-License-Identifier: BSD-2-Clause */
/* The engine's seccomp filter: once the tun fds, the tables and the control
 * socket are in place and root is gone, its threads may make only the system
 * calls below. Anything else kills the whole engine (SIGSYS); the parent sees
 * it and exits cleanly. libseccomp builds the BPF program, so one table
 * serves every architecture (syscall numbers, the x32 and compat checks). */
#include <errno.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <sys/socket.h>

#include "log.h"
#include "sandbox.h"

struct allowed {
	const char *name; /* resolved by libseccomp; unknown here: skipped */
	const char *why;
};

/* The engine's allow-list: one row per system call, and why it needs it. */
static const struct allowed allow_list[] = {
    /* the packet path (worker.c, tunif/) */
    {"read", "tun reads; signalfd and timerfd reads in the main loop"},
    {"readv", "tun reads with the virtio-net header (tunif_read_vnet)"},
    {"write", "tun writes; log lines to stderr; session-log lines to the file the parent opened"},
    {"writev", "tun writes with the virtio-net header (tunif_write_vnet)"},
    {"poll", "workers wait for their tun queue; the main loop waits for its fds"},
    {"ppoll", "poll() on architectures without the poll syscall"},
    {"clock_gettime", "timestamps, when the vDSO does not answer"},
    {"gettimeofday", "the same, for the older vDSO fallback"},
    {"futex", "mutexes of the NAT64 tables, pthread_join"},
    {"getpid", "a worker that lost the tun signals the main thread"},
    {"kill", "... with SIGUSR2 (kill(getpid(), SIGUSR2))"},
    {"tgkill", "raise() and abort() in glibc"},
    {"gettid", "glibc's raise() and pthread_kill()"},
    {"getrandom", "the IPv4 Identification seed of a new worker (RFC 7739)"},
    /* memory */
    {"brk", "malloc"},
    {"mmap", "malloc of large blocks, thread stacks, open_memstream"},
    {"munmap", "free of large blocks, thread stacks"},
    {"mremap", "realloc of large blocks (open_memstream answers)"},
    {"mprotect", "thread stack guard pages; malloc arenas of new threads"},
    {"madvise", "free() gives memory back; glibc drops dead thread stacks"},
    /* threads: workers stop and start again around a re-created tun */
    {"clone", "pthread_create"},
    {"clone3", "pthread_create on glibc 2.34 and later"},
    {"set_robust_list", "a new thread registers its robust futex list"},
    {"rseq", "a new thread registers restartable sequences (glibc 2.35)"},
    {"rt_sigprocmask", "pthread_create blocks signals around clone"},
    {"rt_sigaction", "glibc installs its SIGCANCEL/SIGSETXID handlers at the first pthread_create"},
    {"rt_sigreturn", "return from a signal handler"},
    {"sched_yield", "lock back-off in glibc"},
    {"exit", "a worker thread ends"},
    {"exit_group", "the engine exits"},
    {"nanosleep", "usleep while reload waits for the workers"},
    {"clock_nanosleep", "the same on newer glibc"},
    /* the control socket (mainloop.c) */
    {"accept4", "a tun64ctl connection"},
    {"setsockopt", "its send and receive timeouts"},
    {"recvfrom", "its request line (recv)"},
    {"sendto", "its answer (send); session-log to /dev/log (connected before the filter) and "
               "to `sessions --follow` readers"},
    {"close", "closing connections, tun fds of a lost tun, files"},
    {"fstat", "stdio on a new stream (open_memstream, fopencookie)"},
    {"newfstatat", "fstat on newer glibc"},
    {"lseek", "stdio flushing a stream"},
    /* reload (reload.c) */
    {"sysinfo", "max-sessions 0 is sized to the memory (fill_nat64_config)"},
    /* the metrics endpoint (metrics_http.c: libmicrohttpd in the main loop;
     * socket, bind, listen and epoll_create1 run before the filter) */
    {"epoll_wait", "MHD_run: which metrics connections are ready (timeout 0)"},
    {"epoll_pwait", "epoll_wait on architectures without it"},
    {"epoll_ctl", "a new metrics connection joins MHD's epoll set, a closed one leaves"},
    {"shutdown", "MHD closes the write side of a finished metrics connection"},
    /* `log syslog` (translator/log/log.c): the socket is opened before the
     * filter, but glibc's syslog(3) closes it when a send fails (syslog
     * daemon restarted, or none yet) and makes a new one on the next line;
     * socket itself only for AF_UNIX, allow_a0 below */
    {"connect", "syslog(3) reconnects to /dev/log"},
    /* the parent (privsep_msg.c) */
    {"sendmsg", "messages to the parent: requests, the state file"},
    {"recvmsg", "messages from the parent, with the tun fds (SCM_RIGHTS)"},
};

/* Allowed only with this first argument. */
static const struct {
	const char *name;
	scmp_datum_t a0;
	const char *why;
} allow_a0[] = {
    {"socket", AF_UNIX, "syslog(3) makes a new /dev/log socket after a failed send"},
};

/* ASan/LSan builds (TUN64_SANITIZE) only: what the sanitizer runtime itself
 * calls for a report or the leak check at exit (it asks whether stderr is a
 * terminal, opens and lists /proc with the legacy open/stat/getdents calls,
 * reads /proc/self/maps and stops the threads with ptrace from a clone).
 * Never in a release build. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define TSAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSAN_BUILD 1
#endif
#endif
#ifdef SANITIZER_BUILD
static const char *const sanitizer_extra[] = {
    "open",     "ioctl",      "getdents", "stat",  "lstat",     "access",      "openat",
    "readlink", "getdents64", "ptrace",   "prctl", "wait4",     "sigaltstack", "sched_getaffinity",
    "getppid",  "pipe2",      "munmap",   "fstat", "newfstatat"};
#endif

const char *const *sandbox_names(size_t *n)
{
	static const char *names[sizeof(allow_list) / sizeof(allow_list[0])];

	for (size_t i = 0; i < sizeof(allow_list) / sizeof(allow_list[0]); i++)
		names[i] = allow_list[i].name;
	*n = sizeof(allow_list) / sizeof(allow_list[0]);
	return names;
}

int sandbox_apply(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	int rc;

	err[0] = '\0';
#ifdef TSAN_BUILD
	/* A ThreadSanitizer report forks a symbolizer and reads files: under
	 * the filter the report would die with the engine, unread. The TSan job
	 * looks for races; the filter is proven by the ordinary build. */
	log_warn("seccomp: ThreadSanitizer build; the engine runs without a filter");
	return 0;
#endif
	/* No seccomp in this kernel (CONFIG_SECCOMP_FILTER off), or none that
	 * libseccomp can use (also under valgrind, which has no seccomp(2)):
	 * go on without, said once. */
	if ((prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL) || seccomp_api_get() < 1 ||
	    !(ctx = seccomp_init(SCMP_ACT_KILL_PROCESS))) {
		log_warn("seccomp: not available here; the engine runs without a filter");
		return 0;
	}
	/* Every thread gets the filter, also one started before it. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; rc == 0 && i < sizeof(allow_list) / sizeof(allow_list[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allow_list[i].name);

		if (nr == __NR_SCMP_ERROR)
			continue; /* not a system call on this architecture */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0)
			snprintf(err, errlen, "seccomp: allowing %s: %s", allow_list[i].name,
			         strerror(-rc));
	}
	for (size_t i = 0; rc == 0 && i < sizeof(allow_a0) / sizeof(allow_a0[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allow_a0[i].name);

		if (nr == __NR_SCMP_ERROR)
			continue;
		/* Spelled out: clang's -Wmissing-field-initializers rejects
		 * SCMP_A0's two-argument form. */
		rc = seccomp_rule_add(
		    ctx, SCMP_ACT_ALLOW, nr, 1,
		    (struct scmp_arg_cmp){
		        .arg = 0, .op = SCMP_CMP_EQ, .datum_a = allow_a0[i].a0, .datum_b = 0});
		if (rc < 0)
			snprintf(err, errlen, "seccomp: allowing %s: %s", allow_a0[i].name,
			         strerror(-rc));
	}
#ifdef SANITIZER_BUILD
	for (size_t i = 0; rc == 0 && i < sizeof(sanitizer_extra) / sizeof(sanitizer_extra[0]);
	     i++) {
		int nr = seccomp_syscall_resolve_name(sanitizer_extra[i]);

		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
#endif
	if (rc == 0) {
		rc = seccomp_load(ctx);
		if (rc < 0)
			snprintf(err, errlen, "seccomp: loading the filter: %s", strerror(-rc));
	} else if (!err[0]) {
		snprintf(err, errlen, "seccomp: TSYNC: %s", strerror(-rc));
	}
	seccomp_release(ctx);
	return rc < 0 ? -1 : 0;
}

#ifdef TUN64_TEST_HOOKS
/* Test builds (-DTUN64_TEST_HOOKS=ON) only: a system call the allow-list
 * leaves out, to show the filter kills the engine (e2e_privsep.sh). */
void sandbox_test_forbidden_syscall(void)
{
	int fd;

	log_warn("test hook: socket(), a system call outside the allow-list");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		close(fd);
	log_err("test hook: the forbidden system call returned");
}
#endif
