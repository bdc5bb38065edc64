using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Portfolio;

namespace StrategyLab.Runtime.Tests.Portfolio;

public sealed class RankSelectionTests
{
    // rows with ties, NaN and a few values only, so that buffers fill, overflow and stay short
    private static Arbitrary<(double[] Row, bool[]? Eligible, int Top, int Bottom)> Cases() =>
        (from n in Gen.Choose(0, 40)
         from values in Gen.ArrayOf(Gen.Elements(double.NaN, -2.0, -1.0, 0.0, 0.5, 1.0, 3.0, 7.0), n)
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
}
