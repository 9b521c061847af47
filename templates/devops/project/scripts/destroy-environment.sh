#!/usr/bin/env bash
# Tear one environment down (`make destroy ENV=<env>`; docs/devops.md, "Tearing an environment
# down"): delete the stacks the layers declare for it ($PROJECT-<env>-<name>, highest layer first),
# wait for each, and report what CloudFormation kept (resources with DeletionPolicy Retain, such
# as the data lake's buckets and key). prod needs CONFIRM=$PROJECT-prod. The per-account bootstrap
# stack stays: it holds the identities of the other environments too.
# The Makefile passes the settings below as environment variables; STACKS holds the layers'
# <layer number>:<name> entries.
set -euo pipefail

: "${PROJECT:?}" "${ENVIRONMENTS:?}" "${AWS_REGION:?}"
ENV="${ENV:-}"
CONFIRM="${CONFIRM:-}"
STACKS="${STACKS:-}"
EXPECTED_ACCOUNT="${EXPECTED_ACCOUNT:-}"

fail() {  # fail STATUS MESSAGE
  printf 'destroy: %s\n' "$2" >&2
  exit "$1"
}

# Refusals come first and call nothing.
if [ -z "${ENV}" ]; then fail 2 "name the environment: make destroy ENV=<one of: ${ENVIRONMENTS}>"; fi
known=no
for environment in ${ENVIRONMENTS}; do
  if [ "${ENV}" = "${environment}" ]; then known=yes; fi
done
if [ "${known}" = no ]; then fail 2 "unknown environment '${ENV}': ENV must be one of: ${ENVIRONMENTS}"; fi
if [ "${ENV}" = prod ] && [ "${CONFIRM}" != "${PROJECT}-prod" ]; then
  fail 2 "refusing to destroy prod: confirm with make destroy ENV=prod CONFIRM=${PROJECT}-prod"
fi
for entry in ${STACKS}; do
  [[ ${entry} =~ ^[1-9]:[a-z0-9-]+$ ]] || fail 2 "bad stack entry '${entry}' (want <layer number>:<name>)"
done

cfn() { aws cloudformation --region "${AWS_REGION}" "$@"; }

account="$(aws sts get-caller-identity --region "${AWS_REGION}" --query Account --output text)" \
  || fail 1 "no AWS credentials: log in to the account of ${ENV} (${EXPECTED_ACCOUNT}) first"
if [ -n "${EXPECTED_ACCOUNT}" ] && [ "${account}" != "${EXPECTED_ACCOUNT}" ]; then
  fail 1 "these credentials are for account ${account}; ${ENV} lives in ${EXPECTED_ACCOUNT}"
fi

prefix="${PROJECT}-${ENV}-"
existing="$(cfn describe-stacks \
  --query "Stacks[?starts_with(StackName, '${prefix}')].[StackName,StackId]" --output text)"
stack_id() { awk -v name="$1" '$1 == name { print $2 }' <<<"${existing}"; }

# Highest layer first; within a layer, the last declared first.
ordered=()
for layer in 9 8 7 6 5 4 3 2 1; do
  in_layer=()
  for entry in ${STACKS}; do
    if [ "${entry%%:*}" = "${layer}" ]; then in_layer=("${entry#*:}" "${in_layer[@]}"); fi
  done
  ordered+=("${in_layer[@]}")
done

printf 'Destroying %s in account %s (%s):\n' "${ENV}" "${account}" "${AWS_REGION}"
kept=()
deleted=0
for name in "${ordered[@]}"; do
  stack="${prefix}${name}"
  id="$(stack_id "${stack}")"
  if [ -z "${id}" ]; then
    printf '  %s: not deployed\n' "${stack}"
    continue
  fi
  printf '  %s: deleting...\n' "${stack}"
  cfn delete-stack --stack-name "${id}"
  if ! cfn wait stack-delete-complete --stack-name "${id}"; then
    cfn describe-stack-events --stack-name "${id}" \
      --query "StackEvents[?ResourceStatus=='DELETE_FAILED'].[LogicalResourceId,ResourceStatusReason]" \
      --output text >&2 || true
    fail 1 "${stack} could not be deleted (reasons above); the stacks below it are untouched"
  fi
  deleted=$((deleted + 1))
  while read -r type physical; do
    if [ -n "${type}" ]; then kept+=("${type} ${physical} (from ${stack})"); fi
  done < <(cfn describe-stack-events --stack-name "${id}" \
    --query "StackEvents[?ResourceStatus=='DELETE_SKIPPED'].[ResourceType,PhysicalResourceId]" \
    --output text)
  printf '  %s: deleted\n' "${stack}"
done

# Stacks with the environment's prefix that no layer declares may belong to someone else (another
# project whose name starts with "${prefix}"): named, never deleted.
while read -r stack _; do
  [ -n "${stack}" ] || continue
  known=no
  for name in "${ordered[@]}"; do
    if [ "${stack}" = "${prefix}${name}" ]; then known=yes; fi
  done
  if [ "${known}" = no ]; then printf '  %s: not declared by any layer, left in place\n' "${stack}"; fi
done <<<"${existing}"

printf '%s: %d stack(s) deleted.\n' "${ENV}" "${deleted}"
if [ "${#kept[@]}" -eq 0 ]; then
  printf 'Kept nothing.\n'
else
  printf 'Kept (DeletionPolicy Retain; delete them by hand if the data may go):\n'
  printf '  %s\n' "${kept[@]}"
fi
