using System.Buffers.Binary;
using System.Numerics;

namespace StrategyLab.Runtime.Models.Training;

/// <summary>
/// XXH64 over bytes given piece by piece: the same value as <see cref="Data.Cache.XxHash64.Hash"/> of
/// all the pieces joined, so that a hash defined over an array can be taken without building the array.
/// Written from the published xxHash specification.
/// </summary>
internal sealed class XxHash64Stream
{
    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong Prime3 = 0x165667B19E3779F9UL;
    private const ulong Prime4 = 0x85EBCA77C2B2AE63UL;
    private const ulong Prime5 = 0x27D4EB2F165667C5UL;

    private readonly ulong _seed;
    private readonly byte[] _stripe = new byte[32];
    private ulong _v1, _v2, _v3, _v4;
    private int _buffered;
    private long _length;

    public XxHash64Stream(ulong seed)
    {
        _seed = seed;
        _v1 = seed + Prime1 + Prime2;
        _v2 = seed + Prime2;
        _v3 = seed;
        _v4 = seed - Prime1;
    }

    /// <summary>Adds bytes.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        _length += data.Length;
        if (_buffered > 0)
        {
            var take = Math.Min(32 - _buffered, data.Length);
            data[..take].CopyTo(_stripe.AsSpan(_buffered));
            _buffered += take;
            data = data[take..];
            if (_buffered < 32)
                return;
            Stripe(_stripe);
            _buffered = 0;
        }
        while (data.Length >= 32)
        {
            Stripe(data);
            data = data[32..];
        }
        data.CopyTo(_stripe);
        _buffered = data.Length;
    }

    /// <summary>Adds a double's 8 bytes, little-endian.</summary>
    public void Append(double value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        Append(bytes);
    }

    /// <summary>Adds an int's 4 bytes, little-endian.</summary>
    public void Append(int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        Append(bytes);
    }

    /// <summary>The hash of every byte added so far.</summary>
    public ulong Digest()
    {
        ulong acc;
        if (_length >= 32)
        {
            acc = BitOperations.RotateLeft(_v1, 1) + BitOperations.RotateLeft(_v2, 7)
                + BitOperations.RotateLeft(_v3, 12) + BitOperations.RotateLeft(_v4, 18);
            acc = Merge(acc, _v1);
            acc = Merge(acc, _v2);
            acc = Merge(acc, _v3);
            acc = Merge(acc, _v4);
        }
        else
        {
            acc = _seed + Prime5;
        }
        acc += (ulong)_length;
        ReadOnlySpan<byte> rest = _stripe.AsSpan(0, _buffered);
        for (; rest.Length >= 8; rest = rest[8..])
        {
            acc ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(rest));
            acc = BitOperations.RotateLeft(acc, 27) * Prime1 + Prime4;
        }
        if (rest.Length >= 4)
        {
            acc ^= BinaryPrimitives.ReadUInt32LittleEndian(rest) * Prime1;
            acc = BitOperations.RotateLeft(acc, 23) * Prime2 + Prime3;
            rest = rest[4..];
        }
        foreach (var b in rest)
        {
            acc ^= b * Prime5;
            acc = BitOperations.RotateLeft(acc, 11) * Prime1;
        }
        acc ^= acc >> 33;
        acc *= Prime2;
        acc ^= acc >> 29;
        acc *= Prime3;
        acc ^= acc >> 32;
        return acc;
    }

    private void Stripe(ReadOnlySpan<byte> s)
    {
        _v1 = Round(_v1, BinaryPrimitives.ReadUInt64LittleEndian(s));
        _v2 = Round(_v2, BinaryPrimitives.ReadUInt64LittleEndian(s[8..]));
        _v3 = Round(_v3, BinaryPrimitives.ReadUInt64LittleEndian(s[16..]));
        _v4 = Round(_v4, BinaryPrimitives.ReadUInt64LittleEndian(s[24..]));
    }

    private static ulong Round(ulong acc, ulong lane) => BitOperations.RotateLeft(acc + lane * Prime2, 31) * Prime1;

    private static ulong Merge(ulong acc, ulong v) => (acc ^ Round(0, v)) * Prime1 + Prime4;
}
