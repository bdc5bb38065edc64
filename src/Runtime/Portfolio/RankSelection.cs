using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using StrategyLab.Runtime.Compute;

namespace StrategyLab.Runtime.Portfolio;

/// <summary>
/// Picks the k highest and k lowest values of a row in one pass, without sorting the row.
/// Order is by (value, asset index), the order of a stable ascending sort: among equal values the
/// lower index counts as lower. NaN values are not eligible.
/// </summary>
public static class RankSelection
{
    /// <summary>
    /// Writes the indices of the <paramref name="top"/>.Length highest values into <paramref name="top"/>
    /// (highest first) and of the <paramref name="bottom"/>.Length lowest into <paramref name="bottom"/>
    /// (lowest first). Returns how many eligible values the row has; when fewer than both buffers need,
    /// the caller decides how to split them (see <see cref="TopBottomKPortfolio"/>).
    /// </summary>
    public static int Select(ReadOnlySpan<double> row, ReadOnlySpan<bool> eligible, Span<int> top, Span<int> bottom, out int topCount, out int bottomCount)
    {
        topCount = 0;
        bottomCount = 0;
        var valid = 0;
        // the value a newcomer must reach to enter each full buffer, so most values are turned away with one comparison
        double topEntry = double.NegativeInfinity, bottomEntry = double.PositiveInfinity;
        bool topFull = top.Length == 0, bottomFull = bottom.Length == 0;
        var a = 0;
        if (eligible.IsEmpty && Vector.IsHardwareAccelerated)
        {
            // a vector of values is skipped at once when none of them can enter either buffer: the
            // entry values only get harder to reach, so a value turned away now stays turned away
            var width = Vector<double>.Count;
            for (; a <= row.Length - width; a += width)
            {
                var v = new Vector<double>(row[a..]);
                var present = Vector.Equals(v, v);
                valid -= (int)Vector.Sum(present); // comparison lanes are −1 where true
                var wantTop = top.Length == 0 ? Vector<long>.Zero : topFull ? Vector.GreaterThanOrEqual(v, new Vector<double>(topEntry)) : present;
                var wantBottom = bottom.Length == 0 ? Vector<long>.Zero : bottomFull ? Vector.LessThan(v, new Vector<double>(bottomEntry)) : present;
                if (Vector.EqualsAll(wantTop | wantBottom, Vector<long>.Zero))
                    continue;
                for (var lane = a; lane < a + width; lane++)
                {
                    if (!double.IsNaN(row[lane]))
                        Consider(row, lane, top, bottom, ref topCount, ref bottomCount, ref topEntry, ref bottomEntry, ref topFull, ref bottomFull);
                }
            }
        }
        for (; a < row.Length; a++)
        {
            if (double.IsNaN(row[a]) || (!eligible.IsEmpty && !eligible[a]))
                continue;
            valid++;
            Consider(row, a, top, bottom, ref topCount, ref bottomCount, ref topEntry, ref bottomEntry, ref topFull, ref bottomFull);
        }
        return valid;
    }

    /// <summary>
    /// <see cref="Select"/> for a row without a universe mask, sped up by the assets picked at an
    /// earlier bar, which <paramref name="top"/> and <paramref name="bottom"/> hold on entry (full,
    /// <paramref name="topHeld"/> and <paramref name="bottomHeld"/> of them). Any assets would do:
    /// with k of them priced, the k-th highest value is at least their lowest, so only values that
    /// reach it can be picked, and a vector compare turns the rest away. Signals that move little
    /// from bar to bar leave few such values, which are then ranked against each other. Returns false,
    /// having written nothing, when a buffer is not full, one of its assets has no value now, more than
    /// 64 values reach a bound, or the row is longer than 4,096; <see cref="Select"/> must then run.
    /// </summary>
    [SkipLocalsInit] // the candidate lists are written before they are read
    public static bool SelectNear(ReadOnlySpan<double> row, Span<int> top, int topHeld, Span<int> bottom, int bottomHeld, out int topCount, out int bottomCount)
    {
        topCount = 0;
        bottomCount = 0;
        if (!Vector256.IsHardwareAccelerated || topHeld != top.Length || bottomHeld != bottom.Length)
            return false;
        double topEntry = double.PositiveInfinity, bottomEntry = double.NegativeInfinity;
        foreach (var i in top)
            topEntry = Math.Min(topEntry, row[i]);
        foreach (var i in bottom)
            bottomEntry = Math.Max(bottomEntry, row[i]);
        if (double.IsNaN(topEntry) || double.IsNaN(bottomEntry))
            return false;
        // an empty side takes no value: its bound (NaN) admits none
        var reachTop = top.Length == 0 ? double.NaN : topEntry;
        var reachBottom = bottom.Length == 0 ? double.NaN : bottomEntry;
        if (row.Length > MaxNearRow)
            return false;
        Span<int> highs = stackalloc int[row.Length + Lanes];
        Span<int> lows = stackalloc int[row.Length + Lanes];
        var (high, low) = Candidates(row, reachTop, reachBottom, highs, lows);
        if (high > MaxCandidates || low > MaxCandidates)
            return false;
        topCount = Rank(row, highs[..high], top, laterWinsTies: true);
        bottomCount = Rank(row, lows[..low], bottom, laterWinsTies: false);
        return true;
    }

    private const int Lanes = LanePacking.Lanes;

    // rows longer than this would not fit their candidate lists on the stack
    private const int MaxNearRow = 4096;

    // candidates are ranked against each other, which takes their number squared
    private const int MaxCandidates = 64;

    // The assets whose values reach the top bound (highs) and the bottom bound (lows), in index order,
    // appended without a branch on the values. The lists need Lanes entries of room past the row's length.
    private static (int High, int Low) Candidates(ReadOnlySpan<double> row, double reachTop, double reachBottom, Span<int> highs, Span<int> lows)
    {
        int high = 0, low = 0, a = 0;
        if (highs.Length >= row.Length + Lanes && lows.Length >= row.Length + Lanes)
        {
            // the lists hold every index of the row and Lanes more, so the loop reads and appends unchecked
            ref var values = ref MemoryMarshal.GetReference(row);
            ref var highList = ref MemoryMarshal.GetReference(highs);
            ref var lowList = ref MemoryMarshal.GetReference(lows);
            var (top, bottom) = (Vector256.Create(reachTop), Vector256.Create(reachBottom));
            for (; a <= row.Length - Lanes; a += Lanes)
            {
                var v = Vector256.LoadUnsafe(ref values, (nuint)a);
                high = LanePacking.Append(Vector256.GreaterThanOrEqual(v, top).ExtractMostSignificantBits(), a, ref highList, high);
                low = LanePacking.Append(Vector256.LessThanOrEqual(v, bottom).ExtractMostSignificantBits(), a, ref lowList, low);
            }
        }
        for (; a < row.Length; a++)
        {
            highs[high] = a;
            high += row[a] >= reachTop ? 1 : 0;
            lows[low] = a;
            low += row[a] <= reachBottom ? 1 : 0;
        }
        return (high, low);
    }

    // The best picks.Length of the candidates (in index order), best first. A candidate's place is the number
    // of candidates with a higher value (a lower one for the bottom, whose values are negated), counted a
    // vector of rivals at a time. Distinct values give every candidate its own place; two that share one
    // have equal values, and the tie-breaking count then runs instead.
    [SkipLocalsInit] // every buffer is written before it is read
    private static int Rank(ReadOnlySpan<double> row, ReadOnlySpan<int> candidates, Span<int> picks, bool laterWinsTies)
    {
        var m = candidates.Length;
        if (picks.Length == 0 || m == 0)
            return 0;
        // SelectNear passes at most MaxCandidates: buffers of that fixed size need no stack probing
        var padded = (m + Lanes - 1) / Lanes * Lanes;
        Span<double> values = stackalloc double[MaxCandidates];
        var sign = laterWinsTies ? 1.0 : -1.0;
        for (var j = 0; j < m; j++)
            values[j] = sign * row[candidates[j]];
        // padding lanes are NaN, which beats nothing
        for (var j = m; j < padded; j++)
            values[j] = double.NaN;
        Span<int> placed = stackalloc int[MaxCandidates];
        var taken = 0UL;
        ref var first = ref MemoryMarshal.GetReference(values);
        for (var i = 0; i < m; i++)
        {
            var value = Vector256.Create(values[i]);
            var place = 0;
            for (var j = 0; j < padded; j += Lanes)
                place += BitOperations.PopCount(Vector256.GreaterThan(Vector256.LoadUnsafe(ref first, (nuint)j), value).ExtractMostSignificantBits());
            if ((taken & (1UL << place)) != 0)
                return RankWithTies(values[..padded], candidates, picks, laterWinsTies);
            taken |= 1UL << place;
            placed[place] = candidates[i];
        }
        var count = Math.Min(picks.Length, m);
        for (var p = 0; p < count; p++)
            picks[p] = placed[p];
        return count;
    }

    // Rank's places where values tie: an equal value at a later index beats a candidate for the top, at an
    // earlier one for the bottom, the order InsertHighest and InsertLowest keep
    [SkipLocalsInit] // every buffer is written before it is read
    private static int RankWithTies(ReadOnlySpan<double> values, ReadOnlySpan<int> candidates, Span<int> picks, bool laterWinsTies)
    {
        var m = candidates.Length;
        Span<long> indices = stackalloc long[values.Length];
        for (var j = 0; j < indices.Length; j++)
            indices[j] = j;
        Span<int> placed = stackalloc int[m];
        for (var i = 0; i < m; i++)
        {
            var value = Vector256.Create(values[i]);
            var me = Vector256.Create((long)i);
            var place = 0;
            for (var j = 0; j < values.Length; j += Lanes)
            {
                var rivals = Vector256.Create(values.Slice(j, Lanes));
                var order = Vector256.Create(indices.Slice(j, Lanes));
                var tieWon = laterWinsTies ? Vector256.GreaterThan(order, me) : Vector256.LessThan(order, me);
                var beats = Vector256.GreaterThan(rivals, value) | (Vector256.Equals(rivals, value) & tieWon.AsDouble());
                place += BitOperations.PopCount(beats.ExtractMostSignificantBits());
            }
            placed[place] = candidates[i];
        }
        var count = Math.Min(picks.Length, m);
        placed[..count].CopyTo(picks);
        return count;
    }

    private static void Consider(ReadOnlySpan<double> row, int a, Span<int> top, Span<int> bottom, ref int topCount, ref int bottomCount,
        ref double topEntry, ref double bottomEntry, ref bool topFull, ref bool bottomFull)
    {
        var v = row[a];
        if (top.Length > 0 && (!topFull || v >= topEntry))
        {
            InsertHighest(row, top, ref topCount, a, v);
            topFull = topCount == top.Length;
            topEntry = row[top[topCount - 1]];
        }
        if (bottom.Length > 0 && (!bottomFull || v < bottomEntry))
        {
            InsertLowest(row, bottom, ref bottomCount, a, v);
            bottomFull = bottomCount == bottom.Length;
            bottomEntry = row[bottom[bottomCount - 1]];
        }
    }

    // top is kept highest first; a later index beats an equal value already held
    private static void InsertHighest(ReadOnlySpan<double> row, Span<int> top, ref int count, int asset, double value)
    {
        var i = count < top.Length ? count++ : count - 1;
        while (i > 0 && value >= row[top[i - 1]])
        {
            top[i] = top[i - 1];
            i--;
        }
        top[i] = asset;
    }

    // bottom is kept lowest first; an earlier index beats an equal value that comes later
    private static void InsertLowest(ReadOnlySpan<double> row, Span<int> bottom, ref int count, int asset, double value)
    {
        var i = count < bottom.Length ? count++ : count - 1;
        while (i > 0 && value < row[bottom[i - 1]])
        {
            bottom[i] = bottom[i - 1];
            i--;
        }
        bottom[i] = asset;
    }
}
