#!/bin/sh
# Make a worker build the current version of its Worker Deployment (docs/versioning.md): new
# sagas start on it; sagas already running stay pinned to the build that started them. The
# version exists once its workers have polled, so this waits for them. A no-op when it is
# current already. Needs the `temporal` CLI and TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
# DEPLOYMENT_NAME, BUILD_ID.
set -eu
tries=0
until temporal worker deployment set-current-version --namespace "${TEMPORAL_NAMESPACE:?}" \
  --deployment-name "${DEPLOYMENT_NAME:?}" --build-id "${BUILD_ID:?}" --yes; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "$DEPLOYMENT_NAME.$BUILD_ID has no pollers" >&2; exit 1; }
  sleep 2
done
