# shellcheck shell=sh
# The variables SecuLite's nginx templates use, with their defaults. POSIX sh, sourced by the
# nginx image (as /docker-entrypoint.d/15-seculite-env.envsh, before the image renders
# /etc/nginx/templates) and by scripts/stack.sh, so both render the same configuration.
# Defaults are the nginx image's paths; scripts/stack.sh sets its own before sourcing this.

# gunicorn, as host:port (or unix:/path.sock).
: "${SECULITE_BACKEND_UPSTREAM:=backend:8000}"
# Where the HTTP server listens: a port, or address:port.
: "${SECULITE_NGINX_LISTEN:=80}"
# Where the optional TLS server listens (nginx/tls/seculite-tls.conf.template).
: "${SECULITE_NGINX_TLS_LISTEN:=443}"
# server_name; "_" answers any host name (Django's ALLOWED_HOSTS still applies to the API).
: "${SECULITE_NGINX_SERVER_NAME:=_}"
# The built web app (frontend/dist).
: "${SECULITE_FRONTEND_ROOT:=/usr/share/nginx/html}"
# Django's STATIC_ROOT, as nginx sees it.
: "${SECULITE_STATIC_ROOT:=/var/www/django_static}"
# Access log file.
: "${SECULITE_NGINX_ACCESS_LOG:=/var/log/nginx/access.log}"
# Folder for nginx's request/response buffers.
: "${SECULITE_NGINX_TEMP_DIR:=/var/cache/nginx}"
# Certificate chain and key of the TLS server.
: "${SECULITE_NGINX_TLS_CERT:=/etc/nginx/certs/fullchain.pem}"
: "${SECULITE_NGINX_TLS_KEY:=/etc/nginx/certs/privkey.pem}"
# "true" redirects plain HTTP to HTTPS (enable the TLS server first), to this public port.
: "${SECULITE_NGINX_REDIRECT_HTTPS:=false}"
: "${SECULITE_NGINX_HTTPS_PORT:=443}"
if [ "$SECULITE_NGINX_HTTPS_PORT" = "443" ]; then
  SECULITE_NGINX_HTTPS_PORT_SUFFIX=""
else
  SECULITE_NGINX_HTTPS_PORT_SUFFIX=":$SECULITE_NGINX_HTTPS_PORT"
fi
# Largest uploaded source archive (Django's limit); nginx allows it plus 1 MiB of multipart
# envelope unless SECULITE_NGINX_CLIENT_MAX_BODY_SIZE says otherwise.
: "${SECULITE_UPLOAD_MAX_BYTES:=209715200}"
case "$SECULITE_UPLOAD_MAX_BYTES" in
  '' | *[!0-9]*)
    echo "seculite-env.sh: SECULITE_UPLOAD_MAX_BYTES must be a number of bytes, got '$SECULITE_UPLOAD_MAX_BYTES'" >&2
    SECULITE_UPLOAD_MAX_BYTES=209715200
    ;;
esac
: "${SECULITE_NGINX_CLIENT_MAX_BODY_SIZE:=$((SECULITE_UPLOAD_MAX_BYTES + 1048576))}"
# Largest imported report (Django's SECULITE_IMPORT_MAX_BYTES); nginx allows it plus 1 MiB on
# the imports path only, unless SECULITE_NGINX_IMPORT_MAX_BODY_SIZE says otherwise.
: "${SECULITE_IMPORT_MAX_BYTES:=1073741824}"
case "$SECULITE_IMPORT_MAX_BYTES" in
  '' | *[!0-9]*)
    echo "seculite-env.sh: SECULITE_IMPORT_MAX_BYTES must be a number of bytes, got '$SECULITE_IMPORT_MAX_BYTES'" >&2
    SECULITE_IMPORT_MAX_BYTES=1073741824
    ;;
esac
: "${SECULITE_NGINX_IMPORT_MAX_BODY_SIZE:=$((SECULITE_IMPORT_MAX_BYTES + 1048576))}"

export SECULITE_BACKEND_UPSTREAM SECULITE_NGINX_LISTEN SECULITE_NGINX_TLS_LISTEN \
  SECULITE_NGINX_SERVER_NAME SECULITE_FRONTEND_ROOT SECULITE_STATIC_ROOT \
  SECULITE_NGINX_ACCESS_LOG SECULITE_NGINX_TEMP_DIR SECULITE_NGINX_TLS_CERT \
  SECULITE_NGINX_TLS_KEY SECULITE_NGINX_REDIRECT_HTTPS SECULITE_NGINX_HTTPS_PORT \
  SECULITE_NGINX_HTTPS_PORT_SUFFIX SECULITE_UPLOAD_MAX_BYTES SECULITE_NGINX_CLIENT_MAX_BODY_SIZE \
  SECULITE_IMPORT_MAX_BYTES SECULITE_NGINX_IMPORT_MAX_BODY_SIZE

# The only variables envsubst may replace in the templates (single quotes: a list of names).
# shellcheck disable=SC2016
SECULITE_NGINX_TEMPLATE_VARS='${SECULITE_BACKEND_UPSTREAM} ${SECULITE_NGINX_LISTEN} ${SECULITE_NGINX_TLS_LISTEN} ${SECULITE_NGINX_SERVER_NAME} ${SECULITE_FRONTEND_ROOT} ${SECULITE_STATIC_ROOT} ${SECULITE_NGINX_ACCESS_LOG} ${SECULITE_NGINX_TEMP_DIR} ${SECULITE_NGINX_TLS_CERT} ${SECULITE_NGINX_TLS_KEY} ${SECULITE_NGINX_REDIRECT_HTTPS} ${SECULITE_NGINX_HTTPS_PORT_SUFFIX} ${SECULITE_NGINX_CLIENT_MAX_BODY_SIZE} ${SECULITE_NGINX_IMPORT_MAX_BODY_SIZE}'
export SECULITE_NGINX_TEMPLATE_VARS
