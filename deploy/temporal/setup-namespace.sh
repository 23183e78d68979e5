#!/bin/sh
# The saga's namespace and search attributes (ordersaga/temporal.py SEARCH_ATTRIBUTES): the
# worker refuses to start without them. Safe to run again. Needs the `temporal` CLI and
# TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, NAMESPACE_RETENTION (e.g. 168h).
set -eu
namespace="${TEMPORAL_NAMESPACE:?}"
tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "Temporal at $TEMPORAL_ADDRESS does not answer" >&2; exit 1; }
  sleep 2
done
if ! temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
  temporal operator namespace create --namespace "$namespace" \
    --retention "${NAMESPACE_RETENTION:-168h}"
fi
tries=0
# a new namespace reaches every frontend's cache a few seconds later
until temporal operator search-attribute list --namespace "$namespace" >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 30 ] || { echo "namespace $namespace did not appear" >&2; exit 1; }
  sleep 1
done
# name:type, as `ordersaga worker` names them when they are missing
for attribute in CustomerId:Keyword OrderStatus:Keyword OrderTotal:Double RejectionReason:Keyword
do
  name="${attribute%%:*}"
  kind="${attribute#*:}"
  if temporal operator search-attribute list --namespace "$namespace" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --namespace "$namespace" \
      --name "$name" --type "$kind"
  fi
done
echo "namespace $namespace is ready for ordersaga"
