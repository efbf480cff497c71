# BF16 rows · a BF16 vector with AVX512-BF16 (see Avx512Bf16Dot.cs); assembled by tools/native-kernels/assemble.sh.
# void bf16_rows(const uint16_t* w /*rdi*/, const uint16_t* x /*rsi*/, long cols /*rdx: a multiple of 64*/,
#                long rows /*rcx: at least 1*/, float* out /*r8*/)       System V x86-64; clobbers rax, r9, zmm0-3
    .intel_syntax noprefix
    .text
    .globl bf16_rows
bf16_rows:
    lea r9, [rdx+rdx]                     # bytes per row
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
    vaddps zmm0, zmm0, zmm1               # sixteen lanes → one
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
    add rdi, r9                           # the next row follows this one
    dec rcx
    jnz row
    vzeroupper
    ret
