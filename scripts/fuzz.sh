#!/usr/bin/env bash
# Fuzz the record parser and the gzip reader with libFuzzer (swiftc -sanitize=fuzzer,address).
#
# Usage: scripts/fuzz.sh [TARGET] [SECONDS]
#   TARGET   record | gzip | all     (default all: the targets one after the other)
#   SECONDS  fuzzing time per target (default 60); 0 runs each committed corpus input once
#            and stops (the regression tests)
#
# 1. Builds into .build-fuzz/ (gitignored), outside SwiftPM: BCECore as a static library and
#    module with -enable-testing, then one executable per target —
#      record: Fuzz/FuzzInput.swift Fuzz/RecordParserFuzz.swift + libBCECore.a
#      gzip:   Fuzz/FuzzInput.swift Fuzz/GzipReaderFuzz.swift Sources/BCEIO/*.swift
#              (compiled as module BCEIO, so internal PrefixedSource is visible) + libBCECore.a
#              + Sources/CCRC32 (compiled by clang with -fsanitize=address, and given the
#              module map SwiftPM would generate for its header)
#    all with -parse-as-library -sanitize=fuzzer,address -O -g, from a snapshot of Sources/ in
#    .build-fuzz/sources/. A binary is rebuilt when its sources (or the flags) changed.
# 2. Runs libFuzzer on .build-fuzz/corpus/TARGET/ (the working corpus, kept between runs) and
#    the committed seeds and regressions in Fuzz/corpus/TARGET/, with the dictionary
#    Fuzz/TARGET.dict, -max_total_time=SECONDS -timeout=10 -rss_limit_mb=2048.
# 3. Exits 1 on any crash, violated invariant, timeout, out-of-memory or sanitizer report; the
#    input is in .build-fuzz/artifacts/TARGET/ and the log in .build-fuzz/logs/TARGET.log.
#    Keep a reproducer as Fuzz/corpus/TARGET/bug-NAME (see Fuzz/README.md). A replay (SECONDS
#    0) stops at the first input that fails.
#
# Environment:
#   BCE_FUZZ_KNOWN_BUGS=a,b   tolerate these known bugs (names in Fuzz/README.md) until fixed
#   FUZZ_ARGS="..."           more libFuzzer flags, e.g. "-jobs=2 -workers=2" or "-seed=1"
#
# Reproduce one input: .build-fuzz/record-fuzz FILE   (SWIFT_BACKTRACE=enable=no as below)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${1:-all}
SECONDS_PER_TARGET=${2:-60}
BUILD=$ROOT/.build-fuzz
FLAGS=(-parse-as-library -sanitize=fuzzer,address -O -g -swift-version 6)

die() {
  echo "fuzz.sh: $*" >&2
  exit 2
}

case $TARGET in
  record | gzip) TARGETS=("$TARGET") ;;
  all) TARGETS=(record gzip) ;;
  *) die "TARGET must be record, gzip or all, not '$TARGET'" ;;
esac
[[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]] || die "SECONDS must be a whole number, not '$SECONDS_PER_TARGET'"
command -v swiftc > /dev/null || die "swiftc is not on PATH"

# The Swift runtime's crash backtracer would take over libFuzzer's crash handling (and wait
# for a terminal); libFuzzer prints the stack itself.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-handle_abort=1}

# Runs swiftc, hiding gold's harmless "Cannot export local symbol '__asan_...'" warnings.
compile() {
  local status=0
  swiftc "$@" > "$BUILD/compile.log" 2>&1 || status=$?
  grep -v "Cannot export local symbol" "$BUILD/compile.log" >&2 || true
  return $status
}

# stale OUTPUT INPUT...: whether OUTPUT is missing or was built from other inputs (their
# names and contents, and the flags, are hashed into OUTPUT.stamp).
stale() {
  local output=$1
  shift
  local hash
  hash=$( (echo "${FLAGS[*]}" "$@" && cat "$@") | sha256sum | cut -d' ' -f1)
  [[ -e $output && -e $output.stamp && $(cat "$output.stamp") == "$hash" ]] && return 1
  echo "$hash" > "$output.stamp.next"
  return 0
}

# built OUTPUT: records the inputs OUTPUT was just built from.
built() {
  mv "$1.stamp.next" "$1.stamp"
}

build() {
  mkdir -p "$BUILD/modules" "$BUILD/objects" "$BUILD/sources"
  # A snapshot of the sources (times kept), so that edits made during a build do not break it.
  for module in BCECore BCEIO CZlib CCRC32; do
    rm -rf "$BUILD/sources/$module.new"
    cp -pR "$ROOT/Sources/$module" "$BUILD/sources/$module.new"
    rm -rf "$BUILD/sources/$module"
    mv "$BUILD/sources/$module.new" "$BUILD/sources/$module"
  done
  local core=("$BUILD"/sources/BCECore/*.swift)
  if stale "$BUILD/libBCECore.a" "${core[@]}"; then
    echo "== building BCECore (instrumented)"
    (cd "$BUILD/objects" && compile "${FLAGS[@]}" -enable-testing -module-name BCECore \
      -emit-module -emit-module-path "$BUILD/modules/BCECore.swiftmodule" \
      -emit-library -static -o "$BUILD/libBCECore.a" "${core[@]}")
    built "$BUILD/libBCECore.a"
  fi
  local common=("$ROOT/Fuzz/FuzzInput.swift")
  # The tests' fsum reference, shared rather than copied.
  local record=("$ROOT/Fuzz/RecordParserFuzz.swift" "$ROOT/Tests/Support/FsumReference.swift")
  if [[ " ${TARGETS[*]} " == *" record "* ]] &&
    stale "$BUILD/record-fuzz" "$BUILD/libBCECore.a" "${common[@]}" "${record[@]}"; then
    echo "== building record-fuzz"
    (cd "$BUILD/objects" && compile "${FLAGS[@]}" -module-name RecordParserFuzz \
      -I "$BUILD/modules" "${common[@]}" "${record[@]}" \
      "$BUILD/libBCECore.a" -o "$BUILD/record-fuzz")
    built "$BUILD/record-fuzz"
  fi
  local io=("$BUILD"/sources/BCEIO/*.swift)
  if [[ " ${TARGETS[*]} " == *" gzip "* ]] &&
    stale "$BUILD/gzip-fuzz" "$BUILD/libBCECore.a" "${common[@]}" "${io[@]}" \
      "$ROOT/Fuzz/GzipReaderFuzz.swift" "$BUILD"/sources/CZlib/* "$BUILD"/sources/CCRC32/*.c \
      "$BUILD"/sources/CCRC32/include/*; then
    echo "== building gzip-fuzz"
    # The C target CCRC32, as SwiftPM builds it: its object, and a module map for its header.
    local crc=$BUILD/sources/CCRC32
    printf 'module CCRC32 {\n  header "bce_crc32.h"\n  export *\n}\n' > "$crc/include/module.modulemap"
    clang -O2 -fsanitize=address -I "$crc/include" -c "$crc"/*.c -o "$BUILD/objects/crc32_fold.o"
    (cd "$BUILD/objects" && compile "${FLAGS[@]}" -module-name BCEIO \
      -I "$BUILD/modules" -I "$BUILD/sources/CZlib" -I "$crc/include" "${common[@]}" \
      "$ROOT/Fuzz/GzipReaderFuzz.swift" "${io[@]}" "$BUILD/objects/crc32_fold.o" \
      "$BUILD/libBCECore.a" -lz -o "$BUILD/gzip-fuzz")
    built "$BUILD/gzip-fuzz"
  fi
}

# run TARGET: fuzzes (or replays) one target; returns non-zero on any finding.
run() {
  local target=$1
  local binary=$BUILD/$target-fuzz
  local seeds=$ROOT/Fuzz/corpus/$target
  local log=$BUILD/logs/$target.log
  mkdir -p "$BUILD/corpus/$target" "$BUILD/artifacts/$target" "$BUILD/logs"
  local options=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$BUILD/artifacts/$target/")
  local status=0
  if ((SECONDS_PER_TARGET == 0)); then
    echo "== $target: replaying $(ls "$seeds" | wc -l) corpus inputs"
    # shellcheck disable=SC2086
    (cd "$BUILD/logs" && "$binary" "${options[@]}" ${FUZZ_ARGS:-} "$seeds"/*) > "$log" 2>&1 ||
      status=$?
  else
    echo "== $target: fuzzing for $SECONDS_PER_TARGET s (log: $log)"
    # In .build-fuzz/logs/, where libFuzzer's -jobs writes its fuzz-N.log files.
    # shellcheck disable=SC2086
    (cd "$BUILD/logs" && "$binary" "${options[@]}" -max_total_time="$SECONDS_PER_TARGET" \
      -print_final_stats=1 -dict="$ROOT/Fuzz/$target.dict" ${FUZZ_ARGS:-} \
      "$BUILD/corpus/$target" "$seeds") > "$log" 2>&1 || status=$?
  fi
  if ((status != 0)) || grep -qE "ERROR: (libFuzzer|AddressSanitizer)|invariant violated" "$log"; then
    echo "fuzz.sh: $target: FAILED (status $status); the end of $log:" >&2
    tail -n 60 "$log" >&2
    return 1
  fi
  if ((SECONDS_PER_TARGET == 0)); then
    echo "$target: $(grep -c '^Executed ' "$log") inputs, no finding"
  else
    grep -E "^(#[0-9]+\s+DONE|Done [0-9]+ runs)|stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added" "$log" || true
    echo "$target: no finding; working corpus: $(ls "$BUILD/corpus/$target" | wc -l) files"
  fi
}

cd "$ROOT"
build
failed=0
for target in "${TARGETS[@]}"; do
  run "$target" || failed=1
done
exit $failed
