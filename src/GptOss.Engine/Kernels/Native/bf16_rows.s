# BF16 rows · a BF16 vector with AVX512-BF16 (see Avx512Bf16Dot.cs); assembled by tools/native-kernels/assemble.sh.
# void bf16_rows(const uint16_t* w /*rdi*/, const uint16_t* x /*rsi*/, long cols /*rdx: a multiple of 64*/,
#                long rows /*rcx: at least 1*/, float* out /*r8*/)       System V x86-64; clobbers rax, r9, r10, zmm0-8
# w need not be 64-byte aligned: rows that start off a cache line take whole-line loads and shift the weights into
# place, with the same sums (bf16_rows.inc).
    .intel_syntax noprefix
    .text
    .globl bf16_rows

    .include "bf16_rows.inc"

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
    SUM 1, 0, zmm0, zmm1, ymm0, ymm1, xmm0, xmm1, "[r8]"
    add r8, 4
    add rdi, r9                           # the next row follows this one
    dec rcx
    jnz row
    vzeroupper
    ret

# Rows r10 bytes past a line (bf16_rows.inc).
shifted:
    SHIFT_SETUP r10, r10d, zmm4
shifted_row:
    vxorps zmm0, zmm0, zmm0
    vxorps zmm1, zmm1, zmm1
    xor rax, rax
    vmovdqa64 zmm6, [rdi]
shifted_step:
    SHIFTED_WEIGHTS zmm4, zmm6, zmm7, zmm8, zmm2, zmm3
    vdpbf16ps zmm0, zmm2, [rsi+rax]
    vdpbf16ps zmm1, zmm3, [rsi+rax+64]
    add rax, 128
    cmp rax, r9
    jb shifted_step
    SUM 1, 0, zmm0, zmm1, ymm0, ymm1, xmm0, xmm1, "[r8]"
    add r8, 4
    add rdi, r9
    dec rcx
    jnz shifted_row
    vzeroupper
    ret

    WORD_INDEX
