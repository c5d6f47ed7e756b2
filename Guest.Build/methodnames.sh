#!/usr/bin/env bash
# Writes an assembly file with a table of the code symbols in a linked guest ELF, sorted by address,
# for Exception.StackTrace (Guest.CoreLib/Runtime/ExceptionHandling/MethodNames.cs). Like typenames.sh:
# the table goes into a section guest.ld places after everything else, so a second link pass that adds
# it moves no code. Names are ilc's symbol names, e.g. eh_conformance_Program__Thrower.
# usage: methodnames.sh ELF OUTPUT.S   (ELF absent: an empty table)
set -euo pipefail
elf=$1
out=$2
{
    echo '        .section .guest_methodnames, "a"'
    echo '        .balign 8'
    echo '        .globl __guest_methodnames_start'
    echo '__guest_methodnames_start:'
    if [ -f "$elf" ]; then
        nm -n --defined-only "$elf" | awk '
            $2 ~ /^[Tt]$/ {
                name = $3
                if (name ~ /[<>"\\]/ || name ~ /^\./) next
                n++; addr[n] = $1; names[n] = name
            }
            END {
                for (i = 1; i <= n; i++) printf "        .quad 0x%s, .Lmn%d\n", addr[i], i
                print "        .globl __guest_methodnames_end"
                print "__guest_methodnames_end:"
                for (i = 1; i <= n; i++) printf ".Lmn%d: .asciz \"%s\"\n", i, names[i]
            }'
    else
        echo '        .globl __guest_methodnames_end'
        echo '__guest_methodnames_end:'
    fi
} > "$out"
