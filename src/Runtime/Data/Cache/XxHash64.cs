using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StrategyLab.Runtime.Data.Cache;

/// <summary>
/// XXH64, written from the published xxHash specification: a fast non-cryptographic 64-bit hash
/// used to key the cache by content and to detect corrupt cache blocks.
/// </summary>
public static class XxHash64
{
    static XxHash64()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("the cache format is little-endian");
    }

    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong Prime3 = 0x165667B19E3779F9UL;
    private const ulong Prime4 = 0x85EBCA77C2B2AE63UL;
    private const ulong Prime5 = 0x27D4EB2F165667C5UL;

    /// <summary>Returns the XXH64 of <paramref name="data"/> with the given seed.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        ref var start = ref MemoryMarshal.GetReference(data);
        var length = data.Length;
        var offset = 0;
        ulong acc;
        if (length >= 32)
        {
            var v1 = seed + Prime1 + Prime2;
            var v2 = seed + Prime2;
            var v3 = seed;
            var v4 = seed - Prime1;
            for (var limit = length - 32; offset <= limit; offset += 32)
            {
                v1 = Round(v1, Lane(ref start, offset));
                v2 = Round(v2, Lane(ref start, offset + 8));
                v3 = Round(v3, Lane(ref start, offset + 16));
                v4 = Round(v4, Lane(ref start, offset + 24));
            }
            acc = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7)
                + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
            acc = Merge(acc, v1);
            acc = Merge(acc, v2);
            acc = Merge(acc, v3);
            acc = Merge(acc, v4);
        }
        else
        {
            acc = seed + Prime5;
        }

        acc += (ulong)length;
        for (; offset + 8 <= length; offset += 8)
        {
            acc ^= Round(0, Lane(ref start, offset));
            acc = BitOperations.RotateLeft(acc, 27) * Prime1 + Prime4;
        }
        if (offset + 4 <= length)
        {
            acc ^= Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, offset)) * Prime1;
            acc = BitOperations.RotateLeft(acc, 23) * Prime2 + Prime3;
            offset += 4;
        }
        for (; offset < length; offset++)
        {
            acc ^= Unsafe.Add(ref start, offset) * Prime5;
            acc = BitOperations.RotateLeft(acc, 11) * Prime1;
        }

        acc ^= acc >> 33;
        acc *= Prime2;
        acc ^= acc >> 29;
        acc *= Prime3;
        acc ^= acc >> 32;
        return acc;
    }

    // little-endian read; every supported runtime here is little-endian, checked once
    private static ulong Lane(ref byte start, int offset) => Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset));

    /// <summary>The hash as 16 lower-case hex digits, the form stored in manifests.</summary>
    public static string HashHex(ReadOnlySpan<byte> data, ulong seed = 0) => Hash(data, seed).ToString("x16");

    private static ulong Round(ulong acc, ulong lane) => BitOperations.RotateLeft(acc + lane * Prime2, 31) * Prime1;

    private static ulong Merge(ulong acc, ulong v) => (acc ^ Round(0, v)) * Prime1 + Prime4;
}
