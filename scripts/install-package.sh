#!/bin/sh
# Usage: scripts/install-package.sh TARBALL PREFIX
# Installs the npm package's tarball into PREFIX as `npm install -g auth0-logs-to-logstash` from the
# registry does, with the dependency versions of the npm-shrinkwrap.json it ships (the registry
# marks such a package, and npm then follows the file; npm ignores it in a tarball given by path).
# The image (Dockerfile) and the package test (test/package/install.test.ts) install this way, so
# that the test covers what the image holds. Production dependencies only; none needs a script.
set -eu
tarball=$1
prefix=$2
app="$prefix/lib/node_modules/auth0-logs-to-logstash"
rm -rf "$app"
mkdir -p "$app" "$prefix/bin"
tar -xzf "$tarball" -C "$app" --strip-components=1 --no-same-owner
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
ln -sf ../lib/node_modules/auth0-logs-to-logstash/bin/auth0-logs-to-logstash "$prefix/bin/auth0-logs-to-logstash"
