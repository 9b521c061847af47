#!/usr/bin/env bash
# The GitHub side of deploys, as code (`make github-setup`; docs/devops.md, "GitHub environments
# and deploys"):
#   - environments dev (any branch), staging and prod (branch main only);
#   - required reviewers on prod, or, where the repository's plan has none, a ruleset that lets
#     main change only through pull requests that the code owners approved;
#   - the variables the workflows read: AWS_ACCOUNT_ID and AWS_REGION per environment,
#     AWS_TOOLING_ACCOUNT_ID and AWS_REGION for the repository, DEPLOY_ENABLED when asked.
# It converges: running it again changes nothing that is already right. The Makefile passes the
# settings below as environment variables.
set -euo pipefail

: "${PROJECT:?}" "${REPOSITORY:?}" "${AWS_REGION:?}" "${AWS_TOOLING_ACCOUNT_ID:?}"
: "${AWS_ACCOUNT_ID_DEV:?}" "${AWS_ACCOUNT_ID_STAGING:?}" "${AWS_ACCOUNT_ID_PROD:?}"
REVIEWERS="${REVIEWERS:-}"
ENABLE_DEPLOY="${ENABLE_DEPLOY:-}"
ENABLE_PYPI="${ENABLE_PYPI:-}"
PREVENT_SELF_REVIEW="${PREVENT_SELF_REVIEW:-}"

case "${ENABLE_DEPLOY}" in
  '' | 0 | 1) ;;
  *) printf 'github-setup: ENABLE_DEPLOY must be 1 or 0, not %s\n' "${ENABLE_DEPLOY}" >&2; exit 2 ;;
esac

RULESET="${PROJECT}-main-code-owner-review"
API_ERROR="$(mktemp)"
trap 'rm -f "${API_ERROR}"' EXIT

say() { printf '%s\n' "$*"; }
fail() {
  printf 'github-setup: %s\n' "$*" >&2
  exit 1
}

# api METHOD PATH [BODY [JQ]]: gh api with a JSON body on stdin; GitHub's error stays in API_ERROR
# (gh prints "gh: <message> (HTTP <status>)" there) for the caller to read.
api() {
  local method=$1 path=$2 body=${3:-} jq=${4:-}
  local args=(api --method "${method}" "${path}")
  if [ -n "${jq}" ]; then args+=(--jq "${jq}"); fi
  if [ -n "${body}" ]; then
    printf '%s' "${body}" | gh "${args[@]}" --input - 2>"${API_ERROR}"
  else
    gh "${args[@]}" 2>"${API_ERROR}"
  fi
}

api_status() { grep -o 'HTTP [0-9]*' "${API_ERROR}" | tail -n 1 | cut -d ' ' -f 2; }
api_message() { sed -e 's/^gh: //' "${API_ERROR}" | head -n 1; }

account_of() {
  case "$1" in
    dev) say "${AWS_ACCOUNT_ID_DEV}" ;;
    staging) say "${AWS_ACCOUNT_ID_STAGING}" ;;
    prod) say "${AWS_ACCOUNT_ID_PROD}" ;;
  esac
}

# The reviewers of prod as the API's JSON list: logins are users, org/slug names are teams.
reviewers_json() {
  local names=${REVIEWERS} name found kind id entries=()
  if [ -z "${names}" ]; then
    names="$(api GET user '' .login)" || fail "gh is not logged in: run gh auth login"
    say "prod reviewers: ${names} (you; pass REVIEWERS=user,org/team to choose)" >&2
  fi
  IFS=',' read -r -a list <<<"${names}"
  if [ "${#list[@]}" -gt 6 ]; then fail "GitHub allows at most 6 reviewers, REVIEWERS names ${#list[@]}"; fi
  for name in "${list[@]}"; do
    if [[ ! ${name} =~ ^[A-Za-z0-9-]+(/[A-Za-z0-9._-]+)?$ ]]; then
      fail "reviewer '${name}' is neither a user login nor an org/team name"
    fi
    if [[ ${name} == */* ]]; then
      id="$(api GET "orgs/${name%%/*}/teams/${name#*/}" '' .id)" || fail "team ${name}: $(api_message)"
      entries+=("{\"type\":\"Team\",\"id\":${id}}")
    else
      found="$(api GET "users/${name}" '' '"\(.type) \(.id)"')" || fail "user ${name}: $(api_message)"
      read -r kind id <<<"${found}"
      if [ "${kind}" != User ]; then
        fail "reviewer ${name} is an ${kind}: name a user or a team (REVIEWERS=${name}/<team>)"
      fi
      entries+=("{\"type\":\"User\",\"id\":${id}}")
    fi
  done
  local IFS=,
  say "[${entries[*]}]"
}

# Creates or updates one environment; for prod, returns 3 when the plan refuses required reviewers.
put_environment() {
  local env=$1 reviewers=${2:-} policy body
  if [ "${env}" = dev ]; then
    policy=null
  else
    policy='{"protected_branches":false,"custom_branch_policies":true}'
  fi
  body="{\"deployment_branch_policy\":${policy}"
  if [ -n "${reviewers}" ]; then
    local self=false
    if [ "${PREVENT_SELF_REVIEW}" = 1 ]; then self=true; fi
    body+=",\"reviewers\":${reviewers},\"prevent_self_review\":${self}"
  fi
  body+="}"
  if api PUT "repos/${REPOSITORY}/environments/${env}" "${body}" >/dev/null; then return 0; fi
  # GitHub answers 422 "Failed to create the environment protection rule. Please ensure the
  # billing plan supports the required reviewers protection rule." for private repositories
  # outside GitHub Enterprise.
  if [ -n "${reviewers}" ] && [ "$(api_status)" = 422 ] && grep -q 'billing plan' "${API_ERROR}"; then
    return 3
  fi
  local hint="You need admin rights on ${REPOSITORY}."
  if [ "${visibility}" != public ]; then
    hint+=" GitHub Free offers environments to public repositories only: make the repository
  public, or use GitHub Pro, Team or Enterprise (docs/devops.md, \"GitHub environments and deploys\")."
  fi
  fail "could not create the environment ${env}: $(api_message)
  ${hint}"
}

# restrict_deployments ENVIRONMENT TYPE NAME: deployments only from that branch (or tag) pattern;
# adds the policy, removes any other.
restrict_deployments() {
  local env=$1 type=$2 pattern=$3 path="repos/${REPOSITORY}/environments/$1/deployment-branch-policies"
  local policies id kind name found=no
  policies="$(api GET "${path}" '' '.branch_policies[] | "\(.id) \(.type) \(.name)"')" \
    || fail "${env}: $(api_message)"
  while read -r id kind name; do
    [ -n "${id}" ] || continue
    if [ "${kind}" = "${type}" ] && [ "${name}" = "${pattern}" ]; then
      found=yes
    else
      api DELETE "${path}/${id}" >/dev/null || fail "${env}: could not remove the policy ${name}: $(api_message)"
      say "  ${env}: removed the deployment policy ${kind} ${name}"
    fi
  done <<<"${policies}"
  if [ "${found}" = no ]; then
    api POST "${path}" "{\"name\":\"${pattern}\",\"type\":\"${type}\"}" >/dev/null || fail "${env}: $(api_message)"
  fi
}

set_variable() {  # set_variable NAME VALUE [ENVIRONMENT]
  local scope=(--repo "${REPOSITORY}")
  if [ -n "${3:-}" ]; then scope+=(--env "$3"); fi
  gh variable set "$1" --body "$2" "${scope[@]}" >/dev/null || fail "could not set variable $1"
  say "  ${3:-repository} variable $1=$2"
}

# Fallback gate: main takes only pull requests with an approving review of the code owners, no
# force pushes, no deletion. A ruleset of this name is updated in place; other rulesets stay.
apply_code_owner_ruleset() {
  local body id
  body="{\"name\":\"${RULESET}\",\"target\":\"branch\",\"enforcement\":\"active\",\"bypass_actors\":[],"
  body+='"conditions":{"ref_name":{"include":["~DEFAULT_BRANCH"],"exclude":[]}},'
  body+='"rules":[{"type":"deletion"},{"type":"non_fast_forward"},{"type":"pull_request","parameters":'
  body+='{"required_approving_review_count":1,"dismiss_stale_reviews_on_push":true,'
  body+='"require_code_owner_review":true,"require_last_push_approval":true,'
  body+='"required_review_thread_resolution":false}}]}'
  id="$(api GET "repos/${REPOSITORY}/rulesets" '' ".[] | select(.name == \"${RULESET}\") | .id")" \
    || fail "could not read the rulesets: $(api_message)"
  if [ -n "${id}" ]; then
    api PUT "repos/${REPOSITORY}/rulesets/${id}" "${body}" >/dev/null || return 1
    say "  updated ruleset ${RULESET} on the default branch"
  else
    api POST "repos/${REPOSITORY}/rulesets" "${body}" >/dev/null || return 1
    say "  created ruleset ${RULESET} on the default branch"
  fi
}

visibility="$(api GET "repos/${REPOSITORY}" '' .visibility)" \
  || fail "repository ${REPOSITORY} not found or not readable: $(api_message)
  Create it (gh repo create ${REPOSITORY}) and log in with admin rights (gh auth login)."
say "Repository ${REPOSITORY} (${visibility})"

reviewers="$(reviewers_json)"
gate=reviewers
for env in dev staging prod; do
  if [ "${env}" = prod ]; then
    put_environment prod "${reviewers}" || {
      [ $? -eq 3 ] || exit 1
      gate=code-owners
      put_environment prod
    }
  else
    put_environment "${env}"
  fi
  if [ "${env}" = dev ]; then
    say "environment dev: deploys from any branch"
  else
    restrict_deployments "${env}" branch main
    say "environment ${env}: deploys from main only"
  fi
  set_variable AWS_ACCOUNT_ID "$(account_of "${env}")" "${env}"
  set_variable AWS_REGION "${AWS_REGION}" "${env}"
done

if [ "${gate}" = reviewers ]; then
  say "prod: required reviewers ${REVIEWERS:-(you)} approve each deployment"
else
  say "prod: this repository's plan offers no required reviewers (GitHub answered 422):"
  say "  GitHub Free, Pro and Team have them for public repositories only. Fallback: prod deploys"
  say "  from main only, and main changes only through pull requests the code owners approve"
  say "  (.github/CODEOWNERS)."
  apply_code_owner_ruleset || fail "could not create the ruleset ${RULESET}: $(api_message)
  Without required reviewers or rulesets nothing gates prod: deploys stay disabled. Use GitHub
  Pro or Team (rulesets) or Enterprise (required reviewers), or make the repository public."
  codeowner_errors="$(api GET "repos/${REPOSITORY}/codeowners/errors" '' '.errors | length' || echo 0)"
  if [ "${codeowner_errors}" != 0 ]; then
    say "  warning: GitHub finds ${codeowner_errors} error(s) in .github/CODEOWNERS: name users or"
    say "  teams with write access there, or no pull request can be approved"
  fi
fi

say "repository variables:"
set_variable AWS_TOOLING_ACCOUNT_ID "${AWS_TOOLING_ACCOUNT_ID}"
set_variable AWS_REGION "${AWS_REGION}"

if [ "${ENABLE_PYPI}" = 1 ]; then
  api PUT "repos/${REPOSITORY}/environments/pypi" \
    '{"deployment_branch_policy":{"protected_branches":false,"custom_branch_policies":true}}' \
    >/dev/null || fail "could not create the environment pypi: $(api_message)"
  restrict_deployments pypi tag 'v*'
  say "environment pypi: publishes from v* tags only (add the trusted publisher on PyPI)"
  set_variable PYPI_PUBLISH true
fi

case "${ENABLE_DEPLOY}" in
  1)
    set_variable DEPLOY_ENABLED true
    say "Deploys are enabled: pushes to main deploy dev, then staging, then prod."
    ;;
  0)
    set_variable DEPLOY_ENABLED false
    say "Deploys are disabled: jobs that need AWS are skipped."
    ;;
  *)
    say "DEPLOY_ENABLED left as it is. Once the bootstrap stack is deployed in every account"
    say "(docs/devops.md), run: make github-setup ENABLE_DEPLOY=1"
    ;;
esac
