using System.Numerics;
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

    // the lanes set in a 4-bit mask, packed to the front (Lanes entries per mask). Constant data, not a static array:
    // loops compiled optimised at their first call would otherwise check the class's initialisation at every use, and
    // the check's call, though never taken, makes the compiler keep the loop's vectors on the stack
    private static ReadOnlySpan<int> SetLanes =>
    [
        0, 0, 0, 0,
        0, 0, 0, 0,
        1, 0, 0, 0,
        0, 1, 0, 0,
        2, 0, 0, 0,
        0, 2, 0, 0,
        1, 2, 0, 0,
        0, 1, 2, 0,
        3, 0, 0, 0,
        0, 3, 0, 0,
        1, 3, 0, 0,
        0, 1, 3, 0,
        2, 3, 0, 0,
        0, 2, 3, 0,
        1, 2, 3, 0,
        0, 1, 2, 3,
    ];

    /// <summary>
    /// Appends first + lane for each lane set in <paramref name="mask"/> (its low four bits; the others are ignored) at the list's
    /// entry <paramref name="count"/>; returns the new count. Unchecked, for loops that checked the list once:
    /// <paramref name="list"/> is its first entry, and it holds at least count + Lanes entries.
    /// </summary>
    public static int Append(uint mask, int first, ref int list, int count)
    {
        mask &= 0xF;
        (Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(SetLanes), mask * Lanes) + Vector128.Create(first)).StoreUnsafe(ref list, (nuint)count);
        return count + BitOperations.PopCount(mask);
    }
}
