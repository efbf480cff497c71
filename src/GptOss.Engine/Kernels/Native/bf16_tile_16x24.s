# 16 tokens x 24 rows of an MXFP4 expert tile, BF16 products summed in float32 with AVX512-BF16 (see Avx512Bf16Tile.cs);
# assembled by tools/native-kernels/assemble.sh.
# void bf16_tile_16x24(const uint16_t* w /*rdi*/, const uint32_t* x /*rsi*/, long blocks /*rdx: at least 1*/,
#     long tileBlockBytes /*rcx*/, float* out /*r8*/, long outRowBytes /*r9*/)     System V x86-64; clobbers rax, r10, zmm0-26
# w: the tile's first 32-column block of row 0; rows r = 0..23 64 bytes apart (32 BF16 each), the next block of
#    columns tileBlockBytes on.  x: per k-pair (two columns) 16 dwords, one per token (its two BF16 values).
# out: row r's 16 sums at out + r*outRowBytes.  Accumulator lane t of row r sees the k-pairs in column order, whatever
#    the block shape: a token's sums are the same bits in either kernel.
    .intel_syntax noprefix
    .text
    .globl bf16_tile_16x24
    .include "bf16_tile.inc"
# Sixteen tokens' k-pair against each row's, broadcast from the tile.
.macro PAIR
    vmovdqu32 zmm24, [rsi]
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23
    vdpbf16ps zmm\r, zmm24, dword bcst [rax+64*\r]
    .endr
.endm
# Row r's 16 sums.
.macro STORES
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22
    vmovups [r8+0], zmm\r
    add r8, r9
    .endr
    vmovups [r8+0], zmm23
.endm

    TILE_KERNEL bf16_tile_16x24, 64
