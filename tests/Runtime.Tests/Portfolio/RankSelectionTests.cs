using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Portfolio;

namespace StrategyLab.Runtime.Tests.Portfolio;

public sealed class RankSelectionTests
{
    // rows with ties, NaN and a few values only, so that buffers fill, overflow and stay short
    private static Arbitrary<(double[] Row, bool[]? Eligible, int Top, int Bottom)> Cases() =>
        (from n in Gen.Choose(0, 40)
         from values in Gen.ArrayOf(Gen.Elements(double.NaN, double.NegativeInfinity, -2.0, -1.0, 0.0, 0.5, 1.0, 3.0, 7.0, double.PositiveInfinity), n)
         from masked in Gen.Elements(false, true)
         from mask in Gen.ArrayOf(Gen.Elements(true, true, false), n)
         from top in Gen.Choose(0, 8)
         from bottom in Gen.Choose(0, 8)
         select (values, masked ? mask : null, top, bottom)).ToArbitrary();

    [Fact]
    public void PicksWhatAStableSortPicks()
    {
        Prop.ForAll(Cases(), c =>
        {
            var (row, eligible, k, j) = c;
            var top = new int[k];
            var bottom = new int[j];
            var valid = RankSelection.Select(row, eligible, top, bottom, out var topCount, out var bottomCount);

            // the reference: eligible values sorted ascending by (value, index); the top reads it from the end
            var sorted = Enumerable.Range(0, row.Length)
                .Where(i => !double.IsNaN(row[i]) && (eligible is null || eligible[i]))
                .OrderBy(i => row[i]).ThenBy(i => i).ToArray();
            var expectedTop = sorted.Reverse().Take(k).ToArray();
            var expectedBottom = sorted.Take(j).ToArray();
            return valid == sorted.Length
                && top[..topCount].SequenceEqual(expectedTop)
                && bottom[..bottomCount].SequenceEqual(expectedBottom);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    // rows of distinct values (a signal's usual row), where no tie-breaking is needed; at most 64, so that the
    // near selection never leaves a row to the full one for its number of candidates
    private static Arbitrary<(double[] Row, bool[]? Eligible, int Top, int Bottom)> DistinctCases() =>
        (from n in Gen.Choose(0, 64)
         from seed in Gen.Choose(0, 1_000_000)
         from top in Gen.Choose(0, 8)
         from bottom in Gen.Choose(0, 8)
         let random = new Random(seed)
         select (Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray(), (bool[]?)null, top, bottom)).ToArbitrary();

    [Fact]
    public void NearSelectionFromAnyEarlierPicksPicksWhatAStableSortPicks()
    {
        NearSelectionMatchesAStableSort(Cases());
        NearSelectionMatchesAStableSort(DistinctCases());
    }

    private static void NearSelectionMatchesAStableSort(Arbitrary<(double[] Row, bool[]? Eligible, int Top, int Bottom)> cases)
    {
        Prop.ForAll(cases, Gen.Choose(0, 1_000_000).ToArbitrary(), (c, seed) =>
        {
            var (row, _, k, j) = c;
            if (k > row.Length || j > row.Length)
                return true;
            // the earlier picks: any k and any j assets, as a bar long ago may have left them
            var random = new Random(seed);
            var top = Enumerable.Range(0, row.Length).OrderBy(_ => random.Next()).Take(k).ToArray();
            var bottom = Enumerable.Range(0, row.Length).OrderBy(_ => random.Next()).Take(j).ToArray();
            var unpriced = top.Concat(bottom).Any(i => double.IsNaN(row[i]));
            if (!RankSelection.SelectNear(row, top, k, bottom, j, out var topCount, out var bottomCount))
                return unpriced;
            var sorted = Enumerable.Range(0, row.Length).Where(i => !double.IsNaN(row[i])).OrderBy(i => row[i]).ThenBy(i => i).ToArray();
            return !unpriced
                && top[..topCount].SequenceEqual(sorted.Reverse().Take(k))
                && bottom[..bottomCount].SequenceEqual(sorted.Take(j));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(1000));
    }

    [Fact]
    public void NearSelectionLeavesARowWithManyCandidatesToTheFullSelection()
    {
        // 100 equal values all reach the bound the earlier picks set
        var row = Enumerable.Repeat(1.0, 100).ToArray();
        var top = new[] { 3, 1, 4, 5, 9 };
        Assert.False(RankSelection.SelectNear(row, top, 5, [], 0, out _, out _));
        Assert.Equal([3, 1, 4, 5, 9], top);
        // picks worth 2 bound the next search at 2: six values reach it
        foreach (var i in new[] { 50, 60, 70, 80, 90 })
            row[i] = 2.0;
        row[10] = 3.0;
        top = [50, 60, 70, 80, 90];
        Assert.True(RankSelection.SelectNear(row, top, 5, [], 0, out var count, out _));
        Assert.Equal(5, count);
        Assert.Equal([10, 90, 80, 70, 60], top);
        // a row longer than its candidate lists may hold on the stack
        var wide = Enumerable.Range(0, 5_000).Select(i => (double)i).ToArray();
        var picks = new[] { 4_999, 4_998, 4_997, 4_996, 4_995 };
        Assert.False(RankSelection.SelectNear(wide, picks, 5, [], 0, out _, out _));
    }

    [Fact]
    public void NearSelectionNeedsFullBuffers()
    {
        var top = new[] { 0, 1 };
        Assert.False(RankSelection.SelectNear([1.0, 2.0, 3.0], top, 1, [], 0, out _, out _));
        Assert.Equal([0, 1], top);
    }
}
