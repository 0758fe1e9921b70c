#!/bin/sh
# Writes an assembler file that embeds the migrations, the function files, the OpenAPI
# documents and the files of the API reference page (see service/embedded.h).
# Usage: embed.sh OPENAPI_YAML OPENAPI_JSON MIGRATION... [-- FUNCTION_FILE... [-- DOCS_FILE...]]
#     > embedded.S
# Each list is embedded in the order given (the Makefile sorts them by name).
set -eu
yaml=$1 json=$2
shift 2
migrations= functions= docs= list=migrations
for f in "$@"; do
	if [ "$f" = "--" ] && [ "$list" = migrations ]; then
		list=functions
	elif [ "$f" = "--" ] && [ "$list" = functions ]; then
		list=docs
	elif [ "$list" = docs ]; then
		docs="$docs $f"
	elif [ "$list" = functions ]; then
		functions="$functions $f"
	else
		migrations="$migrations $f"
	fi
done

# table LABEL PREFIX FILE...: a {name, start, end} array ending with zeros
table() {
	label=$1 prefix=$2
	shift 2
	echo "	.globl $label"
	echo "$label:"
	n=0
	for f in "$@"; do
		echo "	.quad ${prefix}name$n, ${prefix}data$n, ${prefix}end$n"
		n=$((n + 1))
	done
	echo '	.quad 0, 0, 0'
}

# contents PREFIX FILE...: the names and the files themselves, each followed by a NUL byte
contents() {
	prefix=$1
	shift
	n=0
	for f in "$@"; do
		echo "${prefix}name$n: .asciz \"$(basename "$f")\""
		echo "${prefix}data$n: .incbin \"$f\""
		echo "${prefix}end$n: .byte 0"
		n=$((n + 1))
	done
}

echo '	.section .data.rel.ro,"aw"'
echo '	.balign 8'
# shellcheck disable=SC2086 # the lists are file names without spaces
table embedded_migrations m $migrations
# shellcheck disable=SC2086
table embedded_functions f $functions
# shellcheck disable=SC2086
table embedded_docs d $docs
echo '	.globl embedded_openapi_yaml'
echo 'embedded_openapi_yaml:'
echo '	.quad yname, ydata, yend'
echo '	.globl embedded_openapi_json'
echo 'embedded_openapi_json:'
echo '	.quad jname, jdata, jend'
echo '	.section .rodata'
# shellcheck disable=SC2086
contents m $migrations
# shellcheck disable=SC2086
contents f $functions
# shellcheck disable=SC2086
contents d $docs
echo "yname: .asciz \"openapi.yaml\""
echo "ydata: .incbin \"$yaml\""
echo "yend: .byte 0"
echo "jname: .asciz \"openapi.json\""
echo "jdata: .incbin \"$json\""
echo "jend: .byte 0"
echo '	.section .note.GNU-stack,"",@progbits'
