#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Every source file names its licence in an SPDX line near its top (issue 14
# part 9): BSD-2-Clause, and "GPL-2.0-only OR BSD-2-Clause" for the BPF
# object, whose kernel licence string is "Dual BSD/GPL".
# Usage: check_spdx.sh SOURCE_DIR
set -euo pipefail
cd "${1:?usage: $0 SOURCE_DIR}"

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	list() { git ls-files; }
else
	list() { find . -type f -not -path './build*' -not -path './.git/*' | sed 's|^\./||'; }
fi

bad=0
while IFS= read -r f; do
	case "$f" in
	tests/fuzz/corpus/* | tests/fuzz/crashes/*) continue ;;
	*.bpf.c) want='SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause' ;;
	*.c | *.h | *.sh | *.py | *.cmake | CMakeLists.txt | */CMakeLists.txt | .ci/run | \
		docs/tun64.service | docs/tun64.conf.example | tests/tsan.supp)
		want='SPDX-License-Identifier: BSD-2-Clause' ;;
	*) continue ;;
	esac
	if ! head -n 3 "$f" | grep -F "$want" >/dev/null; then # no -q: SIGPIPE + pipefail
		echo "no '$want' in the first lines of $f" >&2
		bad=1
	fi
done < <(list)
grep -q '"Dual BSD/GPL"' translator/fastpath/fastpath.bpf.c ||
	{ echo "fastpath.bpf.c: licence string is not \"Dual BSD/GPL\"" >&2; bad=1; }
[ "$bad" = 0 ] && echo "every source file has its SPDX line"
exit "$bad"
