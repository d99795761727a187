# shellcheck shell=bash
# The environment of `make run`, sourced by scripts/run (and by tests/test_run_script.py).
#
# Precedence, highest first: what the operator exported, then .env, then the development
# secrets generated once in var/dev-secrets.env. Both files only fill variables that are
# still unset: an exported TWILIO_AUTH_TOKEN is the one Twilio signs with, so a generated
# token must never replace it. Django's settings read the same files the same way
# (fte_project.env.load_env_files: setdefault, in the same order).

# env_file_defaults FILE: export each KEY=VALUE line of FILE whose KEY is not set yet.
# Blank lines and comments are skipped; `export KEY=VALUE` is accepted; one pair of
# surrounding quotes is removed. Values are taken literally (no $expansion), as
# load_env_files does.
env_file_defaults() {
  local file=$1 line key value
  [[ -f $file ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line#"${line%%[![:space:]]*}"}
    line=${line%"${line##*[![:space:]]}"}
    [[ -z $line || $line == \#* || $line != *=* ]] && continue
    key=${line%%=*}
    value=${line#*=}
    key=${key#export }
    key=${key//[[:space:]]/}
    [[ $key =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    value=${value#"${value%%[![:space:]]*}"}
    if [[ ${#value} -ge 2 && ( ($value == \"*\" ) || ($value == \'*\') ) ]]; then
      value=${value:1:${#value}-2}
    fi
    [[ -n ${!key+set} ]] && continue
    export "$key=$value"
  done <"$file"
}

# dev_secrets_ensure FILE PYTHON: generate the development secrets once (mode 600), so
# inbound verification is never switched off in development.
dev_secrets_ensure() {
  local file=$1 py=$2
  [[ -f $file ]] && return 0
  mkdir -p "$(dirname "$file")"
  (
    umask 077
    {
      echo "FTE_DEV_MODE=1"
      echo "SECRET_KEY=$("$py" -c 'import secrets; print(secrets.token_urlsafe(40))')"
      echo "TWILIO_AUTH_TOKEN=$("$py" -c 'import secrets; print(secrets.token_hex(16))')"
      echo "GMAIL_PUSH_SHARED_SECRET=$("$py" -c 'import secrets; print(secrets.token_urlsafe(24))')"
    } >"$file.tmp"
    mv "$file.tmp" "$file"
  )
}

# run_env_prepare PYTHON PORT: the variables every process of `make run` inherits.
run_env_prepare() {
  local py=$1 port=$2
  dev_secrets_ensure var/dev-secrets.env "$py"
  env_file_defaults .env
  env_file_defaults var/dev-secrets.env
  export FTE_DEV_MODE=1
  export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:${port}}"
  export PYTHONUNBUFFERED=1
}
