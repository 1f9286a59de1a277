#!/bin/sh
# Kassa's namespace and search attributes, run by the compose job temporal-setup
# (temporalio/admin-tools, whose `temporal` CLI reads TEMPORAL_ADDRESS) once the server answers.
# Creates the namespace with KASSA_NAMESPACE_RETENTION, or sets that retention on an existing one,
# and creates each of KASSA_SEARCH_ATTRIBUTES ("Name=Type …") that the namespace lacks.
set -eu

namespace="${KASSA_NAMESPACE:?}"
retention="${KASSA_NAMESPACE_RETENTION:?}"
attributes="${KASSA_SEARCH_ATTRIBUTES:?}"

tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "Temporal at ${TEMPORAL_ADDRESS:-127.0.0.1:7233} did not answer in 60 s" >&2
    exit 1
  fi
  sleep 1
done

if temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
  temporal operator namespace update --namespace "$namespace" --retention "$retention"
  echo "namespace $namespace: retention $retention"
else
  temporal operator namespace create --namespace "$namespace" --retention "$retention" \
    --description "Kassa payments"
  echo "namespace $namespace created, retention $retention"
fi

# A new namespace reaches every frontend's cache within seconds: wait until it lists its attributes.
tries=0
until existing="$(temporal operator search-attribute list --namespace "$namespace" 2>/dev/null)"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "namespace $namespace does not list its search attributes" >&2
    exit 1
  fi
  sleep 1
done

for pair in $attributes; do
  name="${pair%%=*}"
  type="${pair#*=}"
  if printf '%s\n' "$existing" | grep -qw -- "$name"; then
    echo "search attribute $name: present"
  else
    temporal operator search-attribute create --namespace "$namespace" --name "$name" --type "$type"
    echo "search attribute $name ($type) created"
  fi
done
