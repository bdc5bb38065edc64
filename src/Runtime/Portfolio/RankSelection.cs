using System.Numerics;

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
