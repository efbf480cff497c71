# 32 tokens x 12 rows of an MXFP4 expert tile, BF16 products summed in float32 with AVX512-BF16 (see Avx512Bf16Tile.cs);
# assembled by tools/native-kernels/assemble.sh.
# void bf16_tile_32x12(const uint16_t* w /*rdi*/, const uint32_t* x /*rsi*/, long blocks /*rdx: at least 1*/,
#     long tileBlockBytes /*rcx*/, float* out /*r8*/, long outRowBytes /*r9*/)     System V x86-64; clobbers rax, r10, zmm0-26
# w: the tile's first 32-column block of row 0; rows r = 0..11 64 bytes apart (32 BF16 each), the next block of
#    columns tileBlockBytes on.  x: per k-pair (two columns) 32 dwords, one per token (its two BF16 values).
# out: row r's 32 sums at out + r*outRowBytes.  Accumulator lane t of row r sees the k-pairs in column order, whatever
#    the block shape: a token's sums are the same bits in either kernel.
    .intel_syntax noprefix
    .text
    .globl bf16_tile_32x12
bf16_tile_32x12:
    vpxord zmm0, zmm0, zmm0
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
    vpxord zmm16, zmm16, zmm16
    vpxord zmm17, zmm17, zmm17
    vpxord zmm18, zmm18, zmm18
    vpxord zmm19, zmm19, zmm19
    vpxord zmm20, zmm20, zmm20
    vpxord zmm21, zmm21, zmm21
    vpxord zmm22, zmm22, zmm22
    vpxord zmm23, zmm23, zmm23
block:                                # 32 columns = 16 k-pairs
    mov rax, rdi
    mov r10, 16
pair:
    vmovdqu32 zmm24, [rsi+0]             # tokens 16v..16v+15's k-pair
    vmovdqu32 zmm25, [rsi+64]
    vpbroadcastd zmm26, dword ptr [rax+0]   # row r's k-pair
    vdpbf16ps zmm0, zmm24, zmm26
    vdpbf16ps zmm1, zmm25, zmm26
    vpbroadcastd zmm26, dword ptr [rax+64]
    vdpbf16ps zmm2, zmm24, zmm26
    vdpbf16ps zmm3, zmm25, zmm26
    vpbroadcastd zmm26, dword ptr [rax+128]
    vdpbf16ps zmm4, zmm24, zmm26
    vdpbf16ps zmm5, zmm25, zmm26
    vpbroadcastd zmm26, dword ptr [rax+192]
    vdpbf16ps zmm6, zmm24, zmm26
    vdpbf16ps zmm7, zmm25, zmm26
    vpbroadcastd zmm26, dword ptr [rax+256]
    vdpbf16ps zmm8, zmm24, zmm26
    vdpbf16ps zmm9, zmm25, zmm26
    vpbroadcastd zmm26, dword ptr [rax+320]
    vdpbf16ps zmm10, zmm24, zmm26
    vdpbf16ps zmm11, zmm25, zmm26
    vpbroadcastd zmm26, dword ptr [rax+384]
    vdpbf16ps zmm12, zmm24, zmm26
    vdpbf16ps zmm13, zmm25, zmm26
    vpbroadcastd zmm26, dword ptr [rax+448]
    vdpbf16ps zmm14, zmm24, zmm26
    vdpbf16ps zmm15, zmm25, zmm26
    vpbroadcastd zmm26, dword ptr [rax+512]
    vdpbf16ps zmm16, zmm24, zmm26
    vdpbf16ps zmm17, zmm25, zmm26
    vpbroadcastd zmm26, dword ptr [rax+576]
    vdpbf16ps zmm18, zmm24, zmm26
    vdpbf16ps zmm19, zmm25, zmm26
    vpbroadcastd zmm26, dword ptr [rax+640]
    vdpbf16ps zmm20, zmm24, zmm26
    vdpbf16ps zmm21, zmm25, zmm26
    vpbroadcastd zmm26, dword ptr [rax+704]
    vdpbf16ps zmm22, zmm24, zmm26
    vdpbf16ps zmm23, zmm25, zmm26
    add rsi, 128
    add rax, 4
    dec r10
    jnz pair
    add rdi, rcx
    dec rdx
    jnz block
    vmovups [r8+0], zmm0
    vmovups [r8+64], zmm1
    add r8, r9
    vmovups [r8+0], zmm2
    vmovups [r8+64], zmm3
    add r8, r9
    vmovups [r8+0], zmm4
    vmovups [r8+64], zmm5
    add r8, r9
    vmovups [r8+0], zmm6
    vmovups [r8+64], zmm7
    add r8, r9
    vmovups [r8+0], zmm8
    vmovups [r8+64], zmm9
    add r8, r9
    vmovups [r8+0], zmm10
    vmovups [r8+64], zmm11
    add r8, r9
    vmovups [r8+0], zmm12
    vmovups [r8+64], zmm13
    add r8, r9
    vmovups [r8+0], zmm14
    vmovups [r8+64], zmm15
    add r8, r9
    vmovups [r8+0], zmm16
    vmovups [r8+64], zmm17
    add r8, r9
    vmovups [r8+0], zmm18
    vmovups [r8+64], zmm19
    add r8, r9
    vmovups [r8+0], zmm20
    vmovups [r8+64], zmm21
    add r8, r9
    vmovups [r8+0], zmm22
    vmovups [r8+64], zmm23
    vzeroupper
    ret
