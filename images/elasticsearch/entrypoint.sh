#!/bin/bash
# Starts Elasticsearch with the container's arguments (-Enode.name=es-0 ...) plus one -E setting
# per environment variable named like a setting (lower case, with a dot: node.name=es-0,
# discovery.seed_hosts=es-0.es,es-1.es), so a StatefulSet can use either; an argument wins over
# a variable for the same setting (Elasticsearch refuses a setting given twice). Arguments that
# do not start with "-" are run as a command instead (a shell, for debugging).
set -euo pipefail

if [[ $# -gt 0 && $1 != -* ]]; then
    exec "$@"
fi

given=" "
for argument in "$@"; do
    if [[ $argument == -E*=* ]]; then
        name=${argument#-E}
        given+="${name%%=*} "
    fi
done

settings=()
while IFS= read -r -d '' variable; do
    name=${variable%%=*}
    if [[ $name =~ ^[a-z0-9_]+(\.[a-z0-9_]+)+$ && $given != *" $name "* ]]; then
        settings+=("-E${variable}")
    fi
done < <(env -0)

exec "${ES_HOME:-/usr/share/elasticsearch}/bin/elasticsearch" "${settings[@]}" "$@"
