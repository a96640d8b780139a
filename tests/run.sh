#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Build tun64 and run every test (unit tests and, as root, the end-to-end
# test across network namespaces). Run from anywhere; builds in ./build.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tests/install-deps.sh
cmake -S . -B build -DTUN64_WERROR=ON
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure
