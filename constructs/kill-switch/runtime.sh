# --- agentguard kill-switch runtime (constructs/kill-switch/runtime.sh), the same in every script ---
# No `set -e`: every step must run even when an earlier one fails; failures are counted instead.

# Bash 5.2 would treat `&` in a ${var//pattern/replacement} replacement as the match.
shopt -u patsub_replacement 2>/dev/null || true

KUBECTL=${KUBECTL:-kubectl}
DRY_RUN=0
ENGAGED_BY=${AGENTGUARD_ENGAGED_BY:-}
REASON=${AGENTGUARD_REASON:-}
STEP_TITLES=()
STEP_RESULTS=()
STEP_OK=1

usage() {
  cat <<USAGE
Usage: $SCRIPT_NAME --by WHO --reason WHY [--dry-run]

Emergency kill switch of agent $AGENT (namespace $NAMESPACE, fleet $FLEET).
Runs every step even when one fails, prints which succeeded, exits 1 if any failed.
Running it again is safe.

  --by WHO       who engages the switch (or AGENTGUARD_ENGAGED_BY)
  --reason WHY   why (or AGENTGUARD_REASON)
  --dry-run      print every command and run none
  -h, --help     this help

Environment: KUBECTL (default kubectl); VAULT_ADDR, VAULT_TOKEN for the Vault step.
USAGE
}

usage_error() {
  printf '%s: %s\n\n' "$SCRIPT_NAME" "$1" >&2
  usage >&2
  exit 2
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --by)
        [ $# -ge 2 ] || usage_error '--by needs a value'
        ENGAGED_BY=$2
        shift 2
        ;;
      --by=*)
        ENGAGED_BY=${1#--by=}
        shift
        ;;
      --reason)
        [ $# -ge 2 ] || usage_error '--reason needs a value'
        REASON=$2
        shift 2
        ;;
      --reason=*)
        REASON=${1#--reason=}
        shift
        ;;
      --dry-run)
        DRY_RUN=1
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) usage_error "unknown argument: $(printf '%q' "$1")" ;;
    esac
  done
  [ -n "$ENGAGED_BY" ] || usage_error 'who engages the switch is missing: give --by WHO (or AGENTGUARD_ENGAGED_BY)'
  [ -n "$REASON" ] || usage_error 'the reason is missing: give --reason WHY (or AGENTGUARD_REASON)'
}

# A JSON string literal holding $1 exactly: backslash and quote escaped, every control character as
# an escape, so a reason can never break out of the patch it is put in.
json_string() {
  local s=$1 bs='\' q='"' i c hex
  s=${s//"$bs"/"$bs$bs"}
  s=${s//"$q"/"$bs$q"}
  s=${s//$'\n'/"${bs}n"}
  s=${s//$'\r'/"${bs}r"}
  s=${s//$'\t'/"${bs}t"}
  for i in {1..8} 11 12 {14..31}; do
    printf -v hex '%02x' "$i"
    printf -v c "\\x$hex"
    s=${s//"$c"/"${bs}u00$hex"}
  done
  printf '"%s"' "$s"
}

# One word as the shell would read it back: bare when plain, in single quotes when it holds no
# control characters, else bash's $'...' form.
quote_word() {
  local w=$1 sq="'"
  if [[ $w =~ ^[A-Za-z0-9_@%+:,./=-]+$ ]]; then
    printf '%s' "$w"
  elif [[ $w == *[[:cntrl:]]* ]]; then
    printf '%q' "$w"
  else
    printf "'%s'" "${w//"$sq"/"$sq\\$sq$sq"}"
  fi
}

# Prints a command as it will run, quoted so it can be copied and run by hand.
show() {
  local w
  printf '+'
  for w in "$@"; do printf ' %s' "$(quote_word "$w")"; done
  printf '\n'
}

run() {
  show "$@"
  [ "$DRY_RUN" = 1 ] && return 0
  "$@" || failed "$1 exited $?"
}

failed() {
  STEP_OK=0
  printf '  failed: %s\n' "$1" >&2
}

note() {
  printf '  %s\n' "$1"
}

begin_step() {
  STEP_OK=1
  STEP_TITLES+=("$1")
  printf '==> step %d/%d: %s\n' "${#STEP_TITLES[@]}" "$STEP_COUNT" "$1"
}

end_step() {
  STEP_RESULTS+=("$STEP_OK")
}

# One Vault API call (deleting a role, revoking a lease prefix). The token goes to curl through a file
# descriptor, never on its command line (which other users of the machine could read), and is never
# printed.
vault_call() {
  local method=$1 path=$2 policy=$3 url
  url="${VAULT_ADDR%/}/v1/$path"
  printf '+ curl --request %s --header "X-Vault-Token: $VAULT_TOKEN" %q\n' "$method" "$url"
  [ "$DRY_RUN" = 1 ] && return 0
  if [ -z "${VAULT_TOKEN:-}" ]; then
    failed "VAULT_TOKEN is not set: export a token carrying the Vault policy $policy (nothing else is needed)"
    return
  fi
  curl --silent --show-error --fail-with-body --max-time 30 --request "$method" \
    --header @<(printf 'X-Vault-Token: %s\n' "$VAULT_TOKEN"; [ -z "${VAULT_NAMESPACE:-}" ] || printf 'X-Vault-Namespace: %s\n' "$VAULT_NAMESPACE") \
    "$url" || failed "curl exited $? on $method $path"
}

summary() {
  local i failures=0 mark
  printf '\nkill switch of agent %s (%s):\n' "$AGENT" "$NAMESPACE"
  for i in "${!STEP_TITLES[@]}"; do
    if [ "${STEP_RESULTS[$i]}" = 1 ]; then mark='ok    '; else
      mark='FAILED'
      failures=$((failures + 1))
    fi
    printf '  %s  %d. %s\n' "$mark" "$((i + 1))" "${STEP_TITLES[$i]}"
  done
  if [ "$DRY_RUN" = 1 ]; then
    printf 'dry run: nothing was changed.\n'
  elif [ "$failures" -gt 0 ]; then
    printf '%d of %d steps FAILED; fix the cause and run the script again (it is safe to repeat).\n' "$failures" "${#STEP_TITLES[@]}"
  else
    printf 'all %d steps succeeded.\n' "${#STEP_TITLES[@]}"
  fi
  cat <<NEXT

Next: engage the switch in the fleet too, or GitOps (Argo CD / Flux self-heal) will undo this:
  set killSwitch: {state: engaged, engagedBy: ..., reason: ...} on agent $AGENT, synth, and merge.
NEXT
  [ "$failures" -eq 0 ]
}

main() {
  export LC_ALL=C
  parse_args "$@"
  ENGAGED_BY_JSON=$(json_string "$ENGAGED_BY")
  REASON_JSON=$(json_string "$REASON")
  [ "$DRY_RUN" = 1 ] && printf 'dry run: printing every command, running none.\n'
  steps
  summary || exit 1
}
