#!/bin/sh
# provider_env.sh - writes its environment to $PS_ENV_OUT (set by the
# test's wrapper script, which execs this) and prints a code.
env | grep -v '^PS_ENV_OUT=' > "$PS_ENV_OUT"
echo ENV-DUMPED
