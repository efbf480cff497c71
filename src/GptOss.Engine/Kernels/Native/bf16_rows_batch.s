# BF16 rows · several BF16 vectors with AVX512-BF16 (see Avx512Bf16Dot.cs); assembled by tools/native-kernels/assemble.sh.
# void bf16_rows_batch(const uint16_t* w /*rdi*/, const uint16_t* x /*rsi: count vectors of cols, back to back*/,
#                      long cols /*rdx: a multiple of 64*/, long rows /*rcx: at least 1*/, float* out /*r8*/,
#                      long outStride /*r9: bytes from vector v's results to v+1's*/, long count /*stack: 1..8*/)
# out[v·outStride + 4r] = Σ_c w[r·cols + c]·x[v·cols + c]. Each weight chunk is loaded once for every vector; each
# vector's sums are bf16_rows.s's to the bit (the same two accumulators, chunk order and reduction).
# Rows that start off a cache line load whole lines and shift the weights into place (bf16_rows.inc).
# System V x86-64; saves rbx, r12-r15; clobbers rax, r10, r11, zmm0-21.
    .intel_syntax noprefix
    .text
    .globl bf16_rows_batch
    .include "bf16_rows.inc"

# To the loop for rax vectors (1..8) of the kind named by sfx.
.macro DISPATCH sfx
    cmp rax, 1
    je rows_1\sfx
    cmp rax, 2
    je rows_2\sfx
    cmp rax, 3
    je rows_3\sfx
    cmp rax, 4
    je rows_4\sfx
    cmp rax, 5
    je rows_5\sfx
    cmp rax, 6
    je rows_6\sfx
    cmp rax, 7
    je rows_7\sfx
    jmp rows_8\sfx
.endm

bf16_rows_batch:
    mov rax, [rsp+8]                      # count
    push rbx
    push r12
    push r13
    push r14
    push r15
    add rdx, rdx                          # bytes per row (and per vector)
    lea r10, [rsi+rdx]                    # vectors 1..7
    lea r11, [r10+rdx]
    lea r12, [r11+rdx]
    lea r13, [r12+rdx]
    lea r14, [r13+rdx]
    lea r15, [r14+rdx]
    lea rbx, [r15+rdx]
    test dil, 63
    jnz shifted
    DISPATCH
shifted:
    push rax
    mov rax, rdi
    and rax, 63
    SHIFT_SETUP rax, eax, zmm18
    pop rax
    DISPATCH _shifted

# One vector's two accumulators: the next chunk pair.
.macro DOT n, v, base, even, odd
    .if \n > \v
    vdpbf16ps \even, zmm16, [\base+rax]
    vdpbf16ps \odd, zmm17, [\base+rax+64]
    .endif
.endm

.macro ROWS n, sfx, shifted
rows_\n\sfx:
row_\n\sfx:
    vpxord zmm0, zmm0, zmm0               # two accumulators per vector, sixteen lanes each
    vpxord zmm1, zmm1, zmm1
    vpxord zmm2, zmm2, zmm2
    vpxord zmm3, zmm3, zmm3
    vpxord zmm4, zmm4, zmm4
    vpxord zmm5, zmm5, zmm5
    vpxord zmm6, zmm6, zmm6
    vpxord zmm7, zmm7, zmm7
    vpxord zmm8, zmm8, zmm8
    vpxord zmm9, zmm9, zmm9
    vpxord zmm10, zmm10, zmm10
    vpxord zmm11, zmm11, zmm11
    vpxord zmm12, zmm12, zmm12
    vpxord zmm13, zmm13, zmm13
    vpxord zmm14, zmm14, zmm14
    vpxord zmm15, zmm15, zmm15
    xor rax, rax                          # byte offset in the row (and in each vector)
    .if \shifted
    vmovdqa64 zmm19, [rdi]                # the row's first line
    .endif
step_\n\sfx:
    .if \n > 2                            # 4 KB ahead: with 3+ vectors the dot chains fill the reorder window, and the
    prefetchnta [rdi+rax+4096]            # row stream from DRAM fell to a quarter of its L2 rate
    prefetchnta [rdi+rax+4096+64]
    .endif
    .if \shifted                          # 64 weights, for every vector
    SHIFTED_WEIGHTS zmm18, zmm19, zmm20, zmm21, zmm16, zmm17
    .else
    vmovdqu16 zmm16, [rdi+rax]
    vmovdqu16 zmm17, [rdi+rax+64]
    .endif
    DOT \n, 0, rsi, zmm0, zmm1
    DOT \n, 1, r10, zmm2, zmm3
    DOT \n, 2, r11, zmm4, zmm5
    DOT \n, 3, r12, zmm6, zmm7
    DOT \n, 4, r13, zmm8, zmm9
    DOT \n, 5, r14, zmm10, zmm11
    DOT \n, 6, r15, zmm12, zmm13
    DOT \n, 7, rbx, zmm14, zmm15
    add rax, 128
    cmp rax, rdx
    jb step_\n\sfx
    SUM \n, 0, zmm0, zmm1, ymm0, ymm1, xmm0, xmm1, "[r8]"
    SUM \n, 1, zmm2, zmm3, ymm2, ymm3, xmm2, xmm3, "[r8+r9]"
    SUM \n, 2, zmm4, zmm5, ymm4, ymm5, xmm4, xmm5, "[r8+r9*2]"
    lea rax, [r9+r9*2]
    SUM \n, 3, zmm6, zmm7, ymm6, ymm7, xmm6, xmm7, "[r8+rax]"
    SUM \n, 4, zmm8, zmm9, ymm8, ymm9, xmm8, xmm9, "[r8+r9*4]"
    lea rax, [r9+r9*4]
    SUM \n, 5, zmm10, zmm11, ymm10, ymm11, xmm10, xmm11, "[r8+rax]"
    lea rax, [r9+r9*2]
    SUM \n, 6, zmm12, zmm13, ymm12, ymm13, xmm12, xmm13, "[r8+rax*2]"
    lea rax, [r9*8]
    sub rax, r9
    SUM \n, 7, zmm14, zmm15, ymm14, ymm15, xmm14, xmm15, "[r8+rax]"
    add r8, 4
    add rdi, rdx                          # the next row follows this one
    dec rcx
    jnz row_\n\sfx
    jmp done
.endm

    .irp n, 1,2,3,4,5,6,7,8
    ROWS \n, , 0
    .endr
    .irp n, 1,2,3,4,5,6,7,8
    ROWS \n, _shifted, 1
    .endr
done:
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    vzeroupper
    ret

    WORD_INDEX
