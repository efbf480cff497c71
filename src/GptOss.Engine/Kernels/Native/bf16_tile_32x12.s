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
    .include "bf16_tile.inc"
# Thirty-two tokens' k-pair (two vectors) against row r's, broadcast once per row.
.macro ROW r, even, odd
    vpbroadcastd zmm26, dword ptr [rax+64*\r]
    vdpbf16ps zmm\even, zmm24, zmm26
    vdpbf16ps zmm\odd, zmm25, zmm26
.endm
.macro PAIR
    vmovdqu32 zmm24, [rsi+0]
    vmovdqu32 zmm25, [rsi+64]
    ROW 0, 0, 1
    ROW 1, 2, 3
    ROW 2, 4, 5
    ROW 3, 6, 7
    ROW 4, 8, 9
    ROW 5, 10, 11
    ROW 6, 12, 13
    ROW 7, 14, 15
    ROW 8, 16, 17
    ROW 9, 18, 19
    ROW 10, 20, 21
    ROW 11, 22, 23
.endm
# Row r's 32 sums (two vectors), then the next row's.
.macro ROW_SUMS even, odd
    vmovups [r8+0], zmm\even
    vmovups [r8+64], zmm\odd
.endm
.macro STORES
    ROW_SUMS 0, 1
    add r8, r9
    ROW_SUMS 2, 3
    add r8, r9
    ROW_SUMS 4, 5
    add r8, r9
    ROW_SUMS 6, 7
    add r8, r9
    ROW_SUMS 8, 9
    add r8, r9
    ROW_SUMS 10, 11
    add r8, r9
    ROW_SUMS 12, 13
    add r8, r9
    ROW_SUMS 14, 15
    add r8, r9
    ROW_SUMS 16, 17
    add r8, r9
    ROW_SUMS 18, 19
    add r8, r9
    ROW_SUMS 20, 21
    add r8, r9
    ROW_SUMS 22, 23
.endm

    TILE_KERNEL bf16_tile_32x12, 128
