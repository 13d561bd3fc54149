#!/bin/sh
# The nginx image's template step: every $NGINX_ENVSUBST_TEMPLATE_DIR/**/*$SUFFIX rendered by
# envsubst into $NGINX_ENVSUBST_OUTPUT_DIR, replacing only the environment variables whose names
# match NGINX_ENVSUBST_FILTER (all when unset).
set -e
template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
suffix="${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}"
output_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
filter="${NGINX_ENVSUBST_FILTER:-}"
# shellcheck disable=SC2016,SC2046 # the names are split into words on purpose
defined_envs=$(printf '${%s} ' $(awk "END { for (name in ENVIRON) { print ( name ~ /${filter}/ ) ? name : \"\" } }" </dev/null))
[ -d "$template_dir" ] || exit 0
if [ ! -w "$output_dir" ]; then
  echo "$0: $output_dir is not writable" >&2
  exit 0
fi
find "$template_dir" -follow -type f -name "*$suffix" -print | while read -r template; do
  relative_path="${template#"$template_dir/"}"
  output_path="$output_dir/${relative_path%"$suffix"}"
  mkdir -p "$output_dir/$(dirname "$relative_path")"
  echo "$0: running envsubst on $template to $output_path"
  envsubst "$defined_envs" <"$template" >"$output_path"
done
