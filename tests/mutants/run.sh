#!/usr/bin/env bash
# The mutation check: can the tests fail? Each tests/mutants/NAME.patch breaks one area of src/ on purpose
# (the /admin key check removed, an error mapping changed, the cap not applied, ...). For each one this
# applies it to a temporary copy of the tree, builds, runs the tests its header names, and says whether
# at least one of them failed (the mutant is killed) or none did (it SURVIVED: that area is untested).
#
#   tests/mutants/run.sh [--no-baseline] [--keep] [NAME...]     (default: every patch)
#
# A patch starts with "# kill-with: FILTER" (a dotnet test --filter) and "# breaks: what it breaks",
# then a diff of src/ against the tree's root (git diff -U1 keeps it applicable after nearby edits).
# First, the baseline: every selected filter on the unbroken copy, so a test that already fails there
# is never taken as a kill. --no-baseline skips it (faster, less sure). --keep keeps the copy and the logs.
# Prints a table (mutant, filter, result, failing tests) and exits non-zero if any mutant was not
# killed: SURVIVED, NO TESTS (the filter matched none), or a patch that no longer applies or builds.
# Needs what scripts/test.sh needs; uses LLMGW_LLAMA_BIN, LLMGW_LLAMA_SRC, LLMGW_TEST_MODEL and
# LLMGW_LAUNCHER when set, else runs the (cached) native scripts as scripts/test.sh does.
# Slow (a build and a test run per mutant): not part of scripts/test.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/native/common.sh"
started=$SECONDS

baseline=1 keep=0 names=()
for arg in "$@"; do
  case $arg in
    --no-baseline) baseline=0 ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $arg (see --help)" ;;
    *) names+=("${arg%.patch}") ;;
  esac
done
if ((${#names[@]} == 0)); then
  for patch in "$root"/tests/mutants/*.patch; do names+=("$(basename "$patch" .patch)"); done
fi
declare -A filter breaks
for name in "${names[@]}"; do
  patch="$root/tests/mutants/$name.patch"
  [[ -f "$patch" ]] || die "no mutant $name (tests/mutants/$name.patch)"
  filter[$name]=$(sed -n 's/^# kill-with: *//p' "$patch" | head -n 1)
  breaks[$name]=$(sed -n 's/^# breaks: *//p' "$patch" | head -n 1)
  [[ -n "${filter[$name]}" ]] || die "tests/mutants/$name.patch has no '# kill-with: FILTER' line"
done

command -v dotnet >/dev/null || die "the .NET 10 SDK is required: https://dot.net"
require_tools python3
: "${LLMGW_LLAMA_BIN:=$("$root/native/build-llama.sh")}"
: "${LLMGW_LLAMA_SRC:=$("$root/native/fetch-llama-source.sh")}"
: "${LLMGW_TEST_MODEL:=$("$root/scripts/synthetic-model.sh" tiny)}"
: "${LLMGW_TEST_MODEL_WIDE:=$("$root/scripts/synthetic-model.sh" tiny-wide)}"
: "${LLMGW_LAUNCHER:=$("$root/native/build-launcher.sh")}"
export LLMGW_LLAMA_BIN LLMGW_LLAMA_SRC LLMGW_TEST_MODEL LLMGW_TEST_MODEL_WIDE LLMGW_LAUNCHER

work=$(mktemp -d "${TMPDIR:-/tmp}/llmgw-mutants.XXXXXX")
cleanup() { if ((keep)); then log "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
tree="$work/tree" logs="$work/logs"
mkdir -p "$tree" "$logs"
# The tree as it is now, uncommitted changes included, without bin/ and obj/ (ignored files).
(cd "$root" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -C "$tree" -xf -
log "copied the tree to $tree (${#names[@]} mutant(s))"

# Mutants break behaviour, not style: analyzer warnings (an unused using the patch leaves) must not
# stop the build that carries the mutant.
build() {
  dotnet build "$tree/tests/LlmGateway.Tests" -c Release --nologo -v quiet -clp:ErrorsOnly \
    -p:TreatWarningsAsErrors=false -p:EnforceCodeStyleInBuild=false >"$1" 2>&1
}

# run_tests FILTER DIR: the filtered tests of the built copy, results as DIR/results.trx. A hung test is
# stopped after 20 min and counts as failed (a mutant that makes a test hang is detected).
run_tests() {
  dotnet test "$tree/tests/LlmGateway.Tests" -c Release --no-build --nologo --filter "$1" \
    --results-directory "$2" --logger "trx;LogFileName=results.trx" --blame-hang-timeout 20m \
    >"$2/test.log" 2>&1 || true
}

# trx_read DIR: "total failed" then the names of the failed tests, one a line.
trx_read() {
  python3 - "$1/results.trx" <<'EOF'
import sys, xml.etree.ElementTree as ET
try:
    doc = ET.parse(sys.argv[1])
except (OSError, ET.ParseError):
    print("0 0"); sys.exit()
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
results = doc.findall(".//t:UnitTestResult", ns)
failed = [r.get("testName") for r in results if r.get("outcome") == "Failed"]
print(len(results), len(failed))
print("\n".join(failed))
EOF
}

# short_names NAME...: Class.Method of each failed test, the cases of one theory counted once ("(x3)"),
# the first three of them and how many more.
short_names() {
  printf '%s\n' "$@" | sed -E 's/\(.*//; s/^([A-Za-z0-9_]+\.)*([A-Za-z0-9_]+\.[A-Za-z0-9_]+)$/\2/' | awk '
    { if (!($0 in n)) order[++k] = $0; n[$0]++ }
    END {
      for (i = 1; i <= k && i <= 3; i++) printf "%s%s%s", (i > 1 ? "; " : ""), order[i], (n[order[i]] > 1 ? " (x" n[order[i]] ")" : "")
      if (k > 3) printf " and %d more", k - 3
    }'
}

mkdir -p "$logs/baseline"
log "building the unbroken copy"
build "$logs/baseline/build.log" || { cat "$logs/baseline/build.log" >&2; die "the unbroken tree does not build"; }
declare -A known_failures=()
if ((baseline)); then
  union=""
  for name in "${names[@]}"; do union+="${union:+|}(${filter[$name]})"; done
  log "baseline: every selected filter on the unbroken copy"
  run_tests "$union" "$logs/baseline"
  { read -r total nfailed; mapfile -t failing; } < <(trx_read "$logs/baseline")
  log "baseline: $total test(s), $nfailed failed"
  ((total > 0)) || { cat "$logs/baseline/test.log" >&2; die "the baseline ran no test"; }
  for t in "${failing[@]}"; do
    [[ -n "$t" ]] || continue
    known_failures[$t]=1
    log "baseline failure, not counted as a kill: $t"
  done
fi

declare -A result failures
i=0
for name in "${names[@]}"; do
  i=$((i + 1))
  patch="$root/tests/mutants/$name.patch" dir="$logs/$name"
  mkdir -p "$dir"
  log "[$i/${#names[@]}] $name: ${breaks[$name]}"
  if ! (cd "$tree" && git apply --check "$patch") 2>"$dir/apply.log"; then
    result[$name]="NOT APPLIED"; failures[$name]="$(head -n 1 "$dir/apply.log")"
    log "  the patch does not apply: $(head -n 1 "$dir/apply.log")"
    continue
  fi
  (cd "$tree" && git apply "$patch")
  if ! build "$dir/build.log"; then
    result[$name]="BUILD FAILED"; failures[$name]="$(grep -m 1 'error' "$dir/build.log" || true)"
    log "  the mutant does not build: ${failures[$name]}"
  else
    run_tests "${filter[$name]}" "$dir"
    { read -r total nfailed; mapfile -t failing; } < <(trx_read "$dir")
    killers=()
    for t in "${failing[@]}"; do [[ -n "$t" && -z "${known_failures[$t]:-}" ]] && killers+=("$t"); done
    if ((total == 0)); then
      result[$name]="NO TESTS"; failures[$name]="the filter matched no test"
    elif ((${#killers[@]} > 0)); then
      result[$name]="killed"; failures[$name]=$(short_names "${killers[@]}")
    else
      result[$name]="SURVIVED"; failures[$name]="$total test(s) ran, none failed"
    fi
    log "  ${result[$name]}: ${failures[$name]}"
  fi
  (cd "$tree" && git apply -R "$patch")
done

log "finished in $((SECONDS - started)) s"
echo "| mutant | filter | result | failing tests |"
echo "| --- | --- | --- | --- |"
bad=0
for name in "${names[@]}"; do
  # "|" splits a Markdown table's cells even between backquotes: escaped.
  echo "| $name | \`${filter[$name]//|/\\|}\` | ${result[$name]} | ${failures[$name]//|/\\|} |"
  [[ ${result[$name]} == killed ]] || bad=$((bad + 1))
done
echo "mutants: $(( ${#names[@]} - bad )) killed, $bad not killed"
((bad == 0))
