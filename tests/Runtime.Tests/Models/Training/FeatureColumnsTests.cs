using System.Runtime.InteropServices;
using StrategyLab.Runtime.Data.Cache;
using StrategyLab.Runtime.Models.Training;

namespace StrategyLab.Runtime.Tests.Models.Training;

public sealed class FeatureColumnsTests
{
    private const int Bars = 40;
    private const int Assets = 3;

    // two inputs with gaps: NaN here and there, and asset 2 missing its first 7 bars
    private static double[][] Inputs()
    {
        var random = new Random(5);
        var columns = new[] { new double[Bars * Assets], new double[Bars * Assets] };
        foreach (var c in columns)
        {
            for (var i = 0; i < c.Length; i++)
                c[i] = random.NextDouble() < 0.06 || (i % Assets == 2 && i / Assets < 7) ? double.NaN : random.NextDouble() - 0.5;
        }
        return columns;
    }

    private static double[] Label() => [.. Enumerable.Range(0, Bars * Assets).Select(i => i % 11 == 0 ? double.NaN : i % 2)];

    // the rows by their definition: every bar of [from, to) that is included, every asset whose label
    // (when given) and whole window of inputs are finite; a row is the window, oldest bar first
    private static List<(int Bar, int Asset, double[] Row)> Reference(double[][] inputs, int window, int from, int to, Func<int, bool> include, double[]? label)
    {
        var rows = new List<(int, int, double[])>();
        for (var t = Math.Max(from, window - 1); t < to; t++)
        {
            for (var a = 0; a < Assets; a++)
            {
                if (!include(t) || (label is not null && !double.IsFinite(label[t * Assets + a])))
                    continue;
                var row = new List<double>();
                for (var s = t - window + 1; s <= t; s++)
                    row.AddRange(inputs.Select(c => c[s * Assets + a]));
                if (row.All(double.IsFinite))
                    rows.Add((t, a, [.. row]));
            }
        }
        return rows;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    public void Rows_hold_every_complete_window_in_bar_then_asset_order(int window)
    {
        var inputs = Inputs();
        var label = Label();
        var columns = new FeatureColumns(inputs, Bars, Assets, window);
        foreach (var (from, to, withLabel) in new[] { (0, Bars, true), (5, 30, false), (12, 13, true), (30, 25, true) })
        {
            var expected = Reference(inputs, window, from, to, t => t % 7 != 3, withLabel ? label : null);
            var rows = columns.Rows(from, to, t => t % 7 != 3, withLabel ? label : null);
            Assert.Equal(expected.Select(r => r.Bar), rows.Bars);
            Assert.Equal(expected.Select(r => r.Asset), rows.Assets);
            Assert.Equal(expected.SelectMany(r => r.Row), rows.Features);
            Assert.Equal(expected.Select(r => withLabel ? label[r.Bar * Assets + r.Asset] : double.NaN), rows.Labels);
            Assert.Equal(expected.Select(r => r.Bar * Assets + r.Asset), columns.Select(from, to, t => t % 7 != 3, withLabel ? label : null));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void The_hash_of_rows_taken_without_building_them_is_the_hash_of_the_built_rows(int window)
    {
        var label = Label();
        var columns = new FeatureColumns(Inputs(), Bars, Assets, window);
        foreach (var l in new[] { label, null })
        {
            var cells = columns.Select(0, Bars, _ => true, l);
            var rows = columns.Gather(cells, l);
            var expected = (
                XxHash64.Hash(MemoryMarshal.AsBytes(rows.Features.AsSpan()), (ulong)rows.Features.Length),
                XxHash64.Hash(MemoryMarshal.AsBytes(rows.Labels.AsSpan()), (ulong)rows.Labels.Length),
                XxHash64.Hash(MemoryMarshal.AsBytes(rows.Bars.AsSpan()), (ulong)rows.Bars.Length),
                XxHash64.Hash(MemoryMarshal.AsBytes(rows.Assets.AsSpan()), (ulong)rows.Assets.Length));
            var streamed = columns.Hash(cells, l);
            Assert.Equal(expected, (streamed.Features, streamed.Labels, streamed.Bars, streamed.Assets));
            Assert.Equal(streamed, RowHashes.Of(rows));
        }
        // and of no rows at all
        Assert.Equal(RowHashes.Of(columns.Gather([], null)), columns.Hash([], null));
    }

    [Fact]
    public void Xxhash64_over_pieces_is_xxhash64_over_the_whole()
    {
        var random = new Random(11);
        foreach (var length in new[] { 0, 1, 3, 4, 7, 8, 31, 32, 33, 63, 64, 65, 200, 1000 })
        {
            var data = new byte[length];
            random.NextBytes(data);
            foreach (var seed in new ulong[] { 0, 7, ulong.MaxValue })
            {
                for (var trial = 0; trial < 5; trial++)
                {
                    var stream = new XxHash64Stream(seed);
                    for (var at = 0; at < length;)
                    {
                        var piece = Math.Min(length - at, random.Next(0, 40));
                        stream.Append(data.AsSpan(at, piece));
                        at += piece;
                    }
                    Assert.Equal(XxHash64.Hash(data, seed), stream.Digest());
                }
            }
        }
    }
}
