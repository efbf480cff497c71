# BF16 rows · a BF16 vector with AVX512-BF16 (see Avx512Bf16Dot.cs); assembled by tools/native-kernels/assemble.sh.
# void bf16_rows(const uint16_t* w /*rdi*/, const uint16_t* x /*rsi*/, long cols /*rdx: a multiple of 64*/,
#                long rows /*rcx: at least 1*/, float* out /*r8*/)       System V x86-64; clobbers rax, r9, r10, zmm0-8
# w need not be 64-byte aligned (a checkpoint's tensors sit where its header puts them): rows that start off a cache
# line take whole-line loads and shift the weights into place, with the same sums.
    .intel_syntax noprefix
    .text
    .globl bf16_rows

# The row's two accumulators (zmm0, zmm1) → one float at [r8]; r8 moves on.
.macro ROW_SUM
    vaddps zmm0, zmm0, zmm1
    vextractf64x4 ymm1, zmm0, 1
    vaddps ymm0, ymm0, ymm1
    vextractf128 xmm1, ymm0, 1
    vaddps xmm0, xmm0, xmm1
    vmovhlps xmm1, xmm0, xmm0
    vaddps xmm0, xmm0, xmm1
    vmovshdup xmm1, xmm0
    vaddss xmm0, xmm0, xmm1
    vmovss [r8], xmm0
    add r8, 4
.endm

bf16_rows:
    lea r9, [rdx+rdx]                     # bytes per row (whole lines: every row starts as far off a line as the first)
    mov r10, rdi
    and r10, 63
    jnz shifted
row:
    vxorps zmm0, zmm0, zmm0               # two accumulators, sixteen lanes each
    vxorps zmm1, zmm1, zmm1
    xor rax, rax                          # byte offset in the row (and in x)
step:
    vmovdqu16 zmm2, [rdi+rax]             # 32 weights
    vdpbf16ps zmm0, zmm2, [rsi+rax]       # lane j += w[2j+1]·x[2j+1], then += w[2j]·x[2j]
    vmovdqu16 zmm3, [rdi+rax+64]
    vdpbf16ps zmm1, zmm3, [rsi+rax+64]
    add rax, 128
    cmp rax, r9
    jb step
    ROW_SUM
    add rdi, r9                           # the next row follows this one
    dec rcx
    jnz row
    vzeroupper
    ret

# Rows r10 bytes past a line. A 64-byte load across two lines is two accesses, and streamed from DRAM that way the rows
# read at ~70 % of the aligned rate here (C benchmark, 2 threads: 46 vs 64 GB/s); so each step loads whole lines and
# vpermi2w takes words r10/2 .. r10/2 + 31 of two neighbours: the same 32 weights as the split load. The line after a
# row's end holds its last weights; it lies in the same page as they do.
shifted:
    sub rdi, r10                          # the line that holds the row's first weights
    shr r10, 1
    vpbroadcastw zmm5, r10d
    vpaddw zmm4, zmm5, [rip+word_index]   # word i ← word i + r10/2 of [line, next line]
shifted_row:
    vxorps zmm0, zmm0, zmm0
    vxorps zmm1, zmm1, zmm1
    xor rax, rax
    vmovdqa64 zmm6, [rdi]
shifted_step:
    vmovdqa64 zmm7, [rdi+rax+64]
    vmovdqa64 zmm8, [rdi+rax+128]
    vmovdqa64 zmm2, zmm4
    vpermi2w zmm2, zmm6, zmm7             # the step's first 32 weights
    vdpbf16ps zmm0, zmm2, [rsi+rax]
    vmovdqa64 zmm3, zmm4
    vpermi2w zmm3, zmm7, zmm8             # and the next 32
    vdpbf16ps zmm1, zmm3, [rsi+rax+64]
    vmovdqa64 zmm6, zmm8
    add rax, 128
    cmp rax, r9
    jb shifted_step
    ROW_SUM
    add rdi, r9
    dec rcx
    jnz shifted_row
    vzeroupper
    ret

    .p2align 6
word_index:
    .short 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
