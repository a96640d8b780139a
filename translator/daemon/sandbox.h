/* SPDX-License-Identifier: BSD-2-Clause */
/* The engine's seccomp filter (sandbox.c). */
#ifndef TUN64_SANDBOX_H
#define TUN64_SANDBOX_H

#include <stddef.h>
#include <stdio.h>

/* Confine every thread of the calling process to the engine's allow-list;
 * any other system call kills the process (SIGSYS). A kernel without
 * seccomp gets one warning and no filter. Returns 0, or -1 with err. */
int sandbox_apply(char *err, size_t errlen);

/* The names on the allow-list (for tests). */
const char *const *sandbox_names(size_t *n);

#ifdef TUN64_TEST_HOOKS
/* Test builds only: a system call the allow-list leaves out. */
void sandbox_test_forbidden_syscall(void);
#endif

#endif
