# Cases of a shell test suite: what each case prints, and the counts scripts/test.sh adds to its
# closing line. Sourced by tests/native/launcher-test.sh and tests/deploy/deploy-test.sh, not run.
# shellcheck shell=bash
#
#   ok NAME             a case passed                      prints "ok - NAME"
#   not_ok NAME         a case failed                      prints "not ok - NAME"
#   skip NAME REASON    a case this platform cannot run    prints "skip NAME: REASON"
#   finish_cases        the suite ran to its end: prints "SUITE: N passed, M failed, K skipped" and
#                       exits 1 if any case failed
#   cases_exit STATUS   call last in the suite's EXIT trap with the status it exits with: a suite that
#                       stops before finish_cases (set -e, a missing tool) counts one more failure and
#                       exits non-zero, so it can never look clean
#
# A skip is only for a platform limitation (a Linux-only case on macOS); a missing tool or file is a
# failure, never a skip, so that a machine without it cannot pass by testing less.
#
# When LLMGW_TEST_COUNTS names a file, the counts are also written there, one "name=value" a line
# (passed, failed, skipped), for scripts/test.sh to add up.

cases_suite=$(basename "$0" .sh)
cases_passed=0 cases_failed=0 cases_skipped=0 cases_finished=0

ok() { echo "ok - $*"; cases_passed=$((cases_passed + 1)); }
not_ok() { echo "not ok - $*"; cases_failed=$((cases_failed + 1)); }
skip() { echo "skip $1: $2"; cases_skipped=$((cases_skipped + 1)); }

cases_report() {
  echo "$cases_suite: $cases_passed passed, $cases_failed failed, $cases_skipped skipped"
  if [[ -n ${LLMGW_TEST_COUNTS:-} ]]; then
    printf 'passed=%d\nfailed=%d\nskipped=%d\n' "$cases_passed" "$cases_failed" "$cases_skipped" >"$LLMGW_TEST_COUNTS"
  fi
}

finish_cases() {
  cases_finished=1
  cases_report
  ((cases_failed == 0)) || exit 1
  exit 0
}

cases_exit() {
  ((cases_finished)) && return 0
  not_ok "the suite stopped before its end (exit status $1); the cases after this point did not run"
  cases_report
  exit $(($1 == 0 ? 1 : $1))
}
