#!/usr/bin/env bash
# Writes an assembly file with a table of the type names in a linked guest ELF, for run-time reports
# (the fail-fast message names the exception's type). Input: the ELF of a first link pass; the table
# goes into section .guest_typenames, which guest.ld places after everything else, so the addresses
# in the table stay valid in the second link pass that adds it.
# Names are ilc's symbol names of MethodTables (_ZTV<len><name>): "<assembly>_<namespace>_<type>",
# dots written as underscores, e.g. crash_Program_Node.
# usage: typenames.sh ELF OUTPUT.S   (ELF absent: an empty table)
set -euo pipefail
elf=$1
out=$2
{
    echo '        .section .guest_typenames, "a"'
    echo '        .balign 8'
    echo '        .globl __guest_typenames_start'
    echo '__guest_typenames_start:'
    if [ -f "$elf" ]; then
        nm "$elf" | awk '
            $3 ~ /^_ZTV[0-9]+/ {
                name = $3; sub(/^_ZTV[0-9]+/, "", name)
                if (name ~ /^__/ || name ~ /^Boxed_/ || name ~ /[<>"\\]/) next
                n++; addr[n] = $1; names[n] = name
            }
            END {
                for (i = 1; i <= n; i++) printf "        .quad 0x%s, .Ltn%d\n", addr[i], i
                print "        .globl __guest_typenames_end"
                print "__guest_typenames_end:"
                for (i = 1; i <= n; i++) printf ".Ltn%d: .asciz \"%s\"\n", i, names[i]
            }'
    else
        echo '        .globl __guest_typenames_end'
        echo '__guest_typenames_end:'
    fi
} > "$out"
