#!/bin/sh
# One line naming this host's CPU for make bench's and make tune's records:
# the model name alone cannot tell apart the CPUs a cloud calls "AMD EPYC"
# (Zen 3 without AVX-512, Zen 4 and Zen 5 with it), so the family and model
# numbers and the widest vector ISA come with it.
info=/proc/cpuinfo
name=$(sed -n 's/^model name[^:]*: //p' $info | head -1)
family=$(sed -n 's/^cpu family[^:]*: //p' $info | head -1)
model=$(sed -n 's/^model[^:a-z]*: //p' $info | head -1)
if grep -qw avx512f $info; then isa=AVX-512; elif grep -qw avx2 $info; then isa="AVX2, no AVX-512"; else isa="no AVX2"; fi
echo "$name, family $family model $model, $isa"
