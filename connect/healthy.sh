#!/usr/bin/env bash
# The worker's health check: its REST API lists the MongoDB connector's plugins. As `admin`
# when the REST API asks for it (CONNECT_REST_PASSWORD): the header is built in the shell and
# written to the socket, so the password is on no command line.
set -euo pipefail
exec 3<>/dev/tcp/127.0.0.1/8083
auth=""
if [ -n "${CONNECT_REST_PASSWORD:-}" ]; then
  auth="Authorization: Basic $(printf 'admin:%s' "$CONNECT_REST_PASSWORD" | base64 -w0)"$'\r\n'
fi
printf 'GET /connector-plugins HTTP/1.0\r\nHost: localhost\r\n%s\r\n' "$auth" >&3
grep -q MongoSourceConnector <&3
