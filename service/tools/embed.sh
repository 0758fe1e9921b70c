#!/bin/sh
# Writes an assembler file that embeds the migrations and the OpenAPI documents (see
# service/embedded.h). Usage: embed.sh OPENAPI_YAML OPENAPI_JSON MIGRATION... > embedded.S
set -eu
yaml=$1 json=$2
shift 2
n=0
echo '	.section .data.rel.ro,"aw"'
echo '	.balign 8'
echo '	.globl embedded_migrations'
echo 'embedded_migrations:'
for f in "$@"; do
	echo "	.quad mname$n, mdata$n, mend$n"
	n=$((n + 1))
done
echo '	.quad 0, 0, 0'
echo '	.globl embedded_openapi_yaml'
echo 'embedded_openapi_yaml:'
echo '	.quad yname, ydata, yend'
echo '	.globl embedded_openapi_json'
echo 'embedded_openapi_json:'
echo '	.quad jname, jdata, jend'
echo '	.section .rodata'
n=0
for f in "$@"; do
	echo "mname$n: .asciz \"$(basename "$f")\""
	echo "mdata$n: .incbin \"$f\""
	echo "mend$n: .byte 0"
	n=$((n + 1))
done
echo "yname: .asciz \"openapi.yaml\""
echo "ydata: .incbin \"$yaml\""
echo "yend: .byte 0"
echo "jname: .asciz \"openapi.json\""
echo "jdata: .incbin \"$json\""
echo "jend: .byte 0"
echo '	.section .note.GNU-stack,"",@progbits'
