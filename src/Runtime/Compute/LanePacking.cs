using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StrategyLab.Runtime.Compute;

/// <summary>
/// Appends the indices of a four-lane vector's set lanes to a list without a branch on the lanes:
/// a table packs them to the front, the whole vector is stored, and the count moves by the lanes set.
/// Lists need <see cref="Lanes"/> entries of room past the last index they can hold.
/// </summary>
internal static class LanePacking
{
    public const int Lanes = 4;

    // the lanes set in a 4-bit mask, packed to the front
    private static readonly Vector128<int>[] SetLanes = [.. Enumerable.Range(0, 16).Select(m =>
        Vector128.Create([.. Enumerable.Range(0, Lanes).Where(lane => (m >> lane & 1) != 0).Concat(Enumerable.Repeat(0, Lanes)).Take(Lanes)]))];

    /// <summary>
    /// Appends first + lane for each lane set in <paramref name="mask"/> (its low four bits; the others are ignored) at the list's
    /// entry <paramref name="count"/>; returns the new count. Unchecked, for loops that checked the list once:
    /// <paramref name="list"/> is its first entry, and it holds at least count + Lanes entries.
    /// </summary>
    public static int Append(uint mask, int first, ref int list, int count)
    {
        mask &= 0xF;
        (Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(SetLanes), (nint)mask) + Vector128.Create(first)).StoreUnsafe(ref list, (nuint)count);
        return count + BitOperations.PopCount(mask);
    }
}
